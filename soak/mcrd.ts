/**
 * The mcrd under soak: started in the relay namespace from the built tree, its stderr kept, its
 * processes (supervisor and workers) sampled from /proc: RSS, anonymous memory (the malloc and V8
 * heaps), open fds and how many of them are sockets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerView } from '../relay/control/api.js';
import { ControlClient } from '../relay/control/client.js';
import { packageRoot } from '../lab/traffic/traffic.js';
import { waitFor } from '../test/support/netns.js';
import type { ProcessSample } from './verdict.js';

export interface SoakMcrd {
  pid: number;
  socket: string;
  stateFile: string;
  ctl: ControlClient;
  log(): string;
  workers(): Promise<WorkerView[]>;
  sample(): Promise<ProcessSample[]>;
  stop(): Promise<void>;
}

export async function startSoakMcrd(o: { netns: string; dir: string; config: string }): Promise<SoakMcrd> {
  const socket = join(o.dir, 'control.sock');
  const stateFile = join(o.dir, 'rules.json');
  const child: ChildProcess = spawn('ip', ['netns', 'exec', o.netns, process.execPath, join(packageRoot(), 'dist/relay/cli/mcrd.js'),
    '--config', o.config, '--control-socket', socket, '--state-file', stateFile, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ctl = await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`mcrd exited during start:\n${log}`);
    const c = await ControlClient.connect(socket, { retryMs: 0, timeoutMs: 30_000 }).catch(() => undefined);
    return c && (await c.request('ping').then(() => c, () => undefined));
  }, `mcrd answering on ${socket}`, 20_000, 100);
  const workers = async () => (await ctl.request<{ workers: WorkerView[] }>('workers')).workers;
  return {
    pid: child.pid!, socket, stateFile, ctl, workers, log: () => log,
    async sample() {
      const ws = await workers();
      const procs: Array<[ProcessSample['role'], number]> = [['supervisor', child.pid!], ...ws.filter((w) => w.pid !== null).map((w): ['worker', number] => ['worker', w.pid!])];
      const out: ProcessSample[] = [];
      for (const [role, pid] of procs) {
        const s = await procSample(pid).catch(() => undefined);  // a worker may die between the two reads
        if (s) out.push({ role, pid, ...s });
      }
      return out;
    },
    async stop() {
      ctl.close();
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function procSample(pid: number): Promise<Omit<ProcessSample, 'role' | 'pid'>> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  const fds = await readdir(`/proc/${pid}/fd`);
  let sockets = 0;
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (target.startsWith('socket:')) sockets++;
  }
  return { rssKiB: kib('VmRSS'), anonKiB: kib('RssAnon'), fds: fds.length, sockets };
}
