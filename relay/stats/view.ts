/**
 * Build the `stats` reply from rules, their slots, a fresh counter snapshot and the sampled rates.
 * Counts are JSON numbers (exact up to 2^53). Tested in view.test.ts.
 */
import type { GlobalStatsView, RuleStatsView, RuleView, StatsView } from '../control/api.js';
import type { EngineCounters } from '../engine/types.js';
import type { RateSampler } from './rates.js';

export interface SlotLookup {
  ruleSlot(id: string): number | undefined;
  outputSlot(id: string, o: RuleView['outputs'][number]): number | undefined;
}

export function buildStatsView(rules: RuleView[], slots: SlotLookup, c: EngineCounters, rates: RateSampler, nowMs: number): StatsView {
  const global: GlobalStatsView = {
    rxFrames: Number(c.global.rxFrames), rxBytes: Number(c.global.rxBytes), ringDrops: Number(c.global.ringDrops),
    ringFreezes: Number(c.global.ringFreezes), unmatched: Number(c.global.unmatched),
    malformed: Object.fromEntries(Object.entries(c.global.malformed).map(([k, v]) => [k, Number(v)])),
  };
  const out: RuleStatsView[] = rules.map((r) => {
    const slot = slots.ruleSlot(r.id);
    const rc = slot === undefined ? undefined : c.rules.get(slot);
    const rr = slot === undefined ? null : rates.ruleRate(slot);
    const lastNs = rc?.lastPacketNs ?? 0n;
    return {
      id: r.id,
      input: r.input,
      packets: Number(rc?.packets ?? 0n),
      bytes: Number(rc?.bytes ?? 0n),
      pps: rr?.pps ?? null,
      bps: rr?.bps ?? null,
      lastPacketAgoMs: lastNs === 0n ? null : Math.max(0, nowMs - Number(lastNs / 1_000_000n)),
      outputs: r.outputs.map((o) => {
        const os = slots.outputSlot(r.id, o);
        const oc = os === undefined ? undefined : c.outputs.get(os);
        const orate = os === undefined ? null : rates.outputRate(os);
        return {
          interface: o.interface, group: o.group, port: o.port,
          packets: Number(oc?.packets ?? 0n), bytes: Number(oc?.bytes ?? 0n), sendErrors: Number(oc?.sendErrors ?? 0n),
          errorsByErrno: Object.fromEntries(Object.entries(oc?.errorsByErrno ?? {}).map(([k, v]) => [k, Number(v)])),
          pps: orate?.pps ?? null, bps: orate?.bps ?? null,
        };
      }),
    };
  });
  return { at: new Date(nowMs).toISOString(), global, rules: out };
}
