/**
 * 1000 distinct input groups on one interface, with the kernel's default net.ipv4.igmp_max_memberships
 * (20 per socket): mcrd joins them all (spread over several IGMP sockets), the kernel's IGMP table in
 * the relay namespace lists them, traffic to every one of them arrives, and removing rules takes their
 * memberships out again.
 *
 *   ┌ mcrF-groups-g ┐  10.1.0.0/24   ┌── mcrF-groups-r ──┐  10.2.0.0/24   ┌ mcrF-groups-s ┐
 *   │ mcr-gen    g0 ├────────────────┤ r0    mcrd     r1 ├────────────────┤ s0  mcr-sink   │
 *   └───────────────┘                └───────────────────┘                └───────────────┘
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping groups e2e: ${skipReason}`);

const N = 1000;
const inGroup = (i: number) => `239.10.${i >> 8}.${i & 255}`;
const outGroup = (i: number) => `239.20.${i >> 8}.${i & 255}`;

function config(count: number): string {
  const rules = Array.from({ length: count }, (_, i) => ({
    name: `g${i}`,
    input: { interface: 'r0', group: inGroup(i), port: 5000 },
    outputs: [{ interface: 'r1', group: outGroup(i), port: 6000 }],
  }));
  return JSON.stringify({ rules });
}

describe.skipIf(!canNetns)(`${N} input groups on one interface`, () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string;
  let cfg: string;
  let mcrd: McrdHandle;

  /** Groups the kernel's IGMP table in the relay namespace lists on r0 (as dotted quads). */
  async function igmpGroups(): Promise<Set<string>> {
    const text = await lab.exec(r, ['cat', '/proc/net/igmp']);
    const out = new Set<string>();
    let ours = false;
    for (const line of text.split('\n')) {
      if (!line.startsWith('\t')) ours = /^\d+\s+r0\s*:/.test(line);
      else if (ours) {
        const hex = line.trim().split(/\s+/)[0]!; // little-endian hex, as the kernel prints it
        const v = Number.parseInt(hex, 16);
        out.add([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24].join('.'));
      }
    }
    return out;
  }

  beforeAll(async () => {
    lab = await Lab.create('groups', 'mcrF');
    ({ g, r, s } = await lab.chain());
    expect((await lab.exec(r, ['sysctl', '-n', 'net.ipv4.igmp_max_memberships'])).trim()).toBe('20');
    dir = await mkdtemp(join(tmpdir(), 'mcrF-groups-'));
    cfg = join(dir, 'mcrd.json5');
    await writeFile(cfg, config(N));
    mcrd = await startMcrd({ netns: r, dir, args: ['--config', cfg] });
  }, 60_000);

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('every group is joined in the kernel (IGMP) once mcrd runs its rules', async () => {
    const want = Array.from({ length: N }, (_, i) => inGroup(i));
    const joined = await waitFor(async () => {
      const have = await igmpGroups();
      return want.every((x) => have.has(x)) && have;
    }, `${N} IGMP memberships on r0`, 20_000, 200);
    expect(want.filter((x) => !joined.has(x))).toEqual([]);
    expect(mcrd.log()).not.toMatch(/ENOBUFS/);
  });

  test('a sample of groups at 10k pps and all of them at a low rate arrive without loss', async () => {
    const sample = [0, 19, 20, 21, 499, 998, 999];
    {
      const sink = await startSink({ netns: s, listen: sample.map((i) => `${outGroup(i)}:6000`), interface: 's0', idleTimeoutS: 1.5, durationS: 30 });
      const gen = await runGenerator({ netns: g, dst: sample.map((i) => `${inGroup(i)}:5000`), interface: 'g0', ratePps: 10_000, count: sample.length * 2000, payloadBytes: 1316 });
      const rx = await sink.done;
      expect(gen.sent).toBe(sample.length * 2000);
      for (const l of rx.listens) expect(l).toMatchObject({ received: 2000, lost: 0, duplicates: 0, payloadErrors: 0 });
    }
    {
      const all = Array.from({ length: N }, (_, i) => i);
      const sink = await startSink({ netns: s, listen: all.map((i) => `${outGroup(i)}:6000`), interface: 's0', idleTimeoutS: 2, durationS: 60 });
      const gen = await runGenerator({ netns: g, dst: all.map((i) => `${inGroup(i)}:5000`), interface: 'g0', ratePps: 2000, count: N * 3, payloadBytes: 200 });
      const rx = await sink.done;
      expect(gen.sent).toBe(N * 3);
      expect(rx.listens).toHaveLength(N);
      const short = rx.listens.filter((l) => l.received !== 3 || l.lost !== 0 || l.payloadErrors !== 0);
      expect(short).toEqual([]);
    }
  }, 90_000);

  test('removing rules leaves their memberships, the others stay', async () => {
    await writeFile(cfg, config(N / 2));
    expect((await mcrd.ctl(['reload'])).code).toBe(0);
    const have = await waitFor(async () => {
      const h = await igmpGroups();
      return !h.has(inGroup(N - 1)) && h;
    }, 'memberships of removed rules to go', 20_000, 200);
    const kept = Array.from({ length: N / 2 }, (_, i) => inGroup(i));
    const gone = Array.from({ length: N / 2 }, (_, i) => inGroup(N / 2 + i));
    expect(kept.filter((x) => !have.has(x))).toEqual([]);
    expect(gone.filter((x) => have.has(x))).toEqual([]);
  }, 30_000);
});
