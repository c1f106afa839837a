/**
 * mcrctl mroute — the MRIB: static rules and protocol-learned routes as the engine runs them, each with
 * its origin, incoming interface, (S,G) and port (`*` = any), and per outgoing interface the reason and
 * the time left. `mcrctl --json mroute` for scripts.
 */
import type { MribEntryView } from '../../protocols/mrib/index.js';
import { type Verb, verbFlags } from './context.js';
import { duration, table } from './format.js';

export function renderMroute(routes: MribEntryView[]): string {
  if (routes.length === 0) return 'no routes';
  const rows = [['SOURCE', 'GROUP', 'PORT', 'IIF', 'ORIGIN', 'OIF', 'REASON', 'EXPIRES']];
  for (const r of routes) {
    const head = [r.source ?? '*', r.group, r.port === 0 ? '*' : String(r.port), r.iif, r.origin];
    const oifs = [
      ...r.oifs.map((o) => [o.port === 0 ? o.interface : `${o.interface} → ${o.group}:${o.port}`, o.reason, duration(o.expiresInMs ?? null)]),
      ...r.suppressed.map((o) => [`(${o.interface} → ${o.group}:${o.port})`, o.reason, '-']),
    ];
    if (oifs.length === 0) rows.push([...head, '-', 'no outgoing interface', '-']);
    oifs.forEach((o, i) => rows.push([...(i === 0 ? head : ['', '', '', '', '']), ...o]));
  }
  return table(rows);
}

export const mroute: Verb = {
  name: 'mroute',
  summary: 'show the multicast routing table (static + IGMP/PIM-learned)',
  usage: 'usage: mcrctl mroute\n\nPORT * = any port (learned routes forward group and port unchanged); (oif) = a members-only output withheld for lack of members',
  async run(argv, ctx) {
    verbFlags('mroute', argv, []);
    const { routes } = await ctx.request<{ routes: MribEntryView[] }>('mroute');
    ctx.out(ctx.json ? JSON.stringify({ ok: true, routes }) : renderMroute(routes));
  },
};
