/**
 * mcrd --metrics-listen end to end: real traffic through a real mcrd, scraped over HTTP inside the
 * relay's namespace; the counters must equal what the generator sent and the sink received, and a
 * killed worker must show up as a restart without the totals going backwards.
 *
 *   ┌ mcrR-metrics-g ┐ 10.1.0.0/24 ┌ mcrR-metrics-r ──────────────────┐ 10.2.0.0/24 ┌ mcrR-metrics-s ┐
 *   │ mcr-gen g0     ├─────────────┤ r0  mcrd --metrics-listen ...  r1 ├─────────────┤ s0  sink       │
 *   └────────────────┘             └──────────────────────────────────┘             └────────────────┘
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { type ParsedFamily, parseExposition } from './fixtures/parse-text.js';

if (!canNetns) console.warn(`skipping metrics e2e: ${skipReason}`);

const LISTEN = '127.0.0.1:9477';
const ruleA = `{ name: "a", input: { interface: "r0", group: "239.1.1.1", port: 5000 }, outputs: [{ interface: "r1", group: "239.2.2.1", port: 6000 }] }`;

/** GET a path from inside the namespace (the listener is on the namespace's loopback). */
async function scrape(lab: Lab, ns: string, path = '/metrics'): Promise<{ status: number; type: string; body: string }> {
  const js = `fetch('http://${LISTEN}${path}').then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, type: r.headers.get('content-type'), body: await r.text() })))`;
  return JSON.parse(await lab.exec(ns, [process.execPath, '-e', js])) as { status: number; type: string; body: string };
}

function sample(f: ParsedFamily | undefined, labels: Record<string, string> = {}): number {
  const hits = (f?.samples ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${f?.name} match ${JSON.stringify(labels)}`);
  return Number(hits[0]!.value);
}

describe.skipIf(!canNetns)('mcrd --metrics-listen', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    lab = await Lab.create('metrics');
    ({ g, r, s } = await lab.chain());
    dir = await mkdtemp(join(tmpdir(), 'mcrR-metrics-'));
    const config = join(dir, 'mcrd.json5');
    await writeFile(config, `{ rules: [ ${ruleA} ] }\n`);
    mcrd = await startMcrd({ netns: r, dir, args: ['--config', config, '--metrics-listen', LISTEN] });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('rule and output counters equal what was sent and received; control requests are counted', async () => {
    const first = await scrape(lab, r);
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sample(parseExposition(first.body).get('mcr_rule_packets_total'), { rule: 'a' })).toBe(0);

    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 5_000, count: 5_000, payloadBytes: 1000 });
    const got = (await sink.done).listens[0]!;
    expect(got.received).toBe(gen.sent);
    expect((await mcrd.ctl(['remove', 'nosuch'])).code).toBe(1);
    expect((await mcrd.ctl(['list'])).code).toBe(0);

    const res = await scrape(lab, r);
    const fams = parseExposition(res.body);
    const ruleLabels = { rule: 'a', input_interface: 'r0', group: '239.1.1.1', port: '5000' };
    const outLabels = { rule: 'a', output_interface: 'r1', group: '239.2.2.1', port: '6000' };
    expect(sample(fams.get('mcr_rule_packets_total'), ruleLabels)).toBe(gen.sent);
    expect(sample(fams.get('mcr_rule_bytes_total'), ruleLabels)).toBe(gen.sent * 1000);
    expect(sample(fams.get('mcr_output_packets_total'), outLabels)).toBe(got.received);
    expect(sample(fams.get('mcr_output_bytes_total'), outLabels)).toBe(got.received * 1000);
    expect(sample(fams.get('mcr_output_send_errors_total'), { ...outLabels, errno: 'other' })).toBe(0);
    const last = sample(fams.get('mcr_rule_last_packet_timestamp_seconds'), ruleLabels);
    expect(Date.now() / 1000 - last).toBeGreaterThanOrEqual(0);
    expect(Date.now() / 1000 - last).toBeLessThan(30);
    expect(sample(fams.get('mcr_ring_drops_total'))).toBe(0);
    expect(sample(fams.get('mcr_workers'), { state: 'running' })).toBe(1);
    expect(sample(fams.get('mcr_control_requests_total'), { command: 'remove', result: 'ENOENT' })).toBe(1);
    expect(sample(fams.get('mcr_control_requests_total'), { command: 'list', result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(fams.get('mcr_start_time_seconds'))).toBeLessThanOrEqual(Date.now() / 1000);
  });

  test('a worker killed with SIGKILL counts as a restart, and the rule total does not go backwards', async () => {
    const before = parseExposition((await scrape(lab, r)).body);
    const packetsBefore = sample(before.get('mcr_rule_packets_total'), { rule: 'a' });
    expect(packetsBefore).toBeGreaterThan(0);
    const pid = sample(before.get('mcr_worker_pid'), { worker: '0' });
    process.kill(pid, 'SIGKILL');
    const after = await waitFor(async () => {
      const f = parseExposition((await scrape(lab, r)).body);
      return sample(f.get('mcr_worker_restarts_total'), { worker: '0' }) === 1 && sample(f.get('mcr_workers'), { state: 'running' }) === 1 ? f : undefined;
    }, 'worker restart visible in /metrics', 15_000, 200);
    expect(sample(after.get('mcr_worker_pid'), { worker: '0' })).not.toBe(pid);
    expect(sample(after.get('mcr_rule_packets_total'), { rule: 'a' })).toBeGreaterThanOrEqual(packetsBefore);
  });

  test('other paths are 404 and the index points to /metrics', async () => {
    expect((await scrape(lab, r, '/nope')).status).toBe(404);
    const index = await scrape(lab, r, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('/metrics');
  });
});
