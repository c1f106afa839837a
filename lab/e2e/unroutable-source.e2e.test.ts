/**
 * unroutable-source.yaml --quick: with rp_filter=1 and no route to the source, the kernel drops the
 * stream before local delivery, so socat receives nothing; kernel forwarding is skipped with the
 * reason; mcrd (AF_PACKET, before the IP layer) delivers everything.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Results } from '../results/types.js';
import { canNetns, fixed, leftovers, mcrdBuilt, readResults, runLab, tmpOut } from './helpers.js';

describe.skipIf(!canNetns)('unroutable-source.yaml --quick', () => {
  const out = tmpOut('unroutable');
  let results: Results;
  const relays = mcrdBuilt ? 'mcrd,socat,kernel,direct' : 'socat,kernel,direct';

  beforeAll(async () => {
    const res = await runLab(['run', 'scenarios/unroutable-source.yaml', '--quick', '--no-progress', '--relays', relays, '--out', out]);
    if (res.exitCode !== 0 && res.exitCode !== 1) throw new Error(`mcr-lab run failed (${res.exitCode}): ${res.stderr}`);
    results = readResults(out);
  });
  afterAll(async () => { await runLab(['down', '--all']); });

  test('socat receives nothing: the reverse-path filter drops the stream before local delivery', () => {
    const t = fixed(results, 'socat', 'fixed-2k')!;
    expect(t.sent).toBeGreaterThan(1000);
    expect(t.outputs[0]).toMatchObject({ received: 0, lost: t.sent });
    expect(t.lossRatio).toBe(1);
  });

  test('kernel forwarding is skipped, saying the source has no route', () => {
    expect(results.skipped).toContainEqual({ relay: 'kernel', reason: 'kernel: source 10.99.0.5 has no route on relay (RPF would drop it)' });
    expect(results.tests.some((t) => t.relay === 'kernel')).toBe(false);
  });

  test('direct (the egress path alone) delivers everything', () => {
    const t = fixed(results, 'direct', 'fixed-2k')!;
    expect(t.outputs[0]).toMatchObject({ received: t.sent, lost: 0 });
  });

  test.skipIf(!mcrdBuilt)('mcrd delivers everything despite the unroutable source', () => {
    expect(results.skipped.filter((x) => x.relay === 'mcrd')).toEqual([]);
    const t = fixed(results, 'mcrd', 'fixed-2k')!;
    expect(t.outputs[0]).toMatchObject({ received: t.sent, lost: 0, payloadErrors: 0 });
  });

  test('nothing is left behind', () => {
    expect(leftovers(results.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
  });
});
