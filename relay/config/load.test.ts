import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { McrError } from '../errors.js';
import { loadConfigFile, parseConfigText } from './load.js';
import { lineOf, locatePaths } from './locate.js';
import { tempDir } from '../../test/support/tmp.js';

const sample = new URL('../../test/fixtures/config/mcr-sample.json5', import.meta.url);

async function rejects(p: Promise<unknown>): Promise<McrError> {
  try { await p; } catch (e) { if (e instanceof McrError) return e; throw e; }
  throw new Error('expected rejection');
}
function throws(fn: () => unknown): McrError {
  try { fn(); } catch (e) { if (e instanceof McrError) return e; throw e; }
  throw new Error('expected an McrError');
}

describe('config loading', () => {
  test('an MCR rule file loads unchanged, with names as ids and defaults applied', async () => {
    const c = await loadConfigFile(sample.pathname);
    expect(c.rules.map((r) => r.id)).toEqual(['camera-1', 'market-data']);
    expect(c.rules[1]!.outputs).toEqual([
      { interface: 'eth1', group: '239.10.10.11', port: 6002, ttl: 16 },
      { interface: 'eth2', group: '10.20.0.5', port: 6002, ttl: 16 },
    ]);
    expect(c.warnings).toEqual([]);
  });

  test("what MCR's config save writes loads: pinning {}, protocol null, multicast_ttl", () => {
    const saved = JSON.stringify({
      pinning: {},
      rules: [{ name: 'video feed', input: { interface: 'eth0', group: '239.1.1.1', port: 5000, protocol: null }, outputs: [{ group: '239.2.2.2', port: 6000, interface: 'eth1' }] }],
      multicast_ttl: null,
    }, null, 2);
    const c = parseConfigText(saved, 'saved.json5');
    expect(c.rules).toEqual([expect.objectContaining({ name: 'video feed', input: { interface: 'eth0', group: '239.1.1.1', port: 5000 } })]);
    expect(c.rules[0]!.outputs[0]!.ttl).toBe(16);
    expect(c.warnings).toEqual([]);
    const ttl4 = parseConfigText(saved.replace('"multicast_ttl": null', '"multicast_ttl": 4'), 'saved.json5');
    expect(ttl4.multicastTtl).toBe(4);
    expect(ttl4.rules[0]!.outputs[0]!.ttl).toBe(4);
    expect(throws(() => parseConfigText(saved.replace('"multicast_ttl": null', '"multicast_ttl": 300'), 's.json5')).message)
      .toBe('s.json5:21 multicast_ttl: expected integer 1-255 or null, got 300 (number)');
  });

  test('non-empty pinning is refused naming what to use instead', () => {
    const e = throws(() => parseConfigText('{\n  rules: [],\n  pinning: { eth0: [0, 1] },\n}\n', 'p.json5'));
    expect(e.message).toBe("p.json5:3 pinning: MCR's per-interface worker pinning is not supported; remove it and pin with daemon: { numWorkers: N, cpus: [...] } (or mcrd --num-workers N --cpus LIST)");
  });

  test('a bad field is reported with file, line, path, expected and got', () => {
    const text = readFileSync(sample, 'utf8').replace('port: 6002 },\n        { interface: "eth2"', 'port: "80a" },\n        { interface: "eth2"');
    const e = throws(() => parseConfigText(text, 'mcrd.json5'));
    expect(e.message).toBe('mcrd.json5:14 rules[1].outputs[0].port: expected integer 1-65535, got "80a" (string)');
  });

  test('a missing key points at the line of its object', () => {
    const text = '{\n  rules: [\n    {\n      input: { interface: "eth0", group: "239.1.1.1" },\n      outputs: [{ interface: "eth1", group: "239.2.2.2", port: 1 }],\n    },\n  ],\n}\n';
    expect(throws(() => parseConfigText(text, 'f.json5')).message).toBe('f.json5:4 rules[0].input.port: expected integer 1-65535, got nothing (missing)');
  });

  test('a JSON5 syntax error names file and line', () => {
    const e = throws(() => parseConfigText('{\n rules: [\n  { input: } ]\n}', 'bad.json5'));
    expect(e.message).toMatch(/^bad\.json5:3: not valid JSON5: invalid character/);
  });

  test('duplicate names across rules are an error at the second one', () => {
    const text = readFileSync(sample, 'utf8').replace("'market-data'", '"camera-1"');
    const e = throws(() => parseConfigText(text, 'mcrd.json5'));
    expect(e.code).toBe('EEXIST');
    expect(e.message).toMatch(/^mcrd\.json5:10 rules\[1\]\.id: duplicate rule id "camera-1"/);
  });

  test('unknown top-level sections are ignored with a warning; daemon settings are read', () => {
    const c = parseConfigText('{ msdp: { enabled: true }, daemon: { numWorkers: 2, backend: "mmsg", gso: false }, rules: [] }', 'x.json5');
    expect(c.warnings).toEqual(['x.json5:1 msdp: section not used by mcrd, ignored']);
    expect(c.settings).toEqual({ numWorkers: 2, backend: 'mmsg', gso: false });
  });

  test('bad daemon settings name the setting', () => {
    expect(throws(() => parseConfigText('{\n daemon: {\n  numWorkers: 0 } }', 'x.json5')).message)
      .toBe('x.json5:3 daemon.numWorkers: expected integer 1-64, got 0 (number)');
    expect(throws(() => parseConfigText('{ daemon: { gso: "on" } }', 'x.json5')).message)
      .toBe('x.json5:1 daemon.gso: expected true or false, got "on" (string)');
  });

  test('an empty file body and a missing rules list mean no rules', () => {
    expect(parseConfigText('{}', 'x').rules).toEqual([]);
    expect(throws(() => parseConfigText('[]', 'x')).message).toBe('x: expected an object with a "rules" list at the top');
  });

  test('a missing file is ENOENT naming the path', async () => {
    const dir = await tempDir('cfg');
    const e = await rejects(loadConfigFile(join(dir, 'nope.json5')));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`${join(dir, 'nope.json5')}: cannot read config: ENOENT`);
    await writeFile(join(dir, 'ok.json5'), '{rules:[]}');
    expect((await loadConfigFile(join(dir, 'ok.json5'))).rules).toEqual([]);
  });
});

describe('locatePaths', () => {
  test('records lines of keys and array elements through comments and strings', () => {
    const text = `{\n  // "rules": fake\n  'a': "x}\\"]",\n  b: [\n    1,\n    /* { */ { c: 2 },\n  ],\n}`;
    const l = locatePaths(text);
    expect(l.get('a')).toBe(3);
    expect(l.get('b')).toBe(4);
    expect(l.get('b[0]')).toBe(5);
    expect(l.get('b[1].c')).toBe(6);
    expect(lineOf(l, ['b', 1, 'missing'])).toBe(6);
  });
});
