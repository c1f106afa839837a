/**
 * mcrctl's global flags: --socket/--socket-path PATH, --instance NAME, --json or --format
 * table|json|mcr (anywhere), --help, --version. MCR_COMPAT=1 in the environment means --format mcr.
 * Tested in global.test.ts.
 */
import { instancePaths } from '../../config/instance.js';
import { usageError } from './context.js';

export const FORMATS = ['table', 'json', 'mcr'] as const;
export type Format = (typeof FORMATS)[number];

export interface Global { socket: string; format: Format; json: boolean; help: boolean; version: boolean; verb?: string; rest: string[] }

function formatOf(v: string | undefined, source: string): Format {
  if (v === undefined || !(FORMATS as readonly string[]).includes(v)) throw usageError(`expected ${FORMATS.join(', ')}, got ${JSON.stringify(v ?? '')}`, source);
  return v as Format;
}

/** Split global flags (before the command; --json/--format anywhere) from the command and its flags. */
export function parseGlobal(argv: string[], env: NodeJS.ProcessEnv = process.env): Global {
  let socket: string | undefined;
  let instance: string | undefined;
  let format: Format = env.MCR_COMPAT === '1' ? 'mcr' : 'table';
  const g = { help: false, version: false };
  const valueOf = (i: number, a: string, name: string, eq: number): [string | undefined, number] => (eq > 0 ? [a.slice(eq + 1), i] : [argv[i + 1], i + 1]);
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (name === '--socket' || name === '--socket-path' || name === '--instance' || name === '--format') {
      const [val, next] = valueOf(i, a, name, eq);
      i = next;
      if (val === undefined || val === '') throw usageError(name === '--instance' ? 'expected an instance name' : name === '--format' ? `expected ${FORMATS.join(', ')}` : 'expected a socket path', name);
      if (name === '--instance') instance = val;
      else if (name === '--format') format = formatOf(val, '--format');
      else socket = val;
    } else if (a === '--json') format = 'json';
    else if (a === '--help' || a === '-h') g.help = true;
    else if (a === '--version' || a === '-V') g.version = true;
    else if (a.startsWith('-')) throw usageError(`unknown option ${JSON.stringify(a)} before the command; see mcrctl --help`);
    else break;
  }
  const rest: string[] = [];
  const after = argv.slice(i + 1);
  for (let j = 0; j < after.length; j++) {
    const a = after[j]!;
    if (a === '--json') format = 'json';
    else if (a === '--format') format = formatOf(after[++j], '--format');
    else if (a.startsWith('--format=')) format = formatOf(a.slice(9), '--format');
    else rest.push(a);
  }
  const paths = instancePaths(instance);
  return {
    socket: socket ?? (instance === undefined ? env.MCRD_SOCKET : undefined) ?? paths.controlSocket,
    format, json: format === 'json', ...g, verb: argv[i], rest,
  };
}
