/**
 * Line numbers for JSON5 paths, so config errors read `mcrd.json5:14 rules[2].outputs[0].port: ...`.
 * The json5 package parses (and reports syntax errors with line:column); this scanner only walks the
 * already-valid text once and records the line of each key or array element.
 * Tested in relay/config/load.test.ts.
 */
import { formatPath } from '../errors.js';

/** Map of `rules[0].input.port` → 1-based line where that key (or element) starts. */
export function locatePaths(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let pos = 0;
  let line = 1;

  const advance = (n = 1) => {
    for (let k = 0; k < n && pos < text.length; k++) { if (text[pos] === '\n') line++; pos++; }
  };
  const skipWs = () => {
    for (;;) {
      const c = text[pos];
      if (c === undefined) return;
      if (/\s|\uFEFF/.test(c)) advance();
      else if (c === '/' && text[pos + 1] === '/') { while (pos < text.length && text[pos] !== '\n') advance(); }
      else if (c === '/' && text[pos + 1] === '*') {
        advance(2);
        while (pos < text.length && !(text[pos] === '*' && text[pos + 1] === '/')) advance();
        advance(2);
      } else return;
    }
  };
  const readString = (): string => {
    const q = text[pos];
    advance();
    let out = '';
    while (pos < text.length && text[pos] !== q) {
      if (text[pos] === '\\') { advance(); out += text[pos] ?? ''; advance(); } else { out += text[pos]; advance(); }
    }
    advance();
    return out;
  };
  const readBare = (): string => {
    const start = pos;
    while (pos < text.length && !/[\s,:\]}\/]/.test(text[pos]!)) advance();
    return text.slice(start, pos);
  };
  const record = (path: PropertyKey[], at: number) => {
    const k = formatPath(path);
    if (!lines.has(k)) lines.set(k, at);
  };
  const value = (path: PropertyKey[]): void => {
    skipWs();
    record(path, line);
    const c = text[pos];
    if (c === '{') {
      advance();
      for (;;) {
        skipWs();
        if (pos >= text.length || text[pos] === '}') { advance(); return; }
        const keyLine = line;
        const key = text[pos] === '"' || text[pos] === "'" ? readString() : readBare();
        record([...path, key], keyLine);
        skipWs();
        if (text[pos] === ':') advance();
        value([...path, key]);
        skipWs();
        if (text[pos] === ',') advance();
      }
    } else if (c === '[') {
      advance();
      for (let i = 0; ; i++) {
        skipWs();
        if (pos >= text.length || text[pos] === ']') { advance(); return; }
        value([...path, i]);
        skipWs();
        if (text[pos] === ',') advance();
      }
    } else if (c === '"' || c === "'") readString();
    else readBare();
  };
  value([]);
  return lines;
}

/** Line of `path`, or of its nearest recorded ancestor (a missing key points at its object). */
export function lineOf(lines: Map<string, number>, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const l = lines.get(formatPath(path.slice(0, n)));
    if (l !== undefined) return l;
  }
  return undefined;
}
