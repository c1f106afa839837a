/**
 * Which parsed IGMP messages a router accepts, judged on the IP header the host passes along
 * (RFC 2236 §2, §3; RFC 3376 §4.1.12, §4.2.14, §9). Decisions where the RFCs leave room:
 *
 * - TTL must be 1: every IGMP message is sent with TTL 1; anything else came from off-link.
 * - Router Alert: counted when missing, refused only with `require_router_alert: true`.
 *   IGMPv1 hosts never send it and RFC 3376 §9 asks only hosts to refuse queries without it, so a
 *   router that insisted would lose v1 hosts and buggy stacks (FRR's default is the same).
 * - General Query: only to 224.0.0.1. RFC 3376 §4.1.12 lets *hosts* accept a unicast query, but a
 *   General Query that other routers did not see must not win or lose the election.
 * - Group-specific queries: to their group, to 224.0.0.1, or to our own address (§4.1.12).
 * - v1/v2 reports: to their group or our own address (§4.2.14); v2 leave: to 224.0.0.2 or its group.
 * - v3 reports: to 224.0.0.22 only.
 *
 * Tested in validate.test.ts.
 */
import { isMulticast, parseIpv4 } from '../../model/ipv4.js';
import type { RxPacket } from '../types.js';
import type { IgmpMessage } from './codec.js';
import type { DropReason } from './drops.js';

export const ALL_SYSTEMS = '224.0.0.1';
export const ALL_ROUTERS = '224.0.0.2';
export const ALL_V3_ROUTERS = '224.0.0.22';
export const ANY = '0.0.0.0';

/** A multicast group a router may track: multicast and outside 224.0.0.0/24 (link-local control). */
export function groupProblem(group: string): DropReason | null {
  const n = parseIpv4(group);
  if (n === undefined || !isMulticast(n)) return 'badGroup';
  if (n >>> 8 === 0xe00000) return 'linkLocalGroup';
  return null;
}

export interface Acceptance {
  /** Our address on the arrival interface, if any. */
  ownAddress: string | null;
  requireRouterAlert: boolean;
}

/** Why `msg` in `pkt` must be dropped, or null to accept it. Group checks of records are the caller's. */
export function rejectReason(pkt: RxPacket, msg: IgmpMessage, a: Acceptance): DropReason | null {
  if (pkt.ttl !== 1) return 'badTtl';
  if (!pkt.routerAlert && a.requireRouterAlert) return 'noRouterAlert';
  const toUs = a.ownAddress !== null && pkt.dst === a.ownAddress;
  switch (msg.kind) {
    case 'query':
      if (a.ownAddress !== null && pkt.src === a.ownAddress) return 'fromSelf';
      if (msg.group === ANY) return pkt.dst === ALL_SYSTEMS ? null : 'generalQueryDst';
      if (groupProblem(msg.group) === 'badGroup') return 'badGroup';
      return pkt.dst === msg.group || pkt.dst === ALL_SYSTEMS || toUs ? null : 'queryDst';
    case 'v1-report': case 'v2-report':
      return pkt.dst === msg.group || toUs ? null : 'reportDst';
    case 'v2-leave':
      return pkt.dst === ALL_ROUTERS || pkt.dst === msg.group ? null : 'leaveDst';
    case 'v3-report':
      return pkt.dst === ALL_V3_ROUTERS ? null : 'v3ReportDst';
  }
}
