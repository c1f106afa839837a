/**
 * The control-socket server: NDJSON over a Unix socket, mode 0660 so the socket's group (mcrd)
 * may use it. Requests on one connection are answered in order; connections are independent, so a
 * slow client delays only itself. A line that is not a request gets an error reply and the
 * connection stays open. A client that half-closes (`… | socat - UNIX-CONNECT:…`, or MCR's mcrctl,
 * which sends one request without a newline and reads to EOF) gets a reply to every request it
 * sent before the daemon closes its side. MCR-shaped requests are answered in MCR's shapes
 * (relay/compat/wire.ts). Tested against a real socket in server.test.ts.
 */
import { chmod, chown, readFile, unlink } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { McrError, toMcrError } from '../errors.js';
import type { Logger } from '../daemon/log.js';
import type { ControlApi } from './api.js';
import { answerMcr, parseMcrRequest } from '../compat/wire.js';
import { dispatch } from './dispatch.js';
import { type FrameEvent, LineSplitter, MAX_LINE_BYTES } from './framing.js';
import { type Reply, errorReply, errorRequestId, okReply, parseRequest } from './protocol.js';
import { SUBSCRIBER_BUFFER_BYTES, streamEvents } from './subscriptions.js';

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/** Connections beyond this get one EBUSY reply and are closed, so a client loop cannot exhaust fds. */
export const MAX_CONNECTIONS = 64;
/** A connection silent this long is closed, so half-open or forgotten clients free their slot. */
export const IDLE_TIMEOUT_MS = 60_000;

export interface ControlServerOptions {
  /** Longest request line in bytes (default 64 KiB). */
  maxLine?: number;
  /** Group (name or gid) to own the socket. */
  group?: string;
  /** Close a connection silent this long (default 60 s). */
  idleMs?: number;
  /** Concurrent connections served (default 64). */
  maxConnections?: number;
  /** Called once per reply: the request's cmd (undefined if the line was no request) and `ok` or the error code. */
  onReply?: (cmd: string | undefined, result: string) => void;
  /** Unread event bytes a `subscribe` connection may hold before it is dropped (default 1 MiB). */
  subscriberBufferBytes?: number;
}

/**
 * Listen on `path` (mode 0660, optionally chowned to `opts.group`); replaces a stale socket file only
 * when nothing answers on it. Throws McrError if another mcrd answers there or the path is unusable.
 */
export async function startControlServer(path: string, api: ControlApi, log: Logger, opts: ControlServerOptions = {}): Promise<ControlServer> {
  const { maxLine = MAX_LINE_BYTES, group, idleMs = IDLE_TIMEOUT_MS, maxConnections = MAX_CONNECTIONS, onReply, subscriberBufferBytes = SUBSCRIBER_BUFFER_BYTES } = opts;
  const conns = new Set<net.Socket>();
  // allowHalfOpen: a client's FIN ends its requests, not our replies (see serveConnection).
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    if (conns.size >= maxConnections) {
      const err = new McrError({ code: 'EBUSY', source: path, detail: `more than ${maxConnections} control connections open; try again` });
      log.warn(err.message);
      onReply?.(undefined, 'EBUSY');
      sock.end(`${JSON.stringify(errorReply(null, err))}\n`);
      sock.on('error', () => {});
      return;
    }
    serveConnection(sock, api, log, { maxLine, idleMs, onReply, subscriberBufferBytes }, conns);
  });
  // 0755: reaching the socket needs search permission on its directory; the socket itself is 0660.
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new McrError({ code: 'EACCES', source: path, detail: `cannot create the control socket's directory (${(err as NodeJS.ErrnoException).code})`, hint: 'run as root or pass --control-socket PATH' });
  }
  await listenReplacingStale(server, path);
  try {
    await chmod(path, 0o660);
    if (group !== undefined) await chown(path, -1, await groupId(group));
  } catch (err) {
    server.close();
    throw err;
  }
  log.info('control socket listening', { path });
  return {
    path,
    close: () => new Promise<void>((resolve) => {
      for (const c of conns) c.destroy();
      server.close(() => resolve());
      // server.close unlinks the socket file itself; unlink again in case it was left.
      unlink(path).catch(() => {});
    }),
  };
}

async function listenReplacingStale(server: net.Server, path: string): Promise<void> {
  const listen = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => { server.off('error', reject); resolve(); });
  });
  try {
    await listen();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
      throw new McrError({ code: 'EIO', source: path, detail: `cannot listen on control socket: ${(err as Error).message}` });
    }
    if (await answers(path)) {
      throw new McrError({ code: 'EIO', source: path, detail: 'another mcrd is already answering on this control socket; stop it or use --control-socket' });
    }
    await unlink(path);
    await listen();
  }
}

/** Numeric gid of a group name (or a number as text), from /etc/group. */
async function groupId(name: string): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name);
  const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.split(':')[0] === name);
  const gid = line?.split(':')[2];
  if (gid === undefined) throw new McrError({ code: 'EINVAL', source: '--socket-group', detail: `no group "${name}" in /etc/group` });
  return Number(gid);
}

/** True if something accepts connections on the socket file. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

interface ConnOptions { maxLine: number; idleMs: number; onReply: ControlServerOptions['onReply']; subscriberBufferBytes: number }

function serveConnection(sock: net.Socket, api: ControlApi, log: Logger, o: ConnOptions, conns: Set<net.Socket>): void {
  const { maxLine, idleMs } = o;
  conns.add(sock);
  sock.setTimeout(idleMs, () => {
    log.debug('closing idle control connection');
    sock.destroy();
  });
  const splitter = new LineSplitter(maxLine);
  let lineNo = 0;
  // Replies go out in request order even when a command awaits the workers.
  let chain = Promise.resolve();
  // A client that sends without reading must not make the daemon buffer replies without bound:
  // stop reading its requests until it has drained what it was sent.
  let draining = false;
  const send = (line: string) => {
    if (sock.destroyed) return;
    if (!sock.write(`${line}\n`) && !draining) {
      draining = true;
      sock.pause();
      sock.once('drain', () => { draining = false; sock.resume(); });
    }
  };
  const onLine = (ev: FrameEvent) => {
    lineNo++;
    const n = lineNo;
    if (ev.kind === 'oversize') {
      const err = new McrError({ code: 'EMSGSIZE', source: `line ${n}`, detail: `request longer than ${ev.limit} bytes, discarded up to the next newline` });
      log.warn(err.message);
      chain = chain.then(() => { o.onReply?.(undefined, err.code); send(JSON.stringify(errorReply(null, err))); });
      return;
    }
    chain = chain.then(() => handleLine(ev.text, n, api, log)).then(({ cmd, result, line, reply }) => {
      o.onReply?.(cmd, result);
      send(line);
      if (cmd === 'subscribe' && reply?.ok && api.protocols) {
        streamEvents(sock, api.protocols, (reply.result as { events: string[] }).events, reply.id, log, o.subscriberBufferBytes);
      }
    });
  };

  sock.on('data', (chunk: Buffer) => { for (const ev of splitter.push(chunk)) onLine(ev); });
  // The client is done sending: answer what it sent (an unterminated last line too), then close.
  sock.on('end', () => {
    for (const ev of splitter.flush()) onLine(ev);
    chain = chain.then(() => { sock.end(); });
  });
  sock.on('error', (err) => log.debug('control connection error', { error: err.message }));
  sock.on('close', () => conns.delete(sock));
}

/** One request line → the reply line, plus what the request counter records (cmd, ok or the error code). */
async function handleLine(text: string, lineNo: number, api: ControlApi, log: Logger): Promise<{ cmd: string | undefined; result: string; line: string; reply?: Reply }> {
  const mcr = parseMcrRequest(text);
  if (mcr) {
    log.debug('control request (MCR)', { request: mcr.name });
    const r = await answerMcr(mcr, api);
    if ('Error' in r) log.warn(`${mcr.name}: ${String(r.Error)}`);
    return { cmd: `mcr:${mcr.name}`, result: 'Error' in r ? 'EMCR' : 'ok', line: JSON.stringify(r) };
  }
  const { cmd, reply } = await handleRequest(text, lineNo, api, log);
  return { cmd, result: reply.ok ? 'ok' : reply.error.code, line: JSON.stringify(reply), reply };
}

async function handleRequest(text: string, lineNo: number, api: ControlApi, log: Logger): Promise<{ cmd: string | undefined; reply: Reply }> {
  let id = null as Reply['id'];
  let cmd: string | undefined;
  try {
    const req = parseRequest(text, lineNo);
    id = req.id;
    cmd = req.cmd;
    log.debug('control request', { id: req.id, cmd: req.cmd });
    return { cmd, reply: okReply(id, await dispatch(req, api, lineNo)) };
  } catch (e) {
    const err = toMcrError(e);
    if (id === null) id = errorRequestId(e);
    // The daemon logs exactly the text it sends back.
    log.warn(err.message);
    return { cmd, reply: errorReply(id, err) };
  }
}
