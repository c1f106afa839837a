// The compiled CI job (dist/ci/perf-regression.js) run as a child process on fixture results files:
// its exit status, junit.xml and summary.md are what a CI service sees.
// Needs `npm run build:ts` first (npm test does it); a stale build is refused rather than tested.
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ciDir = import.meta.dirname;
const root = join(ciDir, '..');
const script = join(root, 'dist/ci/perf-regression.js');
const fixture = (name: string): string => join(root, 'lab/results/fixtures', name);
const LATENCY = ['latency-default.json', 'latency-busy-poll.json'];
const healthy = ['chain.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', ...LATENCY];
// Running the lab needs root; as root, the non-root refusal is checked by running the job as nobody,
// which needs node and the script reachable by "others" (not so when node lives under /root).
const isRoot = process.getuid?.() === 0;
function othersCanReach(path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  return parts.every((_, i) => {
    const p = `/${parts.slice(0, i + 1).join('/')}`;
    const mode = statSync(p).mode;
    return i === parts.length - 1 ? (mode & 0o005) !== 0 : (mode & 0o001) !== 0;
  });
}
const nobodyCanRun = isRoot && existsSync(script) && othersCanReach(process.execPath) && othersCanReach(script);
let tmp: string;

beforeAll(async () => {
  if (!existsSync(script)) throw new Error(`${script} missing: run npm run build:ts first`);
  const built = statSync(script).mtimeMs;
  for (const f of await readdir(ciDir)) {
    if (f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(ciDir, f)).mtimeMs > built) {
      throw new Error(`ci/${f} is newer than ${script}: run npm run build:ts first`);
    }
  }
  tmp = await mkdtemp(join(tmpdir(), 'mcr-perf-test-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface JobRun { exitCode: number; stdout: string; stderr: string; junit: string; summary: string; out: string }

async function job(args: string[], env: Record<string, string> = {}): Promise<JobRun> {
  const out = await mkdtemp(join(tmp, 'out-'));
  const r = await execa(process.execPath, [script, '--out', out, ...args], { reject: false, env: { GITHUB_STEP_SUMMARY: '', ...env } });
  const read = async (f: string): Promise<string> => (existsSync(join(out, f)) ? readFile(join(out, f), 'utf8') : '');
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, junit: await read('junit.xml'), summary: await read('summary.md'), out };
}
const withResults = (names: string[], ...rest: string[]): Promise<JobRun> => job(['--results', names.map(fixture).join(','), ...rest]);

/** The body of one named testcase in a JUnit document. */
function testcase(junit: string, name: string): string {
  const m = new RegExp(`<testcase [^>]*name="${name.replace(/[/.]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</testcase>`).exec(junit);
  if (!m) throw new Error(`no testcase ${name} in\n${junit}`);
  return m[1]!;
}

describe('perf-regression job on fixture results', () => {
  test('a healthy run exits 0 with no failing testcase and prints the summary', async () => {
    const r = await withResults(healthy);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.junit).toContain('failures="0"');
    // Reported without a baseline: the two 2-worker/1-worker ratios (too unstable to guard), the placed
    // chain's latency (idle-vCPU wake-ups) and kernel's latency added (context).
    expect(r.summary).toContain('PASS: 17 pass, 5 without baseline');
    expect(r.summary).toContain('| Chain p50 latency added by mcrd --busy-poll-us 200 (vs direct; 50k pps, no CPU placement) | 4.0 µs | ≤ 60.0 µs (20.0 µs +200 %) | ✅ pass |');
    expect(r.summary).toContain('| Scaling: total throughput over 4 streams, mcrd 2 workers / 1 worker | 1.50× | no baseline | ➖ no baseline |');
    expect(r.stdout).toContain(r.summary);
  });

  test('a regression beyond tolerance exits 1 and fails its junit testcases', async () => {
    const r = await withResults(['chain-regressed.json', 'dual-bridge.json', 'fanout-50.json', ...LATENCY]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(testcase(r.junit, 'chain.throughput.mcrd/socat')).toContain('<failure type="regression" message="have 2.50×, expected ≥ 3.00×');
    expect(testcase(r.junit, 'chain.throughput.mcrd/kernel')).toContain('<failure type="regression"');
    expect(testcase(r.junit, 'dual-bridge.throughput.mcrd/socat')).not.toContain('<failure');
    expect(r.summary).toContain('FAIL: 2 regressions');
  });

  test('a multi-millisecond queue below the throughput and a relay core far costlier than the kernel\'s fail the job', async () => {
    const r = await withResults(['chain-queue-regressed.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', ...LATENCY]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(testcase(r.junit, 'chain.queue.mcrd-worst-p99-below-throughput'))
      .toContain('<failure type="regression" message="have 3.00 ms, expected ≤ 2.00 ms (baseline 1.00 ms, tolerance 100 %, lower-is-better)"');
    expect(testcase(r.junit, 'chain.relay-core-per-packet.mcrd/kernel@150k'))
      .toContain('<failure type="regression" message="have 2.50×, expected ≤ 1.82× (baseline 1.30×, tolerance 40 %, lower-is-better)"');
    expect(r.summary).toContain('FAIL: 2 regressions');
  });

  test('duplicates or reordering with 2 workers fail the job', async () => {
    const r = await withResults(['chain.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w-duplicates.json', ...LATENCY]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(testcase(r.junit, 'scaling.dup-reorder.mcrd-2w')).toContain('<failure type="regression" message="have 45, expected ≤ 0 (baseline 0, tolerance 0 %, lower-is-better)"');
  });

  test('noise within tolerance passes', async () => {
    const r = await withResults(['chain-noisy.json', 'dual-bridge.json', 'fanout-50.json', ...LATENCY]);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.junit).toContain('failures="0"');
    expect(r.summary).toContain('| Chain throughput, mcrd / socat | 3.92× |');
  });

  test('mcrd\'s defaults queueing in the latency suite fail the job; shared-VM latency noise does not', async () => {
    const r = await withResults(['chain.json', 'dual-bridge.json', 'fanout-50.json', 'latency-default-regressed.json', 'latency-busy-poll.json']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(testcase(r.junit, 'latency.p50-added.mcrd'))
      .toContain('<failure type="regression" message="have 120.0 µs, expected ≤ 80.0 µs (baseline 20.0 µs, tolerance 300 %, lower-is-better)"');
    expect(testcase(r.junit, 'latency-default.queue.mcrd-worst-p99')).toContain('<failure type="regression" message="have 4.00 ms, expected ≤ 3.00 ms');
    const noisy = await withResults(['chain.json', 'dual-bridge.json', 'fanout-50.json', 'latency-default-noisy.json', 'latency-busy-poll.json']);
    expect(noisy.exitCode, noisy.stdout).toBe(0);
    expect(noisy.junit).toContain('failures="0"');
  });

  test('a missing required metric fails the job', async () => {
    const r = await withResults(['chain.json', 'dual-bridge.json']);
    expect(r.exitCode).toBe(1);
    expect(testcase(r.junit, 'fanout-50.output/chain')).toContain('<failure type="missing" message="missing (required): no results for scenario fanout-50');
  });

  test('a missing metric the baseline does not require is reported and passes', async () => {
    const r = await withResults(['chain-kernel-skipped.json', 'dual-bridge.json', 'fanout-50.json', ...LATENCY]);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(testcase(r.junit, 'chain.throughput.mcrd/kernel')).toContain('<skipped message="missing (not required): kernel skipped in chain: smcroute not installed"/>');
  });

  test('an improvement is reported but passes', async () => {
    const r = await withResults(['chain-improved.json', 'dual-bridge.json', 'fanout-50.json', ...LATENCY]);
    expect(r.exitCode).toBe(0);
    expect(r.summary).toContain('| Chain throughput, mcrd / socat | 6.75× | ≥ 3.00× (4.00× −25 %) | ⬆️ improved |');
  });

  test('--update-baseline writes this run as the baseline, which then guards the next run', async () => {
    const baseline = join(tmp, 'baseline.json');
    await copyFile(join(ciDir, 'baseline.json'), baseline);
    const update = await withResults(healthy, '--baseline', baseline, '--update-baseline');
    expect(update.exitCode, update.stderr).toBe(0);
    const written = JSON.parse(await readFile(baseline, 'utf8'));
    expect(written['chain.throughput.mcrd/socat']).toEqual({ value: 4.5, tolerance: 0.25, direction: 'higher-is-better', required: true });
    const noisy = await withResults(['chain-noisy.json', 'dual-bridge.json', 'fanout-50.json', ...LATENCY], '--baseline', baseline);
    expect(noisy.exitCode).toBe(0);
    const regressed = await withResults(['chain-regressed.json', 'dual-bridge.json', 'fanout-50.json', ...LATENCY], '--baseline', baseline);
    expect(regressed.exitCode).toBe(1);
  });

  test.skipIf(!isRoot)('without --results it runs every scenario through the lab CLI and compares what the lab wrote', async () => {
    const log = join(tmp, 'lab.log');
    const r = await job(['--lab', fixture('writes-results.mjs')], { FAKE_LAB_LOG: log, FAKE_LAB_CHAIN: fixture('chain-regressed.json') });
    expect(r.exitCode, r.stderr).toBe(1);
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    expect(calls).toEqual([
      ...['chain', 'dual-bridge', 'fanout-50'].map((s) =>
        `run ${join(root, 'scenarios', `${s}.yaml`)} --quick --relays mcrd,socat,kernel,direct --out ${join(r.out, 'runs', s)} --json`),
      // The scaling scenario runs once per mcrd worker count, from committed variants (scenarios/bench/).
      `run ${join(root, 'scenarios', 'bench', 'scaling-1w.yaml')} --quick --relays mcrd,direct --out ${join(r.out, 'runs', 'scaling-1w')} --json`,
      `run ${join(root, 'scenarios', 'bench', 'scaling-2w.yaml')} --quick --relays mcrd --out ${join(r.out, 'runs', 'scaling-2w')} --json`,
      // The latency suite: the chain without placement, mcrd default, busy-polling and adaptive (bench/latency.ts).
      `run ${join(root, 'scenarios', 'bench', 'latency-default.yaml')} --quick --relays direct,kernel,mcrd --out ${join(r.out, 'runs', 'latency-default')} --json`,
      `run ${join(root, 'scenarios', 'bench', 'latency-busy-poll.yaml')} --quick --relays direct,mcrd --out ${join(r.out, 'runs', 'latency-busy-poll')} --json`,
      `run ${join(root, 'scenarios', 'bench', 'latency-adaptive.yaml')} --quick --relays direct,mcrd --out ${join(r.out, 'runs', 'latency-adaptive')} --json`,
    ]);
    expect(r.stderr).toContain('writes-results: chain progress 100%');
    expect(testcase(r.junit, 'chain.throughput.mcrd/socat')).toContain('<failure type="regression"');
  });

  test.skipIf(!isRoot)('--repeat runs each scenario that many times and compares the medians', async () => {
    const log = join(tmp, 'lab-repeat.log');
    const r = await job(['--lab', fixture('writes-results.mjs'), '--repeat', '3'], { FAKE_LAB_LOG: log });
    expect(r.exitCode, r.stderr).toBe(0);
    const outs = (await readFile(log, 'utf8')).trim().split('\n').map((l) => l.split(' --out ')[1]!.split(' ')[0]);
    expect(outs).toEqual(['chain', 'dual-bridge', 'fanout-50', 'scaling-1w', 'scaling-2w', 'latency-default', 'latency-busy-poll', 'latency-adaptive'].flatMap((s) => [1, 2, 3].map((i) => join(r.out, 'runs', s, `run-${i}`))));
    expect(r.summary).toContain('median of 3 runs');
  });

  test.skipIf(!isRoot)('a lab run that leaves no results.json exits 70, and the other scenarios are still compared and published', async () => {
    const r = await job(['--lab', fixture('writes-results.mjs'), '--scenarios', 'chain,dual-bridge'], { FAKE_LAB_DUAL_BRIDGE: 'none' });
    expect(r.exitCode).toBe(70);
    expect(r.stderr).toContain('perf-regression: 1 lab run(s) failed: dual-bridge');
    expect(testcase(r.junit, 'lab run dual-bridge')).toMatch(/<error type="lab" message="mcr-lab run dual-bridge wrote no .*runs\/dual-bridge\/results\.json/);
    expect(r.junit).toContain('errors="1"');
    expect(r.summary).toMatch(/^## mcr performance regression check — ERROR \(lab run failed\), /);
    expect(r.summary).toContain('| Chain throughput, mcrd / socat | 4.50× |');
    expect(r.summary).toContain('| Dual-bridge throughput, mcrd / socat | – |');
  });

  test.skipIf(!isRoot)('--update-baseline refuses to write a baseline from a run whose lab failed', async () => {
    const baseline = join(tmp, 'kept-baseline.json');
    await copyFile(join(ciDir, 'baseline.json'), baseline);
    const before = await readFile(baseline, 'utf8');
    const r = await job(['--lab', fixture('writes-results.mjs'), '--baseline', baseline, '--update-baseline'], { FAKE_LAB_FANOUT_50: 'none' });
    expect(r.exitCode).toBe(70);
    expect(r.stderr).toContain('not updating');
    expect(await readFile(baseline, 'utf8')).toBe(before);
  });
});

describe('perf-regression job on bad input', () => {
  test.each([
    [['--bogus'], 64, "Unknown option '--bogus'"],
    [['--relays', 'mcrd,vpp'], 64, '--relays: unknown relay vpp (known: mcrd, socat, kernel, direct)'],
    [['--results', 'a.json', '--full'], 64, '--results compares existing files'],
    [['--repeat', '0'], 64, '--repeat: expected an integer 1-20, got "0"'],
    [['--results', '/nonexistent/r.json'], 70, '/nonexistent/r.json: cannot read: ENOENT'],
  ])('%j exits %d with a message naming the problem', async (args, code, message) => {
    const r = await job(args);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toContain(message);
  });

  test('a results file of another schema version is refused', async () => {
    const file = join(tmp, 'v2.json');
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(fixture('chain.json'), 'utf8')), schemaVersion: 2 }));
    const r = await job(['--results', file]);
    expect(r.exitCode).toBe(70);
    expect(r.stderr).toContain('results schema version 2 is not supported; this mcr-lab reads version 1');
  });

  test('a baseline with a bad field exits 78 before any lab run', async () => {
    const file = join(tmp, 'bad-baseline.json');
    await writeFile(file, JSON.stringify({ 'chain.throughput.mcrd/socat': { value: 4, tolerance: '25%', direction: 'higher-is-better' } }));
    const r = await job(['--baseline', file, '--lab', '/nonexistent/lab.js']);
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toContain('chain.throughput.mcrd/socat.tolerance: expected a number');
  });

  test.skipIf(!nobodyCanRun)('running the lab without root exits 77 and points at --results', async () => {
    // As nobody: the refusal comes before anything is written, so no output directory is needed.
    const r = await execa(process.execPath, [script, '--out', join(tmpdir(), 'mcr-perf-nobody-never-written'), '--lab', fixture('writes-results.mjs')],
      { reject: false, uid: 65534, gid: 65534 });
    expect(r.exitCode, r.stderr).toBe(77);
    expect(r.stderr).toContain('running the lab needs root (network namespaces): run as root, or compare existing files with --results');
  });

  test('--help prints usage and exits 0', async () => {
    const r = await job(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('usage: perf-regression');
  });
});
