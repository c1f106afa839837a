import { describe, expect, test } from 'vitest';
import { ruleFromFlags } from './add.js';

const base = ['--input-interface', 'eth0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.2:6000:eth1'];
const withFlag = (flag: string, value: string) => {
  const a = [...base];
  const i = a.indexOf(flag);
  if (i >= 0) a[i + 1] = value; else a.push(flag, value);
  return a;
};

describe('mcrctl add flags', () => {
  test('MCR flags build the same rule the config format does', () => {
    expect(ruleFromFlags([...base, '--rule-id', 'cam1', '--ttl', '8']).rule).toEqual({
      id: 'cam1',
      input: { interface: 'eth0', group: '239.1.1.1', port: 5000 },
      outputs: [{ interface: 'eth1', group: '239.2.2.2', port: 6000, ttl: 8 }],
    });
  });

  test('--outputs takes a comma-separated list of GROUP:PORT:INTERFACE', () => {
    const { rule: r } = ruleFromFlags(withFlag('--outputs', '239.2.2.2:6000:eth1, 10.0.0.2:7000:eth2'));
    expect(r.outputs.map((o) => `${o.group}:${o.port}:${o.interface}`)).toEqual(['239.2.2.2:6000:eth1', '10.0.0.2:7000:eth2']);
  });

  test('repeated --outputs accumulate, none is lost', () => {
    const { rule: r } = ruleFromFlags([...base, '--outputs', '239.2.2.3:6001:eth1,239.2.2.4:6002:eth2', '--outputs', '239.2.2.5:6003:eth2']);
    expect(r.outputs.map((o) => `${o.group}:${o.port}:${o.interface}`)).toEqual(['239.2.2.2:6000:eth1', '239.2.2.3:6001:eth1', '239.2.2.4:6002:eth2', '239.2.2.5:6003:eth2']);
  });

  test('--name may hold spaces; without --ttl the rule goes to mcrd without one (its default applies there)', () => {
    const { raw, rule, replace } = ruleFromFlags([...base, '--name', 'camera 1', '--replace']);
    expect(raw).toEqual({ name: 'camera 1', input: { interface: 'eth0', group: '239.1.1.1', port: 5000 }, outputs: [{ group: '239.2.2.2', port: 6000, interface: 'eth1' }] });
    expect(rule.name).toBe('camera 1');
    expect(replace).toBe(true);
  });

  test.each([
    ['--input-port', 'x', '--input-port: expected integer 1-65535, got "x" (string)'],
    ['--input-port', '70000', '--input-port: expected integer 1-65535, got 70000 (number)'],
    ['--input-group', '239.1.1', '--input-group: expected IPv4 multicast or unicast address (dotted quad), got "239.1.1" (string)'],
    ['--input-interface', 'a/b', '--input-interface: expected interface name (1-15 characters, no "/", ":" or spaces), got "a/b" (string)'],
    ['--ttl', '0', '--ttl: expected integer 1-255, got 0 (number)'],
    ['--rule-id', 'a b', '--rule-id: expected rule id'],
    ['--outputs', '239.2.2.2:6000', '--outputs: expected GROUP:PORT:INTERFACE[,...], got "239.2.2.2:6000" (string)'],
    ['--outputs', '239.2.2.2:0:eth1', '--outputs 239.2.2.2:0:eth1 (port): expected integer 1-65535, got 0 (number)'],
    ['--outputs', '239.1.1.1:5000:eth0', '--outputs 239.1.1.1:5000:eth0: self-loop'],
    ['--outputs', '239.2.2.2:1:eth1,239.2.2.2:1:eth1', '--outputs 239.2.2.2:1:eth1: duplicate output'],
  ])('%s %s is a usage error naming the flag', (flag, value, message) => {
    expect(() => ruleFromFlags(withFlag(flag, value))).toThrow(message);
    try { ruleFromFlags(withFlag(flag, value)); } catch (e) { expect((e as { usage?: boolean }).usage).toBe(true); }
  });

  test('a missing required flag and an unknown flag are usage errors', () => {
    expect(() => ruleFromFlags(base.slice(2))).toThrow('--input-interface: missing, required by add');
    expect(() => ruleFromFlags([...base, '--bogus', '1'])).toThrow(/Unknown option '--bogus'.*see mcrctl add --help/);
  });
});
