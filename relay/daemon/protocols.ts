/**
 * The protocol plane of the daemon, built from the config's protocol sections: the modules (IGMP,
 * PIM — which learns IGMP membership from IGMP's events and RPF from the kernel), the host that runs them, the MRIB the rule service composes through, the
 * control API and the metric families. The daemon opens the sockets (open) before it drops privileges
 * and starts the modules (start) once the rule table is restored. Exercised by relay/e2e/{igmp,pim}-*.e2e.
 *
 * PIM's data path: the engines watch the PIM interfaces (watch()) and report each new (S,G) and,
 * every 20 s, each one still flowing (sourcesSeen → dataArrived); the Register tunnel is a route
 * property the MRIB turns into an engine Register output; as RP, Register data is forwarded here
 * (forwardDecapsulated → the host's forward()). With PIM running, IGMP-learned routes capture only
 * on non-PIM interfaces: on PIM interfaces PIM's RPF decides where a stream may come from.
 */
import type { ProtocolSettings } from '../config/protocols.js';
import { igmpInterfaces } from '../config/protocols.js';
import type { ProtocolsApi } from '../control/protocols-api.js';
import { McrError } from '../errors.js';
import type { Family } from '../metrics/format.js';
import { protocolFamilies } from '../metrics/protocols.js';
import { type HostedModule, type ProtoIo, ProtocolHost } from '../protocols/host.js';
import { type IgmpModule, createIgmpModule } from '../protocols/igmp/index.js';
import { openProtoRx, openProtoTx } from '../protocols/io/index.js';
import { Mrib } from '../protocols/mrib/index.js';
import { type PimModule, createPimModule } from '../protocols/pim/index.js';
import { relativeTimes } from '../protocols/pim/view-times.js';
import { readInterfaces } from './interfaces.js';
import type { Logger } from './log.js';
import { kernelRpf, limitRpf, watchRoutes } from './unicast-rpf.js';
import type { Capture, SourceReport } from '../engine/types.js';

export interface ProtocolPlane {
  host: ProtocolHost;
  mrib: Mrib;
  api: ProtocolsApi;
  /**
   * What the engines capture on besides the rules' inputs: PIM's interfaces are watched for new
   * sources; the interfaces learned routes capture on (IGMP's, its upstreams) are held open, so a
   * join installs a route on a socket that is already there.
   */
  capture(): Capture;
  /** Source reports of the engines (SourceReport) → PIM's dataArrived. */
  sourcesSeen(reports: SourceReport[]): void;
  families(): Family[];
  /** Open the protocol sockets (privileged); throws McrError EENGINE with the reason. */
  open(): void;
}

const realIo: ProtoIo = { openRx: openProtoRx, openTx: openProtoTx };

export function createProtocolPlane(settings: ProtocolSettings, o: { log: Logger; recompile: () => Promise<void>; io?: ProtoIo }): ProtocolPlane | undefined {
  const hosted: HostedModule[] = [];
  let igmp: IgmpModule | undefined;
  if (settings.igmp) {
    igmp = createIgmpModule(settings.igmp);
    hosted.push({ module: igmp, interfaces: igmpInterfaces(settings.igmp) });
  }
  let pim: PimModule | undefined;
  const services = [];
  const hostRef: { current?: ProtocolHost } = {}; // PIM needs the host's forward(), the host needs PIM
  const rpfLimit = limitRpf(kernelRpf);
  if (settings.pim) {
    const igmpMembers = igmp;
    pim = createPimModule(settings.pim, {
      rpf: rpfLimit.rpf,
      forwardDecapsulated: (packet, oifs) => { for (const oif of oifs) hostRef.current?.forward(oif, packet); },
      ...(igmpMembers ? { igmp: { members: (i, g) => igmpMembers.members(i, g) } } : {}),
    });
    hosted.push({ module: pim, interfaces: (settings.pim.interfaces ?? []).map((i) => i.name) });
    const p = pim;
    services.push(watchRoutes(() => p.rpfChanged(), o.log));
  }
  if (hosted.length === 0) return undefined;
  const host = new ProtocolHost({ modules: hosted, io: o.io ?? realIo, log: o.log, readInterfaces, recompile: o.recompile, services });
  hostRef.current = host;
  const pimIfs = () => (pim ? host.moduleInterfaces('pim') : []);
  if (pim) {
    // IGMP offers no membership callback: its join/leave/expire events are PIM's local membership input.
    const p = pim;
    host.events.subscribe(['igmp'], (ev) => {
      if (typeof ev.interface === 'string' && typeof ev.group === 'string') p.membershipChanged(ev.interface, ev.group);
    });
  }
  const upstream = settings.igmp?.upstream_interfaces ?? [];
  // PIM's RPF decides what may arrive on a PIM interface; IGMP-learned captures stay off them.
  const inputInterfaces = () => [...host.interfaceNames(), ...upstream].filter((i) => !pimIfs().includes(i));
  const mrib = new Mrib({
    routes: () => host.routes(),
    members: (ifname, group) => igmp?.members(ifname, group) ?? null,
    inputInterfaces,
    pimInterfaces: pimIfs,
    now: () => host.clock.now(),
  });
  const module = (name: string) => {
    const m = host.modules.find((x) => x.name === name);
    if (!m) throw new McrError({ code: 'ENOENT', detail: `${name} is not running` });
    return m;
  };
  const api: ProtocolsApi = {
    modules: () => host.modules.map((m) => m.name),
    view: (name, view) => (name === 'pim' ? relativeTimes(module(name).view(view), host.clock.now()) : module(name).view(view)),
    setQuerier: (ifname, enabled) => {
      module('igmp');
      igmp!.setQuerier(ifname, enabled);
      o.log.info(`igmp querier ${enabled ? 'enabled' : 'disabled'} by control request`, { interface: ifname });
      return { interface: ifname, querier: enabled };
    },
    pimInterface: (ifname, opts) => {
      module('pim');
      const now = host.moduleInterfaces('pim');
      if (opts.enabled) {
        host.setInterfaces('pim', [...now, ifname]);
        pim!.enableInterface(ifname, opts.drPriority === undefined ? {} : { drPriority: opts.drPriority });
      } else {
        if (!now.includes(ifname)) throw new McrError({ code: 'ENOENT', path: 'interface', detail: `PIM does not run on ${ifname} (running on: ${now.join(', ') || 'none'})` });
        pim!.disableInterface(ifname);
        host.setInterfaces('pim', now.filter((i) => i !== ifname));
      }
      host.routesChanged(); // the engines' watch list and the static outputs' reportLocal follow
      o.log.info(`pim ${opts.enabled ? 'enabled' : 'disabled'} by control request`, { interface: ifname, ...(opts.drPriority === undefined ? {} : { drPriority: opts.drPriority }) });
      return { interface: ifname, enabled: opts.enabled };
    },
    setRp: (range, rp) => {
      module('pim');
      try {
        pim!.setRp(range, rp);
      } catch (err) {
        throw new McrError({ code: 'EINVAL', path: 'group', detail: (err as Error).message });
      }
      o.log.info(`pim static RP ${rp ? 'set' : 'removed'} by control request`, { group: range, ...(rp ? { rp } : {}) });
      return { group: range, rp: rp ?? null };
    },
    mroute: () => mrib.view(),
    subscribe: (prefixes, sink) => host.events.subscribe(prefixes, sink),
  };
  return {
    host, mrib, api,
    capture: () => ({ watch: pimIfs(), hold: inputInterfaces() }),
    sourcesSeen(reports) {
      if (!pim) return;
      for (const r of reports) {
        const i = host.interfaceAt(r.ifindex);
        if (!i) continue;
        if (r.local) { if (i.address) pim.dataArrived(i.name, i.address, r.group, { local: true }); }
        else pim.dataArrived(i.name, r.source, r.group, r.routed ? { atMs: r.atMs } : { unrouted: true });
      }
    },
    families: () => [
      ...protocolFamilies(host.modules, host.counters()),
      ...(pim ? [{
        name: 'mcr_pim_rpf_lookups_dropped_total', type: 'counter' as const,
        help: 'RPF lookups of new sources refused because too many were queued (a flood of sources); the source is retried at its next report.',
        samples: [{ value: rpfLimit.state.dropped }],
      }] : []),
      { name: 'mcr_proto_forwarded_total', type: 'counter' as const, help: 'Datagrams forwarded whole by the protocol plane (PIM RP: decapsulated Register data).', samples: [{ value: host.counters().tx?.forwarded ?? 0 }] },
    ],
    open() {
      try {
        host.open();
      } catch (err) {
        const e = err as Error & { code?: string; hint?: string };
        throw new McrError({ code: 'EENGINE', detail: `cannot open the protocol sockets: ${e.message}`, hint: e.hint ?? 'mcrd needs CAP_NET_RAW (run as root)' });
      }
    },
  };
}
