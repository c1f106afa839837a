/** `mcr-lab validate FILE`: parse → resolve → verify, then stop; exit 0 or 78 (EX_CONFIG). */
import { verifyEnvironment } from '../scenario/verify.js';
import { parse } from './args.js';
import { EXIT, prepareScenario, printProblems, projectRoot, UsageError } from './common.js';

export const usage = `usage: mcr-lab validate FILE

Checks a scenario without touching the system: YAML syntax, the schema (unknown keys, types,
ranges), references between hosts, links, bridges, streams, tests and thresholds, duplicate names
and addresses. Errors print as FILE:LINE:COL path: message. Exit 0 valid, 78 invalid.
What this machine lacks to run it (root, binaries) is printed as notes.`;

export async function validateCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, usage);
  if (values.help) { process.stdout.write(`${usage}\n`); return EXIT.ok; }
  if (positionals.length !== 1) throw new UsageError('validate needs exactly one FILE', usage);
  const file = positionals[0]!;
  const { scenario, warnings } = await prepareScenario(file);
  printProblems(file, warnings);
  for (const p of verifyEnvironment(scenario, scenario.relays, projectRoot())) process.stderr.write(`note: to run it here: ${p.message}\n`);
  const outputs = scenario.streams.reduce((n, st) => n + st.outputs.length, 0);
  process.stdout.write(`${file}: ok (${scenario.name}: ${scenario.hosts.length} hosts, ${scenario.bridges.length} bridges, ${scenario.links.length} links, ` +
    `${scenario.streams.length} stream${scenario.streams.length === 1 ? '' : 's'} → ${outputs} output${outputs === 1 ? '' : 's'}, ` +
    `${scenario.tests.length} test${scenario.tests.length === 1 ? '' : 's'}, relays ${scenario.relays.join(', ')})\n`);
  return EXIT.ok;
}
