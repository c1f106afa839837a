/**
 * The daemon's ControlApi: control commands mapped onto the rule service, the data plane, the rate
 * sampler and the logger. Shared by the daemon and the control-server tests.
 */
import type { ControlApi, LoadResult } from '../control/api.js';
import type { StoredRule } from '../config/state.js';
import { DEFAULT_TTL, type Rule, inputKey } from '../model/rule.js';
import type { LogLevel } from '../config/load.js';
import type { ProtocolsApi } from '../control/protocols-api.js';
import { sumCounters } from '../stats/counters.js';
import type { RateSampler } from '../stats/rates.js';
import { buildStatsView } from '../stats/view.js';
import { packageVersion } from '../version.js';
import type { DataPlane } from './data-plane.js';
import type { Logger } from './log.js';
import { type RuleService, sameRule } from './rule-service.js';

export interface ControlApiParts {
  rules: RuleService;
  dataPlane: DataPlane;
  sampler: RateSampler;
  log: Logger;
  backend: () => string;
  reload: ControlApi['reload'];
  defaultTtl?: number;
  protocols?: ProtocolsApi | undefined;
}

export function createControlApi(p: ControlApiParts): ControlApi {
  return {
    defaultTtl: p.defaultTtl ?? DEFAULT_TTL,
    add: (r, replace) => p.rules.add(r, 'runtime', replace),
    load: async (rules, replace) => {
      const result = await p.rules.replaceWith((current) => planLoad(current, rules, replace));
      p.log.info('config loaded', { added: result.added.length, replaced: result.replaced.length, skipped: result.skipped.length, removed: result.removed.length });
      return result;
    },
    remove: (id) => p.rules.remove(id),
    list: () => p.rules.list(),
    workers: () => p.dataPlane.workers(),
    stats: async () => buildStatsView(p.rules.list(), p.rules, sumCounters(await p.dataPlane.counters()), p.sampler, Date.now()),
    logLevel: (level?: LogLevel) => {
      if (level && level !== p.log.level) {
        p.log.info('log level changed', { from: p.log.level, to: level });
        p.log.level = level;
      }
      return { level: p.log.level };
    },
    version: () => ({ name: 'mcrd', version: packageVersion(), node: process.version, backend: p.backend(), pid: process.pid }),
    reload: () => p.reload(),
    ...(p.protocols ? { protocols: p.protocols } : {}),
  };
}

/** The table after loading `rules` into `current` (see ControlApi.load), and what happened to each rule. */
export function planLoad(current: StoredRule[], rules: Rule[], replace: boolean): { next: StoredRule[]; result: LoadResult } {
  const result: LoadResult = { added: [], unchanged: [], replaced: [], skipped: [], removed: [] };
  const kept = replace ? current.filter((r) => r.origin === 'config') : current;
  if (replace) {
    const loaded = new Set(rules.map((r) => r.id));
    result.removed = current.filter((r) => r.origin === 'runtime' && !loaded.has(r.id)).map((r) => r.id);
  }
  // Indexed by id and input: a load of m rules into n costs n + m, not n x m (250-rule loads into a
  // growing table of 10,000 were quadratic, docs/performance.md).
  const was = new Map(current.map((r) => [r.id, r]));
  const next: StoredRule[] = [...kept];
  const byId = new Map(next.map((r) => [r.id, r]));
  const byInput = new Map(next.map((r) => [inputKey(r.input), r]));
  for (const rule of rules) {
    const key = inputKey(rule.input);
    const clash = byId.get(rule.id) ?? byInput.get(key);
    if (clash && sameRule(clash, rule)) { result.unchanged.push(rule.id); continue; }
    if (clash) { result.skipped.push(rule.id); continue; }
    const stored: StoredRule = { ...rule, origin: 'runtime' };
    next.push(stored);
    byId.set(rule.id, stored);
    byInput.set(key, stored);
    const before = was.get(rule.id);
    (before === undefined ? result.added : sameRule(before, rule) ? result.unchanged : result.replaced).push(rule.id);
  }
  return { next, result };
}
