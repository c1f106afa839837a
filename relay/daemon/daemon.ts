/**
 * mcrd's supervisor: loads config and state, starts the worker pool, restores the rule table,
 * serves the control socket, samples counters, and handles signals (SIGTERM/SIGINT stop, SIGHUP
 * reloads the config file and applies only what changed). Exercised end to end in relay/e2e.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ControlServer, startControlServer } from '../control/server.js';
import { instancePaths } from '../config/instance.js';
import { type ConfigFile, loadConfigFile } from '../config/load.js';
import { type StoredRule, lockStateFile, restoreState } from '../config/state.js';
import { McrError } from '../errors.js';
import { gsoSupported } from '../engine/engine.js';
import { inputKey } from '../model/rule.js';
import { McrStatsLog } from '../compat/stats-log.js';
import { sumCounters } from '../stats/counters.js';
import { daemonMetricsCollector } from '../metrics/collect.js';
import { ControlRequestCounter } from '../metrics/requests.js';
import { startMetricsServer } from '../metrics/server.js';
import { RateSampler } from '../stats/rates.js';
import type { DaemonArgs } from './args.js';
import { createControlApi } from './control-api.js';
import { type Logger, createLogger } from './log.js';
import { dropToUser } from './privilege.js';
import { LinkWatch } from './link-watch.js';
import { RuleService } from './rule-service.js';
import { WorkerPool } from './workers.js';
import { createProtocolPlane } from './protocols.js';

export const DEFAULT_RING_BLOCKS = 512;

export interface RunningDaemon { stop(): Promise<void> }

/** Start everything; resolves once the control socket answers. Throws McrError on a bad start. */
export async function startDaemon(args: DaemonArgs): Promise<RunningDaemon> {
  const startedAtMs = Date.now();
  const config: ConfigFile = args.config ? await loadConfigFile(args.config) : { rules: [], settings: {}, protocols: {}, warnings: [] };
  const s = config.settings;
  const log = createLogger({ level: args.logLevel ?? s.logLevel ?? 'info', json: args.logJson ?? s.logJson ?? false });
  for (const w of config.warnings) log.warn(w);
  // --instance NAME: its own socket and state file, so relays sharing a host never share rules.
  const paths = instancePaths(args.instance);
  const socketPath = args.controlSocket ?? s.controlSocket ?? paths.controlSocket;
  const stateFile = args.stateFile ?? s.stateFile ?? paths.stateFile;
  // The protocol sockets need CAP_NET_RAW: open them before any privilege drop.
  let rules: RuleService | undefined;
  const plane = createProtocolPlane(config.protocols, { log, recompile: () => rules?.recompose() ?? Promise.resolve() });
  plane?.open();
  // --user: switch before any worker is forked (they inherit it), so only this start-up runs as root.
  const user = args.user ?? s.user;
  if (user !== undefined) {
    await dropToUser({
      spec: user, source: args.user !== undefined ? '--user' : `${args.config} daemon.user`, stateFile, socketPath,
      socketGroup: args.socketGroup ?? s.socketGroup, metricsListen: args.metricsListen ?? s.metricsListen, config: args.config, log,
    });
  }
  try {
    mkdirSync(dirname(stateFile), { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new McrError({ code: 'EACCES', source: stateFile, detail: `cannot create the state directory (${(err as NodeJS.ErrnoException).code})`, hint: 'run as root or pass --state-file PATH' });
  }
  const stateLock = lockStateFile(stateFile);
  const { rules: saved, setAside } = await restoreState(stateFile);
  if (setAside) log.error('state file damaged; kept aside, starting with the config\'s rules', { stateFile, keptAs: setAside.path, reason: setAside.reason });

  // sendmmsg: io_uring measured no better side by side (docs/performance.md, issue 4) and can be
  // disabled by sysctl or seccomp, where sendmmsg always works; --backend uring stays available.
  const backend = args.backend ?? s.backend ?? 'mmsg';
  const numWorkers = args.numWorkers ?? s.numWorkers ?? 1;
  const fanoutGroup = numWorkers > 1 ? (process.pid % 0xfff0) + 1 : undefined;
  // Ring capacity in time is about blocks × retire timeout (1 ms) at low rates, since the kernel
  // retires a block when the timeout expires however full it is: 512 blocks ride out ~0.5 s of the
  // engine thread not being scheduled on a busy host; the engine's default of 64 only ~64 ms.
  const ringBlockCount = args.ringBlocks ?? s.ringBlocks ?? DEFAULT_RING_BLOCKS;
  // TPACKET_V2 + engine-built frames won side by side (docs/engine.md, issue 4): V3's block-retire timer
  // adds ~0.5 ms at low rates, and AF_PACKET egress skips the UDP socket layer on every send.
  const ringVersion = (args.ring ?? s.ring ?? 'v2') === 'v2' ? 2 : 3;
  const egress = args.egress ?? s.egress ?? 'packet';
  const busyPollUs = args.busyPollUs ?? s.busyPollUs ?? 0;
  // GSO won side by side (docs/performance.md): on wherever the kernel can do it, for AF_PACKET egress only.
  const gsoAsked = args.gso ?? s.gso;
  const gso = egress === 'packet' && (gsoAsked ?? gsoSupported());
  if (gsoAsked && egress !== 'packet') log.warn('gso applies to --egress packet only; ignored with --egress socket');
  const pool = new WorkerPool({
    count: numWorkers, log, cpus: args.cpus ?? s.cpus,
    engine: { backend, ringBlockSize: 65536, ringBlockCount, ringVersion, egress, busyPollUs, gso, ...(fanoutGroup ? { fanoutGroup } : {}) },
  });
  await pool.start();

  rules = new RuleService({
    dataPlane: pool, stateFile, log,
    ...(plane ? { compose: plane.mrib.compose } : {}),
    ...(Number.isFinite(pool.limits.maxRuleSlots) ? { maxRuleSlots: pool.limits.maxRuleSlots } : {}),
    ...(Number.isFinite(pool.limits.maxOutputSlots) ? { maxOutputSlots: pool.limits.maxOutputSlots } : {}),
  });
  try {
    await rules.replaceAll(initialTable(config, saved, log));
  } catch (err) {
    plane?.host.stop();
    await pool.stop();
    throw err;
  }
  log.info('rules restored', { rules: rules.list().length, stateFile });
  plane?.host.start();

  const sampler = new RateSampler(async () => sumCounters(await pool.counters()));
  sampler.start();
  const mcrStats = args.mcrStats ? new McrStatsLog(async () => sumCounters(await pool.counters())) : undefined;
  mcrStats?.start();
  // Interfaces come and go (hot-plug, VLANs, tunnels, readdressing): netlink says when, the rule
  // service works out what (waiting rule starts, re-created interface gets fresh sockets, new source
  // address on an output). See link-watch.ts and rule-service.ts.
  const watcher = new LinkWatch({
    log,
    onChange: (why) => {
      log.debug('interfaces changed; refreshing rules', { why });
      rules!.refresh().catch((err: Error) => log.error(`interface change not applied: ${err.message}`));
      plane?.host.interfacesChanged();
    },
  });
  watcher.start();

  const api = createControlApi({
    rules, dataPlane: pool, sampler, log, backend: () => backend, reload: () => reload(args, rules!, log), protocols: plane?.api,
    ...(config.multicastTtl !== undefined ? { defaultTtl: config.multicastTtl } : {}),
  });

  const requests = new ControlRequestCounter();
  let server: ControlServer;
  try {
    server = await startControlServer(socketPath, api, log, {
      group: args.socketGroup ?? s.socketGroup,
      onReply: (cmd, result) => requests.record(cmd, result),
    });
  } catch (err) {
    watcher.stop();
    sampler.stop();
    await pool.stop();
    throw err;
  }
  const metricsListen = args.metricsListen ?? s.metricsListen;
  let metrics: { close(): Promise<void>; address: string } | undefined;
  if (metricsListen) {
    try {
      metrics = await startMetricsServer({
        listen: metricsListen, log,
        collect: daemonMetricsCollector({ rules, dataPlane: pool, requests, backend: () => backend, startedAtMs, ...(plane ? { protocols: plane.families } : {}) }),
      });
    } catch (err) {
      watcher.stop();
      sampler.stop();
      await server.close();
      await pool.stop();
      throw err;
    }
    log.info('metrics listening', { url: `http://${metrics.address}/metrics` });
  }
  log.info('mcrd running', { pid: process.pid, workers: numWorkers, backend, rules: rules.list().length });

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    log.info('mcrd stopping');
    watcher.stop();
    sampler.stop();
    await mcrStats?.stop().catch((err: Error) => log.warn(`no final stats: ${err.message}`));
    plane?.host.stop();
    await server.close();
    await metrics?.close();
    await pool.stop();
    stateLock.release();
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

async function reload(args: DaemonArgs, rules: RuleService, log: Logger) {
  if (!args.config) throw new McrError({ code: 'EINVAL', detail: 'mcrd was started without --config; nothing to reload' });
  const config = await loadConfigFile(args.config);
  for (const w of config.warnings) log.warn(w);
  // Computed in the rule service's queue from the table as it then is: a runtime change acknowledged
  // while the file was read is kept (the soak's lost `c5`, relay/e2e/reload-race.e2e.test.ts).
  return rules.replaceWith((current) => {
    const next: StoredRule[] = [
      ...config.rules.map((r): StoredRule => ({ ...r, origin: 'config' })),
      ...runtimeNotIn(config.rules, current.filter((r) => r.origin === 'runtime'), log),
    ];
    const before = new Map(current.map((r) => [r.id, r] as const));
    const same = (a: StoredRule | undefined, b: StoredRule) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);
    const diff = {
      added: next.filter((r) => !before.has(r.id)).map((r) => r.id),
      removed: current.filter((r) => !next.some((n) => n.id === r.id)).map((r) => r.id),
      changed: next.filter((r) => before.has(r.id) && !same(before.get(r.id), r)).map((r) => r.id),
      unchanged: next.filter((r) => same(before.get(r.id), r)).length,
    };
    return { next, result: diff };
  });
}
