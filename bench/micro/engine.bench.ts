/**
 * Engine micro-benchmarks: reading the counters (Engine.counters(), which turns the shared counter
 * block into the EngineCounters shape of relay/engine/types.ts) with no rules and with one 50-output
 * rule on loopback, as `mcrctl stats` and the Prometheus endpoint do; rule lookup, timed inside
 * C++ through benchRuleLookup; and a rule change on a big table (updateRules through the addon, the
 * call the worker makes). Run by bench/run.ts.
 */
import { Engine, benchRuleLookup } from '../../relay/engine/engine.js';
import type { EngineRule } from '../../relay/engine/types.js';
import { addonUnavailable } from './native.js';
import type { MicroTask, SuiteDef } from './suite.js';

let sink: unknown;
const live: Engine[] = [];
/** Engines whose rules are cleared on release (their memberships on lo go with them). */
const loaded: Engine[] = [];

/** One 50-output rule on lo; sockets only, no traffic, so it needs no namespace. */
function fanoutRule(): EngineRule {
  return {
    id: 'bench', slot: 0,
    input: { interface: 'lo', group: '239.255.77.1', port: 45000 },
    outputs: Array.from({ length: 50 }, (_, i) => ({ slot: i, interface: 'lo', group: `239.255.78.${i + 1}`, port: 45000, ttl: 1 })),
  };
}

/** A new engine kept alive until the suite's cleanup, or why there is none (no addon, no privilege). */
function liveEngine(): Engine | string {
  const unavailable = addonUnavailable();
  if (unavailable !== undefined) return unavailable;
  try {
    const e = new Engine({ backend: 'mmsg' });
    live.push(e);
    return e;
  } catch (err) {
    return `new Engine({ backend: 'mmsg' }) failed: ${(err as Error).message}`;
  }
}

export const engineSuite: SuiteDef = {
  name: 'engine counters',
  async prepare(): Promise<MicroTask[] | string> {
    const bare = liveEngine();
    if (typeof bare === 'string') return bare;
    const tasks: MicroTask[] = [{ name: 'counters(), no rules', batch: 100, fn: () => { sink = bare.counters(); } }];
    try {
      const withRule = new Engine({ backend: 'mmsg' });
      live.push(withRule);
      withRule.setRules([fanoutRule()]);
      tasks.push({ name: 'counters(), 1 rule × 50 outputs', batch: 20, fn: () => { sink = withRule.counters(); } });
    } catch (err) {
      // Rules may need interfaces or privileges the bench machine lacks; the bare read still counts.
      process.stderr.write(`bench: engine counters with a 50-output rule skipped: ${(err as Error).message}\n`);
    }
    return tasks;
  },
};

/** Lookups timed per native call: enough that the two clock reads around them vanish. */
export const LOOKUPS_PER_CALL = 1_000_000;
export const RULE_COUNTS = [1, 1000, 100_000] as const;

/**
 * The engine's rule index (native/engine/core/rule_index), timed in C++ by benchRuleLookup: a JS call
 * per lookup would time N-API, not the index. Any-source: `rules` (interface, group, port) rules.
 * Source-specific: as many again with a source address, lookups alternating between a packet that
 * matches a source rule and one that falls back to the any-source rule.
 */
export const ruleLookupSuite: SuiteDef = {
  name: 'rule lookup',
  async prepare(): Promise<MicroTask[] | string> {
    const unavailable = addonUnavailable();
    if (unavailable !== undefined) return unavailable;
    const tasks: MicroTask[] = [];
    for (const sourceRules of [false, true]) {
      for (const rules of RULE_COUNTS) {
        const n = rules.toLocaleString('en-US');
        const name = sourceRules ? `${n} any-source + ${n} source-specific` : `${n} any-source`;
        tasks.push({
          name, opsPerCall: LOOKUPS_PER_CALL, unit: 'lookups',
          timeNative: () => {
            const r = benchRuleLookup(rules, LOOKUPS_PER_CALL, sourceRules);
            // A fast index that misses is no index: every key looked up is one that was inserted.
            if (r.hits !== LOOKUPS_PER_CALL) throw new Error(`benchRuleLookup(${rules}, ${LOOKUPS_PER_CALL}, ${sourceRules}) hit ${r.hits} of ${LOOKUPS_PER_CALL} lookups`);
            return r.nsPerLookup;
          },
        });
      }
    }
    return tasks;
  },
};

/** Rules in the table a rule change is timed against (issue 13's scale). */
export const UPDATE_TABLE_RULES = 10_000;

/** Rule i of the big table: its own input group on lo, one output; slots i. */
function tableRule(i: number): EngineRule {
  return {
    id: `t${i}`, slot: i,
    input: { interface: 'lo', group: `239.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, port: 45100 },
    outputs: [{ slot: i, interface: 'lo', group: `238.255.${(i >> 8) & 255}.${i & 255}`, port: 45101, ttl: 1 }],
  };
}

/**
 * A rule change on a big table: `updateRules` adding one rule to UPDATE_TABLE_RULES installed ones and
 * removing it again, on a running engine (so each change includes the table swap and the engine
 * thread's acknowledgement), through the addon as the worker calls it. One call = the add and the
 * remove. Needs AF_PACKET sockets (root); skipped with the reason otherwise.
 */
export const ruleUpdateSuite: SuiteDef = {
  name: 'rule update',
  async prepare(): Promise<MicroTask[] | string> {
    const e = liveEngine();
    if (typeof e === 'string') return e;
    try {
      e.setRules(Array.from({ length: UPDATE_TABLE_RULES }, (_, i) => tableRule(i)));
      loaded.push(e);
      e.start();
    } catch (err) {
      return `a ${UPDATE_TABLE_RULES}-rule table on lo could not be set up: ${(err as Error).message}`;
    }
    const extra = tableRule(UPDATE_TABLE_RULES);
    return [{
      name: `updateRules: add+remove one rule on a ${UPDATE_TABLE_RULES.toLocaleString('en-US')}-rule table`, batch: 1,
      fn: () => {
        e.updateRules([], [extra]);
        e.updateRules([extra.id], []);
      },
    }, ...joinTasks()];
  },
};

/**
 * An IGMP join and leave as the engine sees them: the first route on an input interface and its
 * removal, with mcrd's ring (512 × 64 KiB), on an interface with no capture socket (the change opens
 * one and the leave closes it: an RCU grace period each) and on one the engine holds (Capture.hold,
 * as mcrd does for its protocol interfaces).
 */
function joinTasks(): MicroTask[] {
  const join = tableRule(UPDATE_TABLE_RULES + 1);
  return [{ name: 'no socket yet', hold: [] }, { name: 'held interface', hold: ['lo'] }].map(({ name, hold }) => {
    const e = new Engine({ backend: 'mmsg', ringBlockSize: 65536, ringBlockCount: 512 });
    live.push(e);
    const capture = { watch: [], hold };
    e.setRules([], capture);
    e.start();
    return {
      name: `updateRules: join+leave, first route on its input (${name})`, batch: 1,
      fn: () => {
        e.updateRules([], [join], capture);
        e.updateRules([join.id], [], capture);
      },
    };
  });
}

/** Stops engines the suites created (emptying the big table first), so the bench process can exit. */
export function releaseEngines(): void {
  for (const e of loaded.splice(0)) {
    try { e.setRules([]); } catch { /* the process exit closes its sockets anyway */ }
  }
  for (const e of live.splice(0)) {
    try { e.stop(); } catch { /* already stopped */ }
  }
}

export const lastResult = (): unknown => sink;
