import http from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../daemon/log.js';
import { emptyGlobal } from '../stats/counters.js';
import { parseExposition } from './fixtures/parse-text.js';
import type { MetricsInput } from './input.js';
import { parseListen } from './listen.js';
import { type MetricsServer, startMetricsServer } from './server.js';

const input = (packets: bigint): MetricsInput => ({
  rules: [{ id: 'cam1', slot: 0, input: { interface: 'eth0', group: '239.1.1.1', port: 5001 }, outputs: [{ slot: 0, interface: 'eth1', group: '239.2.2.2', port: 6001 }] }],
  counters: {
    global: { ...emptyGlobal(), rxFrames: packets },
    rules: new Map([[0, { packets, bytes: packets * 100n, lastPacketNs: 0n }]]),
    outputs: new Map([[0, { packets, bytes: packets * 100n, sendErrors: 0n, errorsByErrno: {} }]]),
  },
  workers: [{ index: 0, pid: process.pid, state: 'running', restarts: 0 }],
  controlRequests: [],
  startTimeSeconds: 1,
  build: { version: 't', backend: 'mmsg', node: process.version },
});

interface Res { status: number; headers: http.IncomingHttpHeaders; body: string }

function request(s: MetricsServer, path: string, o: { method?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, path, method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const servers: MetricsServer[] = [];
async function start(o: Omit<Parameters<typeof startMetricsServer>[0], 'listen'> & { listen?: string }): Promise<MetricsServer> {
  const s = await startMetricsServer({ listen: '127.0.0.1:0', ...o });
  servers.push(s);
  return s;
}
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });

describe('metrics server', () => {
  test('GET /metrics answers 200 with the 0.0.4 content type and fresh samples on every scrape', async () => {
    let n = 0n;
    const s = await start({ collect: () => input((n += 1000n)) });
    expect(s.address).toBe(`127.0.0.1:${s.port}`);
    expect(s.port).toBeGreaterThan(0);
    const a = await request(s, '/metrics');
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Number(a.headers['content-length'])).toBe(Buffer.byteLength(a.body));
    const fams = parseExposition(a.body);
    expect(fams.get('mcr_rule_packets_total')!.samples).toEqual([
      { name: 'mcr_rule_packets_total', labels: { rule: 'cam1', input_interface: 'eth0', group: '239.1.1.1', port: '5001' }, value: '1000' },
    ]);
    const b = await request(s, '/metrics?x=1');
    expect(b.body).toContain('mcr_output_packets_total{rule="cam1",output_interface="eth1",group="239.2.2.2",port="6001"} 2000\n');
  });

  test('HEAD /metrics has the headers and no body; GET / points to /metrics', async () => {
    const s = await start({ collect: () => input(1n) });
    const h = await request(s, '/metrics', { method: 'HEAD' });
    expect(h).toMatchObject({ status: 200, body: '' });
    expect(h.headers['content-type']).toContain('version=0.0.4');
    const root = await request(s, '/');
    expect(root.status).toBe(200);
    expect(root.headers['content-type']).toContain('text/html');
    expect(root.body).toContain('href="/metrics"');
  });

  test('other paths are 404 and other methods 405 with Allow', async () => {
    const s = await start({ collect: () => input(1n) });
    expect(await request(s, '/metricsx')).toMatchObject({ status: 404, body: expect.stringContaining('/metrics') });
    expect(await request(s, '/favicon.ico')).toMatchObject({ status: 404 });
    const p = await request(s, '/metrics', { method: 'POST' });
    expect(p).toMatchObject({ status: 405, body: 'method POST not allowed; use GET\n' });
    expect(p.headers.allow).toBe('GET, HEAD');
    expect((await request(s, '/', { method: 'DELETE' })).status).toBe(405);
  });

  test('a collect that throws gives 500 with its message, is logged, and the next scrape succeeds', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', json: false, write: (l) => lines.push(l) });
    let fail = true;
    const s = await start({
      log,
      collect: async () => {
        if (fail) { fail = false; throw new Error('worker 0 did not answer counters within 5000 ms'); }
        return input(7n);
      },
    });
    const bad = await request(s, '/metrics');
    expect(bad).toMatchObject({ status: 500, body: 'collecting metrics failed: worker 0 did not answer counters within 5000 ms\n' });
    expect(lines.join('\n')).toContain('metrics scrape failed');
    const good = await request(s, '/metrics');
    expect(good.status).toBe(200);
    expect(good.body).toContain('mcr_rx_frames_total 7\n');
  });

  test('a collect that throws synchronously is a 500 too, not a crash', async () => {
    const s = await start({ collect: () => { throw new Error('boom'); } });
    expect(await request(s, '/metrics')).toMatchObject({ status: 500, body: 'collecting metrics failed: boom\n' });
    expect((await request(s, '/')).status).toBe(200);
  });

  test('a stuck collect answers 503 after the timeout while / and later scrapes are still served', async () => {
    let calls = 0;
    const s = await start({
      timeoutMs: 200,
      collect: () => (++calls === 1 ? new Promise<MetricsInput>(() => {}) : input(3n)),
    });
    const slow = request(s, '/metrics');
    // The server is not blocked while the first collect hangs.
    expect((await request(s, '/')).status).toBe(200);
    expect(await slow).toMatchObject({ status: 503, body: expect.stringContaining('took longer than 200 ms') });
    // The stuck run is older than the timeout, so this scrape starts a fresh collect instead of waiting on it.
    const next = await request(s, '/metrics');
    expect(next.status).toBe(200);
    expect(next.body).toContain('mcr_rx_frames_total 3\n');
    expect(calls).toBe(2);
  });

  test('a shorter scrape timeout sent by Prometheus wins over the configured one', async () => {
    const s = await start({ timeoutMs: 60_000, collect: () => new Promise<MetricsInput>(() => {}) });
    const r = await request(s, '/metrics', { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '0.7' } });
    expect(r).toMatchObject({ status: 503, body: expect.stringContaining('took longer than 200 ms') });
  });

  test('concurrent scrapes share one collect', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const s = await start({ collect: async () => { calls++; await gate; return input(5n); } });
    const rs = [request(s, '/metrics'), request(s, '/metrics'), request(s, '/metrics')];
    // Wait until all three requests have reached the server before letting the collect finish.
    while (calls === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    release();
    const done = await Promise.all(rs);
    expect(done.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(calls).toBe(1);
  });

  test('an address in use is refused naming the flag', async () => {
    const s = await start({ collect: () => input(1n) });
    await expect(startMetricsServer({ listen: `127.0.0.1:${s.port}`, collect: () => input(1n) }))
      .rejects.toThrow(`--metrics-listen: cannot listen on 127.0.0.1:${s.port}: address in use`);
  });

  test('IPv6 loopback in brackets works', async () => {
    let s: MetricsServer;
    try {
      s = await start({ listen: '[::1]:0', collect: () => input(1n) });
    } catch (err) {
      // Containers without IPv6 cannot run this; the refusal must still name the flag.
      expect((err as Error).message).toMatch(/^--metrics-listen: cannot listen on \[::1\]:0/);
      return;
    }
    expect(s.address).toBe(`[::1]:${s.port}`);
    const r = await new Promise<number>((resolve, reject) => {
      http.get({ host: '::1', port: s.port, path: '/metrics', agent: false }, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject);
    });
    expect(r).toBe(200);
  });
});

describe('parseListen', () => {
  test.each([
    ['127.0.0.1:9477', { host: '127.0.0.1', port: 9477 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    [':9477', { host: '0.0.0.0', port: 9477 }],
    ['[::1]:9477', { host: '::1', port: 9477 }],
    ['[::]:65535', { host: '::', port: 65535 }],
    ['[fe80::1%eth0]:9477', { host: 'fe80::1%eth0', port: 9477 }],
  ])('%j parses', (s, want) => {
    expect(parseListen(s)).toEqual(want);
  });

  test.each([
    ['x', '--metrics-listen: expected ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477), got "x" (string)'],
    ['9477', 'got "9477" (string)'],
    ['127.0.0.1', 'got "127.0.0.1" (string)'],
    ['127.0.0.1:', 'the port must be an integer 0-65535'],
    ['127.0.0.1:65536', 'the port must be an integer 0-65535'],
    ['127.0.0.1:80a', 'the port must be an integer 0-65535'],
    ['localhost:9477', '"localhost" is not an IPv4 address'],
    ['300.1.1.1:9477', '"300.1.1.1" is not an IPv4 address'],
    ['::1:9477', 'put an IPv6 address in brackets'],
    ['[127.0.0.1]:9477', 'in brackets is not an IPv6 address'],
    ['[::1:9477', 'expected ADDR:PORT'],
    ['', 'got "" (string)'],
  ])('%j is refused: %s', (s, why) => {
    expect(() => parseListen(s)).toThrow(why);
  });
});
