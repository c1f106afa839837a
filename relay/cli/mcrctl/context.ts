/**
 * What every mcrctl verb gets: the socket path, output mode, a way to talk to mcrd, and the
 * exit-code mapping scripts rely on: 0 ok, 1 request refused, 64 usage, 69 daemon unavailable,
 * 77 permission, 78 bad config.
 */
import { parseArgs } from 'node:util';
import type { McrResponse } from '../../compat/shapes.js';
import { ControlClient } from '../../control/client.js';
import { McrError } from '../../errors.js';
import type { Format } from './global.js';

export const EXIT = { ok: 0, refused: 1, usage: 64, unavailable: 69, permission: 77, config: 78 } as const;

/** One result in each output format, built only when asked for. */
export interface Output {
  text: () => string;
  json: () => Record<string, unknown>;
  /** MCR's reply shape (relay/compat/shapes.ts), for --format mcr. */
  mcr: () => McrResponse;
}

export interface Ctx {
  socket: string;
  json: boolean;
  format: Format;
  out: (s: string) => void;
  /** Print `o` in the chosen format: a table/text, `{"ok":true,...}`, or MCR's pretty-printed reply. */
  emit(o: Output): void;
  /** Send one command to mcrd; rejects with McrError. */
  request<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
}

export interface Verb {
  name: string;
  /** Other names it answers to (MCR's list-rules, list-workers). */
  aliases?: string[];
  summary: string;
  usage: string;
  run(argv: string[], ctx: Ctx): Promise<void>;
}

/** An error in how mcrctl was called (exit 64). */
export function usageError(detail: string, source?: string): McrError {
  return Object.assign(new McrError({ code: 'EINVAL', detail, source }), { usage: true });
}

/** Exit code for an error: usage, connection trouble, or a refusal by mcrd. */
export function exitCodeFor(err: unknown): number {
  if ((err as { usage?: boolean }).usage) return EXIT.usage;
  if ((err as { configError?: boolean }).configError) return EXIT.config;
  if (err instanceof McrError) {
    if (err.code === 'EUNAVAIL') return EXIT.unavailable;
    if (err.code === 'EACCES') return EXIT.permission;
  }
  return EXIT.refused;
}

/**
 * Parse a verb's flags strictly (all take a string value); unknown flags are usage errors naming
 * the verb. `--help` is handled by mcrctl.ts before a verb runs.
 */
export function verbFlags(
  verb: string, argv: string[], names: string[], positionals = false, more: { booleans?: string[]; lists?: string[] } = {},
): { values: Record<string, string | undefined>; flags: Record<string, boolean>; lists: Record<string, string[]>; positionals: string[] } {
  const { booleans = [], lists = [] } = more;
  const options = Object.fromEntries([
    ...names.map((n) => [n, { type: 'string' as const }]),
    ...booleans.map((n) => [n, { type: 'boolean' as const }]),
    ...lists.map((n) => [n, { type: 'string' as const, multiple: true }]),
  ]);
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
    const v = r.values as Record<string, string | boolean | string[] | undefined>;
    const pick = <T>(keys: string[], f: (x: unknown) => T) => Object.fromEntries(keys.filter((k) => v[k] !== undefined).map((k) => [k, f(v[k])]));
    return {
      values: pick(names, String) as Record<string, string | undefined>,
      flags: Object.fromEntries(booleans.map((k) => [k, v[k] === true])),
      lists: pick(lists, (x) => x as string[]),
      positionals: r.positionals,
    };
  } catch (err) {
    throw usageError(`${(err as Error).message.split('\n')[0]}; see mcrctl ${verb} --help`);
  }
}

/** A Ctx talking to mcrd over `socket`, one connection per command. */
export function makeCtx(socket: string, format: Format, out: (s: string) => void): Ctx {
  return {
    socket, format, json: format === 'json', out,
    emit(o) {
      if (format === 'json') out(JSON.stringify({ ok: true, ...o.json() }));
      else if (format === 'mcr') out(JSON.stringify(o.mcr(), null, 2));
      else out(o.text());
    },
    async request<T>(cmd: string, args: Record<string, unknown> = {}) {
      const c = await ControlClient.connect(socket);
      try { return await c.request<T>(cmd, args); } finally { c.close(); }
    },
  };
}
