/** Bridges (in the run's switch namespace): `up` creates and raises one, `down` deletes it. */
import { runCommand } from '../runners/process.js';
import type { RunContext } from './context.js';

export async function bridgeUp(ctx: RunContext, netns: string, name: string): Promise<void> {
  await runCommand(ctx, ['ip', '-n', netns, 'link', 'add', name, 'type', 'bridge']);
  ctx.track({ kind: 'bridge', netns, name });
  await runCommand(ctx, ['ip', '-n', netns, 'link', 'set', name, 'up']);
}

export async function bridgeDown(ctx: Pick<RunContext, 'log' | 'signal'>, netns: string, name: string): Promise<void> {
  await runCommand(ctx, ['ip', '-n', netns, 'link', 'del', name], { uncancellable: true });
}
