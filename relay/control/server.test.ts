import { stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryDataPlane } from '../../test/support/memory-data-plane.js';
import { createControlApi } from '../daemon/control-api.js';
import { silentLogger } from '../daemon/log.js';
import { RuleService } from '../daemon/rule-service.js';
import { RateSampler } from '../stats/rates.js';
import { sumCounters } from '../stats/counters.js';
import { ControlClient } from './client.js';
import { type ControlServer, type ControlServerOptions, startControlServer } from './server.js';
import { tempDir } from '../../test/support/tmp.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

async function daemon(opts: ControlServerOptions = {}) {
  const dir = await tempDir('ctl');
  const path = join(dir, 'control.sock');
  const dp = new MemoryDataPlane();
  const log = silentLogger();
  const rules = new RuleService({ dataPlane: dp, log, interfaceExists: (n) => ['eth0', 'eth1'].includes(n) });
  const sampler = new RateSampler(async () => sumCounters(await dp.counters()));
  const api = createControlApi({ rules, dataPlane: dp, sampler, log, backend: () => 'mmsg', reload: async () => ({ added: [], removed: [], changed: [], unchanged: 0 }) });
  const server: ControlServer = await startControlServer(path, api, log, opts);
  cleanups.push(() => server.close());
  return { path, dp, rules, sampler, server, dir };
}

/** A raw connection: write bytes, read reply lines. */
async function raw(path: string) {
  const s = net.connect(path);
  await new Promise((r) => s.once('connect', r));
  cleanups.push(() => { s.destroy(); });
  let buf = '';
  const waiters: Array<() => void> = [];
  s.on('data', (d) => { buf += d.toString(); waiters.splice(0).forEach((w) => w()); });
  return {
    write: (t: string | Buffer) => s.write(t),
    /** Wait for n reply lines. */
    async read(n: number): Promise<Array<Record<string, unknown>>> {
      while (buf.split('\n').length - 1 < n) await new Promise<void>((r) => waiters.push(r));
      const lines = buf.split('\n');
      buf = lines.slice(n).join('\n');
      return lines.slice(0, n).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

/** Like `… | socat - UNIX-CONNECT:path`: write everything, half-close, read until the daemon closes. */
async function halfClosed(path: string, text: string): Promise<string> {
  const s = net.connect(path);
  cleanups.push(() => { s.destroy(); });
  let out = '';
  s.on('data', (d) => { out += d.toString(); });
  const closed = new Promise<void>((resolve, reject) => { s.once('close', () => resolve()); s.once('error', reject); });
  s.end(text);
  await closed;
  return out;
}

const waitClosed = () => new Promise((r) => setTimeout(r, 50));

const rule = { name: 'cam1', input: { interface: 'eth0', group: '239.1.1.1', port: 5001 }, outputs: [{ interface: 'eth1', group: '239.10.10.10', port: 6001 }] };

describe('control server on a real Unix socket', () => {
  test('the socket file has mode 0660', async () => {
    const { path } = await daemon();
    expect((await stat(path)).mode & 0o777).toBe(0o660);
  });

  test('the socket can be handed to a group (root only)', async () => {
    if (process.getuid?.() !== 0) return;
    const dir = await tempDir('ctl');
    const path = join(dir, 'g.sock');
    const srv = await startControlServer(path, {} as never, silentLogger(), { group: '65534' });
    cleanups.push(() => srv.close());
    expect((await stat(path)).gid).toBe(65534);
    await expect(startControlServer(join(dir, 'h.sock'), {} as never, silentLogger(), { group: 'mcrR-nogroup' })).rejects.toThrow('--socket-group: no group "mcrR-nogroup" in /etc/group');
  });

  test('add, list, stats and remove round-trip through the client', async () => {
    const { path, dp } = await daemon();
    const c = await ControlClient.connect(path);
    cleanups.push(() => c.close());
    const added = await c.request<{ rule: { id: string; outputs: Array<{ ttl: number }> } }>('add', { rule });
    expect(added.rule).toMatchObject({ id: 'cam1', origin: 'runtime', outputs: [{ ttl: 16 }] });
    expect(dp.table).toHaveLength(1);
    dp.snapshot = {
      global: { rxFrames: 10n, rxBytes: 1000n, ringDrops: 0n, ringFreezes: 0n, unmatched: 2n, malformed: { badIhl: 1n } as never },
      rules: new Map([[0, { packets: 8n, bytes: 800n, lastPacketNs: BigInt(Date.now() - 1500) * 1_000_000n }]]),
      outputs: new Map([[0, { packets: 8n, bytes: 800n, sendErrors: 1n, errorsByErrno: { ENOBUFS: 1n } }]]),
    };
    const s = await c.request<{ rules: Array<Record<string, unknown>>; global: Record<string, unknown> }>('stats');
    expect(s.global).toMatchObject({ rxFrames: 10, unmatched: 2, malformed: { badIhl: 1 } });
    expect(s.rules[0]).toMatchObject({ id: 'cam1', packets: 8, bytes: 800, outputs: [{ packets: 8, sendErrors: 1, errorsByErrno: { ENOBUFS: 1 } }] });
    expect(s.rules[0]!.lastPacketAgoMs).toBeGreaterThanOrEqual(1400);
    expect((await c.request<{ rules: unknown[] }>('list')).rules).toHaveLength(1);
    await c.request('remove', { ruleId: 'cam1' });
    expect(dp.table).toEqual([]);
  });

  test('a bad field is refused naming the request and the field; the running rules are untouched', async () => {
    const { path, dp } = await daemon();
    const r = await raw(path);
    r.write(`${JSON.stringify({ id: 1, cmd: 'add', rule })}\n`);
    r.write(`${JSON.stringify({ id: 17, cmd: 'add', rule: { ...rule, name: 'x', outputs: [{ ...rule.outputs[0], port: '80a' }] } })}\n`);
    const [ok, bad] = await r.read(2);
    expect(ok).toMatchObject({ id: 1, ok: true });
    expect(bad).toEqual({
      id: 17, ok: false,
      error: { code: 'EINVAL', path: 'rule.outputs[0].port', message: 'request 17 rule.outputs[0].port: expected integer 1-65535, got "80a" (string)' },
    });
    expect(dp.table.map((t) => t.id)).toEqual(['cam1']);
  });

  test('engine refusal and missing interface come back as errors with the field', async () => {
    const { path, dp } = await daemon();
    const r = await raw(path);
    dp.refuseNext('setsockopt(SO_BINDTODEVICE, eth1): EPERM');
    r.write(`${JSON.stringify({ id: 'a', cmd: 'add', rule })}\n`);
    r.write(`${JSON.stringify({ id: 'b', cmd: 'add', rule: { ...rule, outputs: [{ ...rule.outputs[0], interface: 'eth7' }] } })}\n`);
    const [a, b] = await r.read(2);
    expect(a).toMatchObject({ id: 'a', ok: false, error: { code: 'EENGINE', message: expect.stringContaining('EPERM') } });
    expect(b).toMatchObject({ id: 'b', ok: false, error: { code: 'ENODEV', path: 'rule.outputs[0].interface', message: 'request b rule.outputs[0].interface: no interface "eth7" in mcrd\'s network namespace (see ip link show)' } });
  });

  test('garbage, unknown commands and oversize lines get error replies and the connection stays usable', async () => {
    const { path } = await daemon({ maxLine: 1024 });
    const r = await raw(path);
    r.write('hello\n');
    r.write('[1,2]\n');
    r.write('{"id":5,"cmd":"frobnicate"}\n');
    r.write('{"id":6}\n');
    r.write(`${'x'.repeat(5000)}\n`);
    r.write('{"id":7,"cmd":"remove"}\n');
    r.write('{"id":8,"cmd":"log-level","level":"loud"}\n');
    r.write(Buffer.from([0xff, 0xfe, 0x0a]));
    r.write('{"id":9,"cmd":"ping"}\n');
    const replies = await r.read(9);
    expect(replies.map((x) => [x.id, x.ok, (x.error as { code?: string } | undefined)?.code])).toEqual([
      [null, false, 'EPROTO'], [null, false, 'EPROTO'], [5, false, 'ENOSYS'], [6, false, 'EPROTO'],
      [null, false, 'EMSGSIZE'], [7, false, 'EINVAL'], [8, false, 'EINVAL'], [null, false, 'EPROTO'], [9, true, undefined],
    ]);
    expect((replies[0]!.error as { message: string }).message).toMatch(/^line 1: not JSON \(.*\); send one JSON object per line$/);
    expect((replies[2]!.error as { message: string }).message).toMatch(/^request 5 cmd: unknown command "frobnicate"; expected one of ping, version/);
    expect((replies[4]!.error as { message: string }).message).toBe('line 5: request longer than 1024 bytes, discarded up to the next newline');
  });

  test('two thousand malformed lines are each answered and the daemon keeps serving', async () => {
    const { path } = await daemon();
    const r = await raw(path);
    r.write(Array.from({ length: 2000 }, (_, i) => (i % 2 ? `{"id":${i},"cmd":"x"}` : '}{')).join('\n') + '\n{"id":"end","cmd":"ping"}\n');
    const replies = await r.read(2001);
    expect(replies.filter((x) => x.ok === false)).toHaveLength(2000);
    expect(replies.at(-1)).toMatchObject({ id: 'end', ok: true });
  });

  test('many clients at once are served; beyond the connection limit one gets EBUSY and others still work', async () => {
    const { path } = await daemon();
    const clients = await Promise.all(Array.from({ length: 64 }, () => ControlClient.connect(path)));
    cleanups.push(() => clients.forEach((c) => c.close()));
    const extra = await raw(path);
    expect((await extra.read(1))[0]).toMatchObject({ ok: false, error: { code: 'EBUSY' } });
    const pongs = await Promise.all(clients.map((c) => c.request('ping')));
    expect(pongs).toHaveLength(64);
    clients[0]!.close();
    await waitClosed();
    const again = await ControlClient.connect(path);
    cleanups.push(() => again.close());
    expect(await again.request('ping')).toEqual({ pong: true });
  });

  test('an idle (or half-open) connection is closed, freeing its slot', async () => {
    const { path } = await daemon({ idleMs: 100, maxConnections: 1 });
    const idle = net.connect(path);
    const closed = new Promise((r) => idle.once('close', r));
    await closed;
    const c = await ControlClient.connect(path);
    cleanups.push(() => c.close());
    expect(await c.request('ping')).toEqual({ pong: true });
  });

  test('a client that sends without reading does not hold up another client', async () => {
    const { path } = await daemon();
    const hog = net.connect(path);
    await new Promise((r) => hog.once('connect', r));
    cleanups.push(() => { hog.destroy(); });
    hog.pause(); // never reads its replies
    const burst = `${JSON.stringify({ id: 0, cmd: 'list' })}\n`.repeat(20_000);
    hog.write(burst);
    const c = await ControlClient.connect(path);
    cleanups.push(() => c.close());
    expect(await c.request('ping')).toEqual({ pong: true });
  });

  test('requests pipelined in one write are answered in order', async () => {
    const { path } = await daemon();
    const r = await raw(path);
    r.write(Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, cmd: i % 2 ? 'ping' : 'list' })).join('\n') + '\n');
    expect((await r.read(50)).map((x) => x.id)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('a batch written and half-closed gets every reply before the daemon closes (1000 adds)', async () => {
    const { path, dp } = await daemon();
    const batch = Array.from({ length: 1000 }, (_, i) => JSON.stringify({
      id: i, cmd: 'add', rule: { input: { interface: 'eth0', group: '239.1.1.1', port: 1000 + i }, outputs: [{ interface: 'eth1', group: '239.2.2.2', port: 7000 }] },
    })).join('\n');
    // The last request has no newline: end of input ends it.
    const replies = (await halfClosed(path, batch)).trim().split('\n').map((l) => JSON.parse(l) as { id: number; ok: boolean });
    expect(replies.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(replies.every((r) => r.ok)).toBe(true);
    expect(dp.table).toHaveLength(1000);
  }, 30_000);

  test("MCR's wire requests are answered in MCR's shapes, one per half-closed connection", async () => {
    const { path, dp } = await daemon();
    const ask = async (req: unknown) => JSON.parse(await halfClosed(path, JSON.stringify(req))) as Record<string, unknown>;
    expect(await ask('Ping')).toEqual({ Success: 'pong' });
    const add = {
      AddRule: {
        rule_id: '', name: 'cam 1', input_interface: 'eth0', input_group: '239.1.1.1', input_port: 5000, input_protocol: 17,
        outputs: [{ group: '239.2.2.2', port: 6000, interface: 'eth1', ttl: null, source_ip: null }],
      },
    };
    const added = await ask(add);
    expect(added.Success).toMatch(/^Rule [0-9a-f]{8} added$/);
    expect(await ask(add)).toEqual({ Success: `${String(added.Success).replace(' added', '')} unchanged (an identical rule is already present)` });
    expect(dp.table).toHaveLength(1);
    const listed = await ask('ListRules') as { Rules: Array<Record<string, unknown>> };
    expect(listed.Rules).toEqual([expect.objectContaining({
      name: 'cam 1', input_interface: 'eth0', input_group: '239.1.1.1', input_port: 5000, input_protocol: 17,
      outputs: [{ group: '239.2.2.2', port: 6000, interface: 'eth1', ttl: 16, source_ip: null }], source: 'Dynamic',
    })]);
    dp.snapshot = {
      global: { rxFrames: 3n, rxBytes: 300n, ringDrops: 0n, ringFreezes: 0n, unmatched: 0n, malformed: {} as never },
      rules: new Map([[0, { packets: 3n, bytes: 300n, lastPacketNs: 0n }]]),
      outputs: new Map(),
    };
    expect(await ask('GetStats')).toEqual({ Stats: [{ input_group: '239.1.1.1', input_port: 5000, packets_relayed: 3, bytes_relayed: 300, packets_per_second: 0, bits_per_second: 0 }] });
    expect(await ask('GetVersion')).toEqual({ Version: { protocol_version: 1 } });
    expect(await ask({ SetGlobalLogLevel: { level: 'Warning' } })).toEqual({ Success: 'Global log level set to WARN' });
    expect(await ask('GetLogLevels')).toEqual({ LogLevels: { global: 'Warning', facility_overrides: {} } });
    expect((await ask({ SetFacilityLogLevel: { facility: 'Ingress', level: 'Debug' } })).Error).toMatch(/one global log level and no facilities/);
    expect((await ask('GetIgmpGroups')).Error).toMatch(/^GetIgmpGroups: IGMP is not running; enable it with an igmp: /);
    expect((await ask('GetPimNeighbors')).Error).toMatch(/^GetPimNeighbors: PIM is not running; enable it with a pim: /);
    expect((await ask('GetMsdpPeers')).Error).toMatch(/^GetMsdpPeers: not supported by mcrd: mcrd has no MSDP/);
    expect((await ask({ AddRule: { ...add.AddRule, input_port: 0, bogus: 1 } })).Error).toBe('AddRule bogus: unknown field; expected rule_id, name, input_interface, input_group, input_port, input_protocol, outputs');
    expect((await ask({ CheckConfig: { config: { rules: [{ input: { interface: 'eth0', group: '239.1.1.9', port: 1, protocol: 'esp' }, outputs: [] }] } } })))
      .toEqual({ ConfigValidation: { valid: false, errors: [expect.stringContaining('rules[0].input.protocol: mcrd relays UDP only, got "esp"')] } });
    expect(await ask({ RemoveRuleByName: { name: 'cam 1' } })).toEqual({ Success: expect.stringMatching(/^Removed rule 'cam 1' \(id: [0-9a-f]{8}\)$/) });
    expect(dp.table).toEqual([]);
  });

  test('log-level changes the level at runtime and reports it', async () => {
    const { path } = await daemon();
    const c = await ControlClient.connect(path);
    cleanups.push(() => c.close());
    expect(await c.request('log-level', { level: 'debug' })).toEqual({ level: 'debug' });
    expect(await c.request('log-level')).toEqual({ level: 'debug' });
  });

  test('a stale socket file is replaced; a live one is not', async () => {
    const { path, dir } = await daemon();
    const log = silentLogger();
    const api = {} as never;
    await expect(startControlServer(path, api, log)).rejects.toThrow('another mcrd is already answering');
    const stale = join(dir, 'stale.sock');
    const s = net.createServer().listen(stale);
    await new Promise((r) => s.once('listening', r));
    // Simulate a crashed daemon: the file stays, nobody listens.
    (s as unknown as { _handle: { close(): void } })._handle.close();
    await writeFile(join(dir, 'marker'), '');
    const second = await startControlServer(stale, api, log);
    cleanups.push(() => second.close());
    expect((await stat(stale)).isSocket()).toBe(true);
  });
});

describe('client advice', () => {
  test('no socket, refused connection and permission give advice', async () => {
    const dir = await tempDir('cli');
    await expect(ControlClient.connect(join(dir, 'none.sock'))).rejects.toMatchObject({ code: 'EUNAVAIL', message: `mcrd not running? no socket at ${join(dir, 'none.sock')}` });
    await writeFile(join(dir, 'plain'), '');
    await expect(ControlClient.connect(join(dir, 'plain'), { retryMs: 200 })).rejects.toMatchObject({ code: 'EUNAVAIL', message: expect.stringContaining('mcrd not running (connection refused') });
  });
});
