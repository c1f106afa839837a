// The scaling suite's runs: the committed variants scenarios/bench/scaling-<n>w.yaml, direct once;
// what the files hold is checked in bench/scenarios.test.ts.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isScaling, planScaling } from './scaling.js';

describe('planScaling', () => {
  test('one run per worker count; direct runs once', () => {
    expect(planScaling('/repo', ['mcrd', 'socat', 'kernel', 'direct'])).toEqual([
      { name: 'scaling-1w', file: join('/repo/scenarios/bench/scaling-1w.yaml'), relays: ['mcrd', 'direct'] },
      { name: 'scaling-2w', file: join('/repo/scenarios/bench/scaling-2w.yaml'), relays: ['mcrd'] },
    ]);
  });

  test('without mcrd among the relays asked for there is nothing to compare', () => {
    expect(planScaling('/repo', ['socat', 'direct'])).toEqual([]);
  });

  test.each([['scaling', true], ['scenarios/scaling.yaml', true], ['/x/scaling.yaml', true], ['chain', false], ['scaling-2w', false]])(
    '%s is the scaling scenario: %s', (arg, yes) => expect(isScaling(arg)).toBe(yes));
});
