import { describe, expect, it } from 'vitest';
import { encodePim } from './codec.js';
import { harness, iface } from './test-harness.js';

const cfg = { interfaces: [{ name: 'lan0', dr_priority: 5 }, { name: 'lan1' }] };
const ifs = [iface('lan0', '10.0.0.1', 1), iface('lan1', '10.1.0.1', 2)];

describe('PIM Hello and neighbors (RFC 7761 §4.3)', () => {
  it('sends a triggered Hello within Triggered_Hello_Delay, then every hello_period, with holdtime 3.5×', async () => {
    const h = harness(cfg, { interfaces: ifs });
    h.clock.advance(5000);
    const first = h.take('hello');
    expect(first.map((s) => s.ifname).sort()).toEqual(['lan0', 'lan1']);
    const lan0 = first.find((s) => s.ifname === 'lan0')!;
    expect(lan0.dst).toBe('224.0.0.13');
    expect(lan0.ttl).toBe(1);
    expect(lan0.msg).toMatchObject({ holdtime: 105, drPriority: 5, lanPruneDelay: { tBit: false, propagationDelayMs: 500, overrideIntervalMs: 2500 } });
    expect(lan0.msg.genId).toBeTypeOf('number');
    h.clock.advance(30_000);
    const second = h.take('hello');
    expect(second.length).toBe(2);
    expect(second.find((s) => s.ifname === 'lan0')!.at - lan0.at).toBe(30_000);
    expect(second.find((s) => s.ifname === 'lan0')!.msg.genId).toBe(lan0.msg.genId);
  });

  it('honours hello_period and hello_holdtime', () => {
    const h = harness({ interfaces: [{ name: 'lan0', hello_period: 10 }], hello_holdtime: 40 }, { interfaces: ifs });
    h.clock.advance(5000);
    const [a] = h.take('hello');
    h.clock.advance(10_000);
    const [b] = h.take('hello');
    expect(a!.msg.holdtime).toBe(40);
    expect(b!.at - a!.at).toBe(10_000);
  });

  it('learns a neighbor, expires it after its holdtime and emits pim-neighbor events', () => {
    const h = harness(cfg, { interfaces: ifs });
    h.hello('lan0', '10.0.0.2', { holdtime: 35, drPriority: 1, genId: 42 });
    expect(h.pim.view('neighbors')).toEqual([expect.objectContaining({ interface: 'lan0', address: '10.0.0.2', holdtime: 35, drPriority: 1, genId: 42, expiresAtMs: 35_000 })]);
    expect(h.metric('mcr_pim_neighbors', { interface: 'lan0' })).toBe(1);
    h.clock.advance(34_999);
    expect(h.pim.view('neighbors')).toHaveLength(1);
    h.clock.advance(1);
    expect(h.pim.view('neighbors')).toEqual([]);
    expect(h.events.filter((e) => e.type === 'pim-neighbor').map((e) => e['change'])).toEqual(['up', 'expire']);
  });

  it('refreshes the expiry on every Hello and removes the neighbor on holdtime 0', () => {
    const h = harness(cfg, { interfaces: ifs });
    h.hello('lan0', '10.0.0.2', { holdtime: 35 });
    h.clock.advance(30_000);
    h.hello('lan0', '10.0.0.2', { holdtime: 35 });
    h.clock.advance(30_000);
    expect(h.pim.view('neighbors')).toHaveLength(1);
    h.hello('lan0', '10.0.0.2', { holdtime: 0 });
    expect(h.pim.view('neighbors')).toEqual([]);
    expect(h.events.filter((e) => e.type === 'pim-neighbor').map((e) => e['change'])).toEqual(['up', 'down']);
  });

  it('answers a new neighbor with a Hello within Triggered_Hello_Delay', () => {
    const h = harness(cfg, { interfaces: ifs });
    h.clock.advance(6000);
    h.take('hello');
    h.hello('lan0', '10.0.0.2');
    h.clock.advance(5000);
    expect(h.take('hello').filter((s) => s.ifname === 'lan0')).toHaveLength(1);
  });

  it('a triggered Hello never postpones the scheduled one (§4.3.1): new neighbors cannot push our Hellos past hello_period', () => {
    // Hello every 1 s with holdtime 3.5 s: a Hello later than 3.5 s would make every neighbor expire us.
    const h = harness({ interfaces: [{ name: 'lan0', hello_period: 1 }] }, { interfaces: ifs });
    h.clock.advance(5000);
    const at = h.take('hello').map((s) => s.at);
    for (let i = 0; i < 20; i++) {
      h.clock.advance(300);
      h.hello('lan0', `10.0.0.${10 + i}`, { holdtime: 4 });   // a new neighbor every 300 ms
      h.clock.advance(200);
      h.hello('lan0', `10.0.0.${10 + i}`, { holdtime: 4, genId: i + 1 });   // ... and a restart
    }
    h.clock.advance(1000);
    at.push(...h.take('hello').filter((s) => s.ifname === 'lan0').map((s) => s.at));
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1000);
    expect(at.length).toBeGreaterThanOrEqual(11);
  });

  it('a DR-priority change sends a Hello within Triggered_Hello_Delay, or sooner at the scheduled one', () => {
    const h = harness({ interfaces: [{ name: 'lan0', hello_period: 1 }] }, { interfaces: ifs });
    h.clock.advance(5000);
    const last = h.take('hello').at(-1)!.at;
    h.pim.enableInterface('lan0', { drPriority: 7 });
    h.clock.advance(1000);
    const next = h.take('hello').filter((s) => s.ifname === 'lan0');
    expect(next[0]!.msg.drPriority).toBe(7);
    expect(next[0]!.at - last).toBeLessThanOrEqual(1000);
  });

  it('treats a GenID change as a restart', () => {
    const h = harness(cfg, { interfaces: ifs });
    h.hello('lan0', '10.0.0.2', { genId: 1 });
    h.clock.advance(1000);
    h.hello('lan0', '10.0.0.2', { genId: 1 });
    h.hello('lan0', '10.0.0.2', { genId: 2 });
    expect(h.events.filter((e) => e.type === 'pim-neighbor').map((e) => e['change'])).toEqual(['up', 'restart']);
    expect(h.pim.view('neighbors')).toEqual([expect.objectContaining({ genId: 2, upSinceMs: 1000 })]);
  });

  it('elects the DR by priority, then by address, and by address alone if one router omits the priority', () => {
    const h = harness(cfg, { interfaces: ifs });
    const dr = () => (h.pim.view('interfaces') as Array<{ interface: string; dr: string }>).find((i) => i.interface === 'lan0')!.dr;
    expect(dr()).toBe('10.0.0.1');
    h.hello('lan0', '10.0.0.2', { drPriority: 1 });
    expect(dr()).toBe('10.0.0.1'); // our priority 5 beats 1
    h.hello('lan0', '10.0.0.3', { drPriority: 5 });
    expect(dr()).toBe('10.0.0.3'); // tie on 5: higher address
    h.hello('lan0', '10.0.0.4', { drPriority: undefined });
    expect(dr()).toBe('10.0.0.4'); // not everybody sends a priority: address only
    h.hello('lan0', '10.0.0.4', { holdtime: 0 });
    expect(dr()).toBe('10.0.0.3');
    expect(h.events.filter((e) => e.type === 'pim-dr').map((e) => e['dr'])).toEqual(['10.0.0.3', '10.0.0.4', '10.0.0.3']);
  });

  it('sends a triggered Hello with the new priority when dr_priority changes', () => {
    const h = harness(cfg, { interfaces: ifs });
    h.clock.advance(6000);
    h.take('hello');
    h.pim.enableInterface('lan0', { drPriority: 9 });
    h.clock.advance(5000);
    const s = h.take('hello').filter((x) => x.ifname === 'lan0');
    expect(s.map((x) => x.msg.drPriority)).toEqual([9]);
  });

  it('sends a goodbye (holdtime 0) when an interface is disabled and forgets its neighbors', () => {
    const h = harness(cfg, { interfaces: ifs });
    h.hello('lan1', '10.1.0.2');
    h.pim.disableInterface('lan1');
    expect(h.take('hello').filter((s) => s.ifname === 'lan1').map((s) => s.msg.holdtime)).toEqual([0]);
    expect(h.pim.view('neighbors')).toEqual([]);
    h.clock.advance(60_000);
    expect(h.take('hello').every((s) => s.ifname === 'lan0')).toBe(true);
  });

  it('accepts Hello only to 224.0.0.13 on a PIM interface, counting the rest', () => {
    const h = harness(cfg, { interfaces: [...ifs, iface('eth9', '10.9.0.1', 9)] });
    h.rx('lan0', '10.0.0.2', { type: 'hello', holdtime: 105, addresses: [] }, '10.0.0.1');
    h.rx('eth9', '10.9.0.2', { type: 'hello', holdtime: 105, addresses: [] });
    const bad = encodePim({ type: 'hello', holdtime: 105, addresses: [] });
    bad[3]! ^= 0xff;
    h.rxRaw('lan0', '10.0.0.2', bad);
    h.rxRaw('lan0', '10.0.0.2', Uint8Array.of(0x20));
    expect(h.pim.view('neighbors')).toEqual([]);
    expect(h.metric('mcr_pim_dropped_total', { reason: 'badDestination' })).toBe(1);
    expect(h.metric('mcr_pim_dropped_total', { reason: 'notPimInterface' })).toBe(1);
    expect(h.metric('mcr_pim_dropped_total', { reason: 'badChecksum' })).toBe(1);
    expect(h.metric('mcr_pim_dropped_total', { reason: 'truncated' })).toBe(1);
    expect(h.metric('mcr_pim_messages_total', { type: 'hello', direction: 'in' })).toBe(1);
  });

  it('restarts the interface with a new GenID when its address changes', () => {
    const h = harness(cfg, { interfaces: ifs });
    h.clock.advance(5000);
    const g1 = h.take('hello').find((s) => s.ifname === 'lan0')!.msg.genId;
    h.setInterfaces([iface('lan0', '10.0.0.9', 1), ifs[1]!]);
    h.clock.advance(5000);
    const g2 = h.take('hello').find((s) => s.ifname === 'lan0')!.msg.genId;
    expect(g2).not.toBe(g1);
    expect((h.pim.view('interfaces') as Array<{ address: string }>).map((i) => i.address)).toContain('10.0.0.9');
  });
});
