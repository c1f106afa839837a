/**
 * Ethernet frames for the parser micro-benchmarks: IPv4/UDP to a multicast group, the same behind an
 * 802.1Q tag, and malformed ones (truncated, bad IP header length), with valid IP checksums so a
 * parser that verifies them takes its full path. Covered by bench/micro/frames.test.ts.
 */

export interface FrameSpec {
  src: string;
  group: string;
  srcPort: number;
  dstPort: number;
  payloadBytes: number;
  /** 802.1Q VLAN id; absent for an untagged frame. */
  vlan?: number;
}

const ETH = 14;
const VLAN_TAG = 4;
const IP = 20;
const UDP = 8;

function ipv4(text: string): number[] {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new TypeError(`not a dotted-quad IPv4 address: ${text}`);
  return parts;
}

/** RFC 791 header checksum of bytes [start, start + len). */
export function ipChecksum(b: Uint8Array, start: number, len: number): number {
  let sum = 0;
  for (let i = start; i < start + len; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The multicast MAC of an IPv4 group (01:00:5e + low 23 bits). */
function groupMac(group: number[]): number[] {
  return [0x01, 0x00, 0x5e, group[1]! & 0x7f, group[2]!, group[3]!];
}

/** Builds one well-formed frame; payload bytes count 0,1,2,… so corruption is visible. */
export function udpFrame(spec: FrameSpec): Uint8Array {
  const l2 = ETH + (spec.vlan === undefined ? 0 : VLAN_TAG);
  const b = new Uint8Array(l2 + IP + UDP + spec.payloadBytes);
  const v = new DataView(b.buffer);
  const dst = ipv4(spec.group);
  b.set(groupMac(dst), 0);
  b.set([0x02, 0x00, 0x00, 0x00, 0x00, 0x01], 6);
  if (spec.vlan === undefined) {
    v.setUint16(12, 0x0800);
  } else {
    v.setUint16(12, 0x8100);
    v.setUint16(14, spec.vlan & 0x0fff);
    v.setUint16(16, 0x0800);
  }
  const ip = l2;
  b[ip] = 0x45;
  v.setUint16(ip + 2, IP + UDP + spec.payloadBytes);
  v.setUint16(ip + 4, 0x1234);
  v.setUint16(ip + 6, 0x4000); // DF, no fragment
  b[ip + 8] = 16;
  b[ip + 9] = 17;
  b.set(ipv4(spec.src), ip + 12);
  b.set(dst, ip + 16);
  v.setUint16(ip + 10, ipChecksum(b, ip, IP));
  const udp = ip + IP;
  v.setUint16(udp, spec.srcPort);
  v.setUint16(udp + 2, spec.dstPort);
  v.setUint16(udp + 4, UDP + spec.payloadBytes);
  for (let i = 0; i < spec.payloadBytes; i++) b[udp + UDP + i] = i & 0xff;
  return b;
}

export const BENCH_FRAME: FrameSpec = { src: '10.0.1.2', group: '239.1.1.1', srcPort: 40000, dstPort: 5000, payloadBytes: 1316 };

/** The frames the parser suite runs, by name. */
export function benchFrames(): Record<'plain' | 'vlan' | 'truncated' | 'badIhl', Uint8Array> {
  const plain = udpFrame(BENCH_FRAME);
  const badIhl = plain.slice();
  badIhl[ETH] = 0x44; // IHL 4 words: shorter than the minimum header
  return {
    plain,
    vlan: udpFrame({ ...BENCH_FRAME, vlan: 100 }),
    truncated: plain.slice(0, ETH + IP + 4),
    badIhl,
  };
}
