// The parser bench's frames are what they claim: checked field by field, and as tcpdump decodes
// the same bytes where tcpdump is installed (skipped otherwise).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { benchFrames, BENCH_FRAME, ipChecksum, udpFrame } from './frames.js';

describe('bench frames', () => {
  test('a plain frame is IPv4/UDP to the group MAC with a header checksum that verifies', () => {
    const f = udpFrame(BENCH_FRAME);
    const v = new DataView(f.buffer);
    expect([...f.slice(0, 6)]).toEqual([0x01, 0x00, 0x5e, 0x01, 0x01, 0x01]);
    expect(v.getUint16(12)).toBe(0x0800);
    expect(v.getUint16(14 + 2)).toBe(20 + 8 + 1316);
    expect([...f.slice(14 + 16, 14 + 20)]).toEqual([239, 1, 1, 1]);
    // A correct checksum makes the header sum to 0xffff, i.e. its checksum over itself reads 0.
    expect(ipChecksum(f, 14, 20)).toBe(0);
    expect(v.getUint16(34 + 2)).toBe(5000);
    expect(f.length).toBe(14 + 20 + 8 + 1316);
    expect(f[42 + 300]).toBe(300 & 0xff);
  });

  test('a VLAN frame carries the 802.1Q tag before the IPv4 ethertype', () => {
    const f = benchFrames().vlan;
    const v = new DataView(f.buffer);
    expect(v.getUint16(12)).toBe(0x8100);
    expect(v.getUint16(14) & 0x0fff).toBe(100);
    expect(v.getUint16(16)).toBe(0x0800);
    expect(ipChecksum(f, 18, 20)).toBe(0);
  });

  test('malformed frames are cut inside the UDP header or claim a 16-byte IP header', () => {
    const { truncated, badIhl } = benchFrames();
    expect(truncated.length).toBe(14 + 20 + 4);
    expect(badIhl[14]! & 0x0f).toBe(4);
  });

  test('a bad address is refused with the value named', () => {
    expect(() => udpFrame({ ...BENCH_FRAME, group: '239.1.1' })).toThrow('not a dotted-quad IPv4 address: 239.1.1');
  });
});

/** A classic pcap file (Ethernet link type) holding the given frames. */
function pcap(frames: Uint8Array[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0); head.writeUInt16LE(2, 4); head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16); head.writeUInt32LE(1, 20);
  const records = frames.map((f) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(f.length, 8); rec.writeUInt32LE(f.length, 12);
    return Buffer.concat([rec, Buffer.from(f)]);
  });
  return Buffer.concat([head, ...records]);
}

const tcpdump = (() => {
  try { execFileSync('tcpdump', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

describe.skipIf(!tcpdump)('bench frames as tcpdump decodes them', () => {
  test('tcpdump reads the plain and VLAN frames as UDP to the group with the right length, checksum ok', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcr-frames-'));
    try {
      const file = join(dir, 'f.pcap');
      const { plain, vlan } = benchFrames();
      writeFileSync(file, pcap([plain, vlan]));
      const out = execFileSync('tcpdump', ['-nn', '-e', '-v', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const lines = out.trim().split('\n');
      expect(out.match(/10\.0\.1\.2\.40000 > 239\.1\.1\.1\.5000: UDP, length 1316/g)).toHaveLength(2);
      expect(out).toContain('vlan 100');
      expect(out).not.toMatch(/bad cksum|truncated/);
      expect(lines.length).toBeGreaterThanOrEqual(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
