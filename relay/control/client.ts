/**
 * Control-socket client (mcrctl, tests): connect, send requests, match replies by id.
 * Connection failures become advice, as smcroutectl does: no socket → "mcrd not running? no socket
 * at PATH"; EACCES → "needs group G or root" (G: the socket's group); a refused connect is retried briefly first, since
 * mcrd may be restarting. Tested in server.test.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { McrError, type McrErrorCode } from '../errors.js';
import { LineSplitter } from './framing.js';
import type { Reply } from './protocol.js';

export interface ClientOptions {
  /** Total time to keep retrying a refused connect. */
  retryMs?: number;
  /** Per-request reply deadline. */
  timeoutMs?: number;
}

export class ControlClient {
  private nextId = 1;
  private readonly waiting = new Map<string, (r: Reply) => void>();
  private closedError: McrError | undefined;

  private constructor(private readonly sock: net.Socket, private readonly path: string, private readonly timeoutMs: number) {
    const splitter = new LineSplitter(16 * 1024 * 1024);
    sock.on('data', (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) {
        if (ev.kind !== 'line') continue;
        const r = JSON.parse(ev.text) as Reply;
        const w = this.waiting.get(String(r.id));
        if (w) { this.waiting.delete(String(r.id)); w(r); }
      }
    });
    const fail = () => {
      this.closedError = new McrError({ code: 'EUNAVAIL', source: path, detail: 'mcrd closed the connection' });
      for (const w of this.waiting.values()) w({ id: null, ok: false, error: this.closedError.toWire() });
      this.waiting.clear();
    };
    sock.on('close', fail);
    sock.on('error', () => {});
  }

  /** Connect to the daemon at `path`; throws McrError (EUNAVAIL or EACCES) with advice. */
  static async connect(path: string, opts: ClientOptions = {}): Promise<ControlClient> {
    const deadline = Date.now() + (opts.retryMs ?? 1500);
    for (;;) {
      try {
        const sock = await connectOnce(path);
        return new ControlClient(sock, path, opts.timeoutMs ?? 10_000);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'ECONNREFUSED' || code === 'EAGAIN') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        throw connectError(path, code, err as Error);
      }
    }
  }

  /** Connect with the same retries and advice, for a caller that reads the stream itself (event-stream.ts). */
  static async connectRaw(path: string, opts: ClientOptions = {}): Promise<{ sock: net.Socket }> {
    const c = await ControlClient.connect(path, opts);
    c.sock.removeAllListeners('data');
    c.sock.removeAllListeners('close');
    return { sock: c.sock };
  }

  /** Send one raw request object and wait for its reply (ok or not). */
  send(req: Record<string, unknown> & { cmd: string }): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(String(id));
        reject(new McrError({ code: 'EUNAVAIL', source: this.path, detail: `no reply to ${req.cmd} within ${this.timeoutMs} ms; is mcrd stuck?` }));
      }, this.timeoutMs);
      this.waiting.set(String(id), (r) => { clearTimeout(timer); resolve(r); });
      this.sock.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  /** Send a command; resolves with `result`, rejects with the daemon's error as an McrError. */
  async request<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const r = await this.send({ ...args, cmd });
    if (r.ok) return r.result as T;
    const e = new McrError({ code: r.error.code as McrErrorCode, detail: r.error.message });
    throw Object.assign(e, { wire: r.error });
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }
}

function connectOnce(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  });
}

function connectError(path: string, code: string | undefined, err: Error): McrError {
  switch (code) {
    case 'ENOENT':
      return new McrError({ code: 'EUNAVAIL', detail: `mcrd not running? no socket at ${path}` });
    case 'EACCES':
    case 'EPERM':
      return new McrError({ code: 'EACCES', detail: `permission denied on ${path}: needs ${socketGroupName(path)} or root` });
    case 'ECONNREFUSED':
      return new McrError({ code: 'EUNAVAIL', detail: `mcrd not running (connection refused at ${path})` });
    default:
      return new McrError({ code: 'EUNAVAIL', detail: `cannot connect to ${path}: ${err.message}` });
  }
}

/** One-shot convenience: connect, request, close. */
export async function requestOnce<T = unknown>(path: string, cmd: string, args: Record<string, unknown> = {}, opts: ClientOptions = {}): Promise<T> {
  const c = await ControlClient.connect(path, opts);
  try {
    return await c.request<T>(cmd, args);
  } finally {
    c.close();
  }
}

/** Names the group that owns the socket, since that (not always "mcrd") is what grants access. */
function socketGroupName(path: string): string {
  try {
    const gid = statSync(path).gid;
    const line = readGroupFile().find((l) => l.split(':')[2] === String(gid));
    return `group ${line?.split(':')[0] ?? gid} (the socket's group)`;
  } catch {
    // The socket's directory is usually closed to outsiders too, so the default group is the best advice.
    return 'group mcrd (or the one given to mcrd --socket-group)';
  }
}

function readGroupFile(): string[] {
  try {
    return readFileSync('/etc/group', 'utf8').split('\n');
  } catch {
    return [];
  }
}
