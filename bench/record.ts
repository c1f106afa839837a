/**
 * One `npm run bench` run as written to bench/results/<timestamp>.json: the machine, the
 * micro-benchmark results and the macro summary (key numbers per relay, ratios against the issue-4
 * targets), plus the lab results files it came from. bench/results/latest.md is rendered from it.
 */
import { cpus, hostname, release, totalmem } from 'node:os';
import type { Environment } from '../lab/results/types.js';
import type { MacroSummary } from './macro.js';
import type { SuiteOutcome } from './micro/suite.js';
import type { Verdict } from '../soak/verdict.js';
import type { ScaleResult } from './scale/result.js';

export const BENCH_RECORD_VERSION = 1 as const;

export interface Machine {
  hostname: string;
  kernel: string;
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  node: string;
  /** Tool versions as the lab recorded them (mcrd, socat, …), when the macro suite ran. */
  versions: Record<string, string>;
}

export interface BenchRecord {
  kind: 'mcr-bench';
  version: typeof BENCH_RECORD_VERSION;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: Machine;
  micro: SuiteOutcome[];
  /** `measuredAt`: when the lab ran (earliest results startedAt), which differs from startedAt with --results. */
  macro?: MacroSummary & { results: string[]; measuredAt: string };
  /** Why the macro suite did not run or failed, when it did not complete. */
  macroError?: string;
  /** The soak's verdict, when run with --soak. */
  soak?: { minutes: number; verdict: Verdict };
  /** The scale suite (bench/scale), when `scale` was among the scenarios. */
  scale?: ScaleResult;
}

/** The machine, preferably as the lab described it (its environment is what the numbers ran on). */
export function describeMachine(env?: Environment): Machine {
  const cpu = cpus();
  return {
    hostname: env?.hostname ?? hostname(),
    kernel: env?.kernel ?? release(),
    cpuModel: env?.cpus.model ?? cpu[0]?.model ?? 'unknown',
    cpuCount: env?.cpus.count ?? cpu.length,
    memoryBytes: env?.memoryBytes ?? totalmem(),
    node: process.version,
    versions: env?.versions ?? {},
  };
}
