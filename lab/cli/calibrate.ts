/**
 * `mcr-lab calibrate FILE`: what this machine lets the lab measure on the scenario's topology (the
 * generators' ceiling, the direct path with generator and sink sharing the traffic CPUs, each one's
 * CPU per datagram) and which of the scenario's tests ask for more. lab/run/calibrate.ts does the
 * measuring; `mcr-lab run` does a short one of its own first.
 *
 *   sudo mcr-lab calibrate scenarios/chain.yaml
 *   sudo mcr-lab calibrate scenarios/dual-bridge.yaml --duration 3 --json
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate, calibrationWarnings, measurableCeiling } from '../run/calibrate.js';
import { describePlacement, onlineCpus, planPlacement } from '../run/placement.js';
import { verifyEnvironment } from '../scenario/verify.js';
import { createContext } from '../topology/context.js';
import { teardown } from '../topology/teardown.js';
import { parse } from './args.js';
import { EXIT, prepareScenario, projectRoot, UsageError } from './common.js';
import { parseCpusFlag } from './run.js';

export const usage = `usage: mcr-lab calibrate FILE [--duration S] [--cpus off|TRAFFIC:RELAY] [--json]

Builds the scenario's topology (with its CPU placement) and measures what the lab itself can do there:
  generator  mcr-gen unpaced from each stream's source to its input group, nothing relaying it: the
             most the generators can offer a relay (per stream)
  direct     mcr-gen unpaced on the relay host into the sinks, generator and sink sharing the traffic
             CPUs: the most the lab's own end of the path carries
with each tool's CPU per datagram, then warns about every test that asks for more than the smaller
of the two (its figures would measure the lab, not the relay). Tears everything down.
  --duration S  seconds per measurement (default 2)
  --json        print the calibration and the warnings as JSON
Exit: 0 measured (warnings or not), 1 the measurement failed, 64 usage, 77 not root, 78 invalid scenario.`;

export async function calibrateCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { duration: { type: 'string' }, json: { type: 'boolean' }, cpus: { type: 'string' } }, usage);
  if (values.help) { process.stdout.write(`${usage}\n`); return EXIT.ok; }
  if (positionals.length !== 1) throw new UsageError('calibrate needs exactly one FILE', usage);
  const durationS = values.duration === undefined ? 2 : Number(values.duration);
  if (!(durationS >= 0.2 && durationS <= 60)) throw new UsageError(`--duration: expected seconds between 0.2 and 60, got "${values.duration}"`, usage);
  const file = positionals[0]!;
  const { scenario } = await prepareScenario(file);
  if (values.cpus !== undefined) scenario.cpus = parseCpusFlag(values.cpus);
  const env = verifyEnvironment(scenario, ['direct'], projectRoot());
  if (env.length > 0) { for (const p of env) process.stderr.write(`mcr-lab: ${p.message}\n`); return EXIT.noperm; }
  const placement = planPlacement(scenario.cpus, onlineCpus(), scenario.mcrd.workers !== undefined ? { mcrdWorkers: scenario.mcrd.workers } : {});
  const ac = new AbortController();
  const stop = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  // The run directory goes with the teardown; the log stays where it can be read afterwards.
  const ctx = createContext({ scenario: scenario.name, file, signal: ac.signal, logPath: join(tmpdir(), 'mcr-lab-calibrate.log') });
  let c;
  try {
    c = await calibrate(ctx, scenario, placement, durationS);
  } finally {
    process.off('SIGINT', stop);
    await teardown(ctx, ctx.state);
  }
  const warnings = calibrationWarnings(c, scenario);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ scenario: scenario.name, placement, calibration: c, measurablePps: measurableCeiling(c), warnings }, null, 2)}\n`);
    return EXIT.ok;
  }
  const k = (pps: number): string => `${Math.round(pps / 1000)}k pps`;
  const us = (ns: number): string => `${(ns / 1000).toFixed(2)} µs`;
  process.stdout.write([
    `${scenario.name}: ${describePlacement(placement)}; mcr-gen --tx ${c.tx}, 1 stream = 1 generator, ${durationS} s each`,
    `  generator (unpaced, into the relay host)    ${k(c.generatorPps).padStart(9)} per stream   ${us(c.generatorNsPerPacket)} generator CPU per datagram`,
    `  direct path (generator + sink, one core)    ${k(c.directPps).padStart(9)} per output   ${us(c.sinkNsPerPacket)} sink CPU per datagram, ${(c.directLoss * 100).toFixed(1)} % not received`,
    `  the lab measures relays up to about ${k(measurableCeiling(c))} here`,
    ...(warnings.length ? warnings : ['  every test of the scenario stays below that']),
  ].join('\n') + '\n');
  return EXIT.ok;
}
