import { afterEach, expect, test } from 'vitest';
import type { StatsView, WorkerView } from '../control/api.js';
import { parseListen, renderMetrics, startMetricsServer } from './metrics.js';

const stats: StatsView = {
  at: '2026-01-01T00:00:00.000Z',
  global: { rxFrames: 12, rxBytes: 1200, ringDrops: 1, ringFreezes: 0, unmatched: 2, malformed: { badIhl: 3 } },
  rules: [{
    id: 'cam"1', input: { interface: 'eth0', group: '239.1.1.1', port: 5000 }, packets: 10, bytes: 1000, pps: null, bps: null, lastPacketAgoMs: null,
    outputs: [{ interface: 'eth1', group: '239.2.2.2', port: 6000, packets: 9, bytes: 900, sendErrors: 1, errorsByErrno: { ENOBUFS: 1 }, pps: null, bps: null }],
  }],
};
const workers: WorkerView[] = [{ index: 0, pid: 1, state: 'running', restarts: 2, lastExit: null, since: null, rxFrames: 12 }];

const closers: Array<() => Promise<void>> = [];
afterEach(async () => { while (closers.length) await closers.pop()!(); });

test('metrics carry per rule, per output, per errno and per reason samples with escaped labels', () => {
  const text = renderMetrics(stats, workers);
  expect(text).toContain('# TYPE mcr_rule_packets_total counter\nmcr_rule_packets_total{rule="cam\\"1"} 10\n');
  expect(text).toContain('mcr_output_packets_total{rule="cam\\"1",output="239.2.2.2:6000:eth1"} 9\n');
  expect(text).toContain('mcr_output_send_errors_total{rule="cam\\"1",output="239.2.2.2:6000:eth1",errno="ENOBUFS"} 1\n');
  expect(text).toContain('mcr_malformed_total{reason="badIhl"} 3\n');
  expect(text).toContain('mcr_ring_drops_total 1\n');
  expect(text).toContain('mcr_worker_restarts_total{worker="0"} 2\n');
  expect(text).toContain('mcr_worker_up{worker="0"} 1\n');
  // Every sample line belongs to a declared family.
  const declared = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(declared.has(line.split(/[{ ]/)[0])).toBe(true);
});

test('GET /metrics serves the text; other paths are 404', async () => {
  const srv = await startMetricsServer('127.0.0.1:0', async () => renderMetrics(stats, workers));
  closers.push(() => srv.close());
  const res = await fetch(`http://127.0.0.1:${srv.port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(await res.text()).toContain('mcr_rules 1\n');
  expect((await fetch(`http://127.0.0.1:${srv.port}/`)).status).toBe(404);
});

test('a bad listen address names the flag', () => {
  expect(parseListen('[::1]:9477')).toEqual({ host: '::1', port: 9477 });
  expect(() => parseListen('9477')).toThrow('--metrics-listen: expected ADDR:PORT like 127.0.0.1:9477, got "9477"');
  expect(() => parseListen('h:70000')).toThrow('--metrics-listen');
});
