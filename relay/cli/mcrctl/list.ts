/** mcrctl list — the rule table, one line per output: `mcrctl list`, `mcrctl --json list`. */
import type { RuleView } from '../../control/api.js';
import * as mcr from '../../compat/shapes.js';
import { type Verb, verbFlags } from './context.js';
import { endpoint, table } from './format.js';

export function renderRules(rules: RuleView[]): string {
  if (rules.length === 0) return 'no rules';
  const rows = [['ID', 'NAME', 'INPUT', 'OUTPUT', 'TTL', 'ORIGIN', 'STATE']];
  for (const r of rules) {
    const state = r.state === 'waiting' ? `waiting for ${r.waitingFor}` : r.state === 'interface-down' ? `interface-down (${r.waitingFor})` : (r.state ?? 'active');
    r.outputs.forEach((o, i) => rows.push([
      i === 0 ? r.id : '', i === 0 ? (r.name ?? '') : '',
      i === 0 ? `${endpoint(r.input)}${r.input.source ? ` from ${r.input.source}` : ''}` : '',
      endpoint(o), String(o.ttl), i === 0 ? r.origin : '', i === 0 ? state : '',
    ]));
  }
  return table(rows);
}

export const list: Verb = {
  name: 'list',
  aliases: ['list-rules'],
  summary: 'list rules',
  usage: 'usage: mcrctl list',
  async run(argv, ctx) {
    verbFlags('list', argv, []);
    const { rules } = await ctx.request<{ rules: RuleView[] }>('list');
    ctx.emit({ json: () => ({ rules }), mcr: () => mcr.rules(rules), text: () => renderRules(rules) });
  },
};
