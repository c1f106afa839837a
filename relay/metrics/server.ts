/**
 * The metrics HTTP endpoint (`mcrd --metrics-listen ADDR:PORT`), on node:http:
 *
 *   GET /metrics  → 200 text/plain; version=0.0.4 (Prometheus text format, rendered per scrape)
 *   GET /         → 200 a short page pointing to /metrics
 *   other paths   → 404; methods other than GET/HEAD → 405
 *   collect fails → 500 with its message; collect too slow → 503 (the collect keeps running)
 *
 * Scrapes arriving while a collect is under way share it, so a burst of scrapers costs one counter
 * read of the workers; a collect older than the timeout is not shared, so one stuck collect cannot
 * hold every later scrape. Tested with real HTTP requests in server.test.ts.
 *
 *   curl -s http://127.0.0.1:9477/metrics | grep mcr_rule_packets_total
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../daemon/log.js';
import { McrError } from '../errors.js';
import { CONTENT_TYPE, renderMetrics } from './exposition.js';
import type { MetricsInput } from './input.js';
import { LISTEN_FLAG, type ListenAddress, formatListen, parseListen } from './listen.js';

export const DEFAULT_COLLECT_TIMEOUT_MS = 8000;
/** Scrapers beyond this many open connections are refused, so a connection loop cannot exhaust fds. */
export const MAX_CONNECTIONS = 32;

export interface MetricsServerOptions {
  /** `ADDR:PORT`, `[ADDR]:PORT` or `:PORT` (see listen.ts), or an already parsed address. */
  listen: string | ListenAddress;
  collect: () => Promise<MetricsInput> | MetricsInput;
  log?: Logger;
  /**
   * Answer 503 when a collect takes longer than this (default 8 s, under Prometheus' default 10 s
   * scrape timeout). A shorter X-Prometheus-Scrape-Timeout-Seconds from the scraper wins.
   */
  timeoutMs?: number;
}

export interface MetricsServer {
  /** Where it listens, as `127.0.0.1:9477` / `[::1]:9477` (the real port when 0 was asked); the caller logs it. */
  address: string;
  port: number;
  close(): Promise<void>;
}

const INDEX = `<!doctype html>
<html><head><title>mcrd metrics</title></head>
<body><h1>mcrd</h1><p>Prometheus metrics: <a href="/metrics">/metrics</a></p></body></html>
`;

/** Listen and serve; throws McrError naming `--metrics-listen` if the address is bad or taken. */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const where = typeof o.listen === 'string' ? parseListen(o.listen) : o.listen;
  const timeoutMs = o.timeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS;
  const render = shared(async () => renderMetrics(await o.collect()), timeoutMs);

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/') return reply(res, 404, 'text/plain; charset=utf-8', `not found: ${path}; metrics are at /metrics\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return reply(res, 405, 'text/plain; charset=utf-8', `method ${req.method} not allowed; use GET\n`);
    }
    if (path === '/') return reply(res, 200, 'text/html; charset=utf-8', INDEX);
    const limit = scrapeTimeout(req.headers['x-prometheus-scrape-timeout-seconds'], timeoutMs);
    withTimeout(render(), limit).then(
      (body) => reply(res, 200, CONTENT_TYPE, body),
      (err: Error) => {
        const timedOut = err instanceof CollectTimeout;
        o.log?.warn(timedOut ? 'metrics scrape timed out' : 'metrics scrape failed', { error: err.message });
        reply(res, timedOut ? 503 : 500, 'text/plain; charset=utf-8', `${timedOut ? '' : 'collecting metrics failed: '}${err.message}\n`);
      },
    );
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.on('clientError', (_err, sock) => sock.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, formatListen(where))));
    server.listen(where.port, where.host, () => resolve());
  });
  server.on('error', (err) => o.log?.error('metrics server error', { error: err.message }));
  const port = (server.address() as AddressInfo).port;
  const address = formatListen({ host: where.host, port });
  return {
    address, port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

class CollectTimeout extends Error {}

/**
 * Concurrent callers share one run of `fn` while it is younger than `maxAgeMs`; after that a caller
 * starts a fresh run rather than waiting on a run that already blew its deadline.
 */
function shared<T>(fn: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let cur: { p: Promise<T>; at: number } | undefined;
  return () => {
    const now = Date.now();
    if (cur && now - cur.at < maxAgeMs) return cur.p;
    const run = { p: fn(), at: now };
    cur = run;
    run.p.then(() => {}, () => {}).finally(() => { if (cur === run) cur = undefined; });
    return run.p;
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new CollectTimeout(`collecting metrics took longer than ${ms} ms; try again`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

/** Prometheus says how long it will wait; answer a little before that so it gets our 503, not its own timeout. */
function scrapeTimeout(header: string | string[] | undefined, ms: number): number {
  const s = Number(Array.isArray(header) ? header[0] : header);
  if (!Number.isFinite(s) || s <= 0) return ms;
  return Math.min(ms, Math.max(100, s * 1000 - 500));
}

function reply(res: http.ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

function listenError(err: NodeJS.ErrnoException, where: string): McrError {
  const why: Record<string, string> = {
    EADDRINUSE: 'address in use; another mcrd or exporter listens there, pick another port',
    EADDRNOTAVAIL: 'no local interface has this address; use one of this host\'s addresses or :PORT for all',
    EACCES: 'permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE',
    EAFNOSUPPORT: 'IPv6 is not available here; use an IPv4 address',
  };
  return new McrError({ code: 'EIO', source: LISTEN_FLAG, detail: `cannot listen on ${where}: ${why[err.code ?? ''] ?? err.message}` });
}
