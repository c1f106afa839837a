/**
 * Group → RP mapping: static ranges (longest prefix wins) and the BSR RP-set learned from Bootstrap
 * messages (RFC 5059). A static range that covers the group wins over anything BSR says; among BSR
 * candidates the longest range, then the best (lowest) priority, then the RFC 7761 §4.7.2 hash,
 * then the highest address decides.
 */
import type { Clock, TimerHandle } from '../types.js';
import { formatPrefix, ipv4, maskOf, prefixContains, type Prefix } from './addr.js';
import type { BootstrapMsg, BsrRp } from './codec.js';

/** RFC 5059 §5: BS_Timeout, how long a BSR stays preferred without a new Bootstrap. */
export const BS_TIMEOUT_MS = 130_000;

export interface RpChoice { rp: string; range: string; source: 'static' | 'bsr' }

interface BsrCandidate { address: string; priority: number; holdtime: number; expiresAtMs: number; timer: TimerHandle }
interface BsrRange {
  range: Prefix;
  rps: Map<string, BsrCandidate>;
  /** RPs gathered so far of a range split over several fragments of one Bootstrap (fragment tag). */
  pending?: { tag: number; rps: Map<string, BsrRp> };
}

/** §4.7.2: Value(G,M,C) = (1103515245 × ((1103515245 × (G&M) + 12345) XOR C) + 12345) mod 2^31. */
export function rpHash(group: number, maskLen: number, rp: number): number {
  const a = 1103515245n;
  const gm = BigInt((group & maskOf(maskLen)) >>> 0);
  // Exact integers: the result mod 2^31 equals what 64-bit implementations (FRR's) compute with wrap-around.
  return Number((a * ((a * gm + 12345n) ^ BigInt(rp)) + 12345n) % 2147483648n);
}

export interface ElectedBsr { address: string; priority: number; hashMaskLen: number; expiresAtMs: number }

export class RpMap {
  private readonly statics: Array<{ range: Prefix; rp: string }>;
  private readonly bsrRanges = new Map<string, BsrRange>();
  private bsr: ElectedBsr | undefined;
  private bsrTimer: TimerHandle | undefined;

  constructor(statics: Array<{ range: Prefix; rp: string }>, private readonly clock: Clock, private readonly changed: () => void) {
    this.statics = [...statics];
  }

  setStatic(range: Prefix, rp: string | undefined): void {
    const i = this.statics.findIndex((s) => s.range.addr === range.addr && s.range.len === range.len);
    if (i >= 0) this.statics.splice(i, 1);
    if (rp !== undefined) this.statics.push({ range, rp });
    this.changed();
  }

  rpFor(group: string): RpChoice | undefined {
    const g = ipv4(group);
    let best: { range: Prefix; rp: string } | undefined;
    for (const s of this.statics) if (prefixContains(s.range, g) && (!best || s.range.len > best.range.len)) best = s;
    if (best) return { rp: best.rp, range: formatPrefix(best.range), source: 'static' };
    let range: { range: Prefix; rps: Map<string, BsrCandidate> } | undefined;
    for (const r of this.bsrRanges.values()) if (r.rps.size > 0 && prefixContains(r.range, g) && (!range || r.range.len > range.range.len)) range = r;
    if (!range) return undefined;
    const hashLen = this.bsr?.hashMaskLen ?? 30;
    const key = (c: BsrCandidate): [number, number, number] => [-c.priority, rpHash(g, hashLen, ipv4(c.address)), ipv4(c.address)];
    let win: BsrCandidate | undefined;
    let winKey: [number, number, number] = [0, 0, 0];
    for (const c of range.rps.values()) {
      const k = key(c);
      if (!win || k[0] > winKey[0] || (k[0] === winKey[0] && (k[1] > winKey[1] || (k[1] === winKey[1] && k[2] > winKey[2])))) { win = c; winKey = k; }
    }
    return { rp: win!.address, range: formatPrefix(range.range), source: 'bsr' };
  }

  /**
   * RFC 5059 §3.1.3 for a router that is not a candidate BSR: accept any Bootstrap while no BSR is
   * known (AcceptAny), afterwards only one from a preferred-or-equal BSR until BS_Timeout. Returns
   * whether the message was accepted (and so is to be forwarded).
   */
  acceptBootstrap(m: BootstrapMsg): boolean {
    if (this.bsr && this.bsr.address !== m.bsrAddress) {
      const preferred = m.bsrPriority > this.bsr.priority || (m.bsrPriority === this.bsr.priority && ipv4(m.bsrAddress) > ipv4(this.bsr.address));
      if (!preferred) return false;
    }
    const now = this.clock.now();
    this.bsr = { address: m.bsrAddress, priority: m.bsrPriority, hashMaskLen: m.hashMaskLen, expiresAtMs: now + BS_TIMEOUT_MS };
    this.bsrTimer?.cancel();
    this.bsrTimer = this.clock.setTimer(BS_TIMEOUT_MS, () => { this.bsr = undefined; });
    for (const g of m.groups) {
      const range: Prefix = { addr: (ipv4(g.group.addr) & maskOf(g.group.maskLen)) >>> 0, len: g.group.maskLen };
      const key = formatPrefix(range);
      let entry = this.bsrRanges.get(key);
      if (!entry) { entry = { range, rps: new Map() }; this.bsrRanges.set(key, entry); }
      // A Bootstrap carries a range's whole RP-set, which replaces the one held: an RP the BSR no
      // longer lists is gone now, not at its holdtime, or we would join toward an RP the rest of the
      // domain has dropped. A range split over fragments (semantic fragmentation) is replaced once
      // all of its RP count has arrived under one fragment tag.
      if (g.fragmentRpCount >= g.rpCount) {
        entry.pending = undefined;
        this.replace(entry.rps, g.rps, now);
        continue;
      }
      if (entry.pending?.tag !== m.fragmentTag) entry.pending = { tag: m.fragmentTag, rps: new Map() };
      for (const rp of g.rps) entry.pending.rps.set(rp.address, rp);
      if (entry.pending.rps.size >= g.rpCount) {
        this.replace(entry.rps, [...entry.pending.rps.values()], now);
        entry.pending = undefined;
      }
    }
    this.changed();
    return true;
  }

  private replace(rps: Map<string, BsrCandidate>, set: BsrRp[], now: number): void {
    const keep = new Set(set.map((rp) => rp.address));
    for (const [address, c] of rps) if (!keep.has(address)) { c.timer.cancel(); rps.delete(address); }
    for (const rp of set) this.learn(rps, rp.address, rp.priority, rp.holdtime, now);
  }

  private learn(rps: Map<string, BsrCandidate>, address: string, priority: number, holdtime: number, now: number): void {
    rps.get(address)?.timer.cancel();
    if (holdtime === 0) { rps.delete(address); return; }
    const c: BsrCandidate = {
      address, priority, holdtime, expiresAtMs: now + holdtime * 1000,
      timer: this.clock.setTimer(holdtime * 1000, () => { if (rps.get(address) === c) { rps.delete(address); this.changed(); } }),
    };
    rps.set(address, c);
  }

  elected(): ElectedBsr | undefined { return this.bsr; }

  /** The `rp` view: every range with its RP(s) and where they came from. */
  view(): { bsr: ElectedBsr | null; ranges: Array<{ range: string; rp: string; source: 'static' | 'bsr'; priority?: number; expiresAtMs?: number }> } {
    const ranges: Array<{ range: string; rp: string; source: 'static' | 'bsr'; priority?: number; expiresAtMs?: number }> =
      this.statics.map((s) => ({ range: formatPrefix(s.range), rp: s.rp, source: 'static' as const }));
    for (const [key, r] of this.bsrRanges) for (const c of r.rps.values()) ranges.push({ range: key, rp: c.address, source: 'bsr', priority: c.priority, expiresAtMs: c.expiresAtMs });
    return { bsr: this.bsr ?? null, ranges };
  }

  stop(): void {
    this.bsrTimer?.cancel();
    for (const r of this.bsrRanges.values()) for (const c of r.rps.values()) c.timer.cancel();
  }
}
