/** mcrctl version — the daemon's version, pid and egress backend (mcrctl --version is the client's). */
import type { VersionView } from '../../control/api.js';
import * as mcr from '../../compat/shapes.js';
import { type Verb, verbFlags } from './context.js';

export const version: Verb = {
  name: 'version',
  summary: 'show the daemon version',
  usage: 'usage: mcrctl version',
  async run(argv, ctx) {
    verbFlags('version', argv, []);
    const v = await ctx.request<VersionView>('version');
    ctx.emit({ json: () => ({ ...v }), mcr: () => mcr.version(), text: () => `${v.name} ${v.version} (pid ${v.pid}, backend ${v.backend}, node ${v.node})` });
  },
};
