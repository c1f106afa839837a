/** mcrctl log-level — show or change the daemon log level at runtime: `mcrctl log-level debug`. */
import { LOG_LEVELS } from '../../config/load.js';
import { describeValue } from '../../errors.js';
import { type Verb, usageError, verbFlags } from './context.js';

export const logLevel: Verb = {
  name: 'log-level',
  summary: 'show or set the daemon log level',
  usage: `usage: mcrctl log-level [${LOG_LEVELS.join('|')}]`,
  async run(argv, ctx) {
    const { positionals: p } = verbFlags('log-level', argv, [], true);
    if (p.length > 1) throw usageError(`expected one level, got ${p.length} arguments`, 'log-level');
    if (p[0] !== undefined && !(LOG_LEVELS as readonly string[]).includes(p[0])) {
      throw usageError(`expected one of ${LOG_LEVELS.join(', ')}, got ${describeValue(p[0])}`, 'log-level');
    }
    const r = await ctx.request<{ level: string }>('log-level', p[0] !== undefined ? { level: p[0] } : {});
    ctx.out(ctx.json ? JSON.stringify({ ok: true, ...r }) : `log level ${r.level}`);
  },
};
