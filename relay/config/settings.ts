/**
 * mcrd's settings, each defined once — its schema (which also words its errors), its command-line flag
 * and how the flag's text becomes a value, its default — and resolved once, flag > config file
 * `daemon:` section > default, into the typed Settings the daemon runs on:
 *
 *   mcrd --ring-blocks 1024 --config mcrd.json5        // mcrd.json5: daemon: { ringBlocks: 256, numWorkers: 2 }
 *   → { ringBlocks: 1024, numWorkers: 2, backend: "mmsg", ring: "v2", ... }
 *     sources: { ringBlocks: "--ring-blocks", numWorkers: "mcrd.json5:3 daemon.numWorkers", backend: "default" }
 *
 * A bad value is refused naming where it came from, in the same words either way:
 *   --ring-blocks: expected integer 2-65536, got "1" (string)
 *   mcrd.json5:7 daemon.ringBlocks: expected integer 2-65536, got 1 (number)
 * Tested in settings.test.ts; the flags themselves are parsed in relay/daemon/args.ts.
 */
import { z } from 'zod';
import { ENGINE_FIELDS } from '../engine/options.js';
import { McrError, describeValue } from '../errors.js';
import { parseListen } from '../metrics/listen.js';
import { throwFirst } from '../model/issues.js';
import { parseUserSpec } from '../daemon/privilege.js';
import { instancePaths } from './instance.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const int = (lo: number, hi: number, unit = '') => {
  const e = { error: `expected integer ${lo}-${hi}${unit}` };
  return z.int(e).min(lo, e).max(hi, e);
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: values.length === 2 ? `expected "${values[0]}" or "${values[1]}"` : `expected one of ${values.join(', ')}` });
const text = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const bool = z.boolean({ error: 'expected true or false' });
/** A check that lives in its own parser (and words its own error), run inside the schema. */
const checkedBy = (parse: (s: string) => unknown, what: string) => z.string({ error: `expected ${what}` }).superRefine((s, ctx) => {
  try { parse(s); } catch (err) { ctx.addIssue({ code: 'custom', message: (err as McrError).detail ?? (err as Error).message }); }
});

/** The config file's `daemon:` section; every key is optional there (and on the command line). */
export const daemonSettingsSchema = z.strictObject({
  controlSocket: text('a path'),
  socketGroup: text('a group name'),
  user: checkedBy((s) => parseUserSpec(s), '"USER" or "USER:GROUP"'),
  stateFile: text('a path'),
  numWorkers: int(1, 64),
  cpus: z.array(z.int({ error: 'expected CPU numbers 0-4095' }).min(0, { error: 'expected CPU numbers 0-4095' }).max(4095, { error: 'expected CPU numbers 0-4095' }), { error: 'expected a list of CPU numbers like [2, 3]' }).min(1, { error: 'expected at least one CPU' }),
  // The engine's own ranges (relay/engine/options.ts): one definition, one wording.
  backend: ENGINE_FIELDS.backend,
  ring: oneOf(['v2', 'v3']),
  egress: ENGINE_FIELDS.egress,
  gso: ENGINE_FIELDS.gso,
  ringBlocks: ENGINE_FIELDS.ringBlockCount,
  busyPollUs: ENGINE_FIELDS.busyPollUs,
  adaptivePoll: ENGINE_FIELDS.adaptivePoll,
  logLevel: oneOf(LOG_LEVELS),
  logJson: bool,
  metricsListen: checkedBy((s) => parseListen(s), 'ADDR:PORT'),
}, { error: 'expected an object' }).partial();
export type DaemonSettings = z.infer<typeof daemonSettingsSchema>;
export type SettingKey = keyof DaemonSettings;

const digits = (t: string): unknown => (/^\d+$/.test(t) ? Number(t) : t);

/** "2", "2,3", "0-3": CPU numbers for --cpus, in the order given. */
export function parseCpuList(t: string): number[] {
  const bad = () => new McrError({ code: 'EINVAL', source: '--cpus', detail: `expected CPU numbers like 2 or 2,3 or 2-3, got ${describeValue(t)}` });
  const out: number[] = [];
  for (const part of t.split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
    if (!m) throw bad();
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw bad();
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** A flag that takes "on" or "off" (a config file says true or false). */
const onOff = (flag: string) => (t: string): boolean => {
  if (t === 'on' || t === 'off') return t === 'on';
  throw new McrError({ code: 'EINVAL', source: flag, detail: `expected "on" or "off", got ${describeValue(t)}` });
};

/**
 * The command-line flag of each setting and how its text becomes the value the schema checks (text that
 * cannot be converted is passed on as is, so the schema's error quotes what was typed). `--log-json` is
 * a boolean flag; args.ts maps --log-format onto logJson.
 */
export const SETTING_FLAGS: { readonly [K in SettingKey]-?: { flag: string; fromText?: (t: string) => unknown } } = {
  controlSocket: { flag: '--control-socket' },
  socketGroup: { flag: '--socket-group' },
  user: { flag: '--user' },
  stateFile: { flag: '--state-file' },
  numWorkers: { flag: '--num-workers', fromText: digits },
  cpus: { flag: '--cpus', fromText: parseCpuList },
  backend: { flag: '--backend', fromText: (t) => ({ sendmmsg: 'mmsg', io_uring: 'uring' } as Record<string, string>)[t] ?? t },
  ring: { flag: '--ring' },
  egress: { flag: '--egress' },
  gso: { flag: '--gso', fromText: onOff('--gso') },
  ringBlocks: { flag: '--ring-blocks', fromText: digits },
  busyPollUs: { flag: '--busy-poll-us', fromText: digits },
  adaptivePoll: { flag: '--adaptive-poll', fromText: onOff('--adaptive-poll') },
  logLevel: { flag: '--log-level' },
  logJson: { flag: '--log-json' },
  metricsListen: { flag: '--metrics-listen' },
};

/**
 * Defaults of the settings that have one. Why these: sendmmsg, TPACKET_V2 and AF_PACKET egress won side
 * by side (docs/performance.md, docs/engine.md); 512 ring blocks of 64 KiB (32 MiB per input interface
 * and worker) are 16384 TPACKET_V2 frame slots at MTU 1500: ~1.6 s of a 10k pps stream, ~0.16 s at
 * 100k pps, while the engine thread is not scheduled (docs/relay.md --ring-blocks).
 * controlSocket and stateFile default per instance (instance.ts); gso defaults to what the kernel can
 * do (the daemon asks it); socketGroup, user, cpus and metricsListen have no default (unset = off).
 */
export const DEFAULTS = {
  numWorkers: 1, backend: 'mmsg', ring: 'v2', egress: 'packet', ringBlocks: 512, busyPollUs: 0, adaptivePoll: false, logLevel: 'info', logJson: false,
} as const satisfies DaemonSettings;

/** Everything mcrd runs on, resolved: flag > config > default. */
export type Settings = Omit<DaemonSettings, keyof typeof DEFAULTS | 'controlSocket' | 'stateFile'> & {
  -readonly [K in keyof typeof DEFAULTS]: NonNullable<DaemonSettings[K]>;
} & {
  controlSocket: string;
  stateFile: string;
  /** --config FILE, re-read on SIGHUP. */
  config?: string;
  /** --instance NAME: where controlSocket/stateFile default to. */
  instance?: string;
  /** --log-format mcr (or MCR_COMPAT=1): MCR's [STATS] lines in the log. */
  mcrStats: boolean;
  /** Where each setting came from: its flag, `mcrd.json5:7 daemon.user`, or `default`. */
  sources: Partial<Record<SettingKey, string>>;
};

/** Settings given on the command line, checked by the schema; errors name the flag. Throws McrError. */
export function checkFlagSettings(texts: Partial<Record<SettingKey, string | boolean>>): DaemonSettings {
  const candidate: Record<string, unknown> = {};
  for (const [key, t] of Object.entries(texts) as Array<[SettingKey, string | boolean]>) {
    const from = SETTING_FLAGS[key].fromText;
    candidate[key] = typeof t === 'string' && from ? from(t) : t;
  }
  const r = daemonSettingsSchema.safeParse(candidate);
  if (r.success) {
    if (r.data.adaptivePoll && (r.data.busyPollUs ?? 0) > 0) throw new McrError({ code: 'EINVAL', source: '--adaptive-poll', detail: BOTH_POLLS });
    return r.data;
  }
  // Quote what was typed (the flag's text), not the value it was converted to.
  throwFirst(r.error.issues.map((i) => {
    const key = i.path[0] as SettingKey;
    const detail = i.message.includes(', got ') ? i.message : `${i.message}, got ${describeValue(texts[key])}`;
    return new McrError({ code: 'EINVAL', source: SETTING_FLAGS[key].flag, detail });
  }));
}

const BOTH_POLLS = 'a fixed window (busyPollUs) or adaptive polling, not both; drop one';

/** Flags and the config file's settings → Settings (both already checked by the schema). */
export function resolveSettings(
  flags: { settings: DaemonSettings; config?: string | undefined; instance?: string | undefined; mcrStats?: boolean },
  file: { settings: DaemonSettings; sourceOf?: (key: SettingKey) => string } = { settings: {} },
): Settings {
  const sources: Partial<Record<SettingKey, string>> = {};
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(SETTING_FLAGS) as SettingKey[]) {
    const fromFlag = flags.settings[key];
    const fromFile = file.settings[key];
    const fallback = (DEFAULTS as DaemonSettings)[key];
    const value = fromFlag ?? fromFile ?? fallback;
    if (value === undefined) continue;
    merged[key] = value;
    sources[key] = fromFlag !== undefined ? SETTING_FLAGS[key].flag : fromFile !== undefined ? (file.sourceOf?.(key) ?? `daemon.${key}`) : 'default';
  }
  // A fixed window on the command line wins over adaptive polling in the file, and the other way round.
  if (merged.adaptivePoll === true && (merged.busyPollUs as number) > 0) {
    const flagged = (k: SettingKey) => flags.settings[k] !== undefined;
    const loser: SettingKey | undefined = flagged('busyPollUs') && !flagged('adaptivePoll') ? 'adaptivePoll'
      : flagged('adaptivePoll') && !flagged('busyPollUs') ? 'busyPollUs' : undefined;
    if (!loser) throw new McrError({ code: 'EINVAL', source: sources.adaptivePoll ?? 'daemon.adaptivePoll', detail: BOTH_POLLS });
    merged[loser] = DEFAULTS[loser];
    sources[loser] = 'default';
  }
  const paths = instancePaths(flags.instance);
  merged.controlSocket ??= paths.controlSocket;
  merged.stateFile ??= paths.stateFile;
  return {
    ...(merged as Omit<Settings, 'sources' | 'mcrStats' | 'config' | 'instance'>),
    mcrStats: flags.mcrStats ?? false,
    ...(flags.config !== undefined ? { config: flags.config } : {}),
    ...(flags.instance !== undefined ? { instance: flags.instance } : {}),
    sources,
  };
}
