#!/usr/bin/env node
/**
 * mcrctl — control a running mcrd over its control socket. Flags match MCR's mcrctl.
 *
 *   mcrctl add --input-interface eth0 --input-group 239.1.1.1 --input-port 5000 --outputs 239.2.2.2:6000:eth1
 *   mcrctl list
 *   mcrctl --json stats
 *   mcrctl --socket /tmp/mcrd.sock remove --rule-id cam1
 *   mcrctl igmp groups; mcrctl mroute; mcrctl subscribe --events igmp
 *
 * Exit codes: 0 ok, 1 request refused, 64 usage, 69 daemon unavailable, 77 permission, 78 bad config.
 */
import { DEFAULT_CONTROL_SOCKET } from '../config/instance.js';
import { toMcrError } from '../errors.js';
import { packageVersion } from '../version.js';
import { EXIT, exitCodeFor, makeCtx, usageError } from './mcrctl/context.js';
import { type Format, parseGlobal } from './mcrctl/global.js';
import { VERBS, findVerb } from './mcrctl/verbs.js';
import { error as mcrError } from '../compat/shapes.js';


const USAGE = `usage: mcrctl [--socket PATH | --instance NAME] [--json | --format table|json|mcr] COMMAND [flags]

commands:
${VERBS.map((v) => `  ${v.name.padEnd(10)} ${v.summary}${v.aliases ? ` (also ${v.aliases.join(', ')})` : ''}`).join('\n')}

options:
  --socket PATH   mcrd's control socket (default ${DEFAULT_CONTROL_SOCKET}; also $MCRD_SOCKET, alias --socket-path)
  --instance NAME the socket of mcrd --instance NAME (/run/mcrd/NAME/control.sock)
  --json          machine-readable output (one JSON object on stdout, errors too)
  --format mcr    MCR's reply shapes ({"Stats":[...]}, {"Success":"..."}, {"Error":"..."}); also MCR_COMPAT=1
  --help          this text; mcrctl COMMAND --help for a command's flags

exit codes: 0 ok, 1 refused by mcrd, 64 usage, 69 mcrd unavailable, 77 permission, 78 bad config`;

async function main(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  let format: Format = argv.includes('--json') ? 'json' : process.env.MCR_COMPAT === '1' ? 'mcr' : 'table';
  try {
    const g = parseGlobal(argv);
    format = g.format;
    if (g.version) { out(`mcrctl ${packageVersion()}`); return EXIT.ok; }
    if (g.verb === undefined) {
      if (g.help) { out(USAGE); return EXIT.ok; }
      throw usageError('missing command; see mcrctl --help');
    }
    const verb = findVerb(g.verb);
    if (!verb) throw usageError(`unknown command ${JSON.stringify(g.verb)}; expected one of ${VERBS.map((v) => v.name).join(', ')}`);
    if (g.help || g.rest.includes('--help') || g.rest.includes('-h')) { out(verb.usage); return EXIT.ok; }
    await verb.run(g.rest, makeCtx(g.socket, g.format, out));
    return EXIT.ok;
  } catch (err) {
    const e = toMcrError(err);
    const wire = (err as { wire?: unknown }).wire ?? e.toWire();
    if ((err as { printed?: boolean }).printed) return exitCodeFor(err);
    if (format === 'json') out(JSON.stringify({ ok: false, error: wire }));
    else if (format === 'mcr') out(JSON.stringify(mcrError(e.message), null, 2));
    else process.stderr.write(`mcrctl: ${e.message}\n`);
    return exitCodeFor(err);
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
