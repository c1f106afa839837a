/**
 * results.json: the single source every report (console table, report.md, report.html) is rendered from.
 * Versioned: bump RESULTS_SCHEMA_VERSION on any incompatible change; readers refuse other versions.
 *
 * Every raw repetition is kept; summaries are derived from them (median, min, max over repetitions).
 */
import type { MembershipTest } from './membership.js';

export const RESULTS_SCHEMA_VERSION = 1 as const;

/** Relays the lab can put under test. `direct` = no relay, the path's own ceiling. */
export type RelayName = 'mcrd' | 'socat' | 'kernel' | 'direct' | 'frr';

/** Over repetitions: median, min, max, count; q1/q3 (quartiles, type 7) from lab runs that record them. */
export interface Summary { median: number; min: number; max: number; n: number; q1?: number; q3?: number }

export interface LatencyNs { p50: number; p90: number; p99: number; p999: number; max: number }

/** What one sink saw for one output stream in one trial. */
export interface OutputResult {
  /** Output name as in the scenario, e.g. "sink1" or "out-17". */
  name: string;
  group: string;
  port: number;
  received: number;
  lost: number;
  duplicates: number;
  reordered: number;
  late: number;
  payloadErrors: number;
  /** lost / expected, 0..1 */
  lossRatio: number;
  /** One-way latency generator→sink; absent when nothing arrived. */
  latencyNs?: LatencyNs;
}

/** One traffic run at one offered rate. */
export interface Trial {
  offeredPps: number;
  payloadBytes: number;
  durationS: number;
  /** Datagrams the generator sent (all streams). */
  sent: number;
  /**
   * Rate the generators achieved, in offered-rate terms so it compares with offeredPps: per stream
   * (generators' rate / copies per offered packet, which `direct` multiplies), averaged over streams.
   * Results written before this was per stream summed the streams instead.
   */
  achievedPps: number;
  outputs: OutputResult[];
  /** Worst output loss ratio in this trial (the number thresholds apply to). */
  lossRatio: number;
  /** Sum of received over all outputs per second of trial. */
  deliveredPps: number;
  /** Relay CPU time (user+sys, ns) consumed during the trial, from /proc; absent for direct and kernel. */
  relayCpuNs?: number;
  /** relayCpuNs / packets forwarded (received over all outputs). */
  relayCpuNsPerPacket?: number;
  /**
   * Busy time (ns) of the relay CPUs (environment.placement.relay) over the trial, from /proc/stat:
   * user + nice + system + irq + softirq + steal, summed over those CPUs, from just before the
   * generators start to the end of the settle pause. Unlike relayCpuNs it counts whatever ran there:
   * the relay's processes and the kernel's receive/forwarding work steered there by RPS, so kernel
   * forwarding (softirq only) has a figure too, and `direct` shows the core's background. Absent when
   * the run had no CPU placement (cpus: false, one CPU).
   */
  relayCoreBusyNs?: number;
  /** relayCoreBusyNs / packets forwarded (received over all outputs, as relayCpuNsPerPacket). */
  relayCoreNsPerPacket?: number;
  /**
   * The relay's own share of that, per packet forwarded: the user time of its processes (none for
   * kernel and direct) + system, irq and softirq time of the relay CPUs (its syscalls and the packet
   * work RPS steered there). Leaves out other programs' user time on the relay CPUs, so it stays
   * comparable on a shared machine; their system time and softirq work there still count.
   */
  relayCoreOwnNsPerPacket?: number;
}

interface TestBase {
  /** Test name from the scenario, e.g. "fixed-50k", "throughput". */
  name: string;
  relay: RelayName;
}

export interface FixedRateTest extends TestBase {
  kind: 'fixed-rate';
  offeredPps: number;
  repetitions: Trial[];
  summary: {
    lossRatio: Summary;
    deliveredPps: Summary;
    latencyP50Ns?: Summary;
    latencyP99Ns?: Summary;
    relayCpuNsPerPacket?: Summary;
    /** Trial.relayCoreNsPerPacket over repetitions: the relay core's busy time per forwarded packet. */
    relayCoreNsPerPacket?: Summary;
    /** Trial.relayCoreOwnNsPerPacket over repetitions. */
    relayCoreOwnNsPerPacket?: Summary;
  };
}

/** One whole throughput search (lab/measure/search.ts). */
export interface ThroughputRepetition {
  /** The highest rate proved passing; 0 when even the search's lowest rate failed. */
  throughputPps: number;
  steps: Trial[];
  /**
   * What the search proved: [highest pass, lowest fail] (failPps null: nothing failed, the figure is a
   * floor), and whether the highest pass was generator-limited. Absent in results written before
   * brackets were recorded; lab/results/figures.ts then derives it from the steps.
   */
  bracket?: { passPps: number; failPps: number | null; generatorLimited: boolean };
}

/** RFC 2544 style: highest offered rate that passes (lab/results/verdict.ts), by a search with a budget. */
export interface ThroughputTest extends TestBase {
  kind: 'throughput';
  lossTolerance: number;
  /** How the search ran; absent in results written before it was recorded. */
  search?: {
    minPps: number; maxPps: number; resolutionPps: number; maxSteps: number;
    /** Share of the offered rate the generator had to reach for a trial to count. */
    minAchievedRatio: number;
    /** p99 limit of a passing trial, ns, when there was one. */
    maxP99Ns?: number;
  };
  repetitions: ThroughputRepetition[];
  summary: { throughputPps: Summary };
}

/** Latency at a stated fraction of the measured throughput (RFC 2544 §26.2 practice). */
export interface LatencyTest extends TestBase {
  kind: 'latency';
  /** Fraction of throughput, or absent when a fixed rate was given. */
  loadFraction?: number;
  offeredPps: number;
  repetitions: Trial[];
  summary: { p50Ns: Summary; p90Ns: Summary; p99Ns: Summary; p999Ns: Summary; maxNs: Summary };
}

export type TestResult = FixedRateTest | ThroughputTest | LatencyTest;

export interface ThresholdCheck {
  /** e.g. "mcrd.fixed-50k.lossRatio <= 0.001" */
  description: string;
  relay: RelayName;
  test: string;
  metric: string;
  op: '<=' | '>=';
  limit: number;
  actual: number | null;
  pass: boolean;
}

/**
 * Where the run put its work (lab/run/placement.ts): generators and sinks pinned to `traffic`, relay
 * processes to `relay`; RPS on each host's interfaces steers receive work to the same side (the relay
 * host's to `relay`, every other host's to `traffic`). relayCoreBusyNs is measured on `relay`.
 */
export interface CpuPlacement {
  /** false: nothing pinned and no RPS set; `note` says why. */
  pinned: boolean;
  /** 'scenario': its `cpus` key; 'default': relay = last CPU; 'off': `cpus: false`; 'single-cpu'. */
  source: 'scenario' | 'default' | 'off' | 'single-cpu';
  traffic: number[];
  relay: number[];
  /** rps_cpus masks written (hex, as sysfs takes them). */
  trafficMask?: string;
  relayMask?: string;
  note?: string;
}

export interface Environment {
  hostname: string;
  kernel: string;
  cpus: { model: string; count: number };
  memoryBytes: number;
  sysctls: Record<string, string>;
  versions: Record<string, string>;
  /** CPU placement of the run; absent in results written before placement existed. */
  placement?: CpuPlacement;
  /** Options mcrd ran with (from the scenario's relay.mcrd), when any were set. */
  mcrdOptions?: { workers?: number; busyPollUs?: number; gso?: boolean };
  /** How busy the machine was during the run (lab/measure/machine-load.ts); absent in older results. */
  load?: MachineLoad;
  /** What the lab itself could offer and carry on this machine before the run (lab/run/calibrate.ts). */
  calibration?: Calibration;
}

/** The lab's own ceilings on this machine, per stream (lab/run/calibrate.ts). */
export interface Calibration {
  durationS: number;
  tx: 'udp' | 'packet';
  /** Unpaced generators into the relay host, nothing relaying: the most they can offer a relay. */
  generatorPps: number;
  /** Generator CPU per datagram sent there (user + system, incl. the send softirq in its context). */
  generatorNsPerPacket: number;
  /** Unpaced generators on the relay host into the sinks, sharing the traffic CPUs: what the worst output received per second. */
  directPps: number;
  /** Share of that direct traffic the sinks did not receive (the shared traffic core overloaded). */
  directLoss: number;
  /** Sink CPU per datagram received. */
  sinkNsPerPacket: number;
}

/** The machine during a run: shares of all CPUs' time from /proc/stat, load average at start and end, CPU clock range. */
export interface MachineLoad {
  seconds: number;
  /** Time the hypervisor ran something else on our vCPUs, 0..1. */
  stealRatio: number;
  /** Busy share of all CPUs (everything: the lab, the relays, other users), 0..1. */
  busyRatio: number;
  loadavg1: [number, number];
  /** Lowest and highest "cpu MHz" /proc/cpuinfo showed at start and end. */
  cpuMhz?: [number, number];
}

export interface Results {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  tool: { name: 'mcr-lab'; version: string };
  scenario: { name: string; file: string; description?: string; quick: boolean };
  runId: string;
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  relays: RelayName[];
  tests: TestResult[];
  thresholds: ThresholdCheck[];
  /** true when every threshold passed and no relay failed to run */
  pass: boolean;
  /** Relays that could not run (e.g. kernel forwarding impossible for an unroutable source), with why. */
  skipped: Array<{ relay: RelayName; reason: string }>;
  /** RFC 3918 join/leave delay tests (lab/results/membership.ts); absent when the scenario has none. */
  membership?: MembershipTest[];
}
