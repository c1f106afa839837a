/**
 * The RFC 3376 §6.4 router state tables as one pure function: the new filter mode, source timers and
 * group timer after a group record, and the queries ("Send Q(G)", "Send Q(G,X)") the querier owes.
 * Notation of the RFC: INCLUDE (A); EXCLUDE (X, Y) where X are sources with a running timer
 * (requested) and Y sources with timer 0 (excluded); B the record's sources. Tested in records.test.ts.
 */
import type { RecordType } from './codec.js';

export type FilterMode = 'include' | 'exclude';

export interface RecordState {
  mode: FilterMode;
  /** EXCLUDE only: absolute time the group timer runs out (§6.2.2); 0 in INCLUDE. */
  groupUntil: number;
  /** INCLUDE: source → deadline. EXCLUDE: deadline for X, 0 for Y. */
  sources: Map<string, number>;
}

export type QueryAction = { q: 'G' } | { q: 'GS'; sources: string[] };

/** Apply the §6.4.1 (IS_IN, IS_EX) or §6.4.2 (ALLOW, BLOCK, TO_IN, TO_EX) row to `st` in place. */
export function applyRecord(st: RecordState, type: RecordType, b: readonly string[], now: number, gmi: number): QueryAction[] {
  const src = st.sources;
  const B = new Set(b);
  const running = (s: string) => (src.get(s) ?? 0) > 0;
  const refresh = () => { for (const s of B) src.set(s, now + gmi); };
  if (st.mode === 'include') {
    switch (type) {
      case 'IS_IN': case 'ALLOW':          // INCLUDE (A+B); (B)=GMI
        refresh();
        return [];
      case 'TO_IN': {                      // INCLUDE (A+B); (B)=GMI; Send Q(G,A-B)
        const aMinusB = [...src.keys()].filter((s) => !B.has(s));
        refresh();
        return [{ q: 'GS', sources: aMinusB }];
      }
      case 'BLOCK':                        // INCLUDE (A); Send Q(G,A*B)
        return [{ q: 'GS', sources: [...B].filter((s) => src.has(s)) }];
      case 'IS_EX': case 'TO_EX': {        // EXCLUDE (A*B, B-A); (B-A)=0; delete (A-B); GT=GMI [; Send Q(G,A*B)]
        const aAndB = [...B].filter((s) => src.has(s));
        for (const s of [...src.keys()]) if (!B.has(s)) src.delete(s);
        for (const s of B) if (!src.has(s)) src.set(s, 0);
        st.mode = 'exclude';
        st.groupUntil = now + gmi;
        return type === 'TO_EX' ? [{ q: 'GS', sources: aAndB }] : [];
      }
    }
  }
  switch (type) {
    case 'IS_IN': case 'ALLOW':            // EXCLUDE (X+A, Y-A); (A)=GMI
      refresh();
      return [];
    case 'TO_IN': {                        // EXCLUDE (X+A, Y-A); (A)=GMI; Send Q(G,X-A); Send Q(G)
      const xMinusA = [...src.keys()].filter((s) => running(s) && !B.has(s));
      refresh();
      return [{ q: 'GS', sources: xMinusA }, { q: 'G' }];
    }
    case 'BLOCK':                          // EXCLUDE (X+(A-Y), Y); (A-X-Y)=Group Timer; Send Q(G,A-Y)
      for (const s of B) if (!src.has(s)) src.set(s, st.groupUntil);
      return [{ q: 'GS', sources: [...B].filter(running) }];
    case 'IS_EX': case 'TO_EX':            // EXCLUDE (A-Y, Y*A); (A-X-Y)=GMI|Group Timer; delete (X-A), (Y-A); GT=GMI
      for (const s of [...src.keys()]) if (!B.has(s)) src.delete(s);
      for (const s of B) if (!src.has(s)) src.set(s, type === 'IS_EX' ? now + gmi : st.groupUntil);
      st.groupUntil = now + gmi;
      return type === 'TO_EX' ? [{ q: 'GS', sources: [...B].filter(running) }] : [];
  }
}
