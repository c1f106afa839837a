import { describe, expect, it } from 'vitest';
import { pimConfigSchema } from './index.js';
import { createPimModule } from './module.js';
import { harness, iface } from './test-harness.js';
import { TestClock } from './test-clock.js';

const RP = '10.9.0.1';
const G = '239.1.1.1';
const ifs = [iface('up0', '10.0.0.1', 1), iface('down0', '10.1.0.1', 2)];
const cfg = { interfaces: [{ name: 'up0' }, { name: 'down0' }], rp_address: RP };
const rpf = { [RP]: { interface: 'up0', neighbor: '10.0.0.2' } };

describe('pim config schema', () => {
  const issues = (c: unknown) => { const r = pimConfigSchema.safeParse(c); return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`); };
  it('accepts MCR keys and rejects unknown ones', () => {
    expect(issues({ enabled: true, router_id: '10.0.0.1', interfaces: [{ name: 'eth0', dr_priority: 10, hello_period: 30 }], static_rp: [{ group: '239.0.0.0/8', rp: '10.0.0.9' }], rp_address: '10.0.0.9', spt_switchover: 'never', hello_holdtime: 105, join_prune_interval: 60 })).toEqual([]);
    expect(issues({ bsr: true })).toEqual([': Unrecognized key: "bsr"']);
  });
  it('names the field and the fix', () => {
    expect(issues({ static_rp: [{ group: '239.1.0.1/16', rp: '10.0.0.9' }] })).toEqual(['static_rp.0.group: expected a multicast group range like 239.0.0.0/8 (no host bits, inside 224.0.0.0/4)']);
    expect(issues({ rp_address: '239.1.1.1' })).toEqual(['rp_address: expected rp_address as a unicast IPv4 address like 10.0.0.1']);
    expect(issues({ interfaces: [{ name: 'a' }, { name: 'a' }] })).toEqual(['interfaces.1.name: interface a is listed twice; merge the entries']);
    expect(issues({ spt_switchover: 'later' })).toEqual(['spt_switchover: expected "immediate" or "never"']);
    expect(issues({ interfaces: [{ name: 'eth0', dr_priority: -1 }] })).toEqual(['interfaces.0.dr_priority: expected integer 0-4294967295']);
  });
});

describe('pim module host contract', () => {
  it('reports route changes once each, with pim-route events', async () => {
    const h = harness(cfg, { interfaces: ifs, rpf });
    h.hello('up0', '10.0.0.2', { holdtime: 0xffff });
    await h.settle();
    const before = h.routesChanged;
    h.join('down0', G);
    await h.settle();
    expect(h.routesChanged).toBe(before + 1);
    h.join('down0', G);
    await h.settle();
    expect(h.routesChanged).toBe(before + 1);
    h.leave('down0', G);
    await h.settle();
    expect(h.routesChanged).toBe(before + 2);
    expect(h.events.filter((e) => e.type === 'pim-route')).toEqual([
      { type: 'pim-route', change: 'add', source: '*', group: G, iif: 'up0', oifs: ['down0'] },
      { type: 'pim-route', change: 'remove', source: '*', group: G },
    ]);
  });

  it('counts messages in and out by type', async () => {
    const h = harness(cfg, { interfaces: ifs, rpf });
    h.hello('up0', '10.0.0.2', { holdtime: 0xffff });
    h.join('down0', G);
    await h.settle(5000);
    expect(h.metric('mcr_pim_messages_total', { type: 'hello', direction: 'in' })).toBe(1);
    expect(h.metric('mcr_pim_messages_total', { type: 'hello', direction: 'out' })).toBe(2);
    expect(h.metric('mcr_pim_messages_total', { type: 'join-prune', direction: 'out' })).toBe(1);
    expect(h.pim.metrics().map((m) => m.name)).toEqual(['mcr_pim_messages_total', 'mcr_pim_dropped_total', 'mcr_pim_neighbors', 'mcr_pim_registers_total']);
  });

  it('drops neighbors of an interface that goes down and withdraws the routes through it', async () => {
    const h = harness(cfg, { interfaces: ifs, rpf });
    h.hello('up0', '10.0.0.2', { holdtime: 0xffff });
    h.join('down0', G);
    await h.settle();
    expect(h.pim.routes()).toHaveLength(1);
    h.setInterfaces([{ ...ifs[0]!, up: false }, ifs[1]!]);
    await h.settle();
    expect(h.pim.view('neighbors')).toEqual([]);
    expect(h.pim.routes()).toEqual([]);
  });

  it('subscribes to the IGMP module when it offers onMembershipChange, and says goodbye on stop', async () => {
    const clock = new TestClock();
    let listener: ((i: string, g: string) => void) | undefined;
    const sent: string[] = [];
    const m = createPimModule(cfg, {
      rpf: async () => null,
      igmp: { members: () => ({ mode: 'exclude', sources: [] }), onMembershipChange: (l) => { listener = l; } },
    });
    m.start({ clock, log: { level: 'error', error() {}, warn() {}, info() {}, debug() {} }, interfaces: () => ifs, routesChanged() {}, emit() {}, tx: { send: (i, d) => sent.push(`${i} ${d}`) } });
    listener!('down0', G);
    expect((m.view('state') as Array<{ group: string }>).map((s) => s.group)).toEqual([G]);
    m.stop();
    expect(sent.sort()).toEqual(['down0 224.0.0.13', 'up0 224.0.0.13']);
    expect(m.view('nonsense')).toBeUndefined();
  });

  it('does nothing with enabled: false', async () => {
    const h = harness({ ...cfg, enabled: false }, { interfaces: ifs, rpf });
    await h.settle(60_000);
    h.hello('up0', '10.0.0.2');
    expect(h.sent).toEqual([]);
    expect(h.pim.view('neighbors')).toEqual([]);
  });
});
