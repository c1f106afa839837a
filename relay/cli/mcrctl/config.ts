/**
 * mcrctl config — MCR's configuration commands:
 *
 *   mcrctl config show                      the running rules as a config file (MCR's format)
 *   mcrctl config save --file F             write that to F (here, by mcrctl; F is not on mcrd's side)
 *   mcrctl config load --file F [--replace] merge F's rules into mcrd's runtime rules (or replace them)
 *   mcrctl config check --file F            validate F locally, like mcrd --check: exit 0, or 78 with
 *                                           file, line and field of the first error (FILE may be positional)
 *
 * A saved file loads back with `mcrd --config`, `config load`, and MCR itself.
 */
import { writeFile } from 'node:fs/promises';
import { type ConfigFile, loadConfigFile } from '../../config/load.js';
import type { LoadResult, RuleView } from '../../control/api.js';
import * as mcr from '../../compat/shapes.js';
import { McrError } from '../../errors.js';
import { type Ctx, type Verb, usageError, verbFlags } from './context.js';

const USAGE = `usage: mcrctl config show | save --file F | load --file F [--replace] | check --file F

  mcrctl config show > rules.json5
  mcrctl config load --file /etc/mcrd/extra.json5
  mcrctl config check --file /etc/mcrd/mcrd.json5`;

async function readChecked(path: string): Promise<ConfigFile> {
  try {
    return await loadConfigFile(path);
  } catch (err) {
    throw Object.assign(err as Error, { configError: true });
  }
}

const plural = (n: number) => `${n} rule${n === 1 ? '' : 's'}`;

async function runningConfig(ctx: Ctx): Promise<Record<string, unknown>> {
  const { rules } = await ctx.request<{ rules: RuleView[] }>('list');
  return mcr.configDoc(rules);
}

export const config: Verb = {
  name: 'config',
  summary: 'show, save, load or check a rule file (MCR\'s config commands)',
  usage: USAGE,
  async run(argv, ctx) {
    const { values: v, flags, positionals: p } = verbFlags('config', argv, ['file'], true, { booleans: ['replace'] });
    const [action, positional, ...extra] = p;
    if (extra.length) throw usageError(`unexpected ${JSON.stringify(extra[0])}; see mcrctl config --help`);
    const file = v.file ?? positional;
    const needFile = () => {
      if (file === undefined) {
        throw usageError(action === 'save'
          ? 'expected --file F: mcrd does not rewrite its --config file (runtime rules persist in its state file by themselves)'
          : `expected --file F; see mcrctl config --help`, `config ${action}`);
      }
      return file;
    };
    switch (action) {
      case 'show': {
        const doc = await runningConfig(ctx);
        ctx.emit({ json: () => ({ config: doc }), mcr: () => ({ Config: doc }), text: () => JSON.stringify(doc, null, 2) });
        return;
      }
      case 'save': {
        const path = needFile();
        const doc = await runningConfig(ctx);
        try {
          await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`);
        } catch (err) {
          throw new McrError({ code: 'EIO', source: path, detail: `cannot write: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
        }
        const n = (doc.rules as unknown[]).length;
        ctx.emit({ json: () => ({ file: path, rules: n }), mcr: () => mcr.success(`Configuration saved to ${path}`), text: () => `saved ${plural(n)} to ${path}` });
        return;
      }
      case 'load': {
        const c = await readChecked(needFile());
        const replace = flags.replace === true;
        const r = await ctx.request<LoadResult>('load', { rules: c.rules, ...(replace ? { replace } : {}) });
        ctx.emit({
          json: () => ({ ...r }),
          mcr: () => mcr.success(mcr.loadMessage(r, replace)),
          text: () => `loaded ${file}: ${r.added.length} added, ${r.replaced.length} replaced, ${r.unchanged.length} unchanged, ${r.skipped.length} skipped (id or input taken)${replace ? `, ${r.removed.length} removed` : ''}`,
        });
        return;
      }
      case 'check': {
        const path = needFile();
        let c: ConfigFile;
        try {
          c = await readChecked(path);
        } catch (err) {
          // MCR answers a bad file with ConfigValidation, not Error; print that (once) and still exit 78.
          if (ctx.format === 'mcr') {
            ctx.out(JSON.stringify(mcr.validation([(err as Error).message]), null, 2));
            Object.assign(err as Error, { printed: true });
          }
          throw err;
        }
        ctx.emit({
          json: () => ({ rules: c.rules.length, warnings: c.warnings }),
          mcr: () => mcr.validation([]),
          text: () => [...c.warnings.map((w) => `warning: ${w}`), `${path}: ok, ${plural(c.rules.length)}`].join('\n'),
        });
        return;
      }
      default:
        throw usageError('expected show, save, load or check; see mcrctl config --help', 'config');
    }
  },
};
