/**
 * What the control socket can ask of the protocol plane (IGMP, PIM, the MRIB). Part of ControlApi
 * (`protocols`), absent when mcrd runs no protocol. Results are plain JSON: module views as the modules
 * produce them (relay/protocols/igmp, pim), the MRIB as relay/protocols/mrib shows it.
 */
import type { MribEntryView } from '../protocols/mrib/index.js';
import type { StampedEvent } from '../protocols/events.js';

export interface ProtocolsApi {
  /** Names of the running modules ('igmp', 'pim'). */
  modules(): string[];
  /** A module's view by name (igmp: groups, interfaces; pim: interfaces, neighbors, rp, join, state, assert); ENOENT for an unknown one. */
  view(module: string, name: string): unknown;
  /** Runtime querier switch of an IGMP interface (mcrctl igmp enable-querier / disable-querier). */
  setQuerier(ifname: string, enabled: boolean): { interface: string; querier: boolean };
  /** Runtime PIM switch of an interface (mcrctl pim enable / disable --interface IF [--dr-priority N]). */
  pimInterface(ifname: string, opts: { enabled: boolean; drPriority?: number }): { interface: string; enabled: boolean };
  /** Set (rp) or remove (undefined) the static RP of a group range (mcrctl pim set-rp). */
  setRp(range: string, rp: string | undefined): { group: string; rp: string | null };
  mroute(): MribEntryView[];
  /** Deliver every event whose type matches a prefix to `sink` until the returned function is called. */
  subscribe(prefixes: readonly string[], sink: (event: StampedEvent) => void): () => void;
}
