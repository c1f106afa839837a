/**
 * Protocol packet I/O for the protocol plane (IGMP = 2, PIM = 103): the typed facade over the native
 * ProtoRx / ProtoTx of native/engine/core/proto_rx.cc and proto_tx.cc (contract:
 * work/briefs/protocol-contract.md, "Protocol I/O API").
 *
 *   const rx = openProtoRx({ ipProtos: [2], onPacket: (p) => igmp.receive(p) });   // while privileged
 *   rx.enable('eth1');             // ALLMULTI on eth1; packets of other interfaces are counted, ignored
 *   const tx = openProtoTx([2]);
 *   tx.send('eth1', '224.0.0.1', 2, query, { routerAlert: true });                // TTL 1 by default
 *   ...  rx.counters(); tx.counters();  rx.close(); tx.close();
 *
 * RX: one unbound AF_PACKET socket (so it outlives interfaces that come and go) with a classic BPF filter
 * on the IP protocol; a native reader thread checks the IPv4 header (version, IHL, checksum, total length,
 * fragments, options) and queues packets into a bounded ring; JS drains it on the event loop, one batch
 * per turn, so timers and I/O run between batches however long a flood lasts. A flood costs at most the
 * ring (4096 packets) and shows up as `queueDrops`.
 * TX: one raw IP socket per protocol (the kernel builds the IP header); interface and source address per
 * send through IP_PKTINFO, TTL and Router Alert per send through IP_TTL / IP_RETOPTS control messages.
 * Tests: io.e2e.test.ts (a flood against a slow handler on a veth pair), native/test/test_proto.cc (the
 * reader's checks and ring); the IGMP and PIM e2e tests use both sides throughout.
 */
import type { ProtoTx, RxPacket, TxOptions } from '../types.js';
import { loadNative, type NativeProtoPacket, type NativeProtoRx, type NativeProtoTx } from '../../engine/native.js';

export interface ProtoRxCounters {
  /** Packets the socket read (passed the in-kernel protocol filter), any interface. */
  received: number;
  /** Packets handed to onPacket. */
  delivered: number;
  /** Valid packets dropped because JS had not drained the queue (bounded: 4096 packets). */
  queueDrops: number;
  /** Dropped by reason: badIpVersion, badIhl, truncated, badIpChecksum, badIpTotalLength, fragment, badOptions. */
  malformed: Record<string, number>;
  /** Packets delivered, by interface name. */
  byInterface: Record<string, number>;
  /** Packets that arrived on an interface not enabled (counted, never delivered). */
  notEnabled: number;
  /** onPacket threw (the error goes to opts.onError, or is rethrown asynchronously). */
  handlerErrors: number;
}

export interface ProtoRx {
  /** Start receiving on this interface (ALLMULTI membership on it); idempotent. Throws (code ENODEV) if it does not exist. */
  enable(ifname: string): void;
  disable(ifname: string): void;
  counters(): ProtoRxCounters;
  close(): void;
}

export interface ProtoRxOptions {
  ipProtos: number[];
  onPacket(pkt: RxPacket): void;
  /** Called when onPacket throws; default: rethrown outside the receive loop (an uncaught exception). */
  onError?(err: unknown, pkt: RxPacket): void;
}

/** A protocol socket setup call failed (socket(), setsockopt(), PACKET_ADD_MEMBERSHIP), e.g. enable() of a missing interface. */
export class ProtoIoError extends Error {
  readonly code: string;
  readonly syscall?: string;
  readonly iface?: string;
  readonly hint?: string;
  constructor(message: string, fields: { code: string; syscall?: string; iface?: string; hint?: string }) {
    super(message);
    this.name = 'ProtoIoError';
    this.code = fields.code;
    if (fields.syscall !== undefined) this.syscall = fields.syscall;
    if (fields.iface !== undefined) this.iface = fields.iface;
    if (fields.hint !== undefined) this.hint = fields.hint;
  }
}

function rethrow(err: unknown): never {
  const e = err as Error & { code?: string; syscall?: string; iface?: string; hint?: string };
  if (typeof e?.code === 'string' && typeof e.syscall === 'string')
    throw new ProtoIoError(e.message, { code: e.code, syscall: e.syscall, ...(e.iface ? { iface: e.iface } : {}), ...(e.hint ? { hint: e.hint } : {}) });
  throw err;
}

function checkProtos(where: string, ipProtos: unknown): number[] {
  if (!Array.isArray(ipProtos) || ipProtos.length === 0 || ipProtos.length > 8 ||
      !ipProtos.every((p) => Number.isInteger(p) && p >= 1 && p <= 254))
    throw new TypeError(`${where}: ipProtos must be 1 to 8 IP protocol numbers 1..254 (e.g. [2] for IGMP, [103] for PIM), got ${JSON.stringify(ipProtos)}`);
  return [...new Set(ipProtos as number[])];
}

function checkIfname(where: string, ifname: unknown): string {
  if (typeof ifname !== 'string' || ifname.length === 0 || ifname.length > 15)
    throw new TypeError(`${where}: ifname must be an interface name of 1..15 characters, got ${JSON.stringify(ifname)}`);
  return ifname;
}

/** One AF_PACKET socket for all interfaces (opened while privileged; enable/disable need no capability). */
export function openProtoRx(opts: ProtoRxOptions): ProtoRx {
  const ipProtos = checkProtos('openProtoRx', opts?.ipProtos);
  if (typeof opts.onPacket !== 'function') throw new TypeError('openProtoRx: onPacket must be a function');
  const native = loadNative();
  let handle: NativeProtoRx;
  try {
    handle = new native.NativeProtoRx(ipProtos);
  } catch (err) {
    rethrow(err);
  }
  const names = new Map<number, string>(); // enabled ifindex -> name
  const byInterface: Record<string, number> = {};
  let delivered = 0;
  let handlerErrors = 0;
  let closed = false;

  const onBatch = (pkts: NativeProtoPacket[], more: boolean): void => {
    // Scheduled first, so that a handler that throws cannot stall the queue.
    if (more) setImmediate(() => { if (!closed) handle.resume(); });
    for (const p of pkts) {
      const ifname = names.get(p.ifindex);
      if (ifname === undefined) continue; // disabled while it sat in the queue
      const pkt: RxPacket = { ifname, src: p.src, dst: p.dst, ttl: p.ttl, routerAlert: p.routerAlert, ipProto: p.ipProto, payload: p.payload, rxAtMs: p.rxAtMs };
      delivered++;
      byInterface[ifname] = (byInterface[ifname] ?? 0) + 1;
      try {
        opts.onPacket(pkt);
      } catch (err) {
        handlerErrors++;
        if (opts.onError) opts.onError(err, pkt);
        else queueMicrotask(() => { throw err; });
      }
    }
  };
  try {
    handle.start(onBatch);
  } catch (err) {
    handle.close();
    rethrow(err);
  }

  return {
    enable(ifname) {
      checkIfname('ProtoRx.enable', ifname);
      if (closed) throw new Error('ProtoRx.enable: the socket is closed');
      let ifindex: number;
      try {
        ifindex = handle.enable(ifname);
      } catch (err) {
        rethrow(err);
      }
      for (const [ix, name] of names) if (name === ifname && ix !== ifindex) names.delete(ix); // re-created interface
      names.set(ifindex, ifname);
    },
    disable(ifname) {
      checkIfname('ProtoRx.disable', ifname);
      for (const [ix, name] of names) {
        if (name !== ifname) continue;
        names.delete(ix);
        if (!closed) handle.disable(ix);
      }
    },
    counters() {
      const c = handle.counters();
      return { received: c.received, delivered, queueDrops: c.queueDrops, malformed: c.malformed, byInterface: { ...byInterface }, notEnabled: c.notEnabled, handlerErrors };
    },
    close() {
      if (closed) return;
      closed = true;
      names.clear();
      handle.close();
    },
  };
}

export interface ProtoTxCounters {
  sent: number;
  /** Datagrams forwarded whole (forward()). */
  forwarded: number;
  /** Failed sends by errno name (ENODEV: no such interface, EADDRNOTAVAIL: it has no IPv4 address, ...). */
  errors: Record<string, number>;
}

/** Raw IP sockets, one per protocol, unbound; per-send interface via IP_PKTINFO; Router Alert when asked. */
export function openProtoTx(ipProtos: number[]): ProtoTx & { counters(): ProtoTxCounters; close(): void } {
  const protos = checkProtos('openProtoTx', ipProtos);
  const native = loadNative();
  let handle: NativeProtoTx;
  try {
    handle = new native.NativeProtoTx(protos);
  } catch (err) {
    rethrow(err);
  }
  let sent = 0;
  let forwarded = 0;
  const errors: Record<string, number> = {};
  const fail = (code: string): void => { errors[code] = (errors[code] ?? 0) + 1; };
  let closed = false;

  return {
    send(ifname: string, dst: string, ipProto: number, payload: Uint8Array, opts: TxOptions = {}): void {
      const ttl = opts.ttl ?? 1;
      if (closed) return fail('EBADF');
      if (typeof ifname !== 'string' || typeof dst !== 'string' || !(payload instanceof Uint8Array) ||
          !Number.isInteger(ttl) || ttl < 1 || ttl > 255 || !Number.isInteger(ipProto))
        return fail('EINVAL');
      if (!protos.includes(ipProto)) return fail('EPROTONOSUPPORT');
      const code = handle.send(ifname, dst, ipProto, payload, ttl, opts.routerAlert === true);
      if (code === null) sent++;
      else fail(code);
    },
    forward(ifname: string, ip: Uint8Array): void {
      if (closed) return fail('EBADF');
      if (typeof ifname !== 'string' || !(ip instanceof Uint8Array)) return fail('EINVAL');
      const code = handle.forward(ifname, ip);
      if (code === null) forwarded++;
      else fail(code);
    },
    counters: () => ({ sent, forwarded, errors: { ...errors } }),
    close() {
      if (closed) return;
      closed = true;
      handle.close();
    },
  };
}
