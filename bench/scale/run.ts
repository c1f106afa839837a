/**
 * The scale suite's runner: brings up scenarios/bench/scale.yaml's topology with the lab (placement
 * and RPS as a lab run), then for each case of plan.ts starts a fresh mcrd, loads the case's rules,
 * runs one mcr-gen over every stream and one mcr-sink over every output, and reads mcrd's CPU time and
 * memory from /proc. Everything it creates is torn down, also on failure. Needs root.
 *
 *   sudo node dist/bench/run.js --macro-only --scenarios scale [--quick]
 *
 * A case that fails is recorded with its error and the others still run. The lab's run log goes to
 * OUT/scale.log.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareScenario } from '../../lab/cli/common.js';
import { onlineCpus, planPlacement, describePlacement } from '../../lab/run/placement.js';
import type { CpuPlacement } from '../../lab/results/types.js';
import { topologyUp } from '../../lab/topology/build.js';
import { createContext, type RunContext } from '../../lab/topology/context.js';
import { rpsUp } from '../../lab/topology/rps.js';
import { teardown } from '../../lab/topology/teardown.js';
import { runGenerator, startSink, type SinkReport } from '../../lab/traffic/traffic.js';
import { startScaleMcrd, type ScaleMcrd } from './mcrd.js';
import { fanoutRule, median, quantile, scalePlan, streamRules, type FanoutCase, type RulesCase, type ScaleCase, type ScalePlan, type StreamsCase, type Template } from './plan.js';
import type { FanoutResult, Quantiles, RulesResult, ScaleResult, StreamsResult } from './result.js';

/** The scenario argument of `npm run bench -- --scenarios` that stands for this suite. */
export const SCALE_SCENARIO = 'scale';

interface Env {
  ctx: RunContext;
  root: string;
  plan: ScalePlan;
  t: Template;
  ns: { gen: string; relay: string; sink: string };
  genIf: string;
  sinkIf: string;
  placement: CpuPlacement;
  log: (line: string) => void;
}

const pinTraffic = (e: Env) => (e.placement.pinned ? { cpus: e.placement.traffic } : {});

/** One trial: sink on `listen`, generator over `dst` at `pps`; mcrd's CPU over the traffic window. */
async function trial(e: Env, m: ScaleMcrd, dst: string[], listen: string[], pps: number, durationS = e.plan.durationS) {
  const sink = await startSink({ netns: e.ns.sink, listen, interface: e.sinkIf, ...pinTraffic(e) });
  const cpu0 = m.cpuNs();
  let gen;
  try {
    gen = await runGenerator({ netns: e.ns.gen, dst, interface: e.genIf, ratePps: pps, durationS, payloadBytes: e.plan.payloadBytes, ...pinTraffic(e) });
  } finally {
    // Let the last datagrams through the relay before the sink stops counting.
    await new Promise((r) => setTimeout(r, 300));
  }
  const cpuNs = m.cpuNs() - cpu0;
  const report: SinkReport = await sink.stop();
  return { gen, report, cpuNs };
}

async function withMcrd<T>(e: Env, label: string, fn: (m: ScaleMcrd) => Promise<T>, args: string[] = []): Promise<T> {
  const m = await startScaleMcrd(e.ctx, e.root, e.ns.relay, e.placement, label, args);
  try {
    return await fn(m);
  } finally {
    await m.stop();
  }
}

async function streamsCase(e: Env, c: StreamsCase): Promise<StreamsResult> {
  const rules = streamRules(e.t, c.streams);
  return withMcrd(e, `streams-${c.streams}${c.gso ? '' : '-nogso'}`, async (m) => {
    await m.load(rules);
    const dst = rules.map((r) => `${r.input.group}:${r.input.port}`);
    const listen = rules.map((r) => `${r.outputs[0]!.group}:${r.outputs[0]!.port}`);
    const runs = [];
    for (let i = 0; i < e.plan.repetitions; i++) {
      const { gen, report, cpuNs } = await trial(e, m, dst, listen, c.totalPps);
      const received = report.listens.reduce((n, l) => n + l.received, 0);
      runs.push({ sent: gen.sent, received, cpuNsPerPacket: received > 0 ? cpuNs / received : Number.NaN, achievedPps: gen.achievedPps });
    }
    const drops = await m.drops();
    return {
      streams: c.streams, gso: c.gso, offeredPps: c.totalPps, filter: c.streams > 64 ? 'small' : 'exact',
      achievedPps: median(runs.map((r) => r.achievedPps)),
      lossRatio: median(runs.map((r) => (r.sent - r.received) / Math.max(1, r.sent))),
      cpuNsPerPacket: median(runs.map((r) => r.cpuNsPerPacket)),
      cpuNsPerPacketRuns: runs.map((r) => Math.round(r.cpuNsPerPacket)),
      mcrdDrops: drops,
    };
  }, c.gso ? [] : ['--gso', 'off']);
}

async function fanoutCase(e: Env, c: FanoutCase): Promise<FanoutResult> {
  const rule = fanoutRule(e.t, c.outputs);
  return withMcrd(e, `fanout-${c.outputs}`, async (m) => {
    await m.load([rule]);
    const listen = rule.outputs.map((o) => `${o.group}:${o.port}`);
    const worst: number[] = [];
    let over = 0;
    let sent = 0;
    for (let i = 0; i < e.plan.repetitions; i++) {
      const { gen, report } = await trial(e, m, [`${e.t.inGroup}:${e.t.inPort}`], listen, c.inputPps);
      const losses = report.listens.map((l) => (gen.sent - l.received) / Math.max(1, gen.sent));
      worst.push(Math.max(...losses));
      over = Math.max(over, losses.filter((x) => x > 0.001).length);
      sent = gen.sent;
    }
    return { outputs: c.outputs, inputPps: c.inputPps, sentPerTrial: sent, worstOutputLoss: median(worst), outputsOverTolerance: over, mcrdDrops: await m.drops() };
  });
}

const quantiles = (ms: number[]): Quantiles => ({ p50: quantile(ms, 0.5), p90: quantile(ms, 0.9), p99: quantile(ms, 0.99), max: Math.max(...ms) });

async function rulesCase(e: Env, c: RulesCase): Promise<RulesResult> {
  const rules = streamRules(e.t, c.installed + 2 * c.adds);
  const settle = () => new Promise((r) => setTimeout(r, 2000));
  // Memory per rule: mcrd with the first rule alone, then with the whole table, each settled 2 s.
  const rss0 = await withMcrd(e, 'rules-one', async (m) => {
    await m.load(rules.slice(0, 1));
    await settle();
    return m.rssBytes();
  });
  // The installed table comes from a config file, as an operator's would: one table change at start
  // (loading it through the control socket in pieces re-plans the growing table each time).
  const config = join(e.ctx.runDir, 'scale-rules.json5');
  await writeFile(config, JSON.stringify({ rules: rules.slice(0, c.installed) }));
  const t0 = performance.now();
  return withMcrd(e, 'rules', async (m) => {
    const loadMs = performance.now() - t0;
    await settle();
    const rss1 = m.rssBytes();
    // One stream on the first rule while the adds run: a pause in forwarding shows as loss (the
    // sink counts sequence gaps) or as its longest delay. The generator runs until the adds are done.
    // After that, the same stream as long again without changes: the longest delay this machine gives
    // it anyway over an equal window, to compare with.
    const first = rules[0]!;
    const sink = await startSink({ netns: e.ns.sink, listen: [`${first.outputs[0]!.group}:${first.outputs[0]!.port}`], interface: e.sinkIf, ...pinTraffic(e) });
    const stopGen = new AbortController();
    const ms: number[] = [];
    let addsS = 0;
    try {
      const gen = runGenerator({ netns: e.ns.gen, dst: [`${first.input.group}:${first.input.port}`], interface: e.genIf, ratePps: c.streamPps, durationS: 3600, payloadBytes: e.plan.payloadBytes, signal: stopGen.signal, ...pinTraffic(e) })
        .catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
      const addsStart = performance.now();
      for (const r of rules.slice(c.installed, c.installed + c.adds)) ms.push(await m.add(r));
      addsS = (performance.now() - addsStart) / 1000;
      await new Promise((r) => setTimeout(r, 500));
      stopGen.abort();
      await gen;
    } finally {
      stopGen.abort();
    }
    const l = (await sink.stop()).listens[0]!;
    const quietS = Math.min(60, Math.max(e.plan.durationS, Math.ceil(addsS)));
    const quiet = (await trial(e, m, [`${first.input.group}:${first.input.port}`], [`${first.outputs[0]!.group}:${first.outputs[0]!.port}`], c.streamPps, quietS)).report.listens[0]!;
    const idle: number[] = [];
    for (const r of rules.slice(c.installed + c.adds)) idle.push(await m.add(r));
    return {
      installed: c.installed, adds: ms.length, loadMs: Math.round(loadMs),
      addMs: quantiles(ms),
      addMsIdle: quantiles(idle),
      stream: { pps: c.streamPps, received: l.received, lost: l.lost, maxDelayUs: l.latencyNs ? l.latencyNs.max / 1000 : null },
      quiet: { seconds: quietS, received: quiet.received, lost: quiet.lost, maxDelayUs: quiet.latencyNs ? quiet.latencyNs.max / 1000 : null },
      rssBytesPerRule: Math.round((rss1 - rss0) / (c.installed - 1)),
    };
  }, ['--config', config]);
}

/**
 * Run the suite. @returns every case's figures, and the errors of those that failed.
 * @throws only when the topology cannot be built.
 */
export async function runScale(opts: {
  quick: boolean; root: string; outDir: string; log: (line: string) => void; file?: string;
  /** Only these case kinds (default all). */
  only?: readonly ScaleCase['kind'][];
}): Promise<ScaleResult> {
  const file = opts.file ?? join(opts.root, 'scenarios', 'bench', 'scale.yaml');
  const { scenario: s } = await prepareScenario(file, { quick: opts.quick });
  const st = s.streams[0]!;
  const out = st.outputs[0]!;
  const t: Template = { input: st.input, inGroup: st.group, inPort: st.port, output: out.interface, outGroup: out.group, outPort: out.port };
  const ac = new AbortController();
  await mkdir(opts.outDir, { recursive: true });
  // The run log outlives the run directory, which teardown removes.
  const ctx = createContext({ scenario: s.name, file, signal: ac.signal, logPath: join(opts.outDir, 'scale.log') });
  const placement = planPlacement(s.cpus, onlineCpus());
  const plan = scalePlan(opts.quick);
  const result: ScaleResult = { startedAt: new Date().toISOString(), quick: opts.quick, placement: describePlacement(placement), streams: [], fanout: [], errors: [] };
  try {
    await topologyUp(ctx, s);
    if (placement.pinned) await rpsUp(ctx, s, placement);
    const e: Env = {
      ctx, root: opts.root, plan, t, placement, log: opts.log,
      ns: { gen: ctx.ns(st.source.host), relay: ctx.ns(s.relayHost), sink: ctx.ns(out.sink.host) },
      genIf: st.source.interface, sinkIf: out.sink.interface,
    };
    for (const c of plan.cases.filter((x) => !opts.only || opts.only.includes(x.kind))) {
      const name = c.kind === 'streams' ? `${c.streams} streams${c.gso ? '' : ', --gso off'}` : c.kind === 'fanout' ? `fan-out 1 → ${c.outputs}` : `${c.installed} rules, ${c.adds} adds`;
      opts.log(`scale: ${name}`);
      try {
        if (c.kind === 'streams') result.streams.push(await streamsCase(e, c));
        else if (c.kind === 'fanout') result.fanout.push(await fanoutCase(e, c));
        else result.rules = await rulesCase(e, c as RulesCase);
      } catch (err) {
        opts.log(`scale: ${name} failed: ${(err as Error).message.split('\n')[0]}`);
        result.errors.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    const rep = await teardown(ctx, ctx.state);
    if (rep.errors.length) result.errors.push(`teardown: ${rep.errors.join('; ')}`);
  }
  result.finishedAt = new Date().toISOString();
  return result;
}

