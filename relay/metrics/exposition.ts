/**
 * mcrd's metric families, rendered from a MetricsInput as Prometheus text format 0.0.4. Every family
 * is emitted (HELP and TYPE) even with no rules or workers, and series that can be enumerated up
 * front (malformed reasons, worker states) are emitted at 0, so `rate()` and `increase()` see their
 * first increment. The list with meanings is in docs/metrics.md. Tested in exposition.test.ts.
 */
import type { WorkerState } from '../control/api.js';
import type { MalformedReason, OutputCounters, RuleCounters } from '../engine/types.js';
import { type Family, type Sample, nsToSeconds, renderFamily } from './format.js';
import type { MetricsInput, MetricsOutput, MetricsRule } from './input.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// Records rather than arrays so the compiler notices a reason or state added to types.ts / api.ts.
const MALFORMED: Record<MalformedReason, true> = {
  truncatedEthernet: true, truncatedVlan: true, notIpv4: true, badIpVersion: true, badIhl: true, badIpTotalLength: true,
  truncatedIp: true, fragment: true, notUdp: true, truncatedUdp: true, badUdpLength: true, badIpChecksum: true,
};
export const MALFORMED_REASONS = Object.keys(MALFORMED) as MalformedReason[];
const STATES: Record<WorkerState, true> = { starting: true, running: true, restarting: true, failed: true, stopped: true };
export const WORKER_STATES = Object.keys(STATES) as WorkerState[];

/** Send errors whose errno the engine did not name; normally 0, present so each output has a series from the start. */
export const OTHER_ERRNO = 'other';

const ZERO_RULE: RuleCounters = { packets: 0n, bytes: 0n, lastPacketNs: 0n };
const ZERO_OUTPUT: OutputCounters = { packets: 0n, bytes: 0n, sendErrors: 0n, errorsByErrno: {} };

/** The whole exposition text for one scrape. */
export function renderMetrics(m: MetricsInput): string {
  return buildFamilies(m).map(renderFamily).join('');
}

export function buildFamilies(m: MetricsInput): Family[] {
  const c = m.counters;
  const ruleRows = m.rules.map((r) => ({
    labels: { rule: r.id, input_interface: r.input.interface, group: r.input.group, port: r.input.port },
    c: (r.slot === undefined ? undefined : c.rules.get(r.slot)) ?? ZERO_RULE,
  }));
  const outRows = m.rules.flatMap((r) => r.outputs.map((o) => ({ labels: outputLabels(r, o), c: outputCounters(m, o) })));
  const g = c.global;
  const malformedKeys = [...MALFORMED_REASONS, ...Object.keys(g.malformed).filter((k) => !(k in MALFORMED))];
  const stateCount = new Map(WORKER_STATES.map((s) => [s, 0]));
  for (const w of m.workers) stateCount.set(w.state, (stateCount.get(w.state) ?? 0) + 1);

  return [
    { name: 'mcr_build_info', type: 'gauge', help: 'Always 1; labels carry the mcrd version, the egress backend in use and the Node.js version.',
      samples: [{ labels: { version: m.build.version, backend: m.build.backend, node: m.build.node }, value: 1 }] },
    { name: 'mcr_start_time_seconds', type: 'gauge', help: 'Start time of the mcrd supervisor, seconds since the Unix epoch.',
      samples: [{ value: m.startTimeSeconds }] },
    { name: 'mcr_rules', type: 'gauge', help: 'Rules in the running table.', samples: [{ value: m.rules.length }] },

    counter('mcr_rule_packets_total', 'UDP datagrams matched by the rule\'s input (all workers).', ruleRows.map((r) => ({ labels: r.labels, value: r.c.packets }))),
    counter('mcr_rule_bytes_total', 'UDP payload bytes matched by the rule\'s input (all workers).', ruleRows.map((r) => ({ labels: r.labels, value: r.c.bytes }))),
    { name: 'mcr_rule_last_packet_timestamp_seconds', type: 'gauge', help: 'Time of the last datagram matched by the rule, seconds since the Unix epoch; 0 if none yet.',
      samples: ruleRows.map((r) => ({ labels: r.labels, value: nsToSeconds(r.c.lastPacketNs) })) },

    counter('mcr_output_packets_total', 'Datagrams sent to the output.', outRows.map((o) => ({ labels: o.labels, value: o.c.packets }))),
    counter('mcr_output_bytes_total', 'UDP payload bytes sent to the output.', outRows.map((o) => ({ labels: o.labels, value: o.c.bytes }))),
    counter('mcr_output_send_errors_total', `Failed sends to the output by errno name; errno="${OTHER_ERRNO}" counts failures the engine did not name.`,
      outRows.flatMap((o) => errnoSamples(o.labels, o.c))),

    counter('mcr_rx_frames_total', 'Frames read from the RX rings, matched or not.', [{ value: g.rxFrames }]),
    counter('mcr_rx_bytes_total', 'Bytes of the frames read from the RX rings.', [{ value: g.rxBytes }]),
    counter('mcr_ring_drops_total', 'Frames the kernel dropped because an RX ring was full (PACKET_STATISTICS tp_drops).', [{ value: g.ringDrops }]),
    counter('mcr_ring_freezes_total', 'Times an RX ring queue was frozen because it was full (tp_freeze_q_cnt).', [{ value: g.ringFreezes }]),
    counter('mcr_unmatched_frames_total', 'Well-formed IPv4 UDP frames that matched no rule.', [{ value: g.unmatched }]),
    counter('mcr_malformed_frames_total', 'Frames dropped as malformed, by reason.',
      malformedKeys.map((k) => ({ labels: { reason: k }, value: g.malformed[k as MalformedReason] ?? 0n }))),
    counter('mcr_source_watch_total', 'PIM source discovery in the engine: (S,G) reports sent, and flows or reports it dropped (tableFull, rateLimited, queueFull).',
      Object.entries(g.sources ?? {}).map(([k, v]) => ({ labels: { event: k }, value: v }))),

    { name: 'mcr_workers', type: 'gauge', help: 'Data-plane worker processes by state.',
      samples: WORKER_STATES.map((s) => ({ labels: { state: s }, value: stateCount.get(s) ?? 0 })) },
    counter('mcr_worker_restarts_total', 'Times the supervisor restarted the worker after it exited.',
      m.workers.map((w) => ({ labels: { worker: w.index }, value: w.restarts }))),
    { name: 'mcr_worker_pid', type: 'gauge', help: 'Process id of the worker\'s current instance (absent while it is not running).',
      samples: m.workers.filter((w) => w.pid !== null).map((w) => ({ labels: { worker: w.index }, value: w.pid! })) },

    counter('mcr_control_requests_total', 'Control-socket requests by command and result (ok, or the error code replied).',
      m.controlRequests.map((r) => ({ labels: { command: r.command, result: r.result }, value: r.count }))),
    ...(m.protocols ?? []),
  ];
}

const counter = (name: string, help: string, samples: Sample[]): Family => ({ name, type: 'counter', help, samples });

function outputLabels(r: MetricsRule, o: MetricsOutput) {
  return { rule: r.id, output_interface: o.interface, group: o.group, port: o.port };
}

function outputCounters(m: MetricsInput, o: MetricsOutput): OutputCounters {
  return (o.slot === undefined ? undefined : m.counters.outputs.get(o.slot)) ?? ZERO_OUTPUT;
}

/** One sample per errno seen, plus `other` for the remainder, so the samples sum to sendErrors. */
function errnoSamples(labels: Record<string, string | number>, c: OutputCounters): Sample[] {
  const named = Object.entries(c.errorsByErrno).filter(([e]) => e !== OTHER_ERRNO).sort(([a], [b]) => a.localeCompare(b));
  const sum = named.reduce((s, [, n]) => s + n, 0n);
  const rest = c.sendErrors > sum ? c.sendErrors - sum : 0n;
  return [...named.map(([errno, n]) => ({ labels: { ...labels, errno }, value: n })), { labels: { ...labels, errno: OTHER_ERRNO }, value: rest }];
}
