import { describe, expect, test } from 'vitest';
import { limitRpf, rpfOfRoute } from './unicast-rpf.js';

describe('rpfOfRoute', () => {
  test('a route through a gateway gives its interface and next hop', () => {
    expect(rpfOfRoute('10.0.9.9', { ifindex: 2, interface: 'eth0', gateway: '10.0.1.1', metric: 20, protocol: 3, type: 'unicast' }))
      .toEqual({ interface: 'eth0', neighbor: '10.0.1.1', metric: 20 });
  });
  test('a route a routing daemon installed carries its protocol\'s distance as the Assert preference (FRR\'s defaults)', () => {
    const via = (protocol: number) => rpfOfRoute('10.0.9.9', { ifindex: 2, interface: 'eth0', gateway: '10.0.1.1', metric: 20, protocol, type: 'unicast' });
    expect(via(188)).toEqual({ interface: 'eth0', neighbor: '10.0.1.1', metricPreference: 110, metric: 20 }); // ospf
    expect(via(186)?.metricPreference).toBe(20); // bgp
    expect(via(196)?.metricPreference).toBe(1); // zebra static
    for (const p of [2, 3, 4, 16]) expect(via(p)?.metricPreference, `protocol ${p}`).toBeUndefined(); // kernel, boot, static, dhcp: 0
  });
  test('a directly connected address is its own next hop', () => {
    expect(rpfOfRoute('10.0.1.1', { ifindex: 2, interface: 'eth0', gateway: null, metric: 0, protocol: 2, type: 'unicast' }))
      .toEqual({ interface: 'eth0', neighbor: '10.0.1.1' });
  });
  test.each([
    ['local address', { ifindex: 1, interface: 'lo', gateway: null, metric: 0, protocol: 2, type: 'local' as const }],
    ['unreachable', { error: 'ENETUNREACH' }],
  ])('%s gives null', (_, r) => {
    expect(rpfOfRoute('10.0.1.2', r)).toBeNull();
  });
});

describe('limitRpf', () => {
  test('runs at most `concurrency` lookups at once, queues up to `queue`, answers null past it (counted)', async () => {
    const pending: Array<() => void> = [];
    let inFlight = 0;
    let peak = 0;
    const slow = (addr: string) => new Promise<{ interface: string; neighbor: string }>((resolve) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      pending.push(() => { inFlight--; resolve({ interface: 'eth0', neighbor: addr }); });
    });
    const { rpf, state } = limitRpf(slow, { concurrency: 2, queue: 3 });
    const answers = Array.from({ length: 7 }, (_, i) => rpf(`10.0.0.${i}`));
    expect(await answers[6]).toBeNull();
    expect(await answers[5]).toBeNull();
    expect(state.dropped).toBe(2);
    while (pending.length || inFlight) {
      pending.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect((await Promise.all(answers.slice(0, 5))).map((a) => a?.neighbor)).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    expect(peak).toBe(2);
  });
});
