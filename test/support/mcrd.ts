/**
 * Run the real mcrd (dist/relay/cli/mcrd.js) inside a namespace for e2e tests, and mcrctl against it.
 *
 *   const d = await startMcrd({ netns: r, dir });   // resolves once `ping` answers
 *   await d.ctl(['add', '--input-interface', 'r0', ...]);
 *   await d.stop();                                  // SIGTERM; SIGKILL after 5 s
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../../relay/control/client.js';
import { waitFor } from './netns.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const MCRD = join(root, 'dist/relay/cli/mcrd.js');
export const MCRCTL = join(root, 'dist/relay/cli/mcrctl.js');

export interface McrdHandle {
  pid: number;
  socket: string;
  stateFile: string;
  /** Everything mcrd wrote to stderr so far. */
  log(): string;
  /** Run mcrctl (in the root namespace: the socket is a file) and return exit code and output. */
  ctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  client(): Promise<ControlClient>;
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Start mcrd in `o.netns`. `o.wrap` prefixes the command inside the namespace (e.g. setpriv to run
 * without root); resolves once `mcrctl ping` answers.
 */
export async function startMcrd(o: { netns: string; dir: string; args?: string[]; stateFile?: string; wrap?: string[] }): Promise<McrdHandle> {
  const socket = join(o.dir, 'control.sock');
  const stateFile = o.stateFile ?? join(o.dir, 'rules.json');
  const child: ChildProcess = spawn('ip', ['netns', 'exec', o.netns, ...(o.wrap ?? []), process.execPath, MCRD,
    '--control-socket', socket, '--state-file', stateFile, '--log-level', 'debug', ...(o.args ?? [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let dead = false;
  void exited.then(() => { dead = true; });
  const ctl = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [MCRCTL, '--socket', socket, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
  await waitFor(async () => {
    if (dead) throw new Error(`mcrd exited during start:\n${log}`);
    return (await ctl(['ping'])).code === 0;
  }, `mcrd in ${o.netns} answering on ${socket}\n${log}`, 15_000, 100);
  return {
    pid: child.pid!, socket, stateFile, log: () => log, ctl, exited,
    client: () => ControlClient.connect(socket),
    async stop() {
      if (dead) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
