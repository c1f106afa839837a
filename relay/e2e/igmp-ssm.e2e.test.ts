/**
 * SSM through mcrd with router semantics: two sources send to 232.1.1.1, a kernel receiver asks for
 * INCLUDE {S1} only (IP_ADD_SOURCE_MEMBERSHIP → IGMPv3 ALLOW/TO_IN {S1}). mcrd installs an (S1,G)
 * capture filtered on S1 and relays with S1's own source address and UDP source port (engine
 * `keepSource`), so the receiver's kernel source filter accepts S1's datagrams: it must get every one
 * of them, byte-exact and in order, and nothing of S2's (which no rule captures).
 *
 *   g (S1 192.0.2.77, S2 192.0.2.78 on g0) ── r0 r: mcrd, IGMP querier on r1 ── s0 s: INCLUDE {S1}
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recordDelivery } from '../../test/support/delivery.js';
import { canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { type IgmpRelay, ctlJson, startIgmpRelay } from './igmp-lab.js';

if (!canNetns) console.warn(`skipping IGMP SSM e2e: ${skipReason}`);

const SSM = fileURLToPath(new URL('./igmp-ssm.py', import.meta.url));
const G = '232.1.1.1';
const S1 = '192.0.2.77';
const S2 = '192.0.2.78';
const COUNT = 1000;

/** The payload igmp-ssm.py sends as datagram `seq` of `tag`. */
function payload(tag: string, seq: number): string {
  const head = Buffer.from(`${tag}:${String(seq).padStart(6, '0')}:`);
  const tail = Buffer.from(Array.from({ length: 200 - head.length }, (_, i) => (seq + i) & 0xff));
  return Buffer.concat([head, tail]).toString('hex');
}

describe.skipIf(!canNetns)('IGMPv3 SSM: INCLUDE {S1} gets only S1, relayed with the original source', () => {
  let relay: IgmpRelay;
  let receiver: ChildProcess | undefined;

  beforeAll(async () => {
    relay = await startIgmpRelay('ssm', {
      igmp: { enabled: true, querier_interfaces: ['r1'], upstream_interfaces: ['r0'], query_interval: 5, query_response_interval: 1 },
    }, {
      before: async (lab, { g, s }) => {
        for (const a of [S1, S2]) await lab.exec(g, ['ip', 'addr', 'add', `${a}/32`, 'dev', 'g0']);
        // The sources are unroutable on s too: loose checks there, the test is about mcrd's filter.
        for (const k of ['all', 'default', 's0']) await lab.sysctl(s, `net.ipv4.conf.${k}.rp_filter`, 0);
      },
    });
  }, 30_000);

  afterAll(async () => {
    if (receiver && receiver.exitCode === null) receiver.kill('SIGKILL');
    await relay?.destroy();
  });

  test('two sources to 232.1.1.1: the receiver gets every S1 datagram byte-exact with S1 as source, none of S2', async () => {
    receiver = spawn('ip', ['netns', 'exec', relay.s, 'python3', SSM, 'recv', G, '5000', '10.2.0.2', S1], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    receiver.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<void>((r) => receiver!.once('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      let err = '';
      receiver!.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('ready')) resolve(); });
      receiver!.once('exit', (code) => reject(new Error(`receiver exited ${code}: ${err}`)));
    });

    await waitFor(async () => (await relay.groups()).some((x) => x.group === G && x.interface === 'r1' && x.mode === 'include' && x.sources.some((s) => s.source === S1)),
      `${G} INCLUDE {${S1}} on r1`, 2000, 20);
    const groups = await relay.groups();
    expect(groups.filter((x) => x.group === G)).toHaveLength(1);
    expect(groups.find((x) => x.group === G)!.sources.map((s) => s.source)).toEqual([S1]);
    await waitFor(async () => (await relay.mroute()).some((m) => m.group === G && m.source === S1 && m.iif === 'r0'), `(${S1},${G}) route`, 1000, 10);
    const routes = (await relay.mroute()).filter((m) => m.group === G);
    // Only the (S1,G) capture: S2 and (*,G) have no route in the SSM range.
    expect(routes.map((m) => `${m.source} ${m.iif} ${m.oifs.map((o) => o.interface).join(',')}`)).toEqual([`${S1} r0 r1`]);

    const send = (src: string, tag: string) => relay.lab.exec(relay.g, ['python3', SSM, 'send', src, G, '5000', String(COUNT), '1000', tag]);
    const [a, b] = (await Promise.all([send(S1, 'S1'), send(S2, 'S2')])).map((o) => JSON.parse(o) as { sent: number; sport: number });
    expect(a!.sent).toBe(COUNT);
    expect(b!.sent).toBe(COUNT);

    // The senders are done; the relay path is sub-millisecond, so S1's last datagram is in the
    // receiver's socket by the time the engine counted it: wait for that, then end the receiver.
    await waitFor(async () => (await ctlJson<{ global: { rxFrames: number } }>(relay.mcrd, ['stats'])).global.rxFrames >= 2 * COUNT, 'both streams seen by the engine', 3000, 20);
    await new Promise((r) => setTimeout(r, 200));  // let the receiver drain its socket (it exits on stdin EOF)
    receiver.stdin!.end();
    await exited;
    const packets = (JSON.parse(out) as { packets: Array<[string, number, string]> }).packets;
    const fromS1 = packets.filter(([src]) => src === S1);
    recordDelivery('igmpv3 SSM INCLUDE {S1}, two sources to 232.1.1.1, S1 delivered (keepSource)', fromS1.length, COUNT);
    recordDelivery('igmpv3 SSM INCLUDE {S1}, S2 delivered (must be 0)', packets.length - fromS1.length, COUNT);
    expect(packets.filter(([src]) => src !== S1)).toEqual([]);
    expect(fromS1.length).toBe(COUNT);
    expect(fromS1.every(([, sport]) => sport === a!.sport)).toBe(true);
    expect(fromS1.map(([, , hex]) => hex)).toEqual(Array.from({ length: COUNT }, (_, i) => payload('S1', i)));
  }, 40_000);
});
