/**
 * Kernel multicast routing in e2e tests. smcroute's `kernel` relay and FRR's pimd (to hear IGMP, see
 * sources, forward data) need a kernel built with CONFIG_IP_MROUTE, which some hosts lack (this
 * project's own development machines, for one). A file that needs it says so with the marker
 * `@needs-kernel-mroute` in its opening comment and decides from `kernelMroute()` what it can check;
 * on a host without the option, `npm test` runs every marked file once more inside a VM whose kernel
 * has it (`npm run test:vm`, test/vm/), so the full behaviour is tested on every run, natively where
 * possible.
 *
 *   describe.skipIf(!canNetns || skipWithoutMroute('PIM register e2e'))('…', () => { … });
 */
import { kernelMroute } from '../../lab/kernel-mroute.js';

export { kernelMroute };

/** True (skip) when this kernel cannot route multicast; then says why on stderr, naming the option. */
export function skipWithoutMroute(suite: string): boolean {
  const m = kernelMroute();
  if (m.ok) return false;
  process.stderr.write(`skipping ${suite}: ${m.reason}; npm run test:vm runs it in a VM whose kernel has it\n`);
  return true;
}

/**
 * True inside the test VM (test/vm/guest-init.sh sets MCRVM_GUEST): a marked file may keep to the
 * parts that need kernel multicast routing there, since the rest already ran on the host. Timeouts
 * stretch there by themselves (test/support/time-scale.ts).
 */
export const inMrouteVm = process.env['MCRVM_GUEST'] === '1';
