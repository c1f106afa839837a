/** mcrctl reload — re-read mcrd's config file and apply only what changed (same as SIGHUP). */
import * as mcr from '../../compat/shapes.js';
import { type Verb, verbFlags } from './context.js';

export const reload: Verb = {
  name: 'reload',
  summary: 're-read the config file and apply what changed',
  usage: 'usage: mcrctl reload',
  async run(argv, ctx) {
    verbFlags('reload', argv, []);
    const d = await ctx.request<{ added: string[]; removed: string[]; changed: string[]; unchanged: number }>('reload');
    const text = `reloaded: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`;
    ctx.emit({ json: () => ({ ...d }), mcr: () => mcr.success(text), text: () => text });
  },
};
