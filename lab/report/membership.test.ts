import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { membershipTest } from '../measure/membership.js';
import type { MembershipCycle, MembershipTest } from '../results/membership.js';
import type { Results } from '../results/types.js';
import { parseResults, readResults } from '../results/validate.js';
import { renderConsoleTable, renderHtml, renderMarkdown } from './index.js';

const ok = (joinMs: number, leaveMs: number, extra: Partial<MembershipCycle> = {}): MembershipCycle => ({
  outcome: 'ok', joinDelayNs: joinMs * 1e6, leaveDelayNs: leaveMs * 1e6, framesJoined: 500, framesAfterLeave: 3, framesWhileLeft: 0, ...extra,
});
const receiver = (cycles: MembershipCycle[]) => ({
  receiver: 'rx1', host: 'rx1', interface: 'eth0', group: '239.1.1.1', port: 5000, cycles, settleFrames: 0, socketReceived: 1000, captureDrops: 0,
});

let base: Results;
let results: Results;
beforeAll(async () => {
  base = await readResults(path.join(import.meta.dirname, 'fixtures/results.json'));
  const mcrd: MembershipTest = membershipTest('join-leave', 'mcrd', 1000, 3, [{ sent: 9000, receivers: [receiver([ok(10, 1000), ok(20, 1010), ok(30, 990)])] }], []);
  const frr: MembershipTest = membershipTest('join-leave', 'frr', 1000, 3, [{
    sent: 9000, receivers: [receiver([ok(2, 2000, { sptSwitchNs: 1e6, rptStopNs: 5e6 }), ok(3, 2100, { sptSwitchNs: 2e6, rptStopNs: 6e6 }), ok(4, 1900, { sptSwitchNs: null, rptStopNs: null })])],
  }], ['frr: a reason']);
  results = { ...base, relays: ['mcrd', 'frr'], membership: [frr, mcrd], skipped: [{ relay: 'socat', reason: 'socat: not a router' }] };
});

describe('membership in results.json and the reports', () => {
  test('results.json with membership tests validates; an unknown cycle outcome is refused', () => {
    expect(parseResults(JSON.parse(JSON.stringify(results)))).toEqual(results);
    const bad = JSON.parse(JSON.stringify(results)) as { membership: Array<{ repetitions: Array<{ receivers: Array<{ cycles: Array<{ outcome: string }> }> }> }> };
    bad.membership[0]!.repetitions[0]!.receivers[0]!.cycles[0]!.outcome = 'maybe';
    expect(() => parseResults(bad, 'r.json')).toThrow(/membership\.0\.repetitions\.0\.receivers\.0\.cycles\.0\.outcome/);
    expect(parseResults(JSON.parse(JSON.stringify(base)))).not.toHaveProperty('membership');
  });

  test('report.md: one row per router (mcrd first) with median, IQR and min–max; SPT columns; notes and skipped relays', () => {
    const md = renderMarkdown(results);
    expect(md).toContain('### membership (join-leave): RFC 3918 join and leave delay');
    expect(md).toContain('| relay | join delay (median) | IQR | min–max | leave delay (median) | IQR | min–max | SPT switch (median) | IQR | min–max | RPT stop (median) | IQR | min–max | joins | leaves | frames while out |');
    expect(md).toContain('| mcrd | 20.00 ms | 15.00 ms–25.00 ms | 10.00 ms–30.00 ms | 1.00 s | 995.0 ms–1.00 s | 990.0 ms–1.01 s | no data | – | – | no data | – | – | 3/3 | 3/3 | 0 |');
    expect(md.indexOf('| mcrd |')).toBeLessThan(md.indexOf('| frr |'));
    expect(md).toMatch(/\| frr \| 3\.00 ms \|.*\| 1\.50 ms \| 1\.25 ms–1\.75 ms \| 1\.00 ms–2\.00 ms \|/);
    expect(md).toContain('frr: frr: a reason');
    expect(md).toContain('not measured: socat: not a router');
    expect(md).toContain('Join delay (RFC 3918 §6.1)');
  });

  test('report.html carries every figure as data attributes', () => {
    const html = renderHtml(results);
    expect(html).toContain('id="membership-join-leave"');
    expect(html).toContain('data-relay="mcrd" data-test="join-leave" data-metric="joinDelayNs" data-value="20000000" data-q1="15000000" data-q3="25000000" data-min="10000000" data-max="30000000" data-n="3"');
    expect(html).toContain('data-metric="joinsCompleted" data-value="3"');
  });

  test('the console lists join and leave delay per router and the SPT figures', () => {
    const out = renderConsoleTable(results);
    expect(out).toMatch(/join-leave\s+mcrd\s+20\.00 ms \(IQR 15\.00 ms–25\.00 ms, 10\.00 ms–30\.00 ms\)\s+1\.00 s/);
    expect(out).toContain('join-leave frr: SPT switch 1.50 ms (IQR 1.25 ms–1.75 ms, 1.00 ms–2.00 ms), RPT stop 5.50 ms');
    expect(out).toContain('join-leave frr: frr: a reason');
  });
});
