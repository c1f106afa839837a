/**
 * A small filesystem of its own for tests of full and read-only disks, mounted in a private mount
 * namespace (unshare -m) so nothing appears in, or can leak into, the machine's mount table. The test
 * reaches it through /proc/<pid>/root of the process holding that namespace; the namespace and the
 * mount vanish when the holder is killed (close(), also run when the test finishes).
 *
 *   const m = await scratchMount({ sizeKiB: 64 });      // tmpfs, 64 KiB
 *   await writeFile(join(m.dir, 'x'), ...);              // ENOSPC once full
 *   await m.remountReadOnly();                           // EROFS from now on
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { onTestFinished } from 'vitest';

export interface ScratchMount {
  /** The mount's root as seen from this process. */
  dir: string;
  /** Fill the free space with a file `name` (the write stops at ENOSPC). */
  fill(name?: string): Promise<void>;
  remountReadOnly(): Promise<void>;
  close(): void;
}

export const canMount = process.getuid?.() === 0;

export async function scratchMount(o: { sizeKiB: number }): Promise<ScratchMount> {
  const at = '/mnt';
  // `mount` and the later remount run inside the namespace; `read` keeps the holder alive on stdin.
  const script = `mount -t tmpfs -o size=${o.sizeKiB}k mcr-scratch ${at} && echo ready && while read -r cmd; do eval "$cmd" && echo ok || echo fail; done`;
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  holder.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let buf = '';
  holder.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i); buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l); else lines.push(l);
    }
  });
  const next = () => new Promise<string>((resolve, reject) => {
    const l = lines.shift();
    if (l !== undefined) return resolve(l);
    waiters.push(resolve);
    void once(holder, 'exit').then(() => reject(new Error(`scratch mount holder exited: ${err.trim()}`)));
  });
  const close = () => { if (holder.exitCode === null) holder.kill('SIGKILL'); };
  onTestFinished(close);
  if ((await next()) !== 'ready') throw new Error(`scratch mount: ${err.trim()}`);
  const dir = `/proc/${holder.pid}/root${at}`;
  return {
    dir, close,
    async fill(name = 'filler') {
      const fh = await open(`${dir}/${name}`, 'w');
      const chunk = Buffer.alloc(4096, 0x55);
      try {
        for (;;) await fh.write(chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        await fh.close();
      }
    },
    async remountReadOnly() {
      holder.stdin.write(`mount -o remount,ro ${at}\n`);
      if ((await next()) !== 'ok') throw new Error(`remount read-only: ${err.trim()}`);
    },
  };
}
