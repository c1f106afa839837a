/** `mcr-lab up FILE`, `mcr-lab down NAME|--all`, `mcr-lab ls`: the topology alone, for poking by hand. */
import { join } from 'node:path';
import { createContext } from '../topology/context.js';
import { topologyUp } from '../topology/build.js';
import { rpsUp } from '../topology/rps.js';
import { describePlacement, onlineCpus, planPlacement } from '../run/placement.js';
import { RunLog } from '../topology/log.js';
import { isAlive, listStates, stateDir } from '../topology/state.js';
import { downAll, downByName, teardown, type TeardownReport } from '../topology/teardown.js';
import { verifyEnvironment } from '../scenario/verify.js';
import { parse } from './args.js';
import { EXIT, prepareScenario, projectRoot, UsageError } from './common.js';

export const upUsage = `usage: mcr-lab up FILE

Builds the scenario's topology (namespaces, links, bridges, sysctls, routes) and leaves it up.
Prints the run id and the namespaces; remove it with \`mcr-lab down RUNID\`.`;

export const downUsage = `usage: mcr-lab down RUNID|SCENARIO|--all [--force]

Tears down what mcr-lab created: one run (by run id or scenario name), or with --all every run
whose owning process is gone plus stray mcl<runid>- namespaces. Never touches anything else.
--force also removes runs whose owner is still alive.`;

export const lsUsage = `usage: mcr-lab ls

Lists runs that have a state record (state dir: /run/mcr-lab or /tmp/mcr-lab).`;

export async function upCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, upUsage);
  if (values.help) { process.stdout.write(`${upUsage}\n`); return EXIT.ok; }
  if (positionals.length !== 1) throw new UsageError('up needs exactly one FILE', upUsage);
  const file = positionals[0]!;
  const { scenario } = await prepareScenario(file);
  const env = verifyEnvironment(scenario, [], projectRoot(), { traffic: false });
  if (env.length > 0) { for (const p of env) process.stderr.write(`mcr-lab: ${p.message}\n`); return EXIT.noperm; }
  const ac = new AbortController();
  const ctx = createContext({ scenario: scenario.name, file, signal: ac.signal });
  // The same RPS masks as a run, so what is poked at by hand behaves like what is measured.
  const placement = planPlacement(scenario.cpus, onlineCpus(), scenario.mcrd.workers !== undefined ? { mcrdWorkers: scenario.mcrd.workers } : {});
  try {
    await topologyUp(ctx, scenario);
    if (placement.pinned) await rpsUp(ctx, scenario, placement);
  } catch (err) {
    const rep = await teardown(ctx, ctx.state);
    throw new Error(`${(err as Error).message}${rep.errors.length ? `\nteardown: ${rep.errors.join('; ')}` : ''}`);
  }
  process.stdout.write(`run ${ctx.runId} up (${scenario.name}); namespaces:\n`);
  for (const r of ctx.state.resources) if (r.kind === 'netns') process.stdout.write(`  ${r.name}\n`);
  for (const h of scenario.hosts.filter((x) => x.frr)) process.stdout.write(`FRR on ${h.name}: vtysh --vty_socket ${join(ctx.runDir, `frr-${h.name}`)} -c 'show ip pim neighbor'\n`);
  process.stdout.write(`CPU placement (RPS masks set; pin your own tools with taskset): ${describePlacement(placement)}\n`);
  process.stdout.write(`try:  ip netns exec ${ctx.ns(scenario.relayHost)} ip addr\nlog:  ${ctx.log.path}\ndown: mcr-lab down ${ctx.runId}\n`);
  return EXIT.ok;
}

export async function downCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { all: { type: 'boolean' }, force: { type: 'boolean' } }, downUsage);
  if (values.help) { process.stdout.write(`${downUsage}\n`); return EXIT.ok; }
  if (Boolean(values.all) === (positionals.length === 1) || positionals.length > 1) throw new UsageError('down needs one RUNID or --all', downUsage);
  const ctx = { log: new RunLog(join(stateDir(), 'down.log')), signal: new AbortController().signal };
  let reports: TeardownReport[];
  if (values.all) {
    const res = await downAll(ctx, { force: Boolean(values.force) });
    for (const s of res.skipped) process.stderr.write(`left alone: ${s}\n`);
    reports = res.reports;
  } else {
    reports = await downByName(ctx, positionals[0]!);
    if (reports.length === 0) { process.stderr.write(`mcr-lab: no run named ${positionals[0]} (see mcr-lab ls)\n`); return EXIT.failed; }
  }
  let errors = 0;
  for (const r of reports) {
    process.stdout.write(`${r.runId}: removed ${r.removed} resource${r.removed === 1 ? '' : 's'}${r.errors.length ? `, ${r.errors.length} problems` : ''}\n`);
    for (const e of r.errors) process.stderr.write(`  ${e}\n`);
    errors += r.errors.length;
  }
  if (reports.length === 0) process.stdout.write('nothing to remove\n');
  return errors > 0 ? EXIT.failed : EXIT.ok;
}

export async function lsCmd(argv: string[]): Promise<number> {
  const { values } = parse(argv, {}, lsUsage);
  if (values.help) { process.stdout.write(`${lsUsage}\n`); return EXIT.ok; }
  const states = listStates();
  if (states.length === 0) { process.stdout.write('no runs\n'); return EXIT.ok; }
  process.stdout.write(`${'RUN'.padEnd(8)} ${'SCENARIO'.padEnd(20)} ${'STATUS'.padEnd(18)} ${'CREATED'.padEnd(24)} NAMESPACES\n`);
  for (const s of states) {
    const status = isAlive(s.ownerPid) && s.ownerPid !== process.pid ? `running (pid ${s.ownerPid})` : 'idle';
    const ns = s.resources.filter((r) => r.kind === 'netns').map((r) => r.name).join(' ');
    process.stdout.write(`${s.runId.padEnd(8)} ${s.scenario.padEnd(20)} ${status.padEnd(18)} ${s.createdAt.padEnd(24)} ${ns}\n`);
  }
  return EXIT.ok;
}
