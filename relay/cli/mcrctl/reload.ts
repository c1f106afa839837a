/** mcrctl reload — re-read mcrd's config file and apply only what changed (same as SIGHUP). */
import { type Verb, verbFlags } from './context.js';

export const reload: Verb = {
  name: 'reload',
  summary: 're-read the config file and apply what changed',
  usage: 'usage: mcrctl reload',
  async run(argv, ctx) {
    verbFlags('reload', argv, []);
    const d = await ctx.request<{ added: string[]; removed: string[]; changed: string[]; unchanged: number }>('reload');
    ctx.out(ctx.json ? JSON.stringify({ ok: true, ...d })
      : `reloaded: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`);
  },
};
