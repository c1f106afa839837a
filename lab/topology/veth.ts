/**
 * veth links between two hosts (or a host and a bridge): `up` creates the pair directly inside the
 * two namespaces (nothing ever appears in the root namespace), sets MTU, addresses, bridge master and
 * optional netem on both ends; `down` deletes it (deleting one end removes the pair).
 */
import { runCommand } from '../runners/process.js';
import type { Netem } from '../scenario/schema.js';
import type { ResolvedLink } from '../scenario/resolve.js';
import { SWITCH_HOST, type RunContext } from './context.js';

export async function vethUp(ctx: RunContext, link: ResolvedLink): Promise<void> {
  const nsA = ctx.ns(link.a.host);
  const nsB = 'bridge' in link.b ? ctx.ns(SWITCH_HOST) : ctx.ns(link.b.host);
  const ifA = link.a.interface;
  const ifB = link.b.interface;
  const mtu = String(link.mtu);
  await runCommand(ctx, ['ip', '-n', nsA, 'link', 'add', ifA, 'mtu', mtu, 'type', 'veth', 'peer', 'name', ifB, 'mtu', mtu, 'netns', nsB]);
  ctx.track({ kind: 'veth', netns: nsA, name: ifA });
  if (link.a.address) await runCommand(ctx, ['ip', '-n', nsA, 'addr', 'add', link.a.address, 'dev', ifA]);
  if ('bridge' in link.b) {
    await runCommand(ctx, ['ip', '-n', nsB, 'link', 'set', ifB, 'master', link.b.bridge]);
  } else if (link.b.address) {
    await runCommand(ctx, ['ip', '-n', nsB, 'addr', 'add', link.b.address, 'dev', ifB]);
  }
  if (link.netem) {
    await netemUp(ctx, nsA, ifA, link.netem);
    await netemUp(ctx, nsB, ifB, link.netem);
  }
  await runCommand(ctx, ['ip', '-n', nsA, 'link', 'set', ifA, 'up']);
  await runCommand(ctx, ['ip', '-n', nsB, 'link', 'set', ifB, 'up']);
}

export async function vethDown(ctx: Pick<RunContext, 'log' | 'signal'>, netns: string, name: string): Promise<void> {
  await runCommand(ctx, ['ip', '-n', netns, 'link', 'del', name], { uncancellable: true });
}

/** `tc qdisc add dev IF root netem delay D [J] loss L rate R`: impairment on this end's egress. */
export function netemArgs(ifname: string, n: Netem): string[] {
  const args = ['tc', 'qdisc', 'add', 'dev', ifname, 'root', 'netem'];
  if (n.delay) args.push('delay', n.delay, ...(n.jitter ? [n.jitter] : []));
  if (n.loss) args.push('loss', n.loss);
  if (n.rate) args.push('rate', n.rate);
  // netem's default queue (1000 packets) would itself drop at high rates; keep it out of the measurement.
  args.push('limit', '100000');
  return args;
}

async function netemUp(ctx: RunContext, netns: string, ifname: string, n: Netem): Promise<void> {
  await runCommand(ctx, netemArgs(ifname, n), { netns });
}
