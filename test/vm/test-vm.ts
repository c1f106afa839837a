/**
 * `npm run test:vm [-- FILE...]`: the e2e files that need kernel multicast routing (or the FILEs
 * given), run by vitest inside the VM (test/vm/run.ts). `npm test` calls it with --if-needed, which
 * does nothing on a host whose kernel routes multicast itself: there those files already ran natively.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kernelMroutingMissing } from '../../lab/runners/mroute.js';
import { packageRoot } from '../../lab/traffic/binaries.js';
import { guestEnv, runWithSignals } from './foreground.js';
import { mrouteTestFiles, vmMarker } from './mroute-files.js';
import { defaultModules } from './run.js';

const usage = `usage: npm run test:vm [-- [--if-needed] [--timeout SEC] [FILE...] [-- VITEST-ARG...]]

Runs vitest's e2e project inside a VM whose kernel has multicast routing (CONFIG_IP_MROUTE), on FILEs or,
without any, on every e2e file marked ${vmMarker}. Needs root, qemu-system-x86 and busybox-static;
fetches Debian's kernel package once into /var/cache/mcr-vm. Build first (npm run build:ts): the
tests use dist/.

  --if-needed     do nothing when this host's kernel routes multicast (the files ran natively),
                  or when not root (as the e2e tests, which skip then)
  --timeout SEC   kill the VM after SEC seconds (default 1500)
  -- ARG...       passed to vitest, e.g. -- -t 'querier'`;

async function main(): Promise<number> {
  // After `--`: arguments for vitest itself (e.g. -t PATTERN).
  const argv = process.argv.slice(2);
  const cut = argv.indexOf('--');
  const vitestArgs = cut < 0 ? [] : argv.slice(cut + 1);
  const { values, positionals } = parseArgs({
    args: cut < 0 ? argv : argv.slice(0, cut), allowPositionals: true, strict: true,
    options: { 'if-needed': { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
  const timeoutS = Number(values.timeout ?? 1500);
  if (!Number.isInteger(timeoutS) || timeoutS <= 0) { process.stderr.write(`test:vm: --timeout ${values.timeout}: expected a positive whole number of seconds\n`); return 64; }
  const missing = kernelMroutingMissing();
  if (values['if-needed'] && !missing) {
    process.stdout.write(`test:vm: not needed, this kernel routes multicast: the ${vmMarker} files ran natively\n`);
    return 0;
  }
  if (values['if-needed'] && process.getuid?.() !== 0) {
    // As the e2e tests themselves: without root they skip, saying why, and npm test still passes.
    process.stdout.write(`test:vm: skipped, not root: the ${vmMarker} files need root in the VM as on the host\n`);
    return 0;
  }
  const root = packageRoot();
  const files = positionals.length > 0 ? positionals : mrouteTestFiles(root);
  if (files.length === 0) { process.stdout.write(`test:vm: no e2e file carries ${vmMarker}\n`); return 0; }
  process.stdout.write(`test:vm: ${missing ?? 'this kernel routes multicast, but running in the VM as asked'}; in the VM: ${files.join(' ')}\n`);
  return runWithSignals({
    // verbose: each test's result as it ends, so a long run in the VM shows its progress.
    argv: [join(root, 'node_modules/.bin/vitest'), 'run', '--project', 'e2e', '--no-file-parallelism', '--reporter=verbose', ...vitestArgs, ...files],
    cwd: root,
    env: guestEnv(process.env, []),
    shares: [root],
    modules: defaultModules,
    timeoutMs: timeoutS * 1000,
  });
}

process.exitCode = await main();
