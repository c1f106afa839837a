import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { main } from './mcr-lab.js';
import { parseCpusFlag, parseRelays, pickTests } from './run.js';
import type { ResolvedTest } from '../scenario/resolve.js';

describe('mcr-lab CLI', () => {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = ''; err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  });
  afterEach(() => { vi.restoreAllMocks(); });

  test.each(['run', 'validate', 'up', 'down', 'ls', 'report', 'doctor', 'calibrate'])('%s --help prints its usage and exits 0', async (verb) => {
    expect(await main([verb, '--help'])).toBe(0);
    expect(out).toMatch(new RegExp(`^usage: mcr-lab ${verb}`));
  });

  test('no command prints the overview and exits 64; an unknown one says which', async () => {
    expect(await main([])).toBe(64);
    expect(out).toMatch(/^usage: mcr-lab COMMAND/);
    expect(await main(['frob'])).toBe(64);
    expect(err).toMatch(/^mcr-lab: unknown command "frob"/);
  });

  test('--cpus: off, or TRAFFIC:RELAY CPU lists; anything else is a usage error naming the flag', () => {
    expect(parseCpusFlag('off')).toBe(false);
    expect(parseCpusFlag('0:1')).toEqual({ traffic: [0], relay: [1] });
    expect(parseCpusFlag('0-2:3,5')).toEqual({ traffic: [0, 1, 2], relay: [3, 5] });
    for (const bad of ['1', 'on', '0:', '2-1:3']) expect(() => parseCpusFlag(bad), bad).toThrow(/^--cpus: expected "off" or TRAFFIC:RELAY/);
  });

  test('an unknown flag is a usage error naming the flag', async () => {
    expect(await main(['run', 'x.yaml', '--fast'])).toBe(64);
    expect(err).toMatch(/Unknown option '--fast'/);
  });

  test('validate of a shipped scenario exits 0 and summarizes it', async () => {
    expect(await main(['validate', 'scenarios/fanout-50.yaml'])).toBe(0);
    expect(out).toContain('scenarios/fanout-50.yaml: ok (fanout-50: 3 hosts, 0 bridges, 2 links, 1 stream → 50 outputs');
  });

  test('validate of a missing file exits 78 and says it cannot read it', async () => {
    expect(await main(['validate', 'no/such.yaml'])).toBe(78);
    expect(err).toMatch(/^no\/such\.yaml cannot read: ENOENT/);
  });

  test('--relays accepts known relays once each and rejects others', () => {
    expect(parseRelays('mcrd, socat,mcrd')).toEqual(['mcrd', 'socat']);
    expect(() => parseRelays('mcrd,bogus')).toThrow('--relays: unknown relay "bogus" (known: mcrd, socat, kernel, direct, frr)');
  });

  test('--tests keeps the named tests in scenario order; an unknown name or a latency test without its throughput test is a usage error', () => {
    const tests: ResolvedTest[] = [
      { kind: 'fixed-rate', name: 'fixed-1k', durationS: 1, repetitions: 1, ratePps: 1000 },
      { kind: 'throughput', name: 'throughput', durationS: 1, repetitions: 1, minPps: 1, maxPps: 10, lossTolerance: 0, resolutionPps: 1, maxSteps: 2 },
      { kind: 'latency', name: 'latency', durationS: 1, repetitions: 1, loadFraction: 0.5 },
    ];
    expect(pickTests(tests, 'latency,throughput').map((t) => t.name)).toEqual(['throughput', 'latency']);
    expect(() => pickTests(tests, 'throughputs')).toThrow('--tests: no test "throughputs" in the scenario (it has: fixed-1k, throughput, latency)');
    expect(() => pickTests(tests, 'latency')).toThrow('--tests: latency runs at a fraction of throughput\'s throughput; add throughput');
  });
});
