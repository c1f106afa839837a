/**
 * Shared pieces of the IGMP e2e tests: a relay chain with mcrd running an IGMP config, mcrctl views as
 * data, and a tcpdump of IGMP on one interface (decoded inside its namespace, lines with timestamps).
 *
 *   g (g0 10.1.0.1) ── (r0 10.1.0.2) r: mcrd, IGMP querier on r1 (r1 10.2.0.1) ── (s0 10.2.0.2) s: receivers
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, waitFor } from '../../test/support/netns.js';

export interface GroupRow { interface: string; group: string; mode: string; compat: string; lastReporter: string | null; sources: Array<{ source: string }> }
export interface RouteRow { origin: string; ruleId: string; iif: string; group: string; source: string | null; port: number; oifs: Array<{ interface: string; reason: string }> }

export interface IgmpRelay {
  lab: Lab;
  g: string; r: string; s: string;
  dir: string;
  mcrd: McrdHandle;
  groups(): Promise<GroupRow[]>;
  mroute(): Promise<RouteRow[]>;
  /** Wait until `group` has members on `ifname` (returns the ms it took) or has none. */
  waitGroup(group: string, present: boolean, timeoutMs: number, ifname?: string): Promise<number>;
  metrics(): Promise<string>;
  destroy(): Promise<void>;
}

export async function ctlJson<T>(mcrd: McrdHandle, args: string[]): Promise<T> {
  const r = await mcrd.ctl(['--json', ...args]);
  if (r.code !== 0) throw new Error(`mcrctl ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The chain with mcrd in r running `config` (JSON5 text of the whole file is built from it). */
export async function startIgmpRelay(tag: string, config: Record<string, unknown>, o: { before?: (lab: Lab, ns: { g: string; r: string; s: string }) => Promise<void>; metricsPort?: number; family?: string } = {}): Promise<IgmpRelay> {
  const lab = await Lab.create(tag, o.family ?? 'igm');
  await mkdir('/tmp/igm', { recursive: true });
  const dir = await mkdtemp('/tmp/igm/igmp-');
  try {
    const ns = await lab.chain();
    await o.before?.(lab, ns);
    const file = join(dir, 'mcrd.json5');
    await writeFile(file, JSON.stringify(o.metricsPort ? { ...config, daemon: { metricsListen: `127.0.0.1:${o.metricsPort}` } } : config, null, 2));
    const mcrd = await startMcrd({ netns: ns.r, dir, args: ['--config', file] });
    const relay: IgmpRelay = {
      lab, dir, mcrd, ...ns,
      groups: async () => (await ctlJson<{ groups: GroupRow[] }>(mcrd, ['igmp', 'groups'])).groups,
      mroute: async () => (await ctlJson<{ routes: RouteRow[] }>(mcrd, ['mroute'])).routes,
      async waitGroup(group, present, timeoutMs, ifname = 'r1') {
        const t0 = Date.now();
        await waitFor(async () => (await relay.groups()).some((x) => x.group === group && x.interface === ifname) === present,
          `${group} ${present ? 'joined' : 'gone'} on ${ifname} in mcrctl igmp groups`, timeoutMs, 20);
        return Date.now() - t0;
      },
      metrics: () => lab.exec(ns.r, ['curl', '-s', `http://127.0.0.1:${o.metricsPort}/metrics`]),
      async destroy() {
        await mcrd.stop();
        await lab.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return relay;
  } catch (err) {
    await lab.destroy().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export interface InjectPacket {
  dst: string;
  /** The IGMP message, hex. */
  igmp: string;
  ttl?: number;
  /** IP Router Alert option (default true). */
  ra?: boolean;
  badIpChecksum?: boolean;
  /** Cut the frame to this many bytes after the Ethernet header. */
  truncate?: number;
  repeat?: number;
  dstMac?: string;
}

const INJECT = fileURLToPath(new URL('./igmp-inject.py', import.meta.url));

/** Send hand-made IGMP frames out of `ifname` in `ns` (relay/e2e/igmp-inject.py); returns how many. */
export async function injectIgmp(lab: Lab, ns: string, ifname: string, src: string, packets: InjectPacket[], pps = 0): Promise<number> {
  const out = await lab.exec(ns, ['python3', INJECT, ifname, JSON.stringify({ src, packets, pps })]);
  return (JSON.parse(out) as { sent: number }).sent;
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) + (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An IGMP message with its checksum filled in (or deliberately wrong). */
export function igmpMessage(bytes: number[], o: { badChecksum?: boolean } = {}): string {
  const b = Buffer.from(bytes);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(checksum(b) ^ (o.badChecksum ? 0x5a5a : 0), 2);
  return b.toString('hex');
}

const ip4 = (a: string) => a.split('.').map(Number);

/** IGMPv2 Membership Report for `group`. */
export const v2Report = (group: string, o: { badChecksum?: boolean } = {}) => igmpMessage([0x16, 0, 0, 0, ...ip4(group)], o);

/** IGMPv3 report with one record per group (type 2 = MODE_IS_EXCLUDE, no sources); `claimRecords` overrides the count field. */
export function v3Report(groups: string[], o: { claimRecords?: number; recordType?: number } = {}): string {
  const records = groups.flatMap((g) => [o.recordType ?? 2, 0, 0, 0, ...ip4(g)]);
  const n = o.claimRecords ?? groups.length;
  return igmpMessage([0x22, 0, 0, 0, 0, 0, n >> 8, n & 0xff, ...records]);
}

/** IGMPv2-format general query (max resp 1 s) or group-specific query. */
export const query = (group = '0.0.0.0') => igmpMessage([0x11, 10, 0, 0, ...ip4(group)]);
