import net from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { MemoryDataPlane } from '../../test/support/memory-data-plane.js';
import { tempDir } from '../../test/support/tmp.js';
import { createControlApi } from '../daemon/control-api.js';
import { silentLogger } from '../daemon/log.js';
import { RuleService } from '../daemon/rule-service.js';
import { EventBus } from '../protocols/events.js';
import { sumCounters } from '../stats/counters.js';
import { RateSampler } from '../stats/rates.js';
import { ControlClient } from './client.js';
import type { ProtocolsApi } from './protocols-api.js';
import { startControlServer } from './server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

async function daemon(subscriberBufferBytes?: number) {
  const path = join(await tempDir('sub'), 'control.sock');
  const dp = new MemoryDataPlane();
  const log = silentLogger();
  const rules = new RuleService({ dataPlane: dp, log, interfaceExists: () => true });
  const sampler = new RateSampler(async () => sumCounters(await dp.counters()));
  const bus = new EventBus();
  const protocols: ProtocolsApi = {
    modules: () => ['igmp'], view: () => [], setQuerier: (i, q) => ({ interface: i, querier: q }), mroute: () => [],
    pimInterface: (i, o) => ({ interface: i, enabled: o.enabled }), setRp: (g, rp) => ({ group: g, rp: rp ?? null }),
    subscribe: (p, sink) => bus.subscribe(p, sink),
  };
  const api = { ...createControlApi({ rules, dataPlane: dp, sampler, log, backend: () => 'mmsg', reload: async () => ({ added: [], removed: [], changed: [], unchanged: 0 }) }), protocols };
  const server = await startControlServer(path, api, log, subscriberBufferBytes ? { subscriberBufferBytes } : {});
  cleanups.push(() => server.close());
  return { path, bus };
}

async function connect(path: string) {
  const s = net.connect(path);
  await new Promise((r) => s.once('connect', r));
  cleanups.push(() => { s.destroy(); });
  return s;
}

function lines(s: net.Socket) {
  let buf = '';
  const got: Array<Record<string, unknown>> = [];
  s.on('data', (d) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) got.push(JSON.parse(p) as Record<string, unknown>);
  });
  return got;
}

async function until(what: string, ok: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a subscriber gets the ok reply, then exactly the events matching its prefixes, in order', async () => {
  const { path, bus } = await daemon();
  const s = await connect(path);
  const got = lines(s);
  s.write('{"id":1,"cmd":"subscribe","events":["igmp-join","pim"]}\n');
  await until('reply', () => got.length === 1);
  expect(got[0]).toEqual({ id: 1, ok: true, result: { events: ['igmp-join', 'pim'] } });
  bus.publish({ type: 'igmp-join', interface: 'eth1', group: '239.1.1.1' });
  bus.publish({ type: 'igmp-leave', interface: 'eth1', group: '239.1.1.1' });
  bus.publish({ type: 'pim-neighbor', interface: 'eth2', neighbor: '10.0.0.2' });
  bus.publish({ type: 'igmp-join', interface: 'eth1', group: '239.1.1.2' });
  await until('3 events', () => got.length === 4);
  expect(got.slice(1).map((e) => [e.type, e.group ?? e.neighbor])).toEqual([['igmp-join', '239.1.1.1'], ['pim-neighbor', '10.0.0.2'], ['igmp-join', '239.1.1.2']]);
  expect(typeof got[1]!.at).toBe('string');
});

test('bad subscribe arguments get an error reply naming the field and the connection stays usable', async () => {
  const { path } = await daemon();
  const s = await connect(path);
  const got = lines(s);
  s.write('{"id":1,"cmd":"subscribe","events":[]}\n{"id":2,"cmd":"ping"}\n');
  await until('2 replies', () => got.length === 2);
  expect(got[0]).toMatchObject({ id: 1, ok: false, error: { code: 'EINVAL', path: 'events' } });
  expect(got[1]).toEqual({ id: 2, ok: true, result: { pong: true } });
});

test('a subscriber that never reads is dropped with a final EBUSY line; the daemon and other clients are not held up', async () => {
  const { path, bus } = await daemon(64 * 1024);
  const slow = await connect(path);
  const got = lines(slow);
  slow.write('{"id":7,"cmd":"subscribe","events":["igmp"]}\n');
  await until('reply', () => got.length === 1);
  slow.pause();
  const fast = await connect(path);
  const fastGot = lines(fast);
  fast.write('{"id":1,"cmd":"subscribe","events":["igmp"]}\n');
  await until('fast reply', () => fastGot.length === 1);
  const sent = 20_000;
  const pad = 'x'.repeat(100);
  // In bursts of 100 with event-loop turns between, as protocol events come.
  for (let i = 0; i < sent; i++) {
    bus.publish({ type: 'igmp-join', interface: 'eth1', group: '239.1.1.1', seq: i, pad });
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 1));
  }
  // The slow one was dropped from the bus while publishing; the fast one is still there.
  expect(bus.size).toBe(1);
  const c = await ControlClient.connect(path);
  const t0 = Date.now();
  expect(await c.request('ping')).toEqual({ pong: true });
  expect(Date.now() - t0).toBeLessThan(1000);
  c.close();
  await until('fast subscriber got every event', () => fastGot.length === sent + 1, 10_000);
  slow.resume();
  await until('slow subscriber closed', () => slow.destroyed || slow.readableEnded, 5000);
  const last = got[got.length - 1]!;
  expect(last).toMatchObject({ id: 7, ok: false, error: { code: 'EBUSY' } });
  expect(got.length - 2).toBeLessThan(sent);
  const seqs = got.slice(1, -1).map((e) => e.seq);
  expect(seqs).toEqual(seqs.map((_, i) => i));
});
