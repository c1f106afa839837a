/**
 * The protocol plane of the daemon, built from the config's protocol sections: the modules (IGMP now;
 * PIM plugs in the same way), the host that runs them, the MRIB the rule service composes through, the
 * control API and the metric families. The daemon opens the sockets (open) before it drops privileges
 * and starts the modules (start) once the rule table is restored. Exercised by relay/e2e/igmp-*.e2e.
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
import { readInterfaces } from './interfaces.js';
import type { Logger } from './log.js';

export interface ProtocolPlane {
  host: ProtocolHost;
  mrib: Mrib;
  api: ProtocolsApi;
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
  if (hosted.length === 0) return undefined;
  const host = new ProtocolHost({ modules: hosted, io: o.io ?? realIo, log: o.log, readInterfaces, recompile: o.recompile });
  const upstream = settings.igmp?.upstream_interfaces ?? [];
  const mrib = new Mrib({
    routes: () => host.routes(),
    members: (ifname, group) => igmp?.members(ifname, group) ?? null,
    inputInterfaces: () => [...host.interfaceNames(), ...upstream],
    now: () => host.clock.now(),
  });
  const module = (name: string) => {
    const m = host.modules.find((x) => x.name === name);
    if (!m) throw new McrError({ code: 'ENOENT', detail: `${name} is not running` });
    return m;
  };
  const api: ProtocolsApi = {
    modules: () => host.modules.map((m) => m.name),
    view: (name, view) => module(name).view(view),
    setQuerier: (ifname, enabled) => {
      module('igmp');
      igmp!.setQuerier(ifname, enabled);
      o.log.info(`igmp querier ${enabled ? 'enabled' : 'disabled'} by control request`, { interface: ifname });
      return { interface: ifname, querier: enabled };
    },
    mroute: () => mrib.view(),
    subscribe: (prefixes, sink) => host.events.subscribe(prefixes, sink),
  };
  return {
    host, mrib, api,
    families: () => protocolFamilies(host.modules, host.counters()),
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
