// End-to-end tests of mcr-gen and mcr-sink over a real veth pair between two namespaces (root only).
//
//   netns mcrT-<pid>-a                    netns mcrT-<pid>-b
//   [ mcr-gen ] vA 10.77.0.1/24 ==veth== vB 10.77.0.2/24 [ mcr-sink ]
//                        MTU 9000 on both ends
//
// Asserts on what arrives (counts, byte-exact payload verification done by the sink, sequence
// accounting); throughput figures are only printed, never asserted (shared 2-core machine).
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { runGenerator, startSink } from './traffic.js';

const isRoot = process.getuid?.() === 0;
const hasIp = isRoot && (await execa('ip', ['-V'], { reject: false })).exitCode === 0;
const canNetns = isRoot && hasIp;
if (!canNetns) console.warn(`traffic e2e skipped: ${isRoot ? 'iproute2 (ip) not found' : 'needs root for network namespaces'}`);

const tag = String(process.pid % 100000);
const NS_A = `mcrT-${tag}-a`;
const NS_B = `mcrT-${tag}-b`;
const IF_A = `mcrT${tag}a`; // <= 15 chars (IFNAMSIZ)
const IF_B = `mcrT${tag}b`;
const ADDR_A = '10.77.0.1';
const ADDR_B = '10.77.0.2';

const ip = (...args: string[]) => execa('ip', args);
const inNs = (ns: string, ...args: string[]) => execa('ip', ['netns', 'exec', ns, ...args]);

async function teardown(): Promise<void> {
  // Deleting a namespace also deletes the veth end inside it, and with it the peer.
  for (const ns of [NS_A, NS_B]) await execa('ip', ['netns', 'del', ns], { reject: false });
}

describe.skipIf(!canNetns)('mcr-gen to mcr-sink over a veth pair', () => {
  beforeAll(async () => {
    await teardown();
    await ip('netns', 'add', NS_A);
    await ip('netns', 'add', NS_B);
    await ip('link', 'add', IF_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', NS_B);
    for (const [ns, dev, addr] of [[NS_A, IF_A, ADDR_A], [NS_B, IF_B, ADDR_B]] as const) {
      await inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
      await inNs(ns, 'ip', 'link', 'set', dev, 'mtu', '9000', 'up');
      await inNs(ns, 'ip', 'addr', 'add', `${addr}/24`, 'dev', dev);
    }
    // A multicast route lets the sender's kernel cache the route instead of allocating one per datagram.
    await inNs(NS_A, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', IF_A);
  });

  afterAll(async () => {
    await teardown();
    const left = (await ip('netns', 'list')).stdout;
    expect(left).not.toContain(`mcrT-${tag}-`);
  });

  async function transfer(dst: string, o: { count: number; ratePps: number; payloadBytes: number; tx?: 'udp' | 'packet' }) {
    const sink = await startSink({ netns: NS_B, listen: [dst], interface: IF_B, expectCount: o.count, idleTimeoutS: 3 });
    const gen = await runGenerator({ netns: NS_A, dst: [dst], interface: IF_A, ...o });
    return { gen, rx: await sink.done };
  }

  test('10k multicast datagrams of 1316 bytes at 20k pps all arrive, verified', async () => {
    const { gen, rx } = await transfer('239.77.1.1:5000', { count: 10_000, ratePps: 20_000, payloadBytes: 1316 });
    expect(gen).toMatchObject({ sent: 10_000, errors: 0 });
    expect(rx.listens[0]).toMatchObject({
      group: '239.77.1.1', port: 5000, received: 10_000, bytes: 13_160_000, lost: 0, duplicates: 0, payloadErrors: 0,
      firstSeq: 0, lastSeq: 9999,
    });
    expect(rx.listens[0]!.latencyNs).toMatchObject({ samples: 10_000 });
    expect(rx.listens[0]!.latencyNs!.p50).toBeGreaterThan(0);
  });

  test('10k unicast datagrams of 1316 bytes at 20k pps all arrive, verified', async () => {
    const { gen, rx } = await transfer(`${ADDR_B}:5001`, { count: 10_000, ratePps: 20_000, payloadBytes: 1316 });
    expect(gen).toMatchObject({ sent: 10_000, errors: 0 });
    expect(rx.listens[0]).toMatchObject({ group: ADDR_B, port: 5001, received: 10_000, lost: 0, duplicates: 0, payloadErrors: 0 });
    expect(rx.listens[0]!.latencyNs!.samples).toBe(10_000);
  });

  test('one sink with 50 group listens gets each of the 50 streams of one generator', async () => {
    const dsts = Array.from({ length: 50 }, (_, i) => `239.77.2.${i + 1}:6000`);
    const sink = await startSink({ netns: NS_B, listen: dsts, interface: IF_B, expectCount: 200, idleTimeoutS: 3 });
    const gen = await runGenerator({ netns: NS_A, dst: dsts, interface: IF_A, ratePps: 20_000, count: 10_000, payloadBytes: 1316, streamId: 100 });
    expect(gen.sent).toBe(10_000);
    expect(gen.streams.map((s) => s.sent)).toEqual(Array(50).fill(200));
    const rx = await sink.done;
    expect(rx.listens).toHaveLength(50);
    rx.listens.forEach((l, i) => {
      // Bound to its group, each socket sees only its own stream even though all share port 6000.
      expect(l).toMatchObject({ group: `239.77.2.${i + 1}`, received: 200, lost: 0, duplicates: 0, payloadErrors: 0 });
      expect(l.streams).toEqual([expect.objectContaining({ streamId: 100 + i, received: 200, firstSeq: 0, lastSeq: 199 })]);
    });
  });

  /** The receiving namespace's IP reassembly counter (/proc/net/snmp "Ip: ... ReasmReqds"). */
  async function reassemblies(): Promise<number> {
    const lines = (await inNs(NS_B, 'cat', '/proc/net/snmp')).stdout.split('\n').filter((l) => l.startsWith('Ip:'));
    const [names, values] = lines.map((l) => l.split(/\s+/));
    return Number(values![names!.indexOf('ReasmReqds')]);
  }

  test('jumbo 8000-byte payloads cross an MTU 9000 link unfragmented and verified', async () => {
    const before = await reassemblies();
    expect(before).toBeGreaterThanOrEqual(0); // a number, not NaN from a parse miss
    const { gen, rx } = await transfer('239.77.3.1:5002', { count: 2000, ratePps: 5000, payloadBytes: 8000 });
    expect(gen.sent).toBe(2000);
    expect(rx.listens[0]).toMatchObject({ received: 2000, bytes: 16_000_000, lost: 0, payloadErrors: 0 });
    expect(await reassemblies()).toBe(before);
  });

  test('raw frames (--tx packet) arrive as valid UDP: checksums, headers and patterns all verified', async () => {
    const { gen, rx } = await transfer('239.77.5.1:5004', { count: 10_000, ratePps: 20_000, payloadBytes: 1316, tx: 'packet' });
    expect(gen).toMatchObject({ sent: 10_000, errors: 0, tx: 'packet' });
    // A wrong UDP or IP checksum would make the kernel drop the datagram before the sink sees it.
    expect(rx.listens[0]).toMatchObject({ received: 10_000, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0 });
    const small = await transfer('239.77.5.2:5004', { count: 1000, ratePps: 10_000, payloadBytes: 33, tx: 'packet' });
    expect(small.rx.listens[0]).toMatchObject({ received: 1000, lost: 0, payloadErrors: 0 });
    // Several groups from one raw socket: each frame carries its own MAC, IP and UDP headers.
    const dsts = ['239.77.5.3:5005', '239.77.5.4:5006', '239.77.5.5:5007'];
    const sink = await startSink({ netns: NS_B, listen: dsts, interface: IF_B, expectCount: 500, idleTimeoutS: 3 });
    await runGenerator({ netns: NS_A, dst: dsts, interface: IF_A, ratePps: 10_000, count: 1500, payloadBytes: 200, tx: 'packet' });
    const multi = await sink.done;
    expect(multi.listens.map((l) => [l.group, l.port, l.received, l.lost, l.payloadErrors])).toEqual(
      dsts.map((d) => [d.split(':')[0], Number(d.split(':')[1]), 500, 0, 0]),
    );
  });

  test('a sink stopped early reports what it got so far', async () => {
    const sink = await startSink({ netns: NS_B, listen: ['239.77.4.1:5003'], interface: IF_B });
    await runGenerator({ netns: NS_A, dst: ['239.77.4.1:5003'], interface: IF_A, ratePps: 10_000, count: 500, payloadBytes: 64 });
    await new Promise((r) => setTimeout(r, 300));
    const rx = await sink.stop();
    expect(rx.listens[0]).toMatchObject({ received: 500, lost: 0, lastSeq: 499 });
  });

  test('measure: paced rates are held (printed, not asserted)', async () => {
    const lines: string[] = [];
    for (const ratePps of [1000, 20_000, 150_000, 300_000]) {
      const sink = await startSink({ netns: NS_B, listen: ['239.77.8.1:5008'], interface: IF_B, idleTimeoutS: 1 });
      const gen = await runGenerator({ netns: NS_A, dst: ['239.77.8.1:5008'], interface: IF_A, ratePps, durationS: 2, payloadBytes: 1316 });
      const l = (await sink.done).listens[0]!;
      lines.push(
        `${ratePps} pps asked: ${gen.achievedPps.toFixed(0)} achieved, ${(gen.cpuNs / 2e7).toFixed(1)} % CPU; ` +
          `received ${l.received}/${gen.sent}, latency p50 ${((l.latencyNs?.p50 ?? 0) / 1e3).toFixed(1)} µs p99 ${((l.latencyNs?.p99 ?? 0) / 1e3).toFixed(1)} µs`,
      );
      expect(l.payloadErrors).toBe(0);
    }
    console.log(`mcr-gen paced, 1316 B, 2 s:\n  ${lines.join('\n  ')}`);
  });

  test('measure: unpaced generator rate for 2 s (printed, not asserted)', async () => {
    const lines: string[] = [];
    for (const payloadBytes of [64, 1316]) {
      for (const tx of ['udp', 'packet'] as const) {
        // Into the veth with nobody joined: the far end drops it, so this is the sender's own ceiling.
        const alone = await runGenerator({ netns: NS_A, dst: ['239.77.9.1:5009'], interface: IF_A, ratePps: 0, durationS: 2, payloadBytes, tx });
        // With the sink joined and verifying every datagram on the other end.
        const sink = await startSink({ netns: NS_B, listen: ['239.77.9.2:5009'], interface: IF_B, idleTimeoutS: 1 });
        const withSink = await runGenerator({ netns: NS_A, dst: ['239.77.9.2:5009'], interface: IF_A, ratePps: 0, durationS: 2, payloadBytes, tx });
        const rx = await sink.done;
        const l = rx.listens[0]!;
        const rxPps = rx.activeNs ? (l.received * 1e9) / rx.activeNs : 0;
        lines.push(
          `${payloadBytes} B ${tx}: alone ${Math.round(alone.achievedPps)} pps (${Math.round(alone.cpuNs / alone.sent)} ns CPU each); ` +
            `with sink: sent ${Math.round(withSink.achievedPps)} pps, received ${l.received}/${withSink.sent} ` +
            `(${Math.round(rxPps)} pps, sink ${Math.round(rx.cpuNs / Math.max(1, l.received))} ns CPU each, payload errors ${l.payloadErrors})`,
        );
        expect(alone.sent).toBeGreaterThan(0);
        expect(l.payloadErrors).toBe(0);
      }
    }
    // Two sender threads (one per vCPU), four streams, raw frames: the most this machine can send.
    const four = ['239.77.9.11:5009', '239.77.9.12:5009', '239.77.9.13:5009', '239.77.9.14:5009'];
    for (const tx of ['udp', 'packet'] as const) {
      const g = await runGenerator({ netns: NS_A, dst: four, interface: IF_A, ratePps: 0, durationS: 2, payloadBytes: 64, tx, threads: 2 });
      lines.push(`64 B ${tx}, 2 threads x 2 streams: ${Math.round(g.achievedPps)} pps (${Math.round(g.cpuNs / g.sent)} ns CPU each)`);
    }
    console.log(`mcr-gen --rate 0 over veth:\n  ${lines.join('\n  ')}`);
  });
});
