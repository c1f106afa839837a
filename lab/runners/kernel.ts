/**
 * `kernel`: native multicast forwarding through the kernel's MFC, programmed by smcroute (smcrouted
 * with its own socket, pid and config file in the run directory, inside the relay namespace). The
 * reference line for "how fast can this box forward at all". Two limits decide when it cannot run:
 *  - the MFC forwards the input group unchanged, one copy per output interface (no group rewrite,
 *    no fan-out to many groups on one interface): the sinks join the input group instead;
 *  - the reverse-path check: the source must be routable back through the input interface.
 * And one machine limit: the kernel must have IPv4 multicast routing at all (CONFIG_IP_MROUTE).
 * Without it smcrouted starts, finds the interfaces, but can give none of them a VIF, and every
 * route is refused with "inbound IF is not a known phyint".
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedScenario, ResolvedStream } from '../scenario/resolve.js';
import { which } from '../scenario/verify.js';
import { addressOf } from '../topology/build.js';
import type { RunContext } from '../topology/context.js';
import { kernelMroutingMissing } from './mroute.js';
import { deadProcess, runCommand, spawnProcess, waitFor } from './process.js';
import type { RelayRunner, TrafficPlan } from './types.js';

export function kernelPlan(s: ResolvedScenario): TrafficPlan {
  return {
    generators: s.streams.map((st) => ({
      host: st.source.host, interface: st.source.interface, dst: [`${st.group}:${st.port}`], rateFactor: 1, streamName: st.name,
    })),
    sinks: s.streams.flatMap((st) => st.outputs.map((o) => ({
      output: o.name, stream: st.name, host: o.sink.host, interface: o.sink.interface, group: st.group, port: st.port,
    }))),
  };
}

/** Why the MFC cannot express this scenario, judged from the scenario alone. */
export function kernelShapeProblem(s: ResolvedScenario): string | undefined {
  for (const st of s.streams) {
    const ifs = st.outputs.map((o) => o.interface);
    if (new Set(ifs).size !== ifs.length) {
      return `kernel: the MFC forwards ${st.group} unchanged, once per interface; stream ${st.name} has ${ifs.length} outputs on ${[...new Set(ifs)].join(', ')}`;
    }
  }
  return undefined;
}

/**
 * Why the kernel's reverse-path check would drop a stream on the relay host (its source has no route
 * back through the stream's input interface), or undefined. Shared with the frr relay.
 */
export async function sourceRpfProblem(ctx: RunContext, s: ResolvedScenario, st: ResolvedStream): Promise<string | undefined> {
  const src = addressOf(s, st.source.host, st.source.interface);
  if (!src) return `stream ${st.name} has no source address`;
  const res = await runCommand(ctx, ['ip', '-n', ctx.ns(s.relayHost), '-o', 'route', 'get', src], { reject: false });
  if (res.exitCode !== 0) return `source ${src} has no route on ${s.relayHost} (RPF would drop it)`;
  const dev = / dev (\S+)/.exec(res.stdout)?.[1];
  if (dev !== st.input) return `source ${src} routes via ${dev} on ${s.relayHost}, not the input ${st.input} (RPF would drop it)`;
  return undefined;
}

/**
 * Interfaces smcrouted has made multicast VIFs of, from `smcroutectl show interfaces`
 * (` INDEX PHYINT VIF MIF` rows; VIF is `N/A` until the interface is one).
 */
export function vifInterfaces(showInterfaces: string): Set<string> {
  const out = new Set<string>();
  for (const line of showInterfaces.split('\n')) {
    const m = /^\s*\d+\s+(\S+)\s+(\d+)\b/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

export const kernelRunner: RelayRunner = {
  name: 'kernel',
  async check(ctx, s) {
    if (!which('smcrouted') || !which('smcroutectl')) return 'kernel: smcroute not installed (apt-get install smcroute)';
    const shape = kernelShapeProblem(s);
    if (shape) return shape;
    for (const st of s.streams) {
      const problem = await sourceRpfProblem(ctx, s, st);
      if (problem) return `kernel: ${problem}`;
    }
    // After the scenario's own reasons: those hold on any machine, this one only here.
    const mroute = kernelMroutingMissing();
    return mroute ? `kernel: ${mroute}` : undefined;
  },
  plan: kernelPlan,
  async start(ctx: RunContext, s: ResolvedScenario) {
    const ns = ctx.ns(s.relayHost);
    const sock = join(ctx.runDir, 'smcroute.sock');
    const conf = join(ctx.runDir, 'smcroute.conf');
    writeFileSync(conf, '# mcr-lab: routes are added through smcroutectl\n');
    const daemon = await spawnProcess(ctx, [
      'smcrouted', '-n', '-f', conf, '-u', sock, '-P', join(ctx.runDir, 'smcroute.pid'), '-i', `${ctx.prefix}`, '-l', 'notice',
    ], { netns: ns, label: 'smcrouted' });
    try {
      const ctl = (...args: string[]) => runCommand(ctx, ['smcroutectl', '-u', sock, ...args], { netns: ns });
      // Ready means more than answering: every interface a route names must already be a VIF, or
      // `add` is refused ("not a known phyint") while smcrouted is still enumerating interfaces.
      const needed = [...new Set(s.streams.flatMap((st) => [st.input, ...st.outputs.map((o) => o.interface)]))];
      let vifs = new Set<string>();
      await waitFor(async () => {
        if (!daemon.running()) throw new Error(`smcrouted exited at start: ${daemon.stderrTail() || 'no message'}`);
        const res = await runCommand(ctx, ['smcroutectl', '-u', sock, 'show', 'interfaces'], { netns: ns, reject: false });
        vifs = vifInterfaces(res.stdout);
        return res.exitCode === 0 && needed.every((i) => vifs.has(i));
      }, `smcrouted answering on ${sock} with a VIF for each of ${needed.join(', ')}`, { timeoutMs: 5000, signal: ctx.signal })
        .catch((err: Error) => { throw new Error(`${err.message} (VIFs so far: ${[...vifs].join(', ') || 'none'})`); });
      for (const st of s.streams) {
        const src = addressOf(s, st.source.host, st.source.interface)!;
        await ctl('add', st.input, src, st.group, ...st.outputs.map((o) => o.interface));
      }
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return { relay: 'kernel', pids: [], stop: () => daemon.stop(), problem: () => deadProcess([daemon]) };
  },
};
