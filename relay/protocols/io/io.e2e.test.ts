/**
 * Protocol packet I/O on real sockets: a veth pair in this process's namespace (the sockets are opened
 * here, and Node cannot enter another), ProtoTx sending on one end, ProtoRx receiving on the other. The property checked here is the one the PIM RP depends on: a
 * flood of protocol packets that JS handles more slowly than they arrive must not hold the event loop.
 * (In the test VM, 167 Registers/s at the RP held it for 16 s: no timer, control request or worker
 * message ran, so the route that ends the Registers was applied only after them.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canNetns, sh, skipReason, waitFor } from '../../../test/support/netns.js';
import { openProtoRx, openProtoTx } from './index.js';

const PIM = 103;
const FLOOD = 2000;
/** A handler this slow (busy, as JS would be) takes FLOOD × 1 ms = 2 s for the flood. */
const HANDLER_MS = 1;
const TX = 'mcrpio0';
const RX = 'mcrpio1';

describe.skipIf(!canNetns)(`ProtoRx under a flood${canNetns ? '' : ` (${skipReason})`}`, () => {
  beforeAll(async () => {
    await sh(['ip', 'link', 'del', TX]).catch(() => {});
    await sh(['ip', 'link', 'add', TX, 'type', 'veth', 'peer', 'name', RX]);
    await sh(['ip', 'addr', 'add', '10.77.0.1/32', 'dev', TX]);
    for (const i of [TX, RX]) await sh(['ip', 'link', 'set', i, 'up']);
  });
  afterAll(async () => { await sh(['ip', 'link', 'del', TX]).catch(() => {}); });

  test('timers keep running between batches; every packet is delivered in order or counted as a queue drop', async () => {
    const seen: number[] = [];
    const startedAt = Date.now();
    const rxAt: number[] = [];
    const rx = openProtoRx({
      ipProtos: [PIM],
      onPacket: (p) => {
        if (p.ifname !== RX) return;
        const until = performance.now() + HANDLER_MS;
        while (performance.now() < until) { /* a handler slower than the flood */ }
        seen.push(p.payload[4]! << 8 | p.payload[5]!);
        rxAt.push(p.rxAtMs!);
      },
    });
    const tx = openProtoTx([PIM]);
    let last = performance.now();
    let maxGapMs = 0;
    let c: ReturnType<typeof rx.counters>;
    let sent = 0;
    // The longest gap between ticks of a 10 ms timer while the flood is handled.
    const tick = setInterval(() => { const now = performance.now(); maxGapMs = Math.max(maxGapMs, now - last); last = now; }, 10);
    try {
      rx.enable(RX);
      for (let i = 0; i < FLOOD; i++) {
        // A PIM Hello header with a sequence number after it (nothing here parses it).
        tx.send(TX, '224.0.0.13', PIM, new Uint8Array([0x20, 0, 0, 0, i >> 8, i & 0xff]), { ttl: 1 });
      }
      last = performance.now();
      maxGapMs = 0;
      // Handled: everything the socket read is delivered or dropped, and nothing more is being read.
      let read = -1;
      await waitFor(() => {
        const now = rx.counters();
        const settled = now.received === read && seen.length + now.queueDrops === now.received;
        read = now.received;
        return settled;
      }, 'the flood read and handled', 30_000, 100);
      c = rx.counters();
      sent = tx.counters().sent;
    } finally {
      clearInterval(tick);
      rx.close();
      tx.close();
    }
    const delivered = c.byInterface[RX] ?? 0;
    console.log(`[proto-rx] ${FLOOD} sent, ${delivered} delivered, ${c.queueDrops} queue drops, ${c.received} read in all; longest timer gap ${maxGapMs.toFixed(0)} ms (handler ${HANDLER_MS} ms per packet)`);
    expect(sent).toBe(FLOOD);
    // What the kernel itself dropped (socket buffer) is not this test's business: what was read is.
    expect(seen.length).toBe(delivered);
    expect(delivered + c.queueDrops).toBe(c.received);
    expect(c.received).toBeLessThanOrEqual(FLOOD);
    expect(delivered).toBeGreaterThan(FLOOD / 2);
    expect(seen.every((v, i) => i === 0 || v > seen[i - 1]!)).toBe(true);
    // Each packet carries when the reader took it, on the wall clock (as engine frame times), in order.
    expect(rxAt[0]!).toBeGreaterThanOrEqual(startedAt - 5);
    expect(rxAt.at(-1)!).toBeLessThanOrEqual(Date.now());
    expect(rxAt.every((v, i) => i === 0 || v >= rxAt[i - 1]!)).toBe(true);
    // One batch (16 packets x 1 ms) between ticks, not the whole flood (about 2 s).
    expect(maxGapMs).toBeLessThan(500);
  });
});
