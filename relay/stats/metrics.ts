/**
 * Prometheus / OpenMetrics text for `mcrd --metrics-listen ADDR:PORT` (GET /metrics): per rule and
 * per output counters, send errors by errno, global drops by reason, workers. Names follow Prometheus
 * conventions (`_total` counters, base units). Tested in metrics.test.ts.
 *
 *   curl -s http://127.0.0.1:9477/metrics | grep mcr_output_packets_total
 */
import http from 'node:http';
import type { StatsView, WorkerView } from '../control/api.js';
import { McrError } from '../errors.js';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;

/** Render stats and workers as Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(s: StatsView, workers: WorkerView[]): string {
  const out: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[Record<string, string>, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) out.push(`${name}${Object.keys(l).length ? labels(l) : ''} ${v}`);
  };
  const rule = (id: string) => ({ rule: id });
  const output = (id: string, o: { group: string; port: number; interface: string }) => ({ rule: id, output: `${o.group}:${o.port}:${o.interface}` });
  family('mcr_rules', 'gauge', 'Forwarding rules installed.', [[{}, s.rules.length]]);
  family('mcr_rule_packets_total', 'counter', 'Datagrams matched by a rule.', s.rules.map((r) => [rule(r.id), r.packets]));
  family('mcr_rule_bytes_total', 'counter', 'UDP payload bytes matched by a rule.', s.rules.map((r) => [rule(r.id), r.bytes]));
  family('mcr_output_packets_total', 'counter', 'Datagrams sent by an output.', s.rules.flatMap((r) => r.outputs.map((o) => [output(r.id, o), o.packets] as [Record<string, string>, number])));
  family('mcr_output_bytes_total', 'counter', 'UDP payload bytes sent by an output.', s.rules.flatMap((r) => r.outputs.map((o) => [output(r.id, o), o.bytes] as [Record<string, string>, number])));
  family('mcr_output_send_errors_total', 'counter', 'Failed sends of an output, by errno.', s.rules.flatMap((r) => r.outputs.flatMap((o) =>
    Object.entries(o.errorsByErrno).map(([errno, n]) => [{ ...output(r.id, o), errno }, n] as [Record<string, string>, number]))));
  const g = s.global;
  family('mcr_rx_frames_total', 'counter', 'Frames read from the RX rings.', [[{}, g.rxFrames]]);
  family('mcr_rx_bytes_total', 'counter', 'Bytes of frames read from the RX rings.', [[{}, g.rxBytes]]);
  family('mcr_ring_drops_total', 'counter', 'Frames the kernel dropped because an RX ring was full.', [[{}, g.ringDrops]]);
  family('mcr_ring_freezes_total', 'counter', 'Times an RX ring queue froze.', [[{}, g.ringFreezes]]);
  family('mcr_unmatched_total', 'counter', 'Well-formed frames that matched no rule.', [[{}, g.unmatched]]);
  family('mcr_malformed_total', 'counter', 'Frames dropped as malformed, by reason.', Object.entries(g.malformed).map(([reason, n]) => [{ reason }, n]));
  family('mcr_worker_up', 'gauge', 'Whether a data-plane worker is running.', workers.map((w) => [{ worker: String(w.index) }, w.state === 'running' ? 1 : 0]));
  family('mcr_worker_restarts_total', 'counter', 'Restarts of a data-plane worker.', workers.map((w) => [{ worker: String(w.index) }, w.restarts]));
  return `${out.join('\n')}\n`;
}

/** Parse `ADDR:PORT` (IPv4 or `[v6]`); throws McrError naming the flag. */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new McrError({ code: 'EINVAL', source: '--metrics-listen', detail: `expected ADDR:PORT like 127.0.0.1:9477, got ${JSON.stringify(v)}` });
  return { host: (m[1] ?? m[2])!, port };
}

/** Serve GET /metrics from `collect`; resolves once listening. */
export async function startMetricsServer(listen: string, collect: () => Promise<string>): Promise<{ close(): Promise<void>; port: number }> {
  const { host, port } = parseListen(listen);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('mcrd serves /metrics only\n');
      return;
    }
    collect().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new McrError({ code: 'EIO', source: '--metrics-listen', detail: `cannot listen on ${listen}: ${err.message}` })));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
