/**
 * MCR's periodic stats lines (`mcrd --log-format mcr`), for scripts that grep MCR's log:
 *
 *   [STATS:Ingress] total: recv=N matched=N egr_sent=N filtered=N no_match=N buf_exhaust=N | interval: +X recv, +Y matched (X/Y pps)
 *   [STATS:Egress] total: sent=N submitted=N ch_recv=N errors=N bytes=N | interval: +X pkts (Y pps)
 *   [STATS:Ingress FINAL] total: recv=N matched=N egr_sent=N filtered=N no_match=N buf_exhaust=N
 *
 * (the format of MCR's developer docs and its test harness's parser). From mcrd's counters: recv =
 * frames read from the RX rings, matched = datagrams of a rule, egr_sent/sent = datagrams sent,
 * filtered = malformed frames (all reasons), no_match = frames no rule wanted, buf_exhaust = ring
 * drops, submitted = ch_recv = sent + send errors (mcrd has no channel between ingress and egress),
 * bytes = UDP payload bytes sent. Tested in compat.test.ts.
 */
import type { EngineCounters } from '../engine/types.js';

export const MCR_STATS_INTERVAL_MS = 10_000;

interface Totals { recv: bigint; matched: bigint; sent: bigint; errors: bigint; bytes: bigint; filtered: bigint; noMatch: bigint; bufExhaust: bigint }

export function totals(c: EngineCounters): Totals {
  const sum = (xs: Iterable<bigint>) => [...xs].reduce((a, b) => a + b, 0n);
  const outs = [...c.outputs.values()];
  return {
    recv: c.global.rxFrames,
    matched: sum([...c.rules.values()].map((r) => r.packets)),
    sent: sum(outs.map((o) => o.packets)),
    errors: sum(outs.map((o) => o.sendErrors)),
    bytes: sum(outs.map((o) => o.bytes)),
    filtered: sum(Object.values(c.global.malformed)),
    noMatch: c.global.unmatched,
    bufExhaust: c.global.ringDrops,
  };
}

const ingressTotals = (t: Totals) => `total: recv=${t.recv} matched=${t.matched} egr_sent=${t.sent} filtered=${t.filtered} no_match=${t.noMatch} buf_exhaust=${t.bufExhaust}`;
const rate = (d: bigint, seconds: number) => (seconds > 0 ? Math.round(Number(d) / seconds) : 0);

/** The two periodic lines for `now`, with the interval since `prev` (`seconds` long). */
export function periodicLines(prev: Totals, now: Totals, seconds: number): string[] {
  const dRecv = now.recv - prev.recv;
  const dMatched = now.matched - prev.matched;
  const dSent = now.sent - prev.sent;
  return [
    `[STATS:Ingress] ${ingressTotals(now)} | interval: +${dRecv} recv, +${dMatched} matched (${rate(dRecv, seconds)}/${rate(dMatched, seconds)} pps)`,
    `[STATS:Egress] total: sent=${now.sent} submitted=${now.sent + now.errors} ch_recv=${now.sent + now.errors} errors=${now.errors} bytes=${now.bytes} | interval: +${dSent} pkts (${rate(dSent, seconds)} pps)`,
  ];
}

export function finalLine(now: Totals): string {
  return `[STATS:Ingress FINAL] ${ingressTotals(now)}`;
}

/** Prints the periodic lines every interval and the FINAL line at stop. */
export class McrStatsLog {
  private timer: NodeJS.Timeout | undefined;
  private prev: { t: Totals; at: number } | undefined;

  constructor(
    private readonly read: () => Promise<EngineCounters>,
    private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
    private readonly intervalMs = MCR_STATS_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => { this.tick().catch(() => {}); }, this.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const t = totals(await this.read());
    const at = Date.now();
    const prev = this.prev ?? { t, at: at - this.intervalMs };
    for (const l of periodicLines(prev.t, t, (at - prev.at) / 1000)) this.write(l);
    this.prev = { t, at };
  }

  /** Stop the timer and print the FINAL line from a last counter read. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.write(finalLine(totals(await this.read())));
  }
}
