import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { NativeLinkEvent } from '../engine/native.js';
import { Debouncer, type LinkEventSource, LinkWatch } from './link-watch.js';
import { type Logger, silentLogger } from './log.js';

/** A hand-driven event source: the test plays the kernel's part. */
class HandSource implements LinkEventSource {
  emit: (events: NativeLinkEvent[]) => void = () => { throw new Error('not started'); };
  started = 0;
  stopped = 0;
  start(onEvents: (events: NativeLinkEvent[]) => void): void { this.started++; this.emit = onEvents; }
  stop(): void { this.stopped++; }
}

const link = (name: string, up = true): NativeLinkEvent => ({ kind: 'link', ifindex: 7, name, removed: false, up, running: up, mtu: 1500 });
const addr = (name: string, address: string): NativeLinkEvent => ({ kind: 'addr', ifindex: 7, name, removed: false, address, prefixLength: 24 });

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string) => { lines.push(`${level} ${msg}`); };
  return { level: 'debug', error: rec('error'), warn: rec('warn'), info: rec('info'), debug: rec('debug'), lines };
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('Debouncer', () => {
  test('a burst of pokes fires once, quietMs after the last, with every reason', () => {
    const fired: string[] = [];
    const d = new Debouncer((why) => fired.push(why), 75, 500);
    d.poke('link r1');
    vi.advanceTimersByTime(50);
    d.poke('address on r1');
    vi.advanceTimersByTime(50);
    d.poke('link r1');
    vi.advanceTimersByTime(74);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['link r1, address on r1']);
    vi.advanceTimersByTime(1000);
    expect(fired).toHaveLength(1);
  });

  test('a steady stream still fires every maxDelayMs', () => {
    const fired: number[] = [];
    const d = new Debouncer(() => fired.push(Date.now()), 75, 500);
    const t0 = Date.now();
    for (let t = 0; t < 1200; t += 50) { d.poke('flap'); vi.advanceTimersByTime(50); }
    expect(fired.map((t) => t - t0)).toEqual([500, 1000]);
  });

  test('cancel drops a pending fire', () => {
    const fired: string[] = [];
    const d = new Debouncer((why) => fired.push(why), 75, 500);
    d.poke('x');
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
  });
});

describe('LinkWatch', () => {
  test('events from the source become one debounced onChange; the slow resync still runs', () => {
    const src = new HandSource();
    const why: string[] = [];
    const w = new LinkWatch({ log: silentLogger(), onChange: (y) => why.push(y), source: src, debounceMs: 75, resyncMs: 30_000 });
    w.start();
    vi.advanceTimersByTime(80);
    expect(why).toEqual(['watch started']);
    src.emit([link('r1', false), addr('r1', '10.2.0.1')]);
    src.emit([link('r1', true)]);
    vi.advanceTimersByTime(80);
    expect(why).toEqual(['watch started', 'link r1, address on r1']);
    vi.advanceTimersByTime(30_000);
    expect(why).toEqual(['watch started', 'link r1, address on r1', 'periodic resync']);
    w.stop();
    expect(src.stopped).toBe(1);
  });

  test('an overrun is logged and triggers a refresh like any change', () => {
    const src = new HandSource();
    const log = recordingLog();
    const why: string[] = [];
    const w = new LinkWatch({ log, onChange: (y) => why.push(y), source: src });
    w.start();
    vi.advanceTimersByTime(100);
    why.length = 0;
    src.emit([{ kind: 'resync' }]);
    vi.advanceTimersByTime(100);
    expect(why).toEqual(['netlink overrun']);
    expect(log.lines).toContain('warn netlink notifications were lost; re-reading all interfaces');
    w.stop();
  });

  test('a failed watcher falls back to polling, loudly', () => {
    const src = new HandSource();
    const log = recordingLog();
    const why: string[] = [];
    const w = new LinkWatch({ log, onChange: (y) => why.push(y), source: src, fallbackPollMs: 1000 });
    w.start();
    vi.advanceTimersByTime(100);
    why.length = 0;
    src.emit([{ kind: 'error', errno: 9, code: 'EBADF' }]);
    expect(src.stopped).toBe(1);
    expect(log.lines.some((l) => l.startsWith('error netlink watcher failed (EBADF); polling interfaces every 1000 ms'))).toBe(true);
    vi.advanceTimersByTime(3000);
    expect(why).toEqual(['netlink watcher failed', 'poll', 'poll', 'poll']);
    w.stop();
    vi.advanceTimersByTime(3000);
    expect(why).toHaveLength(4);
  });

  test('a source that cannot start means polling, and start() does not throw', () => {
    const log = recordingLog();
    const why: string[] = [];
    const broken: LinkEventSource = { start() { throw new Error('socket(NETLINK_ROUTE): EPERM'); }, stop() {} };
    const w = new LinkWatch({ log, onChange: (y) => why.push(y), source: broken, fallbackPollMs: 500 });
    expect(() => w.start()).not.toThrow();
    vi.advanceTimersByTime(1000);
    expect(why).toEqual(['poll', 'poll']);
    expect(log.lines[0]).toMatch(/^error cannot follow interfaces through netlink: socket\(NETLINK_ROUTE\): EPERM/);
    w.stop();
  });

  test('nothing reaches onChange after stop, even events already queued', () => {
    const src = new HandSource();
    const why: string[] = [];
    const w = new LinkWatch({ log: silentLogger(), onChange: (y) => why.push(y), source: src });
    w.start();
    src.emit([link('r1')]);
    w.stop();
    src.emit([link('r2')]);
    vi.advanceTimersByTime(60_000);
    expect(why).toEqual([]);
  });
});
