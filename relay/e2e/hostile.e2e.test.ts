/**
 * Hostile input against a relaying mcrd: a flood of malformed frames on its input link, and abuse of
 * its control socket, each while a real stream flows through it. Asserts the daemon stays up, the real
 * stream arrives complete and byte-exact, and the counters say exactly what happened.
 *
 *   ┌ mcrH-…-g ────────────┐  10.1.0.0/24   ┌── mcrH-…-r ──┐  10.2.0.0/24   ┌ mcrH-…-s ┐
 *   │ mcr-gen, frame_flood g0 ├─────────────┤ r0  mcrd   r1 ├────────────────┤ s0 mcr-sink │
 *   └──────────────────────┘ .1          .2 └──────────────┘ .1          .2 └────────────┘
 *
 * Where each malformed kind ends up (test/fixtures/frame_flood.c builds them; docs/engine.md "Data path"):
 *  - counted in userspace by reason: the parser sees every frame the BPF prefilter admits, and the
 *    prefilter only checks EtherType/tags, protocol 17, dst group, then (unless a fragment) the dst port at
 *    the IHL-derived offset. So bad version, bad IHL (port placed where the IHL says), bad total length,
 *    truncated UDP, bad UDP length, bad checksum and fragments (the filter passes them on purpose) all
 *    reach the parser and must be counted one for one.
 *  - dropped in the kernel, never counted (by design, the filter is what keeps unrelated traffic out of
 *    the ring): a truncated inner tag (the filter's load of the next EtherType runs past the frame),
 *    four tags (three in-frame after the kernel strips the outer one: the filter accepts at most two),
 *    IHL beyond the frame (the port load runs past it), protocol ≠ UDP, EtherType ≠ IPv4.
 *  - dropped before AF_PACKET: a frame with one tag cut short is freed by the kernel's receive-side
 *    VLAN untagging (skb_vlan_untag needs the whole tag plus the next EtherType); a frame shorter than
 *    an Ethernet header cannot even be sent (AF_PACKET refuses it with EINVAL).
 *  - well-formed odd stacks (QinQ, three tags) parse and are relayed: the rule lookup is VLAN-agnostic.
 *    They go to a second rule so they do not mix with the real stream.
 * rxFrames (frames the engine took from its ring) must equal real stream + counted + relayed odd stacks,
 * which proves the "dropped in the kernel" kinds never reached userspace; the relay's r0 rx counter
 * proves they were on the wire.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';

const run = promisify(execFile);
const floodSource = fileURLToPath(new URL('../../test/fixtures/frame_flood.c', import.meta.url));

if (!canNetns) console.warn(`skipping hostile-input e2e: ${skipReason}`);

interface GlobalStats { rxFrames: number; unmatched: number; malformed: Record<string, number> }
interface Stats { global: GlobalStats; rules: Array<{ id: string; packets: number; bytes: number }> }
type FloodReport = { count: number; kinds: Record<string, { sent: number; errors: Record<string, number> }> };

/** A raw NDJSON client on the control socket that keeps every line it is sent. */
class RawConn {
  lines: string[] = [];
  closed = false;
  private buf = '';
  private waiters: Array<() => void> = [];
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) !== -1) { this.lines.push(this.buf.slice(0, nl)); this.buf = this.buf.slice(nl + 1); }
      this.wake();
    });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => {});
  }
  static open(path: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }
  private wake() { for (const w of this.waiters.splice(0)) w(); }
  /** Resolves once `n` lines have arrived or the server closed the connection. */
  async until(n: number): Promise<unknown[]> {
    while (this.lines.length < n && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.lines.map((l) => JSON.parse(l) as unknown);
  }
  write(s: string | Buffer): void { this.sock.write(s); }
  close(): void { this.sock.destroy(); }
}

describe.skipIf(!canNetns)('mcrd under hostile input', () => {
  let lab: Lab | undefined;
  let g: string; let r: string; let s: string;
  let dir: string;
  let flood: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcrH-hostile-'));
    flood = join(dir, 'frame_flood');
    await run('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', flood, floodSource]);
    lab = await Lab.create('h', 'mcrH');
    ({ g, r, s } = await lab.chain());
    mcrd = await startMcrd({ netns: r, dir });
    for (const [id, gp, out] of [['real', ['239.1.1.1', '5000'], '239.2.2.1:6000:r1'], ['stacks', ['239.1.1.9', '5009'], '239.2.2.9:6009:r1']] as const) {
      const res = await mcrd.ctl(['add', '--rule-id', id, '--input-interface', 'r0', '--input-group', gp[0], '--input-port', gp[1], '--outputs', out]);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
    }
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function stats(): Promise<Stats> {
    const res = await mcrd.ctl(['--json', 'stats']);
    expect(res.code).toBe(0);
    return JSON.parse(res.stdout) as Stats;
  }
  const rule = (st: Stats, id: string) => st.rules.find((x) => x.id === id)!;
  const rxPackets = async (ns: string, ifn: string) => Number((await lab!.exec(ns, ['cat', `/sys/class/net/${ifn}/statistics/rx_packets`])).trim());

  test('a flood of malformed frames is counted by reason and dropped; the real stream arrives whole', async () => {
    const before = await stats();
    const r0Before = await rxPackets(r, 'r0');
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 2, durationS: 30 });
    const genP = runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 10_000, count: 20_000, payloadBytes: 1316 });
    const floodP = run('ip', ['netns', 'exec', g, flood, 'g0', '10.1.0.1', '239.1.1.1', '5000', '239.1.1.9', '5009', '1000', '10000']);
    const [gen, fl] = await Promise.all([genP, floodP]);
    const l = (await sink.done).listens[0]!;
    const report = JSON.parse(fl.stdout) as FloodReport;
    const sent = (k: string) => report.kinds[k]!.sent;

    // The kernel takes every kind except one shorter than an Ethernet header.
    expect(report.kinds.truncatedEthernet).toEqual({ sent: 0, errors: { EINVAL: 1000 } });
    for (const [k, v] of Object.entries(report.kinds)) if (k !== 'truncatedEthernet') expect(v, k).toEqual({ sent: 1000, errors: {} });

    const expected: Record<string, number> = {
      truncatedEthernet: 0, truncatedVlan: 0, notIpv4: 0, truncatedIp: 0, notUdp: 0,
      badIpVersion: sent('badIpVersion'),
      badIhl: sent('badIhl'),
      badIpTotalLength: sent('totalLengthBeyondFrame') + sent('totalLengthBelowIhl'),
      fragment: sent('fragmentMf') + sent('fragmentOffset'),
      truncatedUdp: sent('truncatedUdp'),
      badUdpLength: sent('udpLengthBelow8') + sent('udpLengthBeyondIp'),
      badIpChecksum: sent('badIpChecksum'),
    };
    const stacks = sent('qinq') + sent('vlanStack3');
    const delta = (a: Stats, k: string) => (a.global.malformed[k] ?? 0) - (before.global.malformed[k] ?? 0);
    // Counters are read from the worker's shared memory; wait until the last frames are accounted.
    const after = await waitFor(async () => {
      const st = await stats();
      return rule(st, 'stacks').packets - rule(before, 'stacks').packets >= stacks
        && Object.keys(expected).every((k) => delta(st, k) >= expected[k]!) ? st : undefined;
    }, 'malformed counters to reach the numbers sent', 10_000, 100).catch(() => stats());
    const counted = Object.fromEntries(Object.keys(expected).map((k) => [k, delta(after, k)]));
    const r0Delta = (await rxPackets(r, 'r0')) - r0Before;
    const floodSent = Object.values(report.kinds).reduce((a, v) => a + v.sent, 0);
    const countedSum = Object.values(counted).reduce((a, v) => a + v, 0);
    console.log('[hostile] frames sent per kind:', JSON.stringify(Object.fromEntries(Object.entries(report.kinds).map(([k, v]) => [k, v.sent]))));
    console.log('[hostile] malformed counted by reason:', JSON.stringify(counted), 'odd stacks relayed:', rule(after, 'stacks').packets - rule(before, 'stacks').packets,
      'rxFrames delta:', after.global.rxFrames - before.global.rxFrames, 'r0 rx_packets delta:', r0Delta);
    recordDelivery('real stream during a 19-kind malformed-frame flood, 10k pps x 2 s', l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors, floodSent, countedSum });

    expect((await mcrd.ctl(['ping'])).code).toBe(0);
    expect(gen.sent).toBe(20_000);
    expect(l).toMatchObject({ received: 20_000, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0 });
    expect(counted).toEqual(expected);
    expect(rule(after, 'real').packets - rule(before, 'real').packets).toBe(20_000);
    expect(rule(after, 'stacks').packets - rule(before, 'stacks').packets).toBe(stacks);
    expect(after.global.unmatched - before.global.unmatched).toBe(0);
    // Only the real stream, the counted kinds and the relayed stacks ever left the ring.
    expect(after.global.rxFrames - before.global.rxFrames).toBe(20_000 + countedSum + stacks);
    // Everything sent was on the relay's wire (plus whatever IPv6/IGMP chatter the links make).
    expect(r0Delta).toBeGreaterThanOrEqual(20_000 + floodSent);
  });

  test('control-socket abuse leaves the daemon serving, the stream whole and the rules unchanged', async () => {
    const rulesBefore = (JSON.parse((await mcrd.ctl(['--json', 'list'])).stdout) as { rules: unknown[] }).rules;
    const before = await stats();
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 2, durationS: 90 });
    const genP = runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 10_000, count: 40_000, payloadBytes: 1316, streamId: 3 });
    const held: RawConn[] = [];
    try {
      // 1000 malformed requests on one connection: one error reply each, then the connection still works.
      const garbage = ['hello', '{', '[]', '{"id":1}', '{"id":2,"cmd":"nope"}', '{"id":3,"cmd":"add","rule":{"input":{}}}', '\u0000\u0001\u0002', '{"id":4,"cmd":"ping","extra":', '"just a string"', '{"id":{"x":1},"cmd":"ping"}'];
      const a = await RawConn.open(mcrd.socket);
      held.push(a);
      a.write(`${Array.from({ length: 1000 }, (_, i) => garbage[i % garbage.length]).join('\n')}\n`);
      a.write('{"id":"a-ok","cmd":"ping"}\n');
      const aReplies = await a.until(1001) as Array<{ id: unknown; ok: boolean; error?: { code: string }; Error?: string }>;
      expect(aReplies).toHaveLength(1001);
      // A bare JSON string is an MCR wire request (like "Ping"): an unknown one is answered in MCR's shape.
      const refused = (x: (typeof aReplies)[number]) => (x.ok === false && typeof x.error?.code === 'string') || /^unknown MCR request/.test(x.Error ?? '');
      expect(aReplies.slice(0, 1000).filter(refused)).toHaveLength(1000);
      expect(aReplies.slice(0, 1000).filter((x) => x.Error !== undefined)).toHaveLength(100);
      expect(aReplies[1000]).toEqual({ id: 'a-ok', ok: true, result: { pong: true } });

      // 1 MiB without a newline: one EMSGSIZE reply (limit 64 KiB), the rest discarded up to the newline.
      const b = await RawConn.open(mcrd.socket);
      held.push(b);
      b.write(Buffer.alloc(1024 * 1024, 'x'));
      const [oversize] = await b.until(1) as Array<{ ok: boolean; error: { code: string; message: string } }>;
      expect(oversize).toMatchObject({ ok: false, error: { code: 'EMSGSIZE' } });
      expect(oversize!.error.message).toContain('65536');
      expect((await mcrd.ctl(['ping'])).code).toBe(0);
      b.write('still discarded\n{"id":"b-ok","cmd":"ping"}\n');
      expect((await b.until(2))[1]).toEqual({ id: 'b-ok', ok: true, result: { pong: true } });

      // 50 half-open requests and one silent connection do not hold anyone else up.
      for (let i = 0; i < 50; i++) {
        const c = await RawConn.open(mcrd.socket);
        c.write(`{"id":${i},"cmd":"pi`);
        held.push(c);
      }
      held.push(await RawConn.open(mcrd.socket));
      const add = await mcrd.ctl(['add', '--rule-id', 'abuse', '--input-interface', 'r0', '--input-group', '239.1.1.20', '--input-port', '5020', '--outputs', '239.2.2.20:6020:r1']);
      expect(add).toMatchObject({ code: 0, stderr: '' });
      const listed = JSON.parse((await mcrd.ctl(['--json', 'list'])).stdout) as { rules: Array<{ id: string }> };
      expect(listed.rules.map((x) => x.id).sort()).toEqual(['abuse', 'real', 'stacks']);
      expect((await mcrd.ctl(['--json', 'stats'])).code).toBe(0);
      expect((await mcrd.ctl(['remove', '--rule-id', 'abuse'])).code).toBe(0);

      // 100 clients at once, all held open until all are answered: at most 64 connections are served,
      // the rest get one EBUSY line and are closed. held.length of them are already taken.
      const free = 64 - held.length;
      const burst = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
        const c = await RawConn.open(mcrd.socket);
        c.write(`{"id":"burst-${i}","cmd":"ping"}\n`);
        await c.until(1);
        return c;
      }));
      const replies = burst.map((c) => JSON.parse(c.lines[0] ?? 'null') as { id: unknown; ok: boolean; error?: { code: string; message: string } } | null);
      for (const c of burst) c.close();
      const pongs = replies.filter((x) => x?.ok === true);
      const busy = replies.filter((x) => x?.ok === false && x.error?.code === 'EBUSY' && x.error.message.includes('64'));
      console.log(`[hostile] 100 concurrent pings with ${held.length} connections held: ${pongs.length} answered, ${busy.length} EBUSY`);
      expect(pongs.length + busy.length).toBe(100);
      expect(pongs.length).toBeGreaterThanOrEqual(1);
      expect(pongs.length).toBeLessThanOrEqual(free);
      for (const p of pongs) expect(p).toMatchObject({ ok: true, result: { pong: true } });
      // The held half-open connections are still open (the idle limit is 60 s), not dropped to make room.
      expect(held.filter((c) => c.closed)).toHaveLength(0);
    } finally {
      for (const c of held) c.close();
    }

    const gen = await genP;
    const l = (await sink.done).listens[0]!;
    recordDelivery('real stream during control-socket abuse, 10k pps x 4 s', l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors });
    // Freed slots come back: a fresh client is served once the held connections are gone.
    await waitFor(async () => (await mcrd.ctl(['ping'])).code === 0, 'mcrd answering ping after the abuse', 10_000, 100);
    expect(gen.sent).toBe(40_000);
    expect(l).toMatchObject({ received: 40_000, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0 });
    expect((JSON.parse((await mcrd.ctl(['--json', 'list'])).stdout) as { rules: unknown[] }).rules).toEqual(rulesBefore);
    const after = await stats();
    expect(rule(after, 'real').packets - rule(before, 'real').packets).toBe(40_000);
    expect(rule(after, 'real').bytes - rule(before, 'real').bytes).toBe(40_000 * 1316);
    expect(Object.values(after.global.malformed).reduce((x, y) => x + y, 0)).toBe(Object.values(before.global.malformed).reduce((x, y) => x + y, 0));
  });
});
