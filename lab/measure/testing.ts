/**
 * Test helpers shared by the measure and report tests: a Trial for a given loss and latency, and a
 * simulated device (a pure loss(pps) function). Not used at run time.
 */
import type { LatencyNs, Trial } from '../results/types.js';

export function makeTrial(offeredPps: number, lossRatio: number, opts: { outputs?: number; latency?: LatencyNs; cpuNsPerPacket?: number } = {}): Trial {
  const durationS = 1;
  const sent = Math.round(offeredPps * durationS);
  const lost = Math.round(sent * lossRatio);
  const n = opts.outputs ?? 1;
  const outputs = Array.from({ length: n }, (_, i) => ({
    name: `out-${i + 1}`, group: `239.1.1.${i + 1}`, port: 5000, received: sent - lost, lost,
    duplicates: 0, reordered: 0, late: 0, payloadErrors: 0, lossRatio: sent === 0 ? 0 : lost / sent,
    ...(opts.latency ? { latencyNs: opts.latency } : {}),
  }));
  const t: Trial = {
    offeredPps, payloadBytes: 1316, durationS, sent, achievedPps: offeredPps, outputs,
    lossRatio: sent === 0 ? 0 : lost / sent, deliveredPps: (sent - lost) * n / durationS,
  };
  if (opts.cpuNsPerPacket !== undefined) {
    t.relayCpuNs = opts.cpuNsPerPacket * (sent - lost) * n;
    t.relayCpuNsPerPacket = opts.cpuNsPerPacket;
  }
  return t;
}

/** A device that forwards up to `capacity` pps and drops the excess: loss = (pps - capacity) / pps. */
export function capacityLoss(capacity: number): (pps: number) => number {
  return (pps) => (pps <= capacity ? 0 : (pps - capacity) / pps);
}
