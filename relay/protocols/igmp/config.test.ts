import { describe, expect, test } from 'vitest';
import { configTimers, groupMembershipIntervalMs, igmpConfigSchema, lastMemberQueryTimeMs, otherQuerierPresentMs, trackedInterfaces } from './config.js';

const issues = (v: unknown) => {
  const r = igmpConfigSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('igmp config', () => {
  test('an empty section takes the RFC 3376 defaults', () => {
    const c = igmpConfigSchema.parse({ querier_interfaces: ['eth1'] });
    expect(c).toMatchObject({ enabled: true, query_interval: 125, query_response_interval: 10, robustness: 2, last_member_query_interval: 1, version: 3, max_groups: 4096 });
    const t = configTimers(c);
    expect(t).toEqual({ robustness: 2, queryIntervalMs: 125_000, queryResponseIntervalMs: 10_000, lastMemberQueryIntervalMs: 1000, lastMemberQueryCount: 2, startupQueryIntervalMs: 31_250, startupQueryCount: 2 });
    expect(groupMembershipIntervalMs(t)).toBe(260_000);
    expect(otherQuerierPresentMs(t)).toBe(255_000);
    expect(lastMemberQueryTimeMs(t)).toBe(2000);
  });

  test('MCR\'s keys with explicit values are kept', () => {
    const c = igmpConfigSchema.parse({ enabled: true, querier_interfaces: ['eth1'], query_interval: 60, query_response_interval: 5, robustness: 3 });
    expect(configTimers(c)).toMatchObject({ robustness: 3, queryIntervalMs: 60_000, queryResponseIntervalMs: 5000, startupQueryCount: 3, lastMemberQueryCount: 3 });
  });

  test('tracked interfaces are `interfaces` plus the querier interfaces, defaulting to the latter', () => {
    expect(trackedInterfaces(igmpConfigSchema.parse({ querier_interfaces: ['eth2', 'eth1'] }))).toEqual(['eth1', 'eth2']);
    expect(trackedInterfaces(igmpConfigSchema.parse({ querier_interfaces: ['eth1'], interfaces: ['eth3'] }))).toEqual(['eth1', 'eth3']);
  });

  test.each([
    [{ query_interval: 10, query_response_interval: 10 }, 'query_response_interval: expected less than query_interval (10 s), got 10; lower it or raise query_interval'],
    [{ version: 2, query_response_interval: 30 }, 'query_response_interval: expected at most 25.5 s with version 2 (IGMPv2 Max Resp Time is one octet of 0.1 s), got 30'],
    [{ robustness: 0 }, 'robustness: expected integer 1-7'],
    [{ query_interval: 1.5 }, 'query_interval: expected integer 1-31744 (s)'],
    [{ last_member_query_interval: 0.05 }, 'last_member_query_interval: expected seconds 0.1-3174.4 in steps of 0.1'],
    [{ version: 1 }, 'version: expected 2 or 3'],
    [{ querier_interfaces: 'eth1' }, 'querier_interfaces: expected a list of interface names like ["eth1"]'],
    [{ max_sources: 1000 }, 'max_sources: expected integer 1-300'],
  ])('%j is refused: %s', (v, msg) => {
    expect(issues(v)).toEqual([msg]);
  });

  test('unknown keys are refused (a misspelt key must not silently fall back to a default)', () => {
    expect(issues({ querier_interface: ['eth1'] })).toHaveLength(1);
    expect(igmpConfigSchema.safeParse({ querier_interface: ['eth1'] }).error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['querier_interface'] });
  });
});
