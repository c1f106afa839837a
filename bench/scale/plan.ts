/**
 * What the scale suite measures (issue 13, "cost as the work grows"), as data: the cases, their rates
 * and sizes, and the addresses the suite derives from the template stream of scenarios/bench/scale.yaml.
 * Pure, so the plan is unit-tested (plan.test.ts) and the runner (run.ts) only executes it.
 *
 *   streams   1, 10, 100, 1000 streams (one rule each) sharing the same total rate: mcrd's CPU per
 *             packet at 1000 against 1 (target within 1.2x). Past 64 groups on an interface the engine
 *             switches to the small BPF filter, so 1 and 10 run the exact filter and 100 and 1000 the
 *             small one: the sweep measures both. Twice: with mcrd's defaults, and with --gso off,
 *             because GSO merges only datagrams of one output drained together, which one stream's
 *             bursts give and a thousand interleaved streams cannot: the second sweep separates what
 *             more rules cost from what GSO saves a single stream.
 *   fanout    one stream to 50 and to 200 outputs, every output within 0.1 % loss
 *   rules     10,000 rules installed from a config file at start, then single adds timed end to end (control socket round trip)
 *             while one stream runs: add latency p50/p99 (target p99 <= 10 ms), the stream's loss
 *             and longest delay (forwarding must never pause); as many adds again with no traffic
 *             (the daemon's own latency); and memory per rule
 */

export interface StreamsCase { kind: 'streams'; streams: number; totalPps: number; gso: boolean }
export interface FanoutCase { kind: 'fanout'; outputs: number; inputPps: number }
export interface RulesCase { kind: 'rules'; installed: number; adds: number; streamPps: number }
export type ScaleCase = StreamsCase | FanoutCase | RulesCase;

export interface ScalePlan {
  cases: ScaleCase[];
  /** Seconds of traffic per trial. */
  durationS: number;
  /** Trials per streams/fanout case (the median is reported). */
  repetitions: number;
  payloadBytes: number;
}

export const STREAM_COUNTS = [1, 10, 100, 1000] as const;
/** Same total rate for every stream count: well below the chain's throughput, so CPU, not loss, moves. */
export const STREAMS_TOTAL_PPS = 50_000;
/** Fan-out input rates: 100k output datagrams per second for both. */
export const FANOUT = [{ outputs: 50, inputPps: 2_000 }, { outputs: 200, inputPps: 500 }] as const;
export const RULES_INSTALLED = 10_000;
/** The bounds, checked by the table (and reported as met / not met). */
export const TARGETS = { cpuRatio1000: 1.2, outputLoss: 0.001, addP99Ms: 10 } as const;

export function scalePlan(quick: boolean): ScalePlan {
  return {
    cases: [
      ...[true, false].flatMap((gso) => STREAM_COUNTS.map((streams): StreamsCase => ({ kind: 'streams', streams, totalPps: STREAMS_TOTAL_PPS, gso }))),
      ...FANOUT.map((f): FanoutCase => ({ kind: 'fanout', ...f })),
      // 100 adds also quick: a p99 needs them (of 30 it is the maximum), and at a few ms each they are cheap.
      { kind: 'rules', installed: RULES_INSTALLED, adds: 100, streamPps: 20_000 },
    ],
    durationS: quick ? 3 : 5,
    repetitions: quick ? 1 : 3,
    payloadBytes: 1316,
  };
}

/** "a.b.c.d" of the base group plus i (i >= 0), carrying into the lower three octets. */
export function nthGroup(base: string, i: number): string {
  const o = base.split('.').map(Number);
  if (o.length !== 4 || o.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad group ${base}`);
  const n = ((o[1]! << 16) | (o[2]! << 8) | o[3]!) + i;
  if (i < 0 || n > 0xffffff) throw new Error(`group ${base} + ${i} leaves ${o[0]}.0.0.0/8`);
  return `${o[0]}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** The rules of a case, in the control protocol's rule shape (one output per rule unless fanned out). */
export interface RuleSpec {
  name: string;
  input: { interface: string; group: string; port: number };
  outputs: { interface: string; group: string; port: number }[];
}

/** The template stream of the scenario, as the suite uses it. */
export interface Template {
  input: string; inGroup: string; inPort: number;
  output: string; outGroup: string; outPort: number;
}

/** Rule i of n streams: input group i, output group i, so the sink tells the streams apart by group. */
export function streamRules(t: Template, n: number): RuleSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `scale-${i}`,
    input: { interface: t.input, group: nthGroup(t.inGroup, i), port: t.inPort },
    outputs: [{ interface: t.output, group: nthGroup(t.outGroup, i), port: t.outPort }],
  }));
}

/** One rule fanning the template input out to `outputs` groups on the output interface. */
export function fanoutRule(t: Template, outputs: number): RuleSpec {
  return {
    name: 'scale-fanout',
    input: { interface: t.input, group: t.inGroup, port: t.inPort },
    outputs: Array.from({ length: outputs }, (_, i) => ({ interface: t.output, group: nthGroup(t.outGroup, i), port: t.outPort })),
  };
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The value at quantile q (0..1) of a non-empty list, nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
