/**
 * Engine: the typed facade over the native packet engine (native/engine). See types.ts for the contract.
 *
 *   const engine = new Engine({ backend: 'mmsg' });
 *   engine.setRules([{ id: 'cam1', slot: 0, input: { interface: 'eth0', group: '239.1.1.1', port: 5000 },
 *                      outputs: [{ slot: 0, interface: 'eth1', group: '239.2.2.2', port: 5000, ttl: 64 }] }]);
 *   engine.start();
 *   engine.counters().rules.get(0)?.packets;
 *   engine.stop();
 *
 * Validation here is about types and ranges (what the native side cannot represent); relay/model has
 * already checked meaning (interfaces, self-loops). Tests: engine.test.ts, engine.e2e.test.ts.
 */
import { loadNative, type NativeEngineHandle, type NativeLayout, type NativeParsedFrame } from './native.js';
import { engineOptionsSchema } from './options.js';
import {
  type Capture,
  type EngineCounters,
  type EngineOptions,
  type EngineRule,
  type GlobalCounters,
  type MalformedReason,
  NO_CAPTURE,
  type OutputCounters,
  type RuleCounters,
  type SourceReport,
  type SourceWatchEvent,
} from './types.js';

/** A setup failure of the engine (a syscall failed), e.g. `bind(AF_PACKET, eth9): ENODEV — interface does not exist`. */
export class EngineError extends Error {
  /** errno name, e.g. ENODEV; EINVAL for inconsistent rules (slots reused, duplicate inputs). */
  readonly code: string;
  readonly syscall?: string;
  readonly iface?: string;
  readonly hint?: string;
  readonly errno?: number;

  constructor(message: string, fields: { code: string; syscall?: string; iface?: string; hint?: string; errno?: number }) {
    super(message);
    this.name = 'EngineError';
    this.code = fields.code;
    if (fields.syscall !== undefined) this.syscall = fields.syscall;
    if (fields.iface !== undefined) this.iface = fields.iface;
    if (fields.hint !== undefined) this.hint = fields.hint;
    if (fields.errno !== undefined) this.errno = fields.errno;
  }
}

/** What the native parser found in a frame (parseFrame). */
export type ParsedFrame = NativeParsedFrame;

/**
 * Parse one Ethernet frame with the engine's own parser.
 * @param frame bytes from the destination MAC on
 * @param opts.vlanTci an out-of-band VLAN tag (as TPACKET_V3 reports a stripped one)
 * @returns the parsed headers, or `{ error }` naming why the engine would drop the frame
 */
export function parseFrame(frame: Uint8Array, opts: { vlanTci?: number } = {}): ParsedFrame | { error: MalformedReason } {
  if (!(frame instanceof Uint8Array)) throw new TypeError(`parseFrame: frame must be a Uint8Array, got ${describe(frame)}`);
  return loadNative().parseFrame(frame, opts.vlanTci) as ParsedFrame | { error: MalformedReason };
}

/**
 * Time the engine's rule index in C++ (for bench/): `rules` any-source rules (plus as many
 * source-specific ones with `sourceRules`), `lookups` finds. A JS call per lookup would time N-API.
 * @returns mean ns per lookup, and how many lookups hit (= lookups when the index works)
 */
/** Whether `gso: true` can work here: this kernel segments UDP GSO frames sent on packet sockets (Linux 6.2+). */
export function gsoSupported(): boolean {
  return loadNative().gsoSupported();
}

export function benchRuleLookup(rules: number, lookups: number, sourceRules = false): { nsPerLookup: number; hits: number } {
  checkInt('benchRuleLookup rules', rules, 1, 1_000_000);
  checkInt('benchRuleLookup lookups', lookups, 1, Number.MAX_SAFE_INTEGER);
  return loadNative().benchRuleLookup(rules, lookups, sourceRules);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `${JSON.stringify(v)} (string)` : `${String(v)} (${typeof v})`;
}

function checkInt(path: string, v: unknown, lo: number, hi: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new TypeError(`${path}: expected an integer ${lo}-${hi}, got ${describe(v)}`);
}

function checkString(path: string, v: unknown): void {
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`${path}: expected a non-empty string, got ${describe(v)}`);
}

function checkCapture(call: string, capture: Capture): void {
  for (const key of ['watch', 'hold'] as const) {
    const names: unknown = capture?.[key];
    if (!Array.isArray(names)) throw new TypeError(`${call} capture.${key}: expected an array of interface names, got ${describe(names)}`);
    names.forEach((n, i) => checkString(`${call} capture.${key}[${i}]`, n));
  }
}

/** The options against the one engine schema (options.ts); a TypeError names the first bad field. */
function validateOptions(opts: unknown): asserts opts is EngineOptions {
  const r = engineOptionsSchema.safeParse(opts);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  const got = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown>)[k], opts);
  throw new TypeError(`${['Engine options', ...issue.path].join('.')}: ${issue.message}, got ${describe(got)}`);
}

function validateRules(rules: unknown, layout: NativeLayout): asserts rules is EngineRule[] {
  if (!Array.isArray(rules)) throw new TypeError(`setRules: expected an array of rules, got ${describe(rules)}`);
  rules.forEach((r: unknown, i) => {
    const p = `rules[${i}]`;
    if (typeof r !== 'object' || r === null) throw new TypeError(`${p}: expected an object, got ${describe(r)}`);
    const rule = r as Record<string, unknown>;
    checkString(`${p}.id`, rule['id']);
    checkInt(`${p}.slot`, rule['slot'], 0, layout.maxRuleSlots - 1);
    const input = rule['input'] as Record<string, unknown> | undefined;
    if (typeof input !== 'object' || input === null) throw new TypeError(`${p}.input: expected an object, got ${describe(input)}`);
    checkString(`${p}.input.interface`, input['interface']);
    checkString(`${p}.input.group`, input['group']);
    checkInt(`${p}.input.port`, input['port'], 0, 65535); // 0: any port (types.ts)
    if (input['source'] !== undefined) checkString(`${p}.input.source`, input['source']);
    if (!Array.isArray(rule['outputs'])) throw new TypeError(`${p}.outputs: expected an array, got ${describe(rule['outputs'])}`);
    (rule['outputs'] as unknown[]).forEach((o: unknown, j) => {
      const op = `${p}.outputs[${j}]`;
      if (typeof o !== 'object' || o === null) throw new TypeError(`${op}: expected an object, got ${describe(o)}`);
      const out = o as Record<string, unknown>;
      checkInt(`${op}.slot`, out['slot'], 0, layout.maxOutputSlots - 1);
      checkString(`${op}.interface`, out['interface']);
      checkString(`${op}.group`, out['group']);
      checkInt(`${op}.port`, out['port'], 0, 65535); // 0: the input datagram's port
      checkInt(`${op}.ttl`, out['ttl'], 1, 255);
      if (out['tos'] !== undefined) checkInt(`${op}.tos`, out['tos'], 0, 255);
      if (out['source'] !== undefined) checkString(`${op}.source`, out['source']);
      for (const k of ['keepSource', 'reportLocal'] as const) {
        if (out[k] !== undefined && typeof out[k] !== 'boolean') throw new TypeError(`${op}.${k}: expected a boolean, got ${describe(out[k])}`);
      }
      if (out['register'] !== undefined) validateRegister(`${op}.register`, out['register']);
    });
  });
}

function validateRegister(path: string, v: unknown): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${path}: expected an object, got ${describe(v)}`);
  const r = v as Record<string, unknown>;
  if (r['source'] === undefined) return;
  checkString(`${path}.source`, r['source']);
  checkString(`${path}.group`, r['group']);
  checkInt(`${path}.port`, r['port'], 0, 65535);
  checkInt(`${path}.ttl`, r['ttl'], 1, 255);
  if (r['tos'] !== undefined) checkInt(`${path}.tos`, r['tos'], 0, 255);
}

function slotsOf(r: EngineRule): { rule: number; outputs: number[] } {
  return { rule: r.slot, outputs: r.outputs.map((o) => o.slot) };
}

/** Native errors carry code/syscall/iface/hint; anything else (TypeError, RangeError) passes through. */
function rethrow(err: unknown): never {
  const e = err as Error & { code?: unknown; syscall?: string; iface?: string; hint?: string; errno?: number };
  if (e instanceof Error && typeof e.code === 'string' && !(e instanceof TypeError) && !(e instanceof RangeError)) {
    const fields: { code: string; syscall?: string; iface?: string; hint?: string; errno?: number } = { code: e.code };
    if (e.syscall !== undefined) fields.syscall = e.syscall;
    if (e.iface !== undefined) fields.iface = e.iface;
    if (e.hint !== undefined) fields.hint = e.hint;
    if (e.errno !== undefined) fields.errno = e.errno;
    throw new EngineError(e.message, fields);
  }
  throw err;
}

export class Engine {
  /** Rule slots are 0..MAX_RULE_SLOTS-1 (read from the addon on first use, so importing never loads it). */
  static get MAX_RULE_SLOTS(): number {
    return loadNative().layout.maxRuleSlots;
  }
  /** Output slots are 0..MAX_OUTPUT_SLOTS-1. */
  static get MAX_OUTPUT_SLOTS(): number {
    return loadNative().layout.maxOutputSlots;
  }

  readonly #native: NativeEngineHandle;
  readonly #layout: NativeLayout;
  readonly #words: BigUint64Array;
  /** Rule id → its counter slots, for the table the engine runs (counters() reads these). */
  #slots = new Map<string, { rule: number; outputs: number[] }>();

  /** Validates the options and creates the native engine (and, for `uring`, its ring); no thread yet. */
  constructor(opts: EngineOptions) {
    validateOptions(opts);
    const native = loadNative();
    this.#layout = native.layout;
    try {
      this.#native = new native.NativeEngine(opts);
    } catch (err) {
      rethrow(err);
    }
    this.#words = new BigUint64Array(this.#native.counterBuffer());
  }

  /**
   * Replace the whole rule table, all or nothing. Sockets and joins are set up before the atomic swap;
   * on failure an EngineError is thrown and the running table keeps forwarding untouched. `capture`:
   * the interfaces captured on besides the rules' inputs (Capture).
   */
  setRules(rules: EngineRule[], capture: Capture = NO_CAPTURE): void {
    validateRules(rules, this.#layout);
    checkCapture('setRules', capture);
    try {
      this.#native.setRules(rules, capture);
    } catch (err) {
      rethrow(err);
    }
    this.#slots = new Map(rules.map((r) => [r.id, slotsOf(r)]));
  }

  /**
   * Change the running table by rule id: take out `remove`, put in `add` (an id already there is
   * replaced). All or nothing, like setRules, but only the change crosses into the addon, so a change
   * to a table of thousands of rules costs the native rebuild, not a copy of every rule. An id in
   * `remove` the engine does not run is EngineError EINVAL. `capture` as for setRules (whole lists).
   */
  updateRules(remove: string[], add: EngineRule[], capture: Capture = NO_CAPTURE): void {
    if (!Array.isArray(remove) || !remove.every((id) => typeof id === 'string'))
      throw new TypeError(`updateRules: expected an array of rule ids, got ${describe(remove)}`);
    validateRules(add, this.#layout);
    checkCapture('updateRules', capture);
    try {
      this.#native.updateRules(remove, add, capture);
    } catch (err) {
      rethrow(err);
    }
    for (const id of remove) this.#slots.delete(id);
    for (const r of add) this.#slots.set(r.id, slotsOf(r));
  }

  /**
   * Receive PIM source reports (SourceReport) in batches on this thread; call once, before start().
   * `capture.watch` interfaces of setRules and `reportLocal` outputs produce them.
   */
  onSources(cb: (reports: SourceReport[]) => void): void {
    if (typeof cb !== 'function') throw new TypeError(`onSources: expected a function, got ${describe(cb)}`);
    this.#native.onSources(cb);
  }

  /** Spawn the engine thread (no-op if running). */
  start(): void {
    try {
      this.#native.start();
    } catch (err) {
      rethrow(err);
    }
  }

  /** Signal the engine thread and join it; idempotent. The native finalizer does the same on GC. */
  stop(): void {
    this.#native.stop();
  }

  /** A snapshot of the counters, read from shared memory (no syscall); rules/outputs of the current table. */
  counters(): EngineCounters {
    const w = this.#words;
    const l = this.#layout;
    const at = (i: number): bigint => w[i] ?? 0n;
    const malformed = {} as Record<MalformedReason, bigint>;
    l.malformedNames.forEach((name, i) => {
      malformed[name as MalformedReason] = at(l.malformedBase + i);
    });
    const global: GlobalCounters = {
      rxFrames: at(l.rxFrames),
      rxBytes: at(l.rxBytes),
      ringDrops: at(l.ringDrops),
      ringFreezes: at(l.ringFreezes),
      unmatched: at(l.unmatched),
      malformed,
      sources: Object.fromEntries(l.sourceWatchNames.map((name, i) => [name, at(l.sourceWatchBase + i)])) as Record<SourceWatchEvent, bigint>,
    };
    const rules = new Map<number, RuleCounters>();
    for (const { rule: slot } of this.#slots.values()) {
      const base = l.ruleBase + slot * l.ruleWords;
      rules.set(slot, { packets: at(base + l.rulePackets), bytes: at(base + l.ruleBytes), lastPacketNs: at(base + l.ruleLastNs) });
    }
    const outputs = new Map<number, OutputCounters>();
    for (const slot of [...this.#slots.values()].flatMap((s) => s.outputs)) {
      const base = l.outputBase + slot * l.outputWords;
      const errorsByErrno: Record<string, bigint> = {};
      l.errnoNames.forEach((name, i) => {
        const v = at(base + l.outErrnoBase + i);
        if (v !== 0n) errorsByErrno[name] = v;
      });
      outputs.set(slot, {
        packets: at(base + l.outPackets),
        bytes: at(base + l.outBytes),
        sendErrors: at(base + l.outSendErrors),
        errorsByErrno,
      });
    }
    return { global, rules, outputs };
  }
}
