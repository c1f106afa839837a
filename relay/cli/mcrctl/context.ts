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
  if (err instanceof McrError) {
    if (err.code === 'EUNAVAIL') return EXIT.unavailable;
    if (err.code === 'EACCES') return EXIT.permission;
  }
  return EXIT.refused;
}

/** Parse a verb's flags strictly; unknown flags are usage errors naming the verb. */
export function verbFlags<O extends Parameters<typeof parseArgs>[0]['options']>(verb: string, argv: string[], options: O, positionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } }, strict: true, allowPositionals: positionals });
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
