/**
 * mcrctl pim — PIM-SM state and runtime switches, in MCR's forms plus what FRR users expect:
 *
 *   mcrctl pim neighbors                        per interface: neighbor, uptime, expiry, DR priority, DR
 *   mcrctl pim interfaces                       our DR priority, elected DR, GenID, neighbor count
 *   mcrctl pim rp                               group range → RP and where the mapping comes from
 *   mcrctl pim state                            upstream (*,G), (S,G), (S,G,rpt): RPF, timers, OIL
 *   mcrctl pim join                             downstream join state per interface
 *   mcrctl pim assert                           Assert state per interface: Winner / Loser, winner, timer
 *   mcrctl pim enable --interface eth1 [--dr-priority 10]
 *   mcrctl pim disable --interface eth1
 *   mcrctl pim set-rp --group 239.1.0.0/16 --rp 10.0.0.9     (without --rp: remove the range; a bare group: /32)
 *   mcrctl --json pim neighbors
 *   mcrctl --format mcr pim neighbors           MCR's {"PimNeighbors":[...]} (relay/compat/pim.ts)
 *
 * MCR's subcommands for injected neighbors, SetRpAddress and its RPF provider are refused with what to
 * do instead; external-neighbors and clear-neighbors answer the truth: mcrd has none.
 */
import { type PimNeighborRow, PIM_REFUSALS, clearedNone, groupRange, pimNeighbors } from '../../compat/pim.js';
import { success } from '../../compat/shapes.js';
import { unsupportedAdvice } from '../../compat/wire.js';
import { type Verb, usageError, verbFlags } from './context.js';
import { duration, table } from './format.js';

/** MCR's mcrctl pim subcommands that mcrd refuses, and the request each stands for. */
const MCR_REFUSED: Record<string, string> = {
  'set-rp-address': 'SetRpAddress', 'add-neighbor': 'AddExternalNeighbor', 'remove-neighbor': 'RemoveExternalNeighbor',
  'set-rpf': 'SetRpfProvider', 'get-rpf': 'GetRpfProvider', 'query-rpf': 'QueryRpf', 'add-rpf-route': 'AddRpfRoute',
  'remove-rpf-route': 'RemoveRpfRoute', 'list-rpf-routes': 'ListRpfRoutes', 'clear-rpf-routes': 'ClearRpfRoutes',
};

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
const ms = (v: unknown) => duration(typeof v === 'number' ? v : null);

const RENDER: Record<string, { empty: string; head: string[]; row(r: Row): string[] }> = {
  neighbors: {
    empty: 'no PIM neighbors',
    head: ['INTERFACE', 'NEIGHBOR', 'UPTIME', 'EXPIRES', 'DR PRIORITY', 'GENID', 'DR'],
    row: (r) => [str(r.interface), str(r.address), ms(r.uptimeMs), ms(r.expiresInMs), str(r.drPriority), str(r.genId), r.dr ? 'yes' : ''],
  },
  interfaces: {
    empty: 'no PIM interfaces',
    head: ['INTERFACE', 'ADDRESS', 'DR', 'WE ARE DR', 'DR PRIORITY', 'HELLO', 'NEIGHBORS'],
    row: (r) => [str(r.interface), str(r.address), str(r.dr), r.isDr ? 'yes' : 'no', str(r.drPriority), ms(r.helloPeriodMs), str(r.neighbors)],
  },
  state: {
    empty: 'no PIM upstream state',
    head: ['SOURCE', 'GROUP', 'RPT', 'STATE', 'RPF INTERFACE', 'RPF NEIGHBOR', 'JOIN TIMER', 'REGISTER', 'OIL'],
    row: (r) => [str(r.source), str(r.group), r.rpt ? 'yes' : '', str(r.state), str(r.rpfInterface), str(r.rpfNeighbor), ms(r.joinTimerInMs ?? r.overrideInMs),
      str(r.register), (r.oil as string[] | undefined)?.join(' ') || '-'],
  },
  join: {
    empty: 'no PIM downstream joins',
    head: ['INTERFACE', 'SOURCE', 'GROUP', 'RPT', 'STATE', 'EXPIRES', 'PRUNE PENDING'],
    row: (r) => [str(r.interface), str(r.source), str(r.group), r.rpt ? 'yes' : '', str(r.state), ms(r.expiresInMs), ms(r.prunePendingInMs)],
  },
  assert: {
    empty: 'no PIM assert state',
    head: ['INTERFACE', 'SOURCE', 'GROUP', 'STATE', 'WINNER', 'TIMER'],
    row: (r) => [str(r.interface), str(r.source), str(r.group), str(r.state), str(r.winner), ms(r.timerInMs)],
  },
};

interface RpView { bsr: { address?: string } | null; ranges: Row[] }

export function renderPim(view: string, data: unknown): string {
  if (view === 'rp') {
    const v = data as RpView;
    const rows = [['GROUP', 'RP', 'SOURCE', 'PRIORITY', 'EXPIRES'], ...v.ranges.map((r) => [str(r.range), str(r.rp), str(r.source), str(r.priority), ms(r.expiresInMs)])];
    return `${v.ranges.length ? table(rows) : 'no RP mapping'}\nBSR: ${v.bsr?.address ?? 'none'}`;
  }
  const r = RENDER[view]!;
  const list = data as Row[];
  return list.length === 0 ? r.empty : table([r.head, ...list.map(r.row)]);
}

const SUB = {
  neighbors: 'show PIM neighbors per interface',
  interfaces: 'show PIM interfaces: DR election, GenID, Hello period',
  rp: 'show the group range → RP mapping and its source (static, bsr)',
  state: 'show upstream (*,G), (S,G), (S,G,rpt) state with RPF neighbor, timers and OIL',
  join: 'show downstream Join/Prune state per interface',
  assert: 'show Assert state per interface (Winner / Loser, the winner, the Assert timer)',
  enable: 'run PIM on an interface (--interface IF [--dr-priority N])',
  disable: 'stop PIM on an interface (--interface IF; sends a goodbye Hello)',
  'set-rp': 'set the static RP of a group range (--group G/LEN --rp A); without --rp remove it',
  'external-neighbors': 'MCR\'s injected neighbors: mcrd has none (it learns neighbors from Hellos)',
  'clear-neighbors': 'MCR\'s: clears no injected neighbors, there are none ([--interface IF])',
} as const;

export const pim: Verb = {
  name: 'pim',
  summary: 'PIM-SM neighbors, rp, state, join, assert; enable / disable / set-rp',
  usage: `usage: mcrctl pim SUBCOMMAND

${Object.entries(SUB).map(([k, v]) => `  ${k.padEnd(18)} ${v}`).join('\n')}

  refused with what to do instead: ${Object.keys(MCR_REFUSED).join(', ')}

  mcrctl pim enable --interface eth1 --dr-priority 10
  mcrctl pim set-rp --group 239.1.0.0/16 --rp 10.0.0.9
  mcrctl --json pim neighbors`,
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    if (sub === 'neighbors' || sub === 'interfaces' || sub === 'rp' || sub === 'state' || sub === 'join' || sub === 'assert') {
      verbFlags(`pim ${sub}`, rest, []);
      const r = await ctx.request<Record<string, unknown>>(`pim-${sub}`);
      if (sub === 'neighbors') {
        ctx.emit({ json: () => ({ neighbors: r.neighbors }), mcr: () => pimNeighbors(r.neighbors as PimNeighborRow[]), text: () => renderPim(sub, r.neighbors) });
        return;
      }
      ctx.out(ctx.json ? JSON.stringify({ ok: true, [sub]: r[sub] }) : renderPim(sub, r[sub]));
      return;
    }
    if (sub === 'external-neighbors' || sub === 'clear-neighbors') {
      const { values } = verbFlags(`pim ${sub}`, rest, sub === 'clear-neighbors' ? ['interface'] : []);
      await ctx.request('pim-interfaces'); // refused when PIM does not run
      const none = 'no external neighbors: mcrd learns PIM neighbors from their Hellos only';
      if (sub === 'external-neighbors') ctx.emit({ json: () => ({ neighbors: [] }), mcr: () => ({ ExternalNeighbors: [] }), text: () => none });
      else ctx.emit({ json: () => ({ cleared: 0 }), mcr: () => clearedNone(values.interface), text: () => none });
      return;
    }
    const refused = sub === undefined ? undefined : MCR_REFUSED[sub];
    if (refused !== undefined) {
      throw usageError(`pim ${sub}: not supported by mcrd: ${PIM_REFUSALS[refused as keyof typeof PIM_REFUSALS] ?? unsupportedAdvice(refused)}`);
    }
    if (sub === 'enable' || sub === 'disable') {
      const { values } = verbFlags(`pim ${sub}`, rest, sub === 'enable' ? ['interface', 'dr-priority'] : ['interface']);
      if (!values.interface) throw usageError(`missing --interface IF; see mcrctl pim --help`);
      const pr = values['dr-priority'];
      if (pr !== undefined && !/^\d{1,10}$/.test(pr)) throw usageError(`--dr-priority: expected an integer 0-4294967295, got ${JSON.stringify(pr)}`);
      const r = await ctx.request<{ interface: string; enabled: boolean }>(`pim-${sub}`, { interface: values.interface, ...(pr === undefined ? {} : { dr_priority: Number(pr) }) });
      const said = `pim ${r.enabled ? 'enabled' : 'disabled'} on ${r.interface}`;
      ctx.emit({ json: () => ({ ...r }), mcr: () => success(`PIM ${r.enabled ? 'enabled' : 'disabled'} on ${r.interface}`), text: () => said });
      return;
    }
    if (sub === 'set-rp') {
      const { values } = verbFlags('pim set-rp', rest, ['group', 'rp']);
      if (!values.group) throw usageError('missing --group G/LEN; see mcrctl pim --help');
      const r = await ctx.request<{ group: string; rp: string | null }>('pim-set-rp', { group: groupRange(values.group), ...(values.rp ? { rp: values.rp } : {}) });
      ctx.emit({
        json: () => ({ ...r }),
        mcr: () => success(r.rp ? `Static RP ${r.rp} set for group prefix ${values.group}` : `Static RP removed for group prefix ${values.group}`),
        text: () => (r.rp ? `static RP for ${r.group} is ${r.rp}` : `static RP for ${r.group} removed`),
      });
      return;
    }
    throw usageError(`${sub === undefined ? 'missing' : `unknown pim subcommand ${JSON.stringify(sub)}`}; expected one of ${Object.keys(SUB).join(', ')}`);
  },
};
