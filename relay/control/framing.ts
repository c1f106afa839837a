/**
 * NDJSON framing for the control socket: bytes in, complete lines out, with a size limit that
 * cannot be used to make the daemon buffer without bound. An over-long line is reported once, its
 * bytes are discarded up to the next newline, and the connection carries on after it.
 * Tested in framing.test.ts.
 */

export const MAX_LINE_BYTES = 64 * 1024;

export type FrameEvent = { kind: 'line'; text: string } | { kind: 'oversize'; limit: number };

export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  private discarding = false;

  constructor(private readonly limit = MAX_LINE_BYTES) {}

  /** Feed a chunk; returns the lines it completed (and oversize notices), in order. */
  push(chunk: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.discarding) {
        if (nl === -1) return out;
        this.discarding = false;
      } else if (this.pending + (end - start) > this.limit) {
        this.parts = [];
        this.pending = 0;
        out.push({ kind: 'oversize', limit: this.limit });
        if (nl === -1) { this.discarding = true; return out; }
      } else if (nl === -1) {
        if (end > start) { this.parts.push(chunk.subarray(start, end)); this.pending += end - start; }
        return out;
      } else {
        this.parts.push(chunk.subarray(start, end));
        const text = Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '');
        this.parts = [];
        this.pending = 0;
        if (text.trim() !== '') out.push({ kind: 'line', text });
      }
      start = nl + 1;
    }
  }

  /** At end of input: the unterminated last line, if any (MCR's client sends one request without a newline). */
  flush(): FrameEvent[] {
    const text = Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '');
    const wasDiscarding = this.discarding;
    this.parts = [];
    this.pending = 0;
    this.discarding = false;
    return wasDiscarding || text.trim() === '' ? [] : [{ kind: 'line', text }];
  }
}
