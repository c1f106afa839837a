/**
 * Parse a documented command line with the tool's real argument parser, touching nothing:
 *   mcrd     parseDaemonArgs (the settings schema included)
 *   mcrctl   parseGlobal, then the verb itself with a context whose first request stops it — every
 *            verb parses and checks its flags before it talks to mcrd
 *   mcr-lab  main with --help added: the verb's strict flag parser runs, then it prints its usage;
 *            a scenarios/*.yaml it names must exist
 * Each resolves when the line parses and throws naming the line and the parser's error otherwise.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';
import type { Ctx } from '../../relay/cli/mcrctl/context.js';
import { exitCodeFor, EXIT } from '../../relay/cli/mcrctl/context.js';
import { parseGlobal } from '../../relay/cli/mcrctl/global.js';
import { findVerb } from '../../relay/cli/mcrctl/verbs.js';
import { parseDaemonArgs } from '../../relay/daemon/args.js';
import { main as mcrLab } from '../../lab/cli/mcr-lab.js';
import type { CommandLine } from './blocks.js';

class ReachedDaemon extends Error {}

/** A context that stops a verb at its first word to mcrd (its flags have been checked by then). */
function parseOnlyCtx(format: Ctx['format']): Ctx {
  return {
    socket: '/nonexistent', format, json: format === 'json', out: () => {}, emit: () => {},
    request: () => Promise.reject(new ReachedDaemon()),
  };
}

async function mcrctl(args: string[]): Promise<void> {
  const g = parseGlobal(args, {});
  if (g.help || g.version) return;
  const verb = findVerb(g.verb);
  if (!verb) throw new Error(`unknown mcrctl command ${JSON.stringify(g.verb)}`);
  if (g.rest.includes('--help') || g.rest.includes('-h')) return;
  try {
    await verb.run(g.rest, parseOnlyCtx(g.format));
  } catch (err) {
    // Anything but a usage error happened after parsing (a missing file for config check --file F).
    if (!(err instanceof ReachedDaemon) && exitCodeFor(err) === EXIT.usage) throw err;
  }
}

async function mcrLabParses(args: string[], root: string): Promise<void> {
  for (const a of args) {
    if (/^scenarios\/[\w-]+\.yaml$/.test(a) && !existsSync(join(root, a))) throw new Error(`${a} does not exist`);
  }
  const err: string[] = [];
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
  try {
    const code = await mcrLab([...args, '--help']);
    if (code !== 0) throw new Error(`mcr-lab exits ${code}: ${err.join('').trim()}`);
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
  }
}

export async function checkCommand(c: CommandLine, root: string): Promise<void> {
  try {
    if (c.tool === 'mcrd') parseDaemonArgs(c.args, {});
    else if (c.tool === 'mcrctl') await mcrctl(c.args);
    else await mcrLabParses(c.args, root);
  } catch (err) {
    throw new Error(`${c.source}: ${c.tool} ${c.args.join(' ')}\n  → ${(err as Error).message}`);
  }
}
