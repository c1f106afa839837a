/**
 * Per-host sysctls from the scenario. rp_filter and forwarding go to `all`, `default` and every
 * interface of the host (the kernel uses the max of `all` and the interface for rp_filter).
 * mc_forwarding is read-only (the kernel sets it while an MRT socket is open), so it is only checked.
 * Sysctls die with the namespace: there is no `down`.
 */
import { runCommand } from '../runners/process.js';
import type { Sysctls } from '../scenario/schema.js';
import type { RunContext } from './context.js';

export function sysctlSettings(s: Sysctls, interfaces: string[]): string[] {
  const out: string[] = [];
  const confs = ['all', 'default', ...interfaces];
  if (s.rp_filter !== undefined) for (const c of confs) out.push(`net.ipv4.conf.${c}.rp_filter=${s.rp_filter}`);
  if (s.forwarding !== undefined) {
    out.push(`net.ipv4.ip_forward=${s.forwarding}`);
    for (const c of confs) out.push(`net.ipv4.conf.${c}.forwarding=${s.forwarding}`);
  }
  return out;
}

export async function sysctlsUp(ctx: RunContext, netns: string, s: Sysctls, interfaces: string[]): Promise<void> {
  const settings = sysctlSettings(s, interfaces);
  if (settings.length > 0) await runCommand(ctx, ['sysctl', '-qw', ...settings], { netns });
}
