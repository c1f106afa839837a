/**
 * mcrctl config check FILE — validate a rule file locally, without a daemon and without applying it
 * (the same check as `mcrd --check`): exit 0, or 78 with file, line and field of the first error.
 *
 *   mcrctl config check /etc/mcrd/mcrd.json5
 */
import { loadConfigFile } from '../../config/load.js';
import { type Verb, usageError, verbFlags } from './context.js';

export const config: Verb = {
  name: 'config',
  summary: 'config check FILE: validate a rule file without applying it',
  usage: 'usage: mcrctl config check FILE\n\n  mcrctl config check /etc/mcrd/mcrd.json5',
  async run(argv, ctx) {
    const { positionals: p } = verbFlags('config', argv, [], true);
    if (p[0] !== 'check' || p.length !== 2) throw usageError('expected "config check FILE"; see mcrctl config --help');
    try {
      const c = await loadConfigFile(p[1]!);
      ctx.out(ctx.json ? JSON.stringify({ ok: true, rules: c.rules.length, warnings: c.warnings })
        : [...c.warnings.map((w) => `warning: ${w}`), `${p[1]}: ok, ${c.rules.length} rule${c.rules.length === 1 ? '' : 's'}`].join('\n'));
    } catch (err) {
      throw Object.assign(err as Error, { configError: true });
    }
  },
};
