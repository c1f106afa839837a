/**
 * `kernel`: native multicast forwarding through the kernel's MFC, programmed by smcroute (smcrouted
 * with its own socket, pid and config file in the run directory, inside the relay namespace). The
 * reference line for "how fast can this box forward at all". Three limits decide when it cannot run:
 *  - the MFC forwards the input group unchanged, one copy per output interface (no group rewrite,
 *    no fan-out to many groups on one interface): the sinks join the input group instead;
 *  - the reverse-path check: the source must be routable back through the input interface;
 *  - the kernel must be built with multicast routing (CONFIG_IP_MROUTE; lab/kernel-mroute.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelMroute } from '../kernel-mroute.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { which } from '../scenario/verify.js';
import { addressOf } from '../topology/build.js';
import type { RunContext } from '../topology/context.js';
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

export const kernelRunner: RelayRunner = {
  name: 'kernel',
  async check(ctx, s) {
    if (!which('smcrouted') || !which('smcroutectl')) return 'kernel: smcroute not installed (apt-get install smcroute)';
    const shape = kernelShapeProblem(s);
    if (shape) return shape;
    const ns = ctx.ns(s.relayHost);
    for (const st of s.streams) {
      const src = addressOf(s, st.source.host, st.source.interface);
      if (!src) return `kernel: stream ${st.name} has no source address`;
      const res = await runCommand(ctx, ['ip', '-n', ns, '-o', 'route', 'get', src], { reject: false });
      if (res.exitCode !== 0) return `kernel: source ${src} has no route on ${s.relayHost} (RPF would drop it)`;
      const dev = / dev (\S+)/.exec(res.stdout)?.[1];
      if (dev !== st.input) return `kernel: source ${src} routes via ${dev} on ${s.relayHost}, not the input ${st.input} (RPF would drop it)`;
    }
    const mroute = kernelMroute();
    return mroute.ok ? undefined : `kernel: ${mroute.reason}`;
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
      await waitFor(async () => {
        if (!daemon.running()) throw new Error(`smcrouted exited at start: ${daemon.stderrTail() || 'no message'}`);
        return (await runCommand(ctx, ['smcroutectl', '-u', sock, 'show', 'interfaces'], { netns: ns, reject: false })).exitCode === 0;
      },
        `smcrouted answering on ${sock}`, { timeoutMs: 5000, signal: ctx.signal });
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
