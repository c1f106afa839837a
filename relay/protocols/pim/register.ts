/**
 * Register state at the DR of a directly connected source (RFC 7761 §4.4.1), per (S,G):
 *
 *   NoInfo --CouldRegister--> Join --Register-Stop--> Prune --RST expires (Null-Register)--> JoinPending
 *   JoinPending --RST expires--> Join;  JoinPending --Register-Stop--> Prune;  any --!CouldRegister--> NoInfo
 *
 * In Join the data is encapsulated (the host's tunnel is "up"); in Prune and JoinPending it is not.
 */
import type { Clock, TimerHandle } from '../types.js';

/** §4.11: Register_Suppression_Time 60 s, Register_Probe_Time 5 s. */
export const REGISTER_SUPPRESSION_MS = 60_000;
export const REGISTER_PROBE_MS = 5_000;

export type RegisterStateName = 'NoInfo' | 'Join' | 'Prune' | 'JoinPending';

export interface RegisterHooks {
  /** The register tunnel for (S,G) goes up (true) or down (false): start or stop encapsulating. */
  tunnel(up: boolean): void;
  sendNullRegister(): void;
}

export class RegisterState {
  state: RegisterStateName = 'NoInfo';
  stopTimerAtMs: number | undefined;
  private rst: TimerHandle | undefined;

  constructor(private readonly clock: Clock, private readonly random: () => number, private readonly hooks: RegisterHooks) {}

  private setRst(ms: number, fn: () => void): void {
    this.rst?.cancel();
    this.stopTimerAtMs = this.clock.now() + ms;
    this.rst = this.clock.setTimer(ms, () => { this.rst = undefined; this.stopTimerAtMs = undefined; fn(); });
  }

  private cancelRst(): void { this.rst?.cancel(); this.rst = undefined; this.stopTimerAtMs = undefined; }

  /** CouldRegister(S,G) = I_am_DR(RPF_interface(S)) AND KeepaliveTimer(S,G) running AND DirectlyConnected(S). */
  couldRegister(could: boolean): void {
    if (could && this.state === 'NoInfo') { this.state = 'Join'; this.hooks.tunnel(true); }
    else if (!could && this.state !== 'NoInfo') {
      const wasJoin = this.state === 'Join';
      this.state = 'NoInfo';
      this.cancelRst();
      if (wasJoin) this.hooks.tunnel(false);
    }
  }

  registerStop(): void {
    if (this.state !== 'Join' && this.state !== 'JoinPending') return;
    const wasJoin = this.state === 'Join';
    this.state = 'Prune';
    if (wasJoin) this.hooks.tunnel(false);
    // rand(0.5, 1.5) × Register_Suppression_Time − Register_Probe_Time
    const ms = Math.floor((0.5 + this.random()) * REGISTER_SUPPRESSION_MS) - REGISTER_PROBE_MS;
    this.setRst(ms, () => {
      this.state = 'JoinPending';
      this.hooks.sendNullRegister();
      this.setRst(REGISTER_PROBE_MS, () => { this.state = 'Join'; this.hooks.tunnel(true); });
    });
  }

  /** The RP changed: start over toward the new one (§4.4.1 "RP changed"). */
  rpChanged(): void {
    if (this.state === 'NoInfo') return;
    this.cancelRst();
    if (this.state !== 'Join') { this.state = 'Join'; this.hooks.tunnel(true); }
  }

  get encapsulating(): boolean { return this.state === 'Join'; }
  stop(): void { this.cancelRst(); }
}

/** A 20-byte IPv4 header S → G, the whole inner packet of a Null-Register (§4.4.1). */
export function nullRegisterHeader(source: number, group: number): Uint8Array {
  const h = new Uint8Array(20);
  const v = new DataView(h.buffer);
  v.setUint8(0, 0x45); v.setUint16(2, 20); v.setUint8(8, 1); v.setUint8(9, 103);
  v.setUint32(12, source); v.setUint32(16, group);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += v.getUint16(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  v.setUint16(10, ~s & 0xffff);
  return h;
}
