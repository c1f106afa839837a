/**
 * Interop case 1, GenID (issue 11): mcrd A is the RP; FRR 8.4 sits between it and a last-hop mcrd B
 * with a kernel receiver, so B holds a (*,G) Join toward FRR and FRR one toward A.
 *   - FRR's pimd crashes and restarts: its new GenID is a neighbor restart for B, which sends its Join
 *     state again at once (t_override) instead of at its next periodic Join (60 s).
 *   - A crashes and restarts (no goodbye, within the holdtime): FRR answers A's first Hello at once.
 *     FRR 8.4 does not resend its Join on the GenID change (measured: it comes with FRR's periodic Join),
 *     so A regains the (*,G) state within 60 s; the test records when.
 * (FRR's own IGMP does not run on this kernel without CONFIG_IP_MROUTE, hence mcrd B as the last hop.)
 *
 *   h: mcr-sink h0 10.4.0.2 ── b1 (IGMP) B: mcrd b0 10.3.0.2 ── f0 10.3.0.1 f: FRR f1 10.6.0.1 ── r0 10.6.0.2 A: mcrd, RP
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SinkHandle, startSink } from '../../lab/traffic/traffic.js';
import { scaled } from '../../test/support/time-scale.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { Capture } from '../../test/support/capture.js';
import { type PimMcrd, dumpState, startPimMcrd } from './pim-data-lab.js';
import { type Frr, startFrr } from './pim-lab.js';

const G = '239.8.1.1';
const RP = '10.6.0.2';
const CONFIG = { pim: { enabled: true, interfaces: [{ name: 'r0', hello_period: 5 }], rp_address: RP } };

interface JoinRow { interface: string; source: string; group: string; state: string }
type FrrNeighbors = Record<string, Record<string, { upTime?: string; holdTime?: string }>>;
type FrrJoins = Record<string, Record<string, Record<string, { channelJoinName?: string }>>>;

describe.skipIf(!canNetns)(`GenID restarts between mcrd and FRR${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let frr: Frr | undefined;
  let m: PimMcrd | undefined;
  let b: PimMcrd | undefined;
  let sink: SinkHandle | undefined;
  const ns = { h: '', b: '', f: '', r: '' };

  beforeAll(async () => {
    lab = await Lab.create('gen', 'pd');
    for (const n of ['h', 'b', 'f', 'r'] as const) ns[n] = await lab.ns(n);
    await lab.veth(ns.h, 'h0', '10.4.0.2/24', ns.b, 'b1', '10.4.0.1/24');
    await lab.veth(ns.b, 'b0', '10.3.0.2/24', ns.f, 'f0', '10.3.0.1/24');
    await lab.veth(ns.f, 'f1', '10.6.0.1/24', ns.r, 'r0', `${RP}/24`);
    await lab.exec(ns.b, ['ip', 'route', 'add', '10.6.0.0/24', 'via', '10.3.0.1']);
    frr = await startFrr(lab, ns.f, `interface f0\n ip pim\n!\ninterface f1\n ip pim\n!\nip pim rp ${RP} 224.0.0.0/4\n`);
    m = await startPimMcrd(lab, ns.r, CONFIG, 19486);
    b = await startPimMcrd(lab, ns.b, {
      igmp: { enabled: true, querier_interfaces: ['b1'] },
      pim: { enabled: true, interfaces: [{ name: 'b0', hello_period: 5 }], rp_address: RP },
    }, 19487);
  }, scaled(40_000));

  afterAll(async () => {
    await sink?.stop().catch(() => {});
    await m?.stop().catch(() => {});
    await b?.stop().catch(() => {});
    await frr?.stop().catch(() => {});
    await lab?.destroy();
  });

  const starJoin = async () => (await m!.json<{ join: JoinRow[] }>(['pim', 'join'])).join.find((j) => j.group === G && j.source === '*' && j.interface === 'r0');
  const frrJoinFromB = async () => ((await frr!.vtysh('show ip pim join json')) as FrrJoins).f0?.[G]?.['*']?.channelJoinName === 'JOIN';

  test('FRR restarts (new GenID): mcrd sends its (*,G) Join again at once', async () => {
    sink = await startSink({ netns: ns.h, listen: [`${G}:5000`], interface: 'h0', durationS: 200 });
    await waitFor(frrJoinFromB, 'mcrd B\'s (*,G) Join in FRR show ip pim join', 20_000, 100);
    await waitFor(starJoin, 'FRR\'s (*,G) Join in mcrctl pim join on A', 20_000, 100).catch(async (err: Error) => {
      await dumpState(m!, frr);
      throw err;
    });
    // pimd crashes and comes back (zebra keeps running): its Hello carries a new GenID.
    await lab.exec(ns.f, ['sh', '-c', `kill -9 $(cat ${frr!.dir}/pimd.pid)`]);
    await lab.exec(ns.f, ['/usr/lib/frr/pimd', '-d', '-P', '0', '-f', `${frr!.dir}/pimd.conf`, '-i', `${frr!.dir}/pimd.pid`, '-z', `${frr!.dir}/zserv.api`, '--vty_socket', frr!.dir]);
    const restartedAt = Date.now();
    await waitFor(async () => (await m!.json<{ neighbors: Array<{ address: string; uptimeMs: number }> }>(['pim', 'neighbors'])).neighbors.some((n) => n.address === '10.6.0.1' && n.uptimeMs < Date.now() - restartedAt + 1000), 'A seeing FRR restart', 10_000, 50).catch(() => {});
    await waitFor(frrJoinFromB, 'mcrd B\'s (*,G) Join back in the restarted FRR', 15_000, 50).catch(async (err: Error) => {
      console.log(`[genid] FRR neighbors: ${JSON.stringify(await frr!.vtysh('show ip pim neighbor json').catch((e: Error) => e.message))}`);
      console.log(`[genid] FRR interfaces: ${JSON.stringify(await frr!.vtysh('show ip pim interface json').catch((e: Error) => e.message))}`);
      console.log(`[genid] pimd: ${await lab.exec(ns.f, ['sh', '-c', `ps -o pid,args -p $(cat ${frr!.dir}/pimd.pid)`]).catch((e: Error) => e.message)}`);
      await dumpState(b!, frr);
      throw err;
    });
    const resentMs = Date.now() - restartedAt;
    console.log(`[genid] FRR pimd restarted: mcrd B's (*,G) Join in FRR again ${resentMs} ms later (its periodic Join would be up to 60 s)`);
    // t_override (≤ 2.5 s) after FRR's first Hello, which FRR sends within its triggered-Hello delay.
    expect(resentMs).toBeLessThan(10_000);
  }, scaled(60_000));

  test('mcrd restarts without goodbye (new GenID): FRR answers at once with a Hello; its Join comes back at the latest with its periodic Join', async () => {
    await waitFor(starJoin, 'FRR\'s (*,G) Join in mcrctl pim join on A', 70_000, 100);
    // The pimd restarted by the test before knows A once A's triggered Hello (random delay up to 5 s)
    // has reached it; A's Join state from before the restart can be there sooner.
    const frrKnowsA = async () => ((await frr!.vtysh('show ip pim neighbor json')) as FrrNeighbors).f1?.[RP] !== undefined;
    await waitFor(frrKnowsA, 'A in FRR\'s show ip pim neighbor', 15_000, 100);
    // Crash: SIGKILL, no goodbye Hello. FRR keeps A as a neighbor (holdtime 17 s from hello_period 5).
    process.kill(m!.mcrd.pid, 'SIGKILL');
    await m!.mcrd.exited;
    await m!.stop();
    expect(((await frr!.vtysh('show ip pim neighbor json')) as FrrNeighbors).f1?.[RP]).toBeDefined();
    const cap = await Capture.start(ns.r, 'r0', 'ip proto 103', { verbose: true });
    try {
      m = await startPimMcrd(lab, ns.r, CONFIG, 19486);
      const restartedAt = Date.now();
      expect(await starJoin()).toBeUndefined();
      await waitFor(starJoin, 'FRR\'s (*,G) Join back on the restarted mcrd', 65_000, 100);
      const backMs = Date.now() - restartedAt;
      const ourHello = cap.matching(/10\.6\.0\.2 > 224\.0\.0\.13: PIMv2.*Hello/)[0];
      const theirHello = ourHello && cap.matching(/10\.6\.0\.1 > 224\.0\.0\.13: PIMv2.*Hello/, ourHello.at)[0];
      console.log(`[genid] mcrd restarted: FRR's triggered Hello ${theirHello ? (theirHello.at - ourHello.at).toFixed(1) : '?'} ms after mcrd's first Hello; FRR's (*,G) Join back after ${backMs} ms`);
      expect(theirHello).toBeDefined();
      expect(theirHello!.at - ourHello!.at).toBeLessThan(5000);
    } finally {
      await cap.stop();
    }
  }, scaled(90_000));
});
