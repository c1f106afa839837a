/**
 * The contract between the control plane (TypeScript) and the native packet engine (native/engine).
 *
 * The control plane validates everything (relay/model) before it reaches here: interface names exist,
 * groups and ports are in range. The native wrapper only type-checks and copies these objects once into
 * C++ structs; the engine thread never touches N-API.
 *
 * Lifecycle, as the worker uses it:
 *   const engine = new Engine({ backend: 'mmsg', fanoutGroup: 4242 });
 *   engine.setRules([{ id: 'cam1', slot: 0, input: {...}, outputs: [{ slot: 0, ... }] }]);
 *   engine.start();
 *   ... engine.counters() ... engine.setRules(next) ...   // swaps atomically, never pauses forwarding
 *   engine.stop();
 */

/** Egress batching mechanism. `mmsg` = sendmmsg(2); `uring` = io_uring with registered buffers. */
export type Backend = 'mmsg' | 'uring';

export interface EngineOptions {
  backend: Backend;
  /** PACKET_FANOUT group id shared by all workers of one daemon (PACKET_FANOUT_HASH), so a flow stays on one worker. Omit for no fanout. */
  fanoutGroup?: number;
  /** Pin the engine thread to this CPU. */
  cpu?: number;
  /** TPACKET_V3 ring geometry; defaults chosen by the engine. */
  ringBlockSize?: number;
  ringBlockCount?: number;
  /** Block retire timeout in ms (TPACKET_V3 tp_retire_blk_tov). */
  ringRetireMs?: number;
  /**
   * RX ring format. 3 (default): TPACKET_V3 blocks, one wake-up per block; a partly filled block waits up
   * to ringRetireMs. 2: TPACKET_V2 fixed slots sized from the interface MTU, one wake-up per frame and no
   * retire timer (lower latency below saturation). See docs/engine.md.
   */
  ringVersion?: 2 | 3;
  /**
   * In-kernel BPF filter of the RX sockets. `rules` (default): only IPv4 UDP to the (group, port) pairs of
   * the rules on that interface reaches the engine. `udp`: all IPv4 UDP does, so traffic for groups without
   * a rule shows up in `unmatched` (diagnostics; costs CPU on busy links).
   */
  filter?: 'rules' | 'udp';
  /**
   * Join input groups in the kernel (IP_ADD_MEMBERSHIP, so it sends IGMP reports and switches deliver the
   * group). Default true. false: L2 membership only (PACKET_ADD_MEMBERSHIP) — cheaper per packet, but
   * IGMP reports must then come from mcrd itself.
   */
  igmpJoin?: boolean;
  /**
   * Egress path of multicast outputs. `socket` (default): AF_INET UDP sockets (kernel routing, netfilter).
   * `packet`: AF_PACKET raw frames with headers built by the engine (cheaper per packet; needs an IPv4
   * address on the output interface, else that output falls back to a socket). Unicast outputs always
   * use sockets.
   */
  egress?: 'socket' | 'packet';
  /**
   * With `egress: 'packet'`: consecutive datagrams of one output with equal sizes leave as one UDP GSO frame
   * (PACKET_VNET_HDR) that the kernel or the NIC segments at the device. Default false. Linux 6.2+.
   */
  gso?: boolean;
  /** Keep polling the RX rings this many µs after the last frame before sleeping in poll() (0 = off). */
  busyPollUs?: number;
  /**
   * Spin on the RX rings only while frames keep coming closer together than a wake-up, within a budget
   * of spin time per frame relayed (native/engine/core/poll_policy.h). Default false; not with busyPollUs.
   */
  adaptivePoll?: boolean;
}

export interface EngineInput {
  interface: string;
  /** Dotted quad. Multicast (224/4) or a unicast address of the input interface (tunnel endpoint). */
  group: string;
  /**
   * UDP destination port; 0 = any port of the group (IGMP/PIM-learned routes). A datagram matches, most
   * specific first: (source, port), (source, any port), (any source, port), (any source, any port), so a
   * source-specific rule outranks the port, and an exact-port rule beside an any-port one takes its port.
   * Any-port inputs must be multicast (a unicast input needs a port to guard).
   */
  port: number;
  /** Optional source filter (SSM-like): only frames from this IPv4 source match. */
  source?: string;
}

export interface EngineOutput {
  /** Stable counter slot for this output, 0..MAX_OUTPUT_SLOTS-1, assigned by the control plane. */
  slot: number;
  interface: string;
  /** Destination: multicast group or unicast address. */
  group: string;
  /** UDP destination (and, on packet egress, source) port; 0 = the input datagram's destination port. */
  port: number;
  /** IP TTL of relayed datagrams (multicast and unicast). */
  ttl: number;
  /** Optional DSCP/TOS byte. */
  tos?: number;
  /**
   * Relay with the input datagram's IPv4 source address and UDP source port instead of the relay's own
   * (router semantics: SSM receivers joined INCLUDE {S} and PIM (S,G) state see the real source). TTL is
   * still `ttl`. Multicast outputs only; always sent on raw (packet) egress, which needs an IPv4 address
   * and Ethernet on the output interface — without them the output falls back to a socket and the
   * relay's own source address.
   */
  keepSource?: boolean;
  /**
   * Send from this IPv4 source address instead of the interface's: a stream mcrd re-originates on one
   * PIM interface, forwarded onto another one that PIM Joins ask for, keeps the source S the PIM
   * domain knows it by. Multicast outputs, raw (packet) egress; without it (no IPv4 address or no
   * Ethernet on the interface) the output falls back to a socket and the interface's address.
   */
  source?: string;
  /**
   * PIM: report this output's stream to the control plane as one the relay originates on `interface`
   * (source = the interface's address, group = `group`; SourceReport.local), so mcrd registers it as its DR.
   */
  reportLocal?: boolean;
  /**
   * PIM Register output (native/engine/core/register_encap.h): each datagram leaves encapsulated in a
   * Register, unicast to `group` (the RP), routed by the kernel (`interface` names the way for humans).
   * `{}`: the datagram as received; `{ source, group, port, ttl, tos? }`: as a static output on a PIM
   * interface re-originates it (our address there, its group, port (0 = the datagram's), TTL and TOS).
   */
  register?: RegisterInner;
}

export type RegisterInner = Record<string, never> | { source: string; group: string; port: number; ttl: number; tos?: number };

/**
 * What the engines capture on besides their rules' inputs (native/engine/core/engine.h, Capture), by
 * interface name. `watch`: PIM interfaces, where every multicast datagram is checked for new sources.
 * `hold`: protocol interfaces, whose capture socket stays open with no route on it, so that a route
 * learned there (an IGMP join) forwards at once instead of waiting ~10 ms for the kernel to set up a
 * new socket's ring (and another ~10 ms when the last leave would close it).
 */
export interface Capture { watch: string[]; hold: string[] }

export const NO_CAPTURE: Capture = Object.freeze({ watch: [], hold: [] }) as Capture;

/**
 * A PIM source report of the engine (native/engine/core/source_watch.h): (S,G) arrived on `ifindex`, the
 * first datagram of the flow and then every 20 s while it flows; `local`: a stream a static output
 * re-originates onto `ifindex` (source 0.0.0.0 = that interface's own address).
 */
/**
 * A flow the engine's source watch saw; `routed`: a rule took the datagram (see source_watch.h);
 * `atMs`: its frame timestamp, ms since the epoch (CLOCK_REALTIME).
 */
export interface SourceReport { ifindex: number; source: string; group: string; local: boolean; routed: boolean; atMs: number }

export interface EngineRule {
  id: string;
  /** Stable counter slot for this rule, 0..MAX_RULE_SLOTS-1, assigned by the control plane. */
  slot: number;
  input: EngineInput;
  outputs: EngineOutput[];
}

/** Global engine counters (monotonic since engine start). */
export interface GlobalCounters {
  rxFrames: bigint;          // frames read from the RX ring(s)
  rxBytes: bigint;
  ringDrops: bigint;         // PACKET_STATISTICS tp_drops, accumulated
  ringFreezes: bigint;       // tp_freeze_q_cnt, accumulated
  unmatched: bigint;         // parsed fine, no rule for (ifindex, group, port[, source])
  malformed: Record<MalformedReason, bigint>;
  /** PIM source watch: reports sent, flows not tracked (table full), reports over the rate limit or the queue. */
  sources?: Record<SourceWatchEvent, bigint>;
}

export type SourceWatchEvent = 'reported' | 'tableFull' | 'rateLimited' | 'queueFull';

export type MalformedReason =
  | 'truncatedEthernet' | 'truncatedVlan' | 'notIpv4' | 'badIpVersion' | 'badIhl' | 'badIpTotalLength'
  | 'truncatedIp' | 'fragment' | 'notUdp' | 'truncatedUdp' | 'badUdpLength' | 'badIpChecksum';

export interface OutputCounters {
  packets: bigint;
  bytes: bigint;           // UDP payload bytes sent
  sendErrors: bigint;      // total failed sends
  /** failed sends by errno name, e.g. { ENOBUFS: 3n, ENETUNREACH: 1n } */
  errorsByErrno: Record<string, bigint>;
}

export interface RuleCounters {
  packets: bigint;         // matched input datagrams
  bytes: bigint;           // matched input UDP payload bytes
  /** CLOCK_REALTIME ns of the last matched packet, 0n if none. */
  lastPacketNs: bigint;
}

export interface EngineCounters {
  global: GlobalCounters;
  /** indexed by rule slot */
  rules: Map<number, RuleCounters>;
  /** indexed by output slot */
  outputs: Map<number, OutputCounters>;
}
