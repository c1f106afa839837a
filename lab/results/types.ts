/**
 * results.json: the single source every report (console table, report.md, report.html) is rendered from.
 * Versioned: bump RESULTS_SCHEMA_VERSION on any incompatible change; readers refuse other versions.
 *
 * Every raw repetition is kept; summaries are derived from them (median, min, max over repetitions).
 */
export const RESULTS_SCHEMA_VERSION = 1 as const;

/** Relays the lab can put under test. `direct` = no relay, the path's own ceiling. */
export type RelayName = 'mcrd' | 'socat' | 'kernel' | 'direct';

export interface Summary { median: number; min: number; max: number; n: number }

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
  /** Rate the generator actually achieved. */
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
  };
}

/** RFC 2544 style: highest offered rate whose loss stays at or under lossTolerance, by binary search. */
export interface ThroughputTest extends TestBase {
  kind: 'throughput';
  lossTolerance: number;
  repetitions: Array<{ throughputPps: number; steps: Trial[] }>;
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

export interface Environment {
  hostname: string;
  kernel: string;
  cpus: { model: string; count: number };
  memoryBytes: number;
  sysctls: Record<string, string>;
  versions: Record<string, string>;
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
}
