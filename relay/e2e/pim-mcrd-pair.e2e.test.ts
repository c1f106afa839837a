/**
 * Interop case 8, first half (issue 11): two mcrds on one LAN. Neighbors both ways; DR by address with
 * equal priorities, then by priority after a runtime change, the same in both views; a GenID restart
 * (b killed without a goodbye and started again within its holdtime) is seen by a as a neighbor
 * restart (`mcrctl subscribe --events pim-neighbor`), never as a neighbor loss, with b's new GenID.
 *
 *   a: mcrd (a0 10.8.0.1/24) ── (b0 10.8.0.2/24) b: mcrd
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MCRCTL, type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, sh, skipReason, waitFor } from '../../test/support/netns.js';
import { ctlJson } from './igmp-lab.js';

if (!canNetns) console.warn(`skipping PIM mcrd pair e2e: ${skipReason}`);

interface NeighborRow { interface: string; address: string; drPriority: number | null; genId: number | null; dr: boolean }
interface InterfaceRow { interface: string; dr: string; isDr: boolean; genId: number; neighbors: number }
interface Side { name: 'a' | 'b'; ns: string; ifname: string; addr: string; dir: string; mcrd?: McrdHandle }

/** Hello every second; a holdtime long enough to restart a daemon within it (start-up and the triggered-Hello delay of up to 5 s). */
const pimConfig = (ifname: string) => ({ pim: { enabled: true, interfaces: [{ name: ifname, dr_priority: 1, hello_period: 1 }], hello_holdtime: 30, rp_address: '10.8.0.9' } });

describe.skipIf(!canNetns)('PIM: mcrd ↔ mcrd on one LAN', () => {
  let lab: Lab;
  let a: Side; let b: Side;
  let events: ChildProcess | undefined;
  let eventLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    lab = await Lab.create('pair', 'prot');
    await mkdir('/tmp/prot', { recursive: true });
    a = { name: 'a', ns: await lab.ns('a'), ifname: 'a0', addr: '10.8.0.1', dir: await mkdtemp('/tmp/prot/pair-a-') };
    b = { name: 'b', ns: await lab.ns('b'), ifname: 'b0', addr: '10.8.0.2', dir: await mkdtemp('/tmp/prot/pair-b-') };
    await lab.veth(a.ns, 'a0', '10.8.0.1/24', b.ns, 'b0', '10.8.0.2/24');
    for (const sd of [a, b]) {
      await writeFile(join(sd.dir, 'mcrd.json5'), JSON.stringify(pimConfig(sd.ifname)));
      sd.mcrd = await start(sd);
    }
  }, 40_000);

  afterAll(async () => {
    if (events && events.exitCode === null) events.kill();
    for (const sd of [a, b]) await sd?.mcrd?.stop().catch(() => {});
    await lab?.destroy().catch(() => {});
    for (const sd of [a, b]) if (sd) await rm(sd.dir, { recursive: true, force: true });
  });

  const start = (sd: Side) => startMcrd({ netns: sd.ns, dir: sd.dir, args: ['--config', join(sd.dir, 'mcrd.json5')] });
  const neighbors = async (sd: Side) => (await ctlJson<{ neighbors: NeighborRow[] }>(sd.mcrd!, ['pim', 'neighbors'])).neighbors;
  const iface = async (sd: Side) => (await ctlJson<{ interfaces: InterfaceRow[] }>(sd.mcrd!, ['pim', 'interfaces'])).interfaces.find((i) => i.interface === sd.ifname)!;
  /** Both views elect `dr`. */
  const electedBoth = async (dr: Side) => {
    const [ia, ib] = [await iface(a), await iface(b)];
    return ia.dr === dr.addr && ib.dr === dr.addr && ia.isDr === (dr === a) && ib.isDr === (dr === b);
  };

  test('neighbors both ways; DR by address with equal priority, then by priority, the same on both', async () => {
    const t0 = Date.now();
    await waitFor(async () => (await neighbors(a)).some((n) => n.address === b.addr) && (await neighbors(b)).some((n) => n.address === a.addr), 'a and b neighbors of each other', 15_000, 100);
    const adjacencyMs = Date.now() - t0;
    expect((await neighbors(a)).find((n) => n.address === b.addr)).toMatchObject({ interface: 'a0', drPriority: 1, genId: (await iface(b)).genId, dr: true });
    expect((await neighbors(b)).find((n) => n.address === a.addr)).toMatchObject({ interface: 'b0', drPriority: 1, genId: (await iface(a)).genId, dr: false });
    await waitFor(() => electedBoth(b), 'both electing b (10.8.0.2, higher address)', 3000, 100);

    const t1 = Date.now();
    expect((await a.mcrd!.ctl(['pim', 'enable', '--interface', 'a0', '--dr-priority', '5'])).code).toBe(0);
    await waitFor(() => electedBoth(a), 'both electing a (priority 5)', 8000, 100);
    const priorityMs = Date.now() - t1;
    expect((await neighbors(b)).find((n) => n.address === a.addr)).toMatchObject({ drPriority: 5, dr: true });
    console.log(`[pim-pair] adjacency both ways ${adjacencyMs} ms after both answered; DR moved to a ${priorityMs} ms after its priority change`);
  }, 40_000);

  test('GenID restart: b killed without a goodbye and started again is a restart on a, never a loss, with b\'s new GenID', async () => {
    events = spawn(process.execPath, [MCRCTL, '--socket', a.mcrd!.socket, '--json', 'subscribe', '--events', 'pim-neighbor'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    events.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l.trim()) eventLines.push(JSON.parse(l) as Record<string, unknown>);
    });
    await new Promise((r) => setTimeout(r, 300));  // the subscription is registered
    eventLines = eventLines.filter((e) => e.type === 'pim-neighbor');
    const oldGenId = (await iface(b)).genId;
    const workers = (await ctlJson<{ workers: Array<{ pid: number | null }> }>(b.mcrd!, ['workers'])).workers.map((w) => w.pid).filter((p): p is number => p !== null);

    process.kill(b.mcrd!.pid, 'SIGKILL');
    await b.mcrd!.exited;
    // Its data-plane workers follow it out (their IPC channel closed); never leave one behind.
    await waitFor(async () => (await sh(['sh', '-c', `for p in ${workers.join(' ')}; do kill -0 $p 2>/dev/null && echo $p; done; true`])).trim() === '', 'b\'s workers gone', 5000, 100)
      .catch(async (e: Error) => { for (const p of workers) await sh(['kill', '-9', String(p)]).catch(() => {}); throw e; });
    const killedAt = Date.now();
    b.mcrd = await start(b);
    const newGenId = (await iface(b)).genId;
    expect(newGenId).not.toBe(oldGenId);

    const restart = await waitFor(() => eventLines.find((e) => e.change === 'restart' && e.neighbor === b.addr), 'a seeing b restart (pim-neighbor restart event)', 10_000, 50);
    const restartMs = Date.now() - killedAt;
    expect(restart).toMatchObject({ type: 'pim-neighbor', interface: 'a0', genId: newGenId });
    // a never lost b: no down or expiry in between.
    expect(eventLines.filter((e) => e.neighbor === b.addr && e.change !== 'restart' && e.change !== 'up')).toEqual([]);
    expect((await neighbors(a)).find((n) => n.address === b.addr)).toMatchObject({ genId: newGenId });
    await waitFor(async () => (await neighbors(b)).some((n) => n.address === a.addr), 'b (restarted) seeing a again', 10_000, 100);
    await waitFor(() => electedBoth(a), 'both electing a again', 5000, 100);
    console.log(`[pim-pair] GenID restart (0x${oldGenId.toString(16)} → 0x${newGenId.toString(16)}) seen by a ${restartMs} ms after b was killed; events on a: ${eventLines.map((e) => `${String(e.change)} ${String(e.neighbor)}`).join(', ')}`);
  }, 40_000);
});
