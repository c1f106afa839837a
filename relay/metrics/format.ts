/**
 * Prometheus text exposition format 0.0.4, the primitives: one metric family (HELP, TYPE, samples),
 * label escaping and exact number formatting. exposition.ts decides which families mcrd has.
 *
 *   # HELP mcr_rule_packets_total Datagrams matched by the rule's input.
 *   # TYPE mcr_rule_packets_total counter
 *   mcr_rule_packets_total{rule="cam1",input_interface="eth0",group="239.1.1.1",port="5001"} 18446744073709551615
 *
 * Tested in exposition.test.ts.
 */

export type MetricType = 'counter' | 'gauge';
export type Labels = Readonly<Record<string, string | number>>;
export interface Sample { labels?: Labels; value: bigint | number | string }

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NEEDS_ESCAPE = /[\\"\n]/;
/** Label names already checked; a scrape repeats the same few names thousands of times. */
const goodLabels = new Set<string>();

/** Label values escape backslash, double quote and newline (the only escapes the format defines). */
export function escapeLabelValue(v: string): string {
  // Most values (ids, addresses, ports) need no escaping; skip the three replaces for them.
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline only. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * A sample value as text. bigints print every digit: counters past 2^53 stay exact on the wire
 * (Prometheus stores float64, but the exposition should not be where precision is lost).
 */
export function formatValue(v: bigint | number | string): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return v;
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Nanoseconds since the epoch as exact decimal seconds: 1700000000123456789n → "1700000000.123456789". */
export function nsToSeconds(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const frac = (a % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 1_000_000_000n}${frac ? `.${frac}` : ''}`;
}

/** Render one family; a family with no samples still gets its HELP and TYPE lines. */
export function renderFamily(f: Family): string {
  if (!NAME.test(f.name)) throw new Error(`metric name ${JSON.stringify(f.name)} is not a valid Prometheus name`);
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples) lines.push(`${f.name}${renderLabels(s.labels)} ${formatValue(s.value)}`);
  return `${lines.join('\n')}\n`;
}

function renderLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => {
    if (!goodLabels.has(k)) {
      if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`label name ${JSON.stringify(k)} is not a valid Prometheus label name`);
      goodLabels.add(k);
    }
    return `${k}="${escapeLabelValue(String(v))}"`;
  });
  return parts.length ? `{${parts.join(',')}}` : '';
}
