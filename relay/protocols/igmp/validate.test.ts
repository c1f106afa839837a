import { describe, expect, test } from 'vitest';
import type { IgmpMessage } from './codec.js';
import { bench, eth } from './test-harness.js';

const G = '239.1.1.1';
const ME = '10.0.0.5';
const general: IgmpMessage = { kind: 'query', version: 3, maxRespDs: 100, group: '0.0.0.0', suppress: false, qrv: 2, qqi: 125, sources: [] };
const specific: IgmpMessage = { kind: 'query', version: 3, maxRespDs: 5, group: G, suppress: false, qrv: 2, qqi: 125, sources: [] };

function fresh(extra: Record<string, unknown> = {}) {
  const b = bench({ querier_interfaces: [], interfaces: ['eth1'], ...extra }, [eth('eth1', ME)]);
  return b;
}

describe('acceptance by IP header', () => {
  test.each<[string, string, IgmpMessage, Record<string, unknown>, string]>([
    ['General Query to a unicast address', ME, general, {}, 'generalQueryDst'],
    ['General Query to 224.0.0.2', '224.0.0.2', general, {}, 'generalQueryDst'],
    ['group-specific query to another group', '239.9.9.9', specific, {}, 'queryDst'],
    ['v2 report not to its group', '224.0.0.22', { kind: 'v2-report', group: G }, {}, 'reportDst'],
    ['v1 report not to its group', '239.1.1.2', { kind: 'v1-report', group: G }, {}, 'reportDst'],
    ['v2 leave to 224.0.0.1', '224.0.0.1', { kind: 'v2-leave', group: G }, {}, 'leaveDst'],
    ['v3 report to 224.0.0.1', '224.0.0.1', { kind: 'v3-report', skippedRecords: 0, records: [] }, {}, 'v3ReportDst'],
    ['TTL 2', G, { kind: 'v2-report', group: G }, { ttl: 2 }, 'badTtl'],
    ['TTL 0', G, { kind: 'v2-report', group: G }, { ttl: 0 }, 'badTtl'],
    ['query for a non-multicast group', G, { ...specific, group: '10.1.1.1' }, {}, 'badGroup'],
  ])('%s is dropped as %s', (_what, dst, msg, over, reason) => {
    const b = fresh();
    b.rx('eth1', '10.0.0.9', dst, msg, over);
    expect(b.drops('eth1')).toEqual({ [reason]: 1 });
    expect(b.groups()).toEqual([]);
  });

  test.each<[string, string, IgmpMessage]>([
    ['v2 report to our own address (RFC 3376 §4.2.14)', ME, { kind: 'v2-report', group: G }],
    ['v2 leave to its group', G, { kind: 'v2-leave', group: G }],
  ])('%s is accepted', (_what, dst, msg) => {
    const b = fresh();
    b.v2('eth1', '10.0.0.9', G);
    b.rx('eth1', '10.0.0.9', dst, msg);
    expect(b.drops('eth1')).toEqual({});
  });

  test('a group-specific query to our own address is accepted and lowers the group timer', () => {
    const b = fresh();
    b.v2('eth1', '10.0.0.9', G);
    b.rx('eth1', '10.0.0.1', ME, specific);
    b.clock.advance(1000);
    expect(b.groups()).toEqual([]);
  });

  test('missing Router Alert is counted and accepted by default, dropped with require_router_alert', () => {
    const lenient = fresh();
    lenient.rx('eth1', '10.0.0.9', G, { kind: 'v2-report', group: G }, { routerAlert: false });
    expect(lenient.groups()).toHaveLength(1);
    expect(lenient.mod.view('interfaces')).toMatchObject([{ counters: { withoutRouterAlert: 1, drops: {} } }]);
    const strict = fresh({ require_router_alert: true });
    strict.rx('eth1', '10.0.0.9', G, { kind: 'v2-report', group: G }, { routerAlert: false });
    expect(strict.groups()).toEqual([]);
    expect(strict.drops('eth1')).toEqual({ noRouterAlert: 1 });
  });

  test('malformed payloads are counted by parse reason; other interfaces are counted apart', () => {
    const b = fresh();
    const base = { src: '10.0.0.9', dst: G, ttl: 1, routerAlert: true, ipProto: 2 };
    b.mod.receive({ ...base, ifname: 'eth1', payload: Uint8Array.of(0x16, 0, 0xf8, 0xfb, 239, 1, 2, 3) });
    b.mod.receive({ ...base, ifname: 'eth1', payload: Uint8Array.of(0x16, 0) });
    b.mod.receive({ ...base, ifname: 'eth7', payload: Uint8Array.of(0x16, 0) });
    expect(b.drops('eth1')).toEqual({ badChecksum: 1, truncated: 1 });
    expect(b.mod.metrics().find((m) => m.name === 'mcr_igmp_drops_total')!.samples).toEqual([
      { labels: { interface: 'eth1', reason: 'badChecksum' }, value: 1 },
      { labels: { interface: 'eth1', reason: 'truncated' }, value: 1 },
      { labels: { interface: '', reason: 'unknownInterface' }, value: 1 },
    ]);
  });

  test('received messages are counted by type', () => {
    const b = fresh();
    b.rx('eth1', '10.0.0.1', '224.0.0.1', general);
    b.v2('eth1', '10.0.0.9', G);
    b.v3('eth1', '10.0.0.9', [['IS_EX', G]]);
    expect(b.mod.metrics().find((m) => m.name === 'mcr_igmp_messages_received_total')!.samples).toEqual([
      { labels: { interface: 'eth1', type: 'v3_query' }, value: 1 },
      { labels: { interface: 'eth1', type: 'v2_report' }, value: 1 },
      { labels: { interface: 'eth1', type: 'v3_report' }, value: 1 },
    ]);
  });
});
