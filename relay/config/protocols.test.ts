import { describe, expect, test } from 'vitest';
import { McrError } from '../errors.js';
import { parseConfigText } from './load.js';

const load = (text: string) => parseConfigText(text, 'mcrd.json5');

function errorOf(fn: () => unknown): McrError {
  try { fn(); } catch (e) { if (e instanceof McrError) return e; throw e; }
  throw new Error('expected an McrError');
}

describe('igmp: section', () => {
  test('is validated and filled with RFC defaults instead of being ignored', () => {
    const c = load(`{ igmp: { enabled: true, querier_interfaces: ["eth1"], upstream_interfaces: ["eth0"] } }`);
    expect(c.warnings).toEqual([]);
    expect(c.protocols.igmp).toMatchObject({ querier_interfaces: ['eth1'], upstream_interfaces: ['eth0'], query_interval: 125, robustness: 2, version: 3 });
  });

  test('enabled: false runs no IGMP', () => {
    expect(load(`{ igmp: { enabled: false, querier_interfaces: ["eth1"] } }`).protocols.igmp).toBeUndefined();
  });

  test.each([
    [`{\n igmp: {\n  robustness: 9 } }`, 'mcrd.json5:3 igmp.robustness: expected integer 1-7, got 9 (number)'],
    [`{ igmp: { querier_interfaces: "eth1" } }`, 'igmp.querier_interfaces: expected a list of interface names like ["eth1"], got "eth1" (string)'],
    [`{ igmp: { query_intreval: 10 } }`, 'igmp.query_intreval: unknown key; did you mean "query_interval"?'],
    [`{ igmp: { upstream_interfaces: ["a/b"] } }`, 'igmp.upstream_interfaces[0]: expected an interface name (1-15 characters, no "/", ":" or spaces), got "a/b" (string)'],
    [`{ igmp: { querier_interfaces: ["eth1"], upstream_interfaces: ["eth1"] } }`, 'igmp.upstream_interfaces[0]: "eth1" is an IGMP interface already (streams are captured on those anyway); list it in one place'],
    [`{ igmp: true }`, 'igmp: expected an object like igmp: { enabled: true, ... }'],
  ])('%s is an error naming the field', (text, message) => {
    expect(errorOf(() => load(text)).message).toContain(message);
  });

  test('the module schema\'s own cross-field message is not doubled', () => {
    const m = errorOf(() => load(`{ igmp: { query_interval: 10, query_response_interval: 12 } }`)).message;
    expect(m).toContain('igmp.query_response_interval: expected less than query_interval');
    expect(m.match(/, got /g)).toHaveLength(1);
  });

  test('members-only static outputs load from the config', () => {
    const c = load(`{ rules: [{ input: { interface: "eth0", group: "239.1.1.1", port: 5000 }, outputs: [{ interface: "eth1", group: "239.1.1.1", port: 5000, when: "members" }] }] }`);
    expect(c.rules[0]!.outputs[0]!.when).toBe('members');
  });

  test('other unknown sections still only warn', () => {
    expect(load(`{ bgp: {} }`).warnings).toEqual(['mcrd.json5:1 bgp: section not used by mcrd, ignored']);
  });
});

describe('pim: section', () => {
  test('is validated by the PIM schema and kept in MCR\'s keys', () => {
    const c = load(`{ pim: { enabled: true, router_id: "10.0.0.1", interfaces: [{ name: "eth0", dr_priority: 10 }], static_rp: [{ group: "239.0.0.0/8", rp: "10.0.0.9" }], spt_switchover: "never" } }`);
    expect(c.warnings).toEqual([]);
    expect(c.protocols.pim).toMatchObject({ router_id: '10.0.0.1', interfaces: [{ name: 'eth0', dr_priority: 10 }], spt_switchover: 'never' });
  });

  test('enabled: false runs no PIM', () => {
    expect(load(`{ pim: { enabled: false, interfaces: [{ name: "eth0" }] } }`).protocols.pim).toBeUndefined();
  });

  test.each([
    [`{ pim: { interfaces: [{ name: "eth0", dr_priority: -1 }] } }`, 'pim.interfaces[0].dr_priority: expected integer 0-4294967295'],
    [`{ pim: { interfaces: [{ name: "eth0" }], rp_address: "239.1.1.1" } }`, 'pim.rp_address: expected rp_address as a unicast IPv4 address like 10.0.0.1'],
    [`{ pim: { interfaces: [{ name: "eth0" }], static_rp: [{ group: "10.0.0.0/8", rp: "10.0.0.9" }] } }`, 'pim.static_rp[0].group: expected a multicast group range like 239.0.0.0/8'],
    [`{ pim: { interfaces: [{ name: "eth0" }], spt_switchover: "sometimes" } }`, 'pim.spt_switchover: expected "immediate" or "never"'],
    [`{ pim: { interface: [] } }`, 'pim.interface: unknown key; did you mean "interfaces"?'],
    [`{ pim: { enabled: true } }`, 'pim.interfaces: expected at least one PIM interface'],
    [`{ pim: { interfaces: [{ name: "eth0" }, { name: "eth0" }] } }`, 'pim.interfaces[1].name: interface eth0 is listed twice'],
  ])('%s is an error naming the field', (text, message) => {
    expect(errorOf(() => load(text)).message).toContain(message);
  });
});
