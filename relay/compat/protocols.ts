/**
 * MCR's IGMP and multicast-routing requests, answered from mcrd's protocol plane in MCR's shapes
 * (serde's `Response::IgmpGroups(Vec<IgmpGroupInfo>)`, `Response::Mroute(Vec<MrouteEntry>)`,
 * `Response::Success`):
 *
 *   → "GetIgmpGroups"
 *   ← {"IgmpGroups":[{"interface":"eth1","group":"239.1.1.1","expires_in_secs":258,"last_reporter":"10.0.1.2","is_querier":true}]}
 *   → {"EnableIgmpQuerier":{"interface":"eth1"}}
 *   ← {"Success":"IGMP querier enabled on eth1"}
 *   → "GetMroute"
 *   ← {"Mroute":[{"source":null,"group":"239.1.1.1","input_interface":"eth0","output_interfaces":["eth1"],"entry_type":"Igmp","age_secs":12}]}
 *
 * MCR's age_secs is the age of the route: for a learned entry the longest-lived membership behind its
 * outputs; mcrd does not keep the age of static rules, so theirs is 0. Without an `igmp:` section the
 * requests get an Error saying how to enable it. Tested in compat.test.ts and relay/e2e/igmp-show.e2e.
 */
import type { ControlApi } from '../control/api.js';
import type { ProtocolsApi } from '../control/protocols-api.js';
import { McrError } from '../errors.js';
import type { McrResponse } from './shapes.js';
import { success } from './shapes.js';

type Handler = (api: ControlApi, args: Record<string, unknown>) => McrResponse;

/** The igmp `groups` and `interfaces` rows this module reads (relay/protocols/igmp/module.ts views). */
interface GroupRow { interface: string; group: string; lastReporter: string | null; uptimeMs: number; groupTimerMs: number | null; sources: Array<{ timerMs: number | null }> }
interface InterfaceRow { interface: string; querier: boolean }

function plane(api: ControlApi, request: string): ProtocolsApi {
  if (!api.protocols?.modules().includes('igmp')) {
    throw new McrError({ code: 'ENOENT', source: request, detail: 'IGMP is not running; enable it with an igmp: { enabled: true, querier_interfaces: [...] } section in the config' });
  }
  return api.protocols;
}

function interfaceArg(a: Record<string, unknown>, request: string): string {
  if (typeof a.interface !== 'string' || a.interface === '') {
    throw new McrError({ code: 'EINVAL', source: request, path: 'interface', detail: 'expected an interface name' });
  }
  return a.interface;
}

/** When the membership runs out: the group timer in EXCLUDE mode, the last source timer in INCLUDE. */
function expiresInSecs(g: GroupRow): number {
  const ms = g.groupTimerMs ?? Math.max(0, ...g.sources.map((s) => s.timerMs ?? 0));
  return Math.ceil(ms / 1000);
}

function groups(p: ProtocolsApi): GroupRow[] {
  return p.view('igmp', 'groups') as GroupRow[];
}

/** MCR's MrouteEntryType: PIM entries are StarG or SG by their source. */
function entryType(e: { origin: string; source: string | null }): string {
  if (e.origin === 'pim') return e.source === null ? 'StarG' : 'SG';
  return e.origin === 'igmp' ? 'Igmp' : 'Static';
}

export const PROTOCOL_HANDLERS: Record<string, Handler> = {
  GetIgmpGroups: (api) => {
    const p = plane(api, 'GetIgmpGroups');
    const querier = new Map((p.view('igmp', 'interfaces') as InterfaceRow[]).map((i) => [i.interface, i.querier]));
    return {
      IgmpGroups: groups(p).map((g) => ({
        interface: g.interface, group: g.group, expires_in_secs: expiresInSecs(g),
        last_reporter: g.lastReporter, is_querier: querier.get(g.interface) ?? false,
      })),
    };
  },
  EnableIgmpQuerier: (api, a) => {
    const ifname = interfaceArg(a, 'EnableIgmpQuerier');
    plane(api, 'EnableIgmpQuerier').setQuerier(ifname, true);
    return success(`IGMP querier enabled on ${ifname}`);
  },
  DisableIgmpQuerier: (api, a) => {
    const ifname = interfaceArg(a, 'DisableIgmpQuerier');
    plane(api, 'DisableIgmpQuerier').setQuerier(ifname, false);
    return success(`IGMP querier disabled on ${ifname}`);
  },
  GetMroute: (api) => {
    const p = plane(api, 'GetMroute');
    const uptime = new Map(groups(p).map((g) => [`${g.interface}|${g.group}`, g.uptimeMs]));
    return {
      Mroute: p.mroute().map((e) => ({
        source: e.source, group: e.group, input_interface: e.iif,
        output_interfaces: e.oifs.map((o) => o.interface),
        entry_type: entryType(e),
        age_secs: Math.floor(Math.max(0, ...e.oifs.map((o) => (o.origin === 'igmp' ? uptime.get(`${o.interface}|${e.group}`) ?? 0 : 0))) / 1000),
      })),
    };
  },
};
