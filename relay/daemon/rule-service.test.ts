import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MemoryDataPlane } from '../../test/support/memory-data-plane.js';
import { readState } from '../config/state.js';
import { parseRule } from '../model/validate.js';
import { silentLogger } from './log.js';
import { RuleService } from './rule-service.js';

const mk = (port: number, name?: string, outs = [6000]) => parseRule({
  ...(name ? { name } : {}),
  input: { interface: 'eth0', group: '239.1.1.1', port },
  outputs: outs.map((p) => ({ interface: 'eth1', group: '239.2.2.2', port: p })),
});

async function setup(ifaces = ['eth0', 'eth1']) {
  const dp = new MemoryDataPlane();
  const stateFile = join(await mkdtemp(join(tmpdir(), 'mcrR-rs-')), 'rules.json');
  const svc = new RuleService({ dataPlane: dp, stateFile, log: silentLogger(), interfaceExists: (n) => ifaces.includes(n) });
  return { dp, svc, stateFile };
}

describe('RuleService', () => {
  test('an added rule reaches the data plane with slots, and is persisted', async () => {
    const { dp, svc, stateFile } = await setup();
    await svc.add(mk(5000, 'a', [6000, 6001]));
    expect(dp.table).toEqual([expect.objectContaining({ id: 'a', slot: 0, outputs: [expect.objectContaining({ slot: 0, port: 6000 }), expect.objectContaining({ slot: 1, port: 6001 })] })]);
    expect((await readState(stateFile)).map((r) => [r.id, r.origin])).toEqual([['a', 'runtime']]);
  });

  test('slots of other rules stay put when a rule is removed and another added', async () => {
    const { dp, svc } = await setup();
    await svc.add(mk(5000, 'a'));
    await svc.add(mk(5001, 'b'));
    await svc.remove('a');
    await svc.add(mk(5002, 'c'));
    const slots = Object.fromEntries(dp.table.map((r) => [r.id, r.slot]));
    expect(slots.b).toBe(1);
    // A freed slot is not reused at once: c gets a fresh one.
    expect(slots.c).toBe(2);
  });

  test('a refused table leaves the running rules and the state file untouched', async () => {
    const { dp, svc, stateFile } = await setup();
    await svc.add(mk(5000, 'a'));
    dp.refuseNext('bind(AF_PACKET, eth0): EPERM');
    await expect(svc.add(mk(5001, 'b'))).rejects.toThrow('EPERM');
    expect(svc.list().map((r) => r.id)).toEqual(['a']);
    expect(dp.table.map((r) => r.id)).toEqual(['a']);
    expect((await readState(stateFile)).map((r) => r.id)).toEqual(['a']);
  });

  test('duplicate id, duplicate input and a missing interface are refused with the field named', async () => {
    const { svc } = await setup();
    await svc.add(mk(5000, 'a'));
    await expect(svc.add(mk(5001, 'a'))).rejects.toMatchObject({ code: 'EEXIST', path: 'id' });
    await expect(svc.add(mk(5000, 'b'))).rejects.toMatchObject({ code: 'EEXIST', path: 'input', message: expect.stringContaining('rule "a" already relays 239.1.1.1:5000') });
    const missing = parseRule({ input: { interface: 'eth0', group: '239.1.1.1', port: 7000 }, outputs: [{ interface: 'eth9', group: '239.2.2.2', port: 1 }] });
    await expect(svc.add(missing)).rejects.toMatchObject({ code: 'ENODEV', path: 'outputs[0].interface' });
  });

  test('remove of an unknown id is ENOENT listing what exists', async () => {
    const { svc } = await setup();
    await svc.add(mk(5000, 'a'));
    await expect(svc.remove('zz')).rejects.toMatchObject({ code: 'ENOENT', message: 'ruleId: no rule "zz" (rules: a)' });
  });

  test('concurrent adds are applied one at a time, each seeing the previous', async () => {
    const { dp, svc } = await setup();
    await Promise.all([5000, 5001, 5002, 5003].map((p) => svc.add(mk(p))));
    expect(dp.applied.map((t) => t.length)).toEqual([1, 2, 3, 4]);
  });

  test('replaceAll keeps the slot of an unchanged rule', async () => {
    const { dp, svc } = await setup();
    await svc.add(mk(5000, 'a'));
    await svc.add(mk(5001, 'b'));
    const b = svc.list().find((r) => r.id === 'b')!;
    await svc.replaceAll([{ ...mk(5002, 'c'), origin: 'config' }, b]);
    expect(dp.table.find((r) => r.id === 'b')!.slot).toBe(1);
  });
});
