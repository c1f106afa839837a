/**
 * pim-unroutable-register.yaml --quick: the router under test as DR of a source no route covers
 * (rp_filter=1), registering to an FRR RP with a receiver behind it.
 *  - FRR + kernel in the DR role cannot: the kernel's reverse-path check drops the stream, so no cycle
 *    completes a join, and the results say why (works wherever the kernel has multicast routing).
 *  - mcrd re-originates the stream onto its PIM interface and Registers it as DR.
 * On a kernel without multicast routing FRR's RP cannot forward at all: the run must refuse with that
 * reason (exit 69), which is what this machine can check.
 * @needs-kernel-mroute: on a host without it `npm test` runs this file again in the test VM (test/vm/),
 * whose kernel has it: there both routers run side by side, FRR's column must show the reverse-path
 * drop and mcrd's the registered stream delivered (timeouts stretched by scaled()). Figures printed.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MembershipTest } from '../results/membership.js';
import type { Results } from '../results/types.js';
import { kernelMroutingMissing } from '../runners/mroute.js';
import { scaled } from '../../test/support/time-scale.js';
import { canNetns, frrProcessesOf, leftovers, mcrdBuilt, runLab, runQuick, tmpOut } from './helpers.js';

const mroute = kernelMroutingMissing();
if (mroute) process.stderr.write(`pim-unroutable e2e: run --quick is expected to refuse here: ${mroute}\n`);

describe.runIf(canNetns && mroute !== undefined)('pim-unroutable-register.yaml on a kernel without multicast routing', () => {
  test('refuses with the reason (exit 69)', async () => {
    const res = await runLab(['run', 'scenarios/pim-unroutable-register.yaml', '--quick', '--no-progress', '--out', tmpOut('pimur-refused')]);
    expect(res.exitCode).toBe(69);
    expect(res.stderr).toContain(`FRR routers rp: ${mroute}`);
  });
});

describe.runIf(canNetns && mroute === undefined && mcrdBuilt)('pim-unroutable-register.yaml --quick', () => {
  const out = tmpOut('pimur');
  let results: Results;
  beforeAll(async () => {
    ({ results } = await runQuick('scenarios/pim-unroutable-register.yaml', out));
    for (const t of results.membership ?? []) {
      const d = (x: typeof t.summary.joinDelayNs) => x ? `median ${(x.median / 1e6).toFixed(1)} ms, IQR ${(x.q1 / 1e6).toFixed(1)}–${(x.q3 / 1e6).toFixed(1)} ms, min–max ${(x.min / 1e6).toFixed(1)}–${(x.max / 1e6).toFixed(1)} ms, n ${x.n}` : 'no data';
      console.log(`pim-unroutable ${t.name} ${t.relay}: join delay ${d(t.summary.joinDelayNs)}; leave delay ${d(t.summary.leaveDelayNs)}; ` +
        `joins ${t.summary.joinsCompleted}/${t.summary.cyclesRun}, leaves ${t.summary.leavesCompleted}/${t.summary.cyclesRun}; socket ${t.repetitions[0]?.receivers[0]?.socketReceived}`);
    }
  }, scaled(170_000));
  afterAll(async () => { await runLab(['down', '--all']); });
  const reg = (relay: string): MembershipTest => results.membership!.find((t) => t.relay === relay)!;

  test('FRR + kernel as DR delivers nothing, and the result says it is the reverse-path check', () => {
    const t = reg('frr');
    expect(t.summary).toMatchObject({ cyclesRun: 10, joinsCompleted: 0 });
    expect(t.notes).toContainEqual('frr: source 10.99.0.5 has no route on dr (RPF would drop it): FRR + kernel forwarding cannot forward stream s1 (0 delivered is the expected result)');
    expect(t.repetitions[0]!.receivers[0]!.socketReceived).toBe(0);
  });

  test('mcrd as DR registers the re-originated stream: every cycle joins and leaves', () => {
    const t = reg('mcrd');
    expect(t.summary).toMatchObject({ cyclesRun: 10, joinsCompleted: 10, leavesCompleted: 10 });
    expect(t.repetitions[0]!.receivers[0]!.socketReceived).toBeGreaterThan(0);
    expect(t.summary.joinDelayNs!.n + t.summary.joinsExcluded!).toBe(10);
    expect(t.summary.leaveDelayNs!.n + t.summary.leavesExcluded!).toBe(10);
  });

  test('nothing is left behind', () => {
    expect(leftovers(results.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
    expect(frrProcessesOf(results.runId)).toEqual([]);
  });
});
