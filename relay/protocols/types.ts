/**
 * The contract between mcrd's protocol plane host (relay/protocols/host) and its protocol modules
 * (IGMP, PIM): packets in, packets out, timers, learned routes and state views. Modules are pure
 * state machines over this interface, so their unit tests drive them with a fake clock and capture
 * what they send, while the daemon gives them real sockets.
 */
import type { Logger } from '../daemon/log.js';

/** Monotonic milliseconds and one-shot timers; tests inject a fake clock that advances by hand. */
export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
}
export interface TimerHandle { cancel(): void }

/** A protocol-enabled interface as the host sees it now. */
export interface ProtoInterface { name: string; ifindex: number; address: string | null; up: boolean }

/** One received IP datagram of a protocol (IGMP = 2, PIM = 103), header already checked by the host. */
export interface RxPacket {
  ifname: string;
  src: string;          // IPv4 source, dotted quad
  dst: string;          // IPv4 destination
  ttl: number;
  routerAlert: boolean; // IP Router Alert option present
  ipProto: number;
  payload: Uint8Array;  // the IP payload (IGMP/PIM message), never the IP header
  rxAtMs?: number;      // when the reader took it, ms since the epoch (CLOCK_REALTIME, as engine frame times)
}

export interface TxOptions { routerAlert?: boolean; ttl?: number /* default 1 */ }
export interface ProtoTx {
  /** Send `payload` as the IP payload of protocol `ipProto` out of `ifname` to `dst`. Errors are counted by the host, never thrown. */
  send(ifname: string, dst: string, ipProto: number, payload: Uint8Array, opts?: TxOptions): void;
  /**
   * Forward a whole IPv4 multicast datagram out of `ifname` as a router does (TTL − 1, keeps its
   * source): the PIM RP's decapsulated Register data. Errors are counted, never thrown.
   */
  forward?(ifname: string, ip: Uint8Array): void;
}

/** A route a protocol wants forwarded; the MRIB merges these with static rules into engine rules. */
export interface LearnedRoute {
  origin: 'igmp' | 'pim';
  group: string;
  source?: string;       // undefined = (*,G)
  iif?: string;          // undefined = capture on every eligible input interface (IGMP); PIM sets its RPF interface
  oifs: Array<{ interface: string; reason: string; expiresAtMs?: number }>;
  /**
   * The oifs are the whole forwarding list of S's packets on `iif` (PIM's inherited_olist(S,G)): the MRIB
   * folds no (*,G) oifs into it, and installs it even when empty — an empty one stops S's packets there
   * from matching the (*,G) route (RFC 7761 §4.2: the SPT bit is set, the shared tree's copies are dropped).
   */
  exact?: boolean;
  /**
   * PIM DR (RFC 7761 §4.4.1): while present, every datagram of (S,G) also leaves encapsulated in a
   * Register, unicast to `rp` (via = the RPF interface toward it).
   */
  register?: { rp: string; via: string };
  /**
   * A stream a static rule re-originates onto `iif` (S is our address there, G its output group):
   * nothing to capture. The oifs (downstream Joins, members) and the Register ride on that static
   * output: the engine sends its datagrams there too, from S.
   */
  local?: boolean;
}

export interface ProtocolEvent { type: string; [k: string]: unknown }   // e.g. { type: 'igmp-join', interface, group, ... }

export interface ProtocolContext {
  clock: Clock;
  tx: ProtoTx;
  log: Logger;
  interfaces(): ProtoInterface[];
  /** Tell the host that routes() changed; the host recompiles the MRIB (coalesced). */
  routesChanged(): void;
  /** Publish an event to `mcrctl subscribe --events <type-prefix>` subscribers. */
  emit(event: ProtocolEvent): void;
}

export interface ProtocolModule {
  readonly name: 'igmp' | 'pim';
  /** IP protocol numbers this module receives. */
  readonly ipProtos: number[];
  start(ctx: ProtocolContext): void;
  receive(pkt: RxPacket): void;
  /** An interface appeared, vanished, went up/down or changed address. */
  interfacesChanged(): void;
  routes(): LearnedRoute[];
  /** JSON-able state views for the CLI/API (e.g. 'groups', 'interfaces', 'neighbors'). */
  view(name: string): unknown;
  /** Counters for Prometheus: name -> labels -> value. */
  metrics(): Array<{ name: string; help: string; type: 'counter' | 'gauge'; samples: Array<{ labels: Record<string, string>; value: number }> }>;
  stop(): void;
}
