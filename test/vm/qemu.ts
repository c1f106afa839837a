/**
 * One qemu process: its command line, the console streamed to the caller (carriage returns dropped),
 * and an end that is always the runner's to decide. qemu runs under `setpriv --pdeathsig KILL`, so it
 * dies with the runner even when the runner is killed outright; a timeout, an abort or a guest that
 * stays silent past `silentMs` kill it at once (the guest has nothing worth a clean shutdown).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { which } from '../../lab/scenario/verify.js';
import type { Accel } from './accel.js';
import { VmError } from './errors.js';

/** A host directory the guest mounts over 9p under `tag`. */
export interface Share { tag: string; path: string; readonly: boolean }

export interface Machine {
  accel: Accel;
  cpus: number;
  memMiB: number;
  /** An ELF vmlinux (booted through its PVH entry) or a bzImage. */
  image: string;
  initramfs: string;
  shares: Share[];
}

export function qemuBinary(): string {
  const path = which('qemu-system-x86_64');
  if (!path) throw new VmError('qemu-system-x86_64 not found: apt-get install qemu-system-x86 busybox-static');
  return path;
}

export function qemuArgv(m: Machine): string[] {
  return [
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    ...(m.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-smp', String(m.cpus), '-m', `${m.memMiB}M`,
    '-kernel', m.image, '-initrd', m.initramfs,
    // panic=-1 turns a guest panic into a qemu exit (with -no-reboot); edd=off skips a BIOS probe.
    '-append', 'console=ttyS0 quiet loglevel=3 panic=-1 edd=off',
    '-chardev', 'stdio,id=console,signal=off', '-serial', 'chardev:console',
    ...m.shares.flatMap((s) => ['-virtfs', `local,path=${s.path},mount_tag=${s.tag},security_model=none,multidevs=remap${s.readonly ? ',readonly=on' : ''}`]),
  ];
}

export type BootEnd =
  | { how: 'exited'; code: number | null; signal: string | null }
  | { how: 'timeout' | 'aborted' | 'silent' };

export interface BootOptions {
  onOutput(text: string): void;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Kill the guest unless `marker` appears on the console within `silentMs` (the KVM probe). */
  expect?: { marker: string; silentMs: number };
}

/** cpuS: qemu's CPU time (user + system), a measure of the work that is independent of the host's load. */
export interface Booted { end: BootEnd; sawMarker: boolean; cpuS: number }

/** CPU seconds used so far by `pid` (utime + stime from /proc), or undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export function boot(qemu: string, m: Machine, o: BootOptions): Promise<Booted> {
  const argv = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', qemu, ...qemuArgv(m)] : [qemu, ...qemuArgv(m)];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise<Booted>((resolve, reject) => {
    let ended: BootEnd | undefined;
    let sawMarker = false;
    let seen = '';
    const end = (e: BootEnd) => { if (!ended) { ended = e; child.kill('SIGKILL'); } };
    const deadline = setTimeout(() => end({ how: 'timeout' }), o.timeoutMs);
    const silence = o.expect ? setTimeout(() => end({ how: 'silent' }), o.expect.silentMs) : undefined;
    let cpuS = 0;
    const sampler = setInterval(() => { cpuS = cpuSeconds(child.pid!) ?? cpuS; }, 1000);
    const onAbort = () => end({ how: 'aborted' });
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const relay = (chunk: string) => {
      const text = chunk.replaceAll('\r', '');
      if (o.expect && !sawMarker) {
        seen = (seen + text).slice(-4096);
        if (seen.includes(o.expect.marker)) { sawMarker = true; clearTimeout(silence); }
      }
      o.onOutput(text);
    };
    // Decoded per stream, so a character split across two reads is not mangled.
    child.stdout.setEncoding('utf8').on('data', relay);
    child.stderr.setEncoding('utf8').on('data', relay);
    const stop = () => { clearTimeout(deadline); clearTimeout(silence); clearInterval(sampler); o.signal?.removeEventListener('abort', onAbort); };
    child.on('error', (err) => { stop(); reject(new VmError(`cannot start ${qemu}: ${err.message}`)); });
    child.on('close', (code, signal) => { stop(); resolve({ end: ended ?? { how: 'exited', code, signal }, sawMarker, cpuS }); });
  });
}
