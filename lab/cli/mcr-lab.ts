#!/usr/bin/env node
/**
 * mcr-lab: network-namespace lab comparing mcrd, socat and kernel multicast forwarding.
 *
 *   mcr-lab doctor
 *   mcr-lab calibrate scenarios/chain.yaml
 *   mcr-lab validate scenarios/dual-bridge.yaml
 *   mcr-lab run scenarios/dual-bridge.yaml --quick
 *   mcr-lab up scenarios/chain.yaml && mcr-lab ls && mcr-lab down --all
 *
 * Each verb is a thin file in lab/cli/; docs/lab.md is the manual.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT, reportError, toolVersion, UsageError } from './common.js';
import { calibrateCmd } from './calibrate.js';
import { doctorCmd } from './doctor.js';
import { reportCmd } from './report.js';
import { runCmd } from './run.js';
import { downCmd, lsCmd, upCmd } from './topology.js';
import { validateCmd } from './validate.js';

export const usage = `usage: mcr-lab COMMAND [ARGS]

Commands:
  run FILE [--relays mcrd,socat,kernel,direct] [--quick] [--out DIR] [--json] [--repetitions N]
                      measure the relays on the scenario's topology, write results and reports
  validate FILE       check a scenario (errors with line and column), touch nothing
  up FILE             build the scenario's topology and leave it up
  down RUNID|--all    tear down what mcr-lab created
  ls                  list runs with a state record
  report RESULTS.json [--out DIR]
                      render report.md and report.html from results.json
  doctor              check root, kernel features and tools
  calibrate FILE      measure what the lab can offer and carry here; warn about tests asking for more

Run \`mcr-lab COMMAND --help\` for details. Manual: docs/lab.md`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCmd, validate: validateCmd, up: upCmd, down: downCmd, ls: lsCmd, report: reportCmd, doctor: doctorCmd, calibrate: calibrateCmd,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${usage}\n`);
    return cmd === undefined ? EXIT.usage : EXIT.ok;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`mcr-lab ${toolVersion()}\n`);
    return EXIT.ok;
  }
  const fn = commands[cmd];
  try {
    if (!fn) throw new UsageError(`unknown command "${cmd}"`, usage);
    return await fn(rest);
  } catch (err) {
    return reportError(err);
  }
}

/** True when this file is the program (also through npm's bin symlink), not an import. */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => { process.exitCode = reportError(err); });
}
