/**
 * Interop case 1 (issue 11): mcrd and FRR 8.4 pimd on one LAN form an adjacency both ways, elect the
 * DR by priority and then by address, FRR forgets mcrd when mcrd leaves (goodbye Hello), and mcrd
 * expires FRR when FRR's pimd stops (holdtime 4 s from FRR's `ip pim hello 1 4`).
 *   f: FRR (f0 10.9.0.1/24) ── (r0 10.9.0.2/24) r: mcrd
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { scaled } from '../../test/support/time-scale.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { ctlJson } from './igmp-lab.js';
import { type Frr, pimHex, startFrr } from './pim-lab.js';

const INJECT = fileURLToPath(new URL('./pim-inject.py', import.meta.url));
const METRICS_PORT = 19471;

interface NeighborRow { interface: string; address: string; drPriority: number | null; dr: boolean }
type FrrNeighbors = Record<string, Record<string, { neighbor?: string }>>;
type FrrInterface = Record<string, { drAddress?: string; drPriority?: number }>;

describe.skipIf(!canNetns)(`PIM adjacency with FRR${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let frr: Frr | undefined;
  let mcrd: McrdHandle | undefined;
  let dir: string;
  let f: string;
  let r: string;

  beforeAll(async () => {
    lab = await Lab.create('adj', 'pim');
    await mkdir('/tmp/pim', { recursive: true });
    dir = await mkdtemp('/tmp/pim/mcrd-');
    f = await lab.ns('f');
    r = await lab.ns('r');
    await lab.veth(f, 'f0', '10.9.0.1/24', r, 'r0', '10.9.0.2/24');
    frr = await startFrr(lab, f, 'interface f0\n ip pim\n ip pim hello 1 4\n!\nip pim rp 10.9.0.1 224.0.0.0/4\n');
    const file = join(dir, 'mcrd.json5');
    await writeFile(file, JSON.stringify({ pim: { enabled: true, interfaces: [{ name: 'r0', dr_priority: 10, hello_period: 1 }], rp_address: '10.9.0.1' }, daemon: { metricsListen: `127.0.0.1:${METRICS_PORT}` } }));
    mcrd = await startMcrd({ netns: r, dir, args: ['--config', file] });
  }, scaled(30_000));

  afterAll(async () => {
    await mcrd?.stop().catch(() => {});
    await frr?.stop().catch(() => {});
    await lab?.destroy().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  const neighbors = async () => (await ctlJson<{ neighbors: NeighborRow[] }>(mcrd!, ['pim', 'neighbors'])).neighbors;
  const frrDr = async () => ((await frr!.vtysh('show ip pim interface f0 json')) as FrrInterface).f0?.drAddress;

  test('both sides see each other; the higher DR priority (mcrd, 10) wins on both', async () => {
    await waitFor(async () => (await neighbors()).some((n) => n.interface === 'r0' && n.address === '10.9.0.1'), 'FRR in mcrctl pim neighbors', 15_000, 100);
    await waitFor(async () => ((await frr!.vtysh('show ip pim neighbor json')) as FrrNeighbors).f0?.['10.9.0.2'], 'mcrd in FRR show ip pim neighbor', 15_000, 200);
    await waitFor(async () => (await frrDr()) === '10.9.0.2', 'FRR electing mcrd (priority 10) DR', 15_000, 200);
    const nb = (await neighbors()).find((n) => n.address === '10.9.0.1')!;
    expect(nb).toMatchObject({ interface: 'r0', drPriority: 1, dr: false });
  }, scaled(40_000));

  test('with equal priority the higher address (mcrd 10.9.0.2) wins; priority 0 hands DR to FRR', async () => {
    await mcrd!.ctl(['pim', 'enable', '--interface', 'r0', '--dr-priority', '1']);
    await waitFor(async () => (await frrDr()) === '10.9.0.2', 'FRR electing 10.9.0.2 DR by address', 10_000, 200);
    await mcrd!.ctl(['pim', 'enable', '--interface', 'r0', '--dr-priority', '0']);
    await waitFor(async () => (await frrDr()) === '10.9.0.1', 'FRR electing itself (priority 1 > 0) DR', 10_000, 200);
    await waitFor(async () => (await neighbors()).find((n) => n.address === '10.9.0.1')?.dr, 'mcrd electing FRR DR', 10_000, 100);
  }, scaled(30_000));

  test('case 8: malformed, misaddressed and non-neighbor PIM is counted by reason and dropped; the adjacency and the daemon are unharmed', async () => {
    const dropped = async (reason: string) => {
      const m = await lab.exec(r, ['curl', '-s', `http://127.0.0.1:${METRICS_PORT}/metrics`]);
      return Number(new RegExp(`^mcr_pim_dropped_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(m)?.[1] ?? 0);
    };
    const want = { badChecksum: 1, truncated: 1, badVersion: 1, badEncodedAddress: 3, badDestination: 3, notNeighbor: 1 };
    const before = Object.fromEntries(await Promise.all(Object.keys(want).map(async (k) => [k, await dropped(k)] as const)));
    const g = { addr: '239.9.9.9', maskLen: 32 };
    const jp = pimHex({ type: 'join-prune', upstream: '10.9.0.2', holdtime: 210, groups: [{ group: g, joins: [{ addr: '10.9.0.1', maskLen: 32, s: true, w: true, r: true }], prunes: [] }] });
    const assert = pimHex({ type: 'assert', group: g, source: '10.9.0.50', rpt: false, metricPreference: 0, metric: 0 });
    const inject = (dst: string, hex: string[], src?: string) => lab.exec(f, ['python3', INJECT, ...(src ? ['--src', src] : []), '10.9.0.1', dst, ...hex]);
    // Hello with holdtime 105 and a wrong checksum; a 2-byte message; version 3.
    await inject('224.0.0.13', ['2000' + 'f1e1' + '0001' + '0002' + '0069', '20', '30000000']);
    // Bogus encoded addresses (checksums right): J/P upstream of family 2, J/P source mask /24, Assert group mask /40.
    await inject('224.0.0.13', [
      pimHex({ type: 'join-prune', upstream: '10.9.0.2', holdtime: 210, groups: [] }, (b) => { b[4] = 2; }),
      pimHex({ type: 'join-prune', upstream: '10.9.0.2', holdtime: 210, groups: [{ group: g, joins: [{ addr: '10.9.0.1', maskLen: 32, s: true, w: true, r: true }], prunes: [] }] }, (b) => { b[4 + 6 + 4 + 8 + 4 + 3] = 24; }),
      pimHex({ type: 'assert', group: g, source: '10.9.0.50', rpt: false, metricPreference: 0, metric: 0 }, (b) => { b[7] = 40; }),
    ]);
    // Well-formed Hello, J/P and Assert sent unicast to mcrd instead of 224.0.0.13.
    await inject('10.9.0.2', ['2000df93' + '0001' + '0002' + '0069', jp, assert]);
    // A J/P to 224.0.0.13 from 10.9.0.77, which is on the LAN but sent no Hello.
    await inject('224.0.0.13', [jp], '10.9.0.77');
    await waitFor(async () => {
      for (const [k, n] of Object.entries(want)) if ((await dropped(k)) - before[k]! < n) return false;
      return true;
    }, 'every bad message counted', 5_000, 100);
    const after = Object.fromEntries(await Promise.all(Object.keys(want).map(async (k) => [k, (await dropped(k)) - before[k]!] as const)));
    console.log(`[pim-malformed] mcr_pim_dropped_total deltas: ${JSON.stringify(after)}`);
    expect(after).toEqual(want);
    // None of it created state; the adjacency stands both ways; the daemon answers.
    expect((await ctlJson<{ state: unknown[] }>(mcrd!, ['pim', 'state'])).state).toEqual([]);
    expect((await neighbors()).map((n) => n.address)).toEqual(['10.9.0.1']);
    expect(((await frr!.vtysh('show ip pim neighbor json')) as FrrNeighbors).f0?.['10.9.0.2']).toBeTruthy();
    expect((await mcrd!.ctl(['ping'])).code).toBe(0);
  }, scaled(15_000));

  test('pim disable sends a goodbye: FRR drops mcrd at once', async () => {
    await mcrd!.ctl(['pim', 'disable', '--interface', 'r0']);
    await waitFor(async () => !((await frr!.vtysh('show ip pim neighbor json')) as FrrNeighbors).f0?.['10.9.0.2'], 'mcrd gone from FRR neighbors', 3_000, 100);
    expect(await neighbors()).toEqual([]);
  }, scaled(15_000));

  test('FRR stopping is an expiry on mcrd after its holdtime', async () => {
    await mcrd!.ctl(['pim', 'enable', '--interface', 'r0']);
    await waitFor(async () => (await neighbors()).some((n) => n.address === '10.9.0.1'), 'FRR back in mcrctl pim neighbors', 10_000, 100);
    await lab.exec(f, ['sh', '-c', `kill -9 $(cat ${frr!.dir}/pimd.pid)`]);
    const t0 = Date.now();
    await waitFor(async () => (await neighbors()).length === 0, 'FRR expired from mcrctl pim neighbors', 8_000, 100);
    expect(Date.now() - t0).toBeGreaterThan(1000);
  }, scaled(25_000));
});
