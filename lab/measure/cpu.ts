/**
 * Relay CPU time from /proc, so every run can report CPU per forwarded packet (issue 3, "Relay CPU
 * time per million packets is recorded"). Covered by cpu.test.ts, which burns CPU in a child process
 * and checks the reading moves.
 *
 * What is counted, per pid: utime + stime from /proc/PID/stat (the thread-group totals, so every
 * thread, live or exited, is included) plus cutime + cstime (children that exited and were reaped by
 * it). Including reaped children keeps a process tree's total continuous: at any instant a worker is
 * either alive (its own stat counts) or reaped (its parent's cutime counts), so a worker restarted by
 * the mcrd supervisor mid-trial is not lost. Callers take the difference of two readings over the
 * same tree; a pid that vanished reads as 0, so clamp the difference at 0.
 *
 * Usage:  const pids = treePids([mcrdPid]); const before = readCpuNs(pids); ... ; const used = Math.max(0, readCpuNs(treePids([mcrdPid])) - before);
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clkTck: number | undefined;

/** Clock ticks per second used by /proc/PID/stat times (getconf CLK_TCK; 100 on Linux when unknown). */
export function clockTicksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clkTck = Number.isInteger(v) && v > 0 ? v : 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface ProcStat { pid: number; ppid: number; ticks: number; /** utime + cutime: the user-mode part of ticks. */ userTicks: number }

/**
 * Parse /proc/PID/stat. The command name is in parentheses and may itself contain spaces and ')', so
 * fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`unexpected /proc stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // After ')' come fields 3.. (state, ppid, ...); utime is field 14, stime 15, cutime 16, cstime 17.
  const f = text.slice(close + 2).trim().split(/\s+/);
  const field = (n: number): number => Number(f[n - 3]);
  return { pid, ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17), userTicks: field(14) + field(16) };
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // exited between listing and reading
  }
}

/**
 * CPU time (user + system, ns) consumed so far by the given processes, all threads and reaped
 * children included. Pids that no longer exist count 0. Duplicate pids count once.
 */
export function readCpuNs(pids: readonly number[]): number {
  const nsPerTick = 1e9 / clockTicksPerSecond();
  let ticks = 0;
  for (const pid of new Set(pids)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks * nsPerTick;
}

/** The user-mode part of readCpuNs (utime + cutime), for splitting a relay's time from the kernel's on its core. */
export function readUserCpuNs(pids: readonly number[]): number {
  const nsPerTick = 1e9 / clockTicksPerSecond();
  let ticks = 0;
  for (const pid of new Set(pids)) ticks += readStat(pid)?.userTicks ?? 0;
  return ticks * nsPerTick;
}

/** Every live descendant of the given processes (children, grandchildren, ...), not the roots. */
export function descendantPids(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(Number(entry));
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(st.pid);
    else children.set(st.ppid, [st.pid]);
  }
  const out: number[] = [];
  const seen = new Set<number>(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** The roots and all their live descendants: the pid set to read for a relay (mcrd + workers, N socats). */
export function treePids(roots: readonly number[]): number[] {
  return [...new Set([...roots, ...descendantPids(roots)])];
}
