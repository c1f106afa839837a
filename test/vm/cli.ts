/**
 * mcr-vm: run one command as root in a VM whose kernel has multicast routing (docs/testing.md).
 *   node dist/test/vm/cli.js -- ip mroute show
 *   node dist/test/vm/cli.js --cwd /work/repo -- npx vitest run --project e2e lab/e2e/chain.e2e.test.ts
 * Exit status: the command's; 69 when the VM cannot run here (the message says why and how to fix it),
 * 124 on --timeout, 130 on Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { packageRoot } from '../../lab/traffic/binaries.js';
import { VmError } from './errors.js';
import { guestEnv, runWithSignals } from './foreground.js';
import { defaultModules, type VmRun } from './run.js';

export const usage = `usage: mcr-vm [options] -- COMMAND [ARG...]

Boots Debian's generic kernel under qemu (KVM when a guest really runs, else TCG) with the host's root
filesystem read-only (writes go to a tmpfs overlay and vanish), the repository writable, and runs
COMMAND as root. Its output streams back; its exit status is mcr-vm's.

  --cwd DIR        working directory in the guest (default: the current one)
  --env K=V        set a variable for COMMAND (repeatable); PATH, LANG, TERM, CI, NO_COLOR,
                   FORCE_COLOR, MCR_* and MCRVM_TIME_SCALE pass through, HOME is /root
  --share DIR      another host directory the guest may write (repeatable; the repository always)
  --module NAME    load this kernel module too (repeatable; always: ${defaultModules.join(' ')})
  --timeout SEC    kill the VM after SEC seconds (default 1800): exit 124
  --cpus N         virtual CPUs (default 2)
  --mem MIB        guest memory (default 2048)
  -h, --help       this text

Environment: MCRVM_CACHE (default /var/cache/mcr-vm: the kernel package and initramfs),
MCRVM_ACCEL=kvm|tcg (skip the probe), MCRVM_KERNEL_PKG (another linux-image package).`;

function positive(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new VmError(`${flag} ${v}: expected a positive whole number`);
  return n;
}

/** Parses argv into a run (without its signal); throws VmError on bad flags. */
export function parseCli(argv: string[]): VmRun | 'help' {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      cwd: { type: 'string' }, env: { type: 'string', multiple: true }, share: { type: 'string', multiple: true },
      module: { type: 'string', multiple: true }, timeout: { type: 'string' }, cpus: { type: 'string' },
      mem: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length === 0) throw new VmError('no command given: mcr-vm [options] -- COMMAND [ARG...]');
  return {
    argv: positionals,
    cwd: values.cwd ?? process.cwd(),
    env: guestEnv(process.env, values.env ?? []),
    shares: [packageRoot(), ...(values.share ?? [])],
    modules: [...defaultModules, ...(values.module ?? [])],
    timeoutMs: positive('--timeout', values.timeout, 1800) * 1000,
    cpus: positive('--cpus', values.cpus, 2),
    memMiB: positive('--mem', values.mem, 2048),
  };
}

async function main(): Promise<number> {
  let run: VmRun | 'help';
  try {
    run = parseCli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`mcr-vm: ${(e as Error).message}\n${usage}\n`);
    return 64;
  }
  if (run === 'help') { process.stdout.write(`${usage}\n`); return 0; }
  return runWithSignals(run);
}

process.exitCode = await main();
