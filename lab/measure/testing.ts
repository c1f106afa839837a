/**
 * Test helpers shared by the measure and report tests: a Trial for a given loss and latency, and a
 * simulated device (a pure loss(pps) function). Not used at run time.
 */
import type { LatencyNs, Trial } from '../results/types.js';

export function makeTrial(
  offeredPps: number, lossRatio: number,
  opts: { outputs?: number; latency?: LatencyNs; cpuNsPerPacket?: number; achievedPps?: number } = {},
): Trial {
  const durationS = 1;
  const achievedPps = opts.achievedPps ?? offeredPps;
  const sent = Math.round(achievedPps * durationS);
  const lost = Math.round(sent * lossRatio);
  const n = opts.outputs ?? 1;
  const outputs = Array.from({ length: n }, (_, i) => ({
    name: `out-${i + 1}`, group: `239.1.1.${i + 1}`, port: 5000, received: sent - lost, lost,
    duplicates: 0, reordered: 0, late: 0, payloadErrors: 0, lossRatio: sent === 0 ? 0 : lost / sent,
    ...(opts.latency ? { latencyNs: opts.latency } : {}),
  }));
  const t: Trial = {
    offeredPps, payloadBytes: 1316, durationS, sent, achievedPps, outputs,
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

/**
 * A relay whose forwarding collapses under overload (receive livelock): each offered packet costs
 * `rxNs` of the relay's core before the relay sees it (softirq receive steered there), so the harder
 * it is pushed the less core is left to forward with. Capacity `capacity` at the knee; above it,
 * forwarded = (1 − rxNs·offered) / (per-packet forwarding cost), the receive share capped at 90 %.
 */
export function collapseLoss(capacity: number, rxNs = 1500): (pps: number) => number {
  const rx = rxNs * 1e-9;
  const work = 1 / capacity - rx;
  if (!(work > 0)) throw new RangeError(`collapseLoss: a capacity of ${capacity} pps leaves no time beyond ${rxNs} ns of receive work`);
  return (pps) => {
    if (pps <= capacity) return 0;
    const forwarded = (1 - Math.min(0.9, rx * pps)) / work;
    return 1 - Math.min(pps, forwarded) / pps;
  };
}
