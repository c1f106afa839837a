import { describe, expect, test } from 'vitest';
import { bench, eth } from './test-harness.js';

// query_interval 10 s, response 2 s, robustness 2: startup interval 2.5 s, Other Querier Present 21 s.
const FAST = { querier_interfaces: ['eth1'], query_interval: 10, query_response_interval: 2, robustness: 2 };
const v3General = { kind: 'query', version: 3, maxRespDs: 20, group: '0.0.0.0', suppress: false, qrv: 2, qqi: 10, sources: [] };
const queryFrom = (qrv = 2, qqi = 10) => ({ kind: 'query' as const, version: 3 as const, maxRespDs: 20, group: '0.0.0.0', suppress: false, qrv, qqi, sources: [] });

describe('querier', () => {
  test('sends startup queries at the startup interval, then one every query interval, with RA and TTL 1', () => {
    const b = bench(FAST, [eth('eth1', '10.0.0.5')]);
    b.clock.advance(25_000);
    expect(b.take().map((s) => [s.at, s.ifname, s.dst, s.routerAlert, s.ttl])).toEqual([
      [0, 'eth1', '224.0.0.1', true, 1], [2500, 'eth1', '224.0.0.1', true, 1], [12_500, 'eth1', '224.0.0.1', true, 1], [22_500, 'eth1', '224.0.0.1', true, 1],
    ]);
    b.clock.advance(1);
    expect(b.mod.view('interfaces')).toMatchObject([{ interface: 'eth1', querier: true, querierAddress: '10.0.0.5', nextGeneralQueryMs: 7499, counters: { sent: { v3_general_query: 4 } } }]);
  });

  test('the General Query carries MRC, QRV and QQIC from the config', () => {
    const b = bench(FAST, [eth('eth1', '10.0.0.5')]);
    expect(b.take()[0]!.msg).toEqual(v3General);
  });

  test('version 2 sends 8-byte IGMPv2 queries', () => {
    const b = bench({ ...FAST, version: 2 }, [eth('eth1', '10.0.0.5')]);
    expect(b.take().map((s) => s.msg)).toEqual([{ kind: 'query', version: 2, maxRespDs: 20, group: '0.0.0.0' }]);
  });

  test('a query from a lower address silences us; after the Other Querier Present Interval of silence we take over', () => {
    const b = bench(FAST, [eth('eth1', '10.0.0.5')]);
    b.take();
    b.clock.advance(1000);
    b.rx('eth1', '10.0.0.1', '224.0.0.1', queryFrom());
    expect(b.events.at(-1)).toEqual({ type: 'igmp-querier', interface: 'eth1', querier: false, querierAddress: '10.0.0.1' });
    expect(b.mod.view('interfaces')).toMatchObject([{ querier: false, querierAddress: '10.0.0.1', otherQuerierPresentMs: 21_000 }]);
    b.clock.advance(20_999);
    expect(b.take()).toEqual([]);
    b.clock.advance(1);
    const sent = b.take();
    expect(sent.map((s) => [s.at, s.dst])).toEqual([[22_000, '224.0.0.1']]);
    expect(b.events.at(-1)).toEqual({ type: 'igmp-querier', interface: 'eth1', querier: true, querierAddress: '10.0.0.5' });
    b.clock.advance(10_000);
    expect(b.take().map((s) => s.at)).toEqual([32_000]);
  });

  test('the lower address wins whichever router starts first: a higher querier heard later changes nothing', () => {
    const b = bench(FAST, [eth('eth1', '10.0.0.5')]);
    b.rx('eth1', '10.0.0.9', '224.0.0.1', queryFrom());
    b.clock.advance(2500);
    expect(b.take().map((s) => s.at)).toEqual([0, 2500]);
    expect(b.mod.view('interfaces')).toMatchObject([{ querier: true, querierAddress: '10.0.0.5' }]);
  });

  test('a non-querier keeps silent while the querier keeps querying, and ignores a higher router meanwhile', () => {
    const b = bench(FAST, [eth('eth1', '10.0.0.5')]);
    b.take();
    for (let i = 0; i < 10; i++) {
      b.rx('eth1', '10.0.0.1', '224.0.0.1', queryFrom());
      b.rx('eth1', '10.0.0.9', '224.0.0.1', queryFrom());
      b.clock.advance(10_000);
    }
    expect(b.take()).toEqual([]);
    expect(b.mod.view('interfaces')).toMatchObject([{ querier: false, querierAddress: '10.0.0.1', otherQuerierPresentMs: 11_000 }]);
  });

  test('a non-querier adopts the querier\'s QRV and QQIC for its timers (RFC 3376 §4.1.6-7)', () => {
    const b = bench(FAST, [eth('eth1', '10.0.0.5')]);
    b.rx('eth1', '10.0.0.1', '224.0.0.1', queryFrom(3, 20));
    // Other Querier Present = 3 × 20 s + 2 s / 2
    expect(b.mod.view('interfaces')).toMatchObject([{ robustness: 3, queryIntervalMs: 20_000, otherQuerierPresentMs: 61_000 }]);
    b.v2('eth1', '10.0.0.50', '239.1.1.1');
    // Group Membership Interval = 3 × 20 s + 2 s
    expect(b.groups()).toMatchObject([{ group: '239.1.1.1', groupTimerMs: 62_000 }]);
  });

  test('disable-querier stops queries at once; enable-querier starts over with startup queries', () => {
    const b = bench(FAST, [eth('eth1', '10.0.0.5')]);
    b.take();
    b.mod.setQuerier('eth1', false);
    b.clock.advance(60_000);
    expect(b.take()).toEqual([]);
    expect(b.mod.view('interfaces')).toMatchObject([{ querierEnabled: false, querier: false }]);
    b.mod.setQuerier('eth1', true);
    b.clock.advance(2500);
    expect(b.take().map((s) => s.at)).toEqual([60_000, 62_500]);
    expect(() => b.mod.setQuerier('eth9', true)).toThrow('expected an IGMP interface (eth1), got "eth9"');
  });

  test('a listen-only interface never queries but tracks who does', () => {
    const b = bench({ ...FAST, interfaces: ['eth2'] }, [eth('eth1', '10.0.0.5'), eth('eth2', '10.1.0.5', 3)]);
    b.rx('eth2', '10.1.0.9', '224.0.0.1', queryFrom());
    expect(b.mod.view('interfaces')).toMatchObject([{ interface: 'eth1' }, { interface: 'eth2', querierAddress: '10.1.0.9' }]);
    b.clock.advance(100_000);
    expect(b.take().every((s) => s.ifname === 'eth1')).toBe(true);
    expect(b.mod.view('interfaces')).toMatchObject([
      { interface: 'eth1', querierEnabled: true, querier: true },
      { interface: 'eth2', querierEnabled: false, querier: false, querierAddress: null },
    ]);
  });

  test('enabling the querier where a higher-addressed router queries takes over at once', () => {
    const b = bench({ ...FAST, querier_interfaces: [], interfaces: ['eth1'] }, [eth('eth1', '10.0.0.5')]);
    b.rx('eth1', '10.0.0.9', '224.0.0.1', queryFrom());
    expect(b.mod.view('interfaces')).toMatchObject([{ querier: false, querierAddress: '10.0.0.9' }]);
    b.mod.setQuerier('eth1', true);
    expect(b.take().map((s) => s.at)).toEqual([0]);
    expect(b.mod.view('interfaces')).toMatchObject([{ querier: true, querierAddress: '10.0.0.5' }]);
  });

  test('an interface without an address does not query until it gets one', () => {
    const b = bench(FAST, [eth('eth1', null)]);
    b.clock.advance(30_000);
    expect(b.take()).toEqual([]);
    b.setInterfaces([eth('eth1', '10.0.0.5')]);
    expect(b.take().map((s) => s.at)).toEqual([30_000]);
    b.setInterfaces([{ ...eth('eth1', '10.0.0.5'), up: false }]);
    b.clock.advance(30_000);
    expect(b.take()).toEqual([]);
  });

  test('our own query looped back is not an election event', () => {
    const b = bench(FAST, [eth('eth1', '10.0.0.5')]);
    b.rx('eth1', '10.0.0.5', '224.0.0.1', queryFrom());
    expect(b.mod.view('interfaces')).toMatchObject([{ querier: true, counters: { drops: { fromSelf: 1 } } }]);
  });
});
