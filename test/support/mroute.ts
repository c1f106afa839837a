/**
 * Kernel multicast routing in e2e tests. smcroute's `kernel` relay and FRR's pimd (to hear IGMP, see
 * sources, forward data) need a kernel built with CONFIG_IP_MROUTE, which some hosts lack (this
 * project's own development machines, for one). A file that needs it says so with the marker
 * `@needs-kernel-mroute` in its opening comment and decides from `kernelMroutingMissing()`
 * (lab/runners/mroute.ts, the one probe) what it can check; `npm run test:vm` runs every marked file
 * inside a VM whose kernel has it (test/vm/), so the full behaviour can be tested on such a host too.
 */

/**
 * True inside the test VM (test/vm/guest-init.sh sets MCRVM_GUEST): a marked file may keep to the
 * parts that need kernel multicast routing there, since the rest already ran on the host. Timeouts
 * stretch there by themselves (test/support/time-scale.ts).
 */
export const inMrouteVm = process.env['MCRVM_GUEST'] === '1';
