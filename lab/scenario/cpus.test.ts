/** The scenario keys of CPU placement (`cpus`) and mcrd options (`relay.mcrd`): accepted forms, errors naming the field. */
import { describe, expect, test } from 'vitest';
import { minimalScenario as minimal, problemsOf, resolvedScenario as resolved } from './testing.js';

describe('scenario cpus', () => {
  test('absent means the default placement; both sides, one side, or false are accepted', () => {
    expect(resolved(minimal('')).cpus).toBeUndefined();
    expect(resolved(minimal('cpus: { traffic: [0], relay: [1] }')).cpus).toEqual({ traffic: [0], relay: [1] });
    expect(resolved(minimal('cpus: { relay: [3] }')).cpus).toEqual({ relay: [3] });
    expect(resolved(minimal('cpus: false')).cpus).toBe(false);
  });

  test('errors name the field: a typo, an empty list, a negative CPU, true', () => {
    expect(problemsOf(minimal('cpus: { relai: [1] }'))).toContainEqual(expect.objectContaining({ path: 'cpus.relai', message: 'unknown key (did you mean "relay"?)' }));
    expect(problemsOf(minimal('cpus: { relay: [] }'))).toContainEqual(expect.objectContaining({ path: 'cpus.relay', message: expect.stringContaining('at least one CPU') }));
    expect(problemsOf(minimal('cpus: { traffic: [-1] }'))).toContainEqual(expect.objectContaining({ path: 'cpus.traffic[0]' }));
    expect(problemsOf(minimal('cpus: true'))[0]!.path).toBe('cpus');
  });
});

describe('scenario relay.mcrd', () => {
  test('workers and busyPollUs reach the resolved scenario; absent = mcrd\'s defaults', () => {
    expect(resolved(minimal('')).mcrd).toEqual({});
    expect(resolved(minimal('', 'relay: { host: relay, mcrd: { workers: 2, busyPollUs: 50 } }')).mcrd).toEqual({ workers: 2, busyPollUs: 50 });
  });

  test('out-of-range values and unknown keys name the field', () => {
    expect(problemsOf(minimal('', 'relay: { host: relay, mcrd: { workers: 65 } }'))).toContainEqual(expect.objectContaining({ path: 'relay.mcrd.workers', message: expect.stringContaining('65') }));
    expect(problemsOf(minimal('', 'relay: { host: relay, mcrd: { busyPollUs: -1 } }'))).toContainEqual(expect.objectContaining({ path: 'relay.mcrd.busyPollUs' }));
    expect(problemsOf(minimal('', 'relay: { host: relay, mcrd: { worker: 2 } }'))).toContainEqual(expect.objectContaining({ path: 'relay.mcrd.worker', message: 'unknown key (did you mean "workers"?)' }));
  });
});
