/**
 * Turns what the generator and the sinks reported for one traffic run into a `Trial`
 * (lab/results/types.ts). RFC 3918 asks for loss per output, so every output is judged on its own and
 * the trial's lossRatio is the worst output's. Covered by trial.test.ts.
 *
 * An output's loss is what the generator sent minus what arrived once and intact (received minus
 * duplicates minus payload errors), so corruption counts as loss. Loss is counted against what the
 * generator sent, not from sequence gaps alone: a sink only sees
 * gaps between packets that arrived, so packets lost after the last arrival (a relay that stalls or
 * dies) would otherwise be missed.
 */
import type { LatencyNs, OutputResult, Trial } from '../results/types.js';

/** The part of a generator report this module needs. */
export interface GenReportLike {
  /** Datagrams sent, all streams. */
  sent: number;
  achievedPps: number;
}

/** The part of one sink listen report (one group:port) this module needs. */
export interface SinkListenLike {
  group: string;
  port: number;
  /** Datagrams received, duplicates included. */
  received: number;
  duplicates?: number;
  reordered?: number;
  late?: number;
  payloadErrors?: number;
  /** Sink's own gap count; used only when it exceeds the count from `expected` (it cannot, normally). */
  lost?: number;
  latencyNs?: LatencyNs;
  /** Datagrams sent on the stream this output carries; defaults to gen.sent (single-stream scenarios). */
  expected?: number;
}

export interface BuildTrialInput {
  offeredPps: number;
  payloadBytes: number;
  durationS: number;
  gen: GenReportLike;
  /** One entry per output, in the same order as outputNames. */
  sinks: SinkListenLike[];
  outputNames: string[];
  /** Relay CPU time (user+sys, ns) spent during the trial; absent for direct and kernel. */
  relayCpuNs?: number;
  /** Busy ns of the relay CPUs over the trial (/proc/stat, lab/measure/cores.ts); absent without CPU placement. */
  relayCoreBusyNs?: number;
  /** system + irq + softirq ns of the relay CPUs over the same window (lab/measure/cores.ts). */
  relayCoreKernelNs?: number;
  /** User-mode part of relayCpuNs; with relayCoreKernelNs gives relayCoreOwnNsPerPacket. */
  relayUserNs?: number;
}

/**
 * Build a Trial from raw reports.
 * @throws TypeError when sinks and outputNames differ in length or a count is negative/non-finite.
 */
export function buildTrial(input: BuildTrialInput): Trial {
  const { offeredPps, payloadBytes, durationS, gen, sinks, outputNames } = input;
  if (sinks.length !== outputNames.length) {
    throw new TypeError(`buildTrial: ${sinks.length} sink reports but ${outputNames.length} output names; pass one name per sink report, in order`);
  }
  if (sinks.length === 0) throw new TypeError('buildTrial: no outputs; a trial needs at least one sink report');
  if (!(durationS > 0)) throw new TypeError(`buildTrial: durationS must be > 0, got ${String(durationS)}`);
  count('gen.sent', gen.sent);

  const outputs = sinks.map((s, i): OutputResult => {
    const where = `sinks[${i}] (${outputNames[i]!})`;
    count(`${where}.received`, s.received);
    const expected = s.expected ?? gen.sent;
    count(`${where}.expected`, expected);
    const duplicates = s.duplicates ?? 0;
    const payloadErrors = s.payloadErrors ?? 0;
    // Delivered = arrived once and intact: a corrupted datagram is as useless to a receiver as a lost one.
    const unique = Math.max(0, s.received - duplicates - payloadErrors);
    const lost = Math.max(expected - unique, s.lost ?? 0, 0);
    const out: OutputResult = {
      name: outputNames[i]!,
      group: s.group,
      port: s.port,
      received: s.received,
      lost,
      duplicates,
      reordered: s.reordered ?? 0,
      late: s.late ?? 0,
      payloadErrors,
      // Nothing expected and nothing lost is no loss (a zero-length trial), not 0/0.
      lossRatio: expected === 0 ? 0 : Math.min(1, lost / expected),
    };
    if (s.latencyNs && unique > 0) out.latencyNs = s.latencyNs;
    return out;
  });

  const delivered = outputs.reduce((sum, o) => sum + Math.max(0, o.received - o.duplicates - o.payloadErrors), 0);
  const trial: Trial = {
    offeredPps,
    payloadBytes,
    durationS,
    sent: gen.sent,
    achievedPps: gen.achievedPps,
    outputs,
    lossRatio: Math.max(...outputs.map((o) => o.lossRatio)),
    deliveredPps: delivered / durationS,
  };
  if (input.relayCpuNs !== undefined) {
    count('relayCpuNs', input.relayCpuNs);
    trial.relayCpuNs = input.relayCpuNs;
    // Per forwarded packet: a relay that forwards nothing has no per-packet cost to report.
    if (delivered > 0) trial.relayCpuNsPerPacket = input.relayCpuNs / delivered;
  }
  if (input.relayCoreBusyNs !== undefined) {
    count('relayCoreBusyNs', input.relayCoreBusyNs);
    trial.relayCoreBusyNs = input.relayCoreBusyNs;
    if (delivered > 0) trial.relayCoreNsPerPacket = input.relayCoreBusyNs / delivered;
  }
  if (input.relayCoreKernelNs !== undefined) {
    // The relay core's busy time without other programs' user time: the relay's own user time
    // (its processes are pinned there) plus all kernel work on the core. Relay system time is inside
    // the core's kernel time already, so only user time is added: nothing is counted twice.
    count('relayCoreKernelNs', input.relayCoreKernelNs);
    count('relayUserNs', input.relayUserNs ?? 0);
    if (delivered > 0) trial.relayCoreOwnNsPerPacket = ((input.relayUserNs ?? 0) + input.relayCoreKernelNs) / delivered;
  }
  return trial;
}

function count(field: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new TypeError(`buildTrial: ${field} must be a count >= 0, got ${String(v)}`);
}
