/**
 * One membership test on one router (RFC 3918 §6.1/§6.2): per repetition, every stream starts and
 * keeps flowing at the test's rate (the delays are defined with the stream already flowing), then
 * each receiver runs its join/leave cycles with mcr-member in its own namespace, all at once (each
 * on its own LAN), while watchers record when each source really sent (cycles in which it paused are
 * left out of the figures) and, optionally, when the stream arrived on the router's SPT and RPT
 * links. The reports become the test record in lab/measure/membership.ts.
 */
import { membershipTest, receiverOf, type Watched } from '../measure/membership.js';
import type { MembershipRepetition, MembershipTest } from '../results/membership.js';
import type { CpuPlacement, RelayName } from '../results/types.js';
import { sourceRpfNotes } from '../runners/frr.js';
import type { RelayHandle } from '../runners/types.js';
import type { ResolvedMembershipTest } from '../scenario/resolve-protocols.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { addressOf } from '../topology/build.js';
import type { RunContext } from '../topology/context.js';
import { memberBoundMs, runMember, startStream, startWatch, type MemberReport, type MemberSchedule, type Stoppable, type WatchOptions, type WatchReport } from '../traffic/member.js';
import type { GenReport } from '../traffic/reports.js';
import { sleep } from './trial.js';
import { waitFor } from '../runners/process.js';
import { startSink, type SinkHandle } from '../traffic/sink.js';

/** How long the streams flow before the first join, so the first cycle also finds them flowing. */
const LEAD_MS = 500;
const SETTLE_MS = 300;

export interface Receiver {
  receiver: string; host: string; interface: string; group: string; port: number;
  /** The router's interface towards it (its output's interface). */
  via: string;
}

/** The sinks that join and leave: the test's receivers (default: every output), with their stream's group. */
export function receiversOf(s: ResolvedScenario, t: ResolvedMembershipTest): Receiver[] {
  return s.streams.flatMap((st) => st.outputs
    .filter((o) => t.receivers === undefined || t.receivers.includes(o.name))
    .map((o) => ({ receiver: o.name, host: o.sink.host, interface: o.sink.interface, group: st.group, port: st.port, via: o.interface })));
}

/** Rough seconds for the progress estimate: cycles of hold, gap, quiet, and ~1 s of leave. */
export function membershipEstimateS(t: ResolvedMembershipTest): number {
  return (LEAD_MS + SETTLE_MS) / 1000 + t.cycles * ((t.holdMs + t.gapMs + t.quietMs) / 1000 + 1);
}

export async function runMembershipTest(
  ctx: RunContext, s: ResolvedScenario, t: ResolvedMembershipTest, relay: RelayName, handle: RelayHandle, placement: CpuPlacement,
  onRepetition: (rep: number) => void,
): Promise<MembershipTest> {
  const cpus = placement.pinned ? placement.traffic : undefined;
  const receivers = receiversOf(s, t);
  const schedule: MemberSchedule = { cycles: t.cycles, holdMs: t.holdMs, gapMs: t.gapMs, timeoutMs: t.timeoutMs, quietMs: t.quietMs, settleMs: SETTLE_MS };
  const notes = relay === 'frr' ? await sourceRpfNotes(ctx, s) : [];
  const repetitions: MembershipRepetition[] = [];
  for (let rep = 1; rep <= t.repetitions; rep++) {
    onRepetition(rep);
    const watchers = startWatchers(ctx, s, t, receivers, cpus);
    const streams = s.streams.map((st) => {
      const bind = addressOf(s, st.source.host, st.source.interface);
      const o = {
        netns: ctx.ns(st.source.host), interface: st.source.interface, dst: [`${st.group}:${st.port}`], ...(bind ? { bind } : {}),
        ratePps: t.ratePps, durationS: Math.ceil((LEAD_MS + memberBoundMs(schedule)) / 1000) + 30,
        payloadBytes: st.payloadBytes, ttl: st.ttl, ...(cpus ? { cpus } : {}),
      };
      ctx.log.write(`mcr-gen (until stopped) ${JSON.stringify(o)}`);
      return startStream(o);
    });
    let reports: MemberReport[];
    let watched: Map<string, Watched>;
    let stopped: Array<PromiseSettledResult<GenReport>> = [];
    try {
      await sleep(LEAD_MS, ctx.signal);
      reports = await Promise.all(receivers.map((rx) => {
        const o = { netns: ctx.ns(rx.host), interface: rx.interface, group: `${rx.group}:${rx.port}`, ...schedule, ...(cpus ? { cpus } : {}) };
        ctx.log.write(`mcr-member ${JSON.stringify(o)}`);
        return runMember({ ...o, signal: ctx.signal });
      }));
      watched = await watchers.stop();
      if (rep === 1) await logRouterState(ctx, s, relay, handle, receivers, cpus);
    } finally {
      await watchers.stop().catch(() => undefined);
      stopped = await Promise.allSettled(streams.map((g) => g.stop()));
    }
    const sent = stopped.reduce((a, g) => a + (g.status === 'fulfilled' ? g.value.sent : 0), 0);
    const dead = handle.problem();
    if (dead) throw new Error(`relay died during ${t.name}: ${dead}`);
    repetitions.push({
      sent,
      receivers: reports.map((r, i) => {
        const rx = receivers[i]!;
        return receiverOf({ receiver: rx.receiver, host: rx.host, interface: rx.interface }, r, watched.get(`${rx.group}:${rx.port}`));
      }),
    });
  }
  return membershipTest(t.name, relay, t.ratePps, t.cycles, repetitions, notes);
}

/** How long the router-state snapshot waits for sinks and members (generous for an emulated CPU; it ends when they are there). */
const STATE_WAIT_MS = 30_000;

/**
 * The router's own view, once per test: after the first repetition's cycles, the streams still
 * flowing, every receiver joins again (an mcr-sink) until the router lists it as a member on the
 * interface towards it (where that is one of its IGMP interfaces), then what the router's tools
 * print (mcrctl igmp groups and mroute; FRR's show ip igmp groups and show ip mroute and the kernel's
 * ip mroute) goes to the run log under "router state (RELAY ...)". Outside the measured cycles, so it
 * costs them nothing; a failure is logged, never fatal.
 */
async function logRouterState(ctx: RunContext, s: ResolvedScenario, relay: RelayName, handle: RelayHandle, receivers: Receiver[], cpus: number[] | undefined): Promise<void> {
  if (!handle.routerState || !handle.members) return;
  const igmpIfs = new Set(s.router?.igmp?.interfaces ?? []);
  const wanted = [...new Set(receivers.filter((rx) => igmpIfs.has(rx.via)).map((rx) => `${rx.via} ${rx.group}`))];
  const sinks: SinkHandle[] = [];
  try {
    for (const rx of receivers) {
      sinks.push(await startSink({
        netns: ctx.ns(rx.host), interface: rx.interface, listen: [`${rx.group}:${rx.port}`], durationS: 600,
        readyTimeoutMs: STATE_WAIT_MS, signal: ctx.signal, ...(cpus ? { cpus } : {}),
      }));
    }
    const members = handle.members.bind(handle);
    let known: string[] = [];
    const all = await waitFor(async () => {
      known = await members();
      return wanted.every((m) => known.includes(m));
    }, `${relay} listing members ${wanted.join(', ')}`, { timeoutMs: STATE_WAIT_MS, intervalMs: 200, signal: ctx.signal }).catch(() => false);
    const state = await handle.routerState();
    ctx.log.write(`router state (${relay}, every receiver joined again after the cycles; ${all ? 'members' : `NOT all members after ${STATE_WAIT_MS / 1000} s, known`}: ${known.join(', ') || 'none'}):\n${state}`);
  } catch (err) {
    ctx.log.write(`router state (${relay}): not taken: ${(err as Error).message}`);
  } finally {
    await Promise.allSettled(sinks.map((h) => h.stop()));
  }
}

/** A source that sends nothing for this long (20 frame intervals, at least 20 ms) has paused. */
export const sourcePauseMs = (ratePps: number): number => Math.max(20, Math.ceil(20_000 / ratePps));

/**
 * Watchers per stream (group:port): at its source, what it really sent (`--outgoing`: a loaded
 * machine pauses generators too), and with `convergence` on the router's SPT and RPT interfaces.
 * stop() ends them all once and returns what each stream's receivers were watched with.
 */
function startWatchers(ctx: RunContext, s: ResolvedScenario, t: ResolvedMembershipTest, receivers: Receiver[], cpus: number[] | undefined) {
  const start = (o: WatchOptions) => {
    ctx.log.write(`mcr-member --watch ${JSON.stringify(o)}`);
    return startWatch({ ...o, ...(cpus ? { cpus } : {}) });
  };
  const pauseMs = sourcePauseMs(t.ratePps);
  const per = new Map<string, { source: Stoppable<WatchReport>; spt?: Stoppable<WatchReport>; rpt?: Stoppable<WatchReport> }>();
  for (const rx of receivers) {
    const key = `${rx.group}:${rx.port}`;
    const st = s.streams.find((x) => x.group === rx.group && x.port === rx.port)!;
    if (per.has(key)) continue;
    const tree = (ifname: string) => start({ netns: ctx.ns(s.relayHost), interface: ifname, group: key, quietMs: t.quietMs });
    per.set(key, {
      source: start({ netns: ctx.ns(st.source.host), interface: st.source.interface, group: key, quietMs: pauseMs, outgoing: true }),
      ...(t.convergence ? { spt: tree(t.convergence.spt), rpt: tree(t.convergence.rpt) } : {}),
    });
  }
  let result: Promise<Map<string, Watched>> | undefined;
  return {
    stop(): Promise<Map<string, Watched>> {
      result ??= (async () => {
        const out = new Map<string, Watched>();
        for (const [key, w] of per) {
          const [source, spt, rpt] = await Promise.all([w.source.stop(), w.spt?.stop(), w.rpt?.stop()]);
          out.set(key, { source: { runs: source.runs, pauseUs: pauseMs * 1000 }, ...(spt && rpt ? { tree: { spt, rpt } } : {}) });
        }
        return out;
      })();
      return result;
    },
  };
}
