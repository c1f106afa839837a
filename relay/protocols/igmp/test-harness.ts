/**
 * Test bench for the IGMP module: a FakeClock, a ProtocolContext that records what the module sends
 * (decoded), emits and how often it signals routesChanged(), and helpers that build received
 * packets the way the host delivers them. Used by module.test.ts and the state-machine tests.
 */
import { silentLogger } from '../../daemon/log.js';
import type { ProtoInterface, ProtocolEvent, RxPacket } from '../types.js';
import { type GroupRecord, IGMP_PROTO, type IgmpMessage, type RecordType, parseIgmp, serializeIgmp } from './codec.js';
import { type IgmpConfigInput, igmpConfigSchema } from './config.js';
import { FakeClock } from './fake-clock.js';
import { type IgmpModule, createIgmpModule } from './module.js';

export interface Sent { at: number; ifname: string; dst: string; msg: IgmpMessage; routerAlert: boolean; ttl: number }

export function bench(cfg: IgmpConfigInput, ifs: ProtoInterface[]) {
  const clock = new FakeClock();
  const start = clock.now();
  const sent: Sent[] = [];
  const events: ProtocolEvent[] = [];
  let routesChanged = 0;
  let interfaces = ifs;
  const mod: IgmpModule = createIgmpModule(igmpConfigSchema.parse(cfg));
  mod.start({
    clock,
    log: silentLogger(),
    interfaces: () => interfaces,
    routesChanged: () => { routesChanged++; },
    emit: (e) => { events.push(e); },
    tx: {
      send(ifname, dst, ipProto, payload, opts) {
        if (ipProto !== IGMP_PROTO) throw new Error(`sent ip proto ${ipProto}`);
        const p = parseIgmp(payload);
        if (!p.ok) throw new Error(`module sent an unparsable message: ${p.reason}`);
        sent.push({ at: clock.now() - start, ifname, dst, msg: p.msg, routerAlert: opts?.routerAlert ?? false, ttl: opts?.ttl ?? 1 });
      },
    },
  });
  const rx = (ifname: string, src: string, dst: string, msg: IgmpMessage, over: Partial<RxPacket> = {}) =>
    mod.receive({ ifname, src, dst, ttl: 1, routerAlert: true, ipProto: IGMP_PROTO, payload: serializeIgmp(msg), ...over });
  return {
    mod, clock, sent, events,
    get routesChanged() { return routesChanged; },
    /** Milliseconds since the bench started. */
    elapsed: () => clock.now() - start,
    setInterfaces(next: ProtoInterface[]) { interfaces = next; mod.interfacesChanged(); },
    rx,
    v3(ifname: string, src: string, records: Array<[RecordType, string, string[]?]>) {
      const recs: GroupRecord[] = records.map(([type, group, sources]) => ({ type, group, sources: sources ?? [], aux: new Uint8Array(0) }));
      rx(ifname, src, '224.0.0.22', { kind: 'v3-report', records: recs, skippedRecords: 0 });
    },
    v2(ifname: string, src: string, group: string) { rx(ifname, src, group, { kind: 'v2-report', group }); },
    v1(ifname: string, src: string, group: string) { rx(ifname, src, group, { kind: 'v1-report', group }); },
    leave(ifname: string, src: string, group: string) { rx(ifname, src, '224.0.0.2', { kind: 'v2-leave', group }); },
    /** Sent messages since the last take(), cleared. */
    take(): Sent[] { return sent.splice(0); },
    drops(ifname: string): Record<string, number> {
      const row = (mod.view('interfaces') as Array<{ interface: string; counters: { drops: Record<string, number> } }>).find((r) => r.interface === ifname);
      return row?.counters.drops ?? {};
    },
    groups: () => mod.view('groups') as Array<Record<string, unknown>>,
  };
}

export const eth = (name: string, address: string | null, ifindex = 2): ProtoInterface => ({ name, ifindex, address, up: true });
