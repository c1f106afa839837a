/**
 * mcrd's results in MCR's reply shapes (serde's externally tagged `Response` of MCR's src/lib.rs):
 * `{"Success":"…"}`, `{"Error":"…"}`, `{"Rules":[…]}`, `{"Stats":[…]}`, `{"Workers":[…]}`,
 * `{"LogLevels":{…}}`, `{"Version":{…}}`, `{"Config":{…}}`, `{"ConfigValidation":{…}}`. Used by the
 * control server for MCR's wire requests and by `mcrctl --format mcr`, so a script's jq sees the same
 * JSON from either. Tested in compat.test.ts.
 */
import type { AddOutcome, LoadResult, RuleView, StatsView, WorkerView } from '../control/api.js';
import type { LogLevel } from '../config/load.js';
import { type Rule, derivedId } from '../model/rule.js';
import { mcrSeverity } from './severity.js';

export type McrResponse = { [variant: string]: unknown };

/** MCR's PROTOCOL_VERSION: the shapes here are those of version 1. */
export const MCR_PROTOCOL_VERSION = 1;

export const success = (message: string): McrResponse => ({ Success: message });
export const error = (message: string): McrResponse => ({ Error: message });

/** The MCR name of a rule: its name, else its id unless that id is just the hash of its input. */
function nameOf(r: Rule): string | undefined {
  return r.name ?? (r.id === derivedId(r.input) ? undefined : r.id);
}

export function rules(list: RuleView[]): McrResponse {
  return {
    Rules: list.map((r) => ({
      rule_id: r.id,
      ...(nameOf(r) !== undefined ? { name: nameOf(r) } : {}),
      input_interface: r.input.interface, input_group: r.input.group, input_port: r.input.port,
      input_protocol: 17,
      ...(r.input.source !== undefined ? { input_source: r.input.source } : {}),
      outputs: r.outputs.map((o) => ({ group: o.group, port: o.port, interface: o.interface, ttl: o.ttl, source_ip: null })),
      source: r.origin === 'config' ? 'Static' : 'Dynamic',
    })),
  };
}

/** MCR's FlowStats per rule: packets and bytes matched on the input, rates over the last interval. */
export function stats(s: StatsView): McrResponse {
  return {
    Stats: s.rules.map((r) => ({
      input_group: r.input.group, input_port: r.input.port,
      packets_relayed: r.packets, bytes_relayed: r.bytes,
      packets_per_second: r.pps ?? 0, bits_per_second: r.bps ?? 0,
    })),
  };
}

export function workers(ws: WorkerView[]): McrResponse {
  return { Workers: ws.filter((w) => w.pid !== null).map((w) => ({ pid: w.pid, worker_type: 'DataPlane', core_id: null })) };
}

export function logLevels(level: LogLevel): McrResponse {
  return { LogLevels: { global: mcrSeverity(level), facility_overrides: {} } };
}

export const version = (): McrResponse => ({ Version: { protocol_version: MCR_PROTOCOL_VERSION } });

/** The running rules as MCR's Config (what its `config show` prints and `config save` writes). */
export function configDoc(list: Rule[]): Record<string, unknown> {
  return {
    pinning: {},
    rules: list.map((r) => ({
      ...(nameOf(r) !== undefined ? { name: nameOf(r) } : {}),
      input: { interface: r.input.interface, group: r.input.group, port: r.input.port, protocol: null, ...(r.input.source !== undefined ? { source: r.input.source } : {}) },
      outputs: r.outputs.map((o) => ({ group: o.group, port: o.port, interface: o.interface, ttl: o.ttl })),
    })),
    multicast_ttl: null,
  };
}

export const config = (list: Rule[]): McrResponse => ({ Config: configDoc(list) });

export const validation = (errors: string[]): McrResponse => ({ ConfigValidation: { valid: errors.length === 0, errors } });

/** MCR's words for an add, plus what mcrd did when it was not a plain add. */
export function addMessage(id: string, outcome: AddOutcome): string {
  if (outcome === 'unchanged') return `Rule ${id} unchanged (an identical rule is already present)`;
  return `Rule ${id} ${outcome}`;
}

export function loadMessage(r: LoadResult, replace: boolean): string {
  const n = r.added.length + r.replaced.length + r.unchanged.length;
  return replace
    ? `Configuration loaded (${n} rules, replaced existing; ${r.removed.length} removed, ${r.skipped.length} skipped as conflicting with --config rules)`
    : `Configuration merged (${r.added.length} rules added, ${r.skipped.length + r.unchanged.length} skipped as duplicates)`;
}
