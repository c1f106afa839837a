/**
 * The scale suite as Markdown: one table per case kind, and the issue's targets with met / not met.
 * Pure (tested in table.test.ts); the bench appends it to bench/results/latest.md.
 */
import { TARGETS } from './plan.js';
import type { Quantiles, ScaleResult } from './result.js';

const pct = (x: number) => `${(100 * x).toFixed(3)} %`;
const k = (pps: number) => `${(pps / 1000).toFixed(pps % 1000 === 0 ? 0 : 1)}k`;
const us = (ns: number) => (Number.isFinite(ns) ? `${(ns / 1000).toFixed(2)} µs` : 'n/a');
const drops = (d: { ring: number; send: number; byErrno: Record<string, number> }) =>
  `mcrd: ${d.ring} ring, ${d.send} send${d.send ? ` (${Object.entries(d.byErrno).map(([e, n]) => `${e} ${n}`).join(', ')})` : ''}`;
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : 'not met');

/**
 * mcrd's CPU per packet at the most streams measured over that at one stream, of the sweep with GSO
 * as given (default: mcrd's defaults, GSO on); undefined without both.
 * `generatorLimited`: either side's generator reached under 95 % of the offered rate, so the two ran
 * at different rates (CPU per packet grows as the rate falls: fewer packets per wake-up) and the
 * ratio is no verdict.
 */
export function cpuRatio(r: ScaleResult, gso = true): { streams: number; ratio: number; generatorLimited: boolean } | undefined {
  const sweep = r.streams.filter((s) => s.gso === gso);
  const one = sweep.find((s) => s.streams === 1);
  const most = [...sweep].sort((a, b) => b.streams - a.streams)[0];
  if (!one || !most || most === one || !(one.cpuNsPerPacket > 0) || !Number.isFinite(most.cpuNsPerPacket)) return undefined;
  const short = (s: typeof one) => s.achievedPps < 0.95 * s.offeredPps;
  return { streams: most.streams, ratio: most.cpuNsPerPacket / one.cpuNsPerPacket, generatorLimited: short(one) || short(most) };
}

export function renderScaleMarkdown(r: ScaleResult, heading = '##'): string {
  const out: string[] = [`${heading} Scale (bench/scale, ${r.quick ? 'quick' : 'full'}; placement ${r.placement})`, ''];
  if (r.streams.length) {
    out.push('| streams (one rule each) | GSO | BPF filter | offered | generator reached | loss | mcrd CPU per packet (median; trials) |', '|---|---|---|---|---|---|---|');
    for (const s of r.streams) {
      out.push(`| ${s.streams} | ${s.gso ? 'on' : 'off'} | ${s.filter} | ${k(s.offeredPps)} pps | ${k(Math.round(s.achievedPps))} pps | ${pct(s.lossRatio)} (${drops(s.mcrdDrops)}) | ${us(s.cpuNsPerPacket)} (${s.cpuNsPerPacketRuns.map((x) => us(x)).join(', ')}) |`);
    }
    out.push('');
  }
  if (r.fanout.length) {
    out.push('| fan-out | input | worst output loss (median) | outputs over 0.1 % |', '|---|---|---|---|');
    for (const f of r.fanout) out.push(`| 1 → ${f.outputs} | ${k(f.inputPps)} pps (${k(f.inputPps * f.outputs)} out) | ${pct(f.worstOutputLoss)} (${drops(f.mcrdDrops)}) | ${f.outputsOverTolerance} |`);
    out.push('');
  }
  if (r.rules) {
    const x = r.rules;
    const delay = (d: number | null) => (d === null ? 'n/a' : `${(d / 1000).toFixed(2)} ms`);
    const q = (v: Quantiles | undefined) => (v ? `${[v.p50, v.p90, v.p99, v.max].map((n) => n.toFixed(1)).join(' / ')} ms` : 'n/a');
    out.push(`| rules installed | start with them in the config | add during the stream: p50 / p90 / p99 / max | add, no traffic | stream during the adds | same stream after, as long, no adds | memory per rule |`, '|---|---|---|---|---|---|---|');
    out.push(`| ${x.installed} | ${(x.loadMs / 1000).toFixed(1)} s | ${q(x.addMs)} (${x.adds} adds) | ${q(x.addMsIdle)} | ${k(x.stream.pps)} pps: ${x.stream.lost} lost of ${x.stream.received + x.stream.lost}, longest delay ${delay(x.stream.maxDelayUs)} | ${x.quiet.lost} lost of ${x.quiet.received + x.quiet.lost}, longest delay ${delay(x.quiet.maxDelayUs)} | ${(x.rssBytesPerRule / 1024).toFixed(1)} KiB |`);
    out.push('');
  }
  const ratio = cpuRatio(r);
  const ratioOff = cpuRatio(r, false);
  const fanoutOk = r.fanout.length ? r.fanout.every((f) => f.worstOutputLoss <= TARGETS.outputLoss) : undefined;
  out.push('| target | measured | verdict |', '|---|---|---|');
  out.push(`| CPU per packet, most streams ÷ 1 stream ≤ ${TARGETS.cpuRatio1000} | ${ratio ? `${ratio.ratio.toFixed(2)}× (${ratio.streams} streams)` : 'n/a'} | ${ratio?.generatorLimited ? 'no verdict: generator-limited' : verdict(ratio && ratio.ratio <= TARGETS.cpuRatio1000)} |`);
  if (ratioOff) out.push(`| the same with --gso off (what more rules cost, without GSO's help for one stream) | ${ratioOff.ratio.toFixed(2)}× (${ratioOff.streams} streams) | ${ratioOff.generatorLimited ? 'no verdict: generator-limited' : verdict(ratioOff.ratio <= TARGETS.cpuRatio1000)} |`);
  out.push(`| every fan-out output ≤ 0.1 % loss | ${r.fanout.map((f) => `1 → ${f.outputs}: worst ${pct(f.worstOutputLoss)}`).join('; ') || 'n/a'} | ${verdict(fanoutOk)} |`);
  const idle = r.rules?.addMsIdle;
  out.push(`| add with ${r.rules?.installed ?? 'n'} rules: p99 ≤ ${TARGETS.addP99Ms} ms (no traffic: the daemon's own latency) | ${idle ? `${idle.p99.toFixed(1)} ms` : 'n/a'} | ${verdict(idle && idle.p99 <= TARGETS.addP99Ms)} |`);
  out.push(`| the same while a stream runs (mcrd's control plane shares the traffic CPU with the generator's pacing spin) | ${r.rules ? `${r.rules.addMs.p99.toFixed(1)} ms` : 'n/a'} | ${verdict(r.rules && r.rules.addMs.p99 <= TARGETS.addP99Ms)} |`);
  out.push(`| forwarding never pauses during adds | ${r.rules ? `${r.rules.stream.lost} lost` : 'n/a'} | ${verdict(r.rules && r.rules.stream.lost === 0)} |`);
  if (r.errors.length) out.push('', ...r.errors.map((e) => `- failed: ${e}`));
  return `${out.join('\n')}\n`;
}
