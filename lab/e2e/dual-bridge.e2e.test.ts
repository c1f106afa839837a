/**
 * dual-bridge.yaml --quick: relay between two bridged segments; all relays side by side, reports written,
 * nothing left. Where the kernel has no multicast routing (CONFIG_IP_MROUTE), `run` skips the kernel
 * relay saying so, accepted here only then (lab/e2e/chain.e2e.test.ts covers it in the test VM).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Results } from '../results/types.js';
import { canNetns, fixed, leftovers, mcrdBuilt, mrouteSkips, readResults, runLab, tmpOut } from './helpers.js';

describe.skipIf(!canNetns)('dual-bridge.yaml --quick', () => {
  const out = tmpOut('dual');
  let results: Results;
  let stdout = '';
  const asked = mcrdBuilt ? ['mcrd', 'socat', 'kernel', 'direct'] : ['socat', 'kernel', 'direct'];
  const { skipped, measured: relays } = mrouteSkips(asked);

  beforeAll(async () => {
    const res = await runLab(['run', 'scenarios/dual-bridge.yaml', '--quick', '--no-progress', '--relays', asked.join(','), '--out', out]);
    if (res.exitCode !== 0 && res.exitCode !== 1) throw new Error(`mcr-lab run failed (${res.exitCode}): ${res.stderr}`);
    stdout = res.stdout;
    results = readResults(out);
  });
  afterAll(async () => { await runLab(['down', '--all']); });

  test('every relay ran every test of the scenario; the kernel relay is skipped only without kernel multicast routing', () => {
    expect(results.skipped).toEqual(skipped);
    for (const relay of relays) {
      expect(results.tests.filter((t) => t.relay === relay).map((t) => t.name).sort(), relay).toEqual(['fixed-100k', 'fixed-10k', 'latency', 'throughput']);
    }
  });

  test('at 10k pps every relay delivers across both bridges', () => {
    for (const relay of relays) {
      const t = fixed(results, relay, 'fixed-10k')!;
      expect(t.outputs[0]!.received, relay).toBeGreaterThan(t.sent * 0.99);
      expect(t.outputs[0]!.payloadErrors, relay).toBe(0);
    }
  });

  test('each throughput search probed its bounds and credits no more than the generator offered', () => {
    for (const relay of relays) {
      const t = results.tests.find((x) => x.relay === relay && x.kind === 'throughput');
      expect(t?.kind, relay).toBe('throughput');
      if (t?.kind !== 'throughput') continue;
      const rep = t.repetitions[0]!;
      expect(rep.steps.map((x) => x.offeredPps), relay).toContain(400_000);
      expect(rep.throughputPps, relay).toBeLessThanOrEqual(Math.max(...rep.steps.map((x) => x.achievedPps)) * 1.03);
    }
    // Without a relay in the path, the search's floor (10k pps) across a bridge gets through.
    const direct = results.tests.find((x) => x.relay === 'direct' && x.kind === 'throughput');
    expect(direct?.kind === 'throughput' && direct.summary.throughputPps.median).toBeGreaterThan(0);
  });

  test('results.json is written next to the run log, and the summary is printed', () => {
    expect(existsSync(join(out, 'run.log'))).toBe(true);
    expect(readFileSync(join(out, 'run.log'), 'utf8')).toMatch(/ip -n mcl[0-9a-f]{6}-sw link add br0 type bridge/);
    expect(stdout).toMatch(/results: .*results\.json/);
  });

  test('nothing is left behind', () => {
    expect(leftovers(results.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
  });
});
