import { describe, expect, test } from 'vitest';
import { emptyGlobal } from '../stats/counters.js';
import type { EngineCounters } from '../engine/types.js';
import { levelFromMcr, mcrSeverity } from './severity.js';
import { finalLine, periodicLines, totals } from './stats-log.js';
import { parseMcrRequest } from './wire.js';

describe("MCR's severities", () => {
  test('fold onto mcrd levels, with MCR aliases and any case', () => {
    expect(['emergency', 'Alert', 'crit', 'ERR', 'warning', 'warn', 'notice', 'informational', 'debug'].map((s) => levelFromMcr(s, 'x')))
      .toEqual(['error', 'error', 'error', 'error', 'warn', 'warn', 'info', 'info', 'debug']);
    expect(() => levelFromMcr('loud', '--global')).toThrow('--global: expected emergency, alert, critical, error, warning, notice, info or debug, got "loud" (string)');
    expect(mcrSeverity('warn')).toBe('Warning');
  });
});

describe("MCR's wire requests", () => {
  test('a bare variant string or a one-key object with a capitalised key is MCR; mcrd requests are not', () => {
    expect(parseMcrRequest('"Ping"')).toEqual({ name: 'Ping', args: {} });
    expect(parseMcrRequest(' {"RemoveRule":{"rule_id":"a"}}')).toEqual({ name: 'RemoveRule', args: { rule_id: 'a' } });
    expect(parseMcrRequest('{"id":1,"cmd":"ping"}')).toBeUndefined();
    expect(parseMcrRequest('{"Ping":1,"Other":2}')).toBeUndefined();
    expect(parseMcrRequest('"unterminated')).toBeUndefined();
  });
});

describe("MCR's [STATS] lines", () => {
  const counters = (rx: bigint, matched: bigint, sent: bigint): EngineCounters => ({
    global: { ...emptyGlobal(), rxFrames: rx, unmatched: 2n, ringDrops: 1n, malformed: { ...emptyGlobal().malformed, notUdp: 3n } },
    rules: new Map([[0, { packets: matched, bytes: matched * 100n, lastPacketNs: 0n }]]),
    outputs: new Map([[0, { packets: sent, bytes: sent * 100n, sendErrors: 1n, errorsByErrno: { ENOBUFS: 1n } }]]),
  });
  test('carry the totals and the interval in the format MCR scripts grep', () => {
    const [ing, egr] = periodicLines(totals(counters(10n, 5n, 5n)), totals(counters(110n, 105n, 104n)), 10);
    expect(ing).toBe('[STATS:Ingress] total: recv=110 matched=105 egr_sent=104 filtered=3 no_match=2 buf_exhaust=1 | interval: +100 recv, +100 matched (10/10 pps)');
    expect(egr).toBe('[STATS:Egress] total: sent=104 submitted=105 ch_recv=105 errors=1 bytes=10400 | interval: +99 pkts (10 pps)');
    expect(finalLine(totals(counters(110n, 105n, 104n)))).toBe('[STATS:Ingress FINAL] total: recv=110 matched=105 egr_sent=104 filtered=3 no_match=2 buf_exhaust=1');
    // What MCR's harness extracts: grep -oP 'matched=\K[0-9]+'
    expect(/matched=([0-9]+)/.exec(ing!)?.[1]).toBe('105');
  });
});
