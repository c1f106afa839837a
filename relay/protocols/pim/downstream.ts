/**
 * Downstream per-interface Join/Prune state (RFC 7761 §4.5.2–§4.5.4), one object per
 * (interface, (*,G) | (S,G) | (S,G,rpt)). The owner feeds received Join/Prune entries in and reads
 * the state back; `changed` fires on every state change so the owner re-evaluates the tree.
 */
import type { Clock, TimerHandle } from '../types.js';

export type JoinState = 'NoInfo' | 'Join' | 'PrunePending';
export type RptState = 'NoInfo' | 'Prune' | 'PrunePending' | 'PruneTmp' | 'PrunePendingTmp';

interface Timers { clock: Clock; changed: () => void }

/** (*,G) and (S,G) per interface: NoInfo → Join on Join; Prune → PrunePending; PPT or ET → NoInfo. */
export class DownstreamJoin {
  state: JoinState = 'NoInfo';
  expiresAtMs: number | undefined;
  prunePendingAtMs: number | undefined;
  private et: TimerHandle | undefined;
  private ppt: TimerHandle | undefined;

  constructor(private readonly t: Timers, private readonly onPruneEcho: () => void) {}

  private setEt(holdtimeMs: number, max: boolean): void {
    const at = this.t.clock.now() + holdtimeMs;
    if (max && this.expiresAtMs !== undefined && this.expiresAtMs >= at) return;
    this.et?.cancel();
    this.expiresAtMs = at;
    this.et = this.t.clock.setTimer(holdtimeMs, () => this.toNoInfo());
  }

  private toNoInfo(): void {
    this.et?.cancel(); this.ppt?.cancel();
    this.et = this.ppt = undefined;
    this.expiresAtMs = this.prunePendingAtMs = undefined;
    this.state = 'NoInfo';
    this.t.changed();
  }

  receiveJoin(holdtimeMs: number): void {
    if (holdtimeMs === 0) return;
    const was = this.state;
    this.ppt?.cancel();
    this.ppt = undefined;
    this.prunePendingAtMs = undefined;
    this.setEt(holdtimeMs, was !== 'NoInfo');
    this.state = 'Join';
    if (was !== 'Join') this.t.changed();
  }

  /** `overrideMs` is J/P_Override_Interval(I) with more than one neighbor on I, else 0 (§4.5.2). */
  receivePrune(overrideMs: number, multiAccess: boolean): void {
    if (this.state !== 'Join') return;
    this.state = 'PrunePending';
    this.prunePendingAtMs = this.t.clock.now() + overrideMs;
    this.ppt = this.t.clock.setTimer(overrideMs, () => {
      // §4.5.2: with other routers on the LAN, echo the Prune so they learn it took effect.
      if (multiAccess) this.onPruneEcho();
      this.toNoInfo();
    });
    this.t.changed();
  }

  get joined(): boolean { return this.state !== 'NoInfo'; }
  stop(): void { this.et?.cancel(); this.ppt?.cancel(); }
}

/** (S,G,rpt) per interface (§4.5.4), including the Tmp states a Join(*,G) in the same message creates. */
export class DownstreamRptPrune {
  state: RptState = 'NoInfo';
  expiresAtMs: number | undefined;
  private et: TimerHandle | undefined;
  private ppt: TimerHandle | undefined;

  constructor(private readonly t: Timers) {}

  private set(state: RptState): void {
    if (state === this.state) return;
    this.state = state;
    if (state === 'NoInfo') {
      this.et?.cancel(); this.ppt?.cancel();
      this.et = this.ppt = undefined;
      this.expiresAtMs = undefined;
    }
    this.t.changed();
  }

  private setEt(holdtimeMs: number, max: boolean): void {
    const at = this.t.clock.now() + holdtimeMs;
    if (max && this.expiresAtMs !== undefined && this.expiresAtMs >= at) return;
    this.et?.cancel();
    this.expiresAtMs = at;
    this.et = this.t.clock.setTimer(holdtimeMs, () => this.set('NoInfo'));
  }

  receivePrune(holdtimeMs: number, overrideMs: number): void {
    switch (this.state) {
      case 'NoInfo':
        this.setEt(holdtimeMs, false);
        this.ppt = this.t.clock.setTimer(overrideMs, () => { this.ppt = undefined; this.set('Prune'); });
        this.set('PrunePending');
        return;
      case 'PrunePendingTmp': this.setEt(holdtimeMs, true); this.set('PrunePending'); return;
      case 'PruneTmp': this.setEt(holdtimeMs, true); this.set('Prune'); return;
      default: this.setEt(holdtimeMs, true);
    }
  }

  receiveJoinRpt(): void { this.set('NoInfo'); }

  /** A Join(*,G) in the message that is being processed: prunes become tentative until re-stated. */
  joinWildcardSeen(): void {
    if (this.state === 'Prune') this.set('PruneTmp');
    else if (this.state === 'PrunePending') this.set('PrunePendingTmp');
  }

  endOfMessage(): void {
    if (this.state === 'PruneTmp' || this.state === 'PrunePendingTmp') this.set('NoInfo');
  }

  /** prunes(S,G,rpt) of §4.1.6: the Prune and PruneTmp states. */
  get pruned(): boolean { return this.state === 'Prune' || this.state === 'PruneTmp'; }
  stop(): void { this.et?.cancel(); this.ppt?.cancel(); }
}
