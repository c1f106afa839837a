/**
 * The VM runner's pure parts: module load order from modules.dep, qemu's command line, the guest's
 * environment and command quoting (through a real sh), the command line's errors, and which e2e
 * files carry the marker. Booting the VM itself is exercised by `npm run test:vm`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { tempDir } from '../support/tmp.js';
import { VmError } from './errors.js';
import { guestEnv } from './foreground.js';
import { loadOrder } from './initramfs.js';
import { mrouteTestFiles, vmMarker } from './mroute-files.js';
import { qemuArgv, type Machine } from './qemu.js';
import { shQuote } from './run.js';

const modulesDep = [
  'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
  'kernel/net/9p/9pnet.ko:',
  'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
  'kernel/fs/netfs/netfs.ko:',
  'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/net/8021q/8021q.ko.xz: kernel/net/802/garp.ko.xz',
  'kernel/net/802/garp.ko.xz:',
].join('\n');

describe('loadOrder', () => {
  test('puts every dependency before the module that needs it, each once', () => {
    const order = loadOrder(modulesDep, ['9pnet_virtio', '9p']);
    expect(new Set(order).size).toBe(order.length);
    expect(order).toHaveLength(7);
    for (const [mod, deps] of [['9p.ko', ['9pnet.ko', 'fscache.ko', 'netfs.ko']], ['fscache.ko', ['netfs.ko']], ['9pnet_virtio.ko', ['virtio.ko', 'virtio_ring.ko']], ['virtio.ko', ['virtio_ring.ko']]] as const) {
      const at = order.findIndex((m) => m.endsWith(`/${mod}`));
      for (const d of deps) expect(order.findIndex((m) => m.endsWith(`/${d}`)), `${d} before ${mod}`).toBeLessThan(at);
    }
  });

  test('finds compressed modules by name', () => {
    expect(loadOrder(modulesDep, ['8021q'])).toEqual(['kernel/net/802/garp.ko.xz', 'kernel/net/8021q/8021q.ko.xz']);
  });

  test('a module the kernel does not have is a clear error', () => {
    expect(() => loadOrder(modulesDep, ['overlay'])).toThrow(new VmError('the guest kernel has no module overlay (built in, or another flavour?)'));
  });
});

describe('qemuArgv', () => {
  const m: Machine = {
    accel: 'tcg', cpus: 2, memMiB: 2048, image: '/c/vmlinux', initramfs: '/c/i.cpio',
    shares: [{ tag: 'root', path: '/', readonly: true }, { tag: 'w0', path: '/work/repo', readonly: false }],
  };
  const after = (argv: string[], flag: string) => argv.filter((_, i) => argv[i - 1] === flag);

  test('TCG: multi-threaded, every CPU feature; the kernel, initramfs and console as given', () => {
    const argv = qemuArgv(m);
    expect(after(argv, '-accel')).toEqual(['tcg,thread=multi']);
    expect(after(argv, '-cpu')).toEqual(['max']);
    expect(after(argv, '-smp')).toEqual(['2']);
    expect(after(argv, '-m')).toEqual(['2048M']);
    expect(after(argv, '-kernel')).toEqual(['/c/vmlinux']);
    expect(after(argv, '-initrd')).toEqual(['/c/i.cpio']);
    expect(after(argv, '-append')[0]).toMatch(/console=ttyS0 .*panic=-1/);
    expect(argv).toContain('-no-reboot');
  });

  test('KVM: the host CPU', () => {
    const argv = qemuArgv({ ...m, accel: 'kvm' });
    expect(after(argv, '-accel')).toEqual(['kvm']);
    expect(after(argv, '-cpu')).toEqual(['host']);
  });

  test('one 9p export per share, read-only only where asked', () => {
    expect(after(qemuArgv(m), '-virtfs')).toEqual([
      'local,path=/,mount_tag=root,security_model=none,multidevs=remap,readonly=on',
      'local,path=/work/repo,mount_tag=w0,security_model=none,multidevs=remap',
    ]);
  });
});

describe('guestEnv', () => {
  test('passes PATH, CI, colour, MCR_* and the time scale (not the runner\'s MCRVM_*) through, sets HOME, then applies --env', () => {
    const env = guestEnv({ PATH: '/usr/bin', CI: 'true', SECRET: 'x', MCR_LAB_PREFIX: 'mv', MCRVM_CACHE: '/c', MCRVM_TIME_SCALE: '3', HOME: '/home/u' }, ['A=1', 'B=x=y', 'CI=']);
    expect(env).toEqual({ PATH: '/usr/bin', CI: '', MCR_LAB_PREFIX: 'mv', MCRVM_TIME_SCALE: '3', HOME: '/root', USER: 'root', A: '1', B: 'x=y' });
  });

  test('an --env without NAME= is an error naming the flag', () => {
    expect(() => guestEnv({}, ['=1'])).toThrow('--env =1: expected NAME=VALUE');
    expect(() => guestEnv({}, ['NOVALUE'])).toThrow('--env NOVALUE: expected NAME=VALUE');
  });
});

describe('shQuote', () => {
  test('any string survives sh unchanged', () => {
    for (const s of ['plain', "it's", 'a b\tc\nd', '$HOME `id` $(id) \\ "q"', '', "''"]) {
      expect(execFileSync('sh', ['-c', `printf %s ${shQuote(s)}`], { encoding: 'utf8' })).toBe(s);
    }
  });
});

describe('mrouteTestFiles', () => {
  test(`lists the e2e files that carry ${vmMarker}, outside node_modules, dist and build`, async () => {
    const root = await tempDir('vmfiles');
    const put = (rel: string, text: string) => { mkdirSync(join(root, rel, '..'), { recursive: true }); writeFileSync(join(root, rel), text); };
    put('relay/e2e/a.e2e.test.ts', `/** A. ${vmMarker} */`);
    put('lab/e2e/b.e2e.test.ts', `// ${vmMarker}`);
    put('relay/e2e/c.e2e.test.ts', '/** no marker */');
    put('relay/d.test.ts', `/** ${vmMarker}, but not an e2e file */`);
    put('node_modules/x/e.e2e.test.ts', vmMarker);
    put('dist/f.e2e.test.ts', vmMarker);
    expect(mrouteTestFiles(root)).toEqual(['lab/e2e/b.e2e.test.ts', 'relay/e2e/a.e2e.test.ts']);
  });

  test('the marked files of this repository include the lab chain and the FRR querier election', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    expect(mrouteTestFiles(root)).toEqual(expect.arrayContaining(['lab/e2e/chain.e2e.test.ts', 'relay/e2e/igmp-querier-frr.e2e.test.ts']));
  });
});
