/**
 * What the control socket can ask of the daemon, as an interface: the daemon implements it
 * (relay/daemon/daemon.ts), server tests implement it in-process. Results are plain JSON.
 */
import type { LogLevel } from '../config/load.js';
import type { RuleOrigin } from '../config/state.js';
import type { Rule } from '../model/rule.js';
import type { ProtocolsApi } from './protocols-api.js';

/** What an add did: a new rule, nothing (an identical rule was there), or swapped one out (--replace). */
export type AddOutcome = 'added' | 'unchanged' | 'replaced';

/** What a config load did with each rule of the file. */
export interface LoadResult { added: string[]; unchanged: string[]; replaced: string[]; skipped: string[]; removed: string[] }

export interface RuleView extends Rule {
  origin: RuleOrigin;
  /**
   * active: installed in the engine; waiting: an interface it names does not exist (yet), so it is
   * not installed; interface-down: installed, but an interface it names is down or has no carrier
   * (it resumes by itself when the link is back).
   */
  state?: 'active' | 'waiting' | 'interface-down';
  /** The missing interface of a waiting rule, or the down interface of an interface-down one. */
  waitingFor?: string;
}

export interface OutputStatsView {
  interface: string; group: string; port: number;
  packets: number; bytes: number; sendErrors: number;
  errorsByErrno: Record<string, number>;
  /** Rates over the last sampling interval; null until two samples exist. */
  pps: number | null; bps: number | null;
}

export interface RuleStatsView {
  id: string;
  input: Rule['input'];
  packets: number; bytes: number;
  pps: number | null; bps: number | null;
  /** ms since the last matched packet, null if none yet. */
  lastPacketAgoMs: number | null;
  outputs: OutputStatsView[];
}

export interface GlobalStatsView {
  rxFrames: number; rxBytes: number; ringDrops: number; ringFreezes: number; unmatched: number;
  malformed: Record<string, number>;
}

export interface StatsView {
  /** ISO time of the counter snapshot. */
  at: string;
  global: GlobalStatsView;
  rules: RuleStatsView[];
}

export type WorkerState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface WorkerView {
  index: number;
  pid: number | null;
  state: WorkerState;
  restarts: number;
  /** Why the last instance ended (`exit 1`, `signal SIGKILL`) or why it failed. */
  lastExit: string | null;
  /** ISO time the current instance started. */
  since: string | null;
  /** Frames this instance has read from its RX rings (its PACKET_FANOUT share), as of the last counter read. */
  rxFrames: number | null;
}

export interface VersionView { name: string; version: string; node: string; backend: string; pid: number }

export interface ControlApi {
  /** TTL for outputs that name none (MCR's multicast_ttl; 16 by default). */
  defaultTtl: number;
  add(rule: Rule, replace?: boolean): Promise<{ rule: RuleView; outcome: AddOutcome }>;
  remove(ruleId: string): Promise<RuleView>;
  /**
   * MCR's `config load`: merge `rules` as runtime rules, skipping those whose id or input another
   * rule holds (identical ones are unchanged); with `replace`, they replace every runtime rule.
   * Rules from the --config file are kept either way.
   */
  load(rules: Rule[], replace: boolean): Promise<LoadResult>;
  list(): RuleView[];
  stats(): Promise<StatsView>;
  workers(): WorkerView[];
  logLevel(level?: LogLevel): { level: LogLevel };
  version(): VersionView;
  reload(): Promise<{ added: string[]; removed: string[]; changed: string[]; unchanged: number }>;
  /** The protocol plane (IGMP, PIM, MRIB); absent when mcrd runs no protocol. */
  protocols?: ProtocolsApi;
}
