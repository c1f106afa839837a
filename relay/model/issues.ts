/**
 * Zod issues → McrError, in one function, so every consumer of the schema words errors the same:
 * `<source> <path>: expected <what>, got <value> (<type>)`. Tested through rule.test.ts.
 */
import type { z } from 'zod';
import { McrError, describeValue, formatPath, joinPath } from '../errors.js';

/** Where a document came from: a file (with a line finder), a request, or a CLI flag. */
export interface IssueContext {
  /** Source for an issue at this (full) path, e.g. `mcrd.json5:14` or `request 17`. */
  source?: (path: ReadonlyArray<PropertyKey>) => string | undefined;
  /** Path prefix of the validated value inside its document: `rules[2]`, `rule`. */
  pathPrefix?: ReadonlyArray<PropertyKey>;
  /** Map a path to the name the user typed (CLI flags); replaces source+path when it returns a name. */
  flagFor?: (path: ReadonlyArray<PropertyKey>) => string | undefined;
  /** Keys of the validated section, for "did you mean" (default: the rule model's keys). */
  knownKeys?: readonly string[];
}

/** Keys the model knows, for "did you mean" on a misspelt key. */
const KNOWN_KEYS = ['id', 'name', 'input', 'outputs', 'interface', 'group', 'port', 'source', 'protocol', 'ttl', 'tos', 'when', 'rules'];

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** Suggest the closest known key, if any is close enough to be a typo. */
export function suggestKey(key: string, known: readonly string[] = KNOWN_KEYS): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const dist = editDistance(key.toLowerCase(), k);
    if (dist < bestD) { best = k; bestD = dist; }
  }
  return best;
}

/** Convert one zod issue about `input` into an McrError anchored in its document. */
export function issueToError(issue: z.core.$ZodIssue, input: unknown, ctx: IssueContext = {}): McrError {
  const prefix = ctx.pathPrefix ?? [];
  let local: PropertyKey[] = [...issue.path];
  let detail: string;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    local = [...local, key];
    const s = suggestKey(key, ctx.knownKeys);
    detail = `unknown key${issue.keys.length > 1 ? ` (and ${issue.keys.length - 1} more)` : ''}${s ? `; did you mean "${s}"?` : ''}`;
  } else if (!issue.message.startsWith('expected ') || issue.message.includes(', got ')) {
    detail = issue.message;
  } else {
    detail = `${issue.message}, got ${describeValue(valueAt(input, issue.path))}`;
  }
  const full = [...prefix, ...local];
  const flag = ctx.flagFor?.(local);
  if (flag) return new McrError({ code: 'EINVAL', detail, source: flag });
  return new McrError({ code: 'EINVAL', detail, path: formatPath(full), source: ctx.source?.(full) });
}

/** All issues as errors, in document order. */
export function issuesToErrors(error: z.ZodError, input: unknown, ctx: IssueContext = {}): McrError[] {
  return error.issues.map((i) => issueToError(i, input, ctx));
}

/** Throw the first error; say how many more there are so a user fixing a file knows to re-run. */
export function throwFirst(errors: McrError[]): never {
  const first = errors[0]!;
  if (errors.length === 1) throw first;
  throw new McrError({
    code: first.code, detail: first.detail, path: first.path, source: first.source,
    hint: `and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''}`,
  });
}

export { joinPath };
