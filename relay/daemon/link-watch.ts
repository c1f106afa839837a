/**
 * Follows interfaces through rtnetlink (native NetlinkWatch, its own thread) and tells the daemon
 * when to look again: onChange is called a little after link or address changes, debounced, because
 * one `ip link add` or `ip addr replace` produces a burst of several messages and one refresh after
 * the burst sees the final state. The rule service then re-reads the interfaces itself (a netlink
 * dump), so a lost or reordered event can delay a refresh but never make it wrong.
 *
 *   const w = new LinkWatch({ log, onChange: (why) => rules.refresh() });
 *   w.start();  ...  w.stop();
 *
 * Tested in link-watch.test.ts (debounce, resync, fallback) and relay/e2e/interfaces.e2e.test.ts.
 */
import type { NativeLinkEvent } from '../engine/native.js';
import { loadNative } from '../engine/native.js';
import type { Logger } from './log.js';

/** Where events come from: the native watcher, or a test's hand. */
export interface LinkEventSource {
  start(onEvents: (events: NativeLinkEvent[]) => void): void;
  stop(): void;
}

export interface LinkWatchOptions {
  log: Logger;
  /** Called after changes (debounced) and on every safety-net resync; `why` is for the log. */
  onChange: (why: string) => void;
  /** Quiet time after the last event before onChange (default 75 ms). */
  debounceMs?: number;
  /** A steady stream of events still gets onChange at least this often (default 500 ms). */
  maxDelayMs?: number;
  /** Safety-net resync period (default 30 s). */
  resyncMs?: number;
  /** Poll period used when netlink cannot be followed at all (default 1 s, as before netlink). */
  fallbackPollMs?: number;
  source?: LinkEventSource;
}

/**
 * Trailing debounce with a cap: each poke() restarts a `quietMs` timer, but fire() runs no later than
 * `maxDelayMs` after the first poke of a burst, so a flapping link cannot postpone it forever.
 */
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private burstStart = 0;
  private reasons = new Set<string>();

  constructor(private readonly fire: (why: string) => void, private readonly quietMs: number, private readonly maxDelayMs: number) {}

  poke(why: string): void {
    const now = Date.now();
    if (this.timer === undefined) this.burstStart = now;
    else clearTimeout(this.timer);
    this.reasons.add(why);
    const wait = Math.max(0, Math.min(this.quietMs, this.burstStart + this.maxDelayMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const why = [...this.reasons].join(', ');
      this.reasons.clear();
      this.fire(why);
    }, wait);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.reasons.clear();
  }
}

export class LinkWatch {
  private readonly debouncer: Debouncer;
  private resync: NodeJS.Timeout | undefined;
  private source: LinkEventSource | undefined;
  private stopped = false;

  constructor(private readonly o: LinkWatchOptions) {
    this.debouncer = new Debouncer((why) => { if (!this.stopped) o.onChange(why); }, o.debounceMs ?? 75, o.maxDelayMs ?? 500);
  }

  /** Start following; never throws: without netlink it falls back to polling (logged). */
  start(): void {
    this.stopped = false;
    try {
      const source = this.o.source ?? nativeSource();
      source.start((events) => this.onEvents(events));
      this.source = source;
      // Netlink is the trigger; this slow resync is the safety net for what it cannot promise: the
      // kernel drops notifications under memory pressure (reported as ENOBUFS, but a batch can also be
      // dropped on the way to JS when the event loop is stalled), and the watcher thread can die.
      // Everything is re-read on each refresh, so a resync costs one netlink dump when nothing changed.
      this.every(this.o.resyncMs ?? 30_000, 'periodic resync');
      // Whatever changed between the caller's last read and the subscription is caught by one look now.
      this.debouncer.poke('watch started');
    } catch (err) {
      this.pollInstead(`cannot follow interfaces through netlink: ${(err as Error).message}`);
    }
  }

  stop(): void {
    this.stopped = true;
    this.debouncer.cancel();
    if (this.resync) clearInterval(this.resync);
    this.resync = undefined;
    const s = this.source;
    this.source = undefined;
    s?.stop();
  }

  private onEvents(events: NativeLinkEvent[]): void {
    if (this.stopped) return;
    for (const e of events) {
      if (e.kind === 'error') {
        this.source?.stop();
        this.source = undefined;
        this.pollInstead(`netlink watcher failed (${e.code})`);
        this.debouncer.poke('netlink watcher failed');
        return;
      }
      if (e.kind === 'resync') {
        this.o.log.warn('netlink notifications were lost; re-reading all interfaces');
        this.debouncer.poke('netlink overrun');
        continue;
      }
      this.o.log.debug(e.kind === 'link' ? 'netlink link' : 'netlink address', e.kind === 'link'
        ? { interface: e.name, ifindex: e.ifindex, removed: e.removed, up: e.up, running: e.running, mtu: e.mtu }
        : { interface: e.name, ifindex: e.ifindex, removed: e.removed, address: `${e.address}/${e.prefixLength}` });
      this.debouncer.poke(e.kind === 'link' ? `link ${e.name || e.ifindex}` : `address on ${e.name || e.ifindex}`);
    }
  }

  private pollInstead(why: string): void {
    const ms = this.o.fallbackPollMs ?? 1000;
    this.o.log.error(`${why}; polling interfaces every ${ms} ms instead`);
    this.every(ms, 'poll');
  }

  private every(ms: number, why: string): void {
    if (this.resync) clearInterval(this.resync);
    this.resync = setInterval(() => { if (!this.stopped) this.o.onChange(why); }, ms);
    this.resync.unref();
  }
}

function nativeSource(): LinkEventSource {
  const { NetlinkWatch } = loadNative();
  return new NetlinkWatch();
}
