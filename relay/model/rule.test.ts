import { describe, expect, test } from 'vitest';
import { McrError } from '../errors.js';
import { DEFAULT_TTL, derivedId } from './rule.js';
import { parseRule, parseRuleList } from './validate.js';

const good = () => ({
  input: { interface: 'eth0', group: '239.1.1.1', port: 5000 },
  outputs: [{ interface: 'eth1', group: '239.2.2.2', port: 6000 }],
});

function errorOf(fn: () => unknown): McrError {
  try { fn(); } catch (e) { if (e instanceof McrError) return e; throw e; }
  throw new Error('expected an McrError, nothing was thrown');
}

describe('parseRule', () => {
  test('a valid MCR-style rule gets a stable derived id and the default TTL', () => {
    const r = parseRule(good());
    expect(r.id).toBe(derivedId(r.input));
    expect(r.id).toMatch(/^[0-9a-f]{8}$/);
    expect(parseRule(good()).id).toBe(r.id);
    expect(r.outputs[0]!.ttl).toBe(DEFAULT_TTL);
  });

  test('outputs may be members-only; "always" is the default and is not stored', () => {
    const out = (when: unknown) => ({ ...good(), outputs: [{ ...good().outputs[0]!, when }] });
    expect(parseRule(out('members')).outputs[0]!.when).toBe('members');
    expect(parseRule(out('always')).outputs[0]).not.toHaveProperty('when');
    expect(parseRule(good()).outputs[0]).not.toHaveProperty('when');
    expect(errorOf(() => parseRule(out('sometimes'))).message).toBe('outputs[0].when: expected "always" or "members" (members: send only while the output interface has IGMP members for the output group), got "sometimes" (string)');
  });

  test('name (MCR) and id both name a rule', () => {
    expect(parseRule({ ...good(), name: 'cam1' }).id).toBe('cam1');
    expect(parseRule({ ...good(), id: 'cam1' }).id).toBe('cam1');
  });

  test("MCR's names may be any text: an id-shaped name is the id, any other is kept beside a derived id", () => {
    const spaced = parseRule({ ...good(), name: 'camera 1 (lobby)' });
    expect(spaced).toMatchObject({ id: derivedId(spaced.input), name: 'camera 1 (lobby)' });
    expect(parseRule({ ...good(), name: 'cam1' })).not.toHaveProperty('name');
    expect(parseRule({ ...good(), id: 'a', name: 'b' })).toMatchObject({ id: 'a', name: 'b' });
  });

  test("input.protocol: MCR's null and \"udp\" are accepted and dropped", () => {
    for (const protocol of [null, 'udp']) {
      expect(parseRule({ ...good(), input: { ...good().input, protocol } }).input).toEqual(good().input);
    }
  });

  test('a default TTL (MCR multicast_ttl) applies to outputs that give none', () => {
    const r = parseRule({ ...good(), outputs: [...good().outputs, { interface: 'eth2', group: '239.2.2.3', port: 1, ttl: 3 }] }, {}, 1);
    expect(r.outputs.map((o) => o.ttl)).toEqual([1, 3]);
  });

  test('different inputs get different derived ids', () => {
    const a = parseRule(good());
    const b = parseRule({ ...good(), input: { ...good().input, port: 5001 } });
    expect(a.id).not.toBe(b.id);
  });

  test('unicast input and unicast output, source filter and tos are accepted', () => {
    const r = parseRule({
      input: { interface: 'gre1', group: '10.0.0.1', port: 9000, source: '192.0.2.7' },
      outputs: [{ interface: 'eth1', group: '10.9.9.9', port: 9001, ttl: 64, tos: 0xb8 }],
    });
    expect(r.input.source).toBe('192.0.2.7');
    expect(r.outputs[0]).toMatchObject({ ttl: 64, tos: 0xb8 });
  });

  const bad: Array<[string, (r: ReturnType<typeof good>) => unknown, string]> = [
    ['port as text', (r) => { (r.input as Record<string, unknown>).port = '80a'; return r; }, 'rule.input.port: expected integer 1-65535, got "80a" (string)'],
    ['port 0', (r) => { r.input.port = 0; return r; }, 'rule.input.port: expected integer 1-65535, got 0 (number)'],
    ['port 65536', (r) => { r.outputs[0]!.port = 65536; return r; }, 'rule.outputs[0].port: expected integer 1-65535, got 65536 (number)'],
    ['fractional port', (r) => { r.input.port = 50.5; return r; }, 'rule.input.port: expected integer 1-65535, got 50.5 (number)'],
    ['missing port', (r) => { delete (r.input as Record<string, unknown>).port; return r; }, 'rule.input.port: expected integer 1-65535, got nothing (missing)'],
    ['three-part group', (r) => { r.input.group = '239.1.1'; return r; }, 'rule.input.group: expected IPv4 multicast or unicast address (dotted quad), got "239.1.1" (string)'],
    ['octet over 255', (r) => { r.outputs[0]!.group = '239.1.1.256'; return r; }, 'rule.outputs[0].group: expected IPv4 multicast or unicast address (dotted quad), got "239.1.1.256" (string)'],
    ['leading zero', (r) => { r.input.group = '239.01.1.1'; return r; }, 'rule.input.group: expected IPv4'],
    ['0.0.0.0 group', (r) => { r.input.group = '0.0.0.0'; return r; }, 'rule.input.group: expected IPv4'],
    ['broadcast output', (r) => { r.outputs[0]!.group = '255.255.255.255'; return r; }, 'rule.outputs[0].group: expected IPv4'],
    ['loopback output', (r) => { r.outputs[0]!.group = '127.0.0.1'; return r; }, 'rule.outputs[0].group: expected IPv4'],
    ['multicast source', (r) => { (r.input as Record<string, unknown>).source = '239.9.9.9'; return r; }, 'rule.input.source: expected IPv4 unicast source address'],
    ['16-char interface', (r) => { r.input.interface = 'abcdefghijklmnop'; return r; }, 'rule.input.interface: expected interface name (1-15 characters, no "/", ":" or spaces), got "abcdefghijklmnop" (string)'],
    ['interface with slash', (r) => { r.outputs[0]!.interface = 'eth/1'; return r; }, 'rule.outputs[0].interface: expected interface name'],
    ['interface with space', (r) => { r.outputs[0]!.interface = 'eth 1'; return r; }, 'rule.outputs[0].interface: expected interface name'],
    ['empty interface', (r) => { r.input.interface = ''; return r; }, 'rule.input.interface: expected interface name'],
    ['interface as number', (r) => { (r.input as Record<string, unknown>).interface = 3; return r; }, 'rule.input.interface: expected interface name (1-15 characters, no "/", ":" or spaces), got 3 (number)'],
    ['ttl 0', (r) => { (r.outputs[0] as Record<string, unknown>).ttl = 0; return r; }, 'rule.outputs[0].ttl: expected integer 1-255, got 0 (number)'],
    ['ttl 256', (r) => { (r.outputs[0] as Record<string, unknown>).ttl = 256; return r; }, 'rule.outputs[0].ttl: expected integer 1-255, got 256 (number)'],
    ['tos 300', (r) => { (r.outputs[0] as Record<string, unknown>).tos = 300; return r; }, 'rule.outputs[0].tos: expected integer 0-255, got 300 (number)'],
    ['no outputs', (r) => { r.outputs = []; return r; }, 'rule.outputs: expected a list of 1-1024 outputs'],
    ['outputs not a list', (r) => ({ ...r, outputs: 'eth1' }), 'rule.outputs: expected a list of 1-1024 outputs, got "eth1" (string)'],
    ['1025 outputs', (r) => { r.outputs = Array.from({ length: 1025 }, (_, i) => ({ interface: 'eth1', group: '239.2.2.2', port: 1000 + i })); return r; }, 'rule.outputs: expected a list of 1-1024 outputs'],
    ['misspelt key', (r) => { (r.outputs[0] as Record<string, unknown>).intreface = 'eth1'; return r; }, 'rule.outputs[0].intreface: unknown key; did you mean "interface"?'],
    ['self-loop', (r) => { r.outputs.push({ ...r.input }); return r; }, 'rule.outputs[1]: self-loop: output 239.1.1.1:5000:eth0 equals the input'],
    ['duplicate output', (r) => { r.outputs.push({ ...r.outputs[0]! }); return r; }, 'rule.outputs[1]: duplicate output 239.2.2.2:6000:eth1 (same as outputs[0])'],
    ['bad id', (r) => ({ ...r, id: 'has space' }), 'rule.id: expected rule id'],
    ['protocol esp', (r) => { (r.input as Record<string, unknown>).protocol = 'esp'; return r; }, 'rule.input.protocol: mcrd relays UDP only, got "esp": give "udp" or null (MCR\'s default), or leave protocol out'],
    ['name with a newline', (r) => ({ ...r, name: 'a\nb' }), 'rule.name: expected rule name: 1-128 characters of text (no control characters), got "a\\nb" (string)'],
    ['rule not an object', () => 'x', 'rule: expected an object, got "x" (string)'],
  ];

  test.each(bad)('%s is rejected naming the field', (_name, mutate, message) => {
    const e = errorOf(() => parseRule(mutate(good()), { source: () => 'request 17', pathPrefix: ['rule'] }));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain(`request 17 ${message}`);
    expect(e.message.startsWith(`request 17 ${message}`)).toBe(true);
  });

  test('several bad fields report the first and count the rest', () => {
    const r = good();
    (r.input as Record<string, unknown>).port = 'x';
    r.outputs[0]!.group = 'y';
    expect(errorOf(() => parseRule(r)).message).toMatch(/^input\.port: .*\(and 1 more error\)$/);
  });
});

describe('parseRuleList', () => {
  test('duplicate ids across rules are rejected at the second rule', () => {
    const a = { ...good(), name: 'cam' };
    const b = { ...good(), name: 'cam', input: { ...good().input, port: 5001 } };
    const e = errorOf(() => parseRuleList([a, b], { pathPrefix: ['rules'] }));
    expect(e.code).toBe('EEXIST');
    expect(e.message).toBe('rules[1].id: duplicate rule id "cam" (also rules[0]); give each rule its own name');
  });

  test('two rules with the same input are rejected even when named differently', () => {
    const e = errorOf(() => parseRuleList([{ ...good(), name: 'a' }, { ...good(), name: 'b' }], { pathPrefix: ['rules'] }));
    expect(e.message).toMatch(/^rules\[1\]\.input: duplicate input 239\.1\.1\.1:5000 on eth0 \(also rules\[0\]\)/);
  });
});
