/** mcrctl remove — remove a rule by id: `mcrctl remove --rule-id cam1` (ids from `mcrctl list`). */
import type { RuleView } from '../../control/api.js';
import { type Verb, usageError, verbFlags } from './context.js';

export const remove: Verb = {
  name: 'remove',
  summary: 'remove a rule by id',
  usage: 'usage: mcrctl remove --rule-id ID\n\n  mcrctl remove --rule-id cam1',
  async run(argv, ctx) {
    const { values: v, positionals: p } = verbFlags('remove', argv, ['rule-id'], true);
    const id = v['rule-id'] ?? p[0];
    if (id === undefined) throw usageError('missing, required by remove; see mcrctl list for ids', '--rule-id');
    const { rule } = await ctx.request<{ rule: RuleView }>('remove', { ruleId: id });
    ctx.out(ctx.json ? JSON.stringify({ ok: true, rule }) : `removed rule ${rule.id}`);
  },
};
