/**
 * Least privilege without --user: a root-started mcrd ends with CAP_NET_RAW alone, in the supervisor
 * and in every worker, as it does with --user or under the systemd unit — only its uid stays 0.
 *
 *   sudo mcrd --config /etc/mcrd/mcrd.json5
 *   grep Cap /proc/$(pgrep -o -f mcrd.js)/status     # CapPrm/CapEff/CapBnd 0000000000002000, CapAmb 0
 *
 * Capabilities belong to threads, and Node runs several before any JavaScript does, so a drop in the
 * main thread alone would leave helper threads (the libuv pool that does file I/O) with everything.
 * Hence three steps:
 *   1. restrictRootStart (mcrd.ts, before the daemon starts): still with every capability, make the
 *      state and socket directories usable by uid 0 without CAP_DAC_OVERRIDE (privilege-paths.ts, as
 *      for --user), then re-execute mcrd with the bounding set cut to what start-up needs. A uid-0 exec
 *      gets permitted = effective = bounding in every thread of the new image.
 *   2. beforeWorkers (startDaemon): the bounding set becomes CAP_NET_RAW, so every worker, forked now or
 *      restarted after a crash, execs node holding CAP_NET_RAW alone (all its threads).
 *   3. afterStart (startDaemon, once the control socket and metrics listen): the main thread keeps
 *      CAP_NET_RAW alone, needed later for the protocol sockets of an interface that comes back.
 * Start-up needs beyond CAP_NET_RAW, only when configured: CAP_CHOWN to give the control socket its
 * --socket-group, CAP_NET_BIND_SERVICE for a --metrics-listen port below 1024, and with either
 * CAP_SETPCAP for step 2. Workers run step 3 on themselves too (worker-main.ts).
 * Tested in relay/e2e/privilege.e2e.test.ts (/proc/PID/status of supervisor, workers, their threads).
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { McrError } from '../errors.js';
import type { Settings } from '../config/settings.js';
import { type CapabilityName, loadNative } from '../engine/native.js';
import { parseListen } from '../metrics/listen.js';
import type { Logger } from './log.js';
import { type Identity, checkReadable, handOver } from './privilege-paths.js';

/** uid 0 without CAP_DAC_OVERRIDE: what the restricted supervisor is for file permissions. */
const ROOT: Identity = { user: 'root', uid: 0, gid: 0, group: 'root', groups: [0] };

const CAP_BITS: Record<CapabilityName, bigint> = { chown: 0n, setpcap: 8n, net_bind_service: 10n, net_admin: 12n, net_raw: 13n };
const mask = (caps: readonly CapabilityName[]) => caps.reduce((m, c) => m | (1n << CAP_BITS[c]), 0n);
export const NET_RAW_ONLY = mask(['net_raw']);

/** The capability sets of this process's main thread, from /proc/self/status. */
export function capabilitySets(status = readFileSync('/proc/self/status', 'utf8')): { eff: bigint; prm: bigint; bnd: bigint; amb: bigint } {
  const field = (k: string) => BigInt(`0x${new RegExp(`^${k}:\\s+([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
  return { eff: field('CapEff'), prm: field('CapPrm'), bnd: field('CapBnd'), amb: field('CapAmb') };
}

/** What a root supervisor needs until its start-up is done (step 1's bounding set). */
export async function startCapabilities(s: Pick<Settings, 'socketGroup' | 'metricsListen'>, unprivilegedPortStart?: number): Promise<CapabilityName[]> {
  const extra: CapabilityName[] = [];
  if (s.socketGroup !== undefined) extra.push('chown');
  if (s.metricsListen !== undefined) {
    const first = unprivilegedPortStart ?? Number((await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').catch(() => '1024')).trim());
    const { port } = parseListen(s.metricsListen);
    if (port !== 0 && port < first) extra.push('net_bind_service');
  }
  return extra.length === 0 ? ['net_raw'] : ['net_raw', ...extra, 'setpcap'];
}

/** Whether this start is one mcrd restricts by itself: root, and no --user to switch to. */
const rootWithoutUser = (s: Settings) => process.geteuid?.() === 0 && s.user === undefined;

/**
 * Step 1. Returns when there is nothing to do (not root, --user given, or already restricted: this is
 * the re-executed process, or a service manager cut the bounding set); otherwise re-executes mcrd and
 * does not return. Throws McrError (EACCES) for a path uid 0 cannot use without its capabilities.
 */
export async function restrictRootStart(s: Settings): Promise<void> {
  if (!rootWithoutUser(s)) return;
  const keep = await startCapabilities(s);
  const { eff, bnd } = capabilitySets();
  if ((bnd & ~mask(keep)) === 0n) return;
  const native = loadNative();
  // Without CAP_SETPCAP (a container that withheld it) the bounding set cannot shrink: afterStart still
  // limits the main threads and says what stays.
  if ((eff & mask(['setpcap'])) === 0n) return;
  if (process.env.MCRD_RESTRICTED === '1') {
    throw new McrError({ code: 'EACCES', detail: `re-executed with a bounding set of ${bnd.toString(16)}, not the ${mask(keep).toString(16)} asked for`, hint: 'start mcrd with --user mcrd instead' });
  }
  const source = 'mcrd as root (keeps only CAP_NET_RAW after start; docs/install.md §8)';
  const socketGid = s.socketGroup === undefined ? undefined : native.lookupGroup(s.socketGroup)?.gid;
  if (s.socketGroup !== undefined && socketGid === undefined) throw new McrError({ code: 'EINVAL', source: s.sources.socketGroup, detail: `no group ${JSON.stringify(s.socketGroup)}` });
  await handOver(ROOT, { stateFile: s.stateFile, socketPath: s.controlSocket, socketGid, source });
  for (const [path, what] of [[s.config, 'config file'], [process.argv[1], 'mcrd script']] as const) {
    if (path !== undefined && !(await checkReadable(path, ROOT))) {
      throw new McrError({ code: 'EACCES', source, detail: `the ${what} ${path} is not readable by uid 0 without CAP_DAC_READ_SEARCH`, hint: `make it readable by its owner root (chown root ${path}) or by others, or start with --user` });
    }
  }
  native.execRestricted({
    keep, file: process.execPath, argv: [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    env: [...Object.entries(process.env).map(([k, v]) => `${k}=${v}`), 'MCRD_RESTRICTED=1'],
  });
}

/** Step 2: workers forked from now on exec with CAP_NET_RAW alone. */
export function beforeWorkers(s: Settings): void {
  if (!rootWithoutUser(s)) return;
  if ((capabilitySets().eff & mask(['setpcap'])) !== 0n) loadNative().limitBoundingSet({ keep: ['net_raw'] });
}

/** Step 3 (supervisor and workers): this thread keeps CAP_NET_RAW alone; says what stays if more does. */
export function afterStart(log?: Logger): { effective: string; permitted: string; bounding: string } {
  const now = loadNative().limitCapabilities({ keep: ['net_raw'] });
  // Only uid 0 gains capabilities from exec by itself; any other uid, with no_new_privs, cannot.
  if (process.geteuid?.() === 0 && (BigInt(`0x${now.bounding}`) & ~NET_RAW_ONLY) !== 0n) {
    log?.warn('the bounding set keeps more than CAP_NET_RAW (no CAP_SETPCAP to drop it); the main thread holds CAP_NET_RAW at most', now);
  } else {
    log?.debug('capabilities limited to CAP_NET_RAW', now);
  }
  return now;
}
