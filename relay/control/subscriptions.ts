/**
 * `subscribe` connections: after the ok reply, every matching protocol event goes out as one JSON
 * object per line. The daemon never waits for a subscriber: events are queued on its socket, and a
 * subscriber that lets more than `maxBuffer` bytes pile up unread is dropped with one final error line
 * ({"id":..,"ok":false,"error":{"code":"EBUSY",...}}), so a stuck client costs bounded memory and
 * delays nobody. Tested in server.test.ts.
 */
import type net from 'node:net';
import { McrError } from '../errors.js';
import type { Logger } from '../daemon/log.js';
import type { ProtocolsApi } from './protocols-api.js';
import { type RequestId, errorReply } from './protocol.js';

/** Unread event bytes a subscriber may hold before it is dropped. */
export const SUBSCRIBER_BUFFER_BYTES = 1 << 20;
/**
 * How long a dropped subscriber's final error line waits for the client to read it. A slow client
 * that resumes reading within this time learns why it was dropped; one that never reads costs at
 * most its (bounded) backlog for this long. A second was too short for a client stalled by a busy
 * host, which then saw its stream cut with no reason.
 */
const DROP_GRACE_MS = 30_000;

export function streamEvents(sock: net.Socket, api: ProtocolsApi, events: readonly string[], id: RequestId, log: Logger, maxBuffer: number): void {
  // A quiet subscription is not an idle client.
  sock.setTimeout(0);
  const stop = api.subscribe(events, (ev) => {
    if (sock.destroyed) { stop(); return; }
    if (sock.writableLength > maxBuffer) {
      stop();
      const err = new McrError({ code: 'EBUSY', detail: `subscriber too slow: more than ${maxBuffer} bytes of events unread; dropped (read faster or subscribe to fewer events)` });
      log.warn(err.message);
      sock.end(`${JSON.stringify(errorReply(id, err))}\n`);
      // A client that never reads never lets end() finish: free the socket anyway.
      setTimeout(() => sock.destroy(), DROP_GRACE_MS).unref();
      return;
    }
    sock.write(`${JSON.stringify(ev)}\n`);
  });
  sock.once('close', stop);
}
