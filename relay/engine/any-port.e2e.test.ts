/**
 * Any-port rules end to end (the engine side of IGMP-learned routes, which match every UDP port of their
 * group): input port 0 matches each port of the group, output port 0 sends each datagram to its own
 * port, and an exact-port rule beside an any-port one takes its port. A real Engine runs in the relay
 * namespace (fixtures/run-engine.mjs), real UDP goes from s0 to plain UDP sockets in k; assertions are on
 * the bytes that arrive, on which port they arrive at, and on the rules' counters.
 * Namespaces `mcrO-<pid>-{s,r,k}` (fixtures/harness.ts), deleted in afterAll. Needs root.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { chainNamespaces, children, EngineProc, expectedPayloads, isRoot, receiver, send, until } from './fixtures/harness.js';
import type { EngineRule } from './types.js';

if (!isRoot) console.warn('skipping any-port e2e: needs root (network namespaces, AF_PACKET)');
const { S, R, K, setup, teardown } = chainNamespaces('mcrO');

const anyPort: EngineRule = {
  id: 'learned', slot: 0, input: { interface: 'r0', group: '239.1.1.1', port: 0 },
  outputs: [{ slot: 0, interface: 'r1', group: '239.2.2.1', port: 0, ttl: 8 }],
};

describe.skipIf(!isRoot)('any-port rules', () => {
  const engines: EngineProc[] = [];
  beforeAll(setup);
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });
  afterAll(() => {
    for (const e of engines) e.kill();
    teardown();
  });

  test.each(['socket', 'packet'] as const)('one any-port rule relays two ports of its group, each byte-exact to its own port (%s egress)', async (egress) => {
    const e = new EngineProc(R, { backend: 'mmsg', egress }, [anyPort]);
    engines.push(e);
    await e.ready();
    const rx5000 = await receiver(K, 5000, '239.2.2.1', '10.91.2.2', 300);
    const rx5002 = await receiver(K, 5002, '239.2.2.1', '10.91.2.2', 200);
    send(S, '10.91.1.1', '239.1.1.1', 5000, 300, 1000);
    send(S, '10.91.1.1', '239.1.1.1', 5002, 200, 700);
    const [a, b] = [await rx5000.done, await rx5002.done];
    // Each socket gets only its own port's datagrams: the port was preserved, not rewritten.
    expect({ count: a.count, exact: a.payloads.join() === expectedPayloads(300, 1000).join() }).toEqual({ count: 300, exact: true });
    expect({ count: b.count, exact: b.payloads.join() === expectedPayloads(200, 700).join() }).toEqual({ count: 200, exact: true });
    const c = await until(() => e.counters(), (c) => c.outputs['0']?.packets === '500');
    expect(c.rules['0']).toMatchObject({ packets: '500', bytes: String(300 * 1000 + 200 * 700) });
    expect(c.outputs['0']).toEqual({ packets: '500', bytes: String(300 * 1000 + 200 * 700), sendErrors: '0', errorsByErrno: {} });
    expect(c.global).toMatchObject({ unmatched: '0', ringDrops: '0' });
    await e.stop();
  });

  test('an exact-port rule beside the any-port rule takes its port; the other port stays with the any-port rule', async () => {
    const exact: EngineRule = {
      id: 'static', slot: 1, input: { interface: 'r0', group: '239.1.1.1', port: 5002 },
      outputs: [{ slot: 1, interface: 'r2', group: '239.3.3.3', port: 6002, ttl: 8 }],
    };
    const e = new EngineProc(R, { backend: 'mmsg' }, [anyPort, exact]);
    engines.push(e);
    await e.ready();
    const viaAny = await receiver(K, 5000, '239.2.2.1', '10.91.2.2', 150);
    const viaExact = await receiver(K, 6002, '239.3.3.3', '10.91.3.2', 120);
    send(S, '10.91.1.1', '239.1.1.1', 5000, 150, 400);
    send(S, '10.91.1.1', '239.1.1.1', 5002, 120, 500);
    expect((await viaAny.done).payloads).toEqual(expectedPayloads(150, 400));
    expect((await viaExact.done).payloads).toEqual(expectedPayloads(120, 500));
    const c = await until(() => e.counters(), (c) => c.outputs['1']?.packets === '120' && c.outputs['0']?.packets === '150');
    expect({ any: c.rules['0']?.packets, exact: c.rules['1']?.packets, anyOut: c.outputs['0']?.packets }).toEqual({ any: '150', exact: '120', anyOut: '150' });
    await e.stop();
  });
});
