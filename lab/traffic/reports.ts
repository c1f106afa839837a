/**
 * The JSON reports of mcr-gen and mcr-sink (`--json`), as types and as zod schemas that check the
 * binaries' output before the lab relies on it. Field meanings: docs/traffic.md.
 *
 * Example (mcr-gen): {"sent":10000,"errors":0,"retries":0,"deviceDrops":0,"elapsedNs":499950123,"achievedPps":20002.0,
 *   "ratePps":20000,"payloadBytes":1316,"tx":"udp","threads":1,"cpuNs":41200000,"lastError":null,"streams":[{"streamId":1,"dst":"239.1.1.1:5000","sent":10000}]}
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();

export const GenReportSchema = z.object({
  sent: count,
  errors: count,
  retries: count,
  /** --tx packet: frames the device refused (ENOBUFS: on veth the receiving CPU's backlog was full); counted sent, the sink counts them lost. */
  deviceDrops: count.optional(),
  elapsedNs: count,
  achievedPps: z.number().nonnegative(),
  ratePps: count,
  payloadBytes: count,
  /** "udp" (UDP socket) or "packet" (raw frames on AF_PACKET). */
  tx: z.enum(['udp', 'packet']),
  threads: count,
  /** CPU time the generator used (user + system, incl. softirq work done in its context). */
  cpuNs: count,
  lastError: z.string().nullable(),
  streams: z.array(z.object({ streamId: count, dst: z.string(), sent: count })),
});
export type GenReport = z.infer<typeof GenReportSchema>;

export const LatencySchema = z.object({
  p50: count,
  p90: count,
  p99: count,
  p999: count,
  max: count,
  min: count,
  mean: z.number().nonnegative(),
  samples: count,
});
export type SinkLatencyNs = z.infer<typeof LatencySchema>;

export const SinkStreamSchema = z.object({
  streamId: count,
  received: count,
  lost: count,
  duplicates: count,
  reordered: count,
  firstSeq: count,
  lastSeq: count,
});
export type SinkStream = z.infer<typeof SinkStreamSchema>;

export const SinkListenSchema = z.object({
  group: z.string(),
  port: count,
  received: count,
  bytes: count,
  lost: count,
  duplicates: count,
  reordered: count,
  late: count,
  payloadErrors: count,
  firstSeq: count.nullable(),
  lastSeq: count.nullable(),
  streams: z.array(SinkStreamSchema),
  /** null when nothing valid arrived. */
  latencyNs: LatencySchema.nullable(),
});
export type SinkListen = z.infer<typeof SinkListenSchema>;

export const SinkReportSchema = z.object({
  listens: z.array(SinkListenSchema),
  /** From ready to the end of the run. */
  elapsedNs: count,
  /** From the first to the last datagram received (any listen). */
  activeNs: count,
  recvErrors: count,
  /** CPU time the sink used (user + system). */
  cpuNs: count,
  /** Arrival clock of the latencies: the kernel's receive stamp, userspace after recvmmsg, or both. */
  rxTimestamp: z.enum(['kernel', 'user', 'mixed']),
});
export type SinkReport = z.infer<typeof SinkReportSchema>;

/**
 * Parse a tool's stdout as its report.
 * @throws Error naming the tool and the first schema mismatch when the output is not a valid report
 */
export function parseReport<T>(tool: string, schema: z.ZodType<T>, stdout: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    throw new Error(`${tool}: expected a JSON report on stdout, got ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${tool}: report ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
