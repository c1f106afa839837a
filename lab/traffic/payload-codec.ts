/**
 * A TypeScript encoder/decoder of the mcr traffic payload (format: native/traffic/lib/payload.h),
 * written independently of the C++ one so the tests can check each against the other, and so the lab
 * can craft or inspect datagrams. Not used on any hot path.
 */
export const HEADER_LEN = 32;
const MAGIC = 'MCRT';

export interface PayloadHeader {
  version: number;
  flags: number;
  headerLen: number;
  streamId: number;
  seq: bigint;
  sendNs: bigint;
  length: number;
}

/** Byte i of a datagram (i from the start of the datagram, i >= 32): (seq*131 + i*7 + streamId) & 0xff. */
export function patternByte(seq: bigint, streamId: number, i: number): number {
  return Number((seq * 131n + BigInt(i) * 7n + BigInt(streamId)) & 0xffn);
}

/** Build a datagram of @length bytes. */
export function encodePayload(streamId: number, seq: bigint, sendNs: bigint, length: number): Buffer {
  const b = Buffer.alloc(length);
  b.write(MAGIC, 0, 'latin1');
  b.writeUInt8(1, 4);
  b.writeUInt8(0, 5);
  b.writeUInt16BE(HEADER_LEN, 6);
  b.writeUInt32BE(streamId, 8);
  b.writeBigUInt64BE(seq, 12);
  b.writeBigUInt64BE(sendNs, 20);
  b.writeUInt32BE(length, 28);
  for (let i = HEADER_LEN; i < length; i++) b[i] = patternByte(seq, streamId, i);
  return b;
}

/** Decode the header; null when the datagram is too short or the magic is wrong. */
export function decodeHeader(b: Buffer): PayloadHeader | null {
  if (b.length < HEADER_LEN || b.toString('latin1', 0, 4) !== MAGIC) return null;
  return {
    version: b.readUInt8(4),
    flags: b.readUInt8(5),
    headerLen: b.readUInt16BE(6),
    streamId: b.readUInt32BE(8),
    seq: b.readBigUInt64BE(12),
    sendNs: b.readBigUInt64BE(20),
    length: b.readUInt32BE(28),
  };
}

/** Index of the first pattern byte that is wrong, or -1 when all are right. */
export function firstBadPatternByte(b: Buffer, h: PayloadHeader): number {
  for (let i = HEADER_LEN; i < b.length; i++) if (b[i] !== patternByte(h.seq, h.streamId, i)) return i;
  return -1;
}
