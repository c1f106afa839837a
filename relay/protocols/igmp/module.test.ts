import { describe, expect, test } from 'vitest';
import { bench, eth } from './test-harness.js';

describe('IGMP module', () => {
  test('a v2 report makes a (*,G) route with the interface as oif and signals routesChanged once', () => {
    const b = bench({ querier_interfaces: ['eth1'] }, [eth('eth1', '10.0.0.1')]);
    b.v2('eth1', '10.0.0.5', '239.1.1.1');
    b.v2('eth1', '10.0.0.5', '239.1.1.1');
    expect(b.mod.routes()).toEqual([{ origin: 'igmp', group: '239.1.1.1', oifs: [{ interface: 'eth1', reason: 'igmp v2 report', expiresAtMs: b.clock.now() + 260_000 }] }]);
    expect(b.routesChanged).toBe(1);
    expect(b.mod.members('eth1', '239.1.1.1')).toEqual({ mode: 'exclude', sources: [] });
    expect(b.events.filter((e) => e.type === 'igmp-join')).toEqual([{ type: 'igmp-join', interface: 'eth1', group: '239.1.1.1', reporter: '10.0.0.5', mode: 'exclude', compat: 'v2' }]);
  });
});
