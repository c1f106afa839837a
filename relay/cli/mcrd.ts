#!/usr/bin/env node
/**
 * mcrd — the multicast relay daemon. Usage in relay/daemon/args.ts (mcrd --help) and docs/relay.md.
 *
 *   sudo mcrd supervisor --config /etc/mcrd/mcrd.json5
 *   mcrd --check /etc/mcrd/mcrd.json5
 *
 * Exit codes: 0 clean stop (SIGTERM/SIGINT) or valid --check, 1 start failed, 64 usage, 77 permission
 * (e.g. --user without root), 78 bad config.
 */
import { emptyConfig, loadConfigFile } from '../config/load.js';
import { resolveSettings } from '../config/settings.js';
import { parseDaemonArgs, MCRD_USAGE } from '../daemon/args.js';
import { startDaemon } from '../daemon/daemon.js';
import { restrictRootStart } from '../daemon/least-privilege.js';
import { McrError, toMcrError } from '../errors.js';
import { packageVersion } from '../version.js';

const EX_USAGE = 64;
const EX_CONFIG = 78;
const EX_NOPERM = 77;

async function main(): Promise<number> {
  let args;
  try {
    args = parseDaemonArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`mcrd: ${(err as Error).message}\n`);
    return EX_USAGE;
  }
  if (args.help) { process.stdout.write(`${MCRD_USAGE}\n`); return 0; }
  if (args.version) { process.stdout.write(`mcrd ${packageVersion()}\n`); return 0; }
  if (args.check !== undefined) {
    try {
      const c = await loadConfigFile(args.check);
      for (const w of c.warnings) process.stderr.write(`mcrd: warning: ${w}\n`);
      process.stdout.write(`${args.check}: ok, ${c.rules.length} rule${c.rules.length === 1 ? '' : 's'}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`mcrd: ${toMcrError(err).message}\n`);
      return EX_CONFIG;
    }
  }
  let daemon;
  try {
    // Settings resolve once, here: flag > config file > default (config/settings.ts).
    const config = args.config !== undefined ? await loadConfigFile(args.config) : emptyConfig();
    const settings = resolveSettings(args, config);
    // Started as root without --user: re-executes itself keeping only what start-up needs.
    await restrictRootStart(settings);
    daemon = await startDaemon(settings, config);
  } catch (err) {
    const e = toMcrError(err);
    process.stderr.write(`mcrd: ${e.message}\n`);
    // Config, state file and rule problems are the operator's to fix: EX_CONFIG, like smcrouted -F.
    if (e instanceof McrError && e.code === 'EACCES') return EX_NOPERM;
    return e instanceof McrError && ['EINVAL', 'EEXIST', 'ENODEV', 'ENOENT'].includes(e.code) ? EX_CONFIG : 1;
  }
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = () => {
      // A second signal means "now": skip the graceful part.
      if (++signals > 1) process.exit(1);
      daemon.stop().then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}


main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`mcrd: ${toMcrError(err).message}\n`);
  process.exit(1);
});
