/**
 * The multicast tree state of RFC 7761 §4.1, per group and per source, with the outgoing-list
 * macros of §4.1.6 and the upstream machines of §4.5.5 ((*,G)), §4.5.6 ((S,G)) and §4.5.7
 * ((S,G,rpt)), and the KeepAlive timer and SPT bit of §4.2. Everything here is synchronous; the
 * module resolves RPF asynchronously and hands the results in through `Env`.
 */
import type { Clock, TimerHandle } from '../types.js';
import { AssertState } from './assert.js';
import { DownstreamJoin, DownstreamRptPrune } from './downstream.js';
import { RegisterState } from './register.js';

/** §4.11: Keepalive_Period 210 s; RP_Keepalive_Period = 3 × Register_Suppression_Time + Register_Probe_Time. */
export const KEEPALIVE_MS = 210_000;
export const RP_KEEPALIVE_MS = 185_000;

export interface Target { ifname: string; neighbor: string }
export const sameTarget = (a: Target | null | undefined, b: Target | null | undefined): boolean =>
  (!a && !b) || (!!a && !!b && a.ifname === b.ifname && a.neighbor === b.neighbor);

/** An upstream Join machine ((*,G) §4.5.5 or (S,G) §4.5.6): NotJoined / Joined with its Join Timer. */
export class UpstreamJoin {
  target: Target | null = null;
  joinTimerAtMs: number | undefined;
  private jt: TimerHandle | undefined;

  constructor(private readonly clock: Clock, private readonly fire: () => void) {}

  get joined(): boolean { return this.target !== null; }

  setTimer(ms: number): void {
    this.jt?.cancel();
    this.joinTimerAtMs = this.clock.now() + ms;
    this.jt = this.clock.setTimer(ms, () => { this.jt = undefined; this.joinTimerAtMs = undefined; this.fire(); });
  }

  /** "Increase Join Timer to t": only ever lengthens it. */
  atLeast(ms: number): void {
    if (this.joined && (this.joinTimerAtMs ?? 0) < this.clock.now() + ms) this.setTimer(ms);
  }

  /** "Decrease Join Timer to t": only ever shortens it. */
  atMost(ms: number): void {
    if (this.joined && (this.joinTimerAtMs === undefined || this.joinTimerAtMs > this.clock.now() + ms)) this.setTimer(ms);
  }

  leave(): void { this.jt?.cancel(); this.jt = undefined; this.joinTimerAtMs = undefined; this.target = null; }
}

export type RptUpstreamState = 'RPTNotJoined' | 'Pruned' | 'NotPruned';

export class SourceEntry {
  readonly sg = new Map<string, DownstreamJoin>();
  readonly rpt = new Map<string, DownstreamRptPrune>();
  readonly asserts = new Map<string, AssertState>();
  readonly up: UpstreamJoin;
  rptState: RptUpstreamState = 'RPTNotJoined';
  overrideAtMs: number | undefined;
  overrideTimer: TimerHandle | undefined;
  sptBit = false;
  keepaliveAtMs: number | undefined;
  private kat: TimerHandle | undefined;
  register: RegisterState | undefined;
  /** The interface mcrd itself originates this source onto (dataArrived with local: true). */
  localIf: string | undefined;
  /**
   * Interfaces a route forwarded this source's data on (forgotten when the keepalive ends), with the
   * frame time of the first such datagram when the engine gave one (ms since the epoch). The engine
   * reports a flow once and then every 20 s, so "data arrives on iif" (§4.2.2 Update_SPTbit) is
   * re-checked from here whenever the state changes, not only when a report comes.
   */
  readonly dataIfs = new Map<string, number | undefined>();
  /**
   * The SPT bit's data time (dataIfs of the interface that set it): the RP still forwards a Register
   * that arrived before it, whose native copy no route took (its JavaScript may run behind the wire).
   */
  sptSinceMs: number | undefined;
  /**
   * Every interface this source's data was reported on, routed or not, with when (clock ms). Another
   * router's copies seen on an interface before it joined our outgoing list still call for an Assert
   * once it does (§4.6: data on an outgoing interface), though the engine reports them only every 20 s.
   */
  readonly seenOn = new Map<string, number>();

  constructor(readonly source: string, private readonly clock: Clock, fireJoin: () => void, private readonly katExpired: () => void) {
    this.up = new UpstreamJoin(clock, fireJoin);
  }

  get keepaliveRunning(): boolean { return this.kat !== undefined; }

  restartKeepalive(ms: number): void {
    this.kat?.cancel();
    this.keepaliveAtMs = this.clock.now() + ms;
    this.kat = this.clock.setTimer(ms, () => {
      this.kat = undefined;
      this.keepaliveAtMs = undefined;
      this.sptBit = false;
      this.sptSinceMs = undefined;
      this.dataIfs.clear();
      this.katExpired();
    });
  }

  stop(): void {
    this.kat?.cancel();
    this.overrideTimer?.cancel();
    this.up.leave();
    this.register?.stop();
    for (const d of this.sg.values()) d.stop();
    for (const d of this.rpt.values()) d.stop();
    for (const a of this.asserts.values()) a.stop();
  }

  /** Nothing left worth keeping: no downstream, upstream, keepalive, register or assert state. */
  get idle(): boolean {
    return !this.up.joined && this.kat === undefined && this.rptState !== 'Pruned'
      && [...this.sg.values()].every((d) => !d.joined) && [...this.rpt.values()].every((d) => d.state === 'NoInfo')
      && [...this.asserts.values()].every((a) => a.state === 'NoInfo') && (this.register?.state ?? 'NoInfo') === 'NoInfo';
  }
}

export class GroupEntry {
  readonly star = new Map<string, DownstreamJoin>();
  readonly starAsserts = new Map<string, AssertState>();
  readonly sources = new Map<string, SourceEntry>();
  readonly up: UpstreamJoin;
  /** The RP the (*,G) Join went to, for the Prune when it changes. */
  joinedRp: string | undefined;

  constructor(readonly group: string, clock: Clock, fireJoin: () => void) {
    this.up = new UpstreamJoin(clock, fireJoin);
  }

  get idle(): boolean {
    return !this.up.joined && [...this.star.values()].every((d) => !d.joined) && this.sources.size === 0;
  }

  stop(): void {
    this.up.leave();
    for (const d of this.star.values()) d.stop();
    for (const s of this.sources.values()) s.stop();
  }
}

/** An outgoing interface with why it is there. */
export interface Oif { ifname: string; reason: 'pim join' | 'igmp'; expiresAtMs?: number }

/** Set algebra on outgoing lists, keyed by interface; the first reason for an interface is kept. */
export function union(...lists: Oif[][]): Oif[] {
  const m = new Map<string, Oif>();
  for (const l of lists) for (const o of l) if (!m.has(o.ifname)) m.set(o.ifname, o);
  return [...m.values()];
}
export const minus = (l: Oif[], drop: Set<string>): Oif[] => l.filter((o) => !drop.has(o.ifname));
