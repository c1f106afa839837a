/**
 * Seeded mutation fuzzing of the IGMP parser, the TypeScript counterpart of native/fuzz's libFuzzer
 * target for the frame parser: 200k inputs mutated from a corpus of valid messages (bit flips, byte
 * overwrites, truncation, appended garbage, lying count/length fields, re-sealed checksums so the
 * structural checks are reached) plus random buffers. The parser must never throw, must return no
 * more addresses than the input could hold, and whatever it accepts must serialize and parse back
 * to the same message. Deterministic: a failure prints its seed and input.
 */
import { describe, expect, test } from 'vitest';
import { type IgmpMessage, PARSE_ERRORS, inetChecksum, parseIgmp, serializeIgmp } from './codec.js';

/** mulberry32: small, fast, good enough to spread mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const aux = new Uint8Array(0);
const CORPUS: IgmpMessage[] = [
  { kind: 'query', version: 1, maxRespDs: 0, group: '0.0.0.0' },
  { kind: 'query', version: 2, maxRespDs: 100, group: '239.1.1.1' },
  { kind: 'query', version: 3, maxRespDs: 100, group: '0.0.0.0', suppress: false, qrv: 2, qqi: 125, sources: [] },
  { kind: 'query', version: 3, maxRespDs: 4096, group: '232.1.1.1', suppress: true, qrv: 7, qqi: 31744, sources: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] },
  { kind: 'v1-report', group: '239.1.2.3' },
  { kind: 'v2-report', group: '239.1.2.3' },
  { kind: 'v2-leave', group: '239.1.2.3' },
  { kind: 'v3-report', skippedRecords: 0, records: [
    { type: 'IS_IN', group: '232.1.1.1', sources: ['10.1.1.1', '10.1.1.2'], aux },
    { type: 'IS_EX', group: '239.1.1.1', sources: [], aux: Uint8Array.of(9, 9, 9, 9) },
    { type: 'TO_IN', group: '239.1.1.2', sources: ['10.1.1.3'], aux },
    { type: 'TO_EX', group: '239.1.1.3', sources: ['10.1.1.4'], aux },
    { type: 'ALLOW', group: '239.1.1.4', sources: ['10.1.1.5'], aux },
    { type: 'BLOCK', group: '239.1.1.5', sources: ['10.1.1.6', '10.1.1.7', '10.1.1.8'], aux },
  ] },
].map((m) => m as IgmpMessage);
const SEEDS = CORPUS.map(serializeIgmp);

function seal(b: Uint8Array): void {
  if (b.length < 4) return;
  b[2] = 0; b[3] = 0;
  const c = inetChecksum(b);
  b[2] = c >> 8; b[3] = c & 0xff;
}

function mutate(r: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(r() * n);
  if (r() < 0.05) return Uint8Array.from({ length: pick(64) }, () => pick(256));
  let b: Uint8Array = Uint8Array.from(SEEDS[pick(SEEDS.length)]!);
  const steps = 1 + pick(4);
  for (let s = 0; s < steps; s++) {
    switch (pick(6)) {
      case 0: if (b.length) { const i = pick(b.length); b[i] = b[i]! ^ (1 << pick(8)); } break;
      case 1: if (b.length) b[pick(b.length)] = pick(256); break;
      case 2: b = b.slice(0, pick(b.length + 1)); break;
      case 3: { const e = new Uint8Array(b.length + 1 + pick(16)); e.set(b); for (let i = b.length; i < e.length; i++) e[i] = pick(256); b = e; break; }
      case 4: // lie in a count or length field: query source count, report record count, a record's aux/source count
        if (b.length >= 12) { const at = [6, 7, 10, 11, 9, 10][pick(6)]!; b[at] = pick(256); }
        break;
      case 5: if (b.length >= 8) b[0] = [0x11, 0x12, 0x16, 0x17, 0x22, pick(256)][pick(6)]!; break;
    }
  }
  if (r() < 0.8) seal(b);
  return b;
}

const addresses = (m: IgmpMessage): number => {
  if (m.kind === 'v3-report') return m.records.reduce((n, r) => n + 1 + r.sources.length, 0);
  return 1 + (m.kind === 'query' && m.version === 3 ? m.sources.length : 0);
};

describe('IGMP parser under mutation', () => {
  test('200k mutated inputs: no throw, bounded output, and every accepted message round-trips', () => {
    const seed = 0x1e3f;
    const r = rng(seed);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 200_000; i++) {
      const input = mutate(r);
      let res;
      try {
        res = parseIgmp(input);
      } catch (err) {
        throw new Error(`seed ${seed} case ${i}: parser threw on ${Buffer.from(input).toString('hex')}: ${String(err)}`);
      }
      if (!res.ok) {
        if (!PARSE_ERRORS.includes(res.reason)) throw new Error(`case ${i}: reason ${res.reason} outside the closed set`);
        outcomes[res.reason] = (outcomes[res.reason] ?? 0) + 1;
        continue;
      }
      outcomes[res.msg.kind] = (outcomes[res.msg.kind] ?? 0) + 1;
      if (addresses(res.msg) > Math.max(1, input.length / 4)) throw new Error(`case ${i}: ${addresses(res.msg)} addresses from ${input.length} bytes`);
      const again = parseIgmp(serializeIgmp(res.msg));
      const expected = res.msg.kind === 'v3-report' ? { ...res.msg, skippedRecords: 0 } : res.msg;
      if (!again.ok) throw new Error(`case ${i}: re-serialized ${Buffer.from(input).toString('hex')} fails with ${again.reason}`);
      expect(again.msg).toEqual(expected);
    }
    // The mutator must reach every refusal and every message kind, or the fuzz proves little.
    for (const k of [...PARSE_ERRORS, 'query', 'v1-report', 'v2-report', 'v2-leave', 'v3-report']) expect(outcomes[k] ?? 0, k).toBeGreaterThan(50);
  });
});
