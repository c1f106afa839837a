// The latency suite's runs: the committed variants of the chain (scenarios/bench/latency-*.yaml) with
// the relays asked for; what the files hold is checked in bench/scenarios.test.ts.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isLatency, planLatency } from './latency.js';

const root = '/repo';
const file = (n: string): string => join(root, 'scenarios/bench', `${n}.yaml`);

describe('planLatency', () => {
  test('a default, a busy-poll and an adaptive-poll variant, each with the relays that apply', () => {
    expect(planLatency(root, ['mcrd', 'socat', 'kernel', 'direct'])).toEqual([
      { name: 'latency-default', file: file('latency-default'), relays: ['direct', 'kernel', 'mcrd'] },
      { name: 'latency-busy-poll', file: file('latency-busy-poll'), relays: ['direct', 'mcrd'] },
      { name: 'latency-adaptive', file: file('latency-adaptive'), relays: ['direct', 'mcrd'] },
    ]);
  });

  test('only the relays asked for run; without mcrd no busy-poll variant, without mcrd or kernel nothing', () => {
    expect(planLatency(root, ['kernel', 'direct']).map((r) => [r.name, r.relays])).toEqual([['latency-default', ['direct', 'kernel']]]);
    expect(planLatency(root, ['mcrd']).map((r) => [r.name, r.relays])).toEqual([['latency-default', ['mcrd']], ['latency-busy-poll', ['mcrd']], ['latency-adaptive', ['mcrd']]]);
    expect(planLatency(root, ['socat', 'direct'])).toEqual([]);
  });

  test.each([['latency', true], ['scenarios/latency.yaml', true], ['chain', false], ['latency-default', false]])(
    '%s is the latency suite: %s', (arg, yes) => expect(isLatency(arg)).toBe(yes));
});
