import { describe, expect, test } from 'vitest';
import { type IgmpMessage, decodeExpCode, encodeExpCode, inetChecksum, parseIgmp, serializeIgmp } from './codec.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const aux = new Uint8Array(0);

/** IGMP payloads captured with tcpdump from Linux 6.x in a namespace (IP header stripped). */
const LINUX = {
  v3ToEx: '2200 e8f9 0000 0001 0400 0000 ef01 0203',
  v3AllowToEx: '2200 f09e 0000 0002 0500 0001 e801 0101 0a09 004d 0400 0000 ef01 0203',
  v3ToInAllow: '2200 f19e 0000 0002 0300 0000 ef01 0203 0500 0001 e801 0101 0a09 004d',
  v3Block: '2200 e4a4 0000 0001 0600 0001 e801 0101 0a09 004d',
  v2Report: '1600 f8fa ef01 0203',
  v2Leave: '1700 f7fa ef01 0203',
  v1Report: '1200 fcfa ef01 0203',
  // Linux bridge querier (mcast_querier 1): v3 with QRV 2, QQIC 2, and v2.
  v3Query: '1164 ec99 0000 0000 0202 0000',
  v2Query: '1164 ee9b 0000 0000',
};

describe('Linux-captured messages', () => {
  test.each<[keyof typeof LINUX, IgmpMessage]>([
    ['v3ToEx', { kind: 'v3-report', skippedRecords: 0, records: [{ type: 'TO_EX', group: '239.1.2.3', sources: [], aux }] }],
    ['v3AllowToEx', { kind: 'v3-report', skippedRecords: 0, records: [
      { type: 'ALLOW', group: '232.1.1.1', sources: ['10.9.0.77'], aux }, { type: 'TO_EX', group: '239.1.2.3', sources: [], aux }] }],
    ['v3ToInAllow', { kind: 'v3-report', skippedRecords: 0, records: [
      { type: 'TO_IN', group: '239.1.2.3', sources: [], aux }, { type: 'ALLOW', group: '232.1.1.1', sources: ['10.9.0.77'], aux }] }],
    ['v3Block', { kind: 'v3-report', skippedRecords: 0, records: [{ type: 'BLOCK', group: '232.1.1.1', sources: ['10.9.0.77'], aux }] }],
    ['v2Report', { kind: 'v2-report', group: '239.1.2.3' }],
    ['v2Leave', { kind: 'v2-leave', group: '239.1.2.3' }],
    ['v1Report', { kind: 'v1-report', group: '239.1.2.3' }],
    ['v3Query', { kind: 'query', version: 3, maxRespDs: 100, group: '0.0.0.0', suppress: false, qrv: 2, qqi: 2, sources: [] }],
    ['v2Query', { kind: 'query', version: 2, maxRespDs: 100, group: '0.0.0.0' }],
  ])('%s parses and serializes back to the same bytes', (name, msg) => {
    const bytes = hex(LINUX[name]);
    expect(parseIgmp(bytes)).toEqual({ ok: true, msg });
    expect(Buffer.from(serializeIgmp(msg)).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
  });
});

describe('hand-built vectors', () => {
  test('v3 group-and-source-specific query with S flag, QRV 7, exponential MRC and QQIC', () => {
    const msg: IgmpMessage = { kind: 'query', version: 3, maxRespDs: 1024, group: '239.9.9.9', suppress: true, qrv: 7, qqi: 31744, sources: ['10.0.0.1', '192.168.1.254'] };
    const b = serializeIgmp(msg);
    // type 11, MRC 1024 = 0b1_011_0000 (exp 3, mant 0: 16 << 6), S|QRV = 0x0f, QQIC 0xff, N=2
    expect(Buffer.from(b).toString('hex')).toBe(`11b0${Buffer.from(b.slice(2, 4)).toString('hex')}ef090909 0fff0002 0a000001 c0a801fe`.replace(/ /g, ''));
    expect(inetChecksum(b)).toBe(0);
    expect(parseIgmp(b)).toEqual({ ok: true, msg });
  });

  test('v1 query is an 8-byte query with Max Resp Code 0', () => {
    const b = serializeIgmp({ kind: 'query', version: 1, maxRespDs: 0, group: '0.0.0.0' });
    expect(Buffer.from(b).toString('hex')).toBe('1100eeff00000000');
    expect(parseIgmp(b)).toEqual({ ok: true, msg: { kind: 'query', version: 1, maxRespDs: 0, group: '0.0.0.0' } });
  });

  test('v3 report records keep their auxiliary data and unknown record types are skipped and counted', () => {
    const withAux: IgmpMessage = { kind: 'v3-report', skippedRecords: 0, records: [{ type: 'IS_IN', group: '239.0.0.1', sources: ['10.1.1.1'], aux: Uint8Array.of(1, 2, 3, 4) }] };
    const b = serializeIgmp(withAux);
    expect(Buffer.from(b.slice(8)).toString('hex')).toBe('01010001ef0000010a01010101020304');
    expect(parseIgmp(b)).toEqual({ ok: true, msg: withAux });
    const odd = hex('2200 0000 0000 0002 0900 0000 ef01 0101 0200 0000 ef01 0102');
    const c = inetChecksum(odd);
    odd[2] = c >> 8; odd[3] = c & 0xff;
    expect(parseIgmp(odd)).toEqual({ ok: true, msg: { kind: 'v3-report', skippedRecords: 1, records: [{ type: 'IS_EX', group: '239.1.1.2', sources: [], aux }] } });
  });

  test('the checksum covers QRV, QQIC and the sources of a v3 query', () => {
    for (const at of [8, 9, 12, 15]) {
      const b = serializeIgmp({ kind: 'query', version: 3, maxRespDs: 100, group: '239.1.1.1', suppress: false, qrv: 2, qqi: 125, sources: ['10.0.0.1'] });
      b[at] = b[at]! ^ 0x01;
      expect(parseIgmp(b)).toEqual({ ok: false, reason: 'badChecksum' });
    }
  });

  test('trailing bytes after a v2 report are ignored but covered by the checksum', () => {
    const b = new Uint8Array(12);
    b.set(hex('16000000ef010203'));
    const c = inetChecksum(b);
    b[2] = c >> 8; b[3] = c & 0xff;
    expect(parseIgmp(b)).toEqual({ ok: true, msg: { kind: 'v2-report', group: '239.1.2.3' } });
  });
});

/** Set a valid checksum on hand-written bytes so the test reaches the check it is about. */
function sealed(s: string): Uint8Array {
  const b = hex(s);
  b[2] = 0; b[3] = 0;
  const c = inetChecksum(b);
  b[2] = c >> 8; b[3] = c & 0xff;
  return b;
}

describe('refusals', () => {
  test.each([
    ['truncated', '1164 ec99 0000', 'shorter than 8 bytes'],
    ['badChecksum', '1600 f8fb ef01 0203', 'one bit off'],
    ['unknownType', null, 'a DVMRP (0x13) message'],
    ['badQueryLength', null, 'a 10-byte query'],
    ['absurdSourceCount', null, 'a v3 query claiming 2 sources with room for 1'],
    ['absurdRecordCount', null, 'a report claiming 65535 records'],
    ['truncated', null, 'a report whose second record header is cut'],
    ['absurdSourceCount', null, 'a record claiming more sources than follow'],
    ['auxDataOverflow', null, 'a record whose aux data runs past the end'],
  ] as const)('%s: %s (%s)', (reason, raw, what) => {
    const bytes = raw ? hex(raw) : sealed({
      'a DVMRP (0x13) message': '1300 0000 0000 0000',
      'a 10-byte query': '1164 0000 0000 0000 0202',
      'a v3 query claiming 2 sources with room for 1': '1164 0000 0000 0000 0202 0002 0a00 0001',
      'a report claiming 65535 records': '2200 0000 0000 ffff 0400 0000 ef01 0203',
      'a report whose second record header is cut': '2200 0000 0000 0002 0100 0001 ef01 0203 0a00 0001 0400 0000',
      'a record claiming more sources than follow': '2200 0000 0000 0001 0100 0002 ef01 0203 0a00 0001',
      'a record whose aux data runs past the end': '2200 0000 0000 0001 0102 0000 ef01 0203 0000 0000',
    }[what]!);
    expect(parseIgmp(bytes)).toEqual({ ok: false, reason });
  });
});

describe('exponential code (RFC 3376 §4.1.1)', () => {
  test('codes below 128 are literal and the rest decode as (mant | 0x10) << (exp + 3)', () => {
    expect(decodeExpCode(127)).toBe(127);
    expect(decodeExpCode(0x80)).toBe(128);
    expect(decodeExpCode(0x8f)).toBe(248);
    expect(decodeExpCode(0xff)).toBe(31744);
  });

  test('every code round-trips and encoding rounds down between representable values', () => {
    for (let code = 0; code < 256; code++) expect(encodeExpCode(decodeExpCode(code))).toBe(code);
    expect(decodeExpCode(encodeExpCode(1250))).toBe(1216);
    expect(encodeExpCode(100000)).toBe(0xff);
  });
});
