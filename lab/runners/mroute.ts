/**
 * Whether this kernel can forward multicast at all: IPv4 multicast routing (CONFIG_IP_MROUTE), what
 * smcroute (the kernel relay) and FRR's pimd program. Without it smcrouted starts but can make no
 * interface a VIF ("inbound IF is not a known phyint"), and pimd forms adjacencies but cannot open its
 * MRT socket, learn IGMP members or forward. Tested in plans.test.ts.
 */
import { existsSync } from 'node:fs';

/** Present in every network namespace exactly when the kernel was built with CONFIG_IP_MROUTE. */
export const MROUTE_PROC = '/proc/net/ip_mr_vif';

/** Why this kernel cannot forward multicast, or undefined when it can (`procFile` for tests). */
export function kernelMroutingMissing(procFile = MROUTE_PROC): string | undefined {
  if (existsSync(procFile)) return undefined;
  return `this kernel has no IPv4 multicast routing (CONFIG_IP_MROUTE is not set: no ${procFile}, MRT_INIT fails ` +
    'with ENOPROTOOPT), so neither kernel forwarding nor FRR can forward multicast on this machine';
}
