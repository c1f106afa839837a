/**
 * Client side of `subscribe`: connect, send one subscribe request, then hand every event line to
 * `onEvent` until the connection ends. Resolves when mcrd closes the stream (or rejects with its
 * error, e.g. EBUSY for a subscriber that fell too far behind). Used by mcrctl subscribe and tests.
 */
import type { McrErrorCode } from '../errors.js';
import { McrError } from '../errors.js';
import { ControlClient } from './client.js';
import { LineSplitter } from './framing.js';
import type { Reply } from './protocol.js';

export async function followEvents(socket: string, events: string[], onEvent: (e: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void> {
  const { sock } = await ControlClient.connectRaw(socket);
  return new Promise<void>((resolve, reject) => {
    const splitter = new LineSplitter(16 * 1024 * 1024);
    let replied = false;
    const fail = (wire: { code: string; message: string }) => reject(Object.assign(new McrError({ code: wire.code as McrErrorCode, detail: wire.message }), { wire }));
    signal?.addEventListener('abort', () => { sock.destroy(); resolve(); }, { once: true });
    sock.on('data', (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) {
        if (ev.kind !== 'line') continue;
        const msg = JSON.parse(ev.text) as Record<string, unknown>;
        if (!replied || ('ok' in msg && 'id' in msg)) {
          replied = true;
          const r = msg as unknown as Reply;
          if (!r.ok) { sock.destroy(); fail(r.error); return; }
          continue;
        }
        onEvent(msg);
      }
    });
    sock.on('close', () => resolve());
    sock.on('error', () => {});
    sock.write(`${JSON.stringify({ id: 1, cmd: 'subscribe', events })}\n`);
  });
}
