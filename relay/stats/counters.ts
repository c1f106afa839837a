/**
 * Counter arithmetic: sum the snapshots of all workers (each engine counts only its PACKET_FANOUT
 * share) into one. Tested in counters.test.ts.
 */
import type { EngineCounters, GlobalCounters, OutputCounters, RuleCounters } from '../engine/types.js';

export function emptyGlobal(): GlobalCounters {
  return { rxFrames: 0n, rxBytes: 0n, ringDrops: 0n, ringFreezes: 0n, unmatched: 0n, malformed: {} as GlobalCounters['malformed'] };
}

/** Sum per-worker snapshots; rules' lastPacketNs takes the latest. */
export function sumCounters(list: EngineCounters[]): EngineCounters {
  const g = emptyGlobal();
  const rules = new Map<number, RuleCounters>();
  const outputs = new Map<number, OutputCounters>();
  for (const c of list) {
    g.rxFrames += c.global.rxFrames;
    g.rxBytes += c.global.rxBytes;
    g.ringDrops += c.global.ringDrops;
    g.ringFreezes += c.global.ringFreezes;
    g.unmatched += c.global.unmatched;
    for (const [k, v] of Object.entries(c.global.malformed) as [keyof GlobalCounters['malformed'], bigint][]) {
      g.malformed[k] = (g.malformed[k] ?? 0n) + v;
    }
    for (const [k, v] of Object.entries(c.global.sources ?? {}) as [keyof NonNullable<GlobalCounters['sources']>, bigint][]) {
      g.sources ??= { reported: 0n, tableFull: 0n, rateLimited: 0n, queueFull: 0n };
      g.sources[k] += v;
    }
    for (const [slot, r] of c.rules) {
      const have = rules.get(slot);
      if (!have) rules.set(slot, { ...r });
      else {
        have.packets += r.packets;
        have.bytes += r.bytes;
        if (r.lastPacketNs > have.lastPacketNs) have.lastPacketNs = r.lastPacketNs;
      }
    }
    for (const [slot, o] of c.outputs) {
      const have = outputs.get(slot);
      if (!have) outputs.set(slot, { ...o, errorsByErrno: { ...o.errorsByErrno } });
      else {
        have.packets += o.packets;
        have.bytes += o.bytes;
        have.sendErrors += o.sendErrors;
        for (const [e, n] of Object.entries(o.errorsByErrno)) have.errorsByErrno[e] = (have.errorsByErrno[e] ?? 0n) + n;
      }
    }
  }
  return { global: g, rules, outputs };
}
