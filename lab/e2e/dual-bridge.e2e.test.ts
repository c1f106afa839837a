/** dual-bridge.yaml --quick: relay between two bridged segments; all relays side by side, reports written, nothing left. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Results } from '../results/types.js';
import { canNetns, expectedSkips, fixed, leftovers, mcrdBuilt, measurable, readResults, runLab, tmpOut } from './helpers.js';

describe.skipIf(!canNetns)('dual-bridge.yaml --quick', () => {
  const out = tmpOut('dual');
  let results: Results;
  let stdout = '';
  const asked = mcrdBuilt ? ['mcrd', 'socat', 'kernel', 'direct'] : ['socat', 'kernel', 'direct'];
  const relays = measurable(asked);

  beforeAll(async () => {
    const res = await runLab(['run', 'scenarios/dual-bridge.yaml', '--quick', '--no-progress', '--relays', asked.join(','), '--out', out], { timeoutMs: 290_000 });
    if (res.exitCode !== 0 && res.exitCode !== 1) throw new Error(`mcr-lab run failed (${res.exitCode}): ${res.stderr}`);
    stdout = res.stdout;
    results = readResults(out);
  }, 300_000);
  afterAll(async () => { await runLab(['down', '--all']); });

  test('every relay ran every test of the scenario (kernel only where the kernel can forward multicast)', () => {
    expect(results.skipped).toEqual(expectedSkips(asked));
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

  test('each throughput search probed the top rate first and records the bracket it proved', () => {
    for (const relay of relays) {
      const t = results.tests.find((x) => x.relay === relay && x.kind === 'throughput');
      expect(t?.kind, relay).toBe('throughput');
      if (t?.kind !== 'throughput') continue;
      const rep = t.repetitions[0]!;
      expect(rep.steps[0]!.offeredPps, relay).toBe(450_000);
      expect(rep.bracket, relay).toBeDefined();
      expect(rep.throughputPps, relay).toBe(rep.bracket!.passPps);
      // Never credits more than the generator really sent.
      expect(rep.throughputPps, relay).toBeLessThanOrEqual(Math.max(...rep.steps.map((x) => x.achievedPps)) * 1.03);
      if (rep.bracket!.failPps !== null) expect(rep.bracket!.failPps, relay).toBeGreaterThan(rep.bracket!.passPps);
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
