/**
 * mcrd for the scale suite: started in the relay namespace the way the lab places it (packet thread
 * on the relay CPUs with --cpus, control plane on the traffic CPUs), rules loaded through the control
 * socket in requests under the protocol's 64 KiB line limit, its process tree's CPU time and memory
 * read from /proc. Used by run.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mcrdPaths } from '../../lab/runners/mcrd.js';
import { spawnProcess, waitFor, type ProcessHandle } from '../../lab/runners/process.js';
import { readCpuNs, treePids } from '../../lab/measure/cpu.js';
import type { CpuPlacement } from '../../lab/results/types.js';
import type { RunContext } from '../../lab/topology/context.js';
import { ControlClient } from '../../relay/control/client.js';
import type { RuleSpec } from './plan.js';

/** Rules per load request: a 1-output rule is ~190 bytes of JSON, so 250 stay well under 64 KiB. */
const LOAD_CHUNK = 250;

export interface ScaleMcrd {
  pid: number;
  client: ControlClient;
  /** Load rules (added to the table) in chunks; throws with mcrd's message on a refusal. */
  load(rules: RuleSpec[]): Promise<void>;
  /** One `add` round trip, ms; throws on a refusal. */
  add(rule: RuleSpec): Promise<number>;
  /** Ring drops and failed sends so far (mcrctl stats): where a loss happened inside mcrd. */
  drops(): Promise<{ ring: number; send: number; byErrno: Record<string, number> }>;
  /** CPU time (ns) of mcrd and its workers so far. */
  cpuNs(): number;
  /** Resident memory (bytes) of mcrd and its workers. */
  rssBytes(): number;
  stop(): Promise<void>;
}

function check(reply: { ok: boolean; error?: { message: string } }, what: string): void {
  if (!reply.ok) throw new Error(`mcrd refused ${what}: ${reply.error?.message ?? 'no reason given'}`);
}

function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** @param extraArgs further mcrd flags (e.g. --gso off) */
export async function startScaleMcrd(ctx: RunContext, root: string, relayNs: string, placement: CpuPlacement, label: string, extraArgs: string[] = []): Promise<ScaleMcrd> {
  const { mcrd } = mcrdPaths(root);
  const sock = join(ctx.runDir, `${label}.sock`);
  const args = [process.execPath, mcrd, '--control-socket', sock, '--state-file', join(ctx.runDir, `${label}.json`), '--log-level', 'warn',
    ...(placement.pinned ? ['--cpus', placement.relay.join(',')] : []), ...extraArgs];
  const proc: ProcessHandle = await spawnProcess(ctx, args, { netns: relayNs, label, ...(placement.pinned ? { cpus: placement.traffic } : {}) });
  let client: ControlClient;
  try {
    client = await waitFor(async () => {
      if (!proc.running()) throw new Error(`mcrd exited at start: ${proc.stderrTail() || 'no message'}`);
      return ControlClient.connect(sock, { retryMs: 0, timeoutMs: 60_000 }).catch(() => undefined);
      // A config of 10,000 rules is installed before the socket answers: allow for it.
    }, `mcrd answering on ${sock}`, { timeoutMs: 120_000, intervalMs: 200, signal: ctx.signal });
  } catch (err) {
    await proc.stop(5000);
    throw err;
  }
  return {
    pid: proc.pid,
    client,
    async load(rules) {
      for (let i = 0; i < rules.length; i += LOAD_CHUNK) check(await client.send({ cmd: 'load', rules: rules.slice(i, i + LOAD_CHUNK) }), `rules ${i}..`);
    },
    async add(rule) {
      const t = performance.now();
      const reply = await client.send({ cmd: 'add', rule });
      const ms = performance.now() - t;
      check(reply, `rule ${rule.name}`);
      return ms;
    },
    async drops() {
      const r = await client.send({ cmd: 'stats' });
      check(r, 'stats');
      type Out = { sendErrors: number; errorsByErrno: Record<string, number> };
      const st = (r as { result: { global: { ringDrops: number }; rules: { outputs: Out[] }[] } }).result;
      const outs = st.rules.flatMap((x) => x.outputs);
      const byErrno: Record<string, number> = {};
      for (const o of outs) for (const [e, n] of Object.entries(o.errorsByErrno)) byErrno[e] = (byErrno[e] ?? 0) + n;
      return { ring: st.global.ringDrops, send: outs.reduce((n, o) => n + o.sendErrors, 0), byErrno };
    },
    cpuNs: () => readCpuNs(treePids([proc.pid])),
    rssBytes: () => treePids([proc.pid]).reduce((n, p) => n + rssOf(p), 0),
    async stop() {
      client.close();
      await proc.stop(10_000);
    },
  };
}
