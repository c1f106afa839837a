import { describe, expect, test } from 'vitest';
import type { Rule } from '../../model/rule.js';
import type { LearnedRoute } from '../types.js';
import { type CompileInput, type Members, compile } from './compile.js';

const G = '239.1.1.1';
const S1 = '10.0.0.1';
const noMembers: Members = () => null;
const membersOn = (...keys: string[]): Members => (i, g) => (keys.includes(`${i}/${g}`) ? { mode: 'exclude', sources: [] } : null);

function input(o: Partial<CompileInput>): CompileInput {
  return { statics: [], learned: [], members: noMembers, inputInterfaces: ['up0', 'd1', 'd2'], exists: () => true, learnedTtl: 64, ...o };
}

const igmp = (group: string, oifs: string[], source?: string): LearnedRoute => ({
  origin: 'igmp', group, ...(source ? { source } : {}), oifs: oifs.map((i) => ({ interface: i, reason: 'igmp v3 exclude', expiresAtMs: 5000 })),
});

const pimStar = (oifs: string[]): LearnedRoute => ({ origin: 'pim', group: G, iif: 'up0', oifs: oifs.map((i) => ({ interface: i, reason: 'pim join' })) });
const pimSg = (oifs: string[], iif = 'up0'): LearnedRoute => ({ ...pimStar(oifs), iif, source: S1 });

const staticRule = (outputs: Rule['outputs'], over: Partial<Rule['input']> = {}): Rule =>
  ({ id: 'cam', input: { interface: 'up0', group: G, port: 5000, ...over }, outputs });

/** Each engine rule as `iif group:port[ src] -> oif:group:port,...` for compact expectations. */
function table(i: CompileInput): string[] {
  return compile(i).rules.map((r) => `${r.input.interface} ${r.input.group}:${r.input.port}${r.input.source ? ` ${r.input.source}` : ''} -> ${r.outputs.map((o) => `${o.interface}:${o.group}:${o.port}`).join(',')}`);
}

describe('compile', () => {
  const cases: Array<[string, CompileInput, string[]]> = [
    ['no routes, no rules: empty table', input({}), []],
    ['static rule as configured', input({ statics: [staticRule([{ interface: 'd1', group: '239.9.9.9', port: 6000, ttl: 16 }])] }),
      ['up0 239.1.1.1:5000 -> d1:239.9.9.9:6000']],
    ['(*,G) from IGMP captures on every other eligible interface, any port, group and port unchanged',
      input({ learned: [igmp(G, ['d1'])] }),
      ['d2 239.1.1.1:0 -> d1:239.1.1.1:0', 'up0 239.1.1.1:0 -> d1:239.1.1.1:0']],
    ['members on two interfaces: each capture leaves out its own interface',
      input({ learned: [igmp(G, ['d1', 'd2'])] }),
      ['d1 239.1.1.1:0 -> d2:239.1.1.1:0', 'd2 239.1.1.1:0 -> d1:239.1.1.1:0', 'up0 239.1.1.1:0 -> d1:239.1.1.1:0,d2:239.1.1.1:0']],
    ['(S,G) carries the (*,G) oifs of the same iif too',
      input({ inputInterfaces: ['up0'], learned: [igmp(G, ['d1'], S1), igmp(G, ['d2'])] }),
      ['up0 239.1.1.1:0 -> d2:239.1.1.1:0', `up0 239.1.1.1:0 ${S1} -> d1:239.1.1.1:0,d2:239.1.1.1:0`]],
    ['a learned route with an iif (PIM RPF) captures there only',
      input({ learned: [{ origin: 'pim', group: G, iif: 'up0', oifs: [{ interface: 'd1', reason: 'pim join' }] }] }),
      ['up0 239.1.1.1:0 -> d1:239.1.1.1:0']],
    ['oifs and iifs on missing interfaces are left out',
      input({ exists: (i) => i !== 'd2', inputInterfaces: ['up0'], learned: [igmp(G, ['d1', 'd2']), { origin: 'pim', group: '239.2.2.2', iif: 'd2', oifs: [{ interface: 'd1', reason: 'j' }] }] }),
      ['up0 239.1.1.1:0 -> d1:239.1.1.1:0']],
    ['members-only static output is withheld without members',
      input({ statics: [staticRule([{ interface: 'd1', group: '239.9.9.9', port: 6000, ttl: 16, when: 'members' }, { interface: 'd2', group: G, port: 5000, ttl: 16 }])] }),
      ['up0 239.1.1.1:5000 -> d2:239.1.1.1:5000']],
    ['members-only static output is sent while its interface has members for the output group',
      input({ members: membersOn('d1/239.9.9.9'), statics: [staticRule([{ interface: 'd1', group: '239.9.9.9', port: 6000, ttl: 16, when: 'members' }])] }),
      ['up0 239.1.1.1:5000 -> d1:239.9.9.9:6000']],
    ['members-only output: INCLUDE {} is no member',
      input({ members: () => ({ mode: 'include', sources: [] }), statics: [staticRule([{ interface: 'd1', group: G, port: 5000, ttl: 16, when: 'members' }])] }),
      ['up0 239.1.1.1:5000 -> ']],
    ['a static rule on the same iif and group merges the learned oifs in (its own port kept)',
      input({ inputInterfaces: ['up0'], learned: [igmp(G, ['d1'])], statics: [staticRule([{ interface: 'd2', group: '239.9.9.9', port: 6000, ttl: 16 }])] }),
      ['up0 239.1.1.1:5000 -> d2:239.9.9.9:6000,d1:239.1.1.1:0', 'up0 239.1.1.1:0 -> d1:239.1.1.1:0']],
    ['a static output that already sends the group unchanged is not doubled by the learned oif',
      input({ inputInterfaces: ['up0'], learned: [igmp(G, ['d1'])], statics: [staticRule([{ interface: 'd1', group: G, port: 5000, ttl: 16 }])] }),
      ['up0 239.1.1.1:5000 -> d1:239.1.1.1:5000', 'up0 239.1.1.1:0 -> d1:239.1.1.1:0']],
    ['a learned (S,G) next to a sourceless static rule: S gets a twin of the rule with both oif sets (the engine ranks (S, any port) first)',
      input({ inputInterfaces: ['up0'], learned: [igmp(G, ['d1'], S1)], statics: [staticRule([{ interface: 'd2', group: '239.9.9.9', port: 6000, ttl: 16 }])] }),
      ['up0 239.1.1.1:5000 -> d2:239.9.9.9:6000', `up0 239.1.1.1:5000 ${S1} -> d2:239.9.9.9:6000,d1:239.1.1.1:0`, `up0 239.1.1.1:0 ${S1} -> d1:239.1.1.1:0`]],
    ['(S,G) learned oifs do not join a static rule of another source',
      input({ inputInterfaces: ['up0'], learned: [igmp(G, ['d1'], S1)], statics: [staticRule([{ interface: 'd2', group: G, port: 5000, ttl: 16 }], { source: '10.0.0.2' })] }),
      ['up0 239.1.1.1:5000 10.0.0.2 -> d2:239.1.1.1:5000', `up0 239.1.1.1:0 ${S1} -> d1:239.1.1.1:0`]],
    ['routes of two origins on the same (iif, group, source) are one capture with both oif sets',
      input({ inputInterfaces: ['up0'], learned: [igmp(G, ['d1']), { origin: 'pim', group: G, iif: 'up0', oifs: [{ interface: 'd2', reason: 'pim join' }] }] }),
      ['up0 239.1.1.1:0 -> d1:239.1.1.1:0,d2:239.1.1.1:0']],
    ['an exact PIM (S,G) keeps its own oifs (no (*,G) folded in) and installs even empty, dropping S there',
      input({ inputInterfaces: [], learned: [pimStar(['d1', 'd2']), { ...pimSg([]), exact: true }, { ...pimSg(['d1'], 'd2'), exact: true }] }),
      [`d2 239.1.1.1:0 ${S1} -> d1:239.1.1.1:0`, 'up0 239.1.1.1:0 -> d1:239.1.1.1:0,d2:239.1.1.1:0', `up0 239.1.1.1:0 ${S1} -> `]],
    ['a registering (S,G) gets a Register output to the RP besides its oifs',
      input({ inputInterfaces: [], learned: [{ ...pimSg(['d1'], 'd2'), exact: true, register: { rp: '10.9.9.9', via: 'up0' } }] }),
      [`d2 239.1.1.1:0 ${S1} -> d1:239.1.1.1:0,up0:10.9.9.9:0`]],
  ];
  test.each(cases)('%s', (_name, i, expected) => {
    expect(table(i)).toEqual(expected);
  });

  test('learned rule ids and output keys are stable across recompiles (counter slots survive)', () => {
    const a = compile(input({ learned: [igmp(G, ['d1'])] })).rules;
    const b = compile(input({ learned: [igmp('239.5.5.5', ['d2']), igmp(G, ['d1', 'd2'])] })).rules;
    for (const r of a) {
      const same = b.find((x) => x.id === r.id);
      expect(same, r.id).toBeDefined();
      for (const o of r.outputs) expect(same!.outputs.map((x) => x.key)).toContain(o.key);
    }
    expect(new Set(b.map((r) => r.id)).size).toBe(b.length);
  });

  test('the view names origin, reason and timer per oif, and suppressed members-only outputs', () => {
    const { view } = compile(input({
      inputInterfaces: ['up0'], learned: [igmp(G, ['d1'])],
      statics: [staticRule([{ interface: 'd2', group: '239.9.9.9', port: 6000, ttl: 16, when: 'members' }])],
    }));
    expect(view).toEqual([
      { origin: 'igmp', iif: 'up0', group: G, source: null, port: 0, ruleId: 'igmp:up0:239.1.1.1',
        oifs: [{ interface: 'd1', origin: 'igmp', reason: 'igmp v3 exclude', group: G, port: 0, expiresAtMs: 5000 }], suppressed: [] },
      { origin: 'static', iif: 'up0', group: G, source: null, port: 5000, ruleId: 'cam',
        oifs: [{ interface: 'd1', origin: 'igmp', reason: 'igmp v3 exclude', group: G, port: 0, expiresAtMs: 5000 }],
        suppressed: [{ interface: 'd2', origin: 'static', reason: 'static, no members', group: '239.9.9.9', port: 6000 }] },
    ]);
  });

  test('learned outputs get the configured TTL', () => {
    const r = compile(input({ learnedTtl: 7, inputInterfaces: ['up0'], learned: [igmp(G, ['d1'])] })).rules;
    expect(r[0]!.outputs[0]!.ttl).toBe(7);
  });

  test('learned outputs keep the original source (router semantics); static outputs keep the relay address', () => {
    const r = compile(input({
      inputInterfaces: ['up0'], learned: [igmp(G, ['d1'], S1)],
      statics: [staticRule([{ interface: 'd2', group: G, port: 5000, ttl: 16 }])],
    })).rules;
    const outs = r.flatMap((x) => x.outputs.map((o) => `${x.id} ${o.interface} ${o.keepSource === true}`));
    expect(outs).toEqual(['cam d2 false', 'cam@10.0.0.1 d2 false', 'cam@10.0.0.1 d1 true', 'igmp:up0:239.1.1.1:10.0.0.1 d1 true']);
    expect(r.find((x) => x.id === 'igmp:up0:239.1.1.1:10.0.0.1')!.input).toEqual({ interface: 'up0', group: G, port: 0, source: S1 });
  });

  test('a stream mcrd originates onto a PIM interface: reported as local, and registered on the static output while the tunnel is up', () => {
    const statics = [staticRule([{ interface: 'd1', group: '239.9.9.9', port: 6000, ttl: 16 }, { interface: 'd2', group: G, port: 5000, ttl: 8 }])];
    const plain = compile(input({ statics, pimInterfaces: ['d1'] })).rules;
    expect(plain[0]!.outputs.map((o) => [o.interface, o.reportLocal === true])).toEqual([['d1', true], ['d2', false]]);
    const local: LearnedRoute = { origin: 'pim', group: '239.9.9.9', source: '10.5.0.1', iif: 'd1', oifs: [], exact: true, local: true, register: { rp: '10.9.9.9', via: 'up0' } };
    const { rules, view } = compile(input({ statics, pimInterfaces: ['d1'], learned: [local] }));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.outputs[1]).toEqual({
      key: 'cam|239.9.9.9:6000:d1|register', interface: 'up0', group: '10.9.9.9', port: 0, ttl: 64,
      register: { source: '10.5.0.1', group: '239.9.9.9', port: 6000, ttl: 16 },
    });
    expect(view[0]!.oifs.map((o) => o.reason)).toContain('register to 10.9.9.9');
  });

  test('a stream mcrd originates, wanted on other interfaces (PIM Joins, members): copies of its static output there, sent from S', () => {
    const statics = [staticRule([{ interface: 'd1', group: '239.9.9.9', port: 6000, ttl: 16, tos: 184 }])];
    const local: LearnedRoute = { origin: 'pim', group: '239.9.9.9', source: '10.5.0.1', iif: 'd1', exact: true, local: true,
      oifs: [{ interface: 'd2', reason: 'pim join' }, { interface: 'gone', reason: 'pim join' }] };
    const { rules, view } = compile(input({ statics, pimInterfaces: ['d1'], learned: [local], exists: (n) => n !== 'gone' }));
    // One rule: nothing is captured for a stream we send ourselves.
    expect(rules.map((r) => r.id)).toEqual(['cam']);
    expect(rules[0]!.outputs[1]).toEqual({ key: 'cam|239.9.9.9:6000:d1|pim|d2', interface: 'd2', group: '239.9.9.9', port: 6000, ttl: 16, tos: 184, source: '10.5.0.1' });
    expect(rules[0]!.outputs).toHaveLength(2);
    expect(view[0]!.oifs.map((o) => [o.interface, o.origin, o.reason])).toEqual([['d1', 'static', 'static'], ['d2', 'pim', 'pim join']]);
  });
});
