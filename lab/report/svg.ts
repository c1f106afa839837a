/**
 * Minimal SVG chart pieces for report.html: scales with "nice" ticks, axes with labels, a legend.
 * No library and no script: the report must open offline and render identically everywhere.
 */
import type { RelayName } from '../results/types.js';
import { attrs, esc } from './escape.js';

export const RELAY_COLOR: Record<RelayName, string> = {
  mcrd: '#1f6fd1', socat: '#e07b16', kernel: '#2a9d4b', direct: '#7a7a7a', frr: '#8e44ad',
};

export const W = 760;
export const H = 340;
export const M = { left: 96, right: 24, top: 40, bottom: 58 };

export interface Scale { (v: number): number; ticks: number[]; domain: [number, number] }

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * pow;
}

/** Linear scale from [0 or min, max] onto [r0, r1] with about `count` round ticks; max rounds up to a tick. */
export function linear(min: number, max: number, r0: number, r1: number, count = 5): Scale {
  const hi0 = max > min ? max : min + 1;
  const step = niceStep(hi0 - min, count);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(hi0 / step) * step;
  const f = ((v: number) => r0 + ((v - lo) / (hi - lo)) * (r1 - r0)) as Scale;
  f.ticks = [];
  for (let t = lo; t <= hi + step / 2; t += step) f.ticks.push(Number(t.toPrecision(12)));
  f.domain = [lo, hi];
  return f;
}

/** Log10 scale over whole decades covering [min, max] (both > 0). */
export function log10(min: number, max: number, r0: number, r1: number): Scale {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-12)));
  let hi = Math.ceil(Math.log10(Math.max(max, min * 10)));
  if (hi === lo) hi += 1;
  const f = ((v: number) => r0 + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (r1 - r0)) as Scale;
  f.ticks = [];
  for (let e = lo; e <= hi; e += 1) f.ticks.push(10 ** e);
  f.domain = [10 ** lo, 10 ** hi];
  return f;
}

const n = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Left y axis with grid lines, tick labels and a rotated title. */
export function yAxis(y: Scale, fmt: (v: number) => string, title: string): string {
  const x0 = M.left;
  const x1 = W - M.right;
  const parts = y.ticks.map((t) => `<line class="grid" x1="${x0}" x2="${x1}" y1="${n(y(t))}" y2="${n(y(t))}"/>` +
    `<text class="tick" x="${x0 - 8}" y="${n(y(t) + 4)}" text-anchor="end">${esc(fmt(t))}</text>`);
  const cy = (M.top + H - M.bottom) / 2;
  parts.push(`<line class="axis" x1="${x0}" x2="${x0}" y1="${M.top}" y2="${H - M.bottom}"/>`);
  parts.push(`<text class="axis-title" transform="translate(20 ${n(cy)}) rotate(-90)" text-anchor="middle">${esc(title)}</text>`);
  return parts.join('');
}

/** Bottom x axis with numeric ticks and a title. */
export function xAxis(x: Scale, fmt: (v: number) => string, title: string): string {
  const y0 = H - M.bottom;
  const parts = x.ticks.map((t) => `<line class="axis" x1="${n(x(t))}" x2="${n(x(t))}" y1="${y0}" y2="${y0 + 5}"/>` +
    `<text class="tick" x="${n(x(t))}" y="${y0 + 19}" text-anchor="middle">${esc(fmt(t))}</text>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${y0}" y2="${y0}"/>`);
  parts.push(`<text class="axis-title" x="${n((M.left + W - M.right) / 2)}" y="${H - 12}" text-anchor="middle">${esc(title)}</text>`);
  return parts.join('');
}

/** Bottom axis with category labels centred on each band. */
export function bandAxis(labels: string[], band: (i: number) => number, bandWidth: number, title: string): string {
  const y0 = H - M.bottom;
  const parts = labels.map((l, i) => `<text class="tick" x="${n(band(i) + bandWidth / 2)}" y="${y0 + 19}" text-anchor="middle">${esc(l)}</text>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${y0}" y2="${y0}"/>`);
  parts.push(`<text class="axis-title" x="${n((M.left + W - M.right) / 2)}" y="${H - 12}" text-anchor="middle">${esc(title)}</text>`);
  return parts.join('');
}

/** Legend swatches in a row along the top edge. */
export function legend(relays: RelayName[]): string {
  let x = M.left;
  return `<g class="legend">${relays.map((r) => {
    const g = `<rect x="${x}" y="12" width="12" height="12" fill="${RELAY_COLOR[r]}"/><text x="${x + 17}" y="22">${esc(r)}</text>`;
    x += 30 + r.length * 8;
    return g;
  }).join('')}</g>`;
}

/** The <svg> element with an accessible title; `body` is already-escaped SVG. */
export function svg(id: string, title: string, body: string, data?: Record<string, string | number>): string {
  return `<svg id="${esc(id)}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${esc(id)}-title"${attrs(data)} xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${esc(id)}-title">${esc(title)}</title>${body}</svg>`;
}

export { n as round1 };
