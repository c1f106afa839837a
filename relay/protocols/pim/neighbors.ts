/**
 * One PIM interface's Hello machinery (RFC 7761 §4.3): our periodic and triggered Hellos, the
 * neighbor table with per-neighbor expiry, GenID restarts, DR election and the LAN-prune-delay
 * values (§4.3.3) that Join/Prune timers derive from.
 */
import type { Clock, TimerHandle } from '../types.js';
import { ipv4 } from './addr.js';
import type { HelloMsg, LanPruneDelay } from './codec.js';
import type { PimInterfaceSettings } from './config.js';

/** §4.11 timer defaults, in ms. */
export const TRIGGERED_HELLO_DELAY_MS = 5000;
export const PROPAGATION_DELAY_DEFAULT_MS = 500;
export const OVERRIDE_INTERVAL_DEFAULT_MS = 2500;

export interface Neighbor {
  address: string;
  drPriority: number | undefined;
  genId: number | undefined;
  lanPruneDelay: LanPruneDelay | undefined;
  secondary: string[];
  holdtimeS: number;
  upSinceMs: number;
  /** Undefined when the holdtime is 0xffff (never expires). */
  expiresAtMs: number | undefined;
  timer: TimerHandle | undefined;
}

export type NeighborChange = 'up' | 'down' | 'restart' | 'expire';

export interface HelloHooks {
  sendHello(msg: HelloMsg): void;
  /** A neighbor came up, restarted (new GenID), went down (holdtime 0) or expired. */
  neighborChanged(n: Neighbor, change: NeighborChange): void;
  drChanged(dr: string): void;
}

export class HelloState {
  readonly neighbors = new Map<string, Neighbor>();
  private helloTimer: TimerHandle | undefined;
  /** When the scheduled Hello goes out. */
  private helloDueMs = 0;
  private dr: string;

  constructor(
    private settings: PimInterfaceSettings,
    readonly address: string,
    readonly genId: number,
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly hooks: HelloHooks,
  ) {
    this.dr = address;
  }

  get drPriority(): number { return this.settings.drPriority; }
  get helloPeriodMs(): number { return this.settings.helloPeriodMs; }
  get designatedRouter(): string { return this.dr; }
  get isDr(): boolean { return this.dr === this.address; }

  /** §4.3.1: the first Hello goes out after a random 0..Triggered_Hello_Delay. */
  start(): void { this.triggerHello(); }

  stop(sendGoodbye: boolean): void {
    this.helloTimer?.cancel();
    this.helloTimer = undefined;
    for (const n of this.neighbors.values()) n.timer?.cancel();
    this.neighbors.clear();
    if (sendGoodbye) this.hooks.sendHello({ ...this.hello(), holdtime: 0 });
  }

  /** New settings for this interface (e.g. `pim enable --dr-priority`); a priority change triggers a Hello. */
  update(settings: PimInterfaceSettings): void {
    const priorityChanged = settings.drPriority !== this.settings.drPriority;
    this.settings = settings;
    if (priorityChanged) { this.electDr(); this.triggerHello(); }
  }

  hello(): HelloMsg {
    return {
      type: 'hello',
      holdtime: this.settings.helloHoldtimeS,
      lanPruneDelay: { tBit: false, propagationDelayMs: PROPAGATION_DELAY_DEFAULT_MS, overrideIntervalMs: OVERRIDE_INTERVAL_DEFAULT_MS },
      drPriority: this.settings.drPriority,
      genId: this.genId,
      addresses: [],
    };
  }

  /**
   * §4.3.1: a Hello within rand(0, Triggered_Hello_Delay), but never later than the one already
   * scheduled: with a Hello period below the trigger delay, moving the Hello later would let
   * neighbors expire us (holdtime 3.5 × period), e.g. on every new neighbor or DR-priority change.
   */
  private triggerHello(): void {
    const delay = Math.floor(this.random() * TRIGGERED_HELLO_DELAY_MS);
    if (this.helloTimer && this.helloDueMs - this.clock.now() <= delay) return;
    this.schedule(delay);
  }

  private schedule(ms: number): void {
    this.helloTimer?.cancel();
    this.helloDueMs = this.clock.now() + ms;
    this.helloTimer = this.clock.setTimer(ms, () => this.periodic());
  }

  private periodic(): void {
    this.hooks.sendHello(this.hello());
    this.schedule(this.settings.helloPeriodMs);
  }

  /** A Hello from `src` on this interface. */
  receive(src: string, m: HelloMsg): void {
    const holdtime = m.holdtime ?? Math.round((this.settings.helloPeriodMs / 1000) * 3.5);
    const old = this.neighbors.get(src);
    if (holdtime === 0) {
      if (old) this.remove(old, 'down');
      return;
    }
    old?.timer?.cancel();
    const now = this.clock.now();
    const n: Neighbor = {
      address: src,
      drPriority: m.drPriority,
      genId: m.genId,
      lanPruneDelay: m.lanPruneDelay,
      secondary: m.addresses,
      holdtimeS: holdtime,
      upSinceMs: old?.upSinceMs ?? now,
      expiresAtMs: holdtime === 0xffff ? undefined : now + holdtime * 1000,
      timer: undefined,
    };
    if (n.expiresAtMs !== undefined) n.timer = this.clock.setTimer(holdtime * 1000, () => this.remove(n, 'expire'));
    const restart = old !== undefined && old.genId !== undefined && m.genId !== undefined && old.genId !== m.genId;
    if (restart) n.upSinceMs = now;
    this.neighbors.set(src, n);
    if (!old || restart) {
      this.hooks.neighborChanged(n, old ? 'restart' : 'up');
      // §4.3.1: a new or restarted neighbor gets a Hello from us soon, so it learns our GenID and priority.
      this.triggerHello();
    }
    this.electDr();
  }

  private remove(n: Neighbor, change: NeighborChange): void {
    n.timer?.cancel();
    if (this.neighbors.get(n.address) !== n) return;
    this.neighbors.delete(n.address);
    this.hooks.neighborChanged(n, change);
    this.electDr();
  }

  /** The neighbor that owns `addr` as its primary or a secondary address. */
  neighborOf(addr: string): Neighbor | undefined {
    const n = this.neighbors.get(addr);
    if (n) return n;
    for (const m of this.neighbors.values()) if (m.secondary.includes(addr)) return m;
    return undefined;
  }

  /** §4.3.2: by priority when everybody advertises one, else by address alone; higher wins. */
  private electDr(): void {
    const all = [...this.neighbors.values()];
    const byPriority = all.every((n) => n.drPriority !== undefined);
    const key = (addr: string, prio: number | undefined): [number, number] => [byPriority ? prio! : 0, ipv4(addr)];
    let best = this.address;
    let bestKey = key(this.address, this.settings.drPriority);
    for (const n of all) {
      const k = key(n.address, n.drPriority);
      if (k[0] > bestKey[0] || (k[0] === bestKey[0] && k[1] > bestKey[1])) { best = n.address; bestKey = k; }
    }
    if (best !== this.dr) { this.dr = best; this.hooks.drChanged(best); }
  }

  private lanDelayEnabled(): boolean {
    for (const n of this.neighbors.values()) if (!n.lanPruneDelay) return false;
    return true;
  }

  /** §4.3.3 Effective_Propagation_Delay(I) + Effective_Override_Interval(I), as J/P_Override_Interval(I). */
  joinPruneOverrideMs(): number { return this.effectivePropagationDelayMs() + this.effectiveOverrideIntervalMs(); }

  effectivePropagationDelayMs(): number {
    if (!this.lanDelayEnabled()) return PROPAGATION_DELAY_DEFAULT_MS;
    return Math.max(PROPAGATION_DELAY_DEFAULT_MS, ...[...this.neighbors.values()].map((n) => n.lanPruneDelay!.propagationDelayMs));
  }

  effectiveOverrideIntervalMs(): number {
    if (!this.lanDelayEnabled()) return OVERRIDE_INTERVAL_DEFAULT_MS;
    return Math.max(OVERRIDE_INTERVAL_DEFAULT_MS, ...[...this.neighbors.values()].map((n) => n.lanPruneDelay!.overrideIntervalMs));
  }
}
