/**
 * The guest's initramfs, built at run time and cached beside its kernel: busybox-static, the modules
 * that reach the host's files (virtio-pci, 9p, overlay, with their dependencies in load order) and
 * test/vm/initramfs-init.sh as /init. Named by a hash of what went in, so a change to any of them
 * builds a new one and an unchanged set is reused at once.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lab/traffic/binaries.js';
import { VmError } from './errors.js';
import type { GuestKernel } from './kernel.js';

/** What stage 1 needs before the host's root is mounted; the rest loads from there by modprobe. */
const bootModules = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
const busyboxPaths = ['/bin/busybox', '/usr/bin/busybox'];

/** `name` and its dependencies from modules.dep, dependencies first: the order insmod needs. */
export function loadOrder(modulesDep: string, names: string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const [mod, rest] = line.split(':');
    if (!mod || rest === undefined) continue;
    deps.set(mod, rest.trim() ? rest.trim().split(/\s+/) : []);
    byName.set(mod.replace(/^.*\//, '').replace(/\.ko(\.\w+)?$/, '').replaceAll('-', '_'), mod);
  }
  const order: string[] = [];
  const visit = (mod: string) => {
    if (order.includes(mod)) return;
    for (const d of deps.get(mod) ?? []) visit(d);
    order.push(mod);
  };
  for (const n of names) {
    const mod = byName.get(n);
    if (!mod) throw new VmError(`the guest kernel has no module ${n} (built in, or another flavour?)`);
    visit(mod);
  }
  return order;
}

function busybox(): string {
  const path = busyboxPaths.find((p) => existsSync(p));
  if (!path) throw new VmError('busybox not found: apt-get install busybox-static');
  // The initramfs has no libc: a dynamically linked busybox (Debian's `busybox`) cannot run there.
  if (readFileSync(path).subarray(0, 4096).includes('/lib64/ld-linux')) throw new VmError(`${path} is dynamically linked: apt-get install busybox-static`);
  return path;
}

export function guestInitramfs(kernel: GuestKernel): string {
  const bb = busybox();
  const init = readFileSync(join(packageRoot(), 'test/vm/initramfs-init.sh'));
  const order = loadOrder(readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8'), bootModules);
  const key = createHash('sha256').update(init).update(order.join('\n')).update(`${statSync(bb).size}`).digest('hex').slice(0, 12);
  const out = join(kernel.dir, `initramfs-${key}.cpio`);
  if (existsSync(out)) return out;

  const stage = mkdtempSync(join(kernel.dir, '.initramfs-'));
  try {
    for (const d of ['bin', 'dev', 'proc', 'sys', 'modules']) mkdirSync(join(stage, d));
    copyFileSync(bb, join(stage, 'bin/busybox'));
    writeFileSync(join(stage, 'init'), init, { mode: 0o755 });
    const files = order.map((m) => m.replace(/^.*\//, ''));
    order.forEach((m, i) => copyFileSync(join(kernel.modulesDir, m), join(stage, 'modules', files[i]!)));
    writeFileSync(join(stage, 'modules.order'), `${files.join('\n')}\n`);
    const list = execFileSync('find', ['.', '-mindepth', '1'], { cwd: stage, encoding: 'utf8' });
    const cpio = execFileSync(bb, ['cpio', '-o', '-H', 'newc'], { cwd: stage, input: list, maxBuffer: 256 << 20, stdio: ['pipe', 'pipe', 'ignore'] });
    const tmp = `${out}.${process.pid}`;
    writeFileSync(tmp, cpio);
    renameSync(tmp, out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return out;
}
