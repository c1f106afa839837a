/**
 * Rule schema micro-benchmarks: validating a rule as mcrd does for a config file entry, a control
 * `add` and mcrctl flags (relay/model/validate.ts parseRule): one output, 50 outputs (the fan-out
 * scenario's rule), and an invalid rule whose error message is composed. Run by bench/run.ts.
 */
import { parseRule } from '../../relay/model/validate.js';
import type { MicroTask, SuiteDef } from './suite.js';

export const ONE_OUTPUT = { input: { interface: 'veth0', group: '239.1.1.1', port: 5000 }, outputs: [{ interface: 'veth1', group: '239.2.2.2', port: 5000, ttl: 8 }] };
export const FIFTY_OUTPUTS = {
  name: 'fanout', input: { interface: 'veth0', group: '239.1.1.1', port: 5000 },
  outputs: Array.from({ length: 50 }, (_, i) => ({ interface: 'veth1', group: `239.2.0.${i + 1}`, port: 5000 })),
};
export const INVALID = { input: { interface: 'veth0', group: '239.1.1.1', port: '80a' }, outputs: [] };

let sink: unknown;

export const schemaSuite: SuiteDef = {
  name: 'rule schema',
  async prepare(): Promise<MicroTask[] | string> {
    if (parseRule(FIFTY_OUTPUTS).outputs.length !== 50) throw new Error('the 50-output rule did not keep its 50 outputs');
    let refused = '';
    try { parseRule(INVALID); } catch (err) { refused = (err as Error).message; }
    if (!refused.includes('port')) throw new Error(`the invalid rule was not refused at its port: "${refused}"`);
    return [
      { name: 'parseRule, 1 output', batch: 100, fn: () => { sink = parseRule(ONE_OUTPUT); } },
      { name: 'parseRule, 50 outputs', batch: 10, fn: () => { sink = parseRule(FIFTY_OUTPUTS); } },
      {
        name: 'parseRule, invalid (error message composed)', batch: 100,
        fn: () => { try { parseRule(INVALID); } catch (err) { sink = (err as Error).message; } },
      },
    ];
  },
};

export const lastResult = (): unknown => sink;
