/** The scenario's generator send mode (`traffic.tx`, `traffic.threads`): defaults, errors naming the field, what reaches mcr-gen. */
import { describe, expect, test } from 'vitest';
import { sendMode } from '../run/trial.js';
import { minimalScenario as minimal, problemsOf, resolvedScenario as resolved } from './testing.js';

describe('traffic.tx / traffic.threads', () => {
  test('absent: packet (raw frames: the generator must not be the bottleneck) with one thread', () => {
    const s = resolved(minimal(''));
    expect(s.generator).toEqual({ tx: 'packet', threads: 1 });
    expect(sendMode(s, 1)).toEqual({ tx: 'packet' });
    expect(resolved(minimal('traffic: { durationS: 2 }')).generator).toEqual({ tx: 'packet', threads: 1 });
  });

  test('tx udp is mcr-gen\'s own default: nothing extra is passed', () => {
    expect(sendMode(resolved(minimal('traffic: { tx: udp }')), 1)).toEqual({});
  });

  test('tx packet and threads are resolved and passed through', () => {
    const s = resolved(minimal('traffic: { tx: packet, threads: 2 }'));
    expect(s.generator).toEqual({ tx: 'packet', threads: 2 });
    expect(sendMode(s, 50)).toEqual({ tx: 'packet', threads: 2 });
  });

  test('threads are capped at the generator\'s destinations (a stream never spans threads)', () => {
    const s = resolved(minimal('traffic: { tx: udp, threads: 4 }'));
    expect(sendMode(s, 1)).toEqual({});
    expect(sendMode(s, 3)).toEqual({ threads: 3 });
    expect(sendMode(s, 50)).toEqual({ threads: 4 });
  });

  test.each([
    ['traffic: { tx: raw }', 'traffic.tx', /"udp".*"packet"/],
    ['traffic: { tx: 1 }', 'traffic.tx', /"udp".*"packet"|"packet".*"udp"/],
    ['traffic: { threads: 0 }', 'traffic.threads', /at least 1/],
    ['traffic: { threads: 65 }', 'traffic.threads', /at most 64/],
    ['traffic: { threads: 1.5 }', 'traffic.threads', /expected int, got 1\.5/],
    ['traffic: { threads: two }', 'traffic.threads', /expected number, got "two"/],
  ])('%s is rejected at %s', (extra, path, message) => {
    const problems = problemsOf(minimal(extra));
    const p = problems.find((x) => x.path === path);
    expect(p, JSON.stringify(problems)).toBeDefined();
    expect(p!.message).toMatch(message);
  });

  test('a misspelt key is rejected with a suggestion', () => {
    const problems = problemsOf(minimal('traffic: { thread: 2 }'));
    expect(JSON.stringify(problems)).toMatch(/threads/);
  });
});
