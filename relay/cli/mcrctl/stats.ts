/**
 * mcrctl stats — per rule and per output: packets, bytes, current pps and bit rate, send errors by
 * errno, time since the last packet; then the global drops by reason.
 *
 *   mcrctl stats
 *   mcrctl --json stats | jq '.rules[0].outputs[0].packets'
 *   mcrctl --format mcr stats | jq '.Stats[].packets_relayed'      # MCR's shape
 */
import type { StatsView } from '../../control/api.js';
import * as mcr from '../../compat/shapes.js';
import { type Verb, verbFlags } from './context.js';
import { ago, bitRate, count, endpoint, pps, table } from './format.js';

export function renderStats(s: StatsView): string {
  const rows = [['RULE', 'FLOW', 'PACKETS', 'BYTES', 'PPS', 'RATE', 'ERRORS', 'LAST PACKET']];
  for (const r of s.rules) {
    rows.push([r.id, `in  ${endpoint(r.input)}`, count(r.packets), count(r.bytes), pps(r.pps), bitRate(r.bps), '', ago(r.lastPacketAgoMs)]);
    for (const o of r.outputs) {
      const errs = Object.entries(o.errorsByErrno).map(([e, n]) => `${e}=${n}`).join(' ');
      rows.push(['', `out ${endpoint(o)}`, count(o.packets), count(o.bytes), pps(o.pps), bitRate(o.bps), o.sendErrors ? `${o.sendErrors} ${errs}` : '0', '']);
    }
  }
  const g = s.global;
  const malformed = Object.entries(g.malformed).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';
  const lines = [
    s.rules.length ? table(rows) : 'no rules',
    '',
    `received ${g.rxFrames} frames (${g.rxBytes} bytes); drops: ring ${g.ringDrops} (freezes ${g.ringFreezes}), unmatched ${g.unmatched}, malformed ${malformed}`,
  ];
  return lines.join('\n');
}

export const stats: Verb = {
  name: 'stats',
  summary: 'show counters and rates per rule and output',
  usage: 'usage: mcrctl stats',
  async run(argv, ctx) {
    verbFlags('stats', argv, []);
    const s = await ctx.request<StatsView>('stats');
    ctx.emit({ json: () => ({ ...s }), mcr: () => mcr.stats(s), text: () => renderStats(s) });
  },
};
