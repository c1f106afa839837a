import { describe, expect, test } from 'vitest';
import type { RecordType } from './codec.js';
import { type QueryAction, type RecordState, applyRecord } from './records.js';

// now = 1000, GMI = 260 so (B)=GMI reads 1260; the EXCLUDE state's group timer runs out at 1150.
const NOW = 1000;
const GMI = 260;
const include = (): RecordState => ({ mode: 'include', groupUntil: 0, sources: new Map([['a', 1100], ['b', 1200]]) });
const exclude = (): RecordState => ({ mode: 'exclude', groupUntil: 1150, sources: new Map([['x1', 1100], ['x2', 1120], ['y1', 0], ['y2', 0]]) });

type Row = [RecordType, Record<string, number>, number, QueryAction[]];

describe('RFC 3376 §6.4 router state tables', () => {
  // INCLUDE (A={a,b}) receiving B={b,c}
  test.each<Row>([
    ['IS_IN', { a: 1100, b: 1260, c: 1260 }, 0, []],                                       // INCLUDE (A+B); (B)=GMI
    ['ALLOW', { a: 1100, b: 1260, c: 1260 }, 0, []],                                       // INCLUDE (A+B); (B)=GMI
    ['TO_IN', { a: 1100, b: 1260, c: 1260 }, 0, [{ q: 'GS', sources: ['a'] }]],            // ...; Send Q(G,A-B)
    ['BLOCK', { a: 1100, b: 1200 }, 0, [{ q: 'GS', sources: ['b'] }]],                     // INCLUDE (A); Send Q(G,A*B)
    ['IS_EX', { b: 1200, c: 0 }, 1260, []],                                                // EXCLUDE (A*B, B-A); delete (A-B); GT=GMI
    ['TO_EX', { b: 1200, c: 0 }, 1260, [{ q: 'GS', sources: ['b'] }]],                     // ...; Send Q(G,A*B)
  ])('INCLUDE (A) + %s(B)', (type, sources, groupUntil, actions) => {
    const st = include();
    expect(applyRecord(st, type, ['b', 'c'], NOW, GMI)).toEqual(actions);
    expect({ mode: st.mode, groupUntil: st.groupUntil, sources: Object.fromEntries(st.sources) })
      .toEqual({ mode: groupUntil ? 'exclude' : 'include', groupUntil, sources });
  });

  // EXCLUDE (X={x1,x2}, Y={y1,y2}) receiving A={x1,y1,n}
  test.each<Row>([
    ['IS_IN', { x1: 1260, x2: 1120, y1: 1260, y2: 0, n: 1260 }, 1150, []],                    // EXCLUDE (X+A, Y-A); (A)=GMI
    ['ALLOW', { x1: 1260, x2: 1120, y1: 1260, y2: 0, n: 1260 }, 1150, []],                    // EXCLUDE (X+A, Y-A); (A)=GMI
    ['TO_IN', { x1: 1260, x2: 1120, y1: 1260, y2: 0, n: 1260 }, 1150, [{ q: 'GS', sources: ['x2'] }, { q: 'G' }]], // ...; Q(G,X-A); Q(G)
    ['BLOCK', { x1: 1100, x2: 1120, y1: 0, y2: 0, n: 1150 }, 1150, [{ q: 'GS', sources: ['x1', 'n'] }]],        // (A-X-Y)=GT; Q(G,A-Y)
    ['IS_EX', { x1: 1100, y1: 0, n: 1260 }, 1260, []],                                        // EXCLUDE (A-Y, Y*A); (A-X-Y)=GMI; GT=GMI
    ['TO_EX', { x1: 1100, y1: 0, n: 1150 }, 1260, [{ q: 'GS', sources: ['x1', 'n'] }]],       // (A-X-Y)=GT; Q(G,A-Y); GT=GMI
  ])('EXCLUDE (X,Y) + %s(A)', (type, sources, groupUntil, actions) => {
    const st = exclude();
    expect(applyRecord(st, type, ['x1', 'y1', 'n'], NOW, GMI)).toEqual(actions);
    expect({ mode: st.mode, groupUntil: st.groupUntil, sources: Object.fromEntries(st.sources) }).toEqual({ mode: 'exclude', groupUntil, sources });
  });
});
