/**
 * Router-side group state of one interface (RFC 3376 §6): per group the filter mode, source records
 * with timers, group timer, host compatibility timers (§7.3.2) and last reporter; every transition of
 * the §6.4.1/§6.4.2 tables (records.ts), expiry per §6.2.2/§6.3, the querier's "Send Q(G)" /
 * "Send Q(G,X)" actions with their retransmissions (§6.6.3) and timer lowering on another querier's
 * queries (§6.6.1). Timers are absolute deadlines on the injected clock, one clock timer per group
 * for the earliest. Tested in membership.test.ts.
 */
import type { Clock, TimerHandle } from '../types.js';
import type { RecordType } from './codec.js';
import { type Timers, groupMembershipIntervalMs, lastMemberQueryTimeMs } from './config.js';
import type { DropReason } from './drops.js';
import { type FilterMode, type QueryAction, type RecordState, applyRecord } from './records.js';

export type { FilterMode } from './records.js';
export type Compat = 'v1' | 'v2' | 'v3';

interface GroupState extends RecordState {
  v1Until: number;
  v2Until: number;
  lastReporter: string;
  since: number;
  /** Timers were lowered for a leave (our Q(G) or another querier's query): removal is a leave, not an expiry. */
  leaving: boolean;
  /** Forwarding signature last reported through routesChanged(). */
  sig: string;
  timer: TimerHandle | null;
  rtx: Retransmit | null;
}

/** Pending group-specific (count in `group`) and group-and-source-specific (count per source) queries. */
interface Retransmit { group: number; sources: Map<string, number>; timer: TimerHandle | null }

export interface GroupChange { kind: 'join' | 'leave' | 'expire'; group: string; reporter: string; mode: FilterMode; compat: Compat }

export interface GroupTableEnv {
  clock: Clock;
  /** Current protocol variables of the interface (adopted from the querier when non-querier). */
  timers(): Timers;
  /** True while this router is the querier here: only then do Q(G)/Q(G,X) actions run (§6.6.3). */
  isQuerier(): boolean;
  /** Group-and-source-specific queries need IGMPv3 on the wire. */
  sourceQueries(): boolean;
  sendQuery(group: string, sources: string[], suppress: boolean): void;
  changed(c: GroupChange): void;
  routesChanged(): void;
  drop(reason: DropReason): void;
  maxGroups: number;
  maxSources: number;
}

export const isSsm = (group: string): boolean => group.startsWith('232.');

const sorted = (it: Iterable<string>): string[] => [...it].sort();

export interface GroupRoute { group: string; source?: string; reason: string; expiresAtMs: number }

export class GroupTable {
  private readonly groups = new Map<string, GroupState>();

  constructor(private readonly env: GroupTableEnv) {}

  get size(): number {
    return this.groups.size;
  }

  private compat(st: GroupState, now: number): Compat {
    if (st.v1Until > now) return 'v1';
    if (st.v2Until > now) return 'v2';
    return 'v3';
  }

  /** What forwarding depends on (mode, reason, included sources); a timer refresh does not change it. */
  private signature(st: GroupState, now: number): string {
    if (st.mode === 'exclude') return `x${this.compat(st, now)}`;
    return `i${sorted(st.sources.keys()).join(',')}`;
  }

  /**
   * Apply one report: a v3 group record, or a v1/v2 report (as IS_EX({})) or leave (as TO_IN({})),
   * the mapping of §7.3.2. The caller has already refused non-multicast and 224.0.0.0/24 groups.
   */
  report(reporter: string, version: 1 | 2 | 3, type: RecordType, group: string, sources: readonly string[]): void {
    const now = this.env.clock.now();
    if (isSsm(group) && version !== 3) return this.env.drop('ssmOldVersion');
    if (isSsm(group) && (type === 'IS_EX' || type === 'TO_EX')) return this.env.drop('ssmExclude');
    const gmi = groupMembershipIntervalMs(this.env.timers());
    const old = this.groups.get(group);
    if (old) this.expire(group, old, now);
    let st = this.groups.get(group);
    if (!st && this.groups.size >= this.env.maxGroups) return this.env.drop('groupLimit');
    const isReport = version !== 3 && type === 'IS_EX';
    const v1Until = isReport && version === 1 ? now + gmi : (st?.v1Until ?? 0);
    const v2Until = isReport && version === 2 ? now + gmi : (st?.v2Until ?? 0);
    const compat: Compat = v1Until > now ? 'v1' : v2Until > now ? 'v2' : 'v3';
    if (compat === 'v1' && version === 2 && type === 'TO_IN') return this.env.drop('leaveInV1Mode');
    if (compat !== 'v3' && version === 3 && type === 'BLOCK') return this.env.drop('blockInCompatMode');
    // §7.3.2: with older hosts present the source list of TO_EX is ignored.
    const b = compat !== 'v3' && type === 'TO_EX' ? [] : sources;
    const draft: RecordState = st
      ? { mode: st.mode, groupUntil: st.groupUntil, sources: new Map(st.sources) }
      : { mode: 'include', groupUntil: 0, sources: new Map() };
    const actions = applyRecord(draft, type, b, now, gmi);
    if (draft.sources.size > this.env.maxSources) return this.env.drop('sourceLimit');
    if (!st) {
      if (draft.mode === 'include' && draft.sources.size === 0) return;
      st = { ...draft, v1Until, v2Until, lastReporter: reporter, since: now, leaving: false, sig: '', timer: null, rtx: null };
      this.groups.set(group, st);
      this.env.changed({ kind: 'join', group, reporter, mode: st.mode, compat });
    } else {
      Object.assign(st, draft, { v1Until, v2Until });
    }
    if (type !== 'TO_IN' && type !== 'BLOCK') {
      st.leaving = false;
      st.lastReporter = reporter;
    }
    if (this.env.isQuerier()) this.act(group, st, actions, now);
    this.expire(group, st, now);
  }

  /** §6.6.1: another querier's group(-and-source)-specific query without S lowers our timers to its LMQT. */
  queryHeard(group: string, sources: readonly string[], lmqtMs: number): void {
    const st = this.groups.get(group);
    if (!st) return;
    const now = this.env.clock.now();
    const low = now + lmqtMs;
    if (sources.length === 0) {
      if (st.mode === 'exclude' && st.groupUntil > low) {
        st.groupUntil = low;
        st.leaving = true;
      }
    } else {
      for (const s of sources) {
        const t = st.sources.get(s);
        if (t !== undefined && t > low) st.sources.set(s, low);
      }
    }
    this.expire(group, st, now);
  }

  /** Q(G) and Q(G,X) of the §6.4.2 tables as the querier runs them (§6.6.3): lower timers, then query. */
  private act(group: string, st: GroupState, actions: QueryAction[], now: number): void {
    const t = this.env.timers();
    const low = now + lastMemberQueryTimeMs(t);
    const rtx = st.rtx ?? { group: 0, sources: new Map<string, number>(), timer: null };
    let due = false;
    for (const a of actions) {
      if (a.q === 'G') {
        st.groupUntil = Math.min(st.groupUntil, low);
        st.leaving = true;
        rtx.group = t.lastMemberQueryCount;
        due = true;
      } else if (this.env.sourceQueries()) {
        for (const s of a.sources) {
          const deadline = st.sources.get(s);
          if (deadline === undefined || deadline <= low) continue;
          st.sources.set(s, low);
          rtx.sources.set(s, t.lastMemberQueryCount);
          due = true;
        }
      }
    }
    if (!due) return;
    rtx.timer?.cancel();
    st.rtx = rtx;
    this.retransmit(group, st);
  }

  /** Send what is due now and schedule the rest every LMQI; S is set where timers are above LMQT (§6.6.3). */
  private retransmit(group: string, st: GroupState): void {
    const rtx = st.rtx;
    if (!rtx || this.groups.get(group) !== st) return;
    const t = this.env.timers();
    const low = this.env.clock.now() + lastMemberQueryTimeMs(t);
    if (rtx.group > 0) {
      this.env.sendQuery(group, [], st.mode === 'exclude' && st.groupUntil > low);
      rtx.group--;
    }
    const withS: string[] = [];
    const withoutS: string[] = [];
    for (const [s, left] of rtx.sources) {
      ((st.sources.get(s) ?? 0) > low ? withS : withoutS).push(s);
      if (left <= 1) rtx.sources.delete(s);
      else rtx.sources.set(s, left - 1);
    }
    if (withS.length) this.env.sendQuery(group, withS.sort(), true);
    if (withoutS.length) this.env.sendQuery(group, withoutS.sort(), false);
    if (rtx.group > 0 || rtx.sources.size > 0) {
      rtx.timer = this.env.clock.setTimer(t.lastMemberQueryIntervalMs, () => this.retransmit(group, st));
    } else {
      st.rtx = null;
    }
  }

  /** Run the expiries due now (§6.2.2, §6.3), remove an empty group, reschedule, report a forwarding change. */
  private expire(group: string, st: GroupState, now: number): void {
    if (st.mode === 'include') {
      for (const [s, t] of st.sources) if (t <= now) st.sources.delete(s);
    } else {
      for (const [s, t] of st.sources) if (t !== 0 && t <= now) st.sources.set(s, 0);
      if (st.groupUntil <= now) {
        st.mode = 'include';
        st.groupUntil = 0;
        for (const [s, t] of st.sources) if (t === 0) st.sources.delete(s);
      }
    }
    st.timer?.cancel();
    st.timer = null;
    if (st.mode === 'include' && st.sources.size === 0) {
      st.rtx?.timer?.cancel();
      this.groups.delete(group);
      this.env.changed({ kind: st.leaving ? 'leave' : 'expire', group, reporter: st.lastReporter, mode: st.mode, compat: this.compat(st, now) });
      this.env.routesChanged();
      return;
    }
    const next = Math.min(...[st.groupUntil, st.v1Until, st.v2Until, ...st.sources.values()].filter((t) => t > now));
    st.timer = this.env.clock.setTimer(next - now, () => {
      if (this.groups.get(group) === st) this.expire(group, st, this.env.clock.now());
    });
    const sig = this.signature(st, now);
    if (sig !== st.sig) {
      st.sig = sig;
      this.env.routesChanged();
    }
  }

  /** Forget every group (interface down or gone); true if there was any. */
  clear(): boolean {
    for (const st of this.groups.values()) {
      st.timer?.cancel();
      st.rtx?.timer?.cancel();
    }
    const had = this.groups.size > 0;
    this.groups.clear();
    return had;
  }

  /** Forwarding state of a group: INCLUDE {forwarded sources} or EXCLUDE {excluded sources}. */
  members(group: string): { mode: FilterMode; sources: string[] } | null {
    const st = this.groups.get(group);
    if (!st) return null;
    const pick = st.mode === 'include' ? [...st.sources.keys()] : [...st.sources].filter(([, t]) => t === 0).map(([s]) => s);
    return { mode: st.mode, sources: pick.sort() };
  }

  /** One entry per forwarded (*,G) or (S,G); EXCLUDE forwards (*,G) whatever it excludes (see README). */
  routes(): GroupRoute[] {
    const now = this.env.clock.now();
    const out: GroupRoute[] = [];
    for (const [group, st] of this.groups) {
      if (st.mode === 'exclude') {
        const c = this.compat(st, now);
        out.push({ group, reason: c === 'v3' ? 'igmp v3 exclude' : `igmp ${c} report`, expiresAtMs: st.groupUntil });
      } else {
        for (const [source, t] of st.sources) out.push({ group, source, reason: 'igmp v3 include', expiresAtMs: t });
      }
    }
    return out;
  }

  /** The `groups` view rows of this interface, sorted by group. */
  view(): Array<Record<string, unknown>> {
    const now = this.env.clock.now();
    const left = (t: number) => (t > now ? t - now : null);
    return [...this.groups].sort(([a], [b]) => a.localeCompare(b)).map(([group, st]) => ({
      group,
      mode: st.mode,
      compat: this.compat(st, now),
      lastReporter: st.lastReporter,
      uptimeMs: now - st.since,
      groupTimerMs: st.mode === 'exclude' ? left(st.groupUntil) : null,
      expiresAtMs: st.mode === 'exclude' ? st.groupUntil : Math.max(...st.sources.values()),
      v1HostTimerMs: left(st.v1Until),
      v2HostTimerMs: left(st.v2Until),
      sources: sorted(st.sources.keys()).map((source) => {
        const t = st.sources.get(source)!;
        return { source, timerMs: left(t), forwarding: st.mode === 'include' || t > 0 };
      }),
    }));
  }
}
