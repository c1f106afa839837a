/**
 * One soak run: build the topology, start mcrd and the sinks, then for N minutes run traffic in
 * 10 s segments while the fault schedule fires and rules churn; sample mcrd's processes and counters
 * at each segment start; at the end check the rule table and the log, and judge (verdict.ts).
 * Namespaces are `soak-run-*`; everything is torn down on the way out, also on failure.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RuleView, StatsView } from '../relay/control/api.js';
import { packageRoot } from '../lab/traffic/traffic.js';
import { Churn } from './churn.js';
import { type FaultContext, inject } from './faults.js';
import { IgmpReceivers, mcrdChurnGroups } from './igmp-churn.js';
import { type SoakMcrd, startSoakMcrd } from './mcrd.js';
import { type FaultKind, type Schedule, planFaults } from './schedule.js';
import { HUP_RULE, buildTopology, outputKey, streamRules, type Topology } from './topology.js';
import { SEGMENT_S, SoakTraffic, streamId } from './traffic.js';
import { type FaultRecord, type Sample, type SegmentRecord, type SoakRecord, type Verdict, judge } from './verdict.js';

const run = promisify(execFile);

export interface SoakOptions {
  minutes: number;
  /** Datagrams per second per stream (20 streams). */
  streamPps?: number;
  /** Progress lines (one per segment and fault). */
  progress?: (line: string) => void;
}

export interface SoakResult {
  schedule: Schedule; record: SoakRecord; verdict: Verdict; churn: { changes: number; refused: string[] };
  /** mcrd's whole log (stderr), for a look after a failure. */
  mcrdLog: string;
}

/** Error log lines each fault may cause; anything else at level error fails the run. */
const EXPLAINS: Array<[RegExp, FaultKind]> = [
  [/worker \d+ (exited|ended|died)|worker .*SIGKILL|signal SIGKILL/, 'worker-kill'],
  [/interface change not applied|ENETDOWN/, 'link-flap'],
  [/ENODEV|no such device/i, 'link-recreate'],
];

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const schedule = planFaults(o.minutes);
  const say = o.progress ?? (() => {});
  const rules = streamRules();
  const streamPps = o.streamPps ?? 2500;
  const dir = await mkdtemp(join(tmpdir(), 'soak-'));
  let t: Topology | undefined;
  let mcrd: SoakMcrd | undefined;
  let traffic: SoakTraffic | undefined;
  let churn: Churn | undefined;
  let igmp: IgmpReceivers | undefined;
  try {
    const floodBinary = join(dir, 'frame_flood');
    await run('cc', ['-O2', '-Wall', '-Wextra', '-o', floodBinary, join(packageRoot(), 'test/fixtures/frame_flood.c')]);
    t = await buildTopology(dir);
    mcrd = await startSoakMcrd({ netns: t.r, dir, config: t.config });
    traffic = new SoakTraffic(t, rules, streamPps);
    await traffic.startSinks();
    churn = new Churn(mcrd.socket);
    await churn.start();
    igmp = new IgmpReceivers(t.s1, '10.2.0.2');
    const ctx: FaultContext = { t, mcrd, floodBinary, hup: false, readdressed: false, igmp };
    const startMs = Date.now();
    say(`soak: ${o.minutes} min, ${rules.length} streams × ${streamPps} pps, ${schedule.faults.length} faults (periods × ${schedule.scale.toFixed(2)})`);

    const faults: FaultRecord[] = [];
    const faultErrors: string[] = [];
    const faultLoop = (async () => {
      for (const f of schedule.faults) {
        const wait = startMs + f.atS * 1000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        try {
          const rec = await inject(f.kind, ctx);
          faults.push(rec);
          say(`  ${((rec.startMs - startMs) / 1000).toFixed(1)} s ${f.kind}: ${rec.detail} (${rec.endMs - rec.startMs} ms)`);
        } catch (err) {
          faultErrors.push(`${f.kind} at ${f.atS} s: ${(err as Error).message}`);
          say(`  ${f.kind} at ${f.atS} s FAILED: ${(err as Error).message}`);
        }
      }
    })();

    const segments: Array<Omit<SegmentRecord, 'outputs'> & { sent: Map<number, number>; sendErrors: Map<string, number> }> = [];
    const samples: Sample[] = [];
    let prevDrops = await countedDrops(mcrd, traffic);
    // A counter that went down was reset (worker restart, new sink): count from zero.
    const delta = (now: number, before: number) => (now >= before ? now - before : now);
    const since = (now: Drops, before: Drops) => ({ ring: delta(now.ring, before.ring), socket: delta(now.socket, before.socket), backlog: delta(now.backlog, before.backlog) });
    const total = (d: { ring: number; socket: number; backlog: number }) => d.ring + d.socket + d.backlog;
    const nSegments = Math.floor(schedule.durationS / SEGMENT_S);
    for (let k = 0; k < nSegments; k++) {
      await traffic.beforeSegment(k);
      const seg = traffic.runSegment(k);
      const atMs = Date.now();
      const [processes, ruleCount] = await Promise.all([mcrd.sample(), mcrd.ctl.request<{ rules: RuleView[] }>('list').then((l) => l.rules.length)]);
      samples.push({ atMs, processes, rules: ruleCount });
      const s = await seg;
      const drops = await countedDrops(mcrd, traffic);
      const sendErrors = new Map([...drops.sendErrors].map(([o, n]) => [o, delta(n, prevDrops.sendErrors.get(o) ?? 0)]));
      const counted = since(drops, prevDrops);
      segments.push({ index: k, startMs: s.startMs, endMs: s.endMs, sent: s.sent, sendErrors, countedDrops: total(counted), drops: counted });
      prevDrops = drops;
      const sup = processes.find((p) => p.role === 'supervisor');
      say(`  segment ${k}: ${[...s.sent.values()].reduce((a, x) => a + x, 0)} sent, supervisor RSS ${sup?.rssKiB} KiB, ${sup?.fds} fds, ${ruleCount} rules`);
    }
    await faultLoop;
    await churn.stop();
    // Drops the engine counts late (it reads the ring's counter when it runs again after a stall)
    // still belong to the last segment: one more read once the traffic has drained.
    await new Promise((r) => setTimeout(r, 1500));
    const late = await countedDrops(mcrd, traffic);
    const lateCountedDrops = total(since(late, prevDrops));
    await traffic.stopSinks();

    const received = traffic.received();
    const segmentRecords: SegmentRecord[] = segments.map(({ sent, sendErrors, ...s }) => ({
      ...s,
      outputs: Object.fromEntries(rules.flatMap((r) => r.outputs.map((out) => {
        const id = streamId(s.index, r.stream);
        const key = outputKey(out);
        return [key, { stream: r.stream, sent: sent.get(id) ?? 0, received: received.get(key)?.get(id) ?? 0, sendErrors: sendErrors.get(key) ?? 0 }];
      }))),
    }));

    const listed = (await mcrd.ctl.request<{ rules: RuleView[] }>('list')).rules;
    const finalIgmp = await settledIgmp(mcrd, igmp.joined());
    const expected = [...rules.map((r) => r.id), ...(ctx.hup ? [HUP_RULE] : []), ...churn.present];
    const errorLines = mcrd.log().split('\n').filter((l) => /^\S+ error /.test(l) || /"level":"error"/.test(l))
      .map((line) => ({ line, explainedBy: EXPLAINS.find(([re, kind]) => re.test(line) && faults.some((f) => f.kind === kind))?.[1] ?? null }));
    for (const e of faultErrors) errorLines.push({ line: `soak: fault not completed: ${e}`, explainedBy: null });
    const record: SoakRecord = {
      startMs, warmupMs: schedule.warmupS * 1000, streamPps, faults, segments: segmentRecords, lateCountedDrops, samples,
      finalRules: { expected: expected.sort(), actual: listed.map((r) => r.id).sort() },
      finalIgmp,
      errorLines,
    };
    return { schedule, record, verdict: judge(record), churn: { changes: churn.changes, refused: churn.refused }, mcrdLog: mcrd.log() };
  } finally {
    await churn?.stop().catch(() => undefined);
    await igmp?.stop().catch(() => undefined);
    await traffic?.stopSinks().catch(() => undefined);
    await mcrd?.stop().catch(() => undefined);
    await t?.lab.destroy().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The churn groups mcrd has members for, once they match `expected` or 10 s have passed (a Leave
 * just before the end takes the last-member query time to settle).
 */
async function settledIgmp(mcrd: SoakMcrd, expected: string[]): Promise<{ expected: string[]; actual: string[] }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const actual = await mcrdChurnGroups(mcrd.ctl);
    if (actual.join() === expected.join() || Date.now() > deadline) return { expected, actual };
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Drops { ring: number; socket: number; backlog: number; sendErrors: Map<string, number> }

/**
 * The counters that name lost datagrams: mcrd's ring drops, the sinks' socket drops, the kernel's
 * backlog drops (a full per-CPU input queue: /proc/net/softnet_stat, machine-wide, the only counter
 * the kernel has for them), and mcrd's send errors per output.
 */
async function countedDrops(mcrd: SoakMcrd, traffic: SoakTraffic): Promise<Drops> {
  const stats = await mcrd.ctl.request<StatsView>('stats');
  const sendErrors = new Map<string, number>();
  for (const o of stats.rules.flatMap((r) => r.outputs)) sendErrors.set(outputKey(o), (sendErrors.get(outputKey(o)) ?? 0) + o.sendErrors);
  return { ring: stats.global.ringDrops, socket: await traffic.socketDrops(), backlog: await backlogDrops(), sendErrors };
}

/** Packets the kernel dropped for a full input backlog, all CPUs (column 2 of /proc/net/softnet_stat, hex). */
async function backlogDrops(): Promise<number> {
  const text = await readFile('/proc/net/softnet_stat', 'utf8');
  return text.trim().split('\n').reduce((a, line) => a + Number.parseInt(line.trim().split(/\s+/)[1] ?? '0', 16), 0);
}
