/**
 * Running the VM from a command line: the guest's environment from the caller's, Ctrl-C and SIGTERM
 * wired to kill the VM, and the shell's exit codes (the command's; 69 when the VM cannot run here,
 * 124 on timeout, 130 when interrupted).
 */
import { VmError } from './errors.js';
import { runInVm, type VmRun } from './run.js';

/** Passed through to the guest command; the rest of the caller's environment is not. */
const passed = /^(PATH|LANG|LC_ALL|TERM|CI|NO_COLOR|FORCE_COLOR|MCR_\w+|MCRVM_TIME_SCALE)$/;

/** The guest command's environment: the pass-through set from `from`, then HOME, then --env. */
export function guestEnv(from: NodeJS.ProcessEnv, extra: string[]): Record<string, string> {
  const env: Record<string, string> = { HOME: '/root', USER: 'root' };
  for (const [k, v] of Object.entries(from)) if (v !== undefined && passed.test(k)) env[k] = v;
  for (const kv of extra) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new VmError(`--env ${kv}: expected NAME=VALUE`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

/** Runs `run` with Ctrl-C and SIGTERM wired to kill the VM; returns the exit status for the shell. */
export async function runWithSignals(run: VmRun): Promise<number> {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const res = await runInVm({ ...run, signal: ac.signal });
    process.stderr.write(`mcr-vm: exit ${res.status} after ${(res.ms / 1000).toFixed(0)} s, qemu CPU ${res.cpuS.toFixed(0)} s (${res.kernel}, ${res.accel})\n`);
    return res.status;
  } catch (e) {
    if (!(e instanceof VmError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return e.end === 'aborted' ? 130 : e.end === 'timeout' ? 124 : 69;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

