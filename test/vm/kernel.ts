/**
 * The guest kernel: Debian's generic amd64 image (built with CONFIG_IP_MROUTE, 9p, veth, bridge, …),
 * fetched with `apt-get download` and unpacked once into the cache, keyed by package and version:
 *   <cache>/linux-image-6.1.0-57-amd64_6.1.192-3/{vmlinuz, modules/<release>/…}
 * The package is the one `linux-image-amd64` depends on, or MCRVM_KERNEL_PKG; without apt's lists
 * the newest kernel already in the cache is used. apt's answer is remembered until its package cache
 * changes (apt-get update), since asking takes seconds on a loaded machine.
 * The compressed bzImage is also unpacked to an ELF vmlinux, which qemu boots through the PVH entry:
 * under TCG that skips a decompression that takes longer than the rest of the boot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VmError } from './errors.js';

export interface GuestKernel {
  /** Debian package and version, e.g. linux-image-6.1.0-57-amd64 6.1.192-3. */
  pkg: string;
  version: string;
  /** What qemu's -kernel boots: the unpacked vmlinux, or the bzImage when it could not be unpacked. */
  image: string;
  /** The directory holding this kernel's files (the initramfs is cached there too). */
  dir: string;
  /** `uname -r` inside the guest. */
  release: string;
  /** The release's module tree with modules.dep, mounted at /lib/modules/<release> in the guest. */
  modulesDir: string;
}

export const defaultCacheDir = '/var/cache/mcr-vm';

function apt(argv: string[], cwd?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Candidate { pkg: string; version: string; aptStamp: number }

/** Changes whenever apt's lists do (apt-get update rebuilds its package cache). */
function aptStamp(): number {
  try { return statSync('/var/cache/apt/pkgcache.bin').mtimeMs; } catch { return 0; }
}

/** The package and candidate version apt would install for the generic amd64 kernel. */
function candidate(cacheDir: string): Omit<Candidate, 'aptStamp'> | undefined {
  const memo = join(cacheDir, 'candidate.json');
  const stamp = aptStamp();
  try {
    const m = JSON.parse(readFileSync(memo, 'utf8')) as Candidate;
    if (m.aptStamp === stamp && stamp !== 0 && !process.env['MCRVM_KERNEL_PKG']) return m;
  } catch { /* ask apt */ }
  const found = askApt();
  if (found && !process.env['MCRVM_KERNEL_PKG']) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(memo, JSON.stringify({ ...found, aptStamp: stamp }));
  }
  return found;
}

function askApt(): Omit<Candidate, 'aptStamp'> | undefined {
  try {
    const pkg = process.env['MCRVM_KERNEL_PKG']
      ?? /Depends: (linux-image-[0-9][^\s]*-amd64)\b/.exec(apt(['apt-cache', 'depends', 'linux-image-amd64']))?.[1];
    if (!pkg) return undefined;
    const version = /^Version: (\S+)/m.exec(apt(['apt-cache', 'show', '--no-all-versions', pkg]))?.[1];
    return version ? { pkg, version } : undefined;
  } catch {
    return undefined;
  }
}

function fromDir(dir: string, pkg: string, version: string): GuestKernel {
  const release = readdirSync(join(dir, 'modules'))[0];
  if (!release) throw new VmError(`${dir}: no module tree; delete the directory and run again`);
  const vmlinux = join(dir, 'vmlinux');
  return { pkg, version, dir, image: existsSync(vmlinux) ? vmlinux : join(dir, 'vmlinuz'), release, modulesDir: join(dir, 'modules', release) };
}

/** The ELF kernel inside an xz-compressed bzImage (Debian's), or nothing for another compression. */
function unpackVmlinux(bzImage: string, out: string): void {
  const image = readFileSync(bzImage);
  const at = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) return;
  const elf = execFileSync('xz', ['-dc', '--single-stream'], { input: image.subarray(at), maxBuffer: 512 << 20, stdio: ['pipe', 'pipe', 'ignore'] });
  if (!elf.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'))) return;
  writeFileSync(`${out}.${process.pid}`, elf);
  renameSync(`${out}.${process.pid}`, out);
}

function cached(cacheDir: string): GuestKernel | undefined {
  const dirs = existsSync(cacheDir) ? readdirSync(cacheDir).filter((d) => /^linux-image-.*_/.test(d) && existsSync(join(cacheDir, d, 'vmlinuz'))) : [];
  const newest = dirs.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop();
  if (!newest) return undefined;
  const [pkg, version] = newest.split('_') as [string, string];
  return fromDir(join(cacheDir, newest), pkg, version);
}

/** Downloads and unpacks the package into a scratch directory, then renames it into place. */
function fetchKernel(cacheDir: string, pkg: string, version: string, dest: string): void {
  mkdirSync(cacheDir, { recursive: true });
  const scratch = mkdtempSync(join(cacheDir, '.fetch-'));
  try {
    process.stderr.write(`mcr-vm: downloading ${pkg} ${version} into ${cacheDir} (once)\n`);
    try {
      apt(['apt-get', 'download', '-q', `${pkg}=${version}`], scratch);
    } catch (e) {
      throw new VmError(`apt-get download ${pkg}=${version} failed: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`);
    }
    const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
    if (!deb) throw new VmError(`apt-get download ${pkg}=${version} left no .deb in ${scratch}`);
    const tree = join(scratch, 'x');
    apt(['dpkg-deb', '-x', join(scratch, deb), tree]);
    const release = readdirSync(join(tree, 'lib/modules'))[0]!;
    // modules.dep is made by the package's postinst, which never runs here.
    apt(['depmod', '-b', tree, release]);
    const out = join(scratch, 'kernel');
    mkdirSync(join(out, 'modules'), { recursive: true });
    renameSync(join(tree, 'boot', `vmlinuz-${release}`), join(out, 'vmlinuz'));
    renameSync(join(tree, 'lib/modules', release), join(out, 'modules', release));
    try {
      renameSync(out, dest);
    } catch (e) {
      // Another run unpacked the same version meanwhile: theirs is as good as ours.
      if (!existsSync(join(dest, 'vmlinuz'))) throw e;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function guestKernel(cacheDir = defaultCacheDir): GuestKernel {
  const want = candidate(cacheDir);
  if (!want) {
    const have = cached(cacheDir);
    if (have) return have;
    throw new VmError('cannot tell which kernel package to use: apt-cache knows no linux-image-amd64 (run apt-get update) and the cache is empty');
  }
  const dir = join(cacheDir, `${want.pkg}_${want.version}`);
  if (!existsSync(join(dir, 'vmlinuz'))) fetchKernel(cacheDir, want.pkg, want.version, dir);
  if (!existsSync(join(dir, 'vmlinux'))) unpackVmlinux(join(dir, 'vmlinuz'), join(dir, 'vmlinux'));
  return fromDir(dir, want.pkg, want.version);
}
