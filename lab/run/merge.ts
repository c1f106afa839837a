/**
 * The test records of one relay from all its passes (session.ts runs one repetition of every test per
 * pass; run.ts interleaves the relays pass by pass): fixed-rate and latency trials collected in pass
 * order, throughput searches likewise, each summarized by lab/measure/stats.ts. Covered by merge.test.ts.
 */
import { fixedRateTest, latencyTest, throughputTest } from '../measure/stats.js';
import { median } from '../results/quantities.js';
import { MAX_P99_NS, MIN_ACHIEVED_RATIO } from '../results/verdict.js';
import type { RelayName, TestResult, ThroughputRepetition, Trial } from '../results/types.js';
import type { ResolvedTest } from '../scenario/resolve.js';
import type { TestOutcome } from './session.js';

/**
 * One record per test the relay ran, in scenario order.
 * @param passes the outcomes of each pass, in order (a pass that failed midway holds the tests it finished)
 */
export function mergePasses(relay: RelayName, tests: readonly ResolvedTest[], passes: readonly TestOutcome[][]): TestResult[] {
  const out: TestResult[] = [];
  for (const t of tests) {
    // Membership tests have records of their own (results.membership).
    if (t.kind === 'membership') continue;
    const mine = passes.flatMap((p) => p.filter((o) => o.test.name === t.name));
    if (mine.length === 0) continue;
    if (t.kind === 'throughput') {
      const reps = mine.flatMap((o): ThroughputRepetition[] => ('search' in o ? [o.search] : []));
      out.push(throughputTest(t.name, relay, t.lossTolerance, reps, {
        minPps: t.minPps, maxPps: t.maxPps, resolutionPps: t.resolutionPps, maxSteps: t.maxSteps,
        minAchievedRatio: MIN_ACHIEVED_RATIO, maxP99Ns: MAX_P99_NS,
      }));
      continue;
    }
    const trials = mine.flatMap((o): Trial[] => ('trial' in o ? [o.trial] : []));
    if (t.kind === 'fixed-rate') out.push(fixedRateTest(t.name, relay, t.ratePps, trials));
    else {
      // At a load fraction each pass may run at another rate (the throughput so far): the record's rate is their median.
      const rates = mine.flatMap((o) => ('ratePps' in o ? [o.ratePps] : []));
      out.push(latencyTest(t.name, relay, Math.round(median(rates)), t.loadFraction, trials));
    }
  }
  return out;
}

/**
 * What a latency test's loadFraction applies to: the median throughput of the named (or first)
 * throughput test over the passes so far, or that test's floor (minPps) when nothing passed.
 */
export function latencyBaseOf(tests: readonly ResolvedTest[], passes: readonly TestOutcome[][], name: string | undefined): number {
  const spec = tests.find((t) => t.kind === 'throughput' && (name === undefined || t.name === name));
  if (!spec || spec.kind !== 'throughput') return 1;
  const found = passes.flatMap((p) => p.flatMap((o) => (o.test.name === spec.name && 'search' in o ? [o.search.throughputPps] : [])));
  const tp = found.length ? median(found) : 0;
  return tp > 0 ? tp : spec.minPps;
}
