/**
 * mcrd needs no root: as an unprivileged user holding only CAP_NET_RAW (what the systemd unit grants
 * with AmbientCapabilities), the supervisor and its worker relay a stream. /proc shows the uid and
 * capabilities of both processes.
 *
 *   ┌ mcrR-priv-g ┐ 10.1.0.0/24 ┌ mcrR-priv-r ─────────────────────┐ 10.2.0.0/24 ┌ mcrR-priv-s ┐
 *   │ mcr-gen g0  ├─────────────┤ r0  mcrd as uid 65534 +net_raw r1 ├─────────────┤ s0  sink    │
 *   └─────────────┘             └──────────────────────────────────┘             └─────────────┘
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WorkerView } from '../control/api.js';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping relay privilege e2e: ${skipReason}`);

const CAP_NET_RAW = 1n << 13n;

async function identity(pid: number): Promise<{ uid: string; capEff: bigint; capBnd: bigint }> {
  const st = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (k: string) => new RegExp(`^${k}:\\s+(\\S+)`, 'm').exec(st)![1]!;
  return { uid: field('Uid'), capEff: BigInt(`0x${field('CapEff')}`), capBnd: BigInt(`0x${field('CapBnd')}`) };
}

describe.skipIf(!canNetns)('mcrd without root', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    lab = await Lab.create('priv');
    g = await lab.ns('g'); r = await lab.ns('r'); s = await lab.ns('s');
    await lab.veth(g, 'g0', '10.1.0.1/24', r, 'r0', '10.1.0.2/24');
    await lab.veth(r, 'r1', '10.2.0.1/24', s, 's0', '10.2.0.2/24');
    dir = await mkdtemp(join(tmpdir(), 'mcrR-priv-'));
    await chmod(dir, 0o777);
    mcrd = await startMcrd({
      netns: r, dir,
      wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--bounding-set=-all,+net_raw', '--inh-caps=-all,+net_raw', '--ambient-caps=-all,+net_raw'],
    });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('as uid 65534 with only CAP_NET_RAW, supervisor and worker relay a stream whole', async () => {
    const worker = (JSON.parse((await mcrd.ctl(['--json', 'workers'])).stdout) as { workers: WorkerView[] }).workers[0]!;
    for (const pid of [mcrd.pid, worker.pid!]) {
      const id = await identity(pid);
      expect(id.uid).toBe('65534');
      expect(id.capEff).toBe(CAP_NET_RAW);
      expect(id.capBnd).toBe(CAP_NET_RAW);
    }
    const res = await mcrd.ctl(['add', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.1:6000:r1']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 10_000, count: 20_000, payloadBytes: 1316 });
    const l = (await sink.done).listens[0]!;
    recordDelivery('mcrd as uid 65534 with only CAP_NET_RAW, 10k pps x 2 s', l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors });
    expect(l).toMatchObject({ received: gen.sent, lost: 0, duplicates: 0, payloadErrors: 0 });
  });
});
