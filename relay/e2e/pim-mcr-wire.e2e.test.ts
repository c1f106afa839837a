/**
 * MCR's PIM wire requests and mcrctl forms against a real mcrd whose PIM neighbor is FRR 8.4's pimd:
 * "GetPimNeighbors" reports FRR in MCR's PimNeighborInfo shape, {"EnablePim":…} with a DR priority
 * makes FRR elect mcrd (FRR's `show ip pim interface json` says so), {"SetStaticRp":…} shows in
 * `mcrctl pim rp`, {"DisablePim":…} sends the goodbye that makes FRR drop mcrd at once, and MSDP and
 * injected neighbors are refused with what to do instead.
 *   f: FRR (f0 10.9.1.1/24) ── (r0 10.9.1.2/24) r: mcrd
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { askMcr } from '../../test/support/mcr-wire.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { scaled } from '../../test/support/time-scale.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { ctlJson } from './igmp-lab.js';
import { type Frr, startFrr } from './pim-lab.js';

type FrrNeighbors = Record<string, Record<string, { neighbor?: string }>>;
type FrrInterface = Record<string, { drAddress?: string }>;
interface McrNeighbor { interface: string; address: string; dr_priority: number; is_dr: boolean; expires_in_secs: number | null; generation_id: number | null; source: string }

describe.skipIf(!canNetns)(`MCR's PIM requests against FRR${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let frr: Frr | undefined;
  let mcrd: McrdHandle | undefined;
  let dir: string;
  let f: string;
  let r: string;

  beforeAll(async () => {
    lab = await Lab.create('mwire', 'cmpt');
    await mkdir('/tmp/pim', { recursive: true });
    dir = await mkdtemp('/tmp/pim/cmpt-');
    f = await lab.ns('f');
    r = await lab.ns('r');
    await lab.veth(f, 'f0', '10.9.1.1/24', r, 'r0', '10.9.1.2/24');
    frr = await startFrr(lab, f, 'interface f0\n ip pim\n ip pim hello 1 4\n!\nip pim rp 10.9.1.1 224.0.0.0/4\n');
    const file = join(dir, 'mcrd.json5');
    await writeFile(file, JSON.stringify({ pim: { enabled: true, interfaces: [{ name: 'r0', hello_period: 1 }] } }));
    mcrd = await startMcrd({ netns: r, dir, args: ['--config', file] });
  }, scaled(30_000));

  afterAll(async () => {
    await mcrd?.stop().catch(() => {});
    await frr?.stop().catch(() => {});
    await lab?.destroy().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  const mcrNeighbors = async () => ((await askMcr(mcrd!.socket, 'GetPimNeighbors')).PimNeighbors ?? []) as McrNeighbor[];
  const frrDr = async () => ((await frr!.vtysh('show ip pim interface f0 json')) as FrrInterface).f0?.drAddress;
  const frrSeesMcrd = async () => Boolean(((await frr!.vtysh('show ip pim neighbor json')) as FrrNeighbors).f0?.['10.9.1.2']);

  test('"GetPimNeighbors" reports FRR in MCR\'s shape, the same neighbor mcrctl --format mcr prints', async () => {
    await waitFor(async () => (await mcrNeighbors()).length === 1, 'FRR in GetPimNeighbors', 15_000, 100);
    const [nb] = await mcrNeighbors();
    expect(nb).toEqual({ interface: 'r0', address: '10.9.1.1', dr_priority: 1, is_dr: expect.any(Boolean), expires_in_secs: expect.any(Number), generation_id: expect.any(Number), source: 'PimHello' });
    // FRR's `ip pim hello 1 4`: holdtime 4 s, refreshed every second.
    expect(nb!.expires_in_secs).toBeGreaterThan(0);
    expect(nb!.expires_in_secs).toBeLessThanOrEqual(4);
    const printed = await mcrd!.ctl(['--format', 'mcr', 'pim', 'neighbors']);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toMatchObject({ PimNeighbors: [{ interface: 'r0', address: '10.9.1.1', dr_priority: 1, source: 'PimHello' }] });
  }, scaled(30_000));

  test('{"EnablePim":{"dr_priority":10}} makes FRR elect mcrd DR; {"DisablePim"} makes FRR drop mcrd at once', async () => {
    await waitFor(frrSeesMcrd, 'mcrd in FRR show ip pim neighbor', 15_000, 200);
    expect(await askMcr(mcrd!.socket, { EnablePim: { interface: 'r0', dr_priority: 10 } })).toEqual({ Success: 'PIM enabled on r0 (IP: 10.9.1.2, DR priority: 10)' });
    await waitFor(async () => (await frrDr()) === '10.9.1.2', 'FRR electing mcrd (priority 10) DR', 10_000, 200);
    expect(await askMcr(mcrd!.socket, { DisablePim: { interface: 'r0' } })).toEqual({ Success: 'PIM disabled on r0' });
    await waitFor(async () => !(await frrSeesMcrd()), 'mcrd gone from FRR neighbors (goodbye Hello)', 3_000, 100);
    expect(await mcrNeighbors()).toEqual([]);
    // MCR's dr_priority null is the default priority, 1: FRR (also 1, lower address) loses DR again.
    expect(await askMcr(mcrd!.socket, { EnablePim: { interface: 'r0', dr_priority: null } })).toEqual({ Success: 'PIM enabled on r0 (IP: 10.9.1.2, DR priority: 1)' });
    await waitFor(frrSeesMcrd, 'mcrd back in FRR neighbors', 10_000, 200);
  }, scaled(40_000));

  test('{"SetStaticRp"} sets the range mcrctl pim rp shows; MSDP, RPF providers and injected neighbors are refused saying what to do', async () => {
    expect(await askMcr(mcrd!.socket, { SetStaticRp: { group_prefix: '239.5.0.0/16', rp_address: '10.9.1.1' } })).toEqual({ Success: 'Static RP 10.9.1.1 set for group prefix 239.5.0.0/16' });
    const rp = await ctlJson<{ rp: { ranges: Array<{ range: string; rp: string; source: string }> } }>(mcrd!, ['pim', 'rp']);
    expect(rp.rp.ranges).toContainEqual(expect.objectContaining({ range: '239.5.0.0/16', rp: '10.9.1.1', source: 'static' }));
    expect((await askMcr(mcrd!.socket, { SetStaticRp: { group_prefix: '239.5.0.1/16', rp_address: '10.9.1.1' } })).Error)
      .toBe('SetStaticRp group_prefix: group range "239.5.0.1/16": expected G/LEN like 239.0.0.0/8 with no host bits');
    expect((await askMcr(mcrd!.socket, { SetStaticRp: { group_prefix: '239.5.0.0/16', rp_address: '239.9.9.9' } })).Error)
      .toBe('SetStaticRp rp_address: expected a unicast RP address like 10.0.0.9, got "239.9.9.9"');
    expect(await askMcr(mcrd!.socket, 'ListExternalNeighbors')).toEqual({ ExternalNeighbors: [] });
    expect((await askMcr(mcrd!.socket, { AddExternalNeighbor: { neighbor: { address: '10.9.1.7', interface: 'r0', dr_priority: null, tag: null } } })).Error)
      .toMatch(/^AddExternalNeighbor: mcrd learns PIM neighbors from their Hellos only/);
    expect((await askMcr(mcrd!.socket, 'GetMsdpPeers')).Error).toMatch(/^GetMsdpPeers: not supported by mcrd: mcrd has no MSDP; run it in FRR/);
    const cli = await mcrd!.ctl(['pim', 'add-neighbor', '--address', '10.9.1.7', '--interface', 'r0']);
    expect(cli).toMatchObject({ code: 64 });
    expect(cli.stderr).toMatch(/^mcrctl: pim add-neighbor: not supported by mcrd: mcrd learns PIM neighbors from their Hellos only/);
    expect((await mcrd!.ctl(['msdp', 'peers'])).stderr).toMatch(/^mcrctl: msdp peers: not supported by mcrd: mcrd has no MSDP/);
    // The daemon kept serving and the adjacency stands.
    expect((await mcrNeighbors()).map((n) => n.address)).toEqual(['10.9.1.1']);
  }, scaled(30_000));
});
