/**
 * Runs one command as root inside a throw-away VM whose kernel has multicast routing: the host's root
 * filesystem read-only under a tmpfs overlay (so the same node, FRR, smcroute, … and every write lost
 * at power-off), the given directories writable at their own paths, the command's output on the
 * console streamed back, and its exit status returned. The run directory (/run/mcr-vm in the guest)
 * carries stage 2, its configuration, the environment, the command and, at the end, the status.
 *
 *   const { status } = await runInVm({ argv: ['npx', 'vitest', 'run', f], cwd: repo, shares: [repo] });
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lab/traffic/binaries.js';
import { chooseAccel, kvmProbeMs, type Accel } from './accel.js';
import { VmError } from './errors.js';
import { guestInitramfs } from './initramfs.js';
import { defaultCacheDir, guestKernel } from './kernel.js';
import { boot, qemuBinary, type BootEnd, type Machine, type Share } from './qemu.js';

export interface VmRun {
  argv: string[];
  /** Working directory of the command (a path that exists in the guest: under a share or read-only). */
  cwd: string;
  /** The command's whole environment (nothing else is passed through). */
  env: Record<string, string>;
  /** Host directories the guest may write, mounted at the same paths. */
  shares: string[];
  /** Modules loaded (modprobe) before the command runs. */
  modules: string[];
  timeoutMs: number;
  cpus?: number;
  memMiB?: number;
  signal?: AbortSignal;
  onOutput?: (text: string) => void;
}

/** ms: wall time of the whole run; cpuS: qemu's CPU time, which depends far less on the host's load. */
export interface VmResult { status: number; accel: Accel; kernel: string; ms: number; cpuS: number }

/** Modules the e2e tests use (veth pairs, bridges, VLANs, netem); loaded unless the caller says otherwise. */
export const defaultModules = ['veth', 'bridge', '8021q', 'sch_netem', 'dummy'];

/** Single-quoted for sh. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function noSpace(what: string, s: string): string {
  if (/\s/.test(s)) throw new VmError(`${what} ${JSON.stringify(s)} contains white space, which the guest's mount list cannot carry`);
  return s;
}

function describeEnd(end: BootEnd): string {
  switch (end.how) {
    case 'timeout': return 'the run timed out and the VM was killed';
    case 'aborted': return 'the run was interrupted and the VM was killed';
    case 'silent': return 'the guest printed nothing and was killed';
    case 'exited': return `qemu exited (${end.signal ?? `code ${end.code}`}) before the command finished; see the console output above`;
  }
}

export async function runInVm(r: VmRun): Promise<VmResult> {
  const started = Date.now();
  const say = r.onOutput ?? ((t: string) => { process.stdout.write(t); });
  const qemu = qemuBinary();
  const cacheDir = process.env['MCRVM_CACHE'] ?? defaultCacheDir;
  const kernel = guestKernel(cacheDir);
  const initramfs = guestInitramfs(kernel);
  const runDir = mkdtempSync(join(tmpdir(), 'mcr-vm-run-'));
  try {
    copyFileSync(join(packageRoot(), 'test/vm/guest-init.sh'), join(runDir, 'guest-init.sh'));
    const shares: Share[] = [
      { tag: 'root', path: '/', readonly: true },
      { tag: 'run', path: runDir, readonly: false },
      ...r.shares.map((p, i) => ({ tag: `w${i}`, path: noSpace('share', p), readonly: false })),
    ];
    writeFileSync(join(runDir, 'config'), [
      `MCR_VM_MODULES_DIR=${shQuote(kernel.modulesDir)}`,
      `MCR_VM_LOAD=${shQuote(r.modules.join(' '))}`,
      `MCR_VM_SHARES=${shQuote(shares.filter((s) => s.tag.startsWith('w')).map((s) => `${s.tag}=${s.path}`).join(' '))}`,
      `MCR_VM_CWD=${shQuote(r.cwd)}`,
    ].join('\n') + '\n');
    writeFileSync(join(runDir, 'env'), Object.entries(r.env).map(([k, v]) => `export ${k}=${shQuote(v)}\n`).join(''));
    writeFileSync(join(runDir, 'command'), `exec ${r.argv.map(shQuote).join(' ')}\n`);

    const choice = chooseAccel(cacheDir, qemu);
    const machine = (accel: Accel): Machine => ({
      accel, cpus: r.cpus ?? 2, memMiB: r.memMiB ?? 2048, image: kernel.image, initramfs, shares,
    });
    const opts = { onOutput: say, timeoutMs: r.timeoutMs, ...(r.signal ? { signal: r.signal } : {}) };
    let accel = choice.accel;
    let booted = await boot(qemu, machine(accel), choice.probe ? { ...opts, expect: { marker: 'mcr-vm: guest kernel', silentMs: kvmProbeMs } } : opts);
    if (choice.probe) {
      choice.remember(booted.sawMarker);
      if (!booted.sawMarker && (booted.end.how === 'silent' || booted.end.how === 'exited')) {
        say(`\nmcr-vm: a KVM guest did not boot here (${booted.end.how === 'silent' ? `nothing within ${kvmProbeMs / 1000} s` : 'qemu failed'}); using TCG, now and on later runs\n`);
        accel = 'tcg';
        booted = await boot(qemu, machine(accel), opts);
      }
    }
    const statusFile = join(runDir, 'status');
    const how = booted.end.how;
    if (how !== 'exited' || !existsSync(statusFile)) throw new VmError(`mcr-vm: ${describeEnd(booted.end)}`, how === 'timeout' || how === 'aborted' ? how : 'unavailable');
    const status = Number(readFileSync(statusFile, 'utf8').trim());
    return { status, accel, kernel: `${kernel.pkg} ${kernel.version}`, ms: Date.now() - started, cpuS: booted.cpuS };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}
