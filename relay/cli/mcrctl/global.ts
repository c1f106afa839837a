/** mcrctl's global flags: --socket/--socket-path PATH, --json (anywhere), --help, --version. Tested in global.test.ts. */
import { DEFAULT_SOCKET } from '../../control/client.js';
import { usageError } from './context.js';

export interface Global { socket: string; json: boolean; help: boolean; version: boolean; verb?: string; rest: string[] }

/** Split global flags (before the command; --json anywhere) from the command and its flags. */
export function parseGlobal(argv: string[], env: NodeJS.ProcessEnv = process.env): Global {
  const g: Global = { socket: env.MCRD_SOCKET ?? DEFAULT_SOCKET, json: false, help: false, version: false, rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (name === '--socket' || name === '--socket-path') {
      const val = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (val === undefined || val === '') throw usageError('expected a socket path', name);
      g.socket = val;
    } else if (a === '--json') g.json = true;
    else if (a === '--help' || a === '-h') g.help = true;
    else if (a === '--version' || a === '-V') g.version = true;
    else if (a.startsWith('-')) throw usageError(`unknown option ${JSON.stringify(a)} before the command; see mcrctl --help`);
    else break;
  }
  g.verb = argv[i];
  const rest = argv.slice(i + 1);
  g.rest = rest.filter((a) => a !== '--json');
  if (rest.length !== g.rest.length) g.json = true;
  return g;
}

