import { describe, expect, test } from 'vitest';
import { MemoryDataPlane } from '../../test/support/memory-data-plane.js';
import { silentLogger } from '../daemon/log.js';
import { RuleService } from '../daemon/rule-service.js';
import type { EngineCounters } from '../engine/types.js';
import { parseRule } from '../model/validate.js';
import { emptyGlobal } from '../stats/counters.js';
import { packageVersion } from '../version.js';
import { daemonMetricsCollector } from './collect.js';
import { renderMetrics } from './exposition.js';
import { parseExposition } from './fixtures/parse-text.js';
import { ControlRequestCounter } from './requests.js';

const rule = (name: string, port: number, outPorts: number[]) => parseRule({
  name, input: { interface: 'eth0', group: '239.1.1.1', port },
  outputs: outPorts.map((p) => ({ interface: 'eth1', group: '239.2.2.2', port: p })),
});

/** Counters as the engine would report them: keyed by the slots of the table it was given. */
function countersFor(dp: MemoryDataPlane, perRule: Record<string, bigint>): EngineCounters {
  const c: EngineCounters = { global: emptyGlobal(), rules: new Map(), outputs: new Map() };
  for (const r of dp.table) {
    const n = perRule[r.id] ?? 0n;
    c.rules.set(r.slot, { packets: n, bytes: n * 10n, lastPacketNs: 0n });
    r.outputs.forEach((o, i) => c.outputs.set(o.slot, { packets: n - BigInt(i), bytes: 0n, sendErrors: 0n, errorsByErrno: {} }));
  }
  return c;
}

describe('daemonMetricsCollector', () => {
  test('counters land on the rule and output they belong to, through the slots the rule service assigned', async () => {
    const dp = new MemoryDataPlane();
    const rules = new RuleService({ dataPlane: dp, log: silentLogger(), interfaceExists: () => true });
    await rules.add(rule('a', 5000, [6000]));
    await rules.add(rule('b', 5001, [6001, 6002]));
    await rules.remove('a');
    await rules.add(rule('c', 5002, [6003]));
    dp.snapshot = countersFor(dp, { b: 500n, c: 70n });
    const requests = new ControlRequestCounter();
    requests.record('add', 'ok');
    const collect = daemonMetricsCollector({ rules, dataPlane: dp, requests, backend: () => 'mmsg', startedAtMs: 1_763_700_000_250 });

    const fams = parseExposition(renderMetrics(await collect()));
    const packets = (f: string) => fams.get(f)!.samples.map((s) => [s.labels.rule, s.labels.port, s.value]);
    expect(packets('mcr_rule_packets_total')).toEqual([['b', '5001', '500'], ['c', '5002', '70']]);
    expect(packets('mcr_output_packets_total')).toEqual([['b', '6001', '500'], ['b', '6002', '499'], ['c', '6003', '70']]);
    expect(fams.get('mcr_start_time_seconds')!.samples[0]!.value).toBe('1763700000.25');
    expect(fams.get('mcr_build_info')!.samples[0]!.labels).toEqual({ version: packageVersion(), backend: 'mmsg', node: process.version });
    expect(fams.get('mcr_workers')!.samples.find((s) => s.labels.state === 'running')!.value).toBe('1');
    expect(fams.get('mcr_control_requests_total')!.samples.find((s) => s.labels.command === 'add' && s.labels.result === 'ok')!.value).toBe('1');
  });

  test('a failing counter read rejects the collect (the server turns it into a 500)', async () => {
    const dp = new MemoryDataPlane();
    dp.counters = async () => { throw new Error('worker 0 did not answer counters within 5000 ms'); };
    const rules = new RuleService({ dataPlane: dp, log: silentLogger(), interfaceExists: () => true });
    const collect = daemonMetricsCollector({ rules, dataPlane: dp, requests: new ControlRequestCounter(), backend: () => 'uring', startedAtMs: 0 });
    await expect(collect()).rejects.toThrow('did not answer counters');
  });
});

describe('ControlRequestCounter', () => {
  test('every command starts with an ok series at 0', () => {
    const snap = new ControlRequestCounter().snapshot();
    expect(snap).toContainEqual({ command: 'ping', result: 'ok', count: 0 });
    expect(snap).toContainEqual({ command: 'reload', result: 'ok', count: 0 });
    expect(snap.every((r) => r.count === 0 && r.result === 'ok')).toBe(true);
  });

  test('garbage cannot create series: unknown commands, non-requests and odd results fold into fixed labels', () => {
    const c = new ControlRequestCounter();
    c.record('add', 'EEXIST');
    c.record('add', 'EEXIST');
    c.record('frobnicate-1', 'ENOSYS');
    c.record('frobnicate-2', 'ENOSYS');
    c.record(undefined, 'EPROTO');
    c.record(undefined, 'EMSGSIZE');
    c.record('stats', 'not a code {"x"}');
    const byKey = Object.fromEntries(c.snapshot().filter((r) => r.count > 0).map((r) => [`${r.command} ${r.result}`, r.count]));
    expect(byKey).toEqual({ 'add EEXIST': 2, 'unknown ENOSYS': 2, 'invalid EPROTO': 1, 'invalid EMSGSIZE': 1, 'stats EIO': 1 });
  });
});
