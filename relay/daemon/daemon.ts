/**
 * mcrd's supervisor: loads config and state, starts the worker pool, restores the rule table,
 * serves the control socket, samples counters, and handles signals (SIGTERM/SIGINT stop, SIGHUP
 * reloads the config file and applies only what changed). Exercised end to end in relay/e2e.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ControlApi } from '../control/api.js';
import { startControlServer } from '../control/server.js';
import { type ConfigFile, loadConfigFile } from '../config/load.js';
import { StateFile, type StoredRule, lockStateFile, restoreState } from '../config/state.js';
import { McrError } from '../errors.js';
import { gsoSupported } from '../engine/engine.js';
import type { SourceReport } from '../engine/types.js';
import { inputKey } from '../model/rule.js';
import { McrStatsLog } from '../compat/stats-log.js';
import { sumCounters } from '../stats/counters.js';
import { daemonMetricsCollector } from '../metrics/collect.js';
import { ControlRequestCounter } from '../metrics/requests.js';
import { startMetricsServer } from '../metrics/server.js';
import { RateSampler } from '../stats/rates.js';
import type { Settings } from '../config/settings.js';
import { createControlApi } from './control-api.js';
import { type Logger, createLogger } from './log.js';
import { dropToUser } from './privilege.js';
import { afterStart, beforeWorkers } from './least-privilege.js';
import { LinkWatch } from './link-watch.js';
import { RuleService } from './rule-service.js';
import { WorkerPool } from './workers.js';
import { createProtocolPlane } from './protocols.js';

export interface RunningDaemon { stop(): Promise<void> }

/**
 * What has started, so it can be stopped in reverse order, with the same code whether the start
 * failed half-way or mcrd is stopping: nothing is left running, nothing is stopped twice.
 */
class StartedParts {
  private readonly parts: Array<{ what: string; stop: () => unknown }> = [];
  add(what: string, stop: () => unknown): void { this.parts.push({ what, stop }); }
  async stopAll(log: Logger): Promise<void> {
    for (const { what, stop } of this.parts.splice(0).reverse()) {
      try { await stop(); } catch (err) { log.warn(`${what} did not stop cleanly: ${(err as Error).message}`); }
    }
  }
}

/**
 * Start everything on resolved `settings` (config/settings.ts) and the loaded `config`'s rules and
 * protocols; resolves once the control socket answers. Throws McrError on a bad start, having stopped
 * whatever had started.
 */
export async function startDaemon(s: Settings, config: ConfigFile): Promise<RunningDaemon> {
  const log = createLogger({ level: s.logLevel, json: s.logJson });
  for (const w of config.warnings) log.warn(w);
  const started = new StartedParts();
  let api: ControlApi;
  try {
    api = await bringUp(s, config, log, started);
  } catch (err) {
    await started.stopAll(log);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    log.info('mcrd stopping');
    await started.stopAll(log);
    log.info('mcrd stopped');
  })());
  process.on('SIGHUP', () => {
    api.reload().then(
      (d) => log.info('config reloaded', { added: d.added.length, removed: d.removed.length, changed: d.changed.length, unchanged: d.unchanged }),
      (err: Error) => log.error(`reload failed, running rules unchanged: ${err.message}`),
    );
  });
  return { stop };
}

/** The start, step by step; each part that runs is registered in `started` as it comes up. */
async function bringUp(s: Settings, config: ConfigFile, log: Logger, started: StartedParts): Promise<ControlApi> {
  const startedAtMs = Date.now();
  // The protocol sockets need CAP_NET_RAW: open them before any privilege drop.
  let rules: RuleService | undefined;
  const plane = createProtocolPlane(config.protocols, { log, recompile: () => rules?.recompose() ?? Promise.resolve() });
  plane?.open();
  // --user: switch before any worker is forked (they inherit it), so only this start-up runs as root.
  if (s.user !== undefined) {
    await dropToUser({
      spec: s.user, source: s.sources.user!, stateFile: s.stateFile, socketPath: s.controlSocket,
      socketGroup: s.socketGroup, metricsListen: s.metricsListen, config: s.config, log,
    });
  }
  const stateFile = s.stateFile;
  try {
    mkdirSync(dirname(stateFile), { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new McrError({ code: 'EACCES', source: stateFile, detail: `cannot create the state directory (${(err as NodeJS.ErrnoException).code})`, hint: 'run as root or pass --state-file PATH' });
  }
  const stateLock = lockStateFile(stateFile);
  started.add('state lock', () => stateLock.release());
  const { rules: saved, seq, setAside, tornLine } = await restoreState(stateFile);
  if (tornLine) log.warn('state journal\'s last line cut short by a crash during its write (the change was never acknowledged); ignored', { stateFile, line: tornLine });
  if (setAside) log.error('state file damaged; kept aside, starting with the config\'s rules', { stateFile, keptAs: setAside.path, reason: setAside.reason });

  const { backend, numWorkers, egress } = s;
  const fanoutGroup = numWorkers > 1 ? (process.pid % 0xfff0) + 1 : undefined;
  // GSO won side by side (docs/performance.md): on wherever the kernel can do it, for AF_PACKET egress only.
  const gso = egress === 'packet' && (s.gso ?? gsoSupported());
  if (s.gso && egress !== 'packet') log.warn(`gso applies to --egress packet only; ignored with --egress socket (${s.sources.gso})`);
  const pool = new WorkerPool({
    count: numWorkers, log, cpus: s.cpus,
    engine: {
      backend, ringBlockSize: 65536, ringBlockCount: s.ringBlocks, ringVersion: s.ring === 'v2' ? 2 : 3, egress, busyPollUs: s.busyPollUs, adaptivePoll: s.adaptivePoll, gso,
      ...(fanoutGroup ? { fanoutGroup } : {}),
    },
    ...(plane ? { onSources: (reports: SourceReport[]) => plane.sourcesSeen(reports) } : {}),
  });
  // Workers fork from here on: with CAP_NET_RAW alone even when mcrd runs as root (least-privilege.ts).
  beforeWorkers(s);
  started.add('workers', () => pool.stop());
  await pool.start();
  // Stopped before the workers, so its last route changes still find them.
  if (plane) started.add('protocols', () => plane.host.stop());

  rules = new RuleService({
    dataPlane: pool, state: new StateFile(stateFile, seq), log,
    ...(plane ? { compose: plane.mrib.compose, capture: plane.capture } : {}),
    ...(Number.isFinite(pool.limits.maxRuleSlots) ? { maxRuleSlots: pool.limits.maxRuleSlots } : {}),
    ...(Number.isFinite(pool.limits.maxOutputSlots) ? { maxOutputSlots: pool.limits.maxOutputSlots } : {}),
  });
  await rules.replaceAll(initialTable(config, saved, log));
  log.info('rules restored', { rules: rules.list().length, stateFile });
  plane?.host.start();

  const sampler = new RateSampler(async () => sumCounters(await pool.counters()));
  sampler.start();
  started.add('rate sampler', () => sampler.stop());
  if (s.mcrStats) {
    const mcrStats = new McrStatsLog(async () => sumCounters(await pool.counters()));
    mcrStats.start();
    started.add('MCR stats log', () => mcrStats.stop().catch((err: Error) => log.warn(`no final stats: ${err.message}`)));
  }
  // Interfaces come and go (hot-plug, VLANs, tunnels, readdressing): netlink says when, the rule
  // service works out what (waiting rule starts, re-created interface gets fresh sockets, new source
  // address on an output). See link-watch.ts and rule-service.ts.
  const service = rules;
  const watcher = new LinkWatch({
    log,
    onChange: (why) => {
      log.debug('interfaces changed; refreshing rules', { why });
      service.refresh().catch((err: Error) => log.error(`interface change not applied: ${err.message}`));
      plane?.host.interfacesChanged();
    },
  });
  watcher.start();
  started.add('link watch', () => watcher.stop());

  const api = createControlApi({
    rules: service, dataPlane: pool, sampler, log, backend: () => backend, reload: () => reload(s.config, service, log), protocols: plane?.api,
    ...(config.multicastTtl !== undefined ? { defaultTtl: config.multicastTtl } : {}),
  });
  const requests = new ControlRequestCounter();
  const server = await startControlServer(s.controlSocket, api, log, { group: s.socketGroup, onReply: (cmd, result) => requests.record(cmd, result) });
  started.add('control socket', () => server.close());
  if (s.metricsListen) {
    const metrics = await startMetricsServer({
      listen: s.metricsListen, log,
      collect: daemonMetricsCollector({ rules: service, dataPlane: pool, requests, backend: () => backend, startedAtMs, ...(plane ? { protocols: plane.families } : {}) }),
    });
    started.add('metrics', () => metrics.close());
    log.info('metrics listening', { url: `http://${metrics.address}/metrics` });
  }
  // Sockets bound, socket group set: from here on the supervisor needs CAP_NET_RAW alone.
  afterStart(log);
  log.info('mcrd running', { pid: process.pid, workers: numWorkers, backend, rules: service.list().length });
  return api;
}

/** Config rules, plus runtime rules from the state file that the config does not override. */
function initialTable(config: ConfigFile, saved: StoredRule[], log: Logger): StoredRule[] {
  const fromConfig: StoredRule[] = config.rules.map((r) => ({ ...r, origin: 'config' }));
  return [...fromConfig, ...runtimeNotIn(fromConfig, saved.filter((r) => r.origin === 'runtime'), log)];
}

/** Runtime rules that neither share an id nor an input with `config` (the config file wins). */
function runtimeNotIn(config: Array<{ id: string; input: StoredRule['input'] }>, runtime: StoredRule[], log: Logger): StoredRule[] {
  const ids = new Set(config.map((r) => r.id));
  const inputs = new Set(config.map((r) => inputKey(r.input)));
  return runtime.filter((r) => {
    const clash = ids.has(r.id) || inputs.has(inputKey(r.input));
    if (clash) log.warn('runtime rule replaced by a config rule with the same id or input', { id: r.id });
    return !clash;
  });
}

async function reload(configPath: string | undefined, rules: RuleService, log: Logger) {
  if (!configPath) throw new McrError({ code: 'EINVAL', detail: 'mcrd was started without --config; nothing to reload' });
  const config = await loadConfigFile(configPath);
  for (const w of config.warnings) log.warn(w);
  // Computed in the rule service's queue from the table as it then is: a runtime change acknowledged
  // while the file was read is kept (the soak's lost `c5`, relay/e2e/reload-race.e2e.test.ts).
  return rules.replaceWith((current) => {
    const next: StoredRule[] = [
      ...config.rules.map((r): StoredRule => ({ ...r, origin: 'config' })),
      ...runtimeNotIn(config.rules, current.filter((r) => r.origin === 'runtime'), log),
    ];
    const before = new Map(current.map((r) => [r.id, r] as const));
    const nextIds = new Set(next.map((r) => r.id));
    const same = (a: StoredRule | undefined, b: StoredRule) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);
    const diff = {
      added: next.filter((r) => !before.has(r.id)).map((r) => r.id),
      removed: current.filter((r) => !nextIds.has(r.id)).map((r) => r.id),
      changed: next.filter((r) => before.has(r.id) && !same(before.get(r.id), r)).map((r) => r.id),
      unchanged: next.filter((r) => same(before.get(r.id), r)).length,
    };
    return { next, result: diff };
  });
}
