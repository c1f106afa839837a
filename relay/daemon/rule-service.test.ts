import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MemoryDataPlane } from '../../test/support/memory-data-plane.js';
import { StateFile, readState } from '../config/state.js';
import { McrError } from '../errors.js';
import { outputKey } from '../model/rule.js';
import { parseRule } from '../model/validate.js';
import { createLogger, silentLogger } from './log.js';
import { RuleService } from './rule-service.js';
import { canMount, scratchMount } from '../../test/support/mounts.js';
import { tempDir } from '../../test/support/tmp.js';

const mk = (port: number, name?: string, outs = [6000]) => parseRule({
  ...(name ? { name } : {}),
  input: { interface: 'eth0', group: '239.1.1.1', port },
  outputs: outs.map((p) => ({ interface: 'eth1', group: '239.2.2.2', port: p })),
});

async function setup(ifaces = ['eth0', 'eth1']) {
  const dp = new MemoryDataPlane();
  const stateFile = join(await tempDir('rs'), 'rules.json');
  const svc = new RuleService({ dataPlane: dp, state: new StateFile(stateFile), log: silentLogger(), interfaceExists: (n) => ifaces.includes(n) });
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

  test('re-adding an identical rule is a no-op; a conflicting one is replaced only when asked', async () => {
    const { dp, svc, stateFile } = await setup();
    expect((await svc.add(mk(5000, 'a'))).outcome).toBe('added');
    expect((await svc.add(mk(5000, 'a'))).outcome).toBe('unchanged');
    // Unnamed: the id derives from the input, so the same unnamed add is the same rule too.
    expect((await svc.add(mk(5001))).outcome).toBe('added');
    expect((await svc.add(mk(5001))).outcome).toBe('unchanged');
    await expect(svc.add(mk(5000, 'a', [6000, 6001]))).rejects.toMatchObject({ code: 'EEXIST', message: expect.stringContaining('--replace') });
    const r = await svc.add(mk(5000, 'a', [6000, 6001]), 'runtime', true);
    expect(r.outcome).toBe('replaced');
    expect(r.rule.outputs.map((o) => o.port)).toEqual([6000, 6001]);
    // Same input under another name replaces the old rule rather than adding a second one.
    await svc.add(mk(5000, 'z'), 'runtime', true);
    expect(svc.list().map((x) => x.id).sort()).toEqual([mk(5001).id, 'z'].sort());
    expect(dp.table.map((x) => x.id).sort()).toEqual([mk(5001).id, 'z'].sort());
    expect((await readState(stateFile)).map((x) => x.id).sort()).toEqual([mk(5001).id, 'z'].sort());
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

  test('a table planned from the current rules (reload, config load) sees an add still in flight and keeps it', async () => {
    const { dp, svc, stateFile } = await setup();
    await svc.add(mk(5000, 'a'));
    // The data plane holds the next table until released: the add of b is in flight, unacknowledged.
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const apply = dp.apply.bind(dp);
    dp.apply = async (rules) => { await gate; return apply(rules); };
    const addB = svc.add(mk(5001, 'b'));
    const reload = svc.replaceWith((current) => ({ next: [...current, { ...mk(5002, 'cfg'), origin: 'config' as const }], result: current.map((r) => r.id) }));
    const removeA = svc.remove('a');
    release();
    expect((await addB).outcome).toBe('added');
    expect(await reload).toEqual(['a', 'b']);
    await removeA;
    expect(svc.list().map((r) => r.id)).toEqual(['b', 'cfg']);
    expect(dp.table.map((r) => r.id)).toEqual(['b', 'cfg']);
    expect((await readState(stateFile)).map((r) => r.id)).toEqual(['b', 'cfg']);
  });

  test('replaceWith refuses a planned table with a duplicate, naming it, and changes nothing', async () => {
    const { dp, svc } = await setup();
    await svc.add(mk(5000, 'a'));
    await expect(svc.replaceWith((current) => ({ next: [...current, { ...mk(5000, 'z'), origin: 'config' as const }], result: 0 })))
      .rejects.toMatchObject({ code: 'EEXIST', path: 'rules[1].input' });
    expect(dp.table.map((r) => r.id)).toEqual(['a']);
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

describe('RuleService single-rule changes (the O(change) path)', () => {
  // A seeded generator: the sequence is the same on every run, and covers adds, replacements by id
  // and by input, waiting rules and removes.
  function* ops(seed: number, n: number): Generator<{ op: 'add' | 'replace' | 'remove'; port: number; name: string; outs: number[] }> {
    let x = seed;
    const rnd = (m: number) => { x = (x * 1103515245 + 12345) % 2147483648; return Math.floor((x / 2147483648) * m); };
    for (let i = 0; i < n; i++) {
      const k = rnd(10);
      yield { op: k < 6 ? 'add' : k < 8 ? 'replace' : 'remove', port: 5000 + rnd(40), name: `r${rnd(30)}`, outs: Array.from({ length: 1 + rnd(3) }, (_, j) => 6000 + j + rnd(5) * 10) };
    }
  }

  test('300 random adds, replacements and removes: each delta matches the tables (checked by the data plane), a full re-plan changes nothing, and the journal replays to the same table', async () => {
    const { dp, svc, stateFile } = await setup(['eth0', 'eth1']);
    let refused = 0;
    for (const o of ops(7, 300)) {
      const current = svc.configured();
      if (o.op === 'remove') {
        const victim = current[o.port % Math.max(1, current.length)];
        if (victim) await svc.remove(victim.id); else refused++;
        continue;
      }
      await svc.add(mk(o.port, o.name, o.outs), 'runtime', o.op === 'replace').catch((err: McrError) => {
        expect(err.code, err.message).toBe('EEXIST');
        refused++;
      });
    }
    expect(refused).toBeLessThan(200);
    expect(svc.configured().length, 'rules left at the end').toBeGreaterThan(5);
    const byId = (t: typeof dp.table) => [...t].sort((a, b) => a.id.localeCompare(b.id));
    const table = byId(dp.table);
    expect(table.map((r) => r.id)).toEqual(svc.configured().map((r) => r.id).sort());
    // Every rule and output slot distinct, and the full plan (recompose) finds the same table.
    expect(new Set(table.map((r) => r.slot)).size).toBe(table.length);
    const outSlots = table.flatMap((r) => r.outputs.map((o) => o.slot));
    expect(new Set(outSlots).size).toBe(outSlots.length);
    const applies = dp.applied.length;
    await svc.recompose();
    expect(byId(dp.table)).toEqual(table);
    expect(dp.applied.length).toBe(applies + 1);
    // Snapshot (none was written: no replaceAll) plus journal = the running table, in its order.
    expect(await readState(stateFile)).toEqual(svc.configured());
  });

  test('a replacement by input under another id frees the old id and its slots; the journal says both', async () => {
    const { dp, svc, stateFile } = await setup();
    await svc.add(mk(5000, 'a'));
    await svc.add(mk(5001, 'b'));
    const { outcome } = await svc.add({ ...mk(5000, 'c'), id: 'c' }, 'runtime', true);
    expect(outcome).toBe('replaced');
    expect(dp.table.map((r) => [r.id, r.slot])).toEqual([['b', 1], ['c', 2]]);
    expect(svc.ruleSlot('a')).toBeUndefined();
    const journal = (await readFile(`${stateFile}.journal`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { seq: number; remove: string[]; add: Array<{ id: string }> });
    expect(journal.map((l) => [l.seq, l.remove, l.add.map((r) => r.id)])).toEqual([[1, [], ['a']], [2, [], ['b']], [3, ['a'], ['c']]]);
  });

  test('a refused single change leaves slots, table and journal as they were', async () => {
    const { dp, svc, stateFile } = await setup();
    await svc.add(mk(5000, 'a'));
    dp.refuseNext('bind(AF_PACKET, eth0): EPERM');
    await expect(svc.remove('a')).rejects.toThrow('EPERM');
    expect(dp.table.map((r) => r.id)).toEqual(['a']);
    expect(svc.ruleSlot('a')).toBe(0);
    expect((await readState(stateFile)).map((r) => r.id)).toEqual(['a']);
  });
});

describe('RuleService following interfaces', () => {
  const withIfaces = async (ifs: Record<string, number>) => {
    const dp = new MemoryDataPlane();
    const svc = new RuleService({ dataPlane: dp, log: silentLogger(), interfaceIndex: (n) => ifs[n] });
    return { dp, svc };
  };

  test('a configured rule whose interface is missing waits, blocks nothing, and starts when the interface appears', async () => {
    const ifs: Record<string, number> = { eth0: 2 };
    const { dp, svc } = await withIfaces(ifs);
    await svc.replaceAll([{ ...mk(5000, 'a'), origin: 'config' }]);
    expect(svc.list()[0]).toMatchObject({ id: 'a', state: 'waiting', waitingFor: 'eth1' });
    expect(dp.table).toEqual([]);
    ifs.eth1 = 3;
    await svc.refresh();
    expect(svc.list()[0]).toMatchObject({ id: 'a', state: 'active' });
    expect(dp.table.map((r) => r.id)).toEqual(['a']);
  });

  test('the engines capture on the protocol interfaces that exist, with every change; one that appears, is re-created or vanishes is followed by refresh', async () => {
    const ifs: Record<string, number> = { eth0: 2, eth1: 3 };
    const dp = new MemoryDataPlane();
    const svc = new RuleService({ dataPlane: dp, log: silentLogger(), interfaceIndex: (n) => ifs[n], capture: () => ({ watch: ['eth0', 'pim9'], hold: ['eth1', 'up0'] }) });
    await svc.replaceAll([]);
    expect(dp.capture).toEqual({ watch: ['eth0'], hold: ['eth1'] });
    await svc.add(mk(5000, 'a'));
    expect(dp.lastHow).toBe('delta');
    expect(dp.capture).toEqual({ watch: ['eth0'], hold: ['eth1'] });
    ifs.up0 = 4;
    await svc.refresh();
    expect(dp.capture).toEqual({ watch: ['eth0'], hold: ['eth1', 'up0'] });
    const applies = dp.applied.length;
    await svc.refresh();
    expect(dp.applied.length).toBe(applies); // nothing changed: nothing applied
    ifs.up0 = 5; // re-created: the engine holds the old index, so the table is rebuilt
    await svc.refresh();
    expect(dp.applied.length).toBe(applies + 1);
    expect(dp.lastHow).toBe('rebuild');
    delete ifs.up0;
    await svc.refresh();
    expect(dp.capture).toEqual({ watch: ['eth0'], hold: ['eth1'] });
  });

  test('a vanished interface withdraws only its rules, and other changes still apply', async () => {
    const ifs: Record<string, number> = { eth0: 2, eth1: 3, eth2: 4 };
    const { dp, svc } = await withIfaces(ifs);
    await svc.add(mk(5000, 'a'));
    await svc.add(parseRule({ name: 'b', input: { interface: 'eth0', group: '239.1.1.1', port: 5001 }, outputs: [{ interface: 'eth2', group: '239.2.2.2', port: 1 }] }));
    delete ifs.eth1;
    await svc.refresh();
    expect(dp.table.map((r) => r.id)).toEqual(['b']);
    await svc.add(parseRule({ name: 'c', input: { interface: 'eth0', group: '239.1.1.1', port: 5002 }, outputs: [{ interface: 'eth2', group: '239.2.2.2', port: 2 }] }));
    expect(dp.table.map((r) => r.id)).toEqual(['b', 'c']);
    expect(svc.list().map((r) => [r.id, r.state])).toEqual([['a', 'waiting'], ['b', 'active'], ['c', 'active']]);
  });

  test('an interface vanishing while a table is applied does not refuse a change to another rule', async () => {
    const ifs: Record<string, number> = { eth0: 2, eth1: 3, eth2: 4 };
    const { dp, svc } = await withIfaces(ifs);
    await svc.add(parseRule({ name: 'b', input: { interface: 'eth0', group: '239.1.1.1', port: 5001 }, outputs: [{ interface: 'eth2', group: '239.2.2.2', port: 1 }] }));
    // eth2 goes away after the table for the add of a was planned, before the engine opened its sockets.
    const apply = dp.apply.bind(dp);
    let raced = false;
    dp.apply = async (rules) => {
      if (!raced && rules.some((r) => r.id === 'a')) {
        raced = true;
        delete ifs.eth2;
        throw new McrError({ code: 'EENGINE', detail: 'the packet engine refused the rule table: setsockopt(SO_BINDTODEVICE)(UDP, eth2): ENODEV' });
      }
      return apply(rules);
    };
    expect((await svc.add(mk(5000, 'a'))).outcome).toBe('added');
    expect(dp.table.map((r) => r.id)).toEqual(['a']);
    expect(svc.list().map((r) => [r.id, r.state])).toEqual([['b', 'waiting'], ['a', 'active']]);
    // A refusal with the interfaces unchanged is the answer.
    dp.refuseNext('bind(AF_PACKET, eth0): EPERM');
    await expect(svc.add(mk(5002, 'c'))).rejects.toThrow('EPERM');
  });

  test('an interface deleted and re-created (new ifindex) gets its rules withdrawn and re-installed', async () => {
    const ifs: Record<string, number> = { eth0: 2, eth1: 3 };
    const { dp, svc } = await withIfaces(ifs);
    await svc.add(mk(5000, 'a'));
    const before = dp.applied.length;
    ifs.eth1 = 9;
    await svc.refresh();
    expect(dp.applied.slice(before).map((t) => t.map((r) => r.id))).toEqual([[], ['a']]);
    await svc.refresh();
    expect(dp.applied.length).toBe(before + 2);
  });
});

describe('RuleService following interface state (addresses, MTU, link down)', () => {
  type If = { ifindex: number; up: boolean; mtu?: number; mac?: string; addresses?: string[] };
  const withTable = async (ifs: Record<string, If>) => {
    const dp = new MemoryDataPlane();
    const lines: string[] = [];
    const log = createLogger({ level: 'info', json: false, write: (l) => lines.push(l) });
    const svc = new RuleService({ dataPlane: dp, log, interfaces: () => new Map(Object.entries(structuredClone(ifs))) });
    return { dp, svc, lines };
  };
  const base = (): Record<string, If> => ({
    eth0: { ifindex: 2, up: true, mtu: 1500, mac: '02:00:00:00:00:02', addresses: ['10.1.0.2/24'] },
    eth1: { ifindex: 3, up: true, mtu: 1500, mac: '02:00:00:00:00:03', addresses: ['10.2.0.1/24'] },
  });

  test('a new primary address on an output interface re-applies the same table (templates re-read), once', async () => {
    const ifs = base();
    const { dp, svc } = await withTable(ifs);
    await svc.add(mk(5000, 'a'));
    const before = dp.applied.length;
    await svc.refresh();
    expect(dp.applied.length).toBe(before);
    ifs.eth1!.addresses = ['10.2.0.9/24'];
    await svc.refresh();
    expect(dp.applied.slice(before)).toEqual([dp.applied[before - 1]]);
    // The same table, as a whole: an engine takes a delta without rebuilding the rules it keeps.
    expect(dp.lastHow).toBe('rebuild');
    await svc.refresh();
    expect(dp.applied.length).toBe(before + 1);
  });

  // The soak's readdress under rule churn: an add between the address change and the refresh pushed
  // the new address first, and the refresh then saw nothing to log.
  test('a readdress that a rule change pushes before the refresh is still logged by the refresh, once', async () => {
    const ifs = base();
    const { dp, svc, lines } = await withTable(ifs);
    await svc.add(mk(5000, 'a'));
    ifs.eth1!.addresses = ['10.2.0.1/24', '10.2.0.3/24'];
    await svc.refresh();
    ifs.eth1!.addresses = ['10.2.0.3/24'];
    await svc.add(mk(5001, 'b'));
    const before = dp.applied.length;
    await svc.refresh();
    expect(lines.filter((l) => l.includes('rebuilding its outputs'))).toEqual([expect.stringMatching(/interface=eth1 addresses=10\.2\.0\.3\/24/)]);
    expect(dp.applied.length).toBe(before + 1);
    await svc.refresh();
    expect(dp.applied.length).toBe(before + 1);
    expect(lines.filter((l) => l.includes('rebuilding its outputs'))).toHaveLength(1);
  });

  test('an input MTU change that a rule change pushes first still re-installs its rules at the refresh', async () => {
    const ifs = base();
    const { dp, svc } = await withTable(ifs);
    await svc.add(mk(5000, 'a'));
    ifs.eth0!.mtu = 9000;
    await svc.add(mk(5001, 'b'));
    const before = dp.applied.length;
    await svc.refresh();
    expect(dp.applied.slice(before).map((t) => t.map((r) => r.id))).toEqual([[], ['a', 'b']]);
  });

  test('a link going down is logged by the refresh even when a rule change read the interfaces first', async () => {
    const ifs = base();
    const { svc, lines } = await withTable(ifs);
    await svc.add(mk(5000, 'a'));
    await svc.refresh();
    ifs.eth1!.up = false;
    await svc.add(mk(5001, 'b'));
    await svc.refresh();
    expect(lines.filter((l) => l.includes('interface down'))).toEqual([expect.stringContaining('interface=eth1')]);
    ifs.eth1!.up = true;
    await svc.add(mk(5002, 'c'));
    await svc.refresh();
    expect(lines.filter((l) => l.includes('interface up again'))).toEqual([expect.stringContaining('interface=eth1')]);
  });

  test('output MTU and MAC changes re-apply; a secondary address or an input address change does not', async () => {
    const ifs = base();
    const { dp, svc } = await withTable(ifs);
    await svc.add(mk(5000, 'a'));
    let n = dp.applied.length;
    ifs.eth1!.addresses = ['10.2.0.1/24', '10.2.0.50/24'];
    ifs.eth0!.addresses = ['10.1.0.99/24'];
    await svc.refresh();
    expect(dp.applied.length).toBe(n);
    ifs.eth1!.mtu = 9000;
    await svc.refresh();
    expect(dp.applied.length).toBe(++n);
    ifs.eth1!.mac = '02:00:00:00:00:33';
    await svc.refresh();
    expect(dp.applied.length).toBe(++n);
  });

  test('an input MTU change re-installs the rules on it (ring slots are sized from the MTU)', async () => {
    const ifs = base();
    const { dp, svc } = await withTable(ifs);
    await svc.add(mk(5000, 'a'));
    const before = dp.applied.length;
    ifs.eth0!.mtu = 9000;
    await svc.refresh();
    expect(dp.applied.slice(before).map((t) => t.map((r) => r.id))).toEqual([[], ['a']]);
  });

  test('a down interface shows its rules as interface-down, keeps them installed, and up clears it', async () => {
    const ifs = base();
    const { dp, svc } = await withTable(ifs);
    await svc.add(mk(5000, 'a'));
    const before = dp.applied.length;
    ifs.eth1!.up = false;
    await svc.refresh();
    expect(svc.list()[0]).toMatchObject({ id: 'a', state: 'interface-down', waitingFor: 'eth1' });
    expect(dp.applied.length).toBe(before);
    expect(dp.table.map((r) => r.id)).toEqual(['a']);
    ifs.eth1!.up = true;
    await svc.refresh();
    expect(svc.list()[0]).toMatchObject({ id: 'a', state: 'active' });
    expect(svc.list()[0]!.waitingFor).toBeUndefined();
    expect(dp.applied.length).toBe(before);
  });

  test('a rule added while its output is down is installed and shown down', async () => {
    const ifs = base();
    ifs.eth1!.up = false;
    const { dp, svc } = await withTable(ifs);
    const { rule: view } = await svc.add(mk(5000, 'a'));
    expect(view).toMatchObject({ state: 'interface-down', waitingFor: 'eth1' });
    expect(dp.table.map((r) => r.id)).toEqual(['a']);
  });
});

describe.skipIf(!canMount)('RuleService when the state file cannot be written (real tmpfs in a private mount namespace)', () => {
  const onDisk = async (sizeKiB: number) => {
    const m = await scratchMount({ sizeKiB });
    const dp = new MemoryDataPlane();
    const stateFile = join(m.dir, 'rules.json');
    const state = new StateFile(stateFile);
    const svc = new RuleService({ dataPlane: dp, state, log: silentLogger(), interfaceExists: () => true });
    // A read-only remount needs no file open for writing: the journal is closed (and reopened by the next change).
    const remountReadOnly = async () => { await state.close(); await m.remountReadOnly(); };
    return { m, dp, svc, stateFile, remountReadOnly };
  };

  test('ENOSPC refuses an add: the engine gets the previous table back, the journal is cut back, slots unchanged', async () => {
    const { m, dp, svc, stateFile } = await onDisk(64);
    await svc.add(mk(5000, 'a'));
    await svc.add(mk(5001, 'b'));
    const before = structuredClone(dp.table);
    await m.fill();
    // 400 outputs: a journal line of ~30 KiB, more than the journal's last page has room for.
    const big = parseRule({ name: 'c', input: { interface: 'eth0', group: '239.1.1.1', port: 5002 }, outputs: Array.from({ length: 400 }, (_, i) => ({ interface: 'eth1', group: '239.2.2.2', port: 7000 + i })) });
    await expect(svc.add(big)).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('state file not saved (ENOSPC)') });
    expect(dp.table).toEqual(before);
    expect(svc.list().map((r) => r.id)).toEqual(['a', 'b']);
    expect((await readState(stateFile)).map((r) => r.id)).toEqual(['a', 'b']);
    // Slots were not handed on: once there is room again, the next rule gets the next fresh slot.
    await unlink(join(m.dir, 'filler'));
    await svc.add(mk(5003, 'd'));
    expect(dp.table.map((r) => [r.id, r.slot])).toEqual([['a', 0], ['b', 1], ['d', 2]]);
    expect((await readState(stateFile)).map((r) => r.id)).toEqual(['a', 'b', 'd']);
  });

  test('EROFS refuses a remove: the rule keeps running and stays in the file', async () => {
    const { dp, svc, stateFile, remountReadOnly } = await onDisk(64);
    await svc.add(mk(5000, 'a'));
    await svc.add(mk(5001, 'b'));
    const before = structuredClone(dp.table);
    await remountReadOnly();
    await expect(svc.remove('a')).rejects.toThrow('state file not saved (EROFS)');
    expect(dp.table).toEqual(before);
    expect(svc.list().map((r) => r.id)).toEqual(['a', 'b']);
    expect((await readState(stateFile)).map((r) => r.id)).toEqual(['a', 'b']);
  });

  test('EROFS refuses a reload (replaceAll) and leaves the running rules', async () => {
    const { dp, svc, stateFile, remountReadOnly } = await onDisk(64);
    await svc.add(mk(5000, 'a'));
    await remountReadOnly();
    await expect(svc.replaceAll([{ ...mk(5005, 'z'), origin: 'config' }])).rejects.toThrow('state file not saved (EROFS)');
    expect(dp.table.map((r) => r.id)).toEqual(['a']);
    expect(svc.configured().map((r) => r.id)).toEqual(['a']);
    expect((await readState(stateFile)).map((r) => r.id)).toEqual(['a']);
  });
});

describe('RuleService with an MRIB (compose)', () => {
  test('recompose installs the composed table without persisting; slots of static and learned rules stay put', async () => {
    const dp = new MemoryDataPlane();
    const stateFile = join(await tempDir('rs'), 'rules.json');
    let learned: string[] = [];
    const svc = new RuleService({
      dataPlane: dp, state: new StateFile(stateFile), log: silentLogger(), interfaceExists: () => true,
      compose: (usable) => [
        ...usable.map((r) => ({ id: r.id, input: r.input, outputs: r.outputs.map(({ when: _w, ...o }) => ({ ...o, key: outputKey(r.id, o) })) })),
        ...learned.map((g) => ({ id: `igmp:eth0:${g}`, input: { interface: 'eth0', group: g, port: 0 }, outputs: [{ key: `igmp:${g}|eth1`, interface: 'eth1', group: g, port: 0, ttl: 64 }] })),
      ],
    });
    await svc.add(mk(5000, 'a'));
    learned = ['239.5.5.5'];
    await svc.recompose();
    expect(dp.table.map((r) => [r.id, r.slot, r.outputs.map((o) => o.slot)])).toEqual([['a', 0, [0]], ['igmp:eth0:239.5.5.5', 1, [1]]]);
    learned = ['239.6.6.6', '239.5.5.5'];
    await svc.recompose();
    expect(dp.table.map((r) => [r.id, r.slot, r.outputs.map((o) => o.slot)])).toEqual([['a', 0, [0]], ['igmp:eth0:239.6.6.6', 2, [2]], ['igmp:eth0:239.5.5.5', 1, [1]]]);
    expect((await readState(stateFile)).map((r) => r.id)).toEqual(['a']);
  });
});
