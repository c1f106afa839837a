/**
 * What every mcrctl verb gets: the socket path, output mode, a way to talk to mcrd, and the
 * exit-code mapping scripts rely on: 0 ok, 1 request refused, 64 usage, 69 daemon unavailable,
 * 77 permission, 78 bad config.
 */
import { parseArgs } from 'node:util';
import { ControlClient } from '../../control/client.js';
import { McrError } from '../../errors.js';

export const EXIT = { ok: 0, refused: 1, usage: 64, unavailable: 69, permission: 77, config: 78 } as const;

export interface Ctx {
  socket: string;
  json: boolean;
  out: (s: string) => void;
  /** Send one command to mcrd; rejects with McrError. */
  request<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
}

export interface Verb {
  name: string;
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
export function verbFlags(verb: string, argv: string[], names: string[], positionals = false): { values: Record<string, string | undefined>; positionals: string[] } {
  const options = Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
    return { values: r.values as Record<string, string | undefined>, positionals: r.positionals };
  } catch (err) {
    throw usageError(`${(err as Error).message.split('\n')[0]}; see mcrctl ${verb} --help`);
  }
}

/** A Ctx talking to mcrd over `socket`, one connection per command. */
export function makeCtx(socket: string, json: boolean, out: (s: string) => void): Ctx {
  return {
    socket, json, out,
    async request<T>(cmd: string, args: Record<string, unknown> = {}) {
      const c = await ControlClient.connect(socket);
      try { return await c.request<T>(cmd, args); } finally { c.close(); }
    },
  };
}
