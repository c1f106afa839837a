/**
 * The four charts of report.html, each returned with a table holding every number it draws, so the
 * figures can be read (and tested) as text: loss vs offered rate, throughput bars with min–max
 * whiskers, latency percentiles, per-output fan-out delivery.
 */
import type { LatencyNs, RelayName, Results, Summary } from '../results/types.js';
import { summarize, trialLatency } from '../measure/stats.js';
import { attrs, esc } from './escape.js';
import { fmtLoss, fmtNs, fmtPps, fmtSummary } from './format.js';
import { findTest, lossPoints, outputDelivery, relaysOf } from './model.js';
import { throughputFigure } from '../results/figures.js';
import { bandAxis, H, legend, linear, log10, M, RELAY_COLOR, round1 as n, svg, W, xAxis, yAxis } from './svg.js';
import type { Cell, TableModel } from './tables.js';

export interface Chart { id: string; title: string; svg: string; table?: TableModel }

const plotBottom = H - M.bottom;
const plotRight = W - M.right;

/** Loss against offered rate, per relay: every trial as a dot, the per-rate median as a line. */
export function lossChart(r: Results): Chart | undefined {
  const relays = relaysOf(r);
  const byRelay = relays.map((relay) => {
    const pts = lossPoints(r, relay);
    const rates = [...new Set(pts.map((p) => p.pps))].sort((a, b) => a - b);
    const med = rates.map((pps) => {
      const losses = pts.filter((p) => p.pps === pps).map((p) => p.loss);
      return { pps, losses, s: summarize(losses) };
    });
    return { relay, pts, med };
  }).filter((x) => x.pts.length > 0);
  if (byRelay.length === 0) return undefined;
  const all = byRelay.flatMap((x) => x.pts);
  const x = linear(0, Math.max(...all.map((p) => p.pps)), M.left, plotRight, 6);
  const y = linear(0, Math.max(1, ...all.map((p) => p.loss * 100)), plotBottom, M.top, 5);
  let body = yAxis(y, (v) => `${v} %`, 'loss, worst output (%)') + xAxis(x, fmtPps, 'offered rate (packets/s)') + legend(byRelay.map((b) => b.relay));
  for (const b of byRelay) {
    const color = RELAY_COLOR[b.relay];
    const line = b.med.map((m) => `${n(x(m.pps))},${n(y(m.s.median * 100))}`).join(' ');
    body += `<g class="series" data-relay="${esc(b.relay)}">`;
    body += `<polyline fill="none" stroke="${color}" stroke-width="2" points="${line}"/>`;
    body += b.pts.map((p) => `<circle cx="${n(x(p.pps))}" cy="${n(y(p.loss * 100))}" r="3" fill="${color}" fill-opacity="0.45"${attrs({ 'data-relay': b.relay, 'data-pps': p.pps, 'data-loss': p.loss })}><title>${esc(`${b.relay} ${fmtPps(p.pps)} pps: ${fmtLoss(p.loss)} (${p.source})`)}</title></circle>`).join('');
    body += '</g>';
  }
  const rows: Cell[][] = byRelay.flatMap((b) => b.med.map((m): Cell[] => [
    { text: b.relay }, { text: fmtPps(m.pps), attrs: { 'data-value': m.pps } }, { text: String(m.losses.length) },
    { text: fmtSummary(m.s, fmtLoss), attrs: { 'data-relay': b.relay, 'data-pps': m.pps, 'data-metric': 'lossRatio', 'data-value': m.s.median } },
    { text: m.losses.map(fmtLoss).join(', ') },
  ]));
  const title = 'Loss vs offered rate (throughput-search steps and fixed-rate trials)';
  return {
    id: 'chart-loss', title, svg: svg('chart-loss', title, body),
    table: { id: 'data-loss', title: 'Loss at each offered rate', head: ['relay', 'offered pps', 'trials', 'loss median (min–max)', 'every trial'], align: ['l', 'r', 'r', 'r', 'l'], rows },
  };
}

/** Throughput per relay: bar at the median, whisker from min to max over repetitions. */
export function throughputChart(r: Results, name: string): Chart {
  const items = relaysOf(r).map((relay) => {
    const t = findTest(r, 'throughput', name, relay);
    return { relay, s: t?.summary.throughputPps, top: t ? throughputFigure(t).kind === 'at-least' : false };
  }).filter((i): i is { relay: RelayName; s: Summary; top: boolean } => i.s !== undefined);
  const y = linear(0, Math.max(1, ...items.map((i) => i.s.max)), plotBottom, M.top, 5);
  const bandW = (plotRight - M.left) / Math.max(1, items.length);
  const band = (i: number) => M.left + i * bandW;
  let body = yAxis(y, fmtPps, 'throughput (packets/s)') + bandAxis(items.map((i) => i.relay), band, bandW, `relay (${name}, median with min–max)`);
  items.forEach((it, i) => {
    const bw = Math.min(90, bandW * 0.5);
    const cx = band(i) + bandW / 2;
    const top = y(it.s.median);
    body += `<g${attrs({ 'data-relay': it.relay, 'data-value': it.s.median, 'data-min': it.s.min, 'data-max': it.s.max })}>` +
      `<rect x="${n(cx - bw / 2)}" y="${n(top)}" width="${n(bw)}" height="${n(plotBottom - top)}" fill="${RELAY_COLOR[it.relay]}"><title>${esc(`${it.relay}: ${fmtSummary(it.s, fmtPps)} pps`)}</title></rect>` +
      `<line class="whisker" x1="${n(cx)}" x2="${n(cx)}" y1="${n(y(it.s.min))}" y2="${n(y(it.s.max))}"/>` +
      `<line class="whisker" x1="${n(cx - 8)}" x2="${n(cx + 8)}" y1="${n(y(it.s.min))}" y2="${n(y(it.s.min))}"/>` +
      `<line class="whisker" x1="${n(cx - 8)}" x2="${n(cx + 8)}" y1="${n(y(it.s.max))}" y2="${n(y(it.s.max))}"/>` +
      `<text class="value" x="${n(cx)}" y="${n(Math.min(top, y(it.s.max)) - 6)}" text-anchor="middle">${esc(`${it.top ? '≥ ' : ''}${fmtPps(it.s.median)}`)}</text></g>`;
  });
  const title = `Throughput, ${name} (RFC 2544)`;
  return { id: `chart-throughput-${name}`, title, svg: svg(`chart-throughput-${name}`, title, body) };
}

/** Decade tick labels without false precision: "1 µs", "100 µs", "10 ms". */
function fmtDecadeNs(ns: number): string {
  if (ns >= 1e9) return `${ns / 1e9} s`;
  if (ns >= 1e6) return `${ns / 1e6} ms`;
  if (ns >= 1e3) return `${ns / 1e3} µs`;
  return `${ns} ns`;
}

const PCT: Array<[keyof LatencyNs, string]> = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p999', 'p99.9'], ['max', 'max']];

/** Latency percentiles per relay for one test (latency or fixed-rate), log scale, with min–max whiskers. */
export function latencyChart(r: Results, name: string): Chart | undefined {
  const series = relaysOf(r).map((relay) => {
    const t = r.tests.find((x) => x.name === name && x.relay === relay && x.kind !== 'throughput');
    if (!t || t.kind === 'throughput') return undefined;
    const lat = t.repetitions.map(trialLatency).filter((l): l is LatencyNs => l !== undefined);
    if (lat.length === 0) return undefined;
    return { relay, offered: t.offeredPps, s: Object.fromEntries(PCT.map(([k]) => [k, summarize(lat.map((l) => l[k]))])) as Record<keyof LatencyNs, Summary> };
  }).filter((s) => s !== undefined);
  if (series.length === 0) return undefined;
  const vals = series.flatMap((s) => PCT.flatMap(([k]) => [s.s[k].min, s.s[k].max]));
  const y = log10(Math.max(1, Math.min(...vals)), Math.max(...vals), plotBottom, M.top);
  const bandW = (plotRight - M.left) / PCT.length;
  const band = (i: number) => M.left + i * bandW;
  const barW = (bandW * 0.8) / series.length;
  let body = yAxis(y, fmtDecadeNs, 'one-way latency (log scale)') + bandAxis(PCT.map(([, l]) => l), band, bandW, `percentile (${name}, median of repetitions, min–max whiskers)`) + legend(series.map((s) => s.relay));
  PCT.forEach(([k, label], i) => {
    series.forEach((s, j) => {
      const x0 = band(i) + bandW * 0.1 + j * barW;
      const sm = s.s[k];
      const top = y(sm.median);
      const cx = x0 + barW / 2;
      body += `<g${attrs({ 'data-relay': s.relay, 'data-percentile': label, 'data-value': sm.median })}>` +
        `<rect x="${n(x0 + 1)}" y="${n(top)}" width="${n(Math.max(1, barW - 2))}" height="${n(plotBottom - top)}" fill="${RELAY_COLOR[s.relay]}"><title>${esc(`${s.relay} ${label}: ${fmtSummary(sm, fmtNs)}`)}</title></rect>` +
        (sm.min !== sm.max ? `<line class="whisker" x1="${n(cx)}" x2="${n(cx)}" y1="${n(y(sm.min))}" y2="${n(y(sm.max))}"/>` : '') + '</g>';
    });
  });
  const title = `Latency percentiles, ${name}`;
  const rows: Cell[][] = series.map((s) => [
    { text: s.relay }, { text: fmtPps(s.offered), attrs: { 'data-value': s.offered } },
    ...PCT.map(([k, label]): Cell => ({ text: fmtSummary(s.s[k], fmtNs), attrs: { 'data-relay': s.relay, 'data-percentile': label, 'data-value': s.s[k].median, 'data-min': s.s[k].min, 'data-max': s.s[k].max } })),
  ]);
  return {
    id: `chart-latency-${name}`, title, svg: svg(`chart-latency-${name}`, title, body),
    table: { id: `data-latency-${name}`, title: `Latency percentiles, ${name} (median (min–max) over repetitions)`, head: ['relay', 'offered pps', ...PCT.map(([, l]) => l)], rows },
  };
}

/** Per-output delivery of a fan-out: one bar per output and relay, % of what was sent. */
export function fanoutChart(r: Results, name: string): Chart | undefined {
  const series = relaysOf(r).map((relay) => {
    const t = findTest(r, 'fixed-rate', name, relay);
    return t ? { relay, outs: outputDelivery(t) } : undefined;
  }).filter((s) => s !== undefined);
  const outs = series[0]?.outs ?? [];
  if (outs.length < 2) return undefined;
  const y = linear(0, 100, plotBottom, M.top, 5);
  const bandW = (plotRight - M.left) / outs.length;
  const band = (i: number) => M.left + i * bandW;
  const barW = (bandW * 0.84) / series.length;
  // With many outputs only every k-th label fits.
  const every = Math.ceil(outs.length / 16);
  const labels = outs.map((o, i) => (i % every === 0 ? o.name : ''));
  let body = yAxis(y, (v) => `${v} %`, 'delivered (% of sent)') + bandAxis(labels, band, bandW, `output (${name}, median over repetitions)`) + legend(series.map((s) => s.relay));
  outs.forEach((o, i) => {
    series.forEach((s, j) => {
      const d = s.outs.find((x) => x.name === o.name);
      if (!d) return;
      const top = y(d.delivered * 100);
      body += `<rect x="${n(band(i) + bandW * 0.08 + j * barW)}" y="${n(top)}" width="${n(Math.max(1, barW - 1))}" height="${n(plotBottom - top)}" fill="${RELAY_COLOR[s.relay]}"${attrs({ 'data-relay': s.relay, 'data-output': o.name, 'data-value': d.delivered })}><title>${esc(`${s.relay} ${o.name}: ${(d.delivered * 100).toFixed(3)} % delivered`)}</title></rect>`;
    });
  });
  const title = `Per-output delivery, ${name} (${outs.length} outputs)`;
  const rows: Cell[][] = outs.map((o) => [{ text: o.name }, { text: o.group }, ...series.map((s): Cell => {
    const d = s.outs.find((x) => x.name === o.name);
    return d ? { text: `${(d.delivered * 100).toFixed(3)} %`, attrs: { 'data-relay': s.relay, 'data-output': o.name, 'data-metric': 'delivered', 'data-value': d.delivered } } : { text: '–' };
  })]);
  return {
    id: `chart-outputs-${name}`, title, svg: svg(`chart-outputs-${name}`, title, body),
    table: { id: `data-outputs-${name}`, title: `Delivered per output, ${name}`, head: ['output', 'group', ...series.map((s) => s.relay)], align: ['l', 'l', ...series.map(() => 'r' as const)], rows },
  };
}
