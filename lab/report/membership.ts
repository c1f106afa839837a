/**
 * The membership part of every report (results.json `membership`): per test, one row per router
 * with RFC 3918 §6.1 join delay and §6.2 leave delay as median, IQR and min–max over every cycle,
 * how many cycles completed, and with watchers the switch to the shortest-path tree. Relays that
 * could not run and each test's notes are stated under the table, so "no data" always has a reason.
 * Rendered by markdown.ts, html.ts and console.ts. Covered by membership-report.test.ts.
 */
import type { DelaySummary, MembershipTest } from '../results/membership.js';
import type { Results } from '../results/types.js';
import { fmtNs } from './format.js';
import { RELAY_ORDER } from './model.js';
import type { Cell, TableModel } from './tables.js';

const DASH = '–';

function tests(r: Results): MembershipTest[] {
  return [...(r.membership ?? [])].sort((a, b) => RELAY_ORDER.indexOf(a.relay) - RELAY_ORDER.indexOf(b.relay));
}

/** "28.0 ms", "IQR 19.1–35.4 ms", "8.21–46.9 ms" for one delay, as cells carrying the raw values. */
function delayCells(d: DelaySummary | undefined, attrs: Record<string, string | number>): Cell[] {
  if (!d) return [{ text: 'no data', attrs }, { text: DASH }, { text: DASH }];
  return [
    { text: fmtNs(d.median), attrs: { ...attrs, 'data-value': d.median, 'data-q1': d.q1, 'data-q3': d.q3, 'data-min': d.min, 'data-max': d.max, 'data-n': d.n } },
    { text: `${fmtNs(d.q1)}–${fmtNs(d.q3)}` },
    { text: `${fmtNs(d.min)}–${fmtNs(d.max)}` },
  ];
}

const FIGURES = [
  ['joinDelayNs', 'join delay'],
  ['leaveDelayNs', 'leave delay'],
  ['sptSwitchNs', 'SPT switch'],
  ['rptStopNs', 'RPT stop'],
] as const;

/** One table per membership test name. */
export function membershipTables(r: Results): TableModel[] {
  const all = tests(r);
  return [...new Set(all.map((t) => t.name))].map((name) => {
    const rows = all.filter((t) => t.name === name);
    // The SPT columns only where some router was watched for them.
    const figures = FIGURES.filter(([key], i) => i < 2 || rows.some((t) => t.summary[key] !== undefined || t.repetitions.some((rep) => rep.receivers.some((x) => x.cycles.some((c) => key in c)))));
    const head = ['relay', ...figures.flatMap(([, what]) => [`${what} (median)`, 'IQR', 'min–max']), 'joins', 'leaves', 'frames while out'];
    const body = rows.map((t) => [
      { text: t.relay },
      ...figures.flatMap(([key]) => delayCells(t.summary[key], { 'data-relay': t.relay, 'data-test': t.name, 'data-metric': key })),
      { text: `${t.summary.joinsCompleted}/${t.summary.cyclesRun}`, attrs: { 'data-relay': t.relay, 'data-test': t.name, 'data-metric': 'joinsCompleted', 'data-value': t.summary.joinsCompleted } },
      { text: `${t.summary.leavesCompleted}/${t.summary.cyclesRun}`, attrs: { 'data-relay': t.relay, 'data-test': t.name, 'data-metric': 'leavesCompleted', 'data-value': t.summary.leavesCompleted } },
      { text: String(t.summary.framesWhileLeft), attrs: { 'data-relay': t.relay, 'data-test': t.name, 'data-metric': 'framesWhileLeft', 'data-value': t.summary.framesWhileLeft } },
    ]);
    const first = rows[0]!;
    const notes = [
      `${first.cycles} join/leave cycles per receiver and repetition, stream at ${first.offeredPps} pps.`,
      ...rows.flatMap((t) => t.notes.map((n) => `${t.relay}: ${n}`)),
      ...r.skipped.filter((x) => !rows.some((t) => t.relay === x.relay)).map((x) => `not measured: ${x.reason}`),
    ];
    return { id: `membership-${name}`, title: `membership (${name}): RFC 3918 join and leave delay`, note: notes.join(' '), head, rows: body };
  });
}

/** How the delays are measured, for the Method section. */
export function membershipMethodNotes(r: Results): string[] {
  if (!r.membership?.length) return [];
  return [
    'Join delay (RFC 3918 §6.1): first data frame at the receiver − the receiver\'s own Membership Report; leave delay (§6.2): last data frame − its Leave (0 when none came after it). The stream flows before the first join and throughout.',
    'Both ends of each delay are receive stamps of one AF_PACKET socket on the receiver\'s interface (mcr-member), which sees its IGMP messages leave and the data arrive: one clock, no cross-host offsets. The kernel sends the report a few ms after the join call; that wait is not the router\'s and is not counted.',
    'A leave is complete after quietS without data; the leave delay\'s resolution is the stream\'s frame interval. SPT switch: first frame on the router\'s shortest-path-tree link − first frame at the receiver; RPT stop: last frame on its shared-tree link − first frame at the receiver.',
    'Medians with IQR and min–max pool every cycle of every receiver and repetition.',
  ];
}

/** For the console: a table (one row per test and relay; empty without membership tests) and lines under it. */
export function membershipConsole(r: Results): { table: string[][]; lines: string[] } {
  const all = tests(r);
  if (all.length === 0) return { table: [], lines: [] };
  const fmt = (d: DelaySummary | undefined) => (d ? `${fmtNs(d.median)} (IQR ${fmtNs(d.q1)}–${fmtNs(d.q3)}, ${fmtNs(d.min)}–${fmtNs(d.max)})` : 'no data');
  const table = [['membership', 'relay', 'join delay', 'leave delay', 'joins', 'leaves'],
    ...all.map((t) => [t.name, t.relay, fmt(t.summary.joinDelayNs), fmt(t.summary.leaveDelayNs),
      `${t.summary.joinsCompleted}/${t.summary.cyclesRun}`, `${t.summary.leavesCompleted}/${t.summary.cyclesRun}`])];
  const spt = all.filter((t) => t.summary.sptSwitchNs || t.summary.rptStopNs)
    .map((t) => `${t.name} ${t.relay}: SPT switch ${fmt(t.summary.sptSwitchNs)}, RPT stop ${fmt(t.summary.rptStopNs)}`);
  return { table, lines: [...spt, ...all.flatMap((t) => t.notes.map((n) => `${t.name} ${t.relay}: ${n}`))] };
}
