/**
 * Control commands of the protocol plane (relay/control/protocols-api.ts):
 *
 *   → {"id":1,"cmd":"igmp-groups"}                          ← {"id":1,"ok":true,"result":{"groups":[...]}}
 *   → {"id":2,"cmd":"igmp-interfaces"}                      ← {"id":2,"ok":true,"result":{"interfaces":[...]}}
 *   → {"id":3,"cmd":"igmp-enable-querier","interface":"eth1"}   (and igmp-disable-querier)
 *   → {"id":4,"cmd":"mroute"}                               ← {"id":4,"ok":true,"result":{"routes":[...]}}
 *   → {"id":5,"cmd":"protocol-view","module":"pim","view":"neighbors"}
 *   → {"id":6,"cmd":"subscribe","events":["igmp","pim-neighbor"]}   then one event object per line
 *   → {"id":7,"cmd":"pim-neighbors"}     (and pim-rp, pim-state, pim-join, pim-interfaces)
 *   → {"id":8,"cmd":"pim-enable","interface":"eth1","dr_priority":10}   (and pim-disable)
 *   → {"id":9,"cmd":"pim-set-rp","group":"239.1.0.0/16","rp":"10.0.0.9"}   (no rp: remove)
 *
 * `subscribe` is served by the server itself (it owns the connection); here only its arguments are
 * checked. Tested in dispatch-protocols.test.ts and relay/control/server.test.ts.
 */
import { McrError } from '../errors.js';
import type { ProtocolsApi } from './protocols-api.js';
import type { Request } from './protocol.js';

export const PROTOCOL_COMMANDS = ['igmp-groups', 'igmp-interfaces', 'igmp-enable-querier', 'igmp-disable-querier', 'mroute', 'protocol-view', 'subscribe',
  'pim-neighbors', 'pim-rp', 'pim-state', 'pim-join', 'pim-interfaces', 'pim-assert', 'pim-enable', 'pim-disable', 'pim-set-rp'] as const;

export function isProtocolCommand(cmd: string): boolean {
  return (PROTOCOL_COMMANDS as readonly string[]).includes(cmd);
}

function needProtocols(api: ProtocolsApi | undefined, source: string, what: string): ProtocolsApi {
  if (!api) throw new McrError({ code: 'ENOENT', source, detail: `${what}: mcrd runs no protocol; add an igmp: { enabled: true, querier_interfaces: [...] } section to its config` });
  return api;
}

function needModule(api: ProtocolsApi, module: string, source: string): void {
  if (!api.modules().includes(module)) {
    throw new McrError({ code: 'ENOENT', source, detail: `${module} is not enabled in mcrd's config (running: ${api.modules().join(', ') || 'none'}); add a ${module}: section with enabled: true` });
  }
}

function needRunning(api: ProtocolsApi | undefined, module: string, source: string, what: string): ProtocolsApi {
  const p = needProtocols(api, source, what);
  needModule(p, module, source);
  return p;
}

function nameArg(req: Request, key: string, source: string, expected: string): string {
  const v = req[key];
  if (typeof v !== 'string' || v === '' || v.length > 64) throw new McrError({ code: 'EINVAL', source, path: key, detail: `expected ${expected}, got ${JSON.stringify(v) ?? 'nothing (missing)'}` });
  return v;
}

/** Validated event prefixes of a subscribe request. */
export function subscribeEvents(req: Request, source: string): string[] {
  const v = req.events;
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list) || list.length === 0 || list.length > 16 || !list.every((e) => typeof e === 'string' && /^[a-z*][a-z0-9-]{0,31}$/.test(e))) {
    throw new McrError({ code: 'EINVAL', source, path: 'events', detail: `expected a list of event types or prefixes like ["igmp", "pim-neighbor"], got ${JSON.stringify(v)?.slice(0, 80) ?? 'nothing (missing)'}` });
  }
  return list as string[];
}

export function dispatchProtocol(req: Request, api: ProtocolsApi | undefined, source: string): unknown {
  switch (req.cmd) {
    case 'igmp-groups':
    case 'igmp-interfaces': {
      const p = needRunning(api, 'igmp', source, req.cmd);
      const name = req.cmd === 'igmp-groups' ? 'groups' : 'interfaces';
      return { [name]: p.view('igmp', name) };
    }
    case 'igmp-enable-querier':
    case 'igmp-disable-querier': {
      const p = needRunning(api, 'igmp', source, req.cmd);
      return p.setQuerier(nameArg(req, 'interface', source, 'an IGMP interface name'), req.cmd === 'igmp-enable-querier');
    }
    case 'pim-neighbors':
    case 'pim-rp':
    case 'pim-state':
    case 'pim-join':
    case 'pim-interfaces':
    case 'pim-assert': {
      const p = needRunning(api, 'pim', source, req.cmd);
      const name = req.cmd.slice(4);
      return { [name]: p.view('pim', name) };
    }
    case 'pim-enable':
    case 'pim-disable': {
      const p = needRunning(api, 'pim', source, req.cmd);
      const ifname = nameArg(req, 'interface', source, 'an interface name');
      const pr = req.dr_priority;
      if (pr !== undefined && (req.cmd === 'pim-disable' || !Number.isInteger(pr) || (pr as number) < 0 || (pr as number) > 0xffffffff)) {
        throw new McrError({ code: 'EINVAL', source, path: 'dr_priority', detail: `expected an integer 0-4294967295 with pim-enable, got ${JSON.stringify(pr)}` });
      }
      return p.pimInterface(ifname, { enabled: req.cmd === 'pim-enable', ...(pr === undefined ? {} : { drPriority: pr as number }) });
    }
    case 'pim-set-rp': {
      const p = needRunning(api, 'pim', source, req.cmd);
      const range = nameArg(req, 'group', source, 'a group range like 239.1.0.0/16');
      const rp = req.rp;
      if (rp !== undefined && (typeof rp !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(rp))) {
        throw new McrError({ code: 'EINVAL', source, path: 'rp', detail: `expected an RP address like 10.0.0.9 (omit it to remove the range), got ${JSON.stringify(rp)}` });
      }
      return p.setRp(range, rp as string | undefined);
    }
    case 'mroute':
      return { routes: api?.mroute() ?? [] };
    case 'protocol-view': {
      const p = needProtocols(api, source, req.cmd);
      const module = nameArg(req, 'module', source, 'a module name (igmp, pim)');
      needModule(p, module, source);
      return { [module]: p.view(module, nameArg(req, 'view', source, 'a view name')) };
    }
    default: // subscribe: the server streams it
      needProtocols(api, source, req.cmd);
      return { events: subscribeEvents(req, source) };
  }
}
