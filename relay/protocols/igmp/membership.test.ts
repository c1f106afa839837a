import { describe, expect, test } from 'vitest';
import { bench, eth } from './test-harness.js';

// QI 10 s, QRI 2 s, robustness 2, LMQI 1 s, LMQC 2: GMI 22 s, LMQT 2 s.
const FAST = { querier_interfaces: ['eth1'], query_interval: 10, query_response_interval: 2, robustness: 2, last_member_query_interval: 1 };
const G = '239.1.1.1';
const H1 = '10.0.0.21';
const H2 = '10.0.0.22';

function querierBench(extra: Record<string, unknown> = {}) {
  const b = bench({ ...FAST, ...extra }, [eth('eth1', '10.0.0.5'), eth('eth2', '10.1.0.5', 3)]);
  b.take();
  return b;
}
const groupQueries = (b: ReturnType<typeof bench>) => b.take().filter((s) => s.msg.kind === 'query' && s.msg.group !== '0.0.0.0');

describe('membership on a querier interface', () => {
  test('v2 Leave: group-specific queries at LMQI, forwarding stops at LMQT, igmp-leave', () => {
    const b = querierBench();
    b.v2('eth1', H1, G);
    b.clock.advance(3000);
    const changes = b.routesChanged;
    b.leave('eth1', H1, G);
    b.clock.advance(1000);
    expect(groupQueries(b).map((s) => [s.at, s.dst, s.msg])).toEqual([
      [3000, G, { kind: 'query', version: 3, maxRespDs: 10, group: G, suppress: false, qrv: 2, qqi: 10, sources: [] }],
      [4000, G, { kind: 'query', version: 3, maxRespDs: 10, group: G, suppress: false, qrv: 2, qqi: 10, sources: [] }],
    ]);
    b.clock.advance(999);
    expect(b.mod.routes()).toHaveLength(1);
    b.clock.advance(1);
    expect(b.mod.routes()).toEqual([]);
    expect(b.routesChanged).toBe(changes + 1);
    expect(b.events.at(-1)).toEqual({ type: 'igmp-leave', interface: 'eth1', group: G, reporter: H1, mode: 'include', compat: 'v2' });
    expect(groupQueries(b)).toEqual([]);
  });

  test('a report after the first group-specific query keeps the group, and the retransmission carries S', () => {
    const b = querierBench();
    b.v2('eth1', H1, G);
    b.leave('eth1', H1, G);
    b.clock.advance(500);
    b.v2('eth1', H2, G);
    b.clock.advance(5000);
    expect(groupQueries(b).map((s) => [s.at, s.msg.kind === 'query' && s.msg.version === 3 && s.msg.suppress])).toEqual([[0, false], [1000, true]]);
    expect(b.groups()).toMatchObject([{ group: G, lastReporter: H2, groupTimerMs: 22_000 - 5000 }]);
  });

  test('a member that goes silent expires at the Group Membership Interval, igmp-expire', () => {
    const b = querierBench();
    b.v3('eth1', H1, [['IS_EX', G]]);
    b.clock.advance(21_999);
    expect(b.mod.members('eth1', G)).toEqual({ mode: 'exclude', sources: [] });
    b.clock.advance(1);
    expect(b.mod.members('eth1', G)).toBeNull();
    expect(b.events.at(-1)).toMatchObject({ type: 'igmp-expire', group: G });
  });

  test('v1 host present: v1 mode ignores leaves, then falls back to v2 when the v1 timer runs out', () => {
    const b = querierBench();
    b.v1('eth1', H1, G);
    b.v2('eth1', H2, G);
    expect(b.mod.routes()[0]!.oifs[0]!.reason).toBe('igmp v1 report');
    b.leave('eth1', H2, G);
    expect(groupQueries(b)).toEqual([]);
    expect(b.drops('eth1')).toMatchObject({ leaveInV1Mode: 1 });
    for (let t = 0; t < 2; t++) { b.clock.advance(10_000); b.v2('eth1', H2, G); }
    const changes = b.routesChanged;
    b.clock.advance(2000);
    expect(b.groups()).toMatchObject([{ compat: 'v2', v1HostTimerMs: null }]);
    expect(b.mod.routes()[0]!.oifs[0]!.reason).toBe('igmp v2 report');
    expect(b.routesChanged).toBe(changes + 1);
  });

  test('v2 host present: BLOCK is ignored and TO_EX drops its source list (RFC 3376 §7.3.2)', () => {
    const b = querierBench();
    b.v2('eth1', H1, G);
    b.v3('eth1', H2, [['TO_EX', G, ['10.9.9.9']], ['BLOCK', G, ['10.9.9.8']]]);
    expect(b.mod.members('eth1', G)).toEqual({ mode: 'exclude', sources: [] });
    expect(b.drops('eth1')).toMatchObject({ blockInCompatMode: 1 });
    expect(b.groups()).toMatchObject([{ compat: 'v2' }]);
  });

  test('v3 INCLUDE: (S,G) routes; BLOCK of a source sends group-and-source queries and prunes it at LMQT', () => {
    const b = querierBench();
    b.v3('eth1', H1, [['ALLOW', G, ['10.9.0.1', '10.9.0.2']]]);
    expect(b.mod.routes().map((r) => [r.source, r.oifs[0]!.reason])).toEqual([['10.9.0.1', 'igmp v3 include'], ['10.9.0.2', 'igmp v3 include']]);
    b.v3('eth1', H1, [['BLOCK', G, ['10.9.0.1']]]);
    b.clock.advance(1000);
    expect(groupQueries(b).map((s) => [s.at, s.msg])).toEqual([0, 1000].map((at) => [at, { kind: 'query', version: 3, maxRespDs: 10, group: G, suppress: false, qrv: 2, qqi: 10, sources: ['10.9.0.1'] }]));
    b.clock.advance(1000);
    expect(b.mod.members('eth1', G)).toEqual({ mode: 'include', sources: ['10.9.0.2'] });
    expect(b.mod.routes().map((r) => r.source)).toEqual(['10.9.0.2']);
  });

  test('v3 EXCLUDE: TO_EX {S} excludes S but forwards (*,G); TO_IN {} queries the group and ends it', () => {
    const b = querierBench();
    b.v3('eth1', H1, [['TO_EX', G, ['10.9.0.1']]]);
    expect(b.mod.members('eth1', G)).toEqual({ mode: 'exclude', sources: ['10.9.0.1'] });
    expect(b.mod.routes()).toEqual([{ origin: 'igmp', group: G, oifs: [{ interface: 'eth1', reason: 'igmp v3 exclude', expiresAtMs: b.clock.now() + 22_000 }] }]);
    b.v3('eth1', H1, [['TO_IN', G]]);
    expect(groupQueries(b).map((s) => s.msg)).toEqual([{ kind: 'query', version: 3, maxRespDs: 10, group: G, suppress: false, qrv: 2, qqi: 10, sources: [] }]);
    b.clock.advance(2000);
    expect(b.mod.members('eth1', G)).toBeNull();
  });

  test('EXCLUDE to INCLUDE: when the group timer runs out, requested sources keep forwarding as (S,G)', () => {
    const b = querierBench();
    b.v3('eth1', H1, [['IS_EX', G, ['10.9.0.1']]]);
    b.clock.advance(5000);
    b.v3('eth1', H2, [['IS_IN', G, ['10.9.0.2']]]);
    b.clock.advance(17_000);
    expect(b.mod.members('eth1', G)).toEqual({ mode: 'include', sources: ['10.9.0.2'] });
    b.clock.advance(5000);
    expect(b.mod.members('eth1', G)).toBeNull();
  });

  test('version 2 querier: no group-and-source queries, sources are not lowered', () => {
    const b = querierBench({ version: 2 });
    b.v3('eth1', H1, [['ALLOW', G, ['10.9.0.1']], ['BLOCK', G, ['10.9.0.1']]]);
    expect(groupQueries(b)).toEqual([]);
    b.clock.advance(5000);
    expect(b.mod.members('eth1', G)).toEqual({ mode: 'include', sources: ['10.9.0.1'] });
  });

  test('a non-querier does not send group-specific queries on a leave', () => {
    const b = querierBench();
    b.rx('eth1', '10.0.0.1', '224.0.0.1', { kind: 'query', version: 2, maxRespDs: 100, group: '0.0.0.0' });
    b.v2('eth1', H1, G);
    b.leave('eth1', H1, G);
    b.clock.advance(5000);
    expect(b.take()).toEqual([]);
    expect(b.mod.members('eth1', G)).not.toBeNull();
  });
});

describe('membership where another router is the querier', () => {
  test('the querier\'s group-specific query lowers our group timer to its LMQT (RFC 3376 §6.6.1)', () => {
    const b = bench({ ...FAST, querier_interfaces: [], interfaces: ['eth2'] }, [eth('eth2', '10.1.0.5', 3)]);
    b.v2('eth2', H1, G);
    b.leave('eth2', H1, G);
    // QRV 2 × MRC 0.5 s = 1 s
    b.rx('eth2', '10.1.0.1', G, { kind: 'query', version: 3, maxRespDs: 5, group: G, suppress: false, qrv: 2, qqi: 10, sources: [] });
    b.clock.advance(999);
    expect(b.mod.members('eth2', G)).not.toBeNull();
    b.clock.advance(1);
    expect(b.mod.members('eth2', G)).toBeNull();
    expect(b.events.at(-1)).toMatchObject({ type: 'igmp-leave', interface: 'eth2', group: G });
    expect(b.take()).toEqual([]);
  });

  test('a query with S set does not lower timers', () => {
    const b = bench({ ...FAST, querier_interfaces: [], interfaces: ['eth2'] }, [eth('eth2', '10.1.0.5', 3)]);
    b.v2('eth2', H1, G);
    b.rx('eth2', '10.1.0.1', G, { kind: 'query', version: 3, maxRespDs: 5, group: G, suppress: true, qrv: 2, qqi: 10, sources: [] });
    b.clock.advance(5000);
    expect(b.mod.members('eth2', G)).not.toBeNull();
  });
});

describe('what is never tracked', () => {
  test('SSM 232/8: EXCLUDE records and v1/v2 reports are ignored; INCLUDE {S} is an (S,G) route', () => {
    const b = querierBench();
    const S = '232.1.1.1';
    b.v2('eth1', H1, S);
    b.v1('eth1', H1, S);
    b.v3('eth1', H1, [['IS_EX', S], ['TO_EX', S, ['10.9.0.9']], ['IS_IN', S, ['10.9.0.1']]]);
    expect(b.drops('eth1')).toMatchObject({ ssmOldVersion: 2, ssmExclude: 2 });
    expect(b.mod.routes()).toEqual([{ origin: 'igmp', group: S, source: '10.9.0.1', oifs: [{ interface: 'eth1', reason: 'igmp v3 include', expiresAtMs: b.clock.now() + 22_000 }] }]);
  });

  test('224.0.0.0/24, non-multicast groups and non-unicast sources are dropped by reason', () => {
    const b = querierBench();
    b.v3('eth1', H1, [['IS_EX', '224.0.0.251'], ['IS_EX', '10.1.1.1'], ['IS_IN', G, ['224.1.1.1']], ['ALLOW', G, ['0.0.0.0']]]);
    b.rx('eth1', H1, '224.0.0.9', { kind: 'v2-report', group: '224.0.0.9' });
    expect(b.drops('eth1')).toMatchObject({ linkLocalGroup: 2, badGroup: 1, badSource: 2 });
    expect(b.mod.routes()).toEqual([]);
  });

  test('a flood of 5000 groups keeps max_groups and counts the rest; sources stop at max_sources', () => {
    const b = querierBench({ max_groups: 100, max_sources: 3 });
    for (let i = 0; i < 5000; i++) b.v2('eth1', H1, `239.2.${i >> 8}.${i & 255}`);
    expect(b.groups()).toHaveLength(100);
    expect(b.drops('eth1')).toMatchObject({ groupLimit: 4900 });
    b.v3('eth1', H1, [['ALLOW', '239.2.0.0', ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']]]);
    expect(b.drops('eth1')).toMatchObject({ sourceLimit: 1 });
    expect(b.mod.metrics().find((m) => m.name === 'mcr_igmp_groups')!.samples).toEqual([{ labels: { interface: 'eth1' }, value: 100 }]);
  });
});

describe('routes and interfaces', () => {
  test('members on two interfaces make one route with two oifs; each leaves independently', () => {
    const b = bench({ ...FAST, querier_interfaces: ['eth1', 'eth2'] }, [eth('eth1', '10.0.0.5'), eth('eth2', '10.1.0.5', 3)]);
    b.v2('eth1', H1, G);
    b.v3('eth2', '10.1.0.21', [['TO_EX', G]]);
    expect(b.mod.routes()).toMatchObject([{ group: G, oifs: [{ interface: 'eth1', reason: 'igmp v2 report' }, { interface: 'eth2', reason: 'igmp v3 exclude' }] }]);
    b.leave('eth1', H1, G);
    b.clock.advance(2000);
    expect(b.mod.routes()).toMatchObject([{ group: G, oifs: [{ interface: 'eth2' }] }]);
  });

  test('an interface going down forgets its groups and signals routesChanged', () => {
    const b = querierBench();
    b.v2('eth1', H1, G);
    const n = b.routesChanged;
    b.setInterfaces([{ ...eth('eth1', '10.0.0.5'), up: false }, eth('eth2', '10.1.0.5', 3)]);
    expect(b.mod.routes()).toEqual([]);
    expect(b.routesChanged).toBe(n + 1);
  });

  test('refreshing reports do not signal routesChanged', () => {
    const b = querierBench();
    b.v3('eth1', H1, [['IS_IN', G, ['10.9.0.1']]]);
    const n = b.routesChanged;
    for (let i = 0; i < 5; i++) { b.clock.advance(10_000); b.v3('eth1', H1, [['IS_IN', G, ['10.9.0.1']]]); }
    expect(b.routesChanged).toBe(n);
  });
});
