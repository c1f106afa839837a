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
