/**
 * The daemon's ControlApi: control commands mapped onto the rule service, the data plane, the rate
 * sampler and the logger. Shared by the daemon and the control-server tests.
 */
import type { ControlApi } from '../control/api.js';
import type { LogLevel } from '../config/load.js';
import type { ProtocolsApi } from '../control/protocols-api.js';
import { sumCounters } from '../stats/counters.js';
import type { RateSampler } from '../stats/rates.js';
import { buildStatsView } from '../stats/view.js';
import { packageVersion } from '../version.js';
import type { DataPlane } from './data-plane.js';
import type { Logger } from './log.js';
import type { RuleService } from './rule-service.js';

export interface ControlApiParts {
  rules: RuleService;
  dataPlane: DataPlane;
  sampler: RateSampler;
  log: Logger;
  backend: () => string;
  reload: ControlApi['reload'];
  protocols?: ProtocolsApi | undefined;
}

export function createControlApi(p: ControlApiParts): ControlApi {
  return {
    add: (r) => p.rules.add(r),
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
