/**
 * Shared pieces of the PIM e2e tests: FRR 8.4 (zebra + pimd) in its own namespace with a private
 * directory under /tmp/pim/ (see /work/shared/notes/frr-in-namespaces.md), queried through vtysh JSON.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PimMessage, encodePim, inetChecksum } from '../protocols/pim/codec.js';
import { type Lab, sh, waitFor } from '../../test/support/netns.js';

export interface Frr {
  dir: string;
  vtysh(cmd: string): Promise<unknown>;
  /** A command without JSON output (FRR 8.4's `show ip pim assert*`): its table as rows keyed by the header's columns. */
  table(cmd: string): Promise<Array<Record<string, string>>>;
  /** Stop FRR's daemons (by the PIDs they wrote) and remove the directory; `wait`: until they have exited. */
  stop(o?: { wait?: boolean }): Promise<void>;
}

export async function startFrr(lab: Lab, ns: string, pimdConf: string): Promise<Frr> {
  await mkdir('/tmp/pim', { recursive: true });
  const dir = await mkdtemp('/tmp/pim/frr-');
  await writeFile(join(dir, 'zebra.conf'), 'hostname frr\n');
  await writeFile(join(dir, 'pimd.conf'), pimdConf);
  await chmod(dir, 0o777);
  await sh(['chown', '-R', 'frr:frr', dir]);
  const daemons = ['zebra', 'pimd'];
  for (const d of daemons) {
    await lab.exec(ns, [`/usr/lib/frr/${d}`, '-d', '-P', '0', '-f', join(dir, `${d}.conf`), '-i', join(dir, `${d}.pid`), '-z', join(dir, 'zserv.api'), '--vty_socket', dir]);
  }
  return {
    dir,
    async vtysh(cmd) {
      return JSON.parse(await lab.exec(ns, ['vtysh', '--vty_socket', dir, '-c', cmd]));
    },
    async table(cmd) {
      return frrTable(await lab.exec(ns, ['vtysh', '--vty_socket', dir, '-c', cmd]));
    },
    async stop(o = {}) {
      for (const d of [...daemons].reverse()) {
        const pid = join(dir, `${d}.pid`);
        await sh(['sh', '-c', `kill $(cat ${pid}) 2>/dev/null; true`]);
        if (o.wait) await waitFor(async () => (await sh(['sh', '-c', `kill -0 $(cat ${pid}) 2>/dev/null && echo alive; true`])).trim() === '', `FRR ${d} exited`, 10_000, 50);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * FRR's fixed-width tables (a header line of column names, then one row per line, no cell empty or
 * with spaces in it): the rows keyed by column name; lines before the header (legends) are skipped.
 */
export function frrTable(text: string): Array<Record<string, string>> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = lines.findIndex((l) => l.startsWith('Interface '));
  if (head < 0) return [];
  // assert-winner-metric names two columns Address (the interface's, the winner's): the second is Address#2.
  const cols = lines[head]!.trim().split(/\s+/).map((c, i, all) => (all.indexOf(c) < i ? `${c}#2` : c));
  return lines.slice(head + 1).map((l) => Object.fromEntries(l.trim().split(/\s+/).map((v, i) => [cols[i] ?? `col${i}`, v])));
}

/**
 * One PIM message as hex for pim-inject.py: encoded, then `patch`ed (e.g. a bogus address family) with
 * the checksum recomputed, so the patch is the only thing wrong with it.
 */
export function pimHex(m: PimMessage, patch?: (b: Uint8Array) => void): string {
  const b = encodePim(m);
  if (patch) {
    patch(b);
    b[2] = 0; b[3] = 0;
    const c = inetChecksum(b);
    b[2] = c >> 8; b[3] = c & 0xff;
  }
  return Buffer.from(b).toString('hex');
}
