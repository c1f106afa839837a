import { describe, expect, it } from 'vitest';
import { ipv4 } from './addr.js';
import type { BootstrapMsg } from './codec.js';
import { rpHash } from './rp.js';
import { harness, iface } from './test-harness.js';

const ifs = [iface('up0', '10.0.0.1', 1), iface('down0', '10.1.0.1', 2), iface('down1', '10.2.0.1', 3)];
const rpView = (h: ReturnType<typeof harness>) => h.pim.view('rp') as { bsr: { address: string } | null; ranges: Array<{ range: string; rp: string; source: string }> };

function bsm(o: Partial<BootstrapMsg> = {}): BootstrapMsg {
  return {
    type: 'bootstrap', noForward: false, fragmentTag: 7, hashMaskLen: 30, bsrPriority: 10, bsrAddress: '10.9.9.9',
    groups: [{ group: { addr: '224.0.0.0', maskLen: 4 }, rpCount: 2, fragmentRpCount: 2, rps: [{ address: '10.1.1.1', holdtime: 150, priority: 5 }, { address: '10.1.1.2', holdtime: 150, priority: 5 }] }],
    ...o,
  };
}
/** RP chosen for `group`, read from the (*,G) state the module builds for a local receiver. */
function rpFor(h: ReturnType<typeof harness>, group: string): string | null {
  h.join('down0', group);
  const st = (h.pim.view('state') as Array<{ source: string; group: string; rp: string | null }>).find((s) => s.group === group && s.source === '*');
  return st?.rp ?? null;
}

describe('RP hash (RFC 7761 §4.7.2)', () => {
  it('matches values computed independently with 64-bit arithmetic (as FRR does)', () => {
    expect(rpHash(ipv4('239.1.1.1'), 30, ipv4('10.1.1.1'))).toBe(1331545105);
    expect(rpHash(ipv4('239.1.1.1'), 30, ipv4('10.1.1.2'))).toBe(347123544);
    expect(rpHash(ipv4('239.1.1.5'), 30, ipv4('10.1.1.2'))).toBe(2024927996);
    // the mask makes groups of one /30 hash alike
    expect(rpHash(ipv4('239.1.1.2'), 30, ipv4('10.1.1.1'))).toBe(rpHash(ipv4('239.1.1.1'), 30, ipv4('10.1.1.1')));
  });
});

describe('RP mapping', () => {
  it('picks the longest static prefix and uses rp_address as 224.0.0.0/4', () => {
    const h = harness({ interfaces: [{ name: 'up0' }], rp_address: '10.9.0.1', static_rp: [{ group: '239.0.0.0/8', rp: '10.9.0.2' }, { group: '239.1.0.0/16', rp: '10.9.0.3' }] }, { interfaces: ifs });
    expect(rpFor(h, '239.1.2.3')).toBe('10.9.0.3');
    expect(rpFor(h, '239.2.2.3')).toBe('10.9.0.2');
    expect(rpFor(h, '225.1.1.1')).toBe('10.9.0.1');
    expect(rpView(h).ranges).toEqual(expect.arrayContaining([{ range: '224.0.0.0/4', rp: '10.9.0.1', source: 'static' }, { range: '239.1.0.0/16', rp: '10.9.0.3', source: 'static' }]));
    h.pim.setRp('239.1.0.0/16', undefined);
    expect(rpFor(h, '239.1.2.4')).toBe('10.9.0.2');
    expect(() => h.pim.setRp('239.1.0.1/16', '10.0.0.9')).toThrow(/group range "239.1.0.1\/16"/);
  });

  it('learns the BSR RP-set, chooses by hash, and forwards the Bootstrap to the other interfaces', async () => {
    const h = harness({ interfaces: [{ name: 'up0' }, { name: 'down0' }, { name: 'down1' }] }, { interfaces: ifs, rpf: { '10.9.9.9': { interface: 'up0', neighbor: '10.0.0.2' } } });
    h.hello('up0', '10.0.0.2');
    h.hello('down0', '10.1.0.2');
    h.rx('up0', '10.0.0.2', bsm());
    await h.settle();
    expect(rpView(h).bsr).toMatchObject({ address: '10.9.9.9', priority: 10, hashMaskLen: 30 });
    expect(rpFor(h, '239.1.1.1')).toBe('10.1.1.1');
    expect(rpFor(h, '239.1.1.5')).toBe('10.1.1.2');
    const fwd = h.take('bootstrap');
    // down1 has no PIM neighbor, and up0 is where it came from
    expect(fwd.map((s) => [s.ifname, s.dst, s.ttl])).toEqual([['down0', '224.0.0.13', 1]]);
    expect(fwd[0]!.msg).toEqual(bsm());
  });

  it('prefers the better RP priority over the hash, and static over BSR', async () => {
    const h = harness({ interfaces: [{ name: 'up0' }], static_rp: [{ group: '239.7.0.0/16', rp: '10.5.5.5' }] }, { interfaces: ifs, rpf: { '10.9.9.9': { interface: 'up0', neighbor: '10.0.0.2' } } });
    h.hello('up0', '10.0.0.2');
    h.rx('up0', '10.0.0.2', bsm({ groups: [{ group: { addr: '224.0.0.0', maskLen: 4 }, rpCount: 2, fragmentRpCount: 2, rps: [{ address: '10.1.1.1', holdtime: 150, priority: 9 }, { address: '10.1.1.2', holdtime: 150, priority: 4 }] }] }));
    await h.settle();
    expect(rpFor(h, '239.1.1.1')).toBe('10.1.1.2');
    expect(rpFor(h, '239.7.1.1')).toBe('10.5.5.5');
    expect(rpView(h).ranges).toEqual(expect.arrayContaining([{ range: '239.7.0.0/16', rp: '10.5.5.5', source: 'static' }, expect.objectContaining({ range: '224.0.0.0/4', rp: '10.1.1.2', source: 'bsr' })]));
  });

  it('drops Bootstraps not from the RPF neighbor toward the BSR and from a less preferred BSR', async () => {
    const h = harness({ interfaces: [{ name: 'up0' }, { name: 'down0' }] }, { interfaces: ifs, rpf: { '10.9.9.9': { interface: 'up0', neighbor: '10.0.0.2' }, '10.9.9.1': { interface: 'up0', neighbor: '10.0.0.2' } } });
    h.hello('up0', '10.0.0.2');
    h.hello('down0', '10.1.0.2');
    h.rx('down0', '10.1.0.2', bsm());
    await h.settle();
    expect(rpView(h).bsr).toBeNull();
    expect(h.metric('mcr_pim_dropped_total', { reason: 'bootstrapNotFromRpf' })).toBe(1);
    h.rx('up0', '10.0.0.2', bsm());
    await h.settle();
    h.rx('up0', '10.0.0.2', bsm({ bsrAddress: '10.9.9.1', bsrPriority: 10 }));
    await h.settle();
    expect(rpView(h).bsr?.address).toBe('10.9.9.9');
    expect(h.metric('mcr_pim_dropped_total', { reason: 'bootstrapNotPreferred' })).toBe(1);
    // After BS_Timeout any BSR is accepted again.
    await h.settle(130_000);
    h.rx('up0', '10.0.0.2', bsm({ bsrAddress: '10.9.9.1', groups: [] }));
    await h.settle();
    expect(rpView(h).bsr?.address).toBe('10.9.9.1');
  });

  it('does not forward a Bootstrap with the No-Forward bit and expires RPs after their holdtime', async () => {
    const h = harness({ interfaces: [{ name: 'up0' }, { name: 'down0' }] }, { interfaces: ifs, rpf: { '10.9.9.9': { interface: 'up0', neighbor: '10.0.0.2' } } });
    h.hello('up0', '10.0.0.2');
    h.hello('down0', '10.1.0.2');
    h.rx('up0', '10.0.0.2', bsm({ noForward: true }));
    await h.settle();
    expect(h.take('bootstrap')).toEqual([]);
    expect(rpFor(h, '239.1.1.1')).toBe('10.1.1.1');
    h.clock.advance(150_000);
    expect(rpView(h).ranges).toEqual([]);
    expect(rpFor(h, '239.1.1.9')).toBeNull();
  });

  it('replaces a range\'s RP-set with each Bootstrap\'s (RFC 5059): an RP the BSR drops is gone at once, not at its holdtime', async () => {
    const h = harness({ interfaces: [{ name: 'up0' }] }, { interfaces: ifs, rpf: { '10.9.9.9': { interface: 'up0', neighbor: '10.0.0.2' } } });
    h.hello('up0', '10.0.0.2');
    const rp = (address: string, priority: number) => ({ address, holdtime: 150, priority });
    h.rx('up0', '10.0.0.2', bsm({ groups: [{ group: { addr: '239.0.0.0', maskLen: 8 }, rpCount: 2, fragmentRpCount: 2, rps: [rp('10.1.1.1', 10), rp('10.1.1.2', 200)] }] }));
    await h.settle();
    expect(rpFor(h, '239.1.1.1')).toBe('10.1.1.1');
    h.rx('up0', '10.0.0.2', bsm({ fragmentTag: 8, groups: [{ group: { addr: '239.0.0.0', maskLen: 8 }, rpCount: 1, fragmentRpCount: 1, rps: [rp('10.1.1.2', 200)] }] }));
    await h.settle();
    expect(rpFor(h, '239.1.1.2')).toBe('10.1.1.2');
    expect(rpView(h).ranges.filter((r) => r.source === 'bsr').map((r) => r.rp)).toEqual(['10.1.1.2']);
    // RP count 0: the range has no RP any more.
    h.rx('up0', '10.0.0.2', bsm({ fragmentTag: 9, groups: [{ group: { addr: '239.0.0.0', maskLen: 8 }, rpCount: 0, fragmentRpCount: 0, rps: [] }] }));
    await h.settle();
    expect(rpView(h).ranges).toEqual([]);
  });

  it('keeps the old RP-set of a range split over fragments until all its RPs (RP count) have arrived with one fragment tag', async () => {
    const h = harness({ interfaces: [{ name: 'up0' }] }, { interfaces: ifs, rpf: { '10.9.9.9': { interface: 'up0', neighbor: '10.0.0.2' } } });
    h.hello('up0', '10.0.0.2');
    const rp = (address: string, priority: number) => ({ address, holdtime: 150, priority });
    const range = { addr: '239.0.0.0', maskLen: 8 };
    h.rx('up0', '10.0.0.2', bsm({ groups: [{ group: range, rpCount: 1, fragmentRpCount: 1, rps: [rp('10.1.1.1', 10)] }] }));
    await h.settle();
    h.rx('up0', '10.0.0.2', bsm({ fragmentTag: 20, groups: [{ group: range, rpCount: 2, fragmentRpCount: 1, rps: [rp('10.1.1.2', 5)] }] }));
    await h.settle();
    expect(rpView(h).ranges.map((r) => r.rp)).toEqual(['10.1.1.1']);
    h.rx('up0', '10.0.0.2', bsm({ fragmentTag: 20, groups: [{ group: range, rpCount: 2, fragmentRpCount: 1, rps: [rp('10.1.1.3', 50)] }] }));
    await h.settle();
    expect(rpView(h).ranges.map((r) => r.rp).sort()).toEqual(['10.1.1.2', '10.1.1.3']);
    expect(rpFor(h, '239.1.1.1')).toBe('10.1.1.2');
  });
});

