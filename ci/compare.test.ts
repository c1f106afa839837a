// Compare math and metric extraction of the performance-regression job, on results built in memory
// by lab/results/fixtures/build.ts (the same builder as the committed fixtures).
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { baselineFrom, checkBaseline, type Baseline, type BaselineEntry } from './baseline.js';
import { compare, compareMeasured, judge, limitOf } from './compare.js';
import { buildResults, FIXTURES, type FixtureSpec } from '../lab/results/fixtures/build.js';
import { measure, METRICS } from '../bench/metrics.js';
import { median } from '../lab/results/quantities.js';
import type { LoadedResults } from '../lab/results/validate.js';
import type { FixedRateTest, Results, ThroughputTest } from '../lab/results/types.js';

const load = (...names: string[]): LoadedResults[] => names.map((n) => ({ path: n, results: buildResults(FIXTURES[n]!) }));
const LATENCY = ['latency-default.json', 'latency-busy-poll.json'];
const healthy = (): LoadedResults[] => load('chain.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', ...LATENCY);
const guarded = METRICS.filter((m) => m.noBaseline === undefined);
const value = (files: LoadedResults[], id: string): number | null => {
  const m = measure(files).find((x) => x.def.id === id)!;
  return m.found.ok ? m.found.value : null;
};
const higher = (v: number, tolerance = 0.25): BaselineEntry => ({ value: v, tolerance, direction: 'higher-is-better' });
const lower = (v: number, tolerance = 0.25): BaselineEntry => ({ value: v, tolerance, direction: 'lower-is-better' });

describe('judge', () => {
  test.each([
    ['higher-is-better just above the limit passes', 0.76, higher(1), 'pass'],
    ['higher-is-better below value × (1 − tolerance) is a regression', 0.74, higher(1), 'regression'],
    ['higher-is-better above value × (1 + tolerance) is improved', 1.26, higher(1), 'improved'],
    ['lower-is-better just under the limit passes', 1.24, lower(1), 'pass'],
    ['lower-is-better above value × (1 + tolerance) is a regression', 1.26, lower(1), 'regression'],
    ['lower-is-better below value × (1 − tolerance) is improved', 0.74, lower(1), 'improved'],
    ['zero tolerance fails on any drop', 0.999, higher(1, 0), 'regression'],
    ['latency below zero added is improved against a 20 µs baseline with 100 % tolerance', -1, lower(20, 1), 'improved'],
  ] as const)('%s', (_title, have, entry, verdict) => {
    expect(judge(have, entry)).toBe(verdict);
  });

  test('the limit is where a regression starts, for both directions', () => {
    expect(limitOf(higher(4))).toBeCloseTo(3);
    expect(limitOf(lower(20, 1))).toBeCloseTo(40);
  });
});

describe('median', () => {
  test.each([[[3], 3], [[5, 1, 3], 3], [[4, 1, 3, 2], 2.5]])('of %j is %d', (xs, m) => expect(median(xs)).toBe(m));
});

describe('metrics from results files', () => {
  test('throughput ratios divide the medians of the relays measured in the same run', () => {
    const files = healthy();
    expect(value(files, 'chain.throughput.mcrd/kernel')).toBeCloseTo(270 / 300);
    expect(value(files, 'chain.throughput.mcrd/socat')).toBeCloseTo(270 / 60);
    expect(value(files, 'dual-bridge.throughput.mcrd/kernel')).toBeCloseTo(170 / 187);
    expect(value(files, 'dual-bridge.throughput.mcrd/socat')).toBeCloseTo(170 / 39);
  });

  test('a throughput search that never saw loss says its figure is a lower bound', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    const kernel = r.tests.find((t): t is ThroughputTest => t.kind === 'throughput' && t.relay === 'kernel')!;
    for (const rep of kernel.repetitions) { rep.steps = rep.steps.filter((s) => s.offeredPps <= rep.throughputPps); delete rep.bracket; }
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.throughput.mcrd/kernel')!;
    expect(m.found.ok && m.found.note).toBe('mcrd throughput 270k pps / kernel throughput ≥ 300k pps (nothing failed: a lower bound)');
    // A floor in the divisor makes the ratio a ceiling.
    expect(m.found).toMatchObject({ ok: true, value: 0.9, bound: 'upper' });
  });

  test('a generator that could not offer the passing rate makes the figure the generator\'s: no ratio from it', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    const kernel = r.tests.find((t): t is ThroughputTest => t.kind === 'throughput' && t.relay === 'kernel')!;
    for (const rep of kernel.repetitions) for (const s of rep.steps) s.achievedPps = Math.min(s.offeredPps, 150_000);
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.throughput.mcrd/kernel')!;
    expect(m.found.ok).toBe(false);
    expect(!m.found.ok && m.found.reason).toMatch(/^kernel throughput ≥ 150k pps \(generator-limited\): the generator could not offer more/);
  });

  test('when both relays found no fail the ratio is not given: two floors say nothing about it', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    for (const t of r.tests) {
      if (t.kind === 'throughput' && (t.relay === 'kernel' || t.relay === 'mcrd')) {
        for (const rep of t.repetitions) rep.steps = rep.steps.filter((s) => s.offeredPps <= rep.throughputPps);
      }
    }
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.throughput.mcrd/kernel')!;
    expect(!m.found.ok && m.found.reason).toMatch(/^both figures are bounds that say nothing about their ratio/);
  });

  test('a relay that lost too much even at the lowest searched rate bounds the ratio from below', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    const socat = r.tests.find((t): t is ThroughputTest => t.kind === 'throughput' && t.relay === 'socat')!;
    for (const rep of socat.repetitions) for (const s of rep.steps) s.lossRatio = 0.5;
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.throughput.mcrd/socat')!;
    // Every step failed: each search's bracket is [0, its lowest rate] (58.8k, 60k, 61.2k): socat is below their median.
    expect(m.found).toEqual({
      ok: true, value: 270_000 / 60_000, bound: 'lower',
      note: 'mcrd throughput 270k pps / socat throughput < 60k pps (even the lowest rate failed: an upper bound)',
    });
  });

  test('searches that ran out of steps give a range, never a single ratio', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    const kernel = r.tests.find((t): t is ThroughputTest => t.kind === 'throughput' && t.relay === 'kernel')!;
    // The lowest fail 30 % above the highest pass: a bracket far wider than the 5k resolution.
    for (const rep of kernel.repetitions) for (const s of rep.steps) if (s.offeredPps > rep.throughputPps) s.offeredPps = s.achievedPps = Math.round(rep.throughputPps * 1.3);
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.throughput.mcrd/kernel')!;
    expect(m.found).toMatchObject({ ok: true, bound: 'unknown' });
    expect(m.found.ok && m.found.range![0]).toBeCloseTo(270 / 390, 3);
    expect(m.found.ok && m.found.range![1]).toBeCloseTo(0.9, 3);
  });

  test('fan-out compares input rate × outputs with mcrd 1:1 chain throughput', () => {
    expect(value(healthy(), 'fanout-50.output/chain')).toBeCloseTo((5000 * 50) / 270_000);
  });

  test('latency added is mcrd minus direct at the latency test rate, in µs', () => {
    expect(value(healthy(), 'chain.latency.p50-added')).toBeCloseTo(15);
    expect(value(healthy(), 'chain.latency.p99-added')).toBeCloseTo(90);
  });

  test('the latency suite: added over direct at 50k pps per mcrd configuration, kernel for context, process CPU beside it', () => {
    expect(value(healthy(), 'latency.p50-added.mcrd')).toBeCloseTo(12);
    expect(value(healthy(), 'latency.p99-added.mcrd')).toBeCloseTo(140);
    expect(value(healthy(), 'latency.p50-added.mcrd-busy-poll')).toBeCloseTo(4);
    expect(value(healthy(), 'latency.p99-added.mcrd-busy-poll')).toBeCloseTo(60);
    expect(value(healthy(), 'latency.p50-added.kernel')).toBeCloseTo(6);
    const busy = measure(healthy()).find((m) => m.def.id === 'latency.p50-added.mcrd-busy-poll')!.found;
    expect(busy).toMatchObject({ ok: true, at: '(mcrd process CPU 20.0 µs per packet at 50k pps)' });
    // The placed chain's latency is still computed, but not guarded.
    expect(value(healthy(), 'chain.latency.p50-added')).toBeCloseTo(15);
  });

  test('the latency suite\'s queue check takes mcrd\'s worst p99 over both rates', () => {
    expect(measure(load('latency-default-noisy.json')).find((m) => m.def.id === 'latency-default.queue.mcrd-worst-p99')!.found)
      .toMatchObject({ ok: true, value: 2500, at: 'at 10k pps (fixed-10k)' });
  });

  test('loss at 150k pps is the median loss of the fixed-rate test at that rate', () => {
    expect(value(healthy(), 'chain.loss-at-150k.mcrd')).toBe(0);
    expect(value(load('chain-noisy.json'), 'chain.loss-at-150k.mcrd')).toBeCloseTo(0.0004, 5);
    const m = measure(load('dual-bridge.json')).find((x) => x.def.id === 'chain.loss-at-150k.mcrd')!;
    expect(m.found).toEqual({ ok: false, reason: 'no results for scenario chain' });
  });

  test('relay-core CPU per packet compares mcrd with kernel at 150k pps and at 50k pps', () => {
    expect(value(healthy(), 'chain.relay-core-per-packet.mcrd/kernel@150k')).toBeCloseTo(3600 / 3000);
    expect(value(healthy(), 'chain.relay-core-per-packet.mcrd/kernel@50k')).toBeCloseTo(4200 / 3300);
  });

  test('relay-core figures are not compared when a generator fell short of the offer: not the same load', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    for (const t of r.tests) if (t.kind === 'fixed-rate' && t.relay === 'kernel' && t.offeredPps === 150_000) for (const x of t.repetitions) x.achievedPps = 60_000;
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.relay-core-per-packet.mcrd/kernel@150k')!;
    expect(m.found).toEqual({ ok: false, reason: 'not the same load: the generator sent 150k pps in mcrd\'s fixed-150k test and 60k pps in kernel\'s (150k pps offered, chain)' });
  });

  test('an overloaded relay at the comparison rate is said so next to the ratio', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    for (const t of r.tests) if (t.kind === 'fixed-rate' && t.relay === 'mcrd' && t.offeredPps === 150_000) for (const x of t.repetitions) x.lossRatio = 0.011;
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.relay-core-per-packet.mcrd/kernel@150k')!;
    expect(m.found).toMatchObject({ ok: true, at: '(mcrd lost 1.1 %: overloaded)' });
  });

  test('relay-core figures absent from the results (a lab without CPU placement) leave the ratio unmeasured, saying why', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    for (const t of r.tests) if (t.kind === 'fixed-rate' && t.relay === 'kernel') delete t.summary.relayCoreNsPerPacket;
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.relay-core-per-packet.mcrd/kernel@150k')!;
    expect(m.found).toEqual({
      ok: false,
      reason: 'no relay-core CPU per packet of mcrd and kernel at 150k pps in chain (mcrd measured, kernel absent; the lab records relayCoreNsPerPacket per fixed-rate test)',
    });
  });

  test('the queue check takes the worst p99 of mcrd over the tests offered below its throughput', () => {
    const m = measure(healthy()).find((x) => x.def.id === 'chain.queue.mcrd-worst-p99-below-throughput')!;
    expect(m.found).toEqual({
      ok: true, value: 800,
      note: 'mcrd fixed-150k p99 800 µs at 150k pps (worst of 2 test(s) below its throughput 270k pps: latency-50k 150 µs, fixed-150k 800 µs)',
      at: 'at 150k pps (fixed-150k; throughput 270k pps)',
    });
    expect(value(load('chain-queue-regressed.json'), 'chain.queue.mcrd-worst-p99-below-throughput')).toBe(3000);
  });

  test('a test at or above the throughput is not a queue: overload is allowed to queue', () => {
    const r = buildResults(FIXTURES['chain-queue-regressed.json']!);
    for (const t of r.tests) {
      if (t.kind !== 'throughput' || t.relay !== 'mcrd') continue;
      // Every search now passes at 150k and fails 5k above it.
      for (const rep of t.repetitions) {
        for (const s of rep.steps) s.offeredPps = s.offeredPps === rep.throughputPps ? 150_000 : s.offeredPps < 2 * rep.throughputPps ? 155_000 : s.offeredPps;
        rep.throughputPps = 150_000;
      }
    }
    // mcrd's throughput is now exactly 150k: its 3 ms p99 there is at, not below, that rate.
    expect(value([{ path: 'x', results: r }], 'chain.queue.mcrd-worst-p99-below-throughput')).toBe(150);
  });

  test('scaling compares mcrd at 2 workers with 1 worker, totals over the 4 streams as the generators sent them', () => {
    const m = measure(healthy()).find((x) => x.def.id === 'scaling.throughput.mcrd-2w/1w')!;
    expect(m.found).toEqual({
      ok: true, value: 1.5,
      note: 'mcrd 360k pps in total over 4 streams at 90k pps offered per stream / mcrd 240k pps in total over 4 streams at 60k pps offered per stream',
    });
    expect(value(healthy(), 'scaling.forwarding.mcrd-2w/1w')).toBeCloseTo(1.5, 1);
    expect(value(healthy(), 'scaling.dup-reorder.mcrd-2w')).toBe(0);
  });

  test('duplicates and reordered are summed over every stream of every trial', () => {
    // 12 duplicates and 3 reordered on the first output of each of the 3 fixed-rate repetitions.
    const m = measure(load('scaling-1w.json', 'scaling-2w-duplicates.json')).find((x) => x.def.id === 'scaling.dup-reorder.mcrd-2w')!;
    expect(m.found.ok && m.found.value).toBe(45);
    expect(m.found.ok && m.found.note).toMatch(/^mcrd: 36 duplicate\(s\), 9 reordered over 12 trial\(s\), 4 streams/);
  });

  test('generators that fell short of the offered total make the scaling total a floor', () => {
    const r = buildResults(FIXTURES['scaling-1w.json']!);
    for (const t of r.tests) if (t.kind === 'throughput' && t.relay === 'mcrd') for (const rep of t.repetitions) for (const s of rep.steps) s.achievedPps = 150_000;
    const m = measure([{ path: 'x', results: r }, ...load('scaling-2w.json')]).find((x) => x.def.id === 'scaling.throughput.mcrd-2w/1w')!;
    // 360k / a floor of 150k: the ratio is a ceiling.
    expect(m.found).toMatchObject({ ok: true, value: 360 / 150, bound: 'upper' });
  });

  test('latency at different rates is not compared: the metric is missing and says why', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    const direct = r.tests.find((t) => t.relay === 'direct' && t.kind === 'latency')!;
    (direct as { offeredPps: number }).offeredPps = 10_000;
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.latency.p50-added')!;
    expect(m.found).toEqual({ ok: false, reason: 'no p50 latency of mcrd and direct at the same rate in chain' });
  });

  test('when the latency tests ran at different rates, latency is compared at a rate both ran, the one nearest 50k pps', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    // As chain.yaml does: latency at 0.5 × each relay's throughput (different rates), plus fixed 5k and 50k with latency.
    for (const t of r.tests) if (t.kind === 'latency') t.offeredPps = t.relay === 'mcrd' ? 135_000 : 145_000;
    const fixed = (relay: 'mcrd' | 'direct', pps: number, p50Us: number): FixedRateTest => {
      const s = (v: number) => ({ median: v, min: v, max: v, n: 1 });
      return { kind: 'fixed-rate', name: `fixed-${pps}`, relay, offeredPps: pps, repetitions: [],
        summary: { lossRatio: s(0), deliveredPps: s(pps), latencyP50Ns: s(p50Us * 1000), latencyP99Ns: s(p50Us * 3000) } };
    };
    r.tests.push(fixed('mcrd', 5000, 100), fixed('direct', 5000, 10), fixed('mcrd', 50_000, 31), fixed('direct', 50_000, 19));
    const m = measure([{ path: 'x', results: r }]).find((x) => x.def.id === 'chain.latency.p50-added')!;
    expect(m.found).toEqual({ ok: true, value: 12, note: 'mcrd 31.0 µs − direct 19.0 µs at 50k pps' });
  });

  test('a skipped relay makes its ratios missing with the lab\'s reason', () => {
    const m = measure(load('chain-kernel-skipped.json')).find((x) => x.def.id === 'chain.throughput.mcrd/kernel')!;
    expect(m.found).toEqual({ ok: false, reason: 'kernel skipped in chain: smcroute not installed' });
  });

  test('a scenario without results makes its metrics missing', () => {
    const m = measure(load('chain.json')).find((x) => x.def.id === 'dual-bridge.throughput.mcrd/socat')!;
    expect(m.found).toEqual({ ok: false, reason: 'no results for scenario dual-bridge' });
  });

  test('without a throughput test the highest fixed rate under 0.1 % loss counts', () => {
    const spec: FixtureSpec = { scenario: 'chain', outputs: 1, relays: { mcrd: { throughputPps: 1, cpuNsPerPacket: 1 }, socat: { throughputPps: 20_000 } } };
    const r: Results = buildResults(spec);
    r.tests = r.tests.filter((t) => !(t.relay === 'mcrd' && t.kind === 'throughput'));
    expect(value([{ path: 'x', results: r }], 'chain.throughput.mcrd/socat')).toBeCloseTo(50_000 / 20_000);
  });

  test('repeated runs of one scenario are combined by their median ratio', () => {
    const runs = [250_000, 270_000, 290_000].map((tp) => ({
      path: String(tp),
      results: buildResults({ ...FIXTURES['chain.json']!, relays: { ...FIXTURES['chain.json']!.relays, mcrd: { throughputPps: tp } } }),
    }));
    expect(value(runs, 'chain.throughput.mcrd/socat')).toBeCloseTo(270 / 60);
  });

  test('a scenario is recognised by its file name when its name differs', () => {
    const r = buildResults(FIXTURES['dual-bridge.json']!);
    r.scenario.name = 'Dual bridge, relay multi-homed';
    expect(value([{ path: 'x', results: r }], 'dual-bridge.throughput.mcrd/socat')).toBeCloseTo(170 / 39);
  });
});

describe('compare against the committed baseline', async () => {
  const committed = checkBaseline(JSON.parse(await readFile(new URL('./baseline.json', import.meta.url), 'utf8')), 'ci/baseline.json');

  test('the committed baseline covers every metric but the unstable ones and starts from the issue targets', () => {
    expect(Object.keys(committed).sort()).toEqual(guarded.map((m) => m.id).sort());
    // Loss at 150k: the target is 0; the baseline sits at the floor any new baseline gets (limit 0.1 %).
    for (const m of guarded) expect(committed[m.id]).toMatchObject({ value: m.baselineFloor ?? m.target, direction: m.direction });
  });

  test('a healthy run passes every metric', () => {
    const report = compare(healthy(), committed);
    expect(report.failed).toBe(false);
    expect(report.counts).toMatchObject({ pass: guarded.length, regression: 0, missing: 0, untracked: METRICS.length - guarded.length });
  });

  test('a halved mcrd throughput is a regression of both chain throughput ratios', () => {
    const report = compare(load('chain-regressed.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', ...LATENCY), committed);
    expect(report.failed).toBe(true);
    expect(report.comparisons.filter((c) => c.verdict === 'regression').map((c) => c.id))
      .toEqual(['chain.throughput.mcrd/kernel', 'chain.throughput.mcrd/socat']);
  });

  test('a relay core that costs 2.5× the kernel\'s and a 3 ms queue below the throughput are regressions', () => {
    const report = compare(load('chain-queue-regressed.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', ...LATENCY), committed);
    expect(report.comparisons.filter((c) => c.verdict === 'regression').map((c) => c.id))
      .toEqual(['chain.relay-core-per-packet.mcrd/kernel@150k', 'chain.queue.mcrd-worst-p99-below-throughput']);
  });

  test('noise within tolerance passes: 1.6× the kernel\'s core cost, a 1.6 ms p99', () => {
    const report = compare(load('chain-noisy.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', ...LATENCY), committed);
    expect(report.failed).toBe(false);
    expect(report.comparisons.find((c) => c.id === 'chain.queue.mcrd-worst-p99-below-throughput')).toMatchObject({ have: 1600, verdict: 'pass' });
    expect(report.comparisons.find((c) => c.id === 'chain.relay-core-per-packet.mcrd/kernel@150k')).toMatchObject({ have: 1.6, verdict: 'pass' });
  });

  test('mcrd\'s defaults queueing in the latency suite (+120 µs p50, a 4 ms p99 at 50k) fail the job', () => {
    const report = compare(load('chain.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', 'latency-default-regressed.json', 'latency-busy-poll.json'), committed);
    expect(report.failed).toBe(true);
    expect(report.comparisons.filter((c) => c.verdict === 'regression').map((c) => c.id))
      .toEqual(['latency.p50-added.mcrd', 'latency.p99-added.mcrd', 'latency-default.queue.mcrd-worst-p99']);
  });

  test('latency noise of a shared VM passes: +60 µs p50, +1.44 ms p99, a 2.5 ms p99 at 10k', () => {
    const report = compare(load('chain.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', 'latency-default-noisy.json', 'latency-busy-poll.json'), committed);
    expect(report.failed).toBe(false);
    expect(report.comparisons.find((c) => c.id === 'latency.p50-added.mcrd')).toMatchObject({ have: 60, verdict: 'pass' });
    expect(report.comparisons.find((c) => c.id === 'latency.p99-added.mcrd')).toMatchObject({ have: 1440, verdict: 'pass' });
    expect(report.comparisons.find((c) => c.id === 'latency-default.queue.mcrd-worst-p99')).toMatchObject({ have: 2500, verdict: 'pass' });
  });

  test('a single duplicate or reordered datagram with 2 workers fails the job', () => {
    const report = compare(load('chain.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w-duplicates.json', ...LATENCY), committed);
    expect(report.comparisons.filter((c) => c.failed).map((c) => c.id)).toEqual(['scaling.dup-reorder.mcrd-2w']);
  });

  test('missing metrics fail only when the baseline requires them', () => {
    const report = compare(load('chain-kernel-skipped.json', 'dual-bridge.json', 'fanout-50.json'), committed);
    const missing = report.comparisons.filter((c) => c.verdict === 'missing');
    expect(missing.map((c) => [c.id, c.failed])).toEqual([
      ['chain.throughput.mcrd/kernel', false],
      ['latency.p50-added.mcrd', true], ['latency.p99-added.mcrd', true], ['latency.p50-added.mcrd-busy-poll', false],
      ['latency.p99-added.mcrd-busy-poll', false], ['latency.p50-added.kernel', false],
      ['chain.relay-core-per-packet.mcrd/kernel@150k', false], ['chain.relay-core-per-packet.mcrd/kernel@50k', false],
      ['latency-default.queue.mcrd-worst-p99', false], ['latency-busy-poll.queue.mcrd-worst-p99', false],
      ['scaling.throughput.mcrd-2w/1w', false], ['scaling.forwarding.mcrd-2w/1w', false], ['scaling.dup-reorder.mcrd-2w', false],
    ]);
    // Without the latency suite the required mcrd latency metrics are missing, and that fails.
    expect(report.failed).toBe(true);
    expect(compare(load('chain-kernel-skipped.json', 'dual-bridge.json', 'fanout-50.json', ...LATENCY), committed).failed).toBe(false);
    const strict: Baseline = { ...committed, 'chain.throughput.mcrd/kernel': { ...committed['chain.throughput.mcrd/kernel']!, required: true } };
    expect(compare(load('chain-kernel-skipped.json', 'dual-bridge.json', 'fanout-50.json', ...LATENCY), strict).failed).toBe(true);
  });

  test('a baseline entry no metric produces is reported as missing with the known names', () => {
    const report = compareMeasured(measure(healthy()), { ...committed, 'chain.typo': higher(1) });
    const extra = report.comparisons.at(-1)!;
    expect(extra).toMatchObject({ id: 'chain.typo', verdict: 'missing', failed: false });
    expect(extra.note).toContain('known: chain.throughput.mcrd/kernel');
  });

  test('a metric without a baseline entry is untracked and never fails', () => {
    const report = compare(healthy(), {});
    expect(report.counts.untracked).toBe(METRICS.length);
    expect(report.counts.untracked).toBeGreaterThan(guarded.length);
    expect(report.failed).toBe(false);
  });
});

describe('baseline file', () => {
  test.each([
    [{ m: { value: 'x', tolerance: 0.1, direction: 'higher-is-better' } }, 'b.json: m.value: expected a number'],
    [{ m: { value: 1, tolerance: -1, direction: 'higher-is-better' } }, 'b.json: m.tolerance: expected a relative tolerance >= 0 (0.25 = 25 %)'],
    [{ m: { value: 1, tolerance: 0.1, direction: 'up' } }, 'b.json: m.direction: expected "higher-is-better" or "lower-is-better"'],
    [{ m: { value: 1, tolerance: 0.1, direction: 'lower-is-better', tolerence: 1 } }, 'b.json: m: Unrecognized key: "tolerence"'],
  ])('%j is refused with a message naming the field', (input, message) => {
    expect(() => checkBaseline(input, 'b.json')).toThrow(message);
  });

  test('a new baseline takes this run\'s values and keeps tolerance and required from the old one', () => {
    const old: Baseline = { 'chain.throughput.mcrd/socat': { value: 4, tolerance: 0.1, direction: 'higher-is-better', required: false } };
    const next = baselineFrom(measure(load('chain-kernel-skipped.json')), old);
    expect(next['chain.throughput.mcrd/socat']).toEqual({ value: 4.5, tolerance: 0.1, direction: 'higher-is-better', required: false });
    // The placed chain's latency is reported, not guarded: idle-vCPU wake-ups set it (PLACED_LATENCY).
    expect(next['chain.latency.p50-added']).toBeUndefined();
    const lat = baselineFrom(measure(healthy()), {});
    expect(lat['latency.p50-added.mcrd']).toEqual({ value: 12, tolerance: 3, direction: 'lower-is-better', required: true });
    expect(lat['latency.p50-added.kernel']).toBeUndefined();
    // Measured loss 0 is recorded at the floor (limit 0.1 %), or any single lost packet would fail the next run.
    expect(next['chain.loss-at-150k.mcrd']).toEqual({ value: 0.0005, tolerance: 1, direction: 'lower-is-better', required: false });
    // kernel was skipped: no value, so no entry is invented for it.
    expect(next['chain.throughput.mcrd/kernel']).toBeUndefined();
    // Reported but too unstable to guard: never written into a baseline.
    const all = baselineFrom(measure(healthy()), {});
    expect(all['scaling.throughput.mcrd-2w/1w']).toBeUndefined();
    expect(all['scaling.dup-reorder.mcrd-2w']).toEqual({ value: 0, tolerance: 0, direction: 'lower-is-better', required: false });
  });
});
