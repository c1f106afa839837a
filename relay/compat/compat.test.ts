import { describe, expect, test } from 'vitest';
import { emptyGlobal } from '../stats/counters.js';
import type { EngineCounters } from '../engine/types.js';
import { levelFromMcr, mcrSeverity } from './severity.js';
import { finalLine, periodicLines, totals } from './stats-log.js';
import { answerMcr, parseMcrRequest } from './wire.js';

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

describe("MCR's PIM requests", () => {
  const calls: unknown[] = [];
  const api = {
    protocols: {
      modules: () => ['pim'],
      view: (_m: string, v: string) => (v === 'neighbors'
        ? [{ interface: 'eth0', address: '10.0.0.2', expiresInMs: 96_200, drPriority: null, genId: 3141592653, dr: true, uptimeMs: 5000 },
          { interface: 'eth0', address: '10.0.0.3', expiresInMs: null, drPriority: 20, genId: null, dr: false, uptimeMs: 1000 }]
        : [{ interface: 'eth1', address: '10.0.1.1', drPriority: 10 }]),
      pimInterface: (i: string, o: unknown) => { calls.push(['pimInterface', i, o]); return { interface: i, enabled: true }; },
      setRp: (g: string, rp: string) => { calls.push(['setRp', g, rp]); return { group: g, rp }; },
    },
  } as never;
  const ask = (name: string, args: Record<string, unknown> = {}, a = api) => answerMcr({ name, args }, a);

  test('GetPimNeighbors gives MCR\'s PimNeighborInfo: default DR priority 1, expiry in whole seconds, null when it never expires', async () => {
    expect(await ask('GetPimNeighbors')).toEqual({
      PimNeighbors: [
        { interface: 'eth0', address: '10.0.0.2', dr_priority: 1, is_dr: true, expires_in_secs: 97, generation_id: 3141592653, source: 'PimHello' },
        { interface: 'eth0', address: '10.0.0.3', dr_priority: 20, is_dr: false, expires_in_secs: null, generation_id: null, source: 'PimHello' },
      ],
    });
  });

  test('EnablePim, DisablePim and SetStaticRp reach the PIM module and answer in MCR\'s words; a bare group is a /32', async () => {
    calls.length = 0;
    expect(await ask('EnablePim', { interface: 'eth1', dr_priority: 10 })).toEqual({ Success: 'PIM enabled on eth1 (IP: 10.0.1.1, DR priority: 10)' });
    expect(await ask('DisablePim', { interface: 'eth1' })).toEqual({ Success: 'PIM disabled on eth1' });
    expect(await ask('SetStaticRp', { group_prefix: '239.1.1.1', rp_address: '10.0.0.9' })).toEqual({ Success: 'Static RP 10.0.0.9 set for group prefix 239.1.1.1' });
    expect(calls).toEqual([
      ['pimInterface', 'eth1', { enabled: true, drPriority: 10 }], ['pimInterface', 'eth1', { enabled: false }], ['setRp', '239.1.1.1/32', '10.0.0.9'],
    ]);
  });

  test('bad arguments are refused naming the request and field; without PIM running the request says how to enable it', async () => {
    expect(await ask('EnablePim', { interface: 'eth1', dr_priority: -1 })).toEqual({ Error: 'EnablePim dr_priority: expected an integer 0-4294967295 or null, got -1' });
    expect(await ask('DisablePim', {})).toEqual({ Error: 'DisablePim interface: expected an interface name, got nothing (missing)' });
    const noPim = { protocols: { modules: () => ['igmp'] } } as never;
    expect(await ask('GetPimNeighbors', {}, noPim)).toEqual({ Error: 'GetPimNeighbors: PIM is not running; enable it with a pim: { enabled: true, interfaces: [{ name: "eth0" }] } section in the config' });
  });

  test('injected neighbors: listing and clearing tell the truth (none), adding is refused with what to do instead', async () => {
    expect(await ask('ListExternalNeighbors')).toEqual({ ExternalNeighbors: [] });
    expect(await ask('ClearExternalNeighbors', { interface: 'eth0' })).toEqual({ Success: 'Cleared 0 external neighbors from eth0' });
    expect(await ask('AddExternalNeighbor', { neighbor: { address: '10.0.0.7', interface: 'eth0' } })).toEqual({
      Error: "AddExternalNeighbor: mcrd learns PIM neighbors from their Hellos only; injected (external) neighbors are not supported; run PIM on the neighbor's interface (EnablePim or mcrctl pim enable) and it is learned from its Hellos",
    });
  });

  test('MSDP and RPF-provider requests are refused with what to do instead', async () => {
    expect(String((await ask('GetMsdpPeers')).Error)).toBe("GetMsdpPeers: not supported by mcrd: mcrd has no MSDP; run it in FRR (pimd's msdp peer) beside mcrd, or give each domain the sources it needs by static rules");
    expect(String((await ask('QueryRpf', { source: '10.0.0.1' })).Error)).toMatch(/^QueryRpf: not supported by mcrd: mcrd has no RPF provider: PIM takes RPF from the kernel's unicast routes/);
  });
});
