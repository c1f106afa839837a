/**
 * mcrctl log-level — show or change the daemon's log level at runtime, in mcrd's form or MCR's:
 *
 *   mcrctl log-level                 mcrctl log-level get
 *   mcrctl log-level debug           mcrctl log-level set --global debug
 *
 * MCR's eight severities fold onto mcrd's four (relay/compat/severity.ts); MCR's per-facility form
 * (`set --facility F --level L`) is refused: mcrd has one level.
 */
import { LOG_LEVELS, type LogLevel } from '../../config/load.js';
import * as mcr from '../../compat/shapes.js';
import { facilityRefusal, levelFromMcr } from '../../compat/severity.js';
import { describeValue } from '../../errors.js';
import { type Verb, usageError, verbFlags } from './context.js';

const USAGE = `usage: mcrctl log-level [get | ${LOG_LEVELS.join('|')} | set --global LEVEL]

  mcrctl log-level                     # show
  mcrctl log-level debug               # set
  mcrctl log-level set --global info   # MCR's form; MCR's levels emergency…debug are accepted`;

/** The level to set from the verb's arguments, or undefined to only show it. Throws usage errors. */
export function levelArg(argv: string[]): LogLevel | undefined {
  const { values: v, positionals: p } = verbFlags('log-level', argv, ['global', 'facility', 'level'], true);
  if (p[0] === 'set') {
    if (v.facility !== undefined) throw Object.assign(facilityRefusal('--facility'), { usage: true });
    if (v.global === undefined) throw usageError('expected set --global LEVEL', 'log-level set');
    return levelFromMcr(v.global, '--global');
  }
  if (v.global !== undefined || v.facility !== undefined || v.level !== undefined) throw usageError('--global, --facility and --level go after "set"', 'log-level');
  if (p.length > 1) throw usageError(`expected one level, got ${p.length} arguments`, 'log-level');
  if (p[0] === undefined || p[0] === 'get') return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(p[0])) {
    throw usageError(`expected get, set or one of ${LOG_LEVELS.join(', ')}, got ${describeValue(p[0])}`, 'log-level');
  }
  return p[0] as LogLevel;
}

export const logLevel: Verb = {
  name: 'log-level',
  summary: 'show or set the daemon log level',
  usage: USAGE,
  async run(argv, ctx) {
    let level: LogLevel | undefined;
    try {
      level = levelArg(argv);
    } catch (err) {
      throw Object.assign(err as Error, { usage: true });
    }
    const r = await ctx.request<{ level: LogLevel }>('log-level', level !== undefined ? { level } : {});
    ctx.emit({
      json: () => ({ ...r }),
      mcr: () => (level === undefined ? mcr.logLevels(r.level) : mcr.success(`Global log level set to ${r.level.toUpperCase()}`)),
      text: () => `log level ${r.level}`,
    });
  },
};
