/** Static routes of a host (`ip route add`); they die with the namespace, so there is no `down`. */
import { runCommand } from '../runners/process.js';
import type { RunContext } from './context.js';

export async function routeUp(ctx: RunContext, netns: string, r: { to: string; via?: string; dev?: string }): Promise<void> {
  await runCommand(ctx, ['ip', '-n', netns, 'route', 'add', r.to, ...(r.via ? ['via', r.via] : []), ...(r.dev ? ['dev', r.dev] : [])]);
}
