/**
 * Drives a PIM module in unit tests: fake clock, interfaces, an RPF table, IGMP membership, and a
 * log of everything sent, decoded.
 */
import type { Logger } from '../../daemon/log.js';
import type { ProtocolEvent, ProtoInterface } from '../types.js';
import { decodePim, encodePim, PIM_PROTO, type PimMessage } from './codec.js';
import type { PimConfig } from './config.js';
import { createPimModule, type PimModule, type RpfResult } from './module.js';
import { seeded, TestClock } from './test-clock.js';

export interface Sent { ifname: string; dst: string; ttl: number | undefined; msg: PimMessage; at: number }

const quiet: Logger = { level: 'error', error() {}, warn() {}, info() {}, debug() {} };

export function harness(config: PimConfig, opts: { interfaces: ProtoInterface[]; rpf?: Record<string, RpfResult>; seed?: number }) {
  const clock = new TestClock();
  const sent: Sent[] = [];
  const events: ProtocolEvent[] = [];
  let routesChanged = 0;
  let interfaces = opts.interfaces;
  const rpf = new Map(Object.entries(opts.rpf ?? {}));
  const membership = new Map<string, { mode: 'include' | 'exclude'; sources: string[] }>();
  const decapsulated: Array<{ packet: Uint8Array; oifs: string[] }> = [];
  const tunnels: string[] = [];
  const pim: PimModule = createPimModule(config, {
    rpf: async (a) => rpf.get(a) ?? null,
    random: seeded(opts.seed ?? 1),
    igmp: { members: (i, g) => membership.get(`${i} ${g}`) ?? null },
    forwardDecapsulated: (packet, oifs) => decapsulated.push({ packet, oifs }),
    registerTunnel: (s, g, up) => tunnels.push(`${s} ${g} ${up ? 'up' : 'down'}`),
  });
  pim.start({
    clock,
    log: quiet,
    interfaces: () => interfaces,
    routesChanged: () => { routesChanged++; },
    emit: (e) => events.push(e),
    tx: {
      send(ifname, dst, proto, payload, o) {
        if (proto !== PIM_PROTO) throw new Error(`sent protocol ${proto}`);
        const r = decodePim(payload);
        if (!r.ok) throw new Error(`module sent an undecodable message: ${r.reason}`);
        sent.push({ ifname, dst, ttl: o?.ttl, msg: r.msg, at: clock.now() });
      },
    },
  });
  const h = {
    pim, clock, sent, events, decapsulated, tunnels, rpf,
    get routesChanged() { return routesChanged; },
    /** Let pending RPF promises settle, then run due timers (the Join/Prune flush is a 0 ms timer). */
    async settle(ms = 0): Promise<void> {
      for (let i = 0; i < 3; i++) { await new Promise((r) => setImmediate(r)); clock.advance(0); }
      clock.advance(ms);
      for (let i = 0; i < 3; i++) { await new Promise((r) => setImmediate(r)); clock.advance(0); }
    },
    /** `rxAtMs`: when the reader took it (RxPacket.rxAtMs). */
    rx(ifname: string, src: string, msg: PimMessage, dst = '224.0.0.13', rxAtMs?: number) {
      pim.receive({ ifname, src, dst, ttl: 1, routerAlert: false, ipProto: PIM_PROTO, payload: encodePim(msg), ...(rxAtMs !== undefined ? { rxAtMs } : {}) });
    },
    rxRaw(ifname: string, src: string, payload: Uint8Array, dst = '224.0.0.13') {
      pim.receive({ ifname, src, dst, ttl: 1, routerAlert: false, ipProto: PIM_PROTO, payload });
    },
    hello(ifname: string, src: string, o: Partial<Extract<PimMessage, { type: 'hello' }>> = {}) {
      h.rx(ifname, src, { type: 'hello', holdtime: 105, drPriority: 1, genId: 1, lanPruneDelay: { tBit: false, propagationDelayMs: 500, overrideIntervalMs: 2500 }, addresses: [], ...o });
    },
    setInterfaces(list: ProtoInterface[]) { interfaces = list; pim.interfacesChanged(); },
    join(ifname: string, group: string, mode: 'include' | 'exclude' = 'exclude', sources: string[] = []) {
      membership.set(`${ifname} ${group}`, { mode, sources });
      pim.membershipChanged(ifname, group);
    },
    leave(ifname: string, group: string) { membership.delete(`${ifname} ${group}`); pim.membershipChanged(ifname, group); },
    /** Sent messages of one type, then forget them. */
    take<T extends PimMessage['type']>(type: T): Array<Sent & { msg: Extract<PimMessage, { type: T }> }> {
      const out = sent.filter((s) => s.msg.type === type) as Array<Sent & { msg: Extract<PimMessage, { type: T }> }>;
      sent.splice(0, sent.length, ...sent.filter((s) => s.msg.type !== type));
      return out;
    },
    metric(name: string, labels: Record<string, string>): number {
      const m = pim.metrics().find((x) => x.name === name);
      return m?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;
    },
  };
  return h;
}

export const iface = (name: string, address: string, ifindex = 1): ProtoInterface => ({ name, ifindex, address, up: true });
