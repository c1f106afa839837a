/** chain.yaml in --quick mode: completes, leaves nothing behind, and at 1k pps mcrd and socat deliver everything. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Results } from '../results/types.js';
import { canNetns, fixed, leftovers, mcrdBuilt, readResults, runLab, tmpOut } from './helpers.js';

describe.skipIf(!canNetns)('chain.yaml --quick', () => {
  const out = tmpOut('chain');
  let exitCode: number | undefined;
  let results: Results;
  const relays = mcrdBuilt ? 'mcrd,socat,kernel,direct' : 'socat,kernel,direct';

  beforeAll(async () => {
    if (!mcrdBuilt) process.stderr.write('chain e2e: mcrd not built, measuring socat, kernel and direct only\n');
    const res = await runLab(['run', 'scenarios/chain.yaml', '--quick', '--no-progress', '--relays', relays, '--out', out]);
    exitCode = res.exitCode;
    if (res.exitCode !== 0 && res.exitCode !== 1) throw new Error(`mcr-lab run failed (${res.exitCode}): ${res.stderr}`);
    results = readResults(out);
  });
  afterAll(async () => { await runLab(['down', '--all']); });

  test('the run completes and writes results for every relay it was asked for', () => {
    expect(results).toMatchObject({ schemaVersion: 1, scenario: { name: 'chain', quick: true } });
    expect(results.skipped).toEqual([]);
    expect(new Set(results.tests.map((t) => t.relay))).toEqual(new Set(relays.split(',')));
  });

  test('at 1k pps socat, kernel and direct deliver every datagram, byte-exact and in order', () => {
    for (const relay of ['socat', 'kernel', 'direct']) {
      const t = fixed(results, relay, 'fixed-1k');
      expect(t, relay).toBeDefined();
      expect(t!.sent).toBeGreaterThan(500);
      expect(t!.outputs[0], relay).toMatchObject({ received: t!.sent, lost: 0, duplicates: 0, payloadErrors: 0, reordered: 0 });
    }
  });

  test.skipIf(!mcrdBuilt)('at 1k pps mcrd delivers every datagram and its CPU time is recorded', () => {
    expect(results.skipped.filter((x) => x.relay === 'mcrd')).toEqual([]);
    const t = fixed(results, 'mcrd', 'fixed-1k')!;
    expect(t.outputs[0]).toMatchObject({ received: t.sent, lost: 0, payloadErrors: 0 });
    expect(t.relayCpuNs).toBeGreaterThan(0);
  });

  test('socat CPU time is recorded per packet; kernel and direct have none', () => {
    expect(fixed(results, 'socat', 'fixed-1k')!.relayCpuNsPerPacket).toBeGreaterThan(0);
    expect(fixed(results, 'kernel', 'fixed-1k')!.relayCpuNs).toBeUndefined();
    expect(fixed(results, 'direct', 'fixed-1k')!.relayCpuNs).toBeUndefined();
  });

  test('the exit code follows the thresholds', () => {
    expect(exitCode).toBe(results.pass ? 0 : 1);
  });

  test('nothing is left behind: no namespace, state record or process of the run', () => {
    expect(leftovers(results.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
  });
});
