/**
 * The soak's traffic, in segments: every segment runs fresh generators for SEGMENT_S seconds with
 * stream ids of its own (segment k, stream i → id 20k + i), while the sinks run throughout. The
 * sinks' per-stream-id counts then give each segment's delivery per output exactly, tail included,
 * without ever restarting a sink. A sink keeps at most 256 stream ids per listen, so sinks are
 * replaced every SINK_EPOCH segments, between two segments (nothing in flight).
 */
import { runGenerator, startSink, type SinkHandle, type SinkReport } from '../lab/traffic/traffic.js';
import { STREAMS, type StreamRule, type Topology, UNROUTABLE_SOURCE, outputKey } from './topology.js';

export const SEGMENT_S = 10;
const SINK_EPOCH = 240;
const PAYLOAD_BYTES = 200;

export interface SegmentTraffic { startMs: number; endMs: number; sent: Map<number, number>; genErrors: number }

/** Stream id of stream `i` (1-based) in segment `k`. */
export const streamId = (k: number, i: number) => k * STREAMS + i;

interface SinkSet { handles: Array<{ ns: string; h: SinkHandle }> }

export class SoakTraffic {
  private sinks: SinkSet | undefined;
  private readonly reports: SinkReport[] = [];

  constructor(private readonly t: Topology, private readonly rules: StreamRule[], readonly streamPps: number) {}

  private listens(ns: 's1' | 's2' | 's3'): string[] {
    const ifname = { s1: 'r1', s2: 'r2', s3: 'r3' }[ns];
    return this.rules.flatMap((r) => r.outputs.filter((o) => o.interface === ifname).map((o) => `${o.group}:${o.port}`));
  }

  async startSinks(): Promise<void> {
    const handles: SinkSet['handles'] = [];
    for (const ns of ['s1', 's2', 's3'] as const) {
      const ifn = { s1: 's1a', s2: 's2a', s3: undefined }[ns];
      const h = await startSink({ netns: this.t[ns], listen: this.listens(ns), ...(ifn ? { interface: ifn } : {}), durationS: 24 * 3600 });
      handles.push({ ns: this.t[ns], h });
    }
    this.sinks = { handles };
  }

  /** Before segment k: a new sink epoch when the ids of the current one are used up. */
  async beforeSegment(k: number): Promise<void> {
    if (k > 0 && k % SINK_EPOCH === 0) await this.stopSinks().then(() => this.startSinks());
  }

  async runSegment(k: number): Promise<SegmentTraffic> {
    const routed = this.rules.filter((r) => r.stream !== STREAMS);
    const startMs = Date.now();
    const [main, odd] = await Promise.all([
      runGenerator({ netns: this.t.g, interface: 'g0', dst: routed.map((r) => `${r.input.group}:${r.input.port}`), streamId: streamId(k, 1),
        ratePps: this.streamPps * routed.length, durationS: SEGMENT_S, payloadBytes: PAYLOAD_BYTES, tx: 'packet' }),
      runGenerator({ netns: this.t.g, interface: 'g0', bind: UNROUTABLE_SOURCE, dst: [`239.10.0.${STREAMS}:${5000 + STREAMS}`], streamId: streamId(k, STREAMS),
        ratePps: this.streamPps, durationS: SEGMENT_S, payloadBytes: PAYLOAD_BYTES }),
    ]);
    const sent = new Map<number, number>();
    for (const s of [...main.streams, ...odd.streams]) sent.set(s.streamId, s.sent);
    return { startMs, endMs: Date.now(), sent, genErrors: main.errors + odd.errors };
  }

  async stopSinks(): Promise<void> {
    if (!this.sinks) return;
    // Let the last datagrams through the relay before the sinks report.
    await new Promise((r) => setTimeout(r, 1500));
    for (const { h } of this.sinks.handles) this.reports.push(await h.stop());
    this.sinks = undefined;
  }

  /** Per output: unique datagrams received of stream id `id`, over every sink epoch. */
  received(): Map<string, Map<number, number>> {
    const out = new Map<string, Map<number, number>>();
    const byListen = new Map(this.rules.flatMap((r) => r.outputs.map((o) => [`${o.group}:${o.port}`, outputKey(o)] as const)));
    for (const rep of this.reports) {
      for (const l of rep.listens) {
        const key = byListen.get(`${l.group}:${l.port}`);
        if (!key) continue;
        const m = out.get(key) ?? new Map<number, number>();
        for (const s of l.streams) m.set(s.streamId, (m.get(s.streamId) ?? 0) + s.received - s.duplicates);
        out.set(key, m);
      }
    }
    return out;
  }

  /** Datagrams the sinks' sockets dropped (full receive buffer), from /proc/net/udp of their namespaces. */
  async socketDrops(): Promise<number> {
    let drops = 0;
    for (const ns of [this.t.s1, this.t.s2, this.t.s3]) {
      const text = await this.t.lab.exec(ns, ['cat', '/proc/net/udp']);
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 12) drops += Number(f[f.length - 1]);
      }
    }
    return drops;
  }
}
