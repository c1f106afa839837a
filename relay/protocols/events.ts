/**
 * Protocol events (igmp-join, igmp-leave, pim-neighbor, ...) fanned out to subscribers that asked for
 * a type prefix (`igmp` matches every `igmp-*`). Delivery is a synchronous call into the subscriber,
 * which must never block: the control server queues onto the subscriber's socket and drops a
 * subscriber whose queue passes its bound (relay/control/subscriptions.ts). Tested in events.test.ts.
 */
import type { ProtocolEvent } from './types.js';

export interface StampedEvent extends ProtocolEvent { at: string }

export type EventSink = (event: StampedEvent) => void;

/** True if `type` is asked for by `prefixes`: equal, or `prefix-...`; `all` or `*` asks for everything. */
export function matchesPrefix(type: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => p === '*' || p === 'all' || type === p || type.startsWith(`${p}-`));
}

export class EventBus {
  private readonly subs = new Map<number, { prefixes: readonly string[]; sink: EventSink }>();
  private nextId = 1;

  subscribe(prefixes: readonly string[], sink: EventSink): () => void {
    const id = this.nextId++;
    this.subs.set(id, { prefixes, sink });
    return () => { this.subs.delete(id); };
  }

  get size(): number { return this.subs.size; }

  publish(event: ProtocolEvent): void {
    if (this.subs.size === 0) return;
    const stamped: StampedEvent = { ...event, at: new Date().toISOString() };
    for (const s of [...this.subs.values()]) if (matchesPrefix(event.type, s.prefixes)) s.sink(stamped);
  }
}
