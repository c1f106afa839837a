/**
 * Both routers under test start in pim-lasthop.yaml's last-hop role from the one relay.router
 * description, next to the real FRR routers fh and rp: mcrd with its generated config, FRR (the
 * frr relay's runner) with its generated pimd.conf. Each start returns only once the router has a
 * PIM neighbor on both upstream interfaces, which FRR's own tables must confirm; stop() then ends it
 * and teardown leaves nothing. PIM's control plane needs no kernel multicast routing, so this runs
 * on kernels where `mcr-lab run` cannot (the frr relay's check would skip it there: its start is
 * called directly here).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, test } from 'vitest';
import { frrRunner } from '../runners/frr.js';
import { mcrdPaths, mcrdRunner } from '../runners/mcrd.js';
import type { RelayRunner } from '../runners/types.js';
import { loadScenarioFile } from '../scenario/load.js';
import { resolveScenario } from '../scenario/resolve.js';
import { topologyUp } from '../topology/build.js';
import { createContext, type RunContext } from '../topology/context.js';
import { teardown } from '../topology/teardown.js';
import { waitFor } from '../runners/process.js';
import { canNetns, frrProcessesOf, mcrdBuilt, root, tmpOut } from './helpers.js';

const vtysh = async (dir: string, cmd: string) => JSON.parse((await execa('vtysh', ['--vty_socket', dir, '-c', cmd])).stdout) as Record<string, Record<string, unknown>>;

describe.skipIf(!canNetns)('routers under test start in the PIM last-hop role', () => {
  let ctx: RunContext | undefined;
  afterEach(async () => {
    if (ctx) expect((await teardown(ctx, ctx.state)).errors).toEqual([]);
    ctx = undefined;
  });

  async function upWith(runner: RelayRunner) {
    const s = resolveScenario((await loadScenarioFile(join(root, 'scenarios/pim-lasthop.yaml'))).scenario, { quick: true });
    // The log lives outside the run directory, which teardown removes.
    ctx = createContext({ scenario: s.name, file: 'scenarios/pim-lasthop.yaml', signal: new AbortController().signal, logPath: join(tmpOut('router-start'), 'run.log') });
    await topologyUp(ctx, s);
    const t0 = Date.now();
    const handle = await runner.start(ctx, s);
    return { s, handle, ms: Date.now() - t0 };
  }

  test.runIf(mcrdBuilt)('mcrd: PIM neighbors fh and rp on upfh and uprp, and FRR sees mcrd', async () => {
    const { handle, ms } = await upWith(mcrdRunner(root));
    const c = ctx!;
    expect(handle.problem()).toBeUndefined();
    const out = execFileSync(process.execPath, [mcrdPaths(root).mcrctl, '--socket', join(c.runDir, 'mcrd.sock'), '--json', 'pim', 'neighbors']).toString();
    const nbrs = (JSON.parse(out) as { neighbors: Array<{ interface: string; address: string }> }).neighbors.map((n) => `${n.interface} ${n.address}`);
    expect(nbrs).toEqual(expect.arrayContaining(['upfh 10.0.13.1', 'uprp 10.0.23.2']));
    // FRR hears mcrd's Hellos (every 5 s here).
    const heard = async (host: string, ifname: string, addr: string) => addr in ((await vtysh(join(c.runDir, `frr-${host}`), 'show ip pim neighbor json'))[ifname] ?? {});
    await waitFor(async () => await heard('rp', 'rl0', '10.0.23.3') && await heard('fh', 'fl0', '10.0.13.2'), 'mcrd in the PIM neighbors of rp and fh', { timeoutMs: 15_000, intervalMs: 250 });
    process.stderr.write(`mcrd as last hop: started with both PIM neighbors in ${ms} ms\n`);
    await handle.stop();
    expect(handle.problem()).toMatch(/mcrd exited/);
  }, 90_000);

  test('frr: pimd with the generated config on lh, PIM on upfh, uprp and lan0, IGMP on lan0, neighbors fh and rp', async () => {
    const { handle, ms } = await upWith(frrRunner);
    const c = ctx!;
    const lh = join(c.runDir, 'frr-lh');
    expect(handle.pids).toHaveLength(2);
    expect(Object.keys(await vtysh(lh, 'show ip pim interface json'))).toEqual(expect.arrayContaining(['upfh', 'uprp', 'lan0']));
    const nbrs = await vtysh(lh, 'show ip pim neighbor json');
    expect(nbrs['upfh']).toHaveProperty(['10.0.13.1']);
    expect(nbrs['uprp']).toHaveProperty(['10.0.23.2']);
    expect(await vtysh(lh, 'show ip igmp interface json')).toHaveProperty(['lan0']);
    expect(await vtysh(lh, 'show ip pim rp-info json')).toHaveProperty(['10.0.23.2']);
    process.stderr.write(`frr as last hop: started with both PIM neighbors in ${ms} ms\n`);
    await handle.stop();
    expect(frrProcessesOf(c.runId).filter((p) => p.includes('/frr-lh/'))).toEqual([]);
    expect(handle.problem()).toMatch(/FRR zebra on lh \(pid \d+\) exited/);
  }, 90_000);
});
