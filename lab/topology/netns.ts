/** Network namespaces: `up` creates one (loopback up, multicast limits raised), `down` kills what still runs inside and deletes it. */
import { runCommand } from '../runners/process.js';
import type { RunContext } from './context.js';

export async function netnsUp(ctx: RunContext, name: string): Promise<void> {
  await runCommand(ctx, ['ip', 'netns', 'add', name]);
  ctx.track({ kind: 'netns', name });
  await runCommand(ctx, ['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  // A sink joining 50 groups on one socket needs more than the default 20 memberships.
  await runCommand(ctx, ['sysctl', '-qw', 'net.ipv4.igmp_max_memberships=1024'], { netns: name });
}

/** Deletes a namespace; processes still inside it belong to the run and are killed first. */
export async function netnsDown(ctx: Pick<RunContext, 'log' | 'signal'>, name: string): Promise<void> {
  if (!(await listNetns(ctx)).includes(name)) return;
  const pids = await runCommand(ctx, ['ip', 'netns', 'pids', name], { reject: false, uncancellable: true });
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) {
    try { process.kill(pid, 'SIGKILL'); ctx.log.write(`killed pid ${pid} left in ${name}`); } catch { /* gone */ }
  }
  const res = await runCommand(ctx, ['ip', 'netns', 'del', name], { uncancellable: true, reject: false });
  // Someone else (a concurrent `down`, the fast path of a second Ctrl-C) may have deleted it first.
  if (res.exitCode !== 0 && (await listNetns(ctx)).includes(name)) {
    throw new Error(`ip netns del ${name}: ${res.stderr.trim().split('\n')[0] ?? `exit ${res.exitCode}`}`);
  }
}

export async function listNetns(ctx: Pick<RunContext, 'log' | 'signal'>): Promise<string[]> {
  const res = await runCommand(ctx, ['ip', 'netns', 'list'], { uncancellable: true });
  return res.stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}
