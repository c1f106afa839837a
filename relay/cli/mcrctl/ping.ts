/** mcrctl ping — is mcrd answering, and how fast: `mcrctl ping`. */
import * as mcr from '../../compat/shapes.js';
import { type Verb, verbFlags } from './context.js';

export const ping: Verb = {
  name: 'ping',
  summary: 'check that mcrd answers',
  usage: 'usage: mcrctl ping',
  async run(argv, ctx) {
    verbFlags('ping', argv, []);
    const t0 = process.hrtime.bigint();
    await ctx.request('ping');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    ctx.emit({ json: () => ({ ms }), mcr: () => mcr.success('pong'), text: () => `mcrd answered in ${ms.toFixed(2)} ms` });
  },
};
