import { spawn } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { clockTicksPerSecond, descendantPids, parseProcStat, readCpuNs, treePids } from './cpu.js';

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

describe('cpu', () => {
  test('parses a stat line whose command name holds spaces and parentheses', () => {
    // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const line = '1234 (my (weird) proc) S 77 1234 1234 0 -1 4194304 10 0 0 0 150 50 7 3 20 0 1 0';
    expect(parseProcStat(line)).toEqual({ pid: 1234, ppid: 77, ticks: 150 + 50 + 7 + 3, userTicks: 150 + 7 });
  });

  test('clock ticks per second comes from getconf', () => {
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
  });

  test('a busy process tree reads as CPU used, and a reaped child still counts through its parent', async () => {
    // sh is idle itself; its child spins ~300 ms of CPU, exits and is reaped; sh then sleeps.
    const sh = spawn('sh', ['-c', 'node -e "const e=Date.now()+300; while(Date.now()<e){}"; exec sleep 5'], { stdio: 'ignore' });
    children.push(sh.pid!);
    let spinner: number[] = [];
    for (let i = 0; i < 100 && spinner.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
      spinner = descendantPids([sh.pid!]);
    }
    expect(spinner.length).toBeGreaterThan(0);
    expect(readCpuNs([sh.pid!])).toBeLessThan(50e6);
    // After `exec sleep`, the sh pid runs sleep with no children; the spinner's time sits in cutime.
    for (let i = 0; i < 300 && spinner.some((p) => descendantPids([sh.pid!]).includes(p) || alive(p)); i += 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(readCpuNs(treePids([sh.pid!]))).toBeGreaterThan(50e6);
    expect(readCpuNs([999_999_999])).toBe(0);
  });
});

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
