/**
 * What a relay runner is: `check` says whether the relay can run this scenario (or why not),
 * `plan` says where the generator sends and where sinks listen for this relay (the kernel cannot
 * rewrite groups; `direct` moves the generator), and `start` brings the relay up and returns a
 * handle whose pids are measured for CPU time and whose `stop` ends it.
 */
import type { RelayName } from '../results/types.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { RunContext } from '../topology/context.js';

export interface RelayHandle {
  relay: RelayName;
  /** Root pids of the relay (children are found at measurement time); empty for kernel and direct. */
  pids: number[];
  stop(): Promise<void>;
  /** Why the relay is no longer working (a process exited), or undefined while it runs. */
  problem(): string | undefined;
  /** Routers (mcrd, frr): the IGMP members they know of now, as "interface group". */
  members?(): Promise<string[]>;
  /** Routers: their own view of membership and forwarding, as their tools print it (for the run log). */
  routerState?(): Promise<string>;
}

/** One generator process of a trial. */
export interface GeneratorPlan {
  host: string;
  interface: string;
  /** "G:P" destinations, sent round-robin. */
  dst: string[];
  /** Generator rate = offered rate × rateFactor (direct sends every output's copy itself). */
  rateFactor: number;
  streamName: string;
}

/** Where one output's sink listens for this relay. */
export interface SinkPlan { output: string; stream: string; host: string; interface: string; group: string; port: number }

export interface TrafficPlan { generators: GeneratorPlan[]; sinks: SinkPlan[] }

/** How the run places the relay (lab/run/placement.ts). */
export interface RelayStartOptions {
  /** CPUs relay processes are pinned to (taskset; forked children inherit it); absent = not pinned. */
  relayCpus?: readonly number[];
  /** The traffic side's CPUs: where a relay with a separate control plane (mcrd) keeps that plane. */
  trafficCpus?: readonly number[];
}

export interface RelayRunner {
  name: RelayName;
  /** undefined when the relay can run the scenario, else why not (shown as "skipped: …"). */
  check(ctx: RunContext, s: ResolvedScenario): Promise<string | undefined>;
  plan(s: ResolvedScenario): TrafficPlan;
  start(ctx: RunContext, s: ResolvedScenario, opts?: RelayStartOptions): Promise<RelayHandle>;
}

/** Traffic for relays that forward stream → outputs with the groups the scenario names. */
export function relayedPlan(s: ResolvedScenario): TrafficPlan {
  return {
    generators: s.streams.map((st) => ({
      host: st.source.host, interface: st.source.interface, dst: [`${st.group}:${st.port}`], rateFactor: 1, streamName: st.name,
    })),
    sinks: s.streams.flatMap((st) => st.outputs.map((o) => ({
      output: o.name, stream: st.name, host: o.sink.host, interface: o.sink.interface, group: o.group, port: o.port,
    }))),
  };
}
