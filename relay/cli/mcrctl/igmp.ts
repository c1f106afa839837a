/**
 * mcrctl igmp — IGMP state and the runtime querier switch, in MCR's forms:
 *
 *   mcrctl igmp groups                          per interface and group: mode, sources, timers, reporter
 *   mcrctl igmp interfaces                      querier state, querier address, timers, counters
 *   mcrctl igmp enable-querier --interface eth1
 *   mcrctl igmp disable-querier --interface eth1
 *   mcrctl --json igmp groups
 */
import { type Verb, usageError, verbFlags } from './context.js';
import { duration, table } from './format.js';

interface GroupRow {
  interface: string; group: string; mode: string; compat?: string; lastReporter?: string | null;
  uptimeMs?: number; groupTimerMs?: number | null;
  sources?: Array<{ source: string; timerMs: number | null; forwarding: boolean }>;
}

interface InterfaceRow {
  interface: string; up?: boolean; querierEnabled?: boolean; querier?: boolean; address?: string | null; querierAddress?: string | null;
  otherQuerierPresentMs?: number | null; nextGeneralQueryMs?: number | null; version?: number; groups?: number;
}

export function renderGroups(groups: GroupRow[]): string {
  if (groups.length === 0) return 'no IGMP groups';
  const rows = [['INTERFACE', 'GROUP', 'MODE', 'VERSION', 'SOURCES', 'LAST REPORTER', 'UPTIME', 'EXPIRES']];
  for (const g of groups) {
    const sources = (g.sources ?? []).map((s) => `${s.source}${s.timerMs === null ? '' : `(${duration(s.timerMs)})`}`).join(' ') || '-';
    rows.push([g.interface, g.group, g.mode, g.compat ?? '-', sources, g.lastReporter ?? '-', duration(g.uptimeMs ?? null), duration(g.groupTimerMs ?? null)]);
  }
  return table(rows);
}

export function renderInterfaces(ifs: InterfaceRow[]): string {
  if (ifs.length === 0) return 'no IGMP interfaces';
  const rows = [['INTERFACE', 'STATE', 'ADDRESS', 'QUERIER', 'QUERIER ADDRESS', 'OTHER QUERIER', 'NEXT QUERY', 'VERSION', 'GROUPS']];
  for (const i of ifs) {
    const role = i.querier ? 'this router' : i.querierEnabled === false ? 'disabled' : 'other';
    rows.push([i.interface, i.up ? 'up' : 'down', i.address ?? '-', role, i.querierAddress ?? '-', duration(i.otherQuerierPresentMs ?? null),
      duration(i.nextGeneralQueryMs ?? null), i.version === undefined ? '-' : `v${i.version}`, String(i.groups ?? 0)]);
  }
  return table(rows);
}

const SUB = {
  groups: 'show IGMP group membership per interface',
  interfaces: 'show IGMP interfaces: querier state and timers',
  'enable-querier': 'make mcrd query on an IGMP interface (--interface IF)',
  'disable-querier': 'stop querying on an IGMP interface (membership is still tracked)',
} as const;

export const igmp: Verb = {
  name: 'igmp',
  summary: 'IGMP groups and interfaces, enable-querier / disable-querier',
  usage: `usage: mcrctl igmp SUBCOMMAND

${Object.entries(SUB).map(([k, v]) => `  ${k.padEnd(16)} ${v}`).join('\n')}

  mcrctl igmp enable-querier --interface eth1
  mcrctl --json igmp groups`,
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    if (sub === 'groups' || sub === 'interfaces') {
      verbFlags(`igmp ${sub}`, rest, []);
      const r = await ctx.request<Record<string, unknown[]>>(`igmp-${sub}`);
      const rows = r[sub] ?? [];
      if (ctx.json) ctx.out(JSON.stringify({ ok: true, [sub]: rows }));
      else ctx.out(sub === 'groups' ? renderGroups(rows as GroupRow[]) : renderInterfaces(rows as InterfaceRow[]));
      return;
    }
    if (sub === 'enable-querier' || sub === 'disable-querier') {
      const { values } = verbFlags(`igmp ${sub}`, rest, ['interface']);
      if (!values.interface) throw usageError(`missing --interface IF; see mcrctl igmp --help`);
      const r = await ctx.request<{ interface: string; querier: boolean }>(`igmp-${sub}`, { interface: values.interface });
      ctx.out(ctx.json ? JSON.stringify({ ok: true, ...r }) : `igmp querier ${r.querier ? 'enabled' : 'disabled'} on ${r.interface}`);
      return;
    }
    throw usageError(`${sub === undefined ? 'missing' : `unknown igmp subcommand ${JSON.stringify(sub)}`}; expected one of ${Object.keys(SUB).join(', ')}`);
  },
};
