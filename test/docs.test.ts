/**
 * The docs cannot drift from the code: every fenced block of README.md and docs/*.md is checked by
 * the parser that reads that kind of text in the product, and every mcrd, mcrctl and mcr-lab command
 * line in them by the tool's own argument parser (test/docs/commands.ts):
 *
 *   json5  a config file (mcrd --check's parser), a single rule (the rule schema), or one config
 *          section shown alone (`pim: { ... }`, checked inside braces)
 *   json   JSON; generator and sink reports (lab/traffic schemas), a CI baseline (ci/baseline.ts),
 *          a state file (relay/config/state.ts)
 *   yaml   YAML; a scenario (mcr-lab validate's load → resolve → verify), Prometheus alert rules
 *          (every mcr_* metric named must be one mcrd exports)
 *   sh, ini (systemd ExecStart=), plain blocks: the command lines
 *   `→ request` / `← reply` lines: replayed against the real control server (test/docs/session.ts);
 *          each documented reply must be contained in the real one
 * A block that cannot be checked (a synopsis, a partial example) is preceded by
 * `<!-- not-checked: why -->`; that list is printed and kept short.
 *
 *   npx vitest run --project unit test/docs.test.ts
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import JSON5 from 'json5';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkBaseline } from '../ci/baseline.js';
import { ScenarioError } from '../lab/scenario/errors.js';
import { loadScenarioText } from '../lab/scenario/load.js';
import { resolveScenario } from '../lab/scenario/resolve.js';
import { verifyScenario } from '../lab/scenario/verify.js';
import { GenReportSchema, SinkReportSchema } from '../lab/traffic/reports.js';
import { parseConfigText } from '../relay/config/load.js';
import { SETTING_FLAGS } from '../relay/config/settings.js';
import { VERBS, findVerb } from '../relay/cli/mcrctl/verbs.js';
import { readState } from '../relay/config/state.js';
import { buildFamilies } from '../relay/metrics/exposition.js';
import { protocolFamilies } from '../relay/metrics/protocols.js';
import { parseRule } from '../relay/model/validate.js';
import { emptyGlobal } from '../relay/stats/counters.js';
import { type Block, type CommandLine, commandLines, docFiles, inlineSpans, readBlocks } from './docs/blocks.js';
import { checkCommand } from './docs/commands.js';
import { replaySession, sessionOf } from './docs/session.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BLOCKS = readBlocks(ROOT);
const where = (b: Block) => `${b.file}:${b.line}`;
const CONFIG_KEYS = ['rules', 'daemon', 'igmp', 'pim', 'multicast_ttl', 'pinning'];

/** A config document as mcrd --check reads it; a section mcrd would ignore (a warning) fails too. */
function checkConfig(text: string, name: string): void {
  const c = parseConfigText(text, name);
  if (c.warnings.length) throw new Error(c.warnings.join('\n'));
}

function checkJson5(b: Block): void {
  let doc: unknown;
  try { doc = JSON5.parse(b.text); } catch {
    // One section shown alone: `pim: { ... }`.
    if (/^\s*(\/\/.*\n\s*)*[a-z_]+\s*:/.test(b.text)) { checkConfig(`{\n${b.text}\n}`, where(b)); return; }
    throw new Error(`${where(b)}: not JSON5 and not a config section`);
  }
  const keys = doc !== null && typeof doc === 'object' ? Object.keys(doc) : [];
  if (keys.includes('input') && keys.includes('outputs')) parseRule(doc, { source: () => where(b) });
  else if (keys.some((k) => CONFIG_KEYS.includes(k))) checkConfig(b.text, where(b));
  else throw new Error(`${where(b)}: a JSON5 block that is neither a config file nor a rule; mark it <!-- not-checked: why -->`);
}

async function checkJson(b: Block): Promise<void> {
  const doc = JSON.parse(b.text) as Record<string, unknown>;
  if ('achievedPps' in doc) GenReportSchema.parse(doc);
  else if ('listens' in doc) SinkReportSchema.parse(doc);
  else if ('version' in doc && 'rules' in doc) {
    const dir = mkdtempSync(join(tmpdir(), 'cmpt-docs-'));
    try {
      writeFileSync(join(dir, 'rules.json'), b.text);
      await readState(join(dir, 'rules.json'));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  } else if (Object.values(doc).every((v) => typeof v === 'object' && v !== null && 'tolerance' in v)) checkBaseline(doc, where(b));
  else throw new Error(`${where(b)}: a JSON block of no known kind; mark it <!-- not-checked: why -->`);
}

/** Every metric family name mcrd can export (core and protocol families, from empty inputs). */
function exportedMetrics(): Set<string> {
  const core = buildFamilies({
    rules: [], counters: { global: emptyGlobal(), rules: new Map(), outputs: new Map() }, workers: [], controlRequests: [],
    startTimeSeconds: 0, build: { version: 'x', backend: 'mmsg', node: 'x' },
  });
  return new Set([...core, ...protocolFamilies([], {} as never)].map((f) => f.name));
}

function checkYaml(b: Block): void {
  const doc = parseYaml(b.text) as Record<string, unknown>;
  if ('hosts' in doc) {
    try {
      const loaded = loadScenarioText(b.text, where(b));
      const errors = verifyScenario(resolveScenario(loaded.scenario), loaded.locate).filter((p) => p.severity === 'error');
      if (errors.length) throw new ScenarioError(where(b), errors);
    } catch (err) {
      throw err instanceof ScenarioError ? new Error(err.problems.map((p) => `${where(b)} ${p.path}: ${p.message}`).join('\n')) : err;
    }
  } else if ('groups' in doc) {
    const known = exportedMetrics();
    const named = [...b.text.matchAll(/\bmcr_[a-z0-9_]+/g)].map((m) => m[0]);
    const unknown = named.filter((n) => !known.has(n) && !known.has(n.replace(/_(bucket|sum|count)$/, '')));
    if (unknown.length) throw new Error(`${where(b)}: alert rules use metrics mcrd does not export: ${[...new Set(unknown)].join(', ')}`);
  } else if (!('scrape_configs' in doc)) throw new Error(`${where(b)}: a YAML block of no known kind; mark it <!-- not-checked: why -->`);
}

const checked = BLOCKS.filter((b) => b.notChecked === undefined);

describe('the code blocks of README.md and docs/*.md', () => {
  test('there are blocks to check, and few are exempt (each saying why)', () => {
    const exempt = BLOCKS.filter((b) => b.notChecked !== undefined);
    console.log(`docs: ${checked.length} blocks checked; not checked:\n${exempt.map((b) => `  ${where(b)} ${b.lang || 'text'}: ${b.notChecked}`).join('\n')}`);
    expect(checked.length).toBeGreaterThan(50);
    expect(exempt.length).toBeLessThan(checked.length / 4);
  });

  test.each(checked.filter((b) => b.lang === 'json5').map((b) => [where(b), b] as const))('%s json5 parses as mcrd reads it', (_w, b) => checkJson5(b));
  test.each(checked.filter((b) => b.lang === 'json').map((b) => [where(b), b] as const))('%s json matches its schema', async (_w, b) => { await checkJson(b); });
  test.each(checked.filter((b) => b.lang === 'yaml').map((b) => [where(b), b] as const))('%s yaml is what its reader accepts', (_w, b) => checkYaml(b));

  const sessions = checked.flatMap((b) => { const s = sessionOf(b.text); return s ? [[where(b), s] as const] : []; });
  test.each(sessions)('%s control session: every documented reply is what mcrd answers', async (w, s) => { await replaySession([...s], w); });

  const commands = checked.filter((b) => ['sh', 'bash', 'console', 'ini', ''].includes(b.lang)).flatMap((b) => commandLines(b.text, where(b)));
  test('command lines were found in them', () => {
    expect(new Set(commands.map((c) => c.tool))).toEqual(new Set(['mcrd', 'mcrctl', 'mcr-lab']));
  });
  test.each(commands.map((c) => [`${c.source} ${c.tool} ${c.args.join(' ')}`.slice(0, 140), c] as const))('%s parses', async (_t, c) => {
    await checkCommand(c, ROOT);
  });
});

describe('config sections quoted in prose', () => {
  // `daemon: { metricsListen: "127.0.0.1:9477" }` in a sentence is a config file's section too: one of
  // mcrd's sections, or one naming a daemon setting (so a section under a wrong name is caught).
  // mcr-compat.md's table (MCR's forms, refused ones included) is checked by relay/compat/table.test.ts.
  const settingKeys = Object.keys(SETTING_FLAGS);
  const spans = docFiles(ROOT).filter((f) => f !== 'docs/mcr-compat.md').flatMap((f) => inlineSpans(readFileSync(join(ROOT, f), 'utf8'), f))
    .filter((s) => /^[a-z_]+\s*:\s*\{.*\}$/.test(s.text) && !/\.\.\.|…|\[\.\.\]/.test(s.text))
    .filter((s) => CONFIG_KEYS.includes(s.text.split(':')[0]!.trim()) || settingKeys.some((k) => new RegExp(`^\\w+\\s*:\\s*\\{[^{}]*\\b${k}\\s*:`).test(s.text)));
  test('some are found', () => expect(spans.length).toBeGreaterThanOrEqual(2));
  test.each(spans.map((s) => [`${s.where} ${s.text}`.slice(0, 120), s] as const))('%s', (_t, s) => checkConfig(`{ ${s.text} }`, s.where));
});

describe('command lines quoted in prose', () => {
  const spans = docFiles(ROOT).filter((f) => f !== 'docs/mcr-compat.md').flatMap((f) => inlineSpans(readFileSync(join(ROOT, f), 'utf8'), f))
    .filter((s) => /^(sudo )?(mcrd|mcrctl|mcr-lab) \S/.test(s.text) && !/[[\]|…]|\.\.\./.test(s.text));
  const commands = spans.flatMap((s) => commandLines(s.text, s.where))
    // `mcrd not running?` in an error message is no command line.
    .filter((c) => c.tool !== 'mcrd' || c.args.length === 0 || c.args[0]!.startsWith('-') || c.args[0] === 'supervisor');
  // A mention (`mcrctl add`, `mcrctl igmp`, a <placeholder> value) names a command; a span with concrete flags is one.
  const mention = (c: CommandLine) => !c.args.some((a) => a.startsWith('-')) || c.args.some((a) => /<[^>]+>/.test(a));
  test.each(commands.map((c) => [`${c.source} ${c.tool} ${c.args.join(' ')}`.slice(0, 140), c] as const))('%s parses', async (_t, c) => {
    if (!mention(c)) await checkCommand(c, ROOT);
    else if (c.tool === 'mcrctl') expect(findVerb(c.args.find((a) => !a.startsWith('-'))), `${c.source}: mcrctl has no command ${c.args[0]}`).toBeDefined();
  });
});

test('docs/relay.md\'s mcrctl table has a row for every verb and alias mcrctl has', () => {
  const rows = readFileSync(join(ROOT, 'docs/relay.md'), 'utf8').split('\n').filter((l) => l.startsWith('| `'));
  for (const name of VERBS.flatMap((v) => [v.name, ...(v.aliases ?? [])])) {
    expect(rows.some((r) => new RegExp(`^\\| \`${name}[\\s\`]|\\(also [^)]*\`${name}\``).test(r)), `no row for mcrctl ${name}`).toBe(true);
  }
});

test('npm test type-checks the tests too (tsconfig.json, which tsc --noEmit uses, includes them)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.test).toMatch(/^tsc -p tsconfig\.json --noEmit && /);
  const tsconfig = JSON5.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[]; exclude?: string[] };
  for (const dir of ['relay', 'lab', 'bench', 'ci', 'test', 'soak']) expect(tsconfig.include).toContain(`${dir}/**/*.ts`);
  expect(tsconfig.exclude ?? []).not.toContainEqual(expect.stringMatching(/test/));
});
