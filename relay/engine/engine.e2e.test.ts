/**
 * The native engine end to end, without mcrd: a real Engine runs in a child process inside the relay
 * namespace (fixtures/run-engine.mjs, from dist/), real UDP is sent from the sender namespace
 * (fixtures/udp-send.mjs) and received by plain UDP sockets in the receiver namespace
 * (fixtures/udp-recv.mjs). Assertions are on the bytes that arrive and on the engine's counters.
 *
 *   ┌ mcrE-<id>-s ┐ 10.91.1.0/24 ┌─ mcrE-<id>-r ─┐ 10.91.2.0/24 ┌ mcrE-<id>-k ┐
 *   │          s0 ├──────────────┤ r0  engine r1 ├──────────────┤ k1          │
 *   │             │              │            r2 ├──────────────┤ k2          │
 *   └─────────────┘              └───────────────┘ 10.91.3.0/24 └─────────────┘
 * All links have MTU 9000. Tagged and broken frames are hand-built by fixtures/raw-send.py (this kernel
 * may lack the 8021q module, so no VLAN subinterfaces). Needs root; namespaces are deleted in afterAll.
 */
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { gsoSupported } from './engine.js';
import {
  chainNamespaces, children, EngineProc, expectedPayloads, fixtures, inNs, isRoot, JsonChild, linkPackets,
  rawSend as rawSendFrom, receiver as receiverIn, runs, send as sendFrom, udpCsumErrors, until,
} from './fixtures/harness.js';
import type { EngineOptions, EngineRule } from './types.js';

if (!isRoot) console.warn('skipping engine e2e: needs root (network namespaces, AF_PACKET)');
const { S, R, K, setup, teardown } = chainNamespaces('mcrE');
const receiver = (port: number, group: string | null, ifaceAddr: string | null, expected: number, timeoutMs?: number) =>
  receiverIn(K, port, group, ifaceAddr, expected, timeoutMs);
const send = (from: string, dst: string, port: number, count: number, size: number, intervalMs?: number) =>
  sendFrom(S, from, dst, port, count, size, intervalMs);
const rawSend = (variant: string, dst: string, port: number, count: number, size: number) => rawSendFrom(S, 's0', '10.91.1.1', variant, dst, port, count, size);
const hasPython = runs('python3', '--version');
if (!hasPython) console.warn('skipping raw-frame engine e2e cases: python3 not found');

const hasGso = gsoSupported();
const hasEthtool = runs('ethtool', '--version');
if (!hasGso || !hasEthtool) console.warn(`skipping engine GSO e2e cases: ${!hasGso ? `kernel ${release()} < 6.2` : 'ethtool not installed (apt-get install ethtool)'}`);

const rule = (id: string, slot: number, input: EngineRule['input'], outputs: EngineRule['outputs']): EngineRule => ({ id, slot, input, outputs });
const out = (slot: number, iface: string, group: string, port: number, ttl = 8): EngineRule['outputs'][number] => ({ slot, interface: iface, group, port, ttl });
const IN = { interface: 'r0', group: '239.1.1.1', port: 5000 };

describe.skipIf(!isRoot)('native engine end to end', () => {
  const running: Array<{ kill(): void }> = [];

  beforeAll(setup);

  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });

  afterAll(() => {
    for (const p of running) p.kill();
    teardown();
  });

  function engine(options: EngineOptions, rules: EngineRule[]): EngineProc {
    const e = new EngineProc(R, options, rules);
    running.push(e);
    return e;
  }

  test.each([
    ['mmsg', 3, 'socket', 'sleep'],
    ['uring', 3, 'socket', 'sleep'],
    ['mmsg', 2, 'socket', 'sleep'],
    ['mmsg', 3, 'packet', 'sleep'],
    ['uring', 2, 'packet', 'sleep'],
    ['mmsg', 2, 'packet', 'busy 50 µs'],
    ['mmsg', 2, 'packet', 'adaptive'],
  ] as const)('backend %s, TPACKET_V%i, %s egress (polling: %s) relays 1:1 multicast byte-exact, in order, and counts it', async (backend, ringVersion, egress, poll) => {
    const e = engine({ backend, ringVersion, egress, ...(poll === 'adaptive' ? { adaptivePoll: true } : { busyPollUs: poll === 'sleep' ? 0 : 50 }) }, [rule('a', 3, IN, [out(7, 'r1', '239.2.2.1', 6000)])]);
    await e.ready();
    const rx = await receiver(6000, '239.2.2.1', '10.91.2.2', 500);
    send('10.91.1.1', '239.1.1.1', 5000, 500, 1316);
    const got = await rx.done;
    expect(got.count).toBe(500);
    expect(got.payloads).toEqual(expectedPayloads(500, 1316));
    const c = await until(() => e.counters(), (c) => c.outputs['7']?.packets === '500');
    expect(c.rules['3']).toMatchObject({ packets: '500', bytes: String(500 * 1316) });
    expect(BigInt(c.rules['3']!.lastPacketNs)).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
    expect(c.outputs['7']).toEqual({ packets: '500', bytes: String(500 * 1316), sendErrors: '0', errorsByErrno: {} });
    expect(c.global).toMatchObject({ rxFrames: '500', unmatched: '0', ringDrops: '0' });
    await e.stop();
  });

  test.skipIf(!hasGso || !hasEthtool).each([
    ['crosses the veth as GSO frames', false],
    ['is segmented and checksummed by the kernel with the offloads off', true],
  ] as const)('gso: a 2000-datagram burst %s and arrives byte-exact, in order, counted per datagram', async (_how, software) => {
    // Offloads off on r1: the kernel splits each GSO frame and computes every UDP checksum in software
    // before the device; rx checksumming off on k1: the receiver verifies those checksums itself.
    if (software) {
      inNs(R, 'ethtool', '-K', 'r1', 'tx', 'off', 'tx-udp-segmentation', 'off');
      inNs(K, 'ethtool', '-K', 'k1', 'rx', 'off');
    }
    try {
      const e = engine({ backend: 'mmsg', egress: 'packet', gso: true }, [rule('a', 3, IN, [out(7, 'r1', '239.2.2.1', 6000)])]);
      await e.ready();
      const rx = await receiver(6000, '239.2.2.1', '10.91.2.2', 2000);
      const framesBefore = linkPackets(R, 'r1', 'tx');
      const csumBefore = udpCsumErrors(K);
      send('10.91.1.1', '239.1.1.1', 5000, 2000, 1316, 0);
      const got = await rx.done;
      expect(got.count).toBe(2000);
      expect(got.payloads).toEqual(expectedPayloads(2000, 1316));
      const c = await until(() => e.counters(), (c) => c.outputs['7']?.packets === '2000');
      expect(c.outputs['7']).toEqual({ packets: '2000', bytes: String(2000 * 1316), sendErrors: '0', errorsByErrno: {} });
      expect(udpCsumErrors(K) - csumBefore).toBe(0);
      const frames = linkPackets(R, 'r1', 'tx') - framesBefore;
      if (software) expect(frames).toBeGreaterThanOrEqual(2000);
      else expect(frames).toBeLessThan(2000);
      await e.stop();
    } finally {
      if (software) {
        inNs(R, 'ethtool', '-K', 'r1', 'tx', 'on', 'tx-udp-segmentation', 'on');
        inNs(K, 'ethtool', '-K', 'k1', 'rx', 'on');
      }
    }
  });

  test('an unknown group is dropped by the BPF filter, and counted as unmatched with filter "udp"', async () => {
    const filtered = engine({ backend: 'mmsg' }, [rule('a', 0, IN, [out(0, 'r1', '239.2.2.1', 6000)])]);
    await filtered.ready();
    send('10.91.1.1', '239.9.9.9', 5000, 20, 100);
    send('10.91.1.1', '239.1.1.1', 5001, 20, 100); // known group, unknown port
    send('10.91.1.1', '239.1.1.1', 5000, 5, 100); // after the others on the same link: a marker
    let c = await until(() => filtered.counters(), (c) => c.rules['0']?.packets === '5');
    expect(c.global).toMatchObject({ rxFrames: '5', unmatched: '0' });
    await filtered.stop();

    const open = engine({ backend: 'mmsg', filter: 'udp' }, [rule('a', 0, IN, [out(0, 'r1', '239.2.2.1', 6000)])]);
    await open.ready();
    send('10.91.1.1', '239.9.9.9', 5000, 20, 100);
    send('10.91.1.1', '239.1.1.1', 5000, 5, 100);
    c = await until(() => open.counters(), (c) => c.global.unmatched === '20' && c.rules['0']?.packets === '5');
    expect(c.global.unmatched).toBe('20');
    expect(c.rules['0']?.packets).toBe('5');
    await open.stop();
  });

  test.each(['socket', 'packet'] as const)('fan-out 1 to 3 over two egress interfaces delivers every payload to every output (%s egress)', async (egress) => {
    const e = engine({ backend: 'mmsg', egress }, [
      rule('fan', 1, IN, [out(10, 'r1', '239.2.2.1', 6000), out(11, 'r1', '239.2.2.2', 6001), out(12, 'r2', '239.3.3.3', 6002)]),
    ]);
    await e.ready();
    const rxs = [await receiver(6000, '239.2.2.1', '10.91.2.2', 300), await receiver(6001, '239.2.2.2', '10.91.2.2', 300), await receiver(6002, '239.3.3.3', '10.91.3.2', 300)];
    send('10.91.1.1', '239.1.1.1', 5000, 300, 1000);
    for (const rx of rxs) expect((await rx.done).payloads).toEqual(expectedPayloads(300, 1000));
    const c = await until(() => e.counters(), (c) => c.outputs['12']?.packets === '300');
    for (const slot of ['10', '11', '12']) expect(c.outputs[slot]).toMatchObject({ packets: '300', bytes: '300000', sendErrors: '0' });
    await e.stop();
  });

  test.each(['socket', 'packet'] as const)('multicast to unicast, and a unicast input (tunnel endpoint) to multicast (%s egress)', async (egress) => {
    const e = engine({ backend: 'mmsg', egress }, [
      rule('m2u', 0, IN, [out(0, 'r1', '10.91.2.2', 7000)]),
      rule('u2m', 1, { interface: 'r0', group: '10.91.1.2', port: 5005 }, [out(1, 'r2', '239.3.3.4', 7001)]),
    ]);
    await e.ready();
    const uni = await receiver(7000, null, null, 100);
    const multi = await receiver(7001, '239.3.3.4', '10.91.3.2', 100);
    send('10.91.1.1', '239.1.1.1', 5000, 100, 500);
    send('10.91.1.1', '10.91.1.2', 5005, 100, 600);
    expect((await uni.done).payloads).toEqual(expectedPayloads(100, 500));
    expect((await multi.done).payloads).toEqual(expectedPayloads(100, 600));
    await e.stop();
  });

  test.skipIf(!hasPython).each(['vlan', 'qinq'])('%s-tagged frames are parsed and relayed byte-exact', async (variant) => {
    const e = engine({ backend: 'mmsg' }, [rule('vlan', 0, { interface: 'r0', group: '239.1.1.7', port: 5000 }, [out(0, 'r1', '239.2.2.7', 6007)])]);
    await e.ready();
    const rx = await receiver(6007, '239.2.2.7', '10.91.2.2', 200);
    rawSend('vlan' === variant ? 'vlan' : 'qinq', '239.1.1.7', 5000, 200, 1316);
    expect((await rx.done).payloads).toEqual(expectedPayloads(200, 1316));
    const c = await e.counters();
    expect(c.rules['0']?.packets).toBe('200');
    await e.stop();
  });

  test.skipIf(!hasPython)('frames with a bad IPv4 checksum are dropped and counted by reason', async () => {
    const e = engine({ backend: 'mmsg' }, [rule('a', 0, IN, [out(0, 'r1', '239.2.2.1', 6000)])]);
    await e.ready();
    rawSend('badsum', '239.1.1.1', 5000, 30, 100);
    const c = await until(() => e.counters(), (c) => c.global.malformed['badIpChecksum'] === '30');
    expect(c.global.malformed['badIpChecksum']).toBe('30');
    expect(c.rules['0']?.packets).toBe('0');
    expect(c.outputs['0']?.packets).toBe('0');
    await e.stop();
  });

  test.each([3, 2] as const)('8000-byte payloads cross MTU 9000 links intact (TPACKET_V%i)', async (ringVersion) => {
    const e = engine({ backend: 'mmsg', ringVersion }, [rule('jumbo', 0, IN, [out(0, 'r1', '239.2.2.8', 6008)])]);
    await e.ready();
    const rx = await receiver(6008, '239.2.2.8', '10.91.2.2', 200);
    send('10.91.1.1', '239.1.1.1', 5000, 200, 8000);
    expect((await rx.done).payloads).toEqual(expectedPayloads(200, 8000));
    const c = await e.counters();
    expect(c.global.malformed['fragment']).toBe('0');
    await e.stop();
  });

  test('memberships follow the rules: IGMP join + L2 by default, L2 only with igmpJoin false, gone after removal', async () => {
    const maddr = () => inNs(R, 'ip', 'maddr', 'show', 'dev', 'r0');
    const joined = engine({ backend: 'mmsg' }, [rule('a', 0, { interface: 'r0', group: '239.1.1.44', port: 5000 }, [out(0, 'r1', '239.2.2.1', 6000)])]);
    await joined.ready();
    expect(maddr()).toMatch(/link\s+01:00:5e:01:01:2c/);
    expect(maddr()).toMatch(/inet\s+239\.1\.1\.44/);
    expect(await joined.setRules([])).toEqual({ ok: true });
    expect(maddr()).not.toMatch(/239\.1\.1\.44|01:00:5e:01:01:2c/);
    await joined.stop();

    const l2 = engine({ backend: 'mmsg', igmpJoin: false }, [rule('a', 0, { interface: 'r0', group: '239.1.1.44', port: 5000 }, [out(0, 'r1', '239.2.2.44', 6044)])]);
    await l2.ready();
    expect(maddr()).toMatch(/link\s+01:00:5e:01:01:2c/);
    expect(maddr()).not.toMatch(/inet\s+239\.1\.1\.44/);
    const rx = await receiver(6044, '239.2.2.44', '10.91.2.2', 50);
    send('10.91.1.1', '239.1.1.44', 5000, 50, 200);
    expect((await rx.done).payloads).toEqual(expectedPayloads(50, 200));
    await l2.stop();
  });

  test('adding and removing another rule while a stream flows loses none of that stream', async () => {
    const a = rule('a', 0, IN, [out(0, 'r1', '239.2.2.1', 6000)]);
    const b = rule('b', 1, { interface: 'r0', group: '239.1.1.2', port: 5000 }, [out(1, 'r2', '239.3.3.3', 6002)]);
    const e = engine({ backend: 'mmsg' }, [a]);
    await e.ready();
    const rx = await receiver(6000, '239.2.2.1', '10.91.2.2', 1500, 20_000);
    const sender = new JsonChild(['ip', 'netns', 'exec', S, 'node', join(fixtures, 'udp-send.mjs'), '10.91.1.1', '239.1.1.1', '5000', '1500', '1316', '1']);
    running.push(sender);
    let swaps = 0;
    while (sender.proc.exitCode === null) {
      const r = await e.setRules(swaps % 2 === 0 ? [a, b] : [a]);
      expect(r).toEqual({ ok: true });
      swaps++;
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(swaps).toBeGreaterThan(10);
    expect(await sender.line(0)).toEqual({ sent: 1500, errors: 0 });
    const got = await rx.done;
    const during = await until(() => e.counters(), (c) => c.outputs['0']?.packets === '1500');
    expect({ received: got.count, rule: during.rules['0']?.packets, out: during.outputs['0'], drops: during.global.ringDrops }).toEqual({ received: 1500, rule: '1500', out: { packets: '1500', bytes: String(1500 * 1316), sendErrors: '0', errorsByErrno: {} }, drops: '0' });
    expect(got.payloads).toEqual(expectedPayloads(1500, 1316));
    // a setRules that fails (nonexistent output interface) leaves the stream running too
    const bad = await e.setRules([a, { ...b, outputs: [out(1, 'nope9', '239.3.3.3', 6002)] }]);
    expect(bad.error).toMatchObject({ name: 'EngineError', code: 'ENODEV', iface: 'nope9' });
    const c = await e.counters();
    expect(c.rules['0']?.packets).toBe('1500');
    await e.stop();
  });
});
