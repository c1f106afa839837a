/**
 * Scenario as written → scenario as run: every default applied in this one place (link settings:
 * built-in → `defaults.link` → the link itself; tests: traffic defaults → test → `quick`), fan-out
 * shorthand expanded into outputs. Later stages only read resolved values. Covered by resolve.test.ts.
 */
import type { CpusSpec, McrdOptions, Netem, Scenario, Sysctls, TestSpec, Threshold } from './schema.js';
import type { RelayName } from '../results/types.js';
import type { FrrHostConfig, RouterRole } from './protocol-schema.js';
import { hostSysctls, resolveMembershipTest, type ResolvedMembershipTest } from './resolve-protocols.js';

export const DEFAULT_MTU = 1500;

export interface HostEnd { host: string; interface: string; address?: string }
export interface BridgeEnd { bridge: string; /** Port name inside the switch namespace. */ interface: string }
export interface ResolvedLink { index: number; a: HostEnd; b: HostEnd | BridgeEnd; mtu: number; netem?: Netem }
export interface Endpoint { host: string; interface: string }
export interface ResolvedOutput { name: string; interface: string; group: string; port: number; ttl: number; sink: Endpoint }
export interface ResolvedStream {
  name: string; source: Endpoint; group: string; port: number; input: string;
  payloadBytes: number; ttl: number; outputs: ResolvedOutput[];
  /** outputs[0..explicitOutputs) were listed; the rest came from `fanout`. */
  explicitOutputs: number;
}
export type ResolvedTest =
  | { kind: 'fixed-rate'; name: string; durationS: number; repetitions: number; ratePps: number }
  | { kind: 'throughput'; name: string; durationS: number; repetitions: number; minPps: number; maxPps: number; lossTolerance: number; resolutionPps: number; maxSteps: number }
  | { kind: 'latency'; name: string; durationS: number; repetitions: number; ratePps?: number; loadFraction?: number; throughputTest?: string }
  | ResolvedMembershipTest;

export interface ResolvedHost {
  name: string; sysctls: Sysctls; routes: Array<{ to: string; via?: string; dev?: string }>;
  /** FRR daemons' configuration when the host is an FRR router (lab/topology/frr-hosts.ts). */
  frr?: FrrHostConfig;
}

export interface ResolvedScenario {
  name: string;
  description?: string;
  quick: boolean;
  hosts: ResolvedHost[];
  bridges: string[];
  links: ResolvedLink[];
  relayHost: string;
  /** Options for mcrd (workers, busy polling); empty = mcrd's defaults. */
  mcrd: McrdOptions;
  /** The router role of mcrd and frr (protocols instead of static rules), when the scenario gives one. */
  router?: RouterRole;
  /** CPU placement as written: undefined = the default, false = none (planned in lab/run/placement.ts). */
  cpus?: CpusSpec;
  streams: ResolvedStream[];
  relays: RelayName[];
  tests: ResolvedTest[];
  settleS: number;
  /** How mcr-gen sends: socket kind and sender threads (capped per generator at its destination count). */
  generator: { tx: 'udp' | 'packet'; threads: number };
  thresholds: Threshold[];
}

export interface ResolveOptions { quick?: boolean; repetitions?: number }

export function resolveScenario(s: Scenario, opts: ResolveOptions = {}): ResolvedScenario {
  const quick = opts.quick ?? false;
  return {
    name: s.name,
    ...(s.description !== undefined ? { description: s.description } : {}),
    quick,
    hosts: Object.entries(s.hosts).map(([name, h]) => ({ name, sysctls: hostSysctls(h), routes: h.routes ?? [], ...(h.frr ? { frr: h.frr } : {}) })),
    bridges: s.bridges,
    links: s.links.map((l, index) => resolveLink(s, l, index)),
    relayHost: s.relay.host,
    mcrd: s.relay.mcrd ?? {},
    ...(s.relay.router ? { router: s.relay.router } : {}),
    ...(s.cpus !== undefined ? { cpus: s.cpus } : {}),
    streams: s.streams.map((st) => resolveStream(s, st)),
    relays: s.relays,
    tests: s.tests.map((t) => resolveTest(s, t, opts)),
    settleS: quick ? Math.min(s.traffic.settleS, 0.5) : s.traffic.settleS,
    generator: { tx: s.traffic.tx ?? 'packet', threads: s.traffic.threads ?? 1 },
    thresholds: s.thresholds,
  };
}

/** Link settings: built-in default → defaults.link → the link's own keys (netem merged key by key). */
export function resolveLink(s: Scenario, l: Scenario['links'][number], index: number): ResolvedLink {
  const d = s.defaults?.link ?? {};
  const netem = { ...(d.netem ?? {}), ...(l.netem ?? {}) };
  const b: HostEnd | BridgeEnd = 'bridge' in l.b ? { bridge: l.b.bridge, interface: `${l.b.bridge}-${index}` } : l.b;
  return {
    index,
    a: l.a,
    b,
    mtu: l.mtu ?? d.mtu ?? DEFAULT_MTU,
    ...(Object.keys(netem).length > 0 ? { netem } : {}),
  };
}

function resolveStream(s: Scenario, st: Scenario['streams'][number]): ResolvedStream {
  const ttl = s.traffic.ttl;
  const outputs: ResolvedOutput[] = st.outputs.map((o) => ({ ...o, ttl: o.ttl ?? ttl }));
  if (st.fanout) {
    const base = ipToInt(st.fanout.firstGroup);
    for (let i = 0; i < st.fanout.count; i++) {
      outputs.push({
        name: `out-${i + 1}`, interface: st.fanout.interface, group: intToIp(base + i),
        port: st.fanout.port, ttl, sink: st.fanout.sink,
      });
    }
  }
  return {
    name: st.name, source: st.source, group: st.group, port: st.port, input: st.input,
    payloadBytes: s.traffic.payloadBytes, ttl, outputs, explicitOutputs: st.outputs.length,
  };
}

function resolveTest(s: Scenario, t: TestSpec, opts: ResolveOptions): ResolvedTest {
  if (t.kind === 'membership') return resolveMembershipTest(s, t, opts);
  const quick = opts.quick ?? false;
  const durationS = quick ? Math.min(t.durationS ?? s.traffic.durationS, s.quick.durationS) : t.durationS ?? s.traffic.durationS;
  const repetitions = opts.repetitions ?? (quick ? s.quick.repetitions : t.repetitions ?? s.repetitions);
  switch (t.kind) {
    case 'fixed-rate':
      return { kind: t.kind, name: t.name, durationS, repetitions, ratePps: t.ratePps };
    case 'throughput': {
      const maxSteps = quick ? Math.min(t.maxSteps, s.quick.maxSteps) : t.maxSteps;
      // Coarse default resolution: 1/64 of the range, or what the steps can reach.
      const resolutionPps = t.resolutionPps ?? Math.max(1, (t.maxPps - t.minPps) / 64);
      return { kind: t.kind, name: t.name, durationS, repetitions, minPps: t.minPps, maxPps: t.maxPps, lossTolerance: t.lossTolerance, resolutionPps, maxSteps };
    }
    case 'latency':
      return {
        kind: t.kind, name: t.name, durationS, repetitions,
        ...(t.ratePps !== undefined ? { ratePps: t.ratePps } : {}),
        ...(t.loadFraction !== undefined ? { loadFraction: t.loadFraction } : {}),
        ...(t.throughputTest !== undefined ? { throughputTest: t.throughputTest } : {}),
      };
  }
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}
export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
