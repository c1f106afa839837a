import { describe, expect, test } from 'vitest';
import type { EngineCounters, OutputCounters } from '../engine/types.js';
import { emptyGlobal } from '../stats/counters.js';
import { MALFORMED_REASONS, WORKER_STATES, renderMetrics } from './exposition.js';
import { escapeLabelValue, nsToSeconds, renderFamily } from './format.js';
import { type ParsedFamily, parseExposition } from './fixtures/parse-text.js';
import type { MetricsInput } from './input.js';

const FAMILIES = [
  'mcr_build_info', 'mcr_start_time_seconds', 'mcr_rules',
  'mcr_rule_packets_total', 'mcr_rule_bytes_total', 'mcr_rule_last_packet_timestamp_seconds',
  'mcr_output_packets_total', 'mcr_output_bytes_total', 'mcr_output_send_errors_total',
  'mcr_rx_frames_total', 'mcr_rx_bytes_total', 'mcr_ring_drops_total', 'mcr_ring_freezes_total',
  'mcr_unmatched_frames_total', 'mcr_malformed_frames_total', 'mcr_source_watch_total',
  'mcr_workers', 'mcr_worker_restarts_total', 'mcr_worker_pid', 'mcr_control_requests_total',
];

const empty = (): MetricsInput => ({
  rules: [],
  counters: { global: emptyGlobal(), rules: new Map(), outputs: new Map() },
  workers: [],
  controlRequests: [],
  startTimeSeconds: 1_763_700_000.5,
  build: { version: '0.3.0', backend: 'mmsg', node: 'v20.20.2' },
});

const BIG = 2n ** 64n - 1n;
const JUST_OVER = 2n ** 53n + 1n; // a float64 would print 9007199254740992

function full(): MetricsInput {
  const counters: EngineCounters = {
    global: { rxFrames: BIG, rxBytes: JUST_OVER, ringDrops: 17n, ringFreezes: 2n, unmatched: 5n, malformed: { badIhl: 3n, fragment: 1n } as EngineCounters['global']['malformed'] },
    rules: new Map([[4, { packets: JUST_OVER, bytes: 1316n * 1000n, lastPacketNs: 1_763_700_123_456_789_012n }]]),
    outputs: new Map<number, OutputCounters>([
      [10, { packets: 1000n, bytes: 1_316_000n, sendErrors: 7n, errorsByErrno: { ENOBUFS: 4n, ENETUNREACH: 1n } }],
      [11, { packets: 998n, bytes: 1_313_368n, sendErrors: 0n, errorsByErrno: {} }],
    ]),
  };
  return {
    ...empty(),
    rules: [
      { id: 'cam1', slot: 4, input: { interface: 'eth0', group: '239.1.1.1', port: 5001 }, outputs: [
        { slot: 10, interface: 'eth1', group: '239.10.10.10', port: 6001 },
        { slot: 11, interface: 'eth2', group: '10.0.0.9', port: 6002 },
      ] },
      // Added after the last counter read: no slot in the snapshot yet.
      { id: 'cam2', slot: 5, input: { interface: 'eth0', group: '239.1.1.2', port: 5002 }, outputs: [{ interface: 'eth1', group: '239.10.10.11', port: 6003 }] },
    ],
    counters,
    workers: [
      { index: 0, pid: 4100, state: 'running', restarts: 0 },
      { index: 1, pid: null, state: 'restarting', restarts: 3 },
    ],
    controlRequests: [{ command: 'add', result: 'ok', count: 2 }, { command: 'add', result: 'EEXIST', count: 1 }],
  };
}

/** The value of the one sample of `f` whose labels include `labels`. */
function value(f: ParsedFamily | undefined, labels: Record<string, string> = {}): string {
  const hits = (f?.samples ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${f?.name} match ${JSON.stringify(labels)}`);
  return hits[0]!.value;
}

describe('renderMetrics', () => {
  test('with no rules and no workers every family is still declared with HELP and TYPE', () => {
    const fams = parseExposition(renderMetrics(empty()));
    expect([...fams.keys()]).toEqual(FAMILIES);
    for (const f of fams.values()) {
      expect(f.help, f.name).toMatch(/\S/);
      expect(f.type, f.name).toBe(f.name.endsWith('_total') ? 'counter' : 'gauge');
    }
    expect(fams.get('mcr_rule_packets_total')!.samples).toEqual([]);
    expect(value(fams.get('mcr_rules'))).toBe('0');
    expect(value(fams.get('mcr_start_time_seconds'))).toBe('1763700000.5');
    expect(value(fams.get('mcr_build_info'), { version: '0.3.0', backend: 'mmsg', node: 'v20.20.2' })).toBe('1');
    // Enumerable series start at 0, so the first increment is visible to rate().
    expect(fams.get('mcr_malformed_frames_total')!.samples.map((s) => [s.labels.reason, s.value]))
      .toEqual(MALFORMED_REASONS.map((r) => [r, '0']));
    expect(fams.get('mcr_workers')!.samples.map((s) => s.labels.state)).toEqual(WORKER_STATES);
  });

  test('rule and output series carry their labels and exact counts, big counters included', () => {
    const text = renderMetrics(full());
    expect(text).toContain('mcr_rule_packets_total{rule="cam1",input_interface="eth0",group="239.1.1.1",port="5001"} 9007199254740993\n');
    expect(text).toContain('mcr_rx_frames_total 18446744073709551615\n');
    const fams = parseExposition(text);
    const cam1 = { rule: 'cam1' };
    expect(value(fams.get('mcr_rule_bytes_total'), cam1)).toBe('1316000');
    expect(value(fams.get('mcr_rule_last_packet_timestamp_seconds'), cam1)).toBe('1763700123.456789012');
    expect(value(fams.get('mcr_output_packets_total'), { rule: 'cam1', output_interface: 'eth1', group: '239.10.10.10', port: '6001' })).toBe('1000');
    expect(value(fams.get('mcr_output_bytes_total'), { rule: 'cam1', output_interface: 'eth2', group: '10.0.0.9', port: '6002' })).toBe('1313368');
    expect(value(fams.get('mcr_rx_bytes_total'))).toBe('9007199254740993');
    expect(value(fams.get('mcr_ring_drops_total'))).toBe('17');
    expect(value(fams.get('mcr_ring_freezes_total'))).toBe('2');
    expect(value(fams.get('mcr_unmatched_frames_total'))).toBe('5');
    expect(value(fams.get('mcr_malformed_frames_total'), { reason: 'badIhl' })).toBe('3');
    expect(value(fams.get('mcr_malformed_frames_total'), { reason: 'notUdp' })).toBe('0');
    expect(value(fams.get('mcr_rules'))).toBe('2');
  });

  test('a rule or output without counters yet reads 0 rather than going missing', () => {
    const fams = parseExposition(renderMetrics(full()));
    expect(value(fams.get('mcr_rule_packets_total'), { rule: 'cam2' })).toBe('0');
    expect(value(fams.get('mcr_rule_last_packet_timestamp_seconds'), { rule: 'cam2' })).toBe('0');
    expect(value(fams.get('mcr_output_packets_total'), { rule: 'cam2' })).toBe('0');
    expect(value(fams.get('mcr_output_send_errors_total'), { rule: 'cam2', errno: 'other' })).toBe('0');
  });

  test('send errors are split by errno and the rest counted as other, so they sum to the total', () => {
    const fams = parseExposition(renderMetrics(full()));
    const errs = fams.get('mcr_output_send_errors_total')!.samples.filter((s) => s.labels.output_interface === 'eth1' && s.labels.rule === 'cam1');
    expect(errs.map((s) => [s.labels.errno, s.value])).toEqual([['ENETUNREACH', '1'], ['ENOBUFS', '4'], ['other', '2']]);
    expect(value(fams.get('mcr_output_send_errors_total'), { output_interface: 'eth2', errno: 'other' })).toBe('0');
  });

  test('an errno literally named "other" folds into the other series instead of duplicating it', () => {
    const m = full();
    m.counters.outputs.set(10, { packets: 1n, bytes: 1n, sendErrors: 5n, errorsByErrno: { other: 2n, EPERM: 3n } });
    const fams = parseExposition(renderMetrics(m));
    const errs = fams.get('mcr_output_send_errors_total')!.samples.filter((s) => s.labels.output_interface === 'eth1' && s.labels.rule === 'cam1');
    expect(errs.map((s) => [s.labels.errno, s.value])).toEqual([['EPERM', '3'], ['other', '2']]);
  });

  test('workers: counts per state, restarts and pid per worker', () => {
    const fams = parseExposition(renderMetrics(full()));
    expect(value(fams.get('mcr_workers'), { state: 'running' })).toBe('1');
    expect(value(fams.get('mcr_workers'), { state: 'restarting' })).toBe('1');
    expect(value(fams.get('mcr_workers'), { state: 'failed' })).toBe('0');
    expect(value(fams.get('mcr_worker_restarts_total'), { worker: '1' })).toBe('3');
    expect(value(fams.get('mcr_worker_pid'), { worker: '0' })).toBe('4100');
    expect(fams.get('mcr_worker_pid')!.samples).toHaveLength(1);
    expect(value(fams.get('mcr_control_requests_total'), { command: 'add', result: 'EEXIST' })).toBe('1');
  });

  test('label values with backslash, quote and newline are escaped and read back unchanged', () => {
    const m = full();
    const odd = 'we"ird\\if';
    m.rules[0]!.input.interface = odd;
    m.build.version = '1.0\n"beta"';
    const text = renderMetrics(m);
    expect(text).toContain('input_interface="we\\"ird\\\\if"');
    expect(text).toContain('version="1.0\\n\\"beta\\""');
    const fams = parseExposition(text);
    expect(value(fams.get('mcr_rule_packets_total'), { rule: 'cam1' })).toBe('9007199254740993');
    expect(fams.get('mcr_rule_packets_total')!.samples[0]!.labels.input_interface).toBe(odd);
    expect(fams.get('mcr_build_info')!.samples[0]!.labels.version).toBe('1.0\n"beta"');
  });
});

describe('format primitives', () => {
  test.each([
    [0n, '0'], [1_000_000_000n, '1'], [1_500_000_000n, '1.5'], [1n, '0.000000001'],
    [1_763_700_123_456_789_012n, '1763700123.456789012'], [-1_500_000_000n, '-1.5'],
  ])('nsToSeconds(%s) is the exact decimal %s', (ns, s) => {
    expect(nsToSeconds(ns)).toBe(s);
  });

  test('escapeLabelValue escapes exactly backslash, quote and newline', () => {
    expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
  });

  test('HELP text escapes backslash and newline; bad metric or label names are refused', () => {
    expect(renderFamily({ name: 'x_total', type: 'counter', help: 'a\\b\nc', samples: [] })).toBe('# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\n');
    expect(() => renderFamily({ name: 'mcr-rules', type: 'gauge', help: 'h', samples: [] })).toThrow('not a valid Prometheus name');
    expect(() => renderFamily({ name: 'm', type: 'gauge', help: 'h', samples: [{ labels: { 'in-put': 'x' }, value: 1 }] })).toThrow('not a valid Prometheus label name');
  });
});

describe('the test line checker itself', () => {
  test.each([
    ['m{a="b} 1\n', 'unterminated'],
    ['m{a="b\\x"} 1\n', 'bad escape'],
    ['m{a=b} 1\n', 'without ="value"'],
    ['m 1.2.3\n', 'not a float'],
    ['m{a="1"}1\n', 'expected " value'],
    ['m 1\nm 2\n', 'duplicate series'],
    ['# TYPE m counter\nm 1\n# TYPE m counter\n', 'TYPE for m after its samples'],
    ['a 1\nb 1\na{x="y"} 1\n', 'appears again'],
    ['m 1', 'does not end with a newline'],
  ])('refuses %j', (text, why) => {
    expect(() => parseExposition(text)).toThrow(why);
  });
});
