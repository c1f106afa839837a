/** mcrctl remove — remove a rule by id or MCR name: `mcrctl remove --rule-id cam1`, `mcrctl remove --name "camera 1"`. */
import type { RuleView } from '../../control/api.js';
import * as mcr from '../../compat/shapes.js';
import { type Verb, usageError, verbFlags } from './context.js';

export const remove: Verb = {
  name: 'remove',
  summary: 'remove a rule by id or name',
  usage: 'usage: mcrctl remove --rule-id ID | --name NAME\n\n  mcrctl remove --rule-id cam1\n  mcrctl remove --name "camera 1"',
  async run(argv, ctx) {
    const { values: v, positionals: p } = verbFlags('remove', argv, ['rule-id', 'name'], true);
    if (v['rule-id'] !== undefined && v.name !== undefined) throw usageError('give one of --rule-id or --name', '--name');
    const id = v['rule-id'] ?? p[0];
    if (id === undefined && v.name === undefined) throw usageError('missing, required by remove (or --name); see mcrctl list for ids', '--rule-id');
    const { rule } = await ctx.request<{ rule: RuleView }>('remove', v.name !== undefined ? { name: v.name } : { ruleId: id });
    ctx.emit({
      json: () => ({ rule }),
      mcr: () => mcr.success(v.name !== undefined ? `Removed rule '${v.name}' (id: ${rule.id})` : `Rule ${rule.id} removed`),
      text: () => `removed rule ${rule.id}${rule.name ? ` (${rule.name})` : ''}`,
    });
  },
};
