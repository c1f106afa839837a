/**
 * The injected faults: each one does its damage, waits for the relay to recover (polling, with a
 * deadline), and returns what happened as a FaultRecord: when, for how long, which outputs it could
 * cost packets, and what mcrd's counters attribute to it. The pass rule (verdict.ts) holds the sinks'
 * counts against these records.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { promisify } from 'node:util';
import type { RuleView, StatsView } from '../relay/control/api.js';
import { MAX_LINE_BYTES } from '../relay/control/framing.js';
import { MAX_CONNECTIONS } from '../relay/control/server.js';
import { waitFor } from '../test/support/netns.js';
import { type IgmpReceivers, mcrdChurnGroups } from './igmp-churn.js';
import type { SoakMcrd } from './mcrd.js';
import type { FaultKind } from './schedule.js';
import { HUP_RULE, type StreamRule, type Topology, configText, outputKey, recreateR3, streamRules } from './topology.js';
import type { FaultRecord } from './verdict.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FaultContext {
  t: Topology;
  mcrd: SoakMcrd;
  /** frame_flood built from test/fixtures/frame_flood.c. */
  floodBinary: string;
  /** Whether the config currently has the SIGHUP rule (toggled by each sighup). */
  hup: boolean;
  /** r1's address alternates between these. */
  readdressed: boolean;
  /** The IGMP receivers on s1 the igmp-churn fault toggles. */
  igmp: IgmpReceivers;
}

const outputsOn = (ifname: string, rules: StreamRule[]) => rules.flatMap((r) => r.outputs.filter((o) => o.interface === ifname).map(outputKey));

async function enetdown(mcrd: SoakMcrd, keys: string[]): Promise<Record<string, number>> {
  const stats = await mcrd.ctl.request<StatsView>('stats');
  const out: Record<string, number> = {};
  for (const r of stats.rules) for (const o of r.outputs) {
    const k = outputKey(o);
    if (keys.includes(k)) out[k] = (out[k] ?? 0) + (o.errorsByErrno.ENETDOWN ?? 0);
  }
  return out;
}

async function list(mcrd: SoakMcrd): Promise<RuleView[]> {
  return (await mcrd.ctl.request<{ rules: RuleView[] }>('list')).rules;
}

type Injector = (c: FaultContext) => Promise<Omit<FaultRecord, 'kind'>>;

const INJECT: Record<FaultKind, Injector> = {
  async 'worker-kill'(c) {
    const before = (await c.mcrd.workers())[0]!;
    const startMs = Date.now();
    process.kill(before.pid!, 'SIGKILL');
    const after = await waitFor(async () => {
      const w = (await c.mcrd.workers())[0]!;
      return w.state === 'running' && w.pid !== before.pid && w.restarts > before.restarts && w;
    }, 'worker restarted after SIGKILL', 30_000, 20);
    const endMs = Date.now();
    return { startMs, endMs, gapMs: endMs - startMs, affects: 'all', detail: `worker ${before.pid} → ${after.pid}` };
  },

  async 'link-flap'(c) {
    const keys = outputsOn('r2', streamRules());
    const before = await enetdown(c.mcrd, keys);
    const kernelBefore = await linkDrops(c.t);
    const startMs = Date.now();
    await c.t.lab.exec(c.t.r, ['ip', 'link', 'set', 'r2', 'down']);
    await sleep(2000);
    await c.t.lab.exec(c.t.r, ['ip', 'link', 'set', 'r2', 'up']);
    await waitFor(async () => (await c.t.lab.exec(c.t.r, ['cat', '/sys/class/net/r2/carrier']).catch(() => '0')).trim() === '1', 'r2 carrier back', 10_000, 20);
    const endMs = Date.now();
    // The workers publish counters on their own clock: wait for one read after the link is back.
    await sleep(1500);
    const after = await enetdown(c.mcrd, keys);
    const counted = Object.fromEntries(keys.map((k) => [k, Math.max(0, (after[k] ?? 0) - (before[k] ?? 0))]));
    // Not judged (the kernel counts these drops under other names too), shown for a look at a mismatch.
    const kernel = (await linkDrops(c.t)).map((n, i) => n - kernelBefore[i]!);
    return { startMs, endMs, affects: keys, counted, detail: `r2 down 2 s, up; kernel drops: r2 tx ${kernel[0]}, s2a rx ${kernel[1]}` };
  },

  async 'link-recreate'(c) {
    const rule = streamRules().find((r) => r.outputs.some((o) => o.interface === 'r3'))!;
    const startMs = Date.now();
    await c.t.lab.exec(c.t.r, ['ip', 'link', 'del', 'r3']);
    await waitFor(async () => (await list(c.mcrd)).find((r) => r.id === rule.id)?.state === 'waiting', `rule ${rule.id} waiting for r3`, 10_000, 20);
    await sleep(1000);
    await recreateR3(c.t.lab, c.t.r, c.t.s3);
    await waitFor(async () => (await list(c.mcrd)).find((r) => r.id === rule.id)?.state === 'active', `rule ${rule.id} active again`, 10_000, 20);
    const endMs = Date.now();
    return { startMs, endMs, gapMs: endMs - startMs, affects: outputsOn('r3', [rule]), detail: 'r3 deleted, re-created after 1 s' };
  },

  async readdress(c) {
    const [from, to] = c.readdressed ? ['10.2.0.3/24', '10.2.0.1/24'] : ['10.2.0.1/24', '10.2.0.3/24'];
    const startMs = Date.now();
    // Only log lines from now on: rule churn logs ten lines a second, so a tail of the log may already miss it.
    const mark = c.mcrd.log().length;
    await c.t.lab.exec(c.t.r, ['ip', 'addr', 'add', to, 'dev', 'r1']);
    await c.t.lab.exec(c.t.r, ['ip', 'addr', 'del', from, 'dev', 'r1']);
    c.readdressed = !c.readdressed;
    const addrs = await c.t.lab.exec(c.t.r, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'r1']);
    if (!addrs.includes(` ${to} `)) throw new Error(`r1 lost ${to} in the readdress: ${addrs.trim()}`);
    await waitFor(() => /rebuilding its outputs.*interface=r1/.test(c.mcrd.log().slice(mark)), 'mcrd rebuilding r1 outputs', 10_000, 20);
    // What counts is the wire: the relayed datagrams on r1 must now leave from the new address.
    const address = to.split('/')[0]!;
    const seen = await waitFor(async () => {
      const sources = await sourcesOnWire(c.t, 20);
      return sources.length > 0 && sources.every((a) => a === address) && sources;
    }, `datagrams on r1 from ${address}`, 10_000, 100);
    return { startMs, endMs: Date.now(), affects: [], detail: `r1 ${from} → ${to}, ${seen.length} datagrams seen from ${address}` };
  },

  async sighup(c) {
    c.hup = !c.hup;
    await writeFile(c.t.config, configText(c.hup));
    const startMs = Date.now();
    process.kill(c.mcrd.pid, 'SIGHUP');
    await waitFor(async () => (await list(c.mcrd)).some((r) => r.id === HUP_RULE) === c.hup, 'SIGHUP applied', 15_000, 20);
    return { startMs, endMs: Date.now(), affects: [], detail: c.hup ? `rule ${HUP_RULE} added` : `rule ${HUP_RULE} removed` };
  },

  async 'control-abuse'(c) {
    const startMs = Date.now();
    const garbage = ['hello', '{', '[]', '{"id":1}', '{"id":2,"cmd":"nope"}', '{"id":3,"cmd":"add","rule":{"input":{}}}', '\u0000\u0001', '"x"'];
    const conns = await Promise.all(Array.from({ length: MAX_CONNECTIONS + 16 }, () => connect(c.mcrd.socket)));
    const first = conns.find((s) => s !== undefined);
    first?.write(`${Array.from({ length: 500 }, (_, i) => garbage[i % garbage.length]).join('\n')}\n`);
    conns[1]?.write('x'.repeat(MAX_LINE_BYTES + 10));
    await sleep(300);
    for (const s of conns) s?.destroy();
    await waitFor(async () => (await c.mcrd.ctl.request('ping').then(() => true, () => false)), 'ping after abuse', 10_000, 50);
    return { startMs, endMs: Date.now(), affects: [], detail: `${conns.length} connections, 500 garbage lines, a ${MAX_LINE_BYTES + 10}-byte line` };
  },

  async 'igmp-churn'(c) {
    const startMs = Date.now();
    const { joined, left } = c.igmp.toggle();
    const want = c.igmp.joined();
    // Membership first (reports and, for a leave, the last-member queries), then the learned routes.
    await waitFor(async () => same(await mcrdChurnGroups(c.mcrd.ctl), want), `mcrd's IGMP groups on r1 = ${want.join(',') || 'none'}`, 10_000, 50);
    await waitFor(async () => same(await learnedChurnRoutes(c.mcrd), want), `mcrd's learned routes = ${want.join(',') || 'none'}`, 5_000, 50);
    const endMs = Date.now();
    return { startMs, endMs, affects: [], detail: `s1 joined ${joined.join(',') || '-'}, left ${left.join(',') || '-'}; mcrd followed in ${endMs - startMs} ms` };
  },

  async 'frame-flood'(c) {
    const startMs = Date.now();
    const { stdout } = await run('ip', ['netns', 'exec', c.t.g, c.floodBinary, 'g0', '10.1.0.1', '239.10.0.1', '5001', '239.99.0.1', '5999', '500', '20000']);
    const report = JSON.parse(stdout) as { kinds: Record<string, { sent: number }> };
    const sent = Object.values(report.kinds).reduce((a, k) => a + k.sent, 0);
    return { startMs, endMs: Date.now(), affects: [], detail: `${sent} malformed frames on r0` };
  },
};

/** IPv4 sources of the next `count` relayed datagrams arriving on s1 from r1 (tcpdump, at most 3 s). */
async function sourcesOnWire(t: Topology, count: number): Promise<string[]> {
  const out = await t.lab.exec(t.s1, ['timeout', '3', 'tcpdump', '-i', 's1a', '-p', '-nn', '-l', '-c', String(count), 'udp and dst net 239.21.0.0/16']);
  return out.split('\n').flatMap((l) => /IP (\d+\.\d+\.\d+\.\d+)\.\d+ > /.exec(l)?.[1] ?? []);
}

/** The kernel's drop counters of the flapped link: r2's tx_dropped and s2a's rx_dropped. */
async function linkDrops(t: Topology): Promise<[number, number]> {
  const read = (ns: string, path: string) => t.lab.exec(ns, ['cat', path]).then(Number);
  return [await read(t.r, '/sys/class/net/r2/statistics/tx_dropped'), await read(t.s2, '/sys/class/net/s2a/statistics/rx_dropped')];
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Churn groups with a learned IGMP route in mcrd's MRIB, sorted. */
async function learnedChurnRoutes(mcrd: SoakMcrd): Promise<string[]> {
  const { routes } = await mcrd.ctl.request<{ routes: Array<{ origin: string; group: string }> }>('mroute');
  return [...new Set(routes.filter((r) => r.origin === 'igmp' && r.group.startsWith('239.80.0.')).map((r) => r.group))].sort();
}

function connect(path: string): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
    s.on('error', () => {});
  });
}

export async function inject(kind: FaultKind, c: FaultContext): Promise<FaultRecord> {
  return { kind, ...(await INJECT[kind](c)) };
}
