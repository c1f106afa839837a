/**
 * Scenario loader: YAML text → validated Scenario, or a ScenarioError whose problems carry line and
 * column (from the `yaml` package's node ranges and a LineCounter). Unknown keys fail with a
 * "did you mean" drawn from the schema's own keys. Covered by load.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isNode, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { didYouMean, formatPath, ScenarioError, type ScenarioProblem } from './errors.js';
import { scenarioSchema, type Scenario } from './schema.js';

export interface LoadedScenario {
  scenario: Scenario;
  file: string;
  /** Locates a path (as in problems) in the source; used by verify for its own messages. */
  locate: (path: ReadonlyArray<PropertyKey>) => { line: number; column: number } | undefined;
}

/** Reads and validates a scenario file; throws ScenarioError (all problems at once) when invalid. */
export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [{ path: '', message: `cannot read: ${(err as Error).message}`, severity: 'error' }]);
  }
  return loadScenarioText(text, file);
}

/** Validates scenario YAML text; `file` is only used in messages. */
export function loadScenarioText(text: string, file = '<scenario>'): LoadedScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const locate = (path: ReadonlyArray<PropertyKey>) => {
    const node = nodeAt(doc, path);
    return node?.range ? at(node.range[0]) : undefined;
  };

  if (doc.errors.length > 0) {
    throw new ScenarioError(file, doc.errors.map((e) => ({
      path: '', message: `YAML: ${e.message.split('\n')[0]}`, ...at(e.pos[0]), severity: 'error' as const,
    })));
  }
  const data: unknown = doc.toJS();
  const parsed = scenarioSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => issueProblems(issue, [], data, doc, at));
    throw new ScenarioError(file, dropExplainedMissing(problems));
  }
  return { scenario: parsed.data, file, locate };
}

type Issue = z.core.$ZodIssue;

/** "host is missing" adds nothing next to "hots: unknown key (did you mean "host"?)": keep the latter. */
function dropExplainedMissing(problems: ScenarioProblem[]): ScenarioProblem[] {
  const suggested = new Set<string>();
  for (const p of problems) {
    const m = /did you mean "([^"]+)"/.exec(p.message);
    if (m) suggested.add(`${p.path.replace(/\.?[^.[\]]+$/, '')}|${m[1]}`);
  }
  return problems.filter((p) => {
    if (!p.message.endsWith('is missing')) return true;
    const cut = p.path.lastIndexOf('.');
    const key = `${cut < 0 ? '' : p.path.slice(0, cut)}|${p.path.slice(cut + 1)}`;
    return !suggested.has(key);
  });
}

function issueProblems(
  issue: Issue,
  prefix: PropertyKey[],
  data: unknown,
  doc: Document,
  at: (offset: number) => { line: number; column: number },
): ScenarioProblem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that came closest (fewest issues) instead of zod's bare "Invalid input".
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
    return best.flatMap((sub) => issueProblems(sub, path, data, doc, at));
  }
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(path, data);
    return issue.keys.map((key) => {
      const hint = didYouMean(key, known);
      const keyNode = mapKeyNode(doc, path, key);
      return {
        path: formatPath([...path, key]),
        message: hint ? `unknown key (did you mean "${hint}"?)` : `unknown key (allowed: ${known.join(', ')})`,
        ...(keyNode?.range ? at(keyNode.range[0]) : locateNearest(doc, path, at)),
        severity: 'error' as const,
      };
    });
  }
  return [{
    path: formatPath(path),
    message: describeIssue(issue, valueAt(data, path)),
    ...locateNearest(doc, path, at),
    severity: 'error',
  }];
}

function describeIssue(issue: Issue, value: unknown): string {
  const got = value === undefined ? 'nothing' : `${JSON.stringify(value)} (${Array.isArray(value) ? 'array' : typeof value})`;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? `required ${issue.expected} is missing` : `expected ${issue.expected}, got ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got}`;
    case 'too_small':
      return `${issue.message.replace(/^Too small: /, '')}, got ${got}`;
    case 'too_big':
      return `${issue.message.replace(/^Too big: /, '')}, got ${got}`;
    case 'invalid_union':
      return issue.message.replace(/^Invalid discriminator value\. /, '') + `, got ${got}`;
    default:
      return `${issue.message}, got ${got}`;
  }
}

/** Nearest existing node along the path (a missing key points at its parent object). */
function locateNearest(doc: Document, path: PropertyKey[], at: (o: number) => { line: number; column: number }) {
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(doc, path.slice(0, n));
    if (node?.range) return at(node.range[0]);
  }
  return {};
}

function nodeAt(doc: Document, path: ReadonlyArray<PropertyKey>): YamlNode | undefined {
  if (path.length === 0) return isNode(doc.contents) ? doc.contents : undefined;
  const node = doc.getIn(path as unknown[], true);
  return isNode(node) ? node : undefined;
}

function mapKeyNode(doc: Document, path: PropertyKey[], key: string): YamlNode | undefined {
  const map = nodeAt(doc, path);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === key);
  return pair && isNode(pair.key) ? pair.key : undefined;
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/** Keys the schema allows at `path`, following the data to pick union branches. */
export function knownKeys(path: PropertyKey[], data: unknown): string[] {
  let schema = unwrap(scenarioSchema as unknown as ZodLike);
  let cur: unknown = data;
  for (const seg of path) {
    schema = pickBranch(schema, cur);
    const def = schema.def;
    if (def.type === 'object') schema = unwrap(def.shape![String(seg)] ?? schema);
    else if (def.type === 'array') schema = unwrap(def.element!);
    else if (def.type === 'record') schema = unwrap(def.valueType!);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  schema = pickBranch(schema, cur);
  return schema.def.type === 'object' ? Object.keys(schema.def.shape!) : [];
}

interface ZodLike {
  def: { type: string; innerType?: ZodLike; shape?: Record<string, ZodLike>; element?: ZodLike; valueType?: ZodLike; options?: ZodLike[]; in?: ZodLike };
}

function unwrap(s: ZodLike): ZodLike {
  let cur = s;
  while (cur.def.innerType || cur.def.type === 'pipe') cur = cur.def.innerType ?? cur.def.in!;
  return cur;
}

/** For a union, the object branch sharing the most keys with the data (discriminator included). */
function pickBranch(schema: ZodLike, data: unknown): ZodLike {
  if (schema.def.type !== 'union' || !schema.def.options) return schema;
  const keys = data !== null && typeof data === 'object' ? Object.entries(data as Record<string, unknown>) : [];
  let best = schema.def.options[0]!;
  let bestScore = -1;
  for (const opt of schema.def.options.map(unwrap)) {
    if (opt.def.type !== 'object') continue;
    const shape = opt.def.shape!;
    let score = 0;
    for (const [k, v] of keys) {
      const field = shape[k];
      if (!field) continue;
      score += 1;
      const lit = unwrap(field).def as { type: string; values?: unknown[] };
      if (lit.type === 'literal' && lit.values?.includes(v)) score += 10;
    }
    if (score > bestScore) { best = opt; bestScore = score; }
  }
  return best;
}
