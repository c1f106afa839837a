/**
 * mcrd end to end in a chain of namespaces, asserting on what the sink receives.
 *
 *   ┌ mcrR-chain-g ┐  10.1.0.0/24   ┌── mcrR-chain-r ──┐  10.2.0.0/24   ┌ mcrR-chain-s ┐
 *   │ mcr-gen   g0 ├────────────────┤ r0   mcrd     r1 ├────────────────┤ s0  mcr-sink  │
 *   └──────────────┘ .1          .2 └──────────────────┘ .1          .2 └──────────────┘
 *   all links MTU 9000
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping relay chain e2e: ${skipReason}`);

describe.skipIf(!canNetns)('mcrd in a gen → relay → sink chain', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    lab = await Lab.create('chain');
    ({ g, r, s } = await lab.chain({ mtu: 9000 }));
    dir = await mkdtemp(join(tmpdir(), 'mcrR-chain-'));
    mcrd = await startMcrd({ netns: r, dir });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function add(args: string[]) {
    const res = await mcrd.ctl(['add', ...args]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  }

  test('1-to-1: every datagram arrives once, in order, byte-exact, at 10k pps for 2 s', async () => {
    await add(['--rule-id', 'one', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.1:6000:r1']);
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 10_000, count: 20_000, payloadBytes: 1316 });
    const rx = await sink.done;
    const l = rx.listens[0]!;
    recordDelivery('1-to-1 10k pps x 2 s, 1316 B', l.received, gen.sent, { lost: l.lost, duplicates: l.duplicates, reordered: l.reordered, payloadErrors: l.payloadErrors });
    expect(gen.sent).toBe(20_000);
    expect(l).toMatchObject({ received: 20_000, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0 });
    expect(l.bytes).toBe(20_000 * 1316);
  });

  test('the relay counts the stream it relayed in mcrctl stats', async () => {
    const res = await mcrd.ctl(['--json', 'stats']);
    expect(res.code).toBe(0);
    const st = JSON.parse(res.stdout) as { rules: Array<{ id: string; packets: number; bytes: number; outputs: Array<{ packets: number; sendErrors: number }> }> };
    const one = st.rules.find((x) => x.id === 'one')!;
    expect(one).toMatchObject({ packets: 20_000, bytes: 20_000 * 1316, outputs: [{ packets: 20_000, sendErrors: 0 }] });
    const human = await mcrd.ctl(['stats']);
    expect(human.stdout).toMatch(/one\s+in\s+239\.1\.1\.1:5000 r0\s+20000\s+26320000/);
  });

  test('8000-byte payloads cross MTU 9000 links whole', async () => {
    await add(['--rule-id', 'jumbo', '--input-interface', 'r0', '--input-group', '239.1.1.3', '--input-port', '5003', '--outputs', '239.2.2.3:6003:r1']);
    const sink = await startSink({ netns: s, listen: ['239.2.2.3:6003'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.3:5003'], interface: 'g0', ratePps: 5_000, count: 10_000, payloadBytes: 8000 });
    const l = (await sink.done).listens[0]!;
    recordDelivery('8000 B over MTU 9000, 5k pps x 2 s', l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors });
    expect(l).toMatchObject({ received: gen.sent, lost: 0, duplicates: 0, payloadErrors: 0 });
    expect(l.bytes).toBe(gen.sent * 8000);
  });

  test('multicast to unicast: a group is relayed to a unicast host', async () => {
    await add(['--rule-id', 'm2u', '--input-interface', 'r0', '--input-group', '239.1.1.4', '--input-port', '5004', '--outputs', '10.2.0.2:7004:r1']);
    const sink = await startSink({ netns: s, listen: ['10.2.0.2:7004'], idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.4:5004'], interface: 'g0', ratePps: 5_000, count: 5_000, payloadBytes: 1000 });
    const l = (await sink.done).listens[0]!;
    recordDelivery('multicast->unicast 5k pps x 1 s', l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors });
    expect(l).toMatchObject({ received: gen.sent, lost: 0, payloadErrors: 0 });
  });

  test('unicast to multicast: datagrams sent to the relay address are published to a group', async () => {
    await add(['--rule-id', 'u2m', '--input-interface', 'r0', '--input-group', '10.1.0.2', '--input-port', '5005', '--outputs', '239.2.2.5:6005:r1']);
    const sink = await startSink({ netns: s, listen: ['239.2.2.5:6005'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['10.1.0.2:5005'], ratePps: 5_000, count: 5_000, payloadBytes: 1000 });
    const l = (await sink.done).listens[0]!;
    recordDelivery('unicast->multicast 5k pps x 1 s', l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors, genErrors: gen.errors });
    expect(l).toMatchObject({ received: gen.sent, lost: 0, payloadErrors: 0 });
  });

  test('garbage on the control socket gets error replies while a stream is relayed without loss', async () => {
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const genP = runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 10_000, count: 30_000, payloadBytes: 1316 });
    const sock = net.connect(mcrd.socket);
    await new Promise((res) => sock.once('connect', res));
    let replies = '';
    sock.on('data', (d) => { replies += d.toString(); });
    const garbage = ['hello', '{"id":1}', '{"id":2,"cmd":"nope"}', 'x'.repeat(70_000), '{"id":3,"cmd":"add","rule":{"input":{}}}', '\u0000\u0001\u0002', '{"id":4,"cmd":"remove","ruleId":"missing"}'];
    for (let round = 0; round < 20; round++) {
      sock.write(`${garbage.join('\n')}\n`);
      await new Promise((res) => setTimeout(res, 50));
    }
    sock.write('{"id":"last","cmd":"ping"}\n');
    const gen = await genP;
    const l = (await sink.done).listens[0]!;
    const lines = replies.trim().split('\n').map((x) => JSON.parse(x) as { id: unknown; ok: boolean });
    sock.destroy();
    recordDelivery('stream during control-socket garbage, 10k pps x 3 s', l.received, gen.sent, { lost: l.lost, errorReplies: lines.filter((x) => !x.ok).length });
    expect(lines.filter((x) => !x.ok)).toHaveLength(20 * garbage.length);
    expect(lines.at(-1)).toEqual({ id: 'last', ok: true, result: { pong: true } });
    expect(l).toMatchObject({ received: gen.sent, lost: 0, duplicates: 0, payloadErrors: 0 });
  });

  test('rules added and removed while two streams flow: the untouched stream loses nothing', async () => {
    await add(['--rule-id', 'b', '--input-interface', 'r0', '--input-group', '239.1.1.6', '--input-port', '5006', '--outputs', '239.2.2.6:6006:r1']);
    const sinkA = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 30 });
    const sinkB = await startSink({ netns: s, listen: ['239.2.2.6:6006'], interface: 's0', idleTimeoutS: 3, durationS: 30 });
    const genA = runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 8_000, count: 32_000, payloadBytes: 1316, streamId: 1 });
    const genB = runGenerator({ netns: g, dst: ['239.1.1.6:5006'], interface: 'g0', ratePps: 8_000, count: 32_000, payloadBytes: 1316, streamId: 7 });
    let changes = 0;
    const churn = (async () => {
      for (let i = 0; i < 6; i++) {
        await new Promise((res) => setTimeout(res, 300));
        expect((await mcrd.ctl(['remove', '--rule-id', 'b'])).code).toBe(0);
        await add(['--rule-id', `x${i}`, '--input-interface', 'r0', '--input-group', '239.1.1.7', '--input-port', String(5100 + i), '--outputs', '239.2.2.7:6100:r1']);
        await add(['--rule-id', 'b', '--input-interface', 'r0', '--input-group', '239.1.1.6', '--input-port', '5006', '--outputs', '239.2.2.6:6006:r1']);
        expect((await mcrd.ctl(['remove', '--rule-id', `x${i}`])).code).toBe(0);
        changes += 4;
      }
    })();
    const [ga, gb] = await Promise.all([genA, genB, churn]);
    const a = (await sinkA.done).listens[0]!;
    const b = (await sinkB.done).listens[0]!;
    recordDelivery('untouched stream during 24 rule changes, 8k pps x 4 s', a.received, ga!.sent, { lost: a.lost, changes });
    recordDelivery('churned stream (its rule removed and re-added 6 times)', b.received, gb!.sent, { lost: b.lost });
    expect(a).toMatchObject({ received: ga!.sent, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0 });
    // The churned stream had gaps while its rule was absent, and flowed while present.
    expect(b.received).toBeGreaterThan(0);
    expect(b.received).toBeLessThan(gb!.sent);
  });

  test('restarted mcrd comes back with the same rules from its state file, and relays again', async () => {
    await add(['--rule-id', 'persist', '--input-interface', 'r0', '--input-group', '239.1.1.8', '--input-port', '5008', '--outputs', '239.2.2.8:6008:r1', '--ttl', '3']);
    const before = JSON.parse((await mcrd.ctl(['--json', 'list'])).stdout) as { rules: unknown[] };
    expect(await mcrd.stop()).toBe(0);
    mcrd = await startMcrd({ netns: r, dir });
    const after = JSON.parse((await mcrd.ctl(['--json', 'list'])).stdout) as { rules: unknown[] };
    expect(after.rules).toEqual(before.rules);
    expect(after.rules).toContainEqual(expect.objectContaining({ id: 'persist', outputs: [expect.objectContaining({ ttl: 3 })] }));
    const sink = await startSink({ netns: s, listen: ['239.2.2.8:6008'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.8:5008'], interface: 'g0', ratePps: 5_000, count: 5_000, payloadBytes: 500 });
    const l = (await sink.done).listens[0]!;
    recordDelivery('after mcrd restart (rules from state file), 5k pps x 1 s', l.received, gen.sent, { lost: l.lost, rules: after.rules.length });
    if (l.lost) console.log(JSON.stringify(l), (await mcrd.ctl(['--json', 'stats'])).stdout, mcrd.log());
    expect(l).toMatchObject({ received: gen.sent, lost: 0 });
  });
});
