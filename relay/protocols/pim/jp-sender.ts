/**
 * Outgoing Join/Prune batching: entries queued during one task of the event loop go out together,
 * one message per (interface, upstream neighbor), split across packets so that none exceeds the MTU
 * (or 255 groups). A group's entries stay in one message while they fit, so that a Join(*,G) and
 * its Prune(S,G,rpt)s are read together (§4.5.4 processes them as one unit).
 */
import { encodePim, joinPruneSize, type EncodedSource, type JoinPruneGroup } from './codec.js';

/** IP payload budget: a 1500-byte MTU minus the 20-byte IPv4 header. */
export const JP_MAX_BYTES = 1480;

export type JpEntry = { kind: 'join' | 'prune'; source: EncodedSource };

export const starEntry = (rp: string): EncodedSource => ({ addr: rp, maskLen: 32, s: true, w: true, r: true });
export const sgEntry = (s: string): EncodedSource => ({ addr: s, maskLen: 32, s: true, w: false, r: false });
export const sgRptEntry = (s: string): EncodedSource => ({ addr: s, maskLen: 32, s: true, w: false, r: true });

export class JoinPruneSender {
  private pending = new Map<string, { ifname: string; upstream: string; groups: Map<string, JoinPruneGroup> }>();
  private flushQueued = false;

  constructor(
    private readonly holdtimeS: () => number,
    private readonly send: (ifname: string, payload: Uint8Array) => void,
  ) {}

  queue(ifname: string, upstream: string, group: string, e: JpEntry): void {
    const key = `${ifname} ${upstream}`;
    let msg = this.pending.get(key);
    if (!msg) { msg = { ifname, upstream, groups: new Map() }; this.pending.set(key, msg); }
    let g = msg.groups.get(group);
    if (!g) { g = { group: { addr: group, maskLen: 32 }, joins: [], prunes: [] }; msg.groups.set(group, g); }
    const same = (a: EncodedSource) => a.addr === e.source.addr && a.w === e.source.w && a.r === e.source.r;
    // The later decision within one turn wins: a Join queued after a Prune of the same entry replaces it.
    if (e.kind === 'join') { g.prunes = g.prunes.filter((a) => !same(a)); if (!g.joins.some(same)) g.joins.push(e.source); }
    else { g.joins = g.joins.filter((a) => !same(a)); if (!g.prunes.some(same)) g.prunes.push(e.source); }
    // A microtask, not a 0 ms timer: the Join must leave before whatever the same change set off next
    // (the route recompile, scheduled with setImmediate, can hold the event loop for long on a slow CPU).
    if (!this.flushQueued) { this.flushQueued = true; queueMicrotask(() => { if (this.flushQueued) this.flush(); }); }
  }

  flush(): void {
    this.flushQueued = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const m of pending.values()) for (const groups of split([...m.groups.values()])) {
      this.send(m.ifname, encodePim({ type: 'join-prune', upstream: m.upstream, holdtime: this.holdtimeS(), groups }));
    }
  }

  stop(): void { this.flushQueued = false; this.pending.clear(); }
}

/** Pack groups into messages of at most JP_MAX_BYTES; a group too big for one message is cut by sources. */
export function split(groups: JoinPruneGroup[]): JoinPruneGroup[][] {
  const out: JoinPruneGroup[][] = [];
  let cur: JoinPruneGroup[] = [];
  let sources = 0;
  const push = () => { if (cur.length) out.push(cur); cur = []; sources = 0; };
  const fits = (g: number, s: number) => joinPruneSize(g, s) <= JP_MAX_BYTES && g <= 255;
  for (const g of groups) {
    const n = g.joins.length + g.prunes.length;
    if (!fits(cur.length + 1, sources + n)) push();
    if (fits(1, n)) { cur.push(g); sources += n; continue; }
    // One group alone overflows: joins first, then prunes, as many per message as fit.
    const entries = [...g.joins.map((s) => ({ j: true, s })), ...g.prunes.map((s) => ({ j: false, s }))];
    const per = Math.floor((JP_MAX_BYTES - joinPruneSize(1, 0)) / 8);
    for (let i = 0; i < entries.length; i += per) {
      const chunk = entries.slice(i, i + per);
      out.push([{ group: g.group, joins: chunk.filter((e) => e.j).map((e) => e.s), prunes: chunk.filter((e) => !e.j).map((e) => e.s) }]);
    }
  }
  push();
  return out;
}
