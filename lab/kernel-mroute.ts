/**
 * Can this kernel route multicast? smcrouted (the lab's `kernel` relay) and FRR's pimd both start by
 * MRT_INIT on a raw IGMP socket, which fails with ENOPROTOOPT on a kernel built without
 * CONFIG_IP_MROUTE (some cloud and microVM kernels). The probe does the same in a throw-away network
 * namespace (`unshare --net`, gone when it exits), so a daemon already holding the host's
 * multicast-routing socket cannot make it fail. Without root it can only look for /proc/net/ip_mr_vif,
 * which exists exactly when the kernel has the option. Asked once per process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type MrouteSupport = { ok: true; how: string } | { ok: false; reason: string };

export const noMrouteReason = 'this kernel has no multicast routing (CONFIG_IP_MROUTE is not set)';

const MRT_INIT = 200;
const probeScript = [
  'import errno, socket, sys',
  's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)',
  'try:',
  `    s.setsockopt(socket.IPPROTO_IP, ${MRT_INIT}, 1)`,
  'except OSError as e:',
  '    print(errno.errorcode.get(e.errno, str(e.errno)))',
  '    sys.exit(1)',
  "print('ok')",
].join('\n');

function probe(): MrouteSupport {
  const procFile = existsSync('/proc/net/ip_mr_vif');
  if (process.getuid?.() !== 0) {
    return procFile ? { ok: true, how: '/proc/net/ip_mr_vif present (not root: MRT_INIT not tried)' } : { ok: false, reason: noMrouteReason };
  }
  try {
    // python3 starts in well under a second natively, but can take many inside an emulated (TCG) VM.
    execFileSync('unshare', ['--net', 'python3', '-c', probeScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    return { ok: true, how: 'MRT_INIT works' };
  } catch (e) {
    const err = e as { status?: number | null; stdout?: string; stderr?: string; code?: string };
    const errno = err.status === 1 ? err.stdout?.trim() : undefined;
    if (errno === 'ENOPROTOOPT') return { ok: false, reason: `${noMrouteReason}: MRT_INIT fails with ENOPROTOOPT` };
    if (errno) return { ok: false, reason: `multicast routing unusable here: MRT_INIT fails with ${errno}` };
    // unshare or python3 missing or refused: fall back to what /proc says.
    const why = err.code === 'ENOENT' ? 'unshare not found' : err.code === 'ETIMEDOUT' ? 'timed out' : (err.stderr?.trim().split('\n').pop() || `exit ${err.status}`);
    return procFile ? { ok: true, how: `/proc/net/ip_mr_vif present (MRT_INIT not tried: ${why})` } : { ok: false, reason: noMrouteReason };
  }
}

let answer: MrouteSupport | undefined;

export function kernelMroute(): MrouteSupport {
  return (answer ??= probe());
}
