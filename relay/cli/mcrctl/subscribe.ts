/**
 * mcrctl subscribe --events igmp[,pim-neighbor,...] — follow protocol events as they happen: one line
 * per event (`--json`: the NDJSON objects exactly as mcrd sends them). Runs until interrupted or mcrd
 * ends the stream; a subscriber too slow to keep up is dropped by mcrd with an EBUSY error (exit 1).
 */
import { followEvents } from '../../control/event-stream.js';
import { type Verb, usageError, verbFlags } from './context.js';

const SKIP = new Set(['type', 'at']);

export function renderEvent(e: Record<string, unknown>): string {
  const rest = Object.entries(e).filter(([k, v]) => !SKIP.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return `${String(e.at ?? '')} ${String(e.type)} ${rest}`.trim();
}

export const subscribe: Verb = {
  name: 'subscribe',
  summary: 'follow protocol events (igmp, igmp-join, pim-neighbor, ...)',
  usage: `usage: mcrctl subscribe --events TYPE[,TYPE...]

  TYPE is an event type or a prefix: igmp (igmp-join, igmp-leave, igmp-expire, igmp-querier),
  pim, pim-neighbor, ...; all for everything. --json prints each event as mcrd sends it (NDJSON).

  mcrctl subscribe --events igmp
  mcrctl --json subscribe --events igmp-join,igmp-leave | jq .group`,
  async run(argv, ctx) {
    const { values } = verbFlags('subscribe', argv, ['events']);
    if (!values.events) throw usageError('missing --events TYPE[,TYPE...]; see mcrctl subscribe --help');
    const events = values.events.split(',').map((s) => s.trim()).filter(Boolean);
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    await followEvents(ctx.socket, events, (e) => ctx.out(ctx.json ? JSON.stringify(e) : renderEvent(e)), ac.signal);
  },
};
