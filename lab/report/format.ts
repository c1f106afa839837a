/**
 * Number formatting shared by every report (console, Markdown, HTML), so the same value reads the
 * same everywhere and a test can look for exactly the string the report shows.
 */
import type { Summary } from '../results/types.js';

/** Packets per second: "171.5k", "1.25M", "950". */
export function fmtPps(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return `${Math.round(v)}`;
}

/** Loss ratio as a percentage with enough digits to tell 0.001 % from 0: "0 %", "0.0012 %", "22.4 %". */
export function fmtLoss(r: number): string {
  if (r === 0) return '0 %';
  if (r === 1) return '100 %';
  const pct = r * 100;
  if (pct >= 10) return `${pct.toFixed(1)} %`;
  if (pct >= 0.1) return `${pct.toFixed(2)} %`;
  return `${pct.toPrecision(2)} %`;
}

/** Nanoseconds as a time: "850 ns", "24.1 µs", "1.32 ms", "2.10 s". */
export function fmtNs(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (a >= 1e8) return `${(ns / 1e6).toFixed(1)} ms`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${Math.round(ns)} ns`;
}

/** A ratio between relays: "4.58×". */
export function fmtRatio(r: number): string {
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** "median (min–max)", or just the median when the spread is nil or there is one repetition. */
export function fmtSummary(s: Summary, f: (v: number) => string): string {
  if (s.n === 0) return 'no data';
  if (s.n === 1 || s.min === s.max) return f(s.median);
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/**
 * Like fmtSummary but without repeating the unit inside the parentheses when min and max share the
 * median's unit: "25.6 µs (25.3–25.7)". For the console, where width matters.
 */
export function fmtSummaryCompact(s: Summary, f: (v: number) => string): string {
  if (s.n === 0 || s.n === 1 || s.min === s.max) return fmtSummary(s, f);
  const unit = (x: string): string => /[^\d.]*$/.exec(x)?.[0] ?? '';
  const [m, lo, hi] = [f(s.median), f(s.min), f(s.max)];
  const u = unit(m);
  if (u !== '' && unit(lo) === u && unit(hi) === u) return `${m} (${lo.slice(0, lo.length - u.length)}–${hi.slice(0, hi.length - u.length)})`;
  return `${m} (${lo}–${hi})`;
}

/** Bytes as binary units: "3.83 GiB". */
export function fmtBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${i === 0 ? v : v.toFixed(2)} ${units[i]}`;
}

/** Value of a threshold metric in the unit that metric is measured in. */
export function fmtMetric(metric: string, v: number): string {
  if (/ratio /.test(metric)) return fmtRatio(v);
  if (metric === 'lossRatio') return fmtLoss(v);
  if (/Ns$|NsPerPacket$/.test(metric)) return fmtNs(v);
  if (/Pps$/.test(metric)) return `${fmtPps(v)} pps`;
  return String(v);
}
