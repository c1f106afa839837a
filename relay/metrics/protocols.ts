/**
 * Metric families of the protocol plane: each module's own metrics() (named mcr_<module>_...), the
 * protocol socket counters of the host (packets in, drops by reason, packets out, send errors by
 * errno) and the MRIB recompiles. Tested in protocols.test.ts.
 */
import type { HostCounters } from '../protocols/host.js';
import type { ProtocolModule } from '../protocols/types.js';
import type { Family } from './format.js';

const counter = (name: string, help: string, samples: Family['samples']): Family => ({ name, type: 'counter', help, samples });
const gauge = (name: string, help: string, samples: Family['samples']): Family => ({ name, type: 'gauge', help, samples });

/** `igmp_rx_total` of module igmp → `mcr_igmp_rx_total`; names already prefixed stay. */
function familyName(module: string, name: string): string {
  if (name.startsWith('mcr_')) return name;
  return name.startsWith(`${module}_`) ? `mcr_${name}` : `mcr_${module}_${name}`;
}

export function protocolFamilies(modules: ProtocolModule[], c: HostCounters): Family[] {
  const fromModules = modules.flatMap((m) => m.metrics().map((f) => ({
    name: familyName(m.name, f.name), type: f.type, help: f.help, samples: f.samples.map((s) => ({ labels: s.labels, value: s.value })),
  })));
  const rx = c.rx;
  return [
    ...fromModules,
    counter('mcr_proto_rx_packets_total', 'Protocol packets (IGMP, PIM) read by the protocol socket, any interface.', [{ value: rx?.received ?? 0 }]),
    counter('mcr_proto_rx_delivered_total', 'Protocol packets handed to the protocol modules, by interface.',
      Object.entries(rx?.byInterface ?? {}).map(([i, n]) => ({ labels: { interface: i }, value: n }))),
    counter('mcr_proto_rx_dropped_total', 'Protocol packets dropped before any module saw them, by reason (IP header checks, queue full, not a protocol interface).', [
      ...Object.entries(rx?.malformed ?? {}).map(([reason, n]) => ({ labels: { reason }, value: n })),
      { labels: { reason: 'queueFull' }, value: rx?.queueDrops ?? 0 },
      { labels: { reason: 'notForAModule' }, value: c.notForAModule },
    ]),
    counter('mcr_proto_tx_packets_total', 'Protocol packets sent.', [{ value: c.tx?.sent ?? 0 }]),
    counter('mcr_proto_tx_errors_total', 'Failed protocol sends by errno name.',
      Object.entries(c.tx?.errors ?? {}).map(([errno, n]) => ({ labels: { errno }, value: n }))),
    counter('mcr_protocol_module_errors_total', 'Exceptions thrown by a protocol module (caught; a bug to report).', [{ value: c.moduleErrors }]),
    counter('mcr_mrib_recompiles_total', 'MRIB recompiles applied to the engine after learned routes changed.', [{ value: c.recompiles }]),
    counter('mcr_mrib_recompile_errors_total', 'MRIB recompiles the data plane refused.', [{ value: c.recompileErrors }]),
    gauge('mcr_mrib_recompile_last_seconds', 'Time from the first route change of the latest batch to its table being applied.', c.lastRecompileMs === null ? [] : [{ value: c.lastRecompileMs / 1000 }]),
  ];
}
