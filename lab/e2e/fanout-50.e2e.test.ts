/** fanout-50.yaml --quick: one stream to 50 outputs; socat needs 50 processes; per-output delivery; kernel not asked. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Results } from '../results/types.js';
import { canNetns, fixed, leftovers, mcrdBuilt, readResults, runLab, tmpOut } from './helpers.js';

describe.skipIf(!canNetns)('fanout-50.yaml --quick', () => {
  const out = tmpOut('fanout');
  let results: Results;
  const relays = mcrdBuilt ? ['mcrd', 'socat', 'direct'] : ['socat', 'direct'];

  beforeAll(async () => {
    // No calibration: this test is about 50 outputs, and 50 socat processes are slow enough to start on a busy machine.
    const res = await runLab(['run', 'scenarios/fanout-50.yaml', '--quick', '--no-progress', '--no-calibrate', '--relays', relays.join(','), '--out', out], { timeoutMs: 290_000 });
    if (res.exitCode !== 0 && res.exitCode !== 1) throw new Error(`mcr-lab run failed (${res.exitCode}): ${res.stderr}`);
    results = readResults(out);
  }, 300_000);
  afterAll(async () => { await runLab(['down', '--all']); });

  test('socat ran as 50 processes, one per output', () => {
    const log = readFileSync(join(out, 'run.log'), 'utf8');
    const socats = log.split('\n').filter((l) => / socat -u UDP4-RECV:5001,ip-add-membership=239\.1\.1\.1:in0,reuseaddr,rcvbuf=1342177 UDP4-SEND:239\.10\.0\.\d+:6000/.test(l) && l.includes('→ pid'));
    expect(socats).toHaveLength(50);
  });

  test('every one of the 50 outputs is reported on its own, and at 500 pps each gets the stream', () => {
    for (const relay of relays) {
      const t = fixed(results, relay, 'fixed-500')!;
      expect(t.outputs.map((o) => o.name)).toEqual(Array.from({ length: 50 }, (_, i) => `out-${i + 1}`));
      expect(t.outputs.map((o) => o.group)).toContain('239.10.0.50');
      for (const o of t.outputs) expect(o.received, `${relay} ${o.name}`).toBeGreaterThan(0);
      expect(t.lossRatio, relay).toBeLessThan(0.05);
    }
  });

  test('direct offers every output its copy: 50 × the offered rate leaves the generator', () => {
    const t = fixed(results, 'direct', 'fixed-500')!;
    expect(t.sent).toBeGreaterThan(50 * 400);
    expect(t.outputs[0]!.received).toBeGreaterThan(400);
  });

  test('nothing is left behind', () => {
    expect(leftovers(results.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
  });
});
