/**
 * Every reason the IGMP module drops a message or a group record, as one closed list: the codec's
 * parse errors plus the checks of validate.ts and membership.ts. Metrics and the `interfaces` view
 * count by these names (mcr_igmp_drops_total{reason}).
 */
import { PARSE_ERRORS } from './codec.js';

export const DROP_REASONS = [
  ...PARSE_ERRORS,
  'badRecordType',       // a v3 group record of unknown type, skipped (RFC 3376 §4.2.12)
  'unknownInterface',    // arrived on an interface IGMP is not enabled on
  'badTtl',              // IP TTL other than 1 (RFC 2236 §2, RFC 3376 §4)
  'noRouterAlert',       // only with require_router_alert: true
  'fromSelf',            // our own query looped back
  'generalQueryDst',     // General Query not sent to 224.0.0.1 (e.g. unicast)
  'queryDst',            // group-specific query to neither its group, 224.0.0.1 nor our address
  'reportDst',           // v1/v2 report not sent to its group (or our address)
  'leaveDst',            // v2 leave not sent to 224.0.0.2 (or its group)
  'v3ReportDst',         // v3 report not sent to 224.0.0.22
  'badGroup',            // report/record/query for an address that is not multicast
  'badSource',           // a source address that is not unicast
  'linkLocalGroup',      // 224.0.0.0/24 is never tracked (RFC 4541 §2.1.2: always flooded)
  'ssmExclude',          // IS_EX/TO_EX for 232/8 (RFC 4604 §2.2.2)
  'ssmOldVersion',       // v1/v2 report or leave for 232/8 (RFC 4604 §2.2.1)
  'leaveInV1Mode',       // v2 leave while v1 hosts are present (RFC 3376 §7.3.2)
  'blockInCompatMode',   // BLOCK while v1/v2 hosts are present (RFC 3376 §7.3.2)
  'groupLimit',          // max_groups reached on the interface
  'sourceLimit',         // max_sources reached for the group
] as const;
export type DropReason = (typeof DROP_REASONS)[number];
