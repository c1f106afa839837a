/**
 * (S,G) Assert state per interface (RFC 7761 §4.6.1): NoInfo, Winner, Loser, with the Assert Timer.
 * Metrics compare per §4.6.3: RPT bit (SPT wins), then lower preference, then lower metric, then the
 * higher address. A winner re-asserts every Assert_Time − Assert_Override_Interval; a loser forgets
 * the winner after Assert_Time without hearing from it.
 */
import type { Clock, TimerHandle } from '../types.js';
import { ipv4 } from './addr.js';

export const ASSERT_TIME_MS = 180_000;
export const ASSERT_OVERRIDE_INTERVAL_MS = 3_000;
/** §4.6.1: what we assert when there is no route to the source. */
export const INFINITE_METRIC = { rpt: true, preference: 0x7fffffff, metric: 0xffffffff };

export interface AssertMetric { rpt: boolean; preference: number; metric: number; address: string }

/** True when `a` beats `b`. */
export function assertBetter(a: AssertMetric, b: AssertMetric): boolean {
  if (a.rpt !== b.rpt) return !a.rpt;
  if (a.preference !== b.preference) return a.preference < b.preference;
  if (a.metric !== b.metric) return a.metric < b.metric;
  return ipv4(a.address) > ipv4(b.address);
}

export type AssertStateName = 'NoInfo' | 'Winner' | 'Loser';

export interface AssertHooks {
  sendAssert(m: AssertMetric | 'cancel'): void;
  changed(): void;
}

export class AssertState {
  state: AssertStateName = 'NoInfo';
  winner: AssertMetric | undefined;
  timerAtMs: number | undefined;
  private at: TimerHandle | undefined;

  constructor(private readonly clock: Clock, private readonly hooks: AssertHooks) {}

  private setTimer(ms: number, fn: () => void): void {
    this.at?.cancel();
    this.timerAtMs = this.clock.now() + ms;
    this.at = this.clock.setTimer(ms, () => { this.at = undefined; this.timerAtMs = undefined; fn(); });
  }

  private become(state: AssertStateName, winner: AssertMetric | undefined): void {
    const changed = state !== this.state;
    this.state = state;
    this.winner = winner;
    if (state === 'NoInfo') { this.at?.cancel(); this.at = undefined; this.timerAtMs = undefined; }
    if (changed) this.hooks.changed();
  }

  private winAndRefresh(mine: () => AssertMetric): void {
    const m = mine();
    this.hooks.sendAssert(m);
    this.become('Winner', m);
    this.setTimer(ASSERT_TIME_MS - ASSERT_OVERRIDE_INTERVAL_MS, () => this.winAndRefresh(mine));
  }

  /** Data arrived on this interface, which is in our outgoing list (CouldAssert): claim it. */
  dataOnOif(mine: () => AssertMetric): void {
    if (this.state === 'NoInfo') this.winAndRefresh(mine);
  }

  /**
   * An Assert from another router. `mine` is our metric when CouldAssert holds on the interface,
   * undefined when we do not forward there.
   */
  receive(theirs: AssertMetric, mine: (() => AssertMetric) | undefined): void {
    // AssertCancel is the infinite metric with the RPT bit (§4.6.1); FRR 8.4 sends it without the bit,
    // and an infinite metric claims nothing either way.
    const cancel = theirs.preference === INFINITE_METRIC.preference && theirs.metric === INFINITE_METRIC.metric;
    const ours = mine?.();
    if (this.state === 'Loser' && this.winner?.address === theirs.address && (cancel || (ours && assertBetter(ours, theirs)))) {
      // The winner retracted or got worse than us: forget it (and claim it if we can).
      this.become('NoInfo', undefined);
      if (mine) this.winAndRefresh(mine);
      return;
    }
    // A loser heeds only its winner and better claims (§4.6.1): an inferior Assert from another router,
    // e.g. the other loser's heard after the winner's, must not become the winner (downstream routers
    // would send their Joins to it).
    if (this.state === 'Loser' && this.winner && theirs.address !== this.winner.address && !assertBetter(theirs, this.winner)) return;
    if (ours && assertBetter(ours, theirs)) {
      if (this.state !== 'Loser') this.winAndRefresh(mine!);
      return;
    }
    if (cancel && this.state !== 'Loser') return;
    this.become('Loser', theirs);
    this.setTimer(ASSERT_TIME_MS, () => this.become('NoInfo', undefined));
  }

  /**
   * A Join naming us as upstream arrived on this interface (§4.6.1, §4.6.2: A5). While we lost it, a
   * downstream router wants us after all: forget the winner and let Join/Prune decide.
   */
  joinedHere(): void {
    if (this.state === 'Loser') this.become('NoInfo', undefined);
  }

  /** CouldAssert became false while winning: send AssertCancel and forget (§4.6.1). */
  stopForwarding(): void {
    if (this.state === 'Winner') this.hooks.sendAssert('cancel');
    if (this.state !== 'NoInfo') this.become('NoInfo', undefined);
  }

  get lost(): boolean { return this.state === 'Loser'; }
  stop(): void { this.at?.cancel(); }
}
