import { describe, expect, test } from 'vitest';
import { MemoryDataPlane } from '../../test/support/memory-data-plane.js';
import type { InterfaceTable } from '../daemon/interfaces.js';
import { silentLogger } from '../daemon/log.js';
import { RuleService } from '../daemon/rule-service.js';
import { parseRule } from '../model/validate.js';
import { type ProtoIo, ProtocolHost } from './host.js';
import { igmpConfigSchema, createIgmpModule } from './igmp/index.js';
import { IGMP_PROTO, type IgmpMessage, parseIgmp, serializeIgmp } from './igmp/codec.js';
import { FakeClock } from './igmp/fake-clock.js';
import { Mrib } from './mrib/index.js';
import type { RxPacket } from './types.js';

/** In-process protocol I/O: what the host enabled, what it sent, a hand to deliver packets. */
function memoryIo() {
  const io = {
    enabled: new Set<string>(),
    sent: [] as Array<{ ifname: string; dst: string; msg: IgmpMessage }>,
    deliver: (_p: RxPacket) => {},
  };
  const api: ProtoIo = {
    openRx: (o) => {
      io.deliver = o.onPacket;
      return { enable: (n) => { io.enabled.add(n); }, disable: (n) => { io.enabled.delete(n); }, counters: () => ({ received: 0, delivered: 0, queueDrops: 0, malformed: {}, byInterface: {} }), close: () => {} };
    },
    openTx: () => ({
      send: (ifname, dst, _p, payload) => { const r = parseIgmp(payload); if (r.ok) io.sent.push({ ifname, dst, msg: r.msg }); },
      counters: () => ({ sent: io.sent.length, errors: {} }), close: () => {},
    }),
  };
  return { io, api };
}

const ifs: InterfaceTable = new Map([
  ['up0', { ifindex: 2, up: true, addresses: ['10.0.0.1/24'] }],
  ['d1', { ifindex: 3, up: true, addresses: ['10.1.0.1/24'] }],
  ['d2', { ifindex: 4, up: true, addresses: ['10.2.0.1/24'] }],
]);

function setup() {
  const { io, api } = memoryIo();
  const clock = new FakeClock();
  const igmp = createIgmpModule(igmpConfigSchema.parse({ querier_interfaces: ['d1', 'd2'], last_member_query_interval: 0.5, last_member_query_count: 2 }));
  const dp = new MemoryDataPlane();
  let rules: RuleService | undefined;
  const host = new ProtocolHost({ modules: [{ module: igmp, interfaces: ['d1', 'd2'] }], io: api, log: silentLogger(), readInterfaces: () => ifs, clock, recompile: () => rules!.recompose() });
  const mrib = new Mrib({ routes: () => host.routes(), members: (i, g) => igmp.members(i, g), inputInterfaces: () => [...host.interfaceNames(), 'up0'], now: () => clock.now() });
  rules = new RuleService({ dataPlane: dp, log: silentLogger(), interfaces: () => ifs, compose: mrib.compose });
  host.start();
  const report = (ifname: string, msg: IgmpMessage, src = ifname === 'd1' ? '10.1.0.9' : '10.2.0.9') =>
    io.deliver({ ifname, src, dst: msg.kind === 'v2-leave' ? '224.0.0.2' : (msg as { group: string }).group, ttl: 1, routerAlert: true, ipProto: IGMP_PROTO, payload: serializeIgmp(msg) });
  return { io, clock, host, dp, mrib, rules, igmp, report };
}

const learned = (dp: MemoryDataPlane) => dp.table.map((r) => `${r.input.interface} ${r.input.group}:${r.input.port} -> ${r.outputs.map((o) => `${o.interface}:${o.port}`).join(',')}`);

describe('ProtocolHost with the IGMP module, the MRIB and the rule service', () => {
  test('RX is enabled on the IGMP interfaces only, and startup general queries go out there', () => {
    const { io } = setup();
    expect([...io.enabled].sort()).toEqual(['d1', 'd2']);
    expect(io.sent.map((s) => [s.ifname, s.dst, s.msg.kind])).toEqual([['d1', '224.0.0.1', 'query'], ['d2', '224.0.0.1', 'query']]);
  });

  test('a report becomes forwarding in one recompile; a burst of reports coalesces into one apply', async () => {
    const { host, dp, report } = setup();
    await host.settled();
    const before = dp.applied.length;
    report('d1', { kind: 'v2-report', group: '239.1.1.1' });
    report('d1', { kind: 'v2-report', group: '239.1.1.2' });
    report('d2', { kind: 'v2-report', group: '239.1.1.1' });
    await host.settled();
    expect(dp.applied.length - before).toBe(1);
    expect(learned(dp).sort()).toEqual([
      'd1 239.1.1.1:0 -> d2:0', 'd2 239.1.1.1:0 -> d1:0', 'd2 239.1.1.2:0 -> d1:0',
      'up0 239.1.1.1:0 -> d1:0,d2:0', 'up0 239.1.1.2:0 -> d1:0',
    ]);
    expect(host.counters().recompiles).toBeGreaterThanOrEqual(1);
  });

  test('leave → group-specific queries → forwarding removed after the last-member query time', async () => {
    const { host, dp, report, io, clock } = setup();
    report('d1', { kind: 'v2-report', group: '239.1.1.1' });
    await host.settled();
    expect(learned(dp)).toContain('up0 239.1.1.1:0 -> d1:0');
    io.sent.length = 0;
    report('d1', { kind: 'v2-leave', group: '239.1.1.1' });
    clock.advance(1100);
    await host.settled();
    expect(io.sent.filter((s) => s.msg.kind === 'query' && s.msg.group === '239.1.1.1').map((s) => s.ifname)).toEqual(['d1', 'd1']);
    expect(learned(dp)).toEqual([]);
  });

  test('members-only static output follows membership of its output group', async () => {
    const { host, dp, report, rules } = setup();
    await rules.add(parseRule({ name: 'cam', input: { interface: 'up0', group: '239.9.9.9', port: 5000 }, outputs: [
      { interface: 'd1', group: '239.5.5.5', port: 6000, when: 'members' }, { interface: 'd2', group: '239.6.6.6', port: 6000 }] }));
    expect(learned(dp)).toEqual(['up0 239.9.9.9:5000 -> d2:6000']);
    report('d1', { kind: 'v2-report', group: '239.5.5.5' });
    await host.settled();
    expect(learned(dp)[0]).toBe('up0 239.9.9.9:5000 -> d1:6000,d2:6000');
  });

  test('a module that throws on a packet is counted, and the host keeps dispatching', async () => {
    const { host, report, io } = setup();
    const igmp = host.modules[0]!;
    const orig = igmp.receive.bind(igmp);
    let once = true;
    igmp.receive = (p) => { if (once) { once = false; throw new Error('boom'); } orig(p); };
    report('d1', { kind: 'v2-report', group: '239.1.1.1' });
    report('d1', { kind: 'v2-report', group: '239.1.1.1' });
    await host.settled();
    expect(host.counters().moduleErrors).toBe(1);
    expect(host.routes().map((r) => r.group)).toEqual(['239.1.1.1']);
    io.deliver({ ifname: 'up0', src: '10.0.0.9', dst: '239.1.1.1', ttl: 1, routerAlert: true, ipProto: IGMP_PROTO, payload: new Uint8Array(8) });
    expect(host.counters().notForAModule).toBe(1);
  });
});
