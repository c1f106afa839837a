/**
 * The code of the project's Markdown: fenced blocks (with their language and line) and the command
 * lines in them, for test/docs.test.ts. A block right after an HTML comment
 * `<!-- not-checked: why -->` (blank lines between allowed) is reported with that reason instead.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Block { file: string; line: number; lang: string; text: string; notChecked?: string }

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*$/;

/** README.md and docs/*.md of the repository at `root`, as repository-relative paths. */
export function docFiles(root: string): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/** Every fenced block of `markdown` (`file` is how results name it). */
export function blocksOf(markdown: string, file: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  let open: { fence: string; indent: number; lang: string; line: number; body: string[]; notChecked?: string } | undefined;
  lines.forEach((l, i) => {
    const m = FENCE.exec(l);
    if (!open) {
      if (!m) return;
      const before = lines.slice(0, i).reverse().find((x) => x.trim() !== '') ?? '';
      const marker = /^\s*<!--\s*not-checked:\s*(.+?)\s*-->\s*$/.exec(before);
      open = { fence: m[2]!, indent: m[1]!.length, lang: m[3]!, line: i + 1, body: [], ...(marker ? { notChecked: marker[1]! } : {}) };
    } else if (m && m[3] === '' && m[2]!.startsWith(open.fence[0]!) && m[2]!.length >= open.fence.length) {
      out.push({ file, line: open.line, lang: open.lang, text: open.body.join('\n'), ...(open.notChecked ? { notChecked: open.notChecked } : {}) });
      open = undefined;
    } else {
      open.body.push(l.slice(Math.min(open.indent, l.length - l.trimStart().length)));
    }
  });
  return out;
}

/** Inline code spans of `markdown` outside its fenced blocks (a span may wrap onto the next line). */
export function inlineSpans(markdown: string, file: string): Array<{ where: string; text: string }> {
  const fenced = new Set(blocksOf(markdown, file).flatMap((b) => Array.from({ length: b.text.split('\n').length + 2 }, (_, k) => b.line + k)));
  const prose = markdown.split('\n').map((l, i) => (fenced.has(i + 1) ? '' : l)).join('\n');
  return [...prose.matchAll(/(?<!`)`([^`]+)`(?!`)/g)].map((m) => ({ where: `${file}:${prose.slice(0, m.index).split('\n').length}`, text: m[1]!.replace(/\s*\n\s*/g, ' ') }));
}

export function readBlocks(root: string): Block[] {
  return docFiles(root).flatMap((f) => blocksOf(readFileSync(join(root, f), 'utf8'), f));
}

/** Split a shell line into words: quotes group, `\` escapes, `#` starts a comment outside quotes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let w = '';
  let inWord = false;
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === q) q = undefined; else w += c;
    } else if (c === '"' || c === "'") { q = c; inWord = true; }
    else if (c === '\\' && i + 1 < line.length) { w += line[++i]; inWord = true; }
    else if (c === '#' && !inWord) break;
    else if (/\s/.test(c)) { if (inWord) words.push(w); w = ''; inWord = false; }
    else { w += c; inWord = true; }
  }
  if (inWord) words.push(w);
  return words;
}

export type Tool = 'mcrd' | 'mcrctl' | 'mcr-lab';
export interface CommandLine { tool: Tool; args: string[]; source: string }

const TOOL_OF: Array<[RegExp, Tool]> = [[/(^|\/)mcrd(\.js)?$/, 'mcrd'], [/(^|\/)mcrctl(\.js)?$/, 'mcrctl'], [/(^|\/)mcr-lab(\.js)?$/, 'mcr-lab']];

/** Index of the word a shell runs: past sudo, VAR=value, `ip netns exec NS`, setpriv/taskset/timeout and node with their flags. */
function commandWord(words: string[]): number {
  let i = 0;
  for (;;) {
    const w = words[i] ?? '';
    if (/^(sudo|nohup|exec|env)$/.test(w) || /^[A-Z_][A-Z0-9_]*=/.test(w)) i++;
    else if (w === 'ip' && words[i + 1] === 'netns' && words[i + 2] === 'exec') i += 4;
    else if (/^(setpriv|taskset|timeout)$/.test(w) || /(^|\/)node$|-node$/.test(w)) {
      i++;
      while ((words[i] ?? '').startsWith('-')) i++;
      if (w === 'taskset' || w === 'timeout') i++;
    } else if (w.startsWith('-') && i > 0) i++;
    else return i;
  }
}

/**
 * The mcrd, mcrctl and mcr-lab invocations in a block of shell (or a systemd ExecStart= line):
 * continuations joined, a `$ ` prompt dropped, each command of a pipe or list on its own; the tool
 * found as the word the shell runs (`sudo mcrd`, `$PREFIX/bin/mcrd`, `node dist/relay/cli/mcrd.js`,
 * `setpriv ... mcrd`) or as `npm run TOOL -- ARGS`. A last word `...` or `…` stands for flags left out and is dropped.
 */
export function commandLines(text: string, where: string): CommandLine[] {
  const out: CommandLine[] = [];
  const joined = text.replace(/\\\n/g, ' ').split('\n');
  joined.forEach((raw, i) => {
    const line = raw.replace(/^\s*\$ /, '').replace(/^ExecStart=/, '');
    for (const part of line.split(/\s*(?:\|\||&&|\||;|&(?!&))\s*/)) {
      const words = shellWords(part);
      let tool: Tool | undefined;
      let at = -1;
      const npm = words.indexOf('npm');
      if (npm >= 0 && words[npm + 1] === 'run' && TOOL_OF.some(([re]) => re.test(words[npm + 2] ?? ''))) {
        tool = TOOL_OF.find(([re]) => re.test(words[npm + 2]!))![1];
        const dashes = words.indexOf('--', npm);
        at = dashes < 0 ? npm + 2 : dashes;
      } else {
        at = commandWord(words);
        tool = TOOL_OF.find(([re]) => re.test(words[at] ?? ''))?.[1];
      }
      if (!tool) continue;
      const args = words.slice(at + 1);
      if (args.at(-1) === '...' || args.at(-1) === '…') args.pop();
      out.push({ tool, args, source: `${where}+${i}` });
    }
  });
  return out;
}
