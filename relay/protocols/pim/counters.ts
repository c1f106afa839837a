/**
 * PIM counters for Prometheus and `mcrctl stats`: messages by type and direction, drops by reason,
 * neighbors per interface, Register events.
 */
import type { ProtocolModule } from '../types.js';
import type { ParseReason, PimType } from './codec.js';

/** Why a well-formed message was not used (malformed ones count by ParseReason). */
export type DropReason =
  | 'notPimInterface' | 'badDestination' | 'notNeighbor' | 'ownMessage' | 'badGroup'
  | 'bootstrapNotFromRpf' | 'bootstrapNotPreferred';

type Metrics = ReturnType<ProtocolModule['metrics']>;

export function createPimCounters() {
  const rx = new Map<PimType, number>();
  const tx = new Map<PimType, number>();
  const drops = new Map<DropReason | ParseReason, number>();
  const registers = { sent: 0, null: 0, stopped: 0, stopSent: 0, decapsulated: 0 };
  const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
  return {
    in: (t: PimType) => bump(rx, t),
    out: (t: PimType) => bump(tx, t),
    drop: (r: DropReason | ParseReason) => bump(drops, r),
    register: (e: 'sent' | 'null' | 'stopped') => { registers[e]++; },
    registerStopSent: () => { registers.stopSent++; },
    decapsulated: () => { registers.decapsulated++; },
    dropped: (r: DropReason | ParseReason) => drops.get(r) ?? 0,
    metrics(neighbors: Array<{ interface: string; neighbors: number }>): Metrics {
      return [
        { name: 'mcr_pim_messages_total', help: 'PIM messages by type and direction', type: 'counter', samples: [
          ...[...rx].map(([type, value]) => ({ labels: { type, direction: 'in' }, value })),
          ...[...tx].map(([type, value]) => ({ labels: { type, direction: 'out' }, value })),
        ] },
        { name: 'mcr_pim_dropped_total', help: 'PIM messages dropped, by reason', type: 'counter', samples: [...drops].map(([reason, value]) => ({ labels: { reason }, value })) },
        { name: 'mcr_pim_neighbors', help: 'PIM neighbors per interface', type: 'gauge', samples: neighbors.map((n) => ({ labels: { interface: n.interface }, value: n.neighbors })) },
        { name: 'mcr_pim_registers_total', help: 'Register events: sent (data), null (probes), stopped (Register-Stop received), stop_sent (as RP), decapsulated (as RP)', type: 'counter', samples: [
          { labels: { event: 'sent' }, value: registers.sent }, { labels: { event: 'null' }, value: registers.null },
          { labels: { event: 'stopped' }, value: registers.stopped }, { labels: { event: 'stop_sent' }, value: registers.stopSent },
          { labels: { event: 'decapsulated' }, value: registers.decapsulated },
        ] },
      ];
    },
  };
}
