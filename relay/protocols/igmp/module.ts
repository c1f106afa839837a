/**
 * The IGMP protocol module: per tracked interface a Querier and a GroupTable, fed by received
 * messages (parse → validate → dispatch), with learned routes, views, events and metrics for the
 * protocol host. All I/O goes through the ProtocolContext. Tested in module.test.ts.
 */
import { McrError } from '../../errors.js';
import { isUsableUnicast, parseIpv4 } from '../../model/ipv4.js';
import type { LearnedRoute, ProtocolContext, ProtocolModule, RxPacket } from '../types.js';
import { IGMP_PROTO, type IgmpMessage, parseIgmp, serializeIgmp } from './codec.js';
import { type IgmpConfig, type Timers, configTimers, trackedInterfaces } from './config.js';
import type { DropReason } from './drops.js';
import { type FilterMode, GroupTable } from './membership.js';
import { Querier } from './querier.js';
import { ALL_SYSTEMS, ANY, groupProblem, rejectReason } from './validate.js';

export interface IgmpModule extends ProtocolModule {
  readonly name: 'igmp';
  /** Runtime enable-querier / disable-querier; throws McrError ENODEV for an interface IGMP does not run on. */
  setQuerier(ifname: string, enabled: boolean): void;
  /** Forwarding state of `group` on `ifname`: INCLUDE {sources} or EXCLUDE {excluded sources}; null = no members. */
  members(ifname: string, group: string): { mode: FilterMode; sources: string[] } | null;
}

type Counts = Record<string, number>;

interface Iface {
  name: string;
  up: boolean;
  address: string | null;
  querier: Querier;
  table: GroupTable;
  rx: Counts;
  tx: Counts;
  drops: Counts;
  withoutRouterAlert: number;
  olderQuerierLogged: boolean;
}

const bump = (c: Counts, k: string, n = 1) => { c[k] = (c[k] ?? 0) + n; };

const rxType = (m: IgmpMessage): string => (m.kind === 'query' ? `v${m.version}_query` : m.kind.replace('-', '_'));

export function createIgmpModule(config: IgmpConfig): IgmpModule {
  const timers = configTimers(config);
  const ifaces = new Map<string, Iface>();
  const strays: Counts = {};
  let ctx: ProtocolContext | null = null;
  const live = (): ProtocolContext => {
    if (!ctx) throw new Error('igmp module used before start()');
    return ctx;
  };

  function sendQuery(ifc: Iface, group: string, sources: string[], suppress: boolean, t: Timers): void {
    const general = group === ANY;
    const maxRespDs = (general ? t.queryResponseIntervalMs : t.lastMemberQueryIntervalMs) / 100;
    const msg: IgmpMessage = config.version === 3
      ? { kind: 'query', version: 3, maxRespDs, group, suppress, qrv: t.robustness, qqi: t.queryIntervalMs / 1000, sources }
      : { kind: 'query', version: 2, maxRespDs, group };
    live().tx.send(ifc.name, general ? ALL_SYSTEMS : group, IGMP_PROTO, serializeIgmp(msg), { routerAlert: true, ttl: 1 });
    bump(ifc.tx, `v${config.version}_${general ? 'general' : sources.length ? 'group_source' : 'group'}_query`);
  }

  function makeIface(name: string): Iface {
    const ifc = { name, up: false, address: null, rx: {}, tx: {}, drops: {}, withoutRouterAlert: 0, olderQuerierLogged: false } as unknown as Iface;
    ifc.querier = new Querier({
      clock: live().clock,
      timers,
      sendGeneral: (t) => sendQuery(ifc, ANY, [], false, t),
      changed: () => {
        const v = ifc.querier.view();
        live().log.info('igmp querier', { interface: name, querier: ifc.querier.isQuerier, querierAddress: v.querierAddress as string | null });
        live().emit({ type: 'igmp-querier', interface: name, querier: ifc.querier.isQuerier, querierAddress: v.querierAddress });
      },
    }, config.querier_interfaces.includes(name));
    ifc.table = new GroupTable({
      clock: live().clock,
      timers: () => ifc.querier.timers(),
      isQuerier: () => ifc.querier.isQuerier,
      sourceQueries: () => config.version === 3,
      sendQuery: (group, sources, suppress) => sendQuery(ifc, group, sources, suppress, timers),
      changed: (c) => live().emit({ type: `igmp-${c.kind}`, interface: name, group: c.group, reporter: c.reporter, mode: c.mode, compat: c.compat }),
      routesChanged: () => live().routesChanged(),
      drop: (reason) => bump(ifc.drops, reason),
      maxGroups: config.max_groups,
      maxSources: config.max_sources,
    });
    return ifc;
  }

  function syncInterfaces(): void {
    const seen = new Map(live().interfaces().map((i) => [i.name, i]));
    for (const ifc of ifaces.values()) {
      const now = seen.get(ifc.name);
      const up = now?.up === true;
      ifc.address = up ? (now?.address ?? null) : null;
      if (ifc.up && !up && ifc.table.clear()) live().routesChanged();
      ifc.up = up;
      ifc.querier.setAddress(ifc.address);
    }
  }

  function onQuery(ifc: Iface, src: string, m: Extract<IgmpMessage, { kind: 'query' }>): void {
    if (m.version < config.version && !ifc.olderQuerierLogged) {
      ifc.olderQuerierLogged = true;
      live().log.warn('igmp older querier on the link; set igmp.version to match (RFC 3376 §7.3.1)', { interface: ifc.name, querier: src, version: m.version });
    }
    const qrv = m.version === 3 ? m.qrv : 0;
    ifc.querier.heard(src, qrv, m.version === 3 ? m.qqi : 0);
    if (m.group === ANY || (m.version === 3 && m.suppress)) return;
    const lmqt = (qrv || ifc.querier.timers().robustness) * m.maxRespDs * 100;
    ifc.table.queryHeard(m.group, m.version === 3 ? m.sources : [], lmqt);
  }

  function onMessage(ifc: Iface, src: string, m: IgmpMessage): void {
    const drop = (r: DropReason) => bump(ifc.drops, r);
    switch (m.kind) {
      case 'query':
        return onQuery(ifc, src, m);
      case 'v1-report': case 'v2-report': case 'v2-leave': {
        const bad = groupProblem(m.group);
        if (bad) return drop(bad);
        return ifc.table.report(src, m.kind === 'v1-report' ? 1 : 2, m.kind === 'v2-leave' ? 'TO_IN' : 'IS_EX', m.group, []);
      }
      case 'v3-report':
        if (m.skippedRecords) bump(ifc.drops, 'badRecordType', m.skippedRecords);
        for (const r of m.records) {
          const bad = groupProblem(r.group) ?? (r.sources.every((s) => isUsableUnicast(parseIpv4(s)!)) ? null : 'badSource');
          if (bad) drop(bad);
          else ifc.table.report(src, 3, r.type, r.group, r.sources);
        }
    }
  }

  const mod: IgmpModule = {
    name: 'igmp',
    ipProtos: [IGMP_PROTO],

    start(c) {
      ctx = c;
      if (!config.enabled) return;
      for (const name of trackedInterfaces(config)) ifaces.set(name, makeIface(name));
      syncInterfaces();
    },

    receive(pkt: RxPacket) {
      const ifc = ifaces.get(pkt.ifname);
      if (!ifc) return bump(strays, 'unknownInterface');
      const parsed = parseIgmp(pkt.payload);
      if (!parsed.ok) return bump(ifc.drops, parsed.reason);
      bump(ifc.rx, rxType(parsed.msg));
      if (!pkt.routerAlert) ifc.withoutRouterAlert++;
      const reason = rejectReason(pkt, parsed.msg, { ownAddress: ifc.address, requireRouterAlert: config.require_router_alert });
      if (reason) return bump(ifc.drops, reason);
      onMessage(ifc, pkt.src, parsed.msg);
    },

    interfacesChanged() {
      syncInterfaces();
    },

    routes(): LearnedRoute[] {
      const byKey = new Map<string, LearnedRoute>();
      for (const ifc of ifaces.values()) {
        for (const r of ifc.table.routes()) {
          const key = `${r.group}|${r.source ?? ''}`;
          let route = byKey.get(key);
          if (!route) {
            route = { origin: 'igmp', group: r.group, ...(r.source ? { source: r.source } : {}), oifs: [] };
            byKey.set(key, route);
          }
          route.oifs.push({ interface: ifc.name, reason: r.reason, expiresAtMs: r.expiresAtMs });
        }
      }
      return [...byKey].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r);
    },

    view(name) {
      if (name === 'groups') return [...ifaces.values()].flatMap((ifc) => ifc.table.view().map((g) => ({ interface: ifc.name, ...g })));
      if (name === 'interfaces') {
        return [...ifaces.values()].map((ifc) => ({
          interface: ifc.name, up: ifc.up, ...ifc.querier.view(), version: config.version, groups: ifc.table.size,
          counters: { received: { ...ifc.rx }, sent: { ...ifc.tx }, drops: { ...ifc.drops }, withoutRouterAlert: ifc.withoutRouterAlert },
        }));
      }
      throw new McrError({ code: 'EINVAL', detail: `expected view "groups" or "interfaces", got "${name}"` });
    },

    metrics() {
      const all = [...ifaces.values()];
      const per = (pick: (i: Iface) => Counts, label: string) => all.flatMap((i) => Object.entries(pick(i)).map(([k, value]) => ({ labels: { interface: i.name, [label]: k }, value })));
      return [
        { name: 'mcr_igmp_messages_received_total', help: 'IGMP messages received and parsed, by interface and type.', type: 'counter', samples: per((i) => i.rx, 'type') },
        { name: 'mcr_igmp_messages_sent_total', help: 'IGMP queries sent, by interface and type.', type: 'counter', samples: per((i) => i.tx, 'type') },
        { name: 'mcr_igmp_drops_total', help: 'IGMP messages or group records dropped, by interface and reason.', type: 'counter',
          samples: [...per((i) => i.drops, 'reason'), ...Object.entries(strays).map(([reason, value]) => ({ labels: { interface: '', reason }, value }))] },
        { name: 'mcr_igmp_without_router_alert_total', help: 'IGMP messages accepted without the IP Router Alert option.', type: 'counter',
          samples: all.map((i) => ({ labels: { interface: i.name }, value: i.withoutRouterAlert })) },
        { name: 'mcr_igmp_groups', help: 'Groups with members, by interface.', type: 'gauge', samples: all.map((i) => ({ labels: { interface: i.name }, value: i.table.size })) },
        { name: 'mcr_igmp_querier', help: '1 while mcrd is the IGMP querier on the interface.', type: 'gauge', samples: all.map((i) => ({ labels: { interface: i.name }, value: i.querier.isQuerier ? 1 : 0 })) },
      ];
    },

    stop() {
      for (const ifc of ifaces.values()) {
        ifc.querier.stop();
        ifc.table.clear();
      }
      ifaces.clear();
    },

    setQuerier(ifname, enabled) {
      const ifc = ifaces.get(ifname);
      if (!ifc) throw new McrError({ code: 'ENODEV', detail: `expected an IGMP interface (${[...ifaces.keys()].join(', ') || 'none configured'}), got "${ifname}"`, hint: 'list it in igmp.interfaces or igmp.querier_interfaces' });
      ifc.querier.setEnabled(enabled);
    },

    members(ifname, group) {
      return ifaces.get(ifname)?.table.members(group) ?? null;
    },
  };
  return mod;
}
