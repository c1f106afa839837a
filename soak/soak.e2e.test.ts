/**
 * The 3-minute soak (soak/run.ts) as part of `npm test`: every fault of the schedule fires at least
 * once (periods scaled to fit), and the run must pass the same rule as `npm run soak -- --minutes 30`.
 * runSoak tears its namespaces and mcrd down itself; afterAll sweeps this process's soak namespaces
 * (and the processes in them) again in case the test was cut off by its timeout.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { canNetns, sh, skipReason } from '../test/support/netns.js';
import { runSoak } from './run.js';
import { NOMINAL_PERIOD_S } from './schedule.js';
import { renderVerdict } from './table.js';

if (!canNetns) console.warn(`skipping soak e2e: ${skipReason}`);

const MINUTES = 3;
/** The namespaces runSoak creates from this process (Lab.create('run', 'soak')). */
const PREFIX = `soak-run-${process.pid % 1000}-`;

describe.skipIf(!canNetns)('soak, 3 minutes', () => {
  afterAll(async () => {
    const left = (await sh(['ip', 'netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(PREFIX));
    for (const ns of left) {
      const pids = (await sh(['ip', 'netns', 'pids', ns]).catch(() => '')).split('\n').filter(Boolean).map(Number);
      for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
      await sh(['ip', 'netns', 'del', ns]).catch(() => undefined);
    }
  });

  test('20 streams at 50k pps under every fault: no unexplained loss, flat resources, exact final rules', async () => {
    const res = await runSoak({ minutes: MINUTES });
    // The full record (every segment and output, the faults' timings) for a look after a failure.
    const json = join(tmpdir(), `soak-e2e-${process.pid}.json`);
    const { mcrdLog, ...result } = res;
    await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(json.replace(/json$/, 'mcrd.log'), mcrdLog);
    const table = `${renderVerdict(res.verdict)}\nrule churn: ${res.churn.changes} changes, refused: ${res.churn.refused.join('; ') || 'none'}\nrecord: ${json}`;
    console.log(table);
    const fired = new Set(res.record.faults.map((f) => f.kind));
    expect([...fired].sort(), table).toEqual(Object.keys(NOMINAL_PERIOD_S).sort());
    expect(res.record.segments.length).toBe(MINUTES * 6);
    expect(res.record.segments.reduce((a, s) => a + Object.values(s.outputs).reduce((b, o) => b + o.received, 0), 0)).toBeGreaterThan(0);
    expect(res.verdict.windows.length, table).toBeGreaterThanOrEqual(3);
    expect(res.churn.changes, table).toBeGreaterThan(MINUTES * 60 * 5);
    expect(res.churn.refused, table).toEqual([]);
    expect(res.verdict.ok, table).toBe(true);
  }, (MINUTES * 60 + 120) * 1000);
});
