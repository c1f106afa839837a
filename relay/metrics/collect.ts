/**
 * Build a MetricsInput from the running daemon's parts, once per scrape: the rule table and its
 * counter slots (RuleService), a fresh counter read of every worker summed (DataPlane), the worker
 * list, and the control-request counts. Tested in collect.test.ts.
 */
import type { RuleView } from '../control/api.js';
import type { DataPlane } from '../daemon/data-plane.js';
import { sumCounters } from '../stats/counters.js';
import type { SlotLookup } from '../stats/view.js';
import { packageVersion } from '../version.js';
import type { Family } from './format.js';
import type { MetricsInput } from './input.js';
import type { ControlRequestCounter } from './requests.js';

export interface DaemonMetricsParts {
  /** The rule table and its slots: mcrd's RuleService. */
  rules: SlotLookup & { list(): RuleView[] };
  dataPlane: Pick<DataPlane, 'counters' | 'workers'>;
  requests: ControlRequestCounter;
  /** The egress backend in use (it can fall back from uring to mmsg at start). */
  backend: () => string;
  startedAtMs: number;
  /** The protocol plane's families (relay/metrics/protocols.ts), when mcrd runs protocols. */
  protocols?: () => Family[];
}

/** A `collect` for startMetricsServer. Rejects only if reading the workers' counters does. */
export function daemonMetricsCollector(p: DaemonMetricsParts): () => Promise<MetricsInput> {
  return async () => {
    const counters = sumCounters(await p.dataPlane.counters());
    // The table is read after the counters: a rule added meanwhile shows 0 rather than a missing series.
    const rules = p.rules.list().map((r) => {
      const slot = p.rules.ruleSlot(r.id);
      return {
        id: r.id,
        ...(slot === undefined ? {} : { slot }),
        input: { interface: r.input.interface, group: r.input.group, port: r.input.port },
        outputs: r.outputs.map((o) => {
          const os = p.rules.outputSlot(r.id, o);
          return { interface: o.interface, group: o.group, port: o.port, ...(os === undefined ? {} : { slot: os }) };
        }),
      };
    });
    return {
      rules,
      counters,
      workers: p.dataPlane.workers().map((w) => ({ index: w.index, pid: w.pid, state: w.state, restarts: w.restarts })),
      controlRequests: p.requests.snapshot(),
      startTimeSeconds: p.startedAtMs / 1000,
      build: { version: packageVersion(), backend: p.backend(), node: process.version },
      ...(p.protocols ? { protocols: p.protocols() } : {}),
    };
  };
}
