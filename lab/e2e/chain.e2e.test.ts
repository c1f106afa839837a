/**
 * chain.yaml in --quick mode: completes, leaves nothing behind, at 1k pps mcrd and socat deliver
 * everything, and the default CPU placement is recorded, applied and yields a relay-core CPU figure.
 * @needs-kernel-mroute: the kernel relay (smcroute) needs CONFIG_IP_MROUTE. Where the kernel lacks it,
 * `run` skips that relay saying so, accepted here only then, and `npm run test:vm` runs this file in a
 * VM whose kernel has it, with the kernel relay and direct only (the others ran on the host).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onlineCpus } from '../run/placement.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Results } from '../results/types.js';
import { inMrouteVm } from '../../test/support/mroute.js';
import { scaled } from '../../test/support/time-scale.js';
import { canNetns, expectedSkips, fixed, leftovers, mcrdBuilt, measurable, readResults, runLab, tmpOut } from './helpers.js';

const cpuCount = onlineCpus().length;

describe.skipIf(!canNetns)('chain.yaml --quick', () => {
  const out = tmpOut('chain');
  let exitCode: number | undefined;
  let results: Results;
  const relays = inMrouteVm ? 'kernel,direct' : mcrdBuilt ? 'mcrd,socat,kernel,direct' : 'socat,kernel,direct';
  /** Those of `of` this run asked for and this kernel can measure. */
  const ran = (...of: string[]) => measurable(of).filter((r) => relays.split(',').includes(r));

  beforeAll(async () => {
    if (!mcrdBuilt) process.stderr.write('chain e2e: mcrd not built, measuring socat, kernel and direct only\n');
    const res = await runLab(['run', 'scenarios/chain.yaml', '--quick', '--no-progress', '--relays', relays, '--out', out], { timeoutMs: scaled(290_000) });
    exitCode = res.exitCode;
    if (res.exitCode !== 0 && res.exitCode !== 1) throw new Error(`mcr-lab run failed (${res.exitCode}): ${res.stderr}`);
    results = readResults(out);
  }, scaled(300_000));
  afterAll(async () => { await runLab(['down', '--all']); });

  test('the run completes and writes results for every relay it was asked for', () => {
    expect(results).toMatchObject({ schemaVersion: 1, scenario: { name: 'chain', quick: true } });
    expect(results.skipped).toEqual(expectedSkips(relays.split(',')));
    expect(new Set(results.tests.map((t) => t.relay))).toEqual(new Set(measurable(relays.split(','))));
  });

  test('at 1k pps socat, kernel and direct deliver every datagram, byte-exact and in order', () => {
    for (const relay of ran('socat', 'kernel', 'direct')) {
      const t = fixed(results, relay, 'fixed-1k');
      expect(t, relay).toBeDefined();
      expect(t!.sent).toBeGreaterThan(500);
      expect(t!.outputs[0], relay).toMatchObject({ received: t!.sent, lost: 0, duplicates: 0, payloadErrors: 0, reordered: 0 });
    }
  });

  test.skipIf(!ran('mcrd').length)('at 1k pps mcrd delivers every datagram and its CPU time is recorded', () => {
    expect(results.skipped.filter((x) => x.relay === 'mcrd')).toEqual([]);
    const t = fixed(results, 'mcrd', 'fixed-1k')!;
    expect(t.outputs[0]).toMatchObject({ received: t.sent, lost: 0, payloadErrors: 0 });
    // Recorded, in whole 10 ms ticks of /proc/PID/stat: ~800 datagrams cost mcrd a few ms, which can round to 0.
    expect(t.relayCpuNs).toBeDefined();
    expect(t.relayCpuNs! % 10_000_000).toBe(0);
  });

  test('socat CPU time is recorded per packet; kernel and direct have none', () => {
    for (const relay of ran('socat')) expect(fixed(results, relay, 'fixed-1k')!.relayCpuNsPerPacket).toBeGreaterThan(0);
    for (const relay of ran('kernel', 'direct')) expect(fixed(results, relay, 'fixed-1k')!.relayCpuNs, relay).toBeUndefined();
  });

  test.skipIf(cpuCount < 2)('the CPU placement is recorded and applied: traffic tools and relays pinned, RPS masks written', () => {
    const last = cpuCount - 1;
    expect(results.environment.placement).toMatchObject({
      pinned: true, source: 'default', relay: [last], traffic: Array.from({ length: last }, (_, i) => i),
    });
    const log = readFileSync(join(out, 'run.log'), 'utf8');
    if (ran('socat').length) expect(log).toMatch(new RegExp(`\\$ taskset -c ${last} ip netns exec mcl[0-9a-f]{6}-relay socat `));
    // mcrd: the control plane on the traffic CPUs, the packet thread on the relay CPU (--cpus).
    if (ran('mcrd').length) expect(log).toMatch(new RegExp(`\\$ taskset -c 0(-${last - 1})? ip netns exec mcl[0-9a-f]{6}-relay \\S+node \\S+mcrd\\.js .*--cpus ${last}`));
    expect(log).toMatch(/mcr-sink pid \d+ .*"cpus":\[0/);
    expect(log).toMatch(/mcr-gen .*"cpus":\[0/);
    expect(log).toMatch(/rps_cpus.* → ok/);
  });

  test.skipIf(cpuCount < 2)('relay-core CPU per packet is measured for every relay, kernel forwarding included', () => {
    for (const relay of ran('mcrd', 'kernel', 'socat', 'direct')) {
      const t = results.tests.find((x) => x.relay === relay && x.name === 'fixed-50k');
      expect(t?.kind, relay).toBe('fixed-rate');
      if (t?.kind !== 'fixed-rate') continue;
      // direct's relay core is idle apart from the machine's background, which may be nothing at all.
      expect(t.repetitions[0]!.relayCoreBusyNs, relay).toBeGreaterThanOrEqual(0);
      if (relay === 'direct') continue;
      expect(t.repetitions[0]!.relayCoreNsPerPacket, relay).toBeGreaterThan(0);
      expect(t.summary.relayCoreNsPerPacket?.median, relay).toBeGreaterThan(0);
      // Its own share: its processes (none for kernel) plus the softirq work RPS steered to its core.
      expect(t.repetitions[0]!.relayCoreOwnNsPerPacket, relay).toBeGreaterThan(0);
    }
  });

  test('the exit code follows the thresholds', () => {
    expect(exitCode).toBe(results.pass ? 0 : 1);
  });

  test('nothing is left behind: no namespace, state record or process of the run', () => {
    expect(leftovers(results.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
  });
});
