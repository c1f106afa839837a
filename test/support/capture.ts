/**
 * tcpdump in a namespace, one decoded line per packet with its epoch-ms time, for e2e tests that
 * assert on what went over the wire ("<epoch s> IP a > b: igmp ...", "... PIMv2, length n Register").
 */
import { type ChildProcess, spawn } from 'node:child_process';

export class Capture {
  private readonly child: ChildProcess;
  private buf = '';
  readonly lines: Array<{ at: number; text: string }> = [];

  private constructor(ns: string, ifname: string, filter: string, verbose: boolean, count: number | undefined) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', ifname, '-n', '-l', '-tt', ...(verbose ? ['-vv'] : []), ...(count ? ['-c', String(count)] : []), '-Z', 'root', filter],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString();
      const parts = this.buf.split('\n');
      this.buf = parts.pop()!;
      for (const p of parts) {
        // -vv continues a packet on indented lines: fold them into the packet's line.
        if (/^\s/.test(p) && this.lines.length) this.lines.at(-1)!.text += ` ${p.trim()}`;
        else this.lines.push({ at: Number(p.split(' ')[0]) * 1000, text: p });
      }
    });
  }

  /**
   * Start and wait until tcpdump listens (it says so on stderr). `verbose`: tcpdump -vv (headers,
   * checksums); `count`: tcpdump exits after that many packets (only the first ones of a stream matter).
   */
  static async start(ns: string, ifname: string, filter: string, opts: { verbose?: boolean; count?: number } = {}): Promise<Capture> {
    const c = new Capture(ns, ifname, filter, opts.verbose ?? false, opts.count);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      c.child.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('listening on')) resolve(); });
      c.child.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
    });
    return c;
  }

  /** Lines matching `re` since `sinceMs` (epoch ms). */
  matching(re: RegExp, sinceMs = 0): Array<{ at: number; text: string }> {
    return this.lines.filter((l) => l.at >= sinceMs && re.test(l.text));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await new Promise((r) => this.child.once('exit', r));
  }
}
