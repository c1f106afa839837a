/**
 * Progress on stderr: one status line rewritten in place on a terminal (a plain line per step
 * otherwise), saying which relay, which test, which rate, elapsed and an estimate of what is left.
 */
export interface ProgressState { relay: string; relayIndex: number; relayCount: number; test: string; detail: string }

export class Progress {
  private readonly started = Date.now();
  private lastLen = 0;
  private readonly tty: boolean;
  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly enabled = true, private readonly estimateS = 0) {
    this.tty = Boolean(out.isTTY);
  }

  update(p: ProgressState): void {
    if (!this.enabled) return;
    const elapsed = (Date.now() - this.started) / 1000;
    const left = this.estimateS > 0 ? `, ~${fmt(Math.max(0, this.estimateS - elapsed))} left` : '';
    const line = `[${p.relayIndex}/${p.relayCount} ${p.relay}] ${p.test}: ${p.detail}  (${fmt(elapsed)} elapsed${left})`;
    if (this.tty) {
      this.out.write(`\r${line.padEnd(this.lastLen)}`);
      this.lastLen = line.length;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** A line that stays (skips, failures, warnings); printed even when the progress line is off. */
  note(text: string): void {
    if (this.enabled && this.tty && this.lastLen > 0) { this.out.write(`\r${' '.repeat(this.lastLen)}\r`); this.lastLen = 0; }
    this.out.write(`${text}\n`);
  }

  done(): void {
    if (this.enabled && this.tty && this.lastLen > 0) this.out.write('\n');
    this.lastLen = 0;
  }
}

function fmt(s: number): string {
  return s >= 90 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** Rough run time: trials × (duration + overhead); a throughput search counts maxSteps trials. */
export function estimateSeconds(tests: Array<{ kind: string; durationS: number; repetitions: number; maxSteps?: number }>, relays: number, settleS: number): number {
  const perRelay = tests.reduce((sum, t) => sum + t.repetitions * (t.kind === 'throughput' ? (t.maxSteps ?? 8) * 1.3 : 1) * (t.durationS + settleS + 0.6), 0);
  return relays * (perRelay + 3);
}
