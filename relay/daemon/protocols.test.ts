import { describe, expect, it, vi } from 'vitest';
import { parseProtocolSections } from '../config/protocols.js';
import type { PimModule } from '../protocols/pim/index.js';
import { createLogger } from './log.js';
import { createProtocolPlane } from './protocols.js';

const log = createLogger({ level: 'error', json: false, write: () => {} });
const settings = parseProtocolSections({
  igmp: { enabled: true, querier_interfaces: ['eth1'] },
  pim: { enabled: true, interfaces: [{ name: 'eth0' }], rp_address: '10.0.0.9' },
}, {});

describe('protocol plane wiring', () => {
  it('hands every IGMP membership event (join, leave, expire) to PIM as local membership', () => {
    const plane = createProtocolPlane(settings, { log, recompile: async () => {} })!;
    const pim = plane.host.modules.find((m) => m.name === 'pim') as PimModule;
    const seen = vi.spyOn(pim, 'membershipChanged');
    for (const type of ['igmp-join', 'igmp-leave', 'igmp-expire']) plane.host.events.publish({ type, interface: 'eth1', group: '239.1.2.3' });
    plane.host.events.publish({ type: 'igmp-querier', interface: 'eth1', querier: true });
    expect(seen.mock.calls).toEqual([['eth1', '239.1.2.3'], ['eth1', '239.1.2.3'], ['eth1', '239.1.2.3']]);
  });
});

describe('what the engines capture besides the rules', () => {
  it('watches the PIM interfaces and holds the interfaces learned routes capture on (IGMP\'s and its upstreams, not PIM\'s)', () => {
    const withUpstream = parseProtocolSections({
      igmp: { enabled: true, querier_interfaces: ['eth1', 'eth2'], upstream_interfaces: ['up0'] },
      pim: { enabled: true, interfaces: [{ name: 'eth0' }], rp_address: '10.0.0.9' },
    }, {});
    const plane = createProtocolPlane(withUpstream, { log, recompile: async () => {} })!;
    const c = plane.capture();
    expect(c.watch).toEqual(['eth0']);
    expect([...c.hold].sort()).toEqual(['eth1', 'eth2', 'up0']);
  });
});
