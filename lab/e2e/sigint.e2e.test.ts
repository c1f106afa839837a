/** A run killed with SIGINT in the middle tears down everything it created and exits 130. */
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { canNetns, cli, leftovers, root, runLab, tmpOut } from './helpers.js';

const stateDirs = ['/run/mcr-lab', '/tmp/mcr-lab'];

function recordOf(pid: number): { runId: string } | undefined {
  for (const d of stateDirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).filter((x) => x.endsWith('.json'))) {
      try {
        const rec = JSON.parse(readFileSync(join(d, f), 'utf8')) as { runId: string; ownerPid: number; resources: Array<{ kind: string }> };
        if (rec.ownerPid === pid && rec.resources.some((r) => r.kind === 'process')) return rec;
      } catch { /* being rewritten */ }
    }
  }
  return undefined;
}

describe.skipIf(!canNetns)('interrupting a run', () => {
  afterAll(async () => { await runLab(['down', '--all']); });

  test.each(['SIGINT', 'SIGTERM'] as const)('%s while socat is relaying leaves no namespace, process or state record', async (sig) => {
    const out = tmpOut('sigint');
    const child = execa(process.execPath, [cli, 'run', 'scenarios/chain.yaml', '--relays', 'socat', '--no-progress', '--out', out], { reject: false, cwd: root });
    // Wait until socat runs (its process is in the state record), then interrupt mid-test.
    const deadline = Date.now() + 30_000;
    let rec: { runId: string } | undefined;
    while (!(rec = recordOf(child.pid!)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(rec, 'socat never started').toBeDefined();
    await new Promise((r) => setTimeout(r, 1500));
    child.kill(sig);
    const res = await child;
    expect(res.exitCode).toBe(130);
    expect(res.stderr).toMatch(/interrupted; everything this run created was removed/);
    expect(leftovers(rec!.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
  });

  test('a second SIGINT kills 50 socat processes at once and still removes everything', async () => {
    const out = tmpOut('sigint2');
    const child = execa(process.execPath, [cli, 'run', 'scenarios/fanout-50.yaml', '--relays', 'socat', '--no-progress', '--out', out], { reject: false, cwd: root });
    const deadline = Date.now() + 30_000;
    let rec: { runId: string } | undefined;
    while (!(rec = recordOf(child.pid!)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(rec, 'socat never started').toBeDefined();
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const res = await child;
    expect(res.exitCode).toBe(130);
    expect(res.stderr).toMatch(/killing the run's processes/);
    expect(leftovers(rec!.runId, join(out, 'run.log'))).toEqual({ netns: [], pids: [], states: [] });
  });
});
