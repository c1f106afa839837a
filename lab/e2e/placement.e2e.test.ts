/**
 * The CPU placement on the real kernel: `up` writes the RPS masks (relay host's interfaces → the
 * relay CPU, every other host's → the traffic CPUs), and RPS really moves veth receive work: a
 * generator pinned to a traffic CPU sends into the relay host, and the packets are processed on the
 * relay CPU (per-CPU "processed" and "received_rps" counters of /proc/net/softnet_stat).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { onlineCpus } from '../run/placement.js';
import { runGenerator } from '../traffic/traffic.js';
import { canNetns, runLab } from './helpers.js';

const cpus = onlineCpus();

/** Per CPU: [packets processed, packets received through RPS]; rows are in CPU order of online CPUs. */
function softnet(): Array<[number, number]> {
  return readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n').map((l) => {
    const f = l.trim().split(/\s+/).map((h) => Number.parseInt(h, 16));
    return [f[0]!, f[9] ?? 0];
  });
}

describe.skipIf(!canNetns || cpus.length < 2)('CPU placement on veth', () => {
  let runId: string | undefined;
  afterAll(async () => { if (runId) await runLab(['down', runId]); });

  test('up sets the RPS masks, and a traffic-pinned sender\'s packets are processed on the relay CPU', async () => {
    const up = await runLab(['up', 'scenarios/chain.yaml']);
    expect(up.exitCode, up.stderr).toBe(0);
    runId = /^run ([0-9a-f]{6}) up/.exec(up.stdout)![1]!;
    const relayCpu = cpus[cpus.length - 1]!;
    const rps = (host: string, ifname: string) =>
      Number.parseInt(execFileSync('ip', ['netns', 'exec', `mcl${runId}-${host}`, 'cat', `/sys/class/net/${ifname}/queues/rx-0/rps_cpus`]).toString().replace(/,/g, ''), 16);
    expect(rps('relay', 'in0')).toBe(2 ** relayCpu);
    expect(rps('relay', 'out0')).toBe(2 ** relayCpu);
    expect(rps('gen', 'eth0')).toBe(2 ** relayCpu - 1);
    expect(rps('sink', 'eth0')).toBe(2 ** relayCpu - 1);

    const count = 20_000;
    const before = softnet();
    const gen = await runGenerator({
      netns: `mcl${runId}-gen`, interface: 'eth0', bind: '10.0.0.1', dst: ['239.1.1.1:5001'],
      ratePps: 50_000, count, payloadBytes: 200, cpus: [cpus[0]!],
    });
    const after = softnet();
    expect(gen.sent).toBe(count);
    // Sent on CPU 0, received by the relay's in0: RPS queues every packet to the relay CPU's backlog
    // (other traffic on the machine can only add to these counters).
    const row = cpus.indexOf(relayCpu);
    expect(after[row]![0] - before[row]![0]).toBeGreaterThanOrEqual(count);
    expect(after[row]![1] - before[row]![1]).toBeGreaterThan(0);
  });
});
