/**
 * Querier election and general queries of one interface (RFC 2236 §3, §7; RFC 3376 §6.6, §8):
 * startup queries (count, interval), a General Query every query interval, election by lowest
 * address (a query from a lower address silences us for the Other Querier Present Interval, whose
 * expiry makes us querier again), and the robustness / query interval a non-querier adopts from
 * the querier's IGMPv3 queries (§4.1.6, §4.1.7). A disabled or address-less querier never sends.
 * Tested in querier.test.ts.
 */
import { parseIpv4 } from '../../model/ipv4.js';
import type { Clock, TimerHandle } from '../types.js';
import { type Timers, otherQuerierPresentMs } from './config.js';

export interface QuerierEnv {
  clock: Clock;
  /** Configured protocol variables. */
  timers: Timers;
  /** Send one General Query with these variables. */
  sendGeneral(t: Timers): void;
  /** Our querier role or the querier's address changed. */
  changed(): void;
}

export class Querier {
  private address: string | null = null;
  private enabled: boolean;
  private querying = false;
  private other: { address: string; until: number; timer: TimerHandle } | null = null;
  private adopted: { robustness?: number; queryIntervalMs?: number } = {};
  private startupLeft = 0;
  private nextQuery: { at: number; timer: TimerHandle } | null = null;

  constructor(private readonly env: QuerierEnv, enabled: boolean) {
    this.enabled = enabled;
  }

  /** True while this router sends queries here. */
  get isQuerier(): boolean {
    return this.querying;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Protocol variables in force: adopted from the other querier while it is present (§4.1.6-7). */
  timers(): Timers {
    return this.other ? { ...this.env.timers, ...this.adopted } : this.env.timers;
  }

  /** The interface got (or lost, or changed) its address; `null` stops querying. */
  setAddress(address: string | null): void {
    if (address === this.address) return;
    this.address = address;
    this.reconsider(true);
  }

  /** Runtime enable-querier / disable-querier. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    // While disabled we recorded any querier; one we now outrank is no reason to stay silent.
    const other = this.other && parseIpv4(this.other.address);
    if (this.other && other !== undefined && other !== null && !this.loses(other)) {
      this.other.timer.cancel();
      this.other = null;
      this.adopted = {};
    }
    this.reconsider(true);
  }

  /** Whether a querier at `theirs` outranks us: any does while we do not take part in the election. */
  private loses(theirs: number): boolean {
    const mine = this.enabled && this.address !== null ? parseIpv4(this.address) : undefined;
    return mine === undefined || theirs < mine;
  }

  /**
   * A query from `src` arrived (not our own). A lower address than ours wins the election
   * (RFC 2236 §3): we fall silent until the Other Querier Present timer runs out.
   */
  heard(src: string, qrv: number, qqiSec: number): void {
    const theirs = parseIpv4(src);
    if (theirs === undefined) return;
    if (!this.loses(theirs)) return;
    this.adopted = { ...(qrv > 0 ? { robustness: qrv } : {}), ...(qqiSec > 0 ? { queryIntervalMs: qqiSec * 1000 } : {}) };
    const addressChanged = this.other?.address !== src;
    this.other?.timer.cancel();
    const ms = otherQuerierPresentMs({ ...this.env.timers, ...this.adopted });
    this.other = { address: src, until: this.env.clock.now() + ms, timer: this.env.clock.setTimer(ms, () => this.otherExpired()) };
    const wasQuerying = this.querying;
    this.reconsider(false);
    if (addressChanged && !wasQuerying) this.env.changed();
  }

  private otherExpired(): void {
    this.other = null;
    this.adopted = {};
    // RFC 2236 §7: on Other Querier Present expiry send a General Query at once, then every QI.
    this.reconsider(false);
  }

  /** Work out whether we query now; start (with startup queries if asked) or stop the query timer. */
  private reconsider(startup: boolean): void {
    const should = this.enabled && this.address !== null && this.other === null;
    if (should === this.querying) return;
    this.querying = should;
    this.nextQuery?.timer.cancel();
    this.nextQuery = null;
    if (should) {
      this.startupLeft = startup ? this.env.timers.startupQueryCount : 1;
      this.env.changed();
      this.tick();
    } else {
      this.env.changed();
    }
  }

  private tick(): void {
    if (!this.querying) return;
    this.env.sendGeneral(this.timers());
    if (this.startupLeft > 0) this.startupLeft--;
    const ms = this.startupLeft > 0 ? this.env.timers.startupQueryIntervalMs : this.env.timers.queryIntervalMs;
    this.nextQuery = { at: this.env.clock.now() + ms, timer: this.env.clock.setTimer(ms, () => this.tick()) };
  }

  stop(): void {
    this.nextQuery?.timer.cancel();
    this.other?.timer.cancel();
    this.nextQuery = null;
    this.other = null;
    this.querying = false;
  }

  view(): Record<string, unknown> {
    const now = this.env.clock.now();
    const t = this.timers();
    return {
      querierEnabled: this.enabled,
      querier: this.querying,
      address: this.address,
      querierAddress: this.querying ? this.address : (this.other?.address ?? null),
      otherQuerierPresentMs: this.other ? this.other.until - now : null,
      nextGeneralQueryMs: this.nextQuery ? this.nextQuery.at - now : null,
      startupQueriesLeft: this.querying ? Math.max(0, this.startupLeft - 1) : 0,
      robustness: t.robustness,
      queryIntervalMs: t.queryIntervalMs,
    };
  }
}
