/**
 * `mcrd`: this project's relay. Starts `node dist/relay/cli/mcrd.js` in the relay namespace with its
 * control socket and state file in the run directory, waits until `mcrctl ping` answers, then adds
 * one rule per stream with all its outputs (or, with relay.router, runs as that router from a generated
 * config: router-config.ts). CPU time is measured over mcrd and its workers. With a
 * CPU placement, the packet threads go on the relay CPUs (`--cpus`) and the control plane (supervisor
 * and the workers' JavaScript threads) on the traffic CPUs (taskset), as on a production host where
 * the data-plane CPU is kept for packets: JS timers and garbage collection then never delay a frame.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { RunContext } from '../topology/context.js';
import { deadProcess, runCommand, spawnProcess, waitFor } from './process.js';
import { mcrdRouterConfig, waitPimNeighbors } from './router-config.js';
import { relayedPlan, type RelayRunner, type RelayStartOptions } from './types.js';

export function mcrdPaths(projectRoot: string) {
  return { mcrd: join(projectRoot, 'dist/relay/cli/mcrd.js'), mcrctl: join(projectRoot, 'dist/relay/cli/mcrctl.js') };
}

/**
 * mcrd's argv after the script path: control socket and state file in the run directory, plus the
 * scenario's relay.mcrd options.
 */
export function mcrdArgs(s: ResolvedScenario, runDir: string): string[] {
  const args = ['--control-socket', join(runDir, 'mcrd.sock'), '--state-file', join(runDir, 'state.json')];
  if (s.mcrd.workers !== undefined) args.push('--num-workers', String(s.mcrd.workers));
  if (s.mcrd.busyPollUs !== undefined) args.push('--busy-poll-us', String(s.mcrd.busyPollUs));
  if (s.mcrd.adaptivePoll !== undefined) args.push('--adaptive-poll', s.mcrd.adaptivePoll ? 'on' : 'off');
  if (s.mcrd.gso !== undefined) args.push('--gso', s.mcrd.gso ? 'on' : 'off');
  if (s.router) args.push('--config', join(runDir, 'mcrd.json5'));
  return args;
}

/**
 * The lab's environment without its own MCR_* variables (MCR_LAB_PREFIX, MCR_NATIVE_DIR, ...): mcrd
 * refuses MCR_* variables other than MCR_COMPAT, since MCR's tuning variables mean nothing to it.
 */
export function mcrdEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] =>
    e[1] !== undefined && (!e[0].startsWith('MCR_') || e[0] === 'MCR_COMPAT')));
}

/** `mcrctl add` argv for one stream (all outputs in one rule). */
export function mcrctlAddArgs(s: ResolvedScenario, streamIndex: number): string[] {
  const st = s.streams[streamIndex]!;
  return [
    'add', '--input-interface', st.input, '--input-group', st.group, '--input-port', String(st.port),
    '--outputs', st.outputs.map((o) => `${o.group}:${o.port}:${o.interface}`).join(','),
  ];
}

export function mcrdRunner(projectRoot: string): RelayRunner {
  const paths = mcrdPaths(projectRoot);
  return {
    name: 'mcrd',
    async check() {
      if (!existsSync(paths.mcrd) || !existsSync(paths.mcrctl)) return `mcrd: not built (no ${paths.mcrd}; run npm run build)`;
      return undefined;
    },
    plan: relayedPlan,
    async start(ctx: RunContext, s: ResolvedScenario, opts: RelayStartOptions = {}) {
      const ns = ctx.ns(s.relayHost);
      const sock = join(ctx.runDir, 'mcrd.sock');
      const pin = opts.relayCpus?.length ? ['--cpus', opts.relayCpus.join(',')] : [];
      // As a router (relay.router), mcrd forwards what IGMP and PIM ask for: its config, no rules added.
      if (s.router) writeFileSync(join(ctx.runDir, 'mcrd.json5'), `${JSON.stringify(mcrdRouterConfig(s), null, 2)}\n`);
      const daemon = await spawnProcess(ctx, [process.execPath, paths.mcrd, ...mcrdArgs(s, ctx.runDir), ...pin], {
        netns: ns, label: 'mcrd', env: mcrdEnv(process.env), ...(opts.trafficCpus?.length ? { cpus: opts.trafficCpus } : {}),
      });
      const ctl = (args: string[], reject = true) => runCommand(ctx, [process.execPath, paths.mcrctl, '--socket', sock, ...args], { netns: ns, reject, timeoutMs: 30_000 });
      try {
        // Natively mcrd answers within a second or two; on an emulated CPU (the test VM, test/vm/) starting
        // node for mcrd and for each ping took 63 s. The wait ends as soon as it answers or exits, so the
        // generous bound costs nothing when it works.
        const t0 = Date.now();
        await waitFor(async () => {
          if (!daemon.running()) throw new Error(`mcrd exited at start: ${daemon.stderrTail() || 'no message'}`);
          return (await ctl(['ping'], false)).exitCode === 0;
        }, `mcrd answering on ${sock}`, { timeoutMs: 180_000, intervalMs: 200, signal: ctx.signal });
        ctx.log.write(`mcrd answered after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        if (!s.router) for (let i = 0; i < s.streams.length; i++) await ctl(mcrctlAddArgs(s, i));
        await waitPimNeighbors(ctx, s, async () =>
          (JSON.parse((await ctl(['--json', 'pim', 'neighbors'])).stdout) as { neighbors: Array<{ interface: string }> }).neighbors.map((n) => n.interface));
      } catch (err) {
        await daemon.stop();
        throw err;
      }
      return {
        relay: 'mcrd', pids: [daemon.pid], stop: () => daemon.stop(5000), problem: () => deadProcess([daemon]),
        members: async () => (JSON.parse((await ctl(['--json', 'igmp', 'groups'])).stdout) as { groups: Array<{ interface: string; group: string }> })
          .groups.map((g) => `${g.interface} ${g.group}`),
        routerState: async () => {
          const show = async (args: string[]) => `$ mcrctl ${args.join(' ')}\n${(await ctl(args, false)).stdout.trimEnd()}`;
          return [await show(['igmp', 'groups']), await show(['mroute'])].join('\n');
        },
      };
    },
  };
}
