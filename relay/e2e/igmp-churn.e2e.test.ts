/**
 * Membership churn (issue 10): 50 groups × 2 interfaces, a join or a leave every 100 ms for 30 s by
 * real kernel receivers (relay/e2e/igmp-members.py holds the memberships; the kernels send the reports),
 * driven by a seeded schedule, while a static stream flows out of both interfaces. Every MRIB change is
 * an engine table swap: the static stream must lose nothing, and once the last Leave has had its
 * last-member query time, `mcrctl igmp groups` and `mcrctl mroute` must match the receivers exactly.
 *
 *   g (g0) ── r0 r: mcrd, static rule r0 → r1 + r2, IGMP querier on r1 and r2 ── r1 ── s0 s: receiver + sink
 *                                                                               └ r2 ── t0 t: receiver + sink
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { type IgmpRelay, startIgmpRelay } from './igmp-lab.js';

if (!canNetns) console.warn(`skipping IGMP churn e2e: ${skipReason}`);

const MEMBERS = fileURLToPath(new URL('./igmp-members.py', import.meta.url));
const SEED = 20261205;
const GROUPS = Array.from({ length: 50 }, (_, i) => `239.3.0.${i + 1}`);
const STEPS = 300;
const STEP_MS = 100;
const STATIC = '239.2.0.1';
const RATE = 2000;
const COUNT = RATE * 33;
const LMQT_MS = 400;
const IGMP = {
  enabled: true, querier_interfaces: ['r1', 'r2'], upstream_interfaces: ['r0'],
  query_interval: 10, query_response_interval: 2, last_member_query_interval: 0.2, last_member_query_count: 2,
};
const RULES = [{ name: 'static', input: { interface: 'r0', group: STATIC, port: 5000 }, outputs: [{ interface: 'r1', group: STATIC, port: 5000 }, { interface: 'r2', group: STATIC, port: 5000 }] }];

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A kernel receiver process on one interface: joins and leaves on command. */
class Receiver {
  private out = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
  }

  static async start(ns: string, ifaddr: string): Promise<Receiver> {
    const child = spawn('ip', ['netns', 'exec', ns, 'python3', MEMBERS, ifaddr], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('ready')) resolve(); });
      child.once('exit', (code) => reject(new Error(`igmp-members.py exited ${code}: ${err}`)));
    });
    return new Receiver(child);
  }

  send(cmd: string): void {
    if (this.out.includes('"error"')) throw new Error(`receiver failed: ${this.out}`);
    this.child.stdin!.write(`${cmd}\n`);
  }

  /** The groups the receiver's socket holds, as it reports them. */
  async held(): Promise<string[]> {
    const before = this.out.length;
    this.send('?');
    const line = await waitFor(() => this.out.slice(before).split('\n').find((l) => l.startsWith('[')), 'receiver answering ?', 2000, 10);
    return JSON.parse(line) as string[];
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

describe.skipIf(!canNetns)('IGMP membership churn while a static stream flows', () => {
  let relay: IgmpRelay;
  let t = '';
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    relay = await startIgmpRelay('churn', { igmp: IGMP, rules: RULES }, {
      family: 'prot',
      before: async (lab, { r, s }) => {
        t = await lab.ns('t');
        await lab.veth(r, 'r2', '10.4.0.1/24', t, 't0', '10.4.0.2/24');
        // Linux allows 20 memberships per socket by default.
        for (const ns of [s, t]) await lab.sysctl(ns, 'net.ipv4.igmp_max_memberships', 64);
      },
    });
  }, 30_000);

  afterAll(async () => {
    for (const r of receivers) r.stop();
    await relay?.destroy();
  });

  test(`${STEPS} joins/leaves of ${GROUPS.length} groups on 2 interfaces, one per ${STEP_MS} ms (seed ${SEED}): static stream intact, final membership exact`, async () => {
    const sides = [{ ns: relay.s, ifname: 'r1', dev: 's0', addr: '10.2.0.2' }, { ns: t, ifname: 'r2', dev: 't0', addr: '10.4.0.2' }];
    for (const sd of sides) receivers.push(await Receiver.start(sd.ns, sd.addr));
    const sinks = await Promise.all(sides.map((sd) => startSink({ netns: sd.ns, listen: [`${STATIC}:5000`], interface: sd.dev, expectCount: COUNT, durationS: 60 })));
    for (const sd of sides) await relay.waitGroup(STATIC, true, 3000, sd.ifname);
    const gen = runGenerator({ netns: relay.g, dst: [`${STATIC}:5000`], interface: 'g0', ratePps: RATE, count: COUNT, payloadBytes: 200, ttl: 8 });

    const rand = prng(SEED);
    const model = sides.map(() => new Set<string>());
    let joins = 0;
    const t0 = Date.now();
    for (let i = 0; i < STEPS; i++) {
      const side = rand() < 0.5 ? 0 : 1;
      const group = GROUPS[Math.floor(rand() * GROUPS.length)]!;
      const held = model[side]!;
      const join = !held.has(group);
      if (join) { held.add(group); joins++; } else held.delete(group);
      receivers[side]!.send(`${join ? '+' : '-'}${group}`);
      const wait = t0 + (i + 1) * STEP_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const churnMs = Date.now() - t0;
    for (const [i, rx] of receivers.entries()) expect((await rx.held()).sort()).toEqual([...model[i]!].sort());

    // Membership converges to the receivers' within the last Leave's last-member query time (+ slack).
    const want = sides.flatMap((sd, i) => [...model[i]!].map((g) => `${sd.ifname} ${g}`)).sort();
    const churned = async () => (await relay.groups()).filter((x) => x.group.startsWith('239.3.0.')).map((x) => `${x.interface} ${x.group}`).sort();
    const endAt = Date.now();
    await waitFor(async () => JSON.stringify(await churned()) === JSON.stringify(want), 'mcrctl igmp groups matching the receivers', LMQT_MS + 2000, 20)
      .catch(async (e: Error) => { throw new Error(`${e.message}\nwant ${want.join(', ')}\ngot  ${(await churned()).join(', ')}`); });
    const convergedMs = Date.now() - endAt;

    // The MRIB: per churned group, the capture on the upstream r0 sends to exactly the member interfaces; no route without members.
    const routes = await relay.mroute();
    for (const g of GROUPS) {
      const members = sides.filter((_, i) => model[i]!.has(g)).map((sd) => sd.ifname);
      const learned = routes.filter((m) => m.group === g && m.origin === 'igmp');
      if (members.length === 0) { expect(learned, g).toEqual([]); continue; }
      const up = learned.filter((m) => m.iif === 'r0');
      expect(up, g).toHaveLength(1);
      expect(up[0]!.oifs.map((o) => o.interface).sort(), g).toEqual(members);
    }

    const g = await gen;
    const got = (await Promise.all(sinks.map((k) => k.done))).map((rep) => rep.listens[0]!);
    const stats = await relay.mcrd.ctl(['--json', 'igmp', 'interfaces']);
    const reports = (JSON.parse(stats.stdout) as { interfaces: Array<{ interface: string; counters: { received: Record<string, number> } }> }).interfaces
      .map((i) => `${i.interface} ${i.counters.received.v3_report ?? 0}`).join(', ');
    console.log(`[churn] seed ${SEED}: ${joins} joins, ${STEPS - joins} leaves in ${churnMs} ms; final ${want.length} memberships (r1 ${model[0]!.size}, r2 ${model[1]!.size}); ` +
      `mcrctl igmp groups matched ${convergedMs} ms after the last step; v3 reports received: ${reports}`);
    for (const [i, l] of got.entries()) {
      recordDelivery(`static stream during IGMP churn (50 groups x 2 interfaces), ${sides[i]!.ifname}, ${RATE} pps x ${COUNT / RATE} s`, l.received, g.sent, { lost: l.lost, duplicates: l.duplicates });
      expect(l).toMatchObject({ received: COUNT, lost: 0, duplicates: 0, payloadErrors: 0 });
    }
    expect(g.sent).toBe(COUNT);
    expect(joins).toBeGreaterThan(100);
    expect(STEPS - joins).toBeGreaterThan(100);
  }, 90_000);
});
