/**
 * Scenario problems with a location: `chain.yaml:14:7 links[1].b.hots: unknown key (did you mean "host"?)`.
 * One class for parse, schema and verify errors, so `mcr-lab validate` prints them all the same way.
 */

export interface ScenarioProblem {
  /** Dotted path into the scenario, e.g. "links[1].b.host"; "" for the document itself. */
  path: string;
  message: string;
  line?: number;
  column?: number;
  severity: 'error' | 'warning';
}

export class ScenarioError extends Error {
  readonly problems: ScenarioProblem[];
  readonly file: string;
  constructor(file: string, problems: ScenarioProblem[]) {
    super(formatProblems(file, problems));
    this.name = 'ScenarioError';
    this.file = file;
    this.problems = problems;
  }
}

/** `file:line:col path: message`, one problem per line, in document order. */
export function formatProblems(file: string, problems: ScenarioProblem[]): string {
  return sortProblems(problems).map((p) => formatProblem(file, p)).join('\n');
}

export function formatProblem(file: string, p: ScenarioProblem): string {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
  const tag = p.severity === 'warning' ? 'warning: ' : '';
  return `${where} ${tag}${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export function sortProblems(problems: ScenarioProblem[]): ScenarioProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9) || (a.column ?? 0) - (b.column ?? 0));
}

/** "links[1].b.host" from ["links", 1, "b", "host"]. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** Closest candidate by edit distance, if close enough to be a plausible typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) { best = c; bestDist = d; }
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
