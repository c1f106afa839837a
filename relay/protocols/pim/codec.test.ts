import { describe, expect, it } from 'vitest';
import { decodePim, encodePim, inetChecksum, type PimMessage } from './codec.js';
import { FRR, hex, toHex } from './fixtures.js';

const ok = (b: Uint8Array): PimMessage => {
  const r = decodePim(b);
  if (!r.ok) throw new Error(`decode failed: ${r.reason}`);
  return r.msg;
};

/** Recompute the whole-message checksum after a test edits bytes. */
function resum(b: Uint8Array, upTo = b.length): Uint8Array {
  b[2] = 0; b[3] = 0;
  const s = inetChecksum(b, 0, upTo);
  b[2] = s >> 8; b[3] = s & 255;
  return b;
}

describe('PIM codec against FRR 8.4 captures', () => {
  it('decodes FRR Hello options and re-encodes them byte for byte', () => {
    const m = ok(hex(FRR.hello));
    expect(m).toEqual({ type: 'hello', holdtime: 105, lanPruneDelay: { tBit: false, propagationDelayMs: 500, overrideIntervalMs: 2500 }, drPriority: 1, genId: 0x4c1cd4bc, addresses: [] });
    expect(toHex(encodePim(m))).toBe(FRR.hello);
  });

  it('skips IPv6 entries of the address list option and reads the new DR priority', () => {
    const m = ok(hex(FRR.helloPriority7));
    expect(m).toMatchObject({ type: 'hello', drPriority: 7, genId: 0x04f81ff6, addresses: [] });
  });

  it('decodes a Join(*,G) with S, W and R bits and re-encodes it exactly', () => {
    const m = ok(hex(FRR.joinStar));
    expect(m).toEqual({
      type: 'join-prune', upstream: '10.99.0.1', holdtime: 210,
      groups: [{ group: { addr: '239.1.2.4', maskLen: 32 }, joins: [{ addr: '10.99.9.1', maskLen: 32, s: true, w: true, r: true }], prunes: [] }],
    });
    expect(toHex(encodePim(m))).toBe(FRR.joinStar);
  });

  it('decodes a Prune(*,G)', () => {
    const m = ok(hex(FRR.pruneStar));
    expect(m).toMatchObject({ type: 'join-prune', groups: [{ group: { addr: '239.1.2.3' }, joins: [], prunes: [{ addr: '10.99.9.1', w: true, r: true }] }] });
    expect(toHex(encodePim(m))).toBe(FRR.pruneStar);
  });

  it('accepts FRR Registers (checksum over the 8-byte header) and encodes the same checksum', () => {
    const m = ok(hex(FRR.register));
    expect(m).toMatchObject({ type: 'register', border: false, nullRegister: false, source: '10.99.1.2', group: '239.9.9.9' });
    expect(toHex(encodePim(m))).toBe(FRR.register);
    const n = ok(hex(FRR.nullRegister));
    expect(n).toMatchObject({ type: 'register', nullRegister: true, source: '10.99.1.2', group: '239.9.9.9' });
    expect(toHex(encodePim(n))).toBe(FRR.nullRegister);
  });

  it('accepts a Register whose checksum covers the whole message', () => {
    const b = resum(hex(FRR.register));
    expect(inetChecksum(b, 0, 8)).not.toBe(0);
    expect(ok(b)).toMatchObject({ type: 'register', group: '239.9.9.9' });
  });

  it('decodes a Register-Stop', () => {
    const m = ok(hex(FRR.registerStop));
    expect(m).toEqual({ type: 'register-stop', group: { addr: '239.9.9.9', maskLen: 32 }, source: '10.99.1.2' });
    expect(toHex(encodePim(m))).toBe(FRR.registerStop);
  });
});

describe('PIM codec: messages FRR did not send here', () => {
  it('round-trips an Assert with the RPT bit, preference and metric', () => {
    const m: PimMessage = { type: 'assert', group: { addr: '239.1.1.1', maskLen: 32 }, source: '10.0.0.5', rpt: true, metricPreference: 110, metric: 20 };
    const b = encodePim(m);
    // header 4 + group 8 + source 6 + pref 4 + metric 4
    expect(b.length).toBe(26);
    expect(toHex(b.subarray(18))).toBe('8000006e00000014');
    expect(ok(b)).toEqual(m);
  });

  it('round-trips a Bootstrap with two ranges and the No-Forward bit (RFC 5059 layout)', () => {
    const m: PimMessage = {
      type: 'bootstrap', noForward: true, fragmentTag: 0x1234, hashMaskLen: 30, bsrPriority: 64, bsrAddress: '10.9.9.9',
      groups: [
        { group: { addr: '224.0.0.0', maskLen: 4 }, rpCount: 2, fragmentRpCount: 2, rps: [{ address: '10.1.1.1', holdtime: 150, priority: 192 }, { address: '10.1.1.2', holdtime: 150, priority: 10 }] },
        { group: { addr: '239.0.0.0', maskLen: 8 }, rpCount: 1, fragmentRpCount: 1, rps: [{ address: '10.2.2.2', holdtime: 90, priority: 0 }] },
      ],
    };
    const b = encodePim(m);
    expect(toHex(b.subarray(0, 14))).toBe(`2480${toHex(b.subarray(2, 4))}12341e4001000a090909`);
    // group block: encoded group, RP count 2, frag RP count 2, reserved; RP: encoded unicast, holdtime, priority, reserved
    expect(toHex(b.subarray(14, 36))).toBe('01000004e0000000020200000100' + '0a010101' + '0096c000');
    expect(ok(b)).toEqual(m);
  });

  it('round-trips a Hello with an IPv4 address list and the T bit', () => {
    const m: PimMessage = { type: 'hello', holdtime: 0xffff, lanPruneDelay: { tBit: true, propagationDelayMs: 1000, overrideIntervalMs: 3000 }, addresses: ['10.0.0.1', '192.168.1.1'] };
    const b = encodePim(m);
    expect(toHex(b.subarray(4, 8))).toBe('00010002');
    expect(toHex(b.subarray(10, 18))).toBe('0002000483e80bb8');
    expect(ok(b)).toEqual(m);
  });

  it('skips unknown Hello options', () => {
    const b = resum(hex('2000000000010002006900fe0003aabbcc0013000400000009'));
    expect(ok(b)).toEqual({ type: 'hello', holdtime: 105, drPriority: 9, addresses: [] });
  });
});

describe('PIM codec rejects malformed messages with a reason', () => {
  const reason = (b: Uint8Array) => { const r = decodePim(b); return r.ok ? 'ok' : r.reason; };

  it('names a bad checksum', () => {
    const b = hex(FRR.joinStar); b[3]! ^= 1;
    expect(reason(b)).toBe('badChecksum');
  });
  it('names a wrong version and an unknown type', () => {
    expect(reason(resum(hex('1000000000010002006900')))).toBe('badVersion');
    expect(reason(resum(hex('2900000000010002')))).toBe('unknownType');
  });
  it('names truncation inside an option, an address and a source list', () => {
    expect(reason(hex('2000'))).toBe('truncated');
    expect(reason(resum(hex('2000000000010004006900')))).toBe('truncated');
    expect(reason(resum(hex(FRR.joinStar).slice(0, 30)))).toBe('truncated');
    expect(reason(resum(hex(FRR.registerStop).slice(0, 14)))).toBe('truncated');
  });
  it('names bogus encoded addresses: family, encoding type and source mask length', () => {
    const fam = hex(FRR.joinStar); fam[4] = 2;
    expect(reason(resum(fam))).toBe('badEncodedAddress');
    const enc = hex(FRR.joinStar); enc[5] = 1;
    expect(reason(resum(enc))).toBe('badEncodedAddress');
    const mask = hex(FRR.joinStar); mask[29] = 24;
    expect(reason(resum(mask))).toBe('badEncodedAddress');
    const gmask = hex(FRR.joinStar); gmask[17] = 33;
    expect(reason(resum(gmask))).toBe('badEncodedAddress');
  });
  it('names a wrong-length known option, trailing bytes and a bad inner packet', () => {
    expect(reason(resum(hex('200000000001000300690000')))).toBe('badOption');
    expect(reason(resum(hex(FRR.registerStop + '00')))).toBe('trailingBytes');
    const reg = hex(FRR.nullRegister); reg[8] = 0x65;
    expect(reason(resum(reg, 8))).toBe('badInnerPacket');
  });
});
