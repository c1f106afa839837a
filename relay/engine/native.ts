/**
 * Loads the native addon `build/Release/mcr_native.node` (built by `npm install` / node-gyp).
 *
 * The path is resolved from this file's location by walking up to the package root, so it works both
 * from the sources (relay/engine/) and from the compiled tree (dist/relay/engine/). MCR_NATIVE_ADDON
 * overrides it (e.g. to load a sanitizer build).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Capture, EngineOptions, EngineRule, SourceReport } from './types.js';

/** Offsets (in 64-bit words) of the counter block, exported by native/engine/addon/layout_wrap.cc. */
export interface NativeLayout {
  totalWords: number;
  maxRuleSlots: number;
  maxOutputSlots: number;
  ruleBase: number;
  ruleWords: number;
  outputBase: number;
  outputWords: number;
  rxFrames: number;
  rxBytes: number;
  ringDrops: number;
  ringFreezes: number;
  unmatched: number;
  malformedBase: number;
  txBatches: number;
  rxBlocks: number;
  tableGeneration: number;
  rulePackets: number;
  ruleBytes: number;
  ruleLastNs: number;
  outPackets: number;
  outBytes: number;
  outSendErrors: number;
  outErrnoBase: number;
  malformedNames: string[];
  errnoNames: string[];
  sourceWatchBase: number;
  sourceWatchNames: string[];
}

export interface NativeParsedFrame {
  /** VLAN ids, outermost first (an out-of-band tag, when given, comes first). */
  vlanIds: number[];
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
  ttl: number;
  ipOffset: number;
  ipHeaderLength: number;
  payloadOffset: number;
  payloadLength: number;
}

export interface NativeEngineHandle {
  setRules(rules: EngineRule[], capture?: Capture): void;
  updateRules(remove: string[], add: EngineRule[], capture?: Capture): void;
  onSources(cb: (reports: SourceReport[]) => void): void;
  start(): void;
  stop(): void;
  counterBuffer(): ArrayBuffer;
}

/** One rtnetlink change; `resync`: notifications were lost, re-read everything; `error`: the watcher stopped. */
export type NativeLinkEvent =
  | { kind: 'link'; ifindex: number; name: string; removed: boolean; up: boolean; running: boolean; mtu?: number; mac?: string }
  | { kind: 'addr'; ifindex: number; name: string; removed: boolean; address: string; prefixLength: number }
  | { kind: 'resync' }
  | { kind: 'error'; errno: number; code: string };

export interface NativeInterface {
  ifindex: number; name: string; up: boolean; running: boolean; mtu: number; mac: string;
  /** IPv4 as `a.b.c.d/len`, primary first (the kernel's order). */
  addresses: string[];
}

/** native/engine/core/route_lookup.h: how the kernel would route to one address. */
/** protocol: the route's rtm_protocol (2 kernel, 3 boot, 4 static, 186 bgp, 188 ospf, ...). */
export interface NativeRoute { ifindex: number; interface: string | null; gateway: string | null; metric: number; protocol: number; type: 'unicast' | 'local' | 'other' }

/** One protocol packet as the native reader queued it (native/engine/addon/proto_wrap.cc); payload = the IP payload. */
export interface NativeProtoPacket { ifindex: number; src: string; dst: string; ttl: number; routerAlert: boolean; ipProto: number; payload: Uint8Array; rxAtMs: number }

/** native/engine/addon/proto_wrap.cc: the protocol receive socket (relay/protocols/io). */
export interface NativeProtoRx {
  /**
   * Starts the reader thread; batches arrive on the JS thread, bounded by the native queue. `more`: the
   * queue holds more; nothing else arrives until resume() (call it from setImmediate, so that timers
   * and I/O run between batches).
   */
  start(onPackets: (pkts: NativeProtoPacket[], more: boolean) => void): void;
  resume(): void;
  /** ALLMULTI on the interface and admit its packets; returns its ifindex; throws (code ENODEV, ...). */
  enable(ifname: string): number;
  disable(ifindex: number): void;
  counters(): { received: number; queueDrops: number; notEnabled: number; malformed: Record<string, number> };
  /** Joins the reader; no callback after it returns. */
  close(): void;
}

/** native/engine/addon/proto_wrap.cc: raw IP sockets of the protocol plane. */
export interface NativeProtoTx {
  /** null when sent, else the errno name (never throws for a failed send). */
  send(ifname: string, dst: string, ipProto: number, payload: Uint8Array, ttl: number, routerAlert: boolean): string | null;
  /** Forward a whole IPv4 multicast datagram as a router (TTL − 1); null when sent, else the errno name. */
  forward(ifname: string, ip: Uint8Array): string | null;
  close(): void;
}

/** Capabilities privilege.cc can be asked to keep. */
export type CapabilityName = 'net_raw' | 'net_admin' | 'net_bind_service' | 'chown' | 'setpcap';

export interface NativeModule {
  parseFrame(frame: Uint8Array, vlanTci?: number): NativeParsedFrame | { error: string };
  benchRuleLookup(rules: number, lookups: number, sourceRules?: boolean): { nsPerLookup: number; hits: number };
  layout: NativeLayout;
  NativeEngine: new (opts: EngineOptions) => NativeEngineHandle;
  /** Whether this kernel takes UDP GSO frames on packet sockets (EngineOptions.gso; Linux 6.2+). */
  gsoSupported(): boolean;
  /** native/engine/addon/netlink_wrap.cc: rtnetlink link/address events on a thread of its own (relay/daemon/link-watch.ts). */
  NetlinkWatch: new () => { start(onEvents: (events: NativeLinkEvent[]) => void): void; stop(): void };
  /** Every interface of this network namespace (RTM_GETLINK + RTM_GETADDR dump); throws like the engine. */
  netlinkSnapshot(): NativeInterface[];
  /** The kernel's FIB answer for one IPv4 destination (RTM_GETROUTE), or the errno name. */
  routeGet(dst: string): NativeRoute | { error: string };
  NativeProtoRx: new (ipProtos: number[]) => NativeProtoRx;
  NativeProtoTx: new (ipProtos: number[]) => NativeProtoTx;
  /** native/engine/addon/privilege.cc: switch to uid/gid keeping only `keep` capabilities (relay/daemon/privilege.ts). */
  dropPrivileges(o: { uid: number; gid: number; groups: number[]; keep: CapabilityName[] }): void;
  /** Root only: bounding set := keep, then execve(file, argv, env); returns only by throwing (relay/daemon/least-privilege.ts). */
  execRestricted(o: { keep: CapabilityName[]; file: string; argv: string[]; env: string[] }): never;
  /** This thread's bounding set := keep (needs CAP_SETPCAP); the effective set is left alone. */
  limitBoundingSet(o: { keep: CapabilityName[] }): void;
  /** This thread keeps only `keep` (of what it holds), bounding set too if CAP_SETPCAP is held; no_new_privs. Sets as hex. */
  limitCapabilities(o: { keep: CapabilityName[] }): { effective: string; permitted: string; bounding: string };
  lookupUser(nameOrUid: string): { name: string; uid: number; gid: number; home: string } | null;
  lookupGroup(nameOrGid: string): { name: string; gid: number } | null;
  /** The supplementary groups initgroups(user, gid) would set (gid included). */
  groupList(user: string, gid: number): number[];
}

const ADDON = join('build', 'Release', 'mcr_native.node');

/** Directory holding package.json and build/, found by walking up from this module. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`mcr: package root (with binding.gyp) not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

let cached: NativeModule | undefined;

/** The addon, loaded once. Throws with the path and a build hint if it is missing. */
export function loadNative(): NativeModule {
  if (cached) return cached;
  const path = process.env['MCR_NATIVE_ADDON'] ?? join(packageRoot(), ADDON);
  const require = createRequire(import.meta.url);
  try {
    cached = require(path) as NativeModule;
  } catch (err) {
    const e = new Error(`mcr: cannot load the native engine ${path}: ${(err as Error).message.split('\n')[0]} (build it with \`npm run install\`)`);
    (e as Error & { cause: unknown }).cause = err;
    throw e;
  }
  return cached;
}
