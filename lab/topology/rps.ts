/**
 * Receive Packet Steering for the run's CPU placement (lab/run/placement.ts). On veth the receive
 * work of a packet (IP input and forwarding, the MFC, AF_PACKET taps, UDP socket delivery) runs in
 * softirq on the CPU that sent it unless RPS names another: with `rps_cpus` on the receiving end it
 * is queued to that CPU's backlog instead (checked on this kernel with /proc/net/softnet_stat: the
 * packets are processed, and the RPS IPIs received, on the CPU in the mask). So the relay host's
 * interfaces get the relay mask (its forwarding and delivery land on the relay core) and every other
 * interface, the switch namespace's bridge ports included, the traffic mask.
 *
 * The masks die with the interfaces, so teardown has nothing to undo.
 */
import { runCommand } from '../runners/process.js';
import type { CpuPlacement } from '../results/types.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { SWITCH_HOST, type RunContext } from './context.js';

/** Namespace host → its interfaces → the mask each gets. */
export function rpsPlan(s: ResolvedScenario, p: CpuPlacement): Map<string, Map<string, string>> {
  const plan = new Map<string, Map<string, string>>();
  if (!p.pinned || !p.relayMask || !p.trafficMask) return plan;
  const set = (host: string, ifname: string, mask: string) => {
    if (!plan.has(host)) plan.set(host, new Map());
    plan.get(host)!.set(ifname, mask);
  };
  for (const l of s.links) {
    for (const e of [l.a, l.b]) {
      if ('bridge' in e) set(SWITCH_HOST, e.interface, p.trafficMask);
      else set(e.host, e.interface, e.host === s.relayHost ? p.relayMask : p.trafficMask);
    }
  }
  return plan;
}

/** "00000000,00000002" and "2" are the same mask. */
export function sameMask(a: string, b: string): boolean {
  const norm = (m: string) => m.trim().replace(/,/g, '').replace(/^0+/, '') || '0';
  return norm(a) === norm(b);
}

/**
 * Writes every rx queue's rps_cpus inside each namespace (sysfs under `ip netns exec` shows that
 * namespace's devices) and reads the masks back; throws when one did not take.
 */
export async function rpsUp(ctx: RunContext, s: ResolvedScenario, p: CpuPlacement): Promise<void> {
  for (const [host, ifaces] of rpsPlan(s, p)) {
    const ns = ctx.ns(host);
    // Interface names are checked by the scenario schema ([A-Za-z][A-Za-z0-9_.-]*), masks are hex: safe in sh.
    const script = [...ifaces].map(([ifname, mask]) =>
      `for q in /sys/class/net/${ifname}/queues/rx-*; do echo ${mask} > "$q/rps_cpus" || exit 1; echo "${ifname} $(cat "$q/rps_cpus")"; done`).join('; ');
    const res = await runCommand(ctx, ['sh', '-c', script], { netns: ns });
    const seen = res.stdout.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]);
    for (const [ifname, mask] of ifaces) {
      const got = seen.filter(([i]) => i === ifname);
      if (got.length === 0 || got.some(([, m]) => !sameMask(m ?? '', mask))) {
        throw new Error(`RPS: ${ns} ${ifname} rps_cpus reads ${got.map(([, m]) => m).join(',') || 'nothing'} after writing ${mask} (kernel without CONFIG_RPS? set cpus: false to run without placement)`);
      }
    }
  }
}
