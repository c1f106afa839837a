/**
 * `direct`: no relay. The generator runs on the relay host and sends each output's group out of the
 * output's interface itself, so the sink receives exactly what a relay that costs nothing would
 * deliver: the ceiling of the egress path (relay host → sink). For a fan-out the generator sends one
 * copy per output, so its rate is the offered rate × outputs on that interface.
 */
import type { ResolvedScenario } from '../scenario/resolve.js';
import { relayedPlan, type GeneratorPlan, type RelayRunner } from './types.js';

export function directPlan(s: ResolvedScenario) {
  const generators: GeneratorPlan[] = [];
  for (const st of s.streams) {
    const byIf = new Map<string, string[]>();
    for (const o of st.outputs) byIf.set(o.interface, [...(byIf.get(o.interface) ?? []), `${o.group}:${o.port}`]);
    for (const [ifname, dst] of byIf) {
      generators.push({ host: s.relayHost, interface: ifname, dst, rateFactor: dst.length, streamName: st.name });
    }
  }
  return { generators, sinks: relayedPlan(s).sinks };
}

export const directRunner: RelayRunner = {
  name: 'direct',
  async check() { return undefined; },
  plan: directPlan,
  async start() { return { relay: 'direct', pids: [], stop: async () => {}, problem: () => undefined }; },
};
