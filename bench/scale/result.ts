/** The scale suite's figures (run.ts writes them, table.ts renders them, the bench record keeps them). */

export interface StreamsResult {
  streams: number;
  /** mcrd's GSO (its default) or --gso off. */
  gso: boolean;
  offeredPps: number;
  /** The BPF filter the engine used for this many groups on one interface (exact up to 64). */
  filter: 'exact' | 'small';
  achievedPps: number;
  lossRatio: number;
  /** mcrd's CPU time (all processes and threads) per datagram delivered, median over the trials. */
  cpuNsPerPacket: number;
  cpuNsPerPacketRuns: number[];
  /** mcrd's own count of what it could not take (ring drops) or send, over the case's trials. */
  mcrdDrops: { ring: number; send: number; byErrno: Record<string, number> };
}

export interface FanoutResult {
  outputs: number;
  inputPps: number;
  sentPerTrial: number;
  /** The worst output's loss ratio, median over the trials. */
  worstOutputLoss: number;
  /** Outputs above 0.1 % loss in the worst trial. */
  outputsOverTolerance: number;
  mcrdDrops: { ring: number; send: number; byErrno: Record<string, number> };
}

export interface Quantiles { p50: number; p90: number; p99: number; max: number }

export interface RulesResult {
  installed: number;
  adds: number;
  /** From starting mcrd with the installed rules in its config file to its control socket answering. */
  loadMs: number;
  /** One `add` round trip on the control socket with `installed` rules in place, while the stream runs. */
  addMs: Quantiles;
  /**
   * As many adds again after the stream, with no traffic: the daemon's own latency. During the stream
   * mcrd's control plane shares the traffic CPU (the lab's placement) with the generator's pacing spin.
   */
  addMsIdle?: Quantiles;
  /** The stream relayed by the first rule while the adds ran. */
  stream: { pps: number; received: number; lost: number; maxDelayUs: number | null };
  /** The same stream right after, as long as the adds took (3-60 s), with no change running: what the machine gives anyway. */
  quiet: { seconds: number; received: number; lost: number; maxDelayUs: number | null };
  /** Resident memory of mcrd (supervisor and worker) per installed rule. */
  rssBytesPerRule: number;
}

export interface ScaleResult {
  startedAt: string;
  finishedAt?: string;
  quick: boolean;
  placement: string;
  streams: StreamsResult[];
  fanout: FanoutResult[];
  rules?: RulesResult;
  /** Cases that failed, with their error. */
  errors: string[];
}
