/**
 * Counter slots: the engine keeps per-rule and per-output counters in fixed arrays indexed by a
 * slot the control plane assigns. A rule keeps its slot as long as it exists (counters survive
 * edits of other rules); freed slots are handed out again only after every other slot has been used
 * (round robin), so a new rule rarely lands on a slot whose old counts are still being sampled.
 * Tested in slots.test.ts.
 */
import { McrError } from '../errors.js';

export class SlotMap {
  private readonly byKey = new Map<string, number>();
  private readonly used = new Set<number>();
  private next = 0;

  constructor(readonly capacity: number, private readonly what: string) {}

  get(key: string): number | undefined {
    return this.byKey.get(key);
  }

  /**
   * Slots for `keys`: existing ones kept, new ones allocated. Returns the assignment without
   * committing it; commit() makes it current and frees slots of keys that are gone.
   */
  plan(keys: Iterable<string>): Map<string, number> {
    const out = new Map<string, number>();
    const taken = new Set(this.used);
    let cursor = this.next;
    for (const k of keys) {
      const have = this.byKey.get(k);
      if (have !== undefined) { out.set(k, have); continue; }
      if (taken.size >= this.capacity) {
        throw new McrError({ code: 'EINVAL', detail: `too many ${this.what}s: the engine has ${this.capacity} ${this.what} slots` });
      }
      while (taken.has(cursor)) cursor = (cursor + 1) % this.capacity;
      taken.add(cursor);
      out.set(k, cursor);
      cursor = (cursor + 1) % this.capacity;
    }
    return out;
  }

  /**
   * Slots for `keys` as plan() gives them, looking at nothing else: the cost of one rule's change,
   * whatever the table's size. Commit with commitChange().
   */
  planAdd(keys: Iterable<string>): Map<string, number> {
    const out = new Map<string, number>();
    const fresh = new Set<number>();
    let cursor = this.next;
    for (const k of keys) {
      const have = this.byKey.get(k);
      if (have !== undefined) { out.set(k, have); continue; }
      if (this.used.size + fresh.size >= this.capacity) {
        throw new McrError({ code: 'EINVAL', detail: `too many ${this.what}s: the engine has ${this.capacity} ${this.what} slots` });
      }
      while (this.used.has(cursor) || fresh.has(cursor)) cursor = (cursor + 1) % this.capacity;
      fresh.add(cursor);
      out.set(k, cursor);
      cursor = (cursor + 1) % this.capacity;
    }
    return out;
  }

  /** Free the slots of `removed`, then make `added` (from planAdd) current: commit() for a change. */
  commitChange(added: Map<string, number>, removed: Iterable<string>): void {
    for (const k of removed) {
      const s = this.byKey.get(k);
      if (s === undefined || added.has(k)) continue;
      this.byKey.delete(k);
      this.used.delete(s);
    }
    let maxNew = -1;
    for (const [k, s] of added) {
      if (this.byKey.has(k)) continue;
      maxNew = Math.max(maxNew, s);
      this.byKey.set(k, s);
      this.used.add(s);
    }
    if (maxNew >= 0) this.next = (maxNew + 1) % this.capacity;
  }

  /** Make `assignment` (from plan) the current one. */
  commit(assignment: Map<string, number>): void {
    let maxNew = -1;
    for (const [k, s] of assignment) if (!this.byKey.has(k)) maxNew = Math.max(maxNew, s);
    this.byKey.clear();
    this.used.clear();
    for (const [k, s] of assignment) { this.byKey.set(k, s); this.used.add(s); }
    if (maxNew >= 0) this.next = (maxNew + 1) % this.capacity;
  }
}
