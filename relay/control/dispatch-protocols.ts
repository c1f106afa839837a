/**
 * Control commands of the protocol plane (relay/control/protocols-api.ts):
 *
 *   → {"id":1,"cmd":"igmp-groups"}                          ← {"id":1,"ok":true,"result":{"groups":[...]}}
 *   → {"id":2,"cmd":"igmp-interfaces"}                      ← {"id":2,"ok":true,"result":{"interfaces":[...]}}
 *   → {"id":3,"cmd":"igmp-enable-querier","interface":"eth1"}   (and igmp-disable-querier)
 *   → {"id":4,"cmd":"mroute"}                               ← {"id":4,"ok":true,"result":{"routes":[...]}}
 *   → {"id":5,"cmd":"protocol-view","module":"pim","view":"neighbors"}
 *   → {"id":6,"cmd":"subscribe","events":["igmp","pim-neighbor"]}   then one event object per line
 *
 * `subscribe` is served by the server itself (it owns the connection); here only its arguments are
 * checked. Tested in dispatch-protocols.test.ts and relay/control/server.test.ts.
 */
import { McrError } from '../errors.js';
import type { ProtocolsApi } from './protocols-api.js';
import type { Request } from './protocol.js';

export const PROTOCOL_COMMANDS = ['igmp-groups', 'igmp-interfaces', 'igmp-enable-querier', 'igmp-disable-querier', 'mroute', 'protocol-view', 'subscribe'] as const;

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
      const p = needProtocols(api, source, req.cmd);
      needModule(p, 'igmp', source);
      const name = req.cmd === 'igmp-groups' ? 'groups' : 'interfaces';
      return { [name]: p.view('igmp', name) };
    }
    case 'igmp-enable-querier':
    case 'igmp-disable-querier': {
      const p = needProtocols(api, source, req.cmd);
      needModule(p, 'igmp', source);
      return p.setQuerier(nameArg(req, 'interface', source, 'an IGMP interface name'), req.cmd === 'igmp-enable-querier');
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
