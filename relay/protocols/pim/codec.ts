/**
 * PIMv2 wire format (RFC 7761 §4.9, Bootstrap per RFC 5059 §4.1), IPv4 only. `decodePim` never throws:
 * every way a message can be malformed maps to one reason of a closed set, which the module counts.
 *
 *    0                   1                   2                   3
 *   |PIM Ver| Type  |   Reserved    |           Checksum            |
 *
 * Encoded addresses: unicast = family(1) encoding(0) addr; group = family encoding [B..Z] masklen addr;
 * source = family encoding [..S W R] masklen addr.
 */
import { formatIpv4, ipv4 } from './addr.js';

export const PIM_PROTO = 103;

export const PIM_TYPE = {
  hello: 0, register: 1, 'register-stop': 2, 'join-prune': 3, bootstrap: 4, assert: 5,
} as const;
export type PimType = keyof typeof PIM_TYPE;

export const HELLO_OPT = { holdtime: 1, lanPruneDelay: 2, drPriority: 19, genId: 20, addressList: 24 } as const;

export const PARSE_REASONS = [
  'truncated', 'badVersion', 'badChecksum', 'unknownType', 'badEncodedAddress', 'badOption', 'badInnerPacket', 'trailingBytes',
] as const;
export type ParseReason = (typeof PARSE_REASONS)[number];

export interface EncodedGroup { addr: string; maskLen: number }
export interface EncodedSource { addr: string; maskLen: number; s: boolean; w: boolean; r: boolean }

export interface LanPruneDelay { tBit: boolean; propagationDelayMs: number; overrideIntervalMs: number }
export interface HelloMsg {
  type: 'hello';
  holdtime?: number;
  lanPruneDelay?: LanPruneDelay;
  drPriority?: number;
  genId?: number;
  /** Secondary IPv4 addresses (option 24); entries of other families are skipped. */
  addresses: string[];
}
export interface JoinPruneGroup { group: EncodedGroup; joins: EncodedSource[]; prunes: EncodedSource[] }
export interface JoinPruneMsg { type: 'join-prune'; upstream: string; holdtime: number; groups: JoinPruneGroup[] }
export interface RegisterMsg {
  type: 'register';
  border: boolean;
  nullRegister: boolean;
  /** The encapsulated IPv4 packet (for a Null-Register only its header). */
  packet: Uint8Array;
  /** Source and destination of `packet`, read from its header. */
  source: string;
  group: string;
}
export interface RegisterStopMsg { type: 'register-stop'; group: EncodedGroup; source: string }
export interface AssertMsg { type: 'assert'; group: EncodedGroup; source: string; rpt: boolean; metricPreference: number; metric: number }
export interface BsrRp { address: string; holdtime: number; priority: number }
export interface BsrGroup { group: EncodedGroup; rpCount: number; fragmentRpCount: number; rps: BsrRp[] }
export interface BootstrapMsg {
  type: 'bootstrap';
  noForward: boolean;
  fragmentTag: number;
  hashMaskLen: number;
  bsrPriority: number;
  bsrAddress: string;
  groups: BsrGroup[];
}
export type PimMessage = HelloMsg | JoinPruneMsg | RegisterMsg | RegisterStopMsg | AssertMsg | BootstrapMsg;

export type DecodeResult = { ok: true; msg: PimMessage } | { ok: false; reason: ParseReason };

/** RFC 1071 ones-complement sum of `b[from, to)`, folded, not inverted. */
function onesSum(b: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((to - from) & 1) s += b[to - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
export const inetChecksum = (b: Uint8Array, from = 0, to = b.length): number => ~onesSum(b, from, to) & 0xffff;

class Fail { constructor(readonly reason: ParseReason) {} }

/** A bounds-checked reader: running past the end is `truncated`, never an exception to the caller. */
class Reader {
  constructor(readonly b: Uint8Array, public off: number, readonly end: number) {}
  get left(): number { return this.end - this.off; }
  need(n: number): void { if (this.off + n > this.end) throw new Fail('truncated'); }
  u8(): number { this.need(1); return this.b[this.off++]!; }
  u16(): number { this.need(2); const v = (this.b[this.off]! << 8) | this.b[this.off + 1]!; this.off += 2; return v; }
  u32(): number { this.need(4); const v = ((this.b[this.off]! << 24) | (this.b[this.off + 1]! << 16) | (this.b[this.off + 2]! << 8) | this.b[this.off + 3]!) >>> 0; this.off += 4; return v; }
  ip(): string { return formatIpv4(this.u32()); }
  family(): void {
    const family = this.u8();
    const encoding = this.u8();
    if (family !== 1 || encoding !== 0) throw new Fail('badEncodedAddress');
  }
  unicast(): string { this.family(); return this.ip(); }
  group(): EncodedGroup {
    this.family();
    this.u8(); // B and Z flags: bidir and admin-scope zones are not supported and carry no meaning here
    const maskLen = this.u8();
    if (maskLen > 32) throw new Fail('badEncodedAddress');
    return { maskLen, addr: this.ip() };
  }
  source(): EncodedSource {
    this.family();
    const flags = this.u8();
    const maskLen = this.u8();
    // §4.9.1: for IPv4 the only valid source mask length is 32.
    if (maskLen !== 32) throw new Fail('badEncodedAddress');
    return { addr: this.ip(), maskLen, s: (flags & 4) !== 0, w: (flags & 2) !== 0, r: (flags & 1) !== 0 };
  }
}

function decodeHello(r: Reader): HelloMsg {
  const m: HelloMsg = { type: 'hello', addresses: [] };
  while (r.left > 0) {
    const type = r.u16();
    const len = r.u16();
    r.need(len);
    const v = new Reader(r.b, r.off, r.off + len);
    r.off += len;
    const exact = (n: number) => { if (len !== n) throw new Fail('badOption'); };
    switch (type) {
      case HELLO_OPT.holdtime: exact(2); m.holdtime = v.u16(); break;
      case HELLO_OPT.lanPruneDelay: {
        exact(4);
        const d = v.u16();
        m.lanPruneDelay = { tBit: (d & 0x8000) !== 0, propagationDelayMs: d & 0x7fff, overrideIntervalMs: v.u16() };
        break;
      }
      case HELLO_OPT.drPriority: exact(4); m.drPriority = v.u32(); break;
      case HELLO_OPT.genId: exact(4); m.genId = v.u32(); break;
      case HELLO_OPT.addressList:
        while (v.left > 0) {
          const family = v.u8();
          if (v.u8() !== 0) throw new Fail('badEncodedAddress');
          if (family === 1) m.addresses.push(v.ip());
          else if (family === 2) { v.need(16); v.off += 16; }
          else throw new Fail('badEncodedAddress');
        }
        break;
      default: break; // §4.9.2: unknown options are ignored
    }
  }
  return m;
}

function decodeJoinPrune(r: Reader): JoinPruneMsg {
  const upstream = r.unicast();
  r.u8();
  const n = r.u8();
  const holdtime = r.u16();
  const groups: JoinPruneGroup[] = [];
  for (let g = 0; g < n; g++) {
    const group = r.group();
    const nj = r.u16();
    const np = r.u16();
    r.need((nj + np) * 8);
    const joins = Array.from({ length: nj }, () => r.source());
    const prunes = Array.from({ length: np }, () => r.source());
    groups.push({ group, joins, prunes });
  }
  return { type: 'join-prune', upstream, holdtime, groups };
}

function decodeRegister(r: Reader): RegisterMsg {
  const flags = r.u32();
  const packet = r.b.slice(r.off, r.end);
  r.off = r.end;
  if (packet.length < 20 || packet[0]! >> 4 !== 4 || (packet[0]! & 15) < 5 || (packet[0]! & 15) * 4 > packet.length) throw new Fail('badInnerPacket');
  const inner = new Reader(packet, 12, 20);
  return { type: 'register', border: (flags & 0x80000000) !== 0, nullRegister: (flags & 0x40000000) !== 0, packet, source: inner.ip(), group: inner.ip() };
}

function decodeBootstrap(r: Reader, noForward: boolean): BootstrapMsg {
  const fragmentTag = r.u16();
  const hashMaskLen = r.u8();
  const bsrPriority = r.u8();
  const bsrAddress = r.unicast();
  if (hashMaskLen > 32) throw new Fail('badOption');
  const groups: BsrGroup[] = [];
  while (r.left > 0) {
    const group = r.group();
    const rpCount = r.u8();
    const fragmentRpCount = r.u8();
    r.u16();
    r.need(fragmentRpCount * 8);
    const rps = Array.from({ length: fragmentRpCount }, () => {
      const address = r.unicast();
      const holdtime = r.u16();
      const priority = r.u8();
      r.u8();
      return { address, holdtime, priority };
    });
    groups.push({ group, rpCount, fragmentRpCount, rps });
  }
  return { type: 'bootstrap', noForward, fragmentTag, hashMaskLen, bsrPriority, bsrAddress, groups };
}

/** Decode one PIM message (the IP payload). Register checksums may cover the 8-byte header or all. */
export function decodePim(b: Uint8Array): DecodeResult {
  try {
    if (b.length < 4) return { ok: false, reason: 'truncated' };
    if (b[0]! >> 4 !== 2) return { ok: false, reason: 'badVersion' };
    const type = b[0]! & 15;
    const r = new Reader(b, 4, b.length);
    // A Register's checksum covers its 8-byte header (RFC 7761 §4.9.3), some senders sum it all: the
    // header first, so the RP does not sum every data packet it decapsulates.
    const sumOk = (type === PIM_TYPE.register && b.length >= 8 && onesSum(b, 0, 8) === 0xffff)
      || onesSum(b, 0, b.length) === 0xffff;
    if (!sumOk) return { ok: false, reason: 'badChecksum' };
    let msg: PimMessage;
    switch (type) {
      case PIM_TYPE.hello: msg = decodeHello(r); break;
      case PIM_TYPE['join-prune']: msg = decodeJoinPrune(r); break;
      case PIM_TYPE.register: msg = decodeRegister(r); break;
      case PIM_TYPE['register-stop']: msg = { type: 'register-stop', group: r.group(), source: r.unicast() }; break;
      case PIM_TYPE.assert: {
        const group = r.group();
        const source = r.unicast();
        const pref = r.u32();
        msg = { type: 'assert', group, source, rpt: (pref & 0x80000000) !== 0, metricPreference: pref & 0x7fffffff, metric: r.u32() };
        break;
      }
      case PIM_TYPE.bootstrap: msg = decodeBootstrap(r, (b[1]! & 0x80) !== 0); break;
      default: return { ok: false, reason: 'unknownType' };
    }
    if (r.left > 0) return { ok: false, reason: 'trailingBytes' };
    return { ok: true, msg };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, reason: e.reason };
    throw e;
  }
}

/** A growable big-endian byte writer. */
class Writer {
  private b = new Uint8Array(64);
  len = 0;
  private grow(n: number): void {
    if (this.len + n <= this.b.length) return;
    const nb = new Uint8Array(Math.max(this.b.length * 2, this.len + n));
    nb.set(this.b.subarray(0, this.len));
    this.b = nb;
  }
  u8(v: number): void { this.grow(1); this.b[this.len++] = v & 255; }
  u16(v: number): void { this.u8(v >>> 8); this.u8(v); }
  u32(v: number): void { this.u16(v >>> 16); this.u16(v & 0xffff); }
  bytes(v: Uint8Array): void { this.grow(v.length); this.b.set(v, this.len); this.len += v.length; }
  ip(a: string): void { this.u32(ipv4(a)); }
  unicast(a: string): void { this.u8(1); this.u8(0); this.ip(a); }
  group(g: EncodedGroup): void { this.u8(1); this.u8(0); this.u8(0); this.u8(g.maskLen); this.ip(g.addr); }
  source(s: EncodedSource): void { this.u8(1); this.u8(0); this.u8((s.s ? 4 : 0) | (s.w ? 2 : 0) | (s.r ? 1 : 0)); this.u8(s.maskLen); this.ip(s.addr); }
  done(): Uint8Array { return this.b.slice(0, this.len); }
}

function encodeBody(w: Writer, m: PimMessage): void {
  switch (m.type) {
    case 'hello': {
      const opt = (type: number, len: number) => { w.u16(type); w.u16(len); };
      if (m.holdtime !== undefined) { opt(HELLO_OPT.holdtime, 2); w.u16(m.holdtime); }
      if (m.lanPruneDelay) {
        opt(HELLO_OPT.lanPruneDelay, 4);
        w.u16((m.lanPruneDelay.tBit ? 0x8000 : 0) | (m.lanPruneDelay.propagationDelayMs & 0x7fff));
        w.u16(m.lanPruneDelay.overrideIntervalMs);
      }
      if (m.drPriority !== undefined) { opt(HELLO_OPT.drPriority, 4); w.u32(m.drPriority); }
      if (m.genId !== undefined) { opt(HELLO_OPT.genId, 4); w.u32(m.genId); }
      if (m.addresses.length > 0) { opt(HELLO_OPT.addressList, 6 * m.addresses.length); m.addresses.forEach((a) => w.unicast(a)); }
      return;
    }
    case 'join-prune':
      w.unicast(m.upstream); w.u8(0); w.u8(m.groups.length); w.u16(m.holdtime);
      for (const g of m.groups) {
        w.group(g.group); w.u16(g.joins.length); w.u16(g.prunes.length);
        g.joins.forEach((s) => w.source(s));
        g.prunes.forEach((s) => w.source(s));
      }
      return;
    case 'register':
      w.u32((m.border ? 0x80000000 : 0) | (m.nullRegister ? 0x40000000 : 0)); w.bytes(m.packet);
      return;
    case 'register-stop': w.group(m.group); w.unicast(m.source); return;
    case 'assert':
      w.group(m.group); w.unicast(m.source);
      w.u32(((m.rpt ? 0x80000000 : 0) | (m.metricPreference & 0x7fffffff)) >>> 0); w.u32(m.metric);
      return;
    case 'bootstrap':
      w.u16(m.fragmentTag); w.u8(m.hashMaskLen); w.u8(m.bsrPriority); w.unicast(m.bsrAddress);
      for (const g of m.groups) {
        w.group(g.group); w.u8(g.rpCount); w.u8(g.rps.length); w.u16(0);
        for (const rp of g.rps) { w.unicast(rp.address); w.u16(rp.holdtime); w.u8(rp.priority); w.u8(0); }
      }
      return;
  }
}

/** Encode with the checksum filled in: over the whole message, or for Register the first 8 bytes (§4.9.3). */
export function encodePim(m: PimMessage): Uint8Array {
  const w = new Writer();
  w.u8(0x20 | PIM_TYPE[m.type]);
  w.u8(m.type === 'bootstrap' && m.noForward ? 0x80 : 0);
  w.u16(0);
  encodeBody(w, m);
  const b = w.done();
  const sum = inetChecksum(b, 0, m.type === 'register' ? 8 : b.length);
  b[2] = sum >>> 8;
  b[3] = sum & 255;
  return b;
}

/** Bytes a Join/Prune of `groups` groups and `sources` sources takes: header, upstream, groups, sources. */
export const joinPruneSize = (groups: number, sources: number): number => 4 + 6 + 4 + groups * 12 + sources * 8;
