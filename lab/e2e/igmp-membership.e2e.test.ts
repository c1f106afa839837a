/**
 * igmp-membership.yaml --quick: RFC 3918 join and leave delay of mcrd and of FRR + kernel forwarding
 * as IGMP routers, 10 join/leave cycles on each of two receivers (own LANs). Every cycle's report and
 * Leave must be seen on the receiver's link, every join must bring data and every leave stop it
 * within the routers' last-member query time; then nothing (namespaces, FRR daemons, state records,
 * processes) may be left. FRR is measured where the kernel has multicast routing; elsewhere it must
 * be skipped with exactly that reason (this machine's kernel: CONFIG_IP_MROUTE unset).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MembershipTest } from '../results/membership.js';
import type { Results } from '../results/types.js';
import { kernelMroutingMissing } from '../runners/mroute.js';
import { canNetns, frrProcessesOf, leftovers, mcrdBuilt, runLab, runQuick, tmpOut } from './helpers.js';

const mroute = kernelMroutingMissing();
if (mroute) process.stderr.write(`igmp-membership e2e: frr is expected to be skipped here: ${mroute}\n`);

describe.skipIf(!canNetns || !mcrdBuilt)('igmp-membership.yaml --quick', () => {
  const out = tmpOut('membership');
  let results: Results;
  let stdout = '';

  beforeAll(async () => {
    ({ results, stdout } = await runQuick('scenarios/igmp-membership.yaml', out));
  }, 170_000);
  afterAll(async () => { await runLab(['down', '--all']); });

  const test_ = (relay: string): MembershipTest => results.membership!.find((t) => t.relay === relay && t.name === 'join-leave')!;

  test('mcrd: every cycle of both receivers joins and leaves, seen on the wire', () => {
    const t = test_('mcrd');
    expect(t).toMatchObject({ kind: 'membership', offeredPps: 1000, cycles: 10, summary: { cyclesRun: 20, joinsCompleted: 20, leavesCompleted: 20, framesWhileLeft: 0 } });
    const receivers = t.repetitions[0]!.receivers;
    expect(receivers.map((r) => r.receiver).sort()).toEqual(['rx1', 'rx2']);
    for (const r of receivers) {
      expect(r).toMatchObject({ group: '239.1.1.1', port: 5000, settleFrames: 0, captureDrops: 0 });
      expect(r.cycles.map((c) => c.outcome)).toEqual(Array(10).fill('ok'));
      // The host stack delivered the data too, not only the wire: ~0.5 s of 1000 pps per cycle.
      expect(r.socketReceived).toBeGreaterThan(10 * 400);
    }
  });

  test('mcrd: join delay well under a second, leave delay about the last-member query time (2 × 0.5 s)', () => {
    const { joinDelayNs, leaveDelayNs, joinsExcluded, leavesExcluded } = test_('mcrd').summary;
    // Cycles in which the generator itself paused (a loaded machine) are kept but not in the figures.
    expect(joinDelayNs!.n + joinsExcluded!).toBe(20);
    expect(leaveDelayNs!.n + leavesExcluded!).toBe(20);
    expect(joinDelayNs!.median).toBeLessThan(500e6);
    expect(joinDelayNs!.q1).toBeLessThanOrEqual(joinDelayNs!.median);
    expect(joinDelayNs!.q3).toBeGreaterThanOrEqual(joinDelayNs!.median);
    expect(leaveDelayNs!.median).toBeGreaterThan(0.8e9);
    expect(leaveDelayNs!.median).toBeLessThan(2e9);
  });

  test.runIf(mroute === undefined)('frr + kernel: the same cycles complete', () => {
    expect(test_('frr').summary).toMatchObject({ cyclesRun: 20, joinsCompleted: 20, leavesCompleted: 20, framesWhileLeft: 0 });
  });

  test.runIf(mroute !== undefined)('frr is skipped, saying the kernel has no multicast routing', () => {
    expect(results.skipped).toContainEqual({ relay: 'frr', reason: `frr: ${mroute}` });
    expect(results.membership!.some((t) => t.relay === 'frr')).toBe(false);
  });

  test('report.md and the console show join and leave delay per router', async () => {
    const { readFile } = await import('node:fs/promises');
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('### membership (join-leave): RFC 3918 join and leave delay');
    expect(md).toMatch(/\| mcrd \| [\d.]+ ms \|/);
    expect(stdout).toMatch(/join-leave\s+mcrd\s+[\d.]+ ms \(IQR/);
  });

  test('nothing is left behind: namespaces, FRR daemons, state records, processes', () => {
    expect(leftovers(results.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
    expect(frrProcessesOf(results.runId)).toEqual([]);
  });
});
