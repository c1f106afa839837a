/**
 * The generators' achieved rate in the unit of the offered rate, so the two can be compared.
 *
 * offeredPps is per stream: every stream of a scenario is offered that rate. A generator's
 * achievedPps is what that one process sent, and `direct` sends one copy per output (rateFactor),
 * so the raw sum over generators is neither. Per stream the achieved equivalent is the stream's
 * generators' total divided by their total rateFactor (two generators of one stream, 3 and 2
 * outputs, together send 5 copies per offered packet); the trial's figure is the average of those
 * over the streams. One slow stream of two therefore pulls the figure below the offered rate too.
 * Covered by achieved.test.ts.
 */

export interface AchievedGen {
  streamName: string;
  /** Datagrams this generator sends per offered packet (1, or the outputs `direct` sends itself). */
  rateFactor: number;
  /** What it reported. */
  achievedPps: number;
}

/**
 * Average over streams of each stream's achieved rate, in offered-rate terms.
 * @returns 0 when there are no generators
 */
export function perStreamAchievedPps(gens: readonly AchievedGen[]): number {
  const byStream = new Map<string, { pps: number; factor: number }>();
  for (const g of gens) {
    const acc = byStream.get(g.streamName) ?? { pps: 0, factor: 0 };
    acc.pps += g.achievedPps;
    acc.factor += Math.max(1, g.rateFactor);
    byStream.set(g.streamName, acc);
  }
  if (byStream.size === 0) return 0;
  let sum = 0;
  for (const { pps, factor } of byStream.values()) sum += pps / factor;
  return sum / byStream.size;
}
