/**
 * mcrd needs no root: as an unprivileged user holding only CAP_NET_RAW (what the systemd unit grants
 * with AmbientCapabilities), the supervisor and its worker relay a stream. /proc shows the uid and
 * capabilities of both processes. Second suite: `mcrd --user nobody` started as root switches by
 * itself (relay/daemon/privilege.ts) — supervisor, workers and restarted workers as uid 65534 with
 * only CAP_NET_RAW, rules added after the switch relay, the state file keeps being written.
 *
 *   ┌ mcrR-priv-g ┐ 10.1.0.0/24 ┌ mcrR-priv-r ─────────────────────┐ 10.2.0.0/24 ┌ mcrR-priv-s ┐
 *   │ mcr-gen g0  ├─────────────┤ r0  mcrd as uid 65534 +net_raw r1 ├─────────────┤ s0  sink    │
 *   └─────────────┘             └──────────────────────────────────┘             └─────────────┘
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readState } from '../config/state.js';
import type { WorkerView } from '../control/api.js';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { MCRD, type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';

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
    ({ g, r, s } = await lab.chain());
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

const workersOf = async (d: McrdHandle) => (JSON.parse((await d.ctl(['--json', 'workers'])).stdout) as { workers: WorkerView[] }).workers;

/** Relay `count` frames from g0 (namespace g) to s0 (namespace s) through mcrd; every one must arrive, byte for byte. */
async function streamWhole(ns: { g: string; s: string }, what: string, count: number): Promise<void> {
  const sink = await startSink({ netns: ns.s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
  const gen = await runGenerator({ netns: ns.g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 10_000, count, payloadBytes: 1316 });
  const l = (await sink.done).listens[0]!;
  recordDelivery(what, l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors });
  expect(gen.sent).toBe(count);
  expect(l).toMatchObject({ received: gen.sent, lost: 0, duplicates: 0, payloadErrors: 0 });
}

/** SIGKILL every worker; resolves with the restarted ones once each runs again. */
async function killWorkers(mcrd: McrdHandle): Promise<WorkerView[]> {
  const before = await workersOf(mcrd);
  for (const w of before) process.kill(w.pid!, 'SIGKILL');
  return waitFor(async () => {
    const ws = await workersOf(mcrd);
    return ws.every((w, i) => w.state === 'running' && w.pid !== before[i]!.pid && w.restarts === before[i]!.restarts + 1) ? ws : undefined;
  }, 'both workers restarted', 15_000, 100);
}

/** Stop mcrd, then remove the namespaces and the directory, each even if the one before failed. */
async function tearDown(mcrd: McrdHandle | undefined, lab: Lab | undefined, dir: string | undefined): Promise<void> {
  try { await mcrd?.stop(); } finally {
    try { await lab?.destroy(); } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }
}

/** The credential lines of /proc/PID/status (or /proc/PID/task/TID/status). */
async function creds(path: string): Promise<Record<string, string>> {
  const st = await readFile(path, 'utf8');
  const out: Record<string, string> = {};
  for (const k of ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs']) {
    out[k] = new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(st)![1]!.trim().replace(/\s+/g, ' ');
  }
  return out;
}

const NET_RAW_ONLY = '0000000000002000';
/** What `--user nobody` must leave: nobody:nogroup everywhere, CAP_NET_RAW and nothing else. */
const NOBODY_NET_RAW = {
  Uid: '65534 65534 65534 65534', Gid: '65534 65534 65534 65534', Groups: '65534',
  CapInh: NET_RAW_ONLY, CapPrm: NET_RAW_ONLY, CapEff: NET_RAW_ONLY, CapBnd: NET_RAW_ONLY, CapAmb: NET_RAW_ONLY, NoNewPrivs: '1',
};

/**
 *   ┌ mcrR-drop-g ┐ 10.1.0.0/24 ┌ mcrR-drop-r ───────────────────────────┐ 10.2.0.0/24 ┌ mcrR-drop-s ┐
 *   │ mcr-gen g0  ├─────────────┤ r0  sudo mcrd --user nobody, 2 wkrs r1 ├─────────────┤ s0  sink    │
 *   └─────────────┘             └────────────────────────────────────────┘             └─────────────┘
 */
describe.skipIf(!canNetns)('mcrd --user nobody, started as root', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let base: string;
  let mcrd: McrdHandle | undefined;
  // Neither directory exists yet: mcrd creates both as root and hands them to nobody.
  const runDir = () => join(base, 'run');
  const stateFile = () => join(base, 'state', 'rules.json');
  const start = (args = ['--user', 'nobody']) => startMcrd({ netns: r, dir: runDir(), stateFile: stateFile(), args: [...args, '--num-workers', '2'] });


  beforeAll(async () => {
    lab = await Lab.create('drop');
    ({ g, r, s } = await lab.chain());
    base = await mkdtemp(join(tmpdir(), 'mcrR-drop-'));
    await chmod(base, 0o755);
    mcrd = await start();
  });

  afterAll(() => tearDown(mcrd, lab, base));

  test('supervisor and both workers run as nobody holding only CAP_NET_RAW, ambient included', async () => {
    const ws = await workersOf(mcrd!);
    expect(ws.map((w) => w.state)).toEqual(['running', 'running']);
    for (const pid of [mcrd!.pid, ...ws.map((w) => w.pid!)]) {
      expect({ pid, ...(await creds(`/proc/${pid}/status`)) }).toEqual({ pid, ...NOBODY_NET_RAW });
    }
    // setresuid went to every thread of the supervisor (glibc's setxid broadcast); capabilities are
    // per thread: only the main thread (and threads it started later) hold CAP_NET_RAW, none more.
    const tids = await readdir(`/proc/${mcrd!.pid}/task`);
    expect(tids.length).toBeGreaterThan(1);
    for (const tid of tids) {
      const t = await creds(`/proc/${mcrd!.pid}/task/${tid}/status`);
      expect(t.Uid).toBe('65534 65534 65534 65534');
      expect([NET_RAW_ONLY, '0000000000000000']).toContain(t.CapEff);
      expect([NET_RAW_ONLY, '0000000000000000']).toContain(t.CapPrm);
    }
    expect((await readFile(`/proc/${mcrd!.pid}/task/${mcrd!.pid}/status`, 'utf8'))).toMatch(/^CapEff:\s+0000000000002000$/m);
    for (const [path, mode] of [[runDir(), 0o750], [dirname(stateFile()), 0o750], [mcrd!.socket, 0o660]] as const) {
      const st = await stat(path);
      expect({ path, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 }).toEqual({ path, uid: 65534, gid: 65534, mode });
    }
    expect(mcrd!.log()).toMatch(/dropped privileges user=nobody uid=65534 group=nogroup gid=65534 groups=65534 keep=CAP_NET_RAW/);
  });

  test('a rule added after the switch opens its AF_PACKET sockets and relays a stream whole; nobody writes the state file', async () => {
    const res = await mcrd!.ctl(['add', '--rule-id', 'cam', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.1:6000:r1']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    await streamWhole({ g, s }, 'mcrd --user nobody (2 workers), rule added after the switch, 10k pps x 2 s', 20_000);
    // The add is a journal line (config/state.ts): nobody owns snapshot and journal.
    for (const f of [stateFile(), `${stateFile()}.journal`]) {
      const st = await stat(f);
      expect({ f, uid: st.uid, gid: st.gid }).toEqual({ f, uid: 65534, gid: 65534 });
    }
    expect((await readState(stateFile())).map((x) => [x.id, x.origin])).toEqual([['cam', 'runtime']]);
  });

  test('workers killed with SIGKILL come back as nobody with CAP_NET_RAW and forward again', async () => {
    // Both are killed: the stream afterwards can only pass through a worker the unprivileged
    // supervisor forked, whichever of the two the fanout hash picks.
    const after = await killWorkers(mcrd!);
    for (const w of after) expect({ pid: w.pid, ...(await creds(`/proc/${w.pid!}/status`)) }).toEqual({ pid: w.pid, ...NOBODY_NET_RAW });
    await streamWhole({ g, s }, 'mcrd --user nobody after kill -9 of both workers, 10k pps x 1 s', 10_000);
  });

  test('restarted with daemon.user in the config file, mcrd switches again, reads its state file back and relays without re-adding', async () => {
    expect(await mcrd!.stop()).toBe(0);
    const config = join(base, 'mcrd.json5');
    await writeFile(config, '{ daemon: { user: "nobody" }, rules: [] }\n', { mode: 0o644 });
    mcrd = await start(['--config', config]);
    expect((await mcrd.ctl(['list'])).stdout).toMatch(/^cam\s+239\.1\.1\.1:5000 r0/m);
    expect(await creds(`/proc/${mcrd.pid}/status`)).toEqual(NOBODY_NET_RAW);
    expect(mcrd.log()).toMatch(/dropped privileges user=nobody/);
    expect(mcrd.log()).not.toMatch(/config file not readable/);
    // Re-reading the config happens as nobody now.
    expect(await mcrd.ctl(['reload'])).toMatchObject({ code: 0, stdout: 'reloaded: 0 added, 0 removed, 0 changed, 1 unchanged\n' });
    await streamWhole({ g, s }, 'mcrd --user nobody restarted, rule from the state file, 10k pps x 1 s', 10_000);
  });

  test('refusals: not root exits 77, an unknown user 78, each naming --user and the fix', async () => {
    const run = (wrap: string[], user: string) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(wrap[0] ?? process.execPath, [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), MCRD, '--user', user,
        '--control-socket', join(base, 'refused', 'c.sock'), '--state-file', join(base, 'refused', 'rules.json')],
      (err, _out, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr }));
    });
    const notRoot = await run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], 'daemon');
    expect(notRoot).toEqual({ code: 77, stderr: 'mcrd: --user: switching to user daemon needs root, but mcrd runs as uid 65534 (start it as root (sudo mcrd --user daemon ...), or leave out --user when the service manager sets the user (systemd User=))\n' });
    const unknown = await run([], 'mcrR-no-such-user');
    expect(unknown.code).toBe(78);
    expect(unknown.stderr).toBe('mcrd: --user: no user "mcrR-no-such-user" (getent passwd mcrR-no-such-user finds nothing) (create it, e.g. useradd --system --no-create-home --shell /usr/sbin/nologin mcrR-no-such-user, or name an existing user)\n');
    await expect(stat(join(base, 'refused'))).rejects.toThrow(/ENOENT/);
  });
});

/** Uid 0 kept, capabilities cut to CAP_NET_RAW: what a root start without --user must leave. */
const ROOT_NET_RAW = {
  Uid: '0 0 0 0', Gid: '0 0 0 0',
  CapInh: NET_RAW_ONLY, CapPrm: NET_RAW_ONLY, CapEff: NET_RAW_ONLY, CapBnd: NET_RAW_ONLY, CapAmb: '0000000000000000', NoNewPrivs: '1',
};

/** The credential lines of a process that ROOT_NET_RAW speaks about (Groups are whatever root's were). */
async function rootCreds(pid: number): Promise<Record<string, string>> {
  const c = await creds(`/proc/${pid}/status`);
  return Object.fromEntries(Object.keys(ROOT_NET_RAW).map((k) => [k, c[k]!]));
}

/** Every thread of `pid`: capability sets within CAP_NET_RAW (capabilities belong to threads, not processes). */
async function threadCaps(pid: number): Promise<Array<{ tid: string; CapPrm: string; CapEff: string; CapBnd: string }>> {
  const out = [];
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const t = await creds(`/proc/${pid}/task/${tid}/status`).catch(() => undefined); // a thread may end meanwhile
    if (t) out.push({ tid, CapPrm: t.CapPrm!, CapEff: t.CapEff!, CapBnd: t.CapBnd! });
  }
  return out;
}

/**
 *   ┌ cmpt-rcap-g ┐ 10.1.0.0/24 ┌ cmpt-rcap-r ─────────────────────────────┐ 10.2.0.0/24 ┌ cmpt-rcap-s ┐
 *   │ mcr-gen g0  ├─────────────┤ r0  sudo mcrd (no --user), 2 workers  r1 ├─────────────┤ s0  sink    │
 *   └─────────────┘             └──────────────────────────────────────────┘             └─────────────┘
 */
describe.skipIf(!canNetns)('mcrd started as root without --user', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let base: string;
  let mcrd: McrdHandle | undefined;
  const config = () => join(base, 'mcrd.json5');


  beforeAll(async () => {
    lab = await Lab.create('rcap', 'cmpt');
    ({ g, r, s } = await lab.chain());
    base = await mkdtemp(join(tmpdir(), 'cmpt-rcap-'));
    // A state directory left by an earlier `--user nobody` run: root without CAP_DAC_OVERRIDE could not
    // write it, so mcrd takes it back before cutting its capabilities.
    await mkdir(join(base, 'state'), { mode: 0o750 });
    await writeFile(join(base, 'state', 'rules.json'), JSON.stringify({ version: 1, rules: [] }), { mode: 0o640 });
    await writeFile(join(base, 'state', 'rules.json.lock'), '', { mode: 0o640 });
    for (const p of ['state', 'state/rules.json', 'state/rules.json.lock']) await chown(join(base, p), 65534, 65534);
    await writeFile(config(), '{ rules: [] }\n', { mode: 0o600 });
    mcrd = await startMcrd({ netns: r, dir: join(base, 'run'), stateFile: join(base, 'state', 'rules.json'), args: ['--config', config(), '--num-workers', '2'] });
  });

  afterAll(() => tearDown(mcrd, lab, base));

  test('supervisor and both workers keep uid 0 but hold CAP_NET_RAW alone, in every thread', async () => {
    const ws = await workersOf(mcrd!);
    expect(ws.map((w) => w.state)).toEqual(['running', 'running']);
    for (const pid of [mcrd!.pid, ...ws.map((w) => w.pid!)]) {
      expect({ pid, ...(await rootCreds(pid)) }).toEqual({ pid, ...ROOT_NET_RAW });
      const threads = await threadCaps(pid);
      expect(threads.length).toBeGreaterThan(1);
      for (const t of threads) expect(t).toEqual({ tid: t.tid, CapPrm: NET_RAW_ONLY, CapEff: NET_RAW_ONLY, CapBnd: NET_RAW_ONLY });
    }
    for (const p of ['state', 'state/rules.json', 'state/rules.json.lock']) {
      const st = await stat(join(base, p));
      expect({ p, uid: st.uid, gid: st.gid }).toEqual({ p, uid: 0, gid: 0 });
    }
  });

  test('a rule added at runtime relays a stream whole, and the state file is written', async () => {
    const res = await mcrd!.ctl(['add', '--rule-id', 'cam', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.1:6000:r1']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    await streamWhole({ g, s }, 'mcrd as root without --user (CAP_NET_RAW only), rule added at runtime, 10k pps x 2 s', 20_000);
    expect((await readState(join(base, 'state', 'rules.json'))).map((x) => x.id)).toEqual(['cam']);
  });

  test('workers killed with SIGKILL come back with CAP_NET_RAW alone and forward again', async () => {
    const after = await killWorkers(mcrd!);
    for (const w of after) {
      expect({ pid: w.pid, ...(await rootCreds(w.pid!)) }).toEqual({ pid: w.pid, ...ROOT_NET_RAW });
      for (const t of await threadCaps(w.pid!)) expect(t).toEqual({ tid: t.tid, CapPrm: NET_RAW_ONLY, CapEff: NET_RAW_ONLY, CapBnd: NET_RAW_ONLY });
    }
    await streamWhole({ g, s }, 'mcrd as root without --user after kill -9 of both workers, 10k pps x 1 s', 10_000);
  });

  test('SIGHUP re-reads the root-owned 0600 config file and applies its rule; the stream keeps flowing', async () => {
    await writeFile(config(), '{ rules: [{ name: "b", input: { interface: "r0", group: "239.1.1.2", port: 5002 }, outputs: [{ interface: "r1", group: "239.2.2.2", port: 6002 }] }] }\n', { mode: 0o600 });
    process.kill(mcrd!.pid, 'SIGHUP');
    await waitFor(async () => (await mcrd!.ctl(['list'])).stdout.includes('239.1.1.2:5002'), 'rule b after SIGHUP', 10_000, 100);
    expect(mcrd!.log()).toMatch(/config reloaded added=1 removed=0 changed=0 unchanged=1/);
    await streamWhole({ g, s }, 'mcrd as root without --user after SIGHUP, 10k pps x 1 s', 10_000);
  });

  test('with --socket-group and a metrics port below 1024 the start keeps what it needs, then the main threads hold CAP_NET_RAW alone', async () => {
    await mcrd!.stop();
    mcrd = await startMcrd({ netns: r, dir: join(base, 'run'), stateFile: join(base, 'state', 'rules.json'),
      args: ['--socket-group', 'nogroup', '--metrics-listen', '127.0.0.1:999', '--num-workers', '1'] });
    expect((await stat(mcrd.socket)).gid).toBe(65534);
    const metrics = await new Promise<string>((resolve, reject) => {
      execFile('ip', ['netns', 'exec', r, 'curl', '-sf', 'http://127.0.0.1:999/metrics'], (err, out) => (err ? reject(err) : resolve(out)));
    });
    expect(metrics).toMatch(/^mcr_rules 1$/m);
    const [w] = await workersOf(mcrd);
    for (const pid of [mcrd.pid, w!.pid!]) expect({ pid, ...(await rootCreds(pid)) }).toEqual({ pid, ...ROOT_NET_RAW });
    // The worker was forked after the bounding set was cut: all its threads too.
    for (const t of await threadCaps(w!.pid!)) expect(t).toEqual({ tid: t.tid, CapPrm: NET_RAW_ONLY, CapEff: NET_RAW_ONLY, CapBnd: NET_RAW_ONLY });
    expect((await mcrd.ctl(['list'])).stdout).toMatch(/^cam\s+239\.1\.1\.1:5000 r0/m);
  });
});
