/**
 * IGMP wire format: v1/v2 (RFC 1112, RFC 2236) and v3 (RFC 3376 §4) messages, parsed into a tagged
 * union and serialized back with a fresh checksum. Parsing never throws and allocates at most in
 * proportion to the input; every refusal has a reason from a closed set. Tested in codec.test.ts
 * (byte-exact vectors, some captured from Linux) and codec.fuzz.test.ts.
 *
 *   v3 query:  11 64 ec 1e  00 00 00 00  02 7d 00 00        General Query, MRC 100 (10 s), QRV 2, QQIC 125
 *   v3 report: 22 00 e8 f9  00 00 00 01  04 00 00 00 ef 01 02 03   one TO_EX(239.1.2.3, {}) record (Linux)
 */

export const IGMP_PROTO = 2;

export const TYPE = { query: 0x11, v1Report: 0x12, v2Report: 0x16, v2Leave: 0x17, v3Report: 0x22 } as const;

export const RECORD_TYPES = ['IS_IN', 'IS_EX', 'TO_IN', 'TO_EX', 'ALLOW', 'BLOCK'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export interface GroupRecord {
  type: RecordType;
  group: string;
  sources: string[];
  /** Auxiliary data (RFC 3376 §4.2.10: ignored on receipt), kept so a record round-trips. */
  aux: Uint8Array;
}

export type IgmpMessage =
  | { kind: 'query'; version: 1 | 2; maxRespDs: number; group: string }
  | { kind: 'query'; version: 3; maxRespDs: number; group: string; suppress: boolean; qrv: number; qqi: number; sources: string[] }
  | { kind: 'v1-report'; group: string }
  | { kind: 'v2-report'; group: string }
  | { kind: 'v2-leave'; group: string }
  | { kind: 'v3-report'; records: GroupRecord[]; /** records of unknown type, skipped (§4.2.12) */ skippedRecords: number };

export const PARSE_ERRORS = [
  'truncated',          // shorter than the fixed part of its type
  'badChecksum',
  'unknownType',
  'badQueryLength',     // 9-11 bytes: neither v2 nor v3 (RFC 3376 §7.1 says ignore)
  'absurdSourceCount',  // a source count that runs past the end of the message
  'absurdRecordCount',  // more records than the message could hold
  'auxDataOverflow',    // aux data length that runs past the end of the message
] as const;
export type ParseError = (typeof PARSE_ERRORS)[number];

export type ParseResult = { ok: true; msg: IgmpMessage } | { ok: false; reason: ParseError };

/** RFC 1071 one's-complement sum over `b`, folded and complemented. */
export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  const even = b.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Decode Max Resp Code / QQIC (RFC 3376 §4.1.1, §4.1.7): below 128 literal, else mantissa/exponent. */
export function decodeExpCode(code: number): number {
  if (code < 128) return code;
  return ((code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3);
}

/** Encode a value as the largest code not above it; values past 31744 saturate to 0xff. */
export function encodeExpCode(value: number): number {
  const v = Math.max(0, Math.floor(value));
  if (v < 128) return v;
  for (let exp = 0; exp < 8; exp++) {
    const mant = v >> (exp + 3);
    if (mant < 32) return 0x80 | (exp << 4) | (mant - 16);
  }
  return 0xff;
}

export const formatIpv4 = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

function writeIpv4(b: Uint8Array, at: number, addr: string): void {
  const parts = addr.split('.');
  if (parts.length !== 4) throw new TypeError(`not a dotted-quad IPv4 address: ${addr}`);
  for (let i = 0; i < 4; i++) {
    const o = Number(parts[i]);
    if (!Number.isInteger(o) || o < 0 || o > 255) throw new TypeError(`not a dotted-quad IPv4 address: ${addr}`);
    b[at + i] = o;
  }
}

function readSources(b: Uint8Array, at: number, n: number): string[] {
  const out: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = formatIpv4(b, at + 4 * i);
  return out;
}

function parseQuery(b: Uint8Array): ParseResult {
  const group = formatIpv4(b, 4);
  if (b.length === 8) {
    // RFC 3376 §7.1: an 8-byte query with Max Resp Code 0 is IGMPv1, otherwise IGMPv2.
    return { ok: true, msg: { kind: 'query', version: b[1] === 0 ? 1 : 2, maxRespDs: b[1]!, group } };
  }
  if (b.length < 12) return { ok: false, reason: 'badQueryLength' };
  const n = (b[10]! << 8) | b[11]!;
  if (12 + 4 * n > b.length) return { ok: false, reason: 'absurdSourceCount' };
  return {
    ok: true,
    msg: {
      kind: 'query', version: 3, maxRespDs: decodeExpCode(b[1]!), group,
      suppress: (b[8]! & 0x08) !== 0, qrv: b[8]! & 0x07, qqi: decodeExpCode(b[9]!), sources: readSources(b, 12, n),
    },
  };
}

function parseV3Report(b: Uint8Array): ParseResult {
  const m = (b[6]! << 8) | b[7]!;
  // Each record is at least 8 bytes: refuse before allocating for a count the message cannot hold.
  if (8 + 8 * m > b.length) return { ok: false, reason: 'absurdRecordCount' };
  const records: GroupRecord[] = [];
  let skipped = 0;
  let at = 8;
  for (let r = 0; r < m; r++) {
    if (at + 8 > b.length) return { ok: false, reason: 'truncated' };
    const type = b[at]!;
    const auxLen = 4 * b[at + 1]!;
    const n = (b[at + 2]! << 8) | b[at + 3]!;
    const srcEnd = at + 8 + 4 * n;
    if (srcEnd > b.length) return { ok: false, reason: 'absurdSourceCount' };
    if (srcEnd + auxLen > b.length) return { ok: false, reason: 'auxDataOverflow' };
    const rt = RECORD_TYPES[type - 1];
    if (rt === undefined) {
      skipped++;
    } else {
      records.push({ type: rt, group: formatIpv4(b, at + 4), sources: readSources(b, at + 8, n), aux: b.slice(srcEnd, srcEnd + auxLen) });
    }
    at = srcEnd + auxLen;
  }
  return { ok: true, msg: { kind: 'v3-report', records, skippedRecords: skipped } };
}

/** Parse one IGMP message (the IP payload). Trailing bytes past the message are ignored (RFC 2236 §2.5). */
export function parseIgmp(b: Uint8Array): ParseResult {
  if (b.length < 8) return { ok: false, reason: 'truncated' };
  if (inetChecksum(b) !== 0) return { ok: false, reason: 'badChecksum' };
  switch (b[0]) {
    case TYPE.query: return parseQuery(b);
    case TYPE.v1Report: return { ok: true, msg: { kind: 'v1-report', group: formatIpv4(b, 4) } };
    case TYPE.v2Report: return { ok: true, msg: { kind: 'v2-report', group: formatIpv4(b, 4) } };
    case TYPE.v2Leave: return { ok: true, msg: { kind: 'v2-leave', group: formatIpv4(b, 4) } };
    case TYPE.v3Report: return parseV3Report(b);
    default: return { ok: false, reason: 'unknownType' };
  }
}

function withChecksum(b: Uint8Array): Uint8Array {
  b[2] = 0;
  b[3] = 0;
  const c = inetChecksum(b);
  b[2] = c >> 8;
  b[3] = c & 0xff;
  return b;
}

function fixed(type: number, code: number, group: string): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = type;
  b[1] = code;
  writeIpv4(b, 4, group);
  return withChecksum(b);
}

/** Serialize a message with its checksum. Throws TypeError only on an address that is not a dotted quad. */
export function serializeIgmp(m: IgmpMessage): Uint8Array {
  switch (m.kind) {
    case 'query': {
      if (m.version !== 3) return fixed(TYPE.query, m.version === 1 ? 0 : Math.min(255, m.maxRespDs), m.group);
      const b = new Uint8Array(12 + 4 * m.sources.length);
      b[0] = TYPE.query;
      b[1] = encodeExpCode(m.maxRespDs);
      writeIpv4(b, 4, m.group);
      b[8] = (m.suppress ? 0x08 : 0) | (m.qrv & 0x07);
      b[9] = encodeExpCode(m.qqi);
      b[10] = m.sources.length >> 8;
      b[11] = m.sources.length & 0xff;
      m.sources.forEach((s, i) => writeIpv4(b, 12 + 4 * i, s));
      return withChecksum(b);
    }
    case 'v1-report': return fixed(TYPE.v1Report, 0, m.group);
    case 'v2-report': return fixed(TYPE.v2Report, 0, m.group);
    case 'v2-leave': return fixed(TYPE.v2Leave, 0, m.group);
    case 'v3-report': {
      const len = m.records.reduce((n, r) => n + 8 + 4 * r.sources.length + r.aux.length, 8);
      const b = new Uint8Array(len);
      b[0] = TYPE.v3Report;
      b[6] = m.records.length >> 8;
      b[7] = m.records.length & 0xff;
      let at = 8;
      for (const r of m.records) {
        b[at] = RECORD_TYPES.indexOf(r.type) + 1;
        b[at + 1] = r.aux.length >> 2;
        b[at + 2] = r.sources.length >> 8;
        b[at + 3] = r.sources.length & 0xff;
        writeIpv4(b, at + 4, r.group);
        r.sources.forEach((s, i) => writeIpv4(b, at + 8 + 4 * i, s));
        at += 8 + 4 * r.sources.length;
        b.set(r.aux, at);
        at += r.aux.length;
      }
      return withChecksum(b);
    }
  }
}
