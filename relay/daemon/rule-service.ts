/**
 * The rule table: validates changes against the table (duplicates, interfaces), assigns counter
 * slots, pushes the table to the data plane, and only when every worker accepted it persists it to
 * the state file and answers ok; a failed save puts the previous table back and answers the error.
 * Changes are serialized: one at a time, in arrival order.
 *
 * Interfaces come and go. A configured rule whose interface is missing is kept (and persisted) but
 * *waiting*: it is left out of the engine table, so it blocks no other change. refresh(), run by the
 * daemon whenever netlink reports a link or address change (link-watch.ts), compares the interfaces
 * with what the previous refresh saw (not with what the last rule change read: that one already pushed
 * any new address to the engine, but the change still has to be logged and, for a new ifindex or input
 * MTU, re-installed) and:
 *   - installs waiting rules whose interfaces appeared, withdraws rules whose interface vanished;
 *   - re-installs rules whose interface was deleted and re-created (new ifindex), or whose input
 *     interface changed MTU (ring slots are sized from it), so the engine opens fresh sockets;
 *   - re-applies the table when an output interface changed address, MTU or MAC: the engine keeps
 *     every socket (nothing else is disturbed) but rebuilds the AF_PACKET header templates, which
 *     carry the source address, MAC and MTU read at setup;
 *   - marks rules on a down interface (admin down or no carrier) `interface-down` in list(). They stay
 *     installed: their sockets survive down/up, so forwarding resumes by itself when the link returns.
 * Tested in rule-service.test.ts and relay/e2e/interfaces.e2e.test.ts.
 */
import type { AddOutcome, RuleView } from '../control/api.js';
import type { RuleOrigin, StateChange, StateFile, StoredRule } from '../config/state.js';
import { type Capture, type EngineRule, NO_CAPTURE } from '../engine/types.js';
import { McrError } from '../errors.js';
import { type Rule, inputKey, outputKey } from '../model/rule.js';
import { findDuplicate } from '../model/validate.js';
import type { DataPlane } from './data-plane.js';
import { type InterfaceState, type InterfaceTable, checkInterfaces, readInterfaces } from './interfaces.js';
import type { Logger } from './log.js';
import { SlotMap } from './slots.js';
import type { PlannedRule } from '../protocols/mrib/compile.js';

export interface RuleServiceOptions {
  dataPlane: DataPlane;
  /** Where to persist; undefined = no persistence (tests). */
  state?: StateFile;
  log: Logger;
  /** The interfaces of mcrd's namespace, read afresh on each call (default: an rtnetlink dump). */
  interfaces?: () => InterfaceTable;
  /** Stand-in for `interfaces` (tests): ifindex only, every interface up. */
  interfaceIndex?: (name: string) => number | undefined;
  /** Simpler stand-in for interfaceIndex (tests): existence only, so re-creation is not seen. */
  interfaceExists?: (name: string) => boolean;
  maxRuleSlots?: number;
  maxOutputSlots?: number;
  /**
   * Turns the installable static rules into the full engine table (the MRIB: learned routes merged in,
   * members-only outputs filtered; relay/protocols/mrib). Default: the static rules as they are.
   */
  compose?: (usable: Rule[], exists: (ifname: string) => boolean) => PlannedRule[];
  /** What the engines capture on besides the rules' inputs (PIM's and IGMP's interfaces); missing ones are left out. */
  capture?: () => Capture;
}

export class RuleService {
  private rules: StoredRule[] = [];
  /** this.rules by id and by input key: a change looks up its rule without a pass over the table. */
  private byId = new Map<string, StoredRule>();
  private byInput = new Map<string, StoredRule>();
  /** Rule id → the missing interface it waits for. */
  private waiting = new Map<string, string>();
  /**
   * Each interface the installed table uses, as the last refresh() saw it: what the next one compares
   * with. Other table changes (rule adds, removes, reloads) only add interfaces new to it. They also
   * push the interfaces' current addresses to the engine, but a change they happened to push first
   * must still be followed up — logged, and re-installed where the engine needs fresh sockets (new
   * ifindex, input MTU) — so they must not move this baseline (the soak's missed readdress).
   */
  private reconciled = new Map<string, InterfaceState>();
  /**
   * The interfaces the engine's table was built on, as read then (the last full plan's, plus those of
   * rules added since; removals leave theirs): a refused change re-plans if one of them changed.
   */
  private installedIfs = new Map<string, InterfaceState>();
  /** Interfaces as last read (list() shows down ones from it). */
  private seen: Lookup = () => undefined;
  /** Interfaces as the last refresh() saw them: link down/up is logged against this. */
  private seenByRefresh: Lookup | undefined;
  private readonly ruleSlots: SlotMap;
  private readonly outputSlots: SlotMap;
  private readonly read: () => Lookup;
  private queue: Promise<unknown> = Promise.resolve();
  /** The table the data plane runs (what a failed save rolls back to). */
  private applied: EngineRule[] = [];
  private appliedCapture: Capture = NO_CAPTURE;

  constructor(private readonly o: RuleServiceOptions) {
    this.ruleSlots = new SlotMap(o.maxRuleSlots ?? 4096, 'rule');
    this.outputSlots = new SlotMap(o.maxOutputSlots ?? 65536, 'output');
    this.read = lookupSource(o);
  }

  /**
   * Configured rules with their state: active; waiting for a missing interface; or interface-down
   * (installed, but an interface it uses is down or has no carrier). waitingFor names the interface.
   */
  list(): RuleView[] {
    return this.rules.map((r) => this.view(r));
  }

  private view(r: StoredRule): RuleView {
    const w = this.waiting.get(r.id);
    const down = w ? undefined : interfacesOf(r).find((n) => this.seen(n)?.up === false);
    const state = w ? 'waiting' : down ? 'interface-down' : 'active';
    return { ...structuredClone(r), state, ...(w ?? down ? { waitingFor: w ?? down } : {}) };
  }

  /** The configured rules as stored (no state fields). */
  configured(): StoredRule[] {
    return structuredClone(this.rules);
  }

  ruleSlot(id: string): number | undefined { return this.ruleSlots.get(id); }
  outputSlot(id: string, o: Rule['outputs'][number]): number | undefined { return this.outputSlots.get(outputKey(id, o)); }

  /**
   * Add one rule. A rule equal to the one already there (same id, name, input and outputs) is a
   * no-op ("unchanged"), so a script re-run after a restart succeeds. One that takes another's id or
   * input is EEXIST unless `replace`, which swaps it in ("replaced"). ENODEV for a missing interface.
   */
  add(rule: Rule, origin: RuleOrigin = 'runtime', replace = false): Promise<{ rule: RuleView; outcome: AddOutcome }> {
    return this.serialize(async () => {
      const byId = this.byId.get(rule.id);
      const byInput = this.byInput.get(inputKey(rule.input));
      if (byId && byId === byInput && sameRule(byId, rule)) {
        return { rule: this.view(byId), outcome: 'unchanged' as const };
      }
      if (!replace && byId) throw new McrError({ code: 'EEXIST', path: 'id', detail: `a rule with id "${rule.id}" exists with other settings; remove it first, pick another --rule-id, or pass --replace` });
      if (!replace && byInput) {
        throw new McrError({
          code: 'EEXIST', path: 'input',
          detail: `rule "${byInput.id}" already relays ${rule.input.group}:${rule.input.port} from ${rule.input.interface}; remove it first, add outputs to it, or pass --replace`,
        });
      }
      const look = this.read();
      checkInterfaces(rule, (n) => look(n) !== undefined);
      const stored: StoredRule = { ...rule, origin };
      await this.change([...new Set([byId, byInput])].filter((r) => r !== undefined), stored, look);
      const outcome = byId || byInput ? 'replaced' as const : 'added' as const;
      this.o.log.info(`rule ${outcome}`, { id: rule.id, input: `${rule.input.group}:${rule.input.port}:${rule.input.interface}`, outputs: rule.outputs.length });
      return { rule: this.view(stored), outcome };
    });
  }

  /** Remove a rule by id; ENOENT if there is none. */
  remove(id: string): Promise<RuleView> {
    return this.serialize(async () => {
      const rule = this.byId.get(id);
      if (!rule) {
        const known = this.rules.map((r) => r.id).slice(0, 10).join(', ');
        throw new McrError({ code: 'ENOENT', path: 'ruleId', detail: `no rule "${id}"${known ? ` (rules: ${known})` : ' (no rules)'}` });
      }
      const view = this.view(rule);
      await this.change([rule], undefined, this.read());
      this.o.log.info('rule removed', { id });
      return view;
    });
  }

  /**
   * Replace the whole table (start-up, reload). Rules equal to running ones keep their slots, so
   * their counters continue and the engine sees no change for them. Rules whose interfaces are
   * missing are accepted as waiting (logged), not refused: a config must not fail on a late NIC.
   */
  replaceAll(next: StoredRule[]): Promise<void> {
    return this.replaceWith(() => ({ next, result: undefined }));
  }

  /**
   * Replace the whole table with one computed from the current rules (reload, config load), as
   * replaceAll does. `plan` runs in the change queue, so it sees every change acknowledged before it
   * and none is lost: a table computed outside the queue would drop an add in flight (or bring back a
   * removed rule) when it is applied after it. Resolves with `plan`'s result once the table is in.
   */
  replaceWith<T>(plan: (current: StoredRule[]) => { next: StoredRule[]; result: T }): Promise<T> {
    return this.serialize(async () => {
      const { next, result } = plan(structuredClone(this.rules));
      const dup = findDuplicate(next);
      if (dup) throw new McrError({ code: 'EEXIST', path: `rules[${dup.index}].${dup.field}`, detail: dup.detail });
      await this.commit(next, 'snapshot');
      return result;
    });
  }

  /** Rebuild the engine table from the same rules (learned routes changed); never touches the state file. */
  recompose(): Promise<void> {
    return this.serialize(() => this.install(this.rules));
  }

  /** Follow interface changes (see the file header); never touches the state file. */
  refresh(): Promise<void> {
    return this.serialize(async () => {
      const look = this.read();
      this.logLinkChanges(this.seenByRefresh ?? this.seen, look);
      this.seenByRefresh = look;
      this.seen = look;
      const installed = this.rules.filter((r) => !this.waiting.has(r.id));
      const changed = (n: string, what: (was: InterfaceState, now: InterfaceState) => boolean) => {
        const was = this.reconciled.get(n);
        const now = look(n);
        return was !== undefined && now !== undefined && what(was, now);
      };
      const moved = installed.filter((r) => interfacesOf(r).some((n) => changed(n, (was, now) => was.ifindex !== now.ifindex)) ||
        changed(r.input.interface, (was, now) => was.mtu !== now.mtu));
      const outputs = new Set(installed.flatMap((r) => r.outputs.map((o) => o.interface)));
      const readdressed = [...outputs].filter((n) => changed(n, (was, now) => was.ifindex === now.ifindex && egressKey(was) !== egressKey(now)));
      const becameReady = this.rules.some((r) => this.waiting.has(r.id) && missingInterface(r, look) === undefined);
      const vanished = installed.some((r) => missingInterface(r, look) !== undefined);
      // A captured interface that appeared, vanished or was re-created (the engine holds it by index).
      const capture = this.captureFor(look);
      const recaptured = JSON.stringify(capture) !== JSON.stringify(this.appliedCapture) ||
        [...capture.watch, ...capture.hold].some((n) => changed(n, (was, now) => was.ifindex !== now.ifindex));
      if (!moved.length && !readdressed.length && !becameReady && !vanished && !recaptured) {
        this.reconciled = usedInterfaces(installed, look, capture);
        return;
      }
      for (const n of readdressed) {
        this.o.log.info('output interface changed address, MTU or MAC; rebuilding its outputs', { interface: n, addresses: look(n)?.addresses?.join(' ') ?? '', mtu: look(n)?.mtu });
      }
      if (moved.length) {
        // Withdraw, then re-install: the engine drops its sockets on the old interface and opens new ones.
        for (const r of moved) this.o.log.info('interface re-created or input MTU changed; re-installing rule', { id: r.id });
        const gone = new Set(moved.map((r) => r.id));
        await this.install(this.rules.filter((r) => !gone.has(r.id)), look);
      }
      await this.commit(this.rules, false, look, true);
    });
  }

  /** Log interfaces of the rules going down or coming back (the rules stay installed). */
  private logLinkChanges(before: Lookup, look: Lookup): void {
    const names = new Set(this.rules.flatMap(interfacesOf));
    for (const n of names) {
      const was = before(n)?.up;
      const now = look(n)?.up;
      if (was === true && now === false) this.o.log.warn('interface down; its rules stay installed and resume when it is back', { interface: n });
      if (was === false && now === true) this.o.log.info('interface up again', { interface: n });
    }
  }

  /**
   * One rule's change (add, replace or remove), at the cost of that rule whatever the table's size
   * (issue 13: one add to 10,000 rules within 10 ms): its interfaces, its slots, its engine rule, a
   * delta to the data plane and a journal line. The whole table is planned again only where the
   * table is more than its static rules: with an MRIB (compose), which merges learned routes into
   * them, or when the change alone was refused (an interface the engine could not find changed
   * meanwhile: the full plan looks at every interface again).
   */
  private async change(remove: StoredRule[], add: StoredRule | undefined, look: Lookup): Promise<void> {
    const gone = new Set(remove);
    const next = this.rules.filter((r) => !gone.has(r));
    if (add) next.push(add);
    const record: StateChange = { remove: remove.map((r) => r.id), add: add ? [add] : [] };
    if (this.o.compose) return this.commit(next, record, look);

    const ruleKeys = add ? [add.id] : [];
    const outKeys = add ? add.outputs.map((o) => outputKey(add.id, o)) : [];
    const rulePlan = this.ruleSlots.planAdd(ruleKeys);
    const outPlan = this.outputSlots.planAdd(outKeys);
    const miss = add && missingInterface(add, look);
    const engineAdd = add && miss === undefined ? withSlots(asPlanned([add]), rulePlan, outPlan) : [];
    // An id both removed and added is a replacement: the engine takes it as an add (tableDelta's form).
    const dropped = new Set(remove.filter((r) => !this.waiting.has(r.id) && !engineAdd.some((e) => e.id === r.id)).map((r) => r.id));
    const previous = { applied: this.applied, capture: this.appliedCapture };
    const out = new Set(remove.map((r) => r.id));
    const applied = this.applied.filter((r) => !out.has(r.id)).concat(engineAdd);
    if (dropped.size || engineAdd.length) {
      try {
        await this.o.dataPlane.apply(applied, this.appliedCapture, { remove: [...dropped], add: engineAdd });
      } catch (err) {
        // As applyPlan: an interface that changed meanwhile must not refuse this change; the full plan
        // makes the rules on it wait. A refusal with the interfaces unchanged is the answer.
        const now = this.read();
        const moved = [...this.installedIfs].some(([n, was]) => now(n)?.ifindex !== was.ifindex) || (add !== undefined && missingInterface(add, now) !== undefined);
        if (!moved) throw err;
        return this.commit(next, record, now);
      }
    }
    await this.persist(record, next, previous);
    this.ruleSlots.commitChange(rulePlan, remove.map((r) => r.id));
    this.outputSlots.commitChange(outPlan, remove.flatMap((r) => r.outputs.map((o) => outputKey(r.id, o))));
    this.applied = applied;
    for (const r of remove) this.waiting.delete(r.id);
    if (add && miss !== undefined) {
      this.waiting.set(add.id, miss);
      this.o.log.warn('rule waiting for its interface', { id: add.id, interface: miss });
    }
    if (add && miss === undefined) {
      for (const n of interfacesOf(add)) {
        const i = look(n);
        if (!i) continue;
        if (!this.reconciled.has(n)) this.reconciled.set(n, i);
        if (!this.installedIfs.has(n)) this.installedIfs.set(n, i);
      }
    }
    this.seen = look;
    this.rules = next;
    for (const r of remove) {
      this.byId.delete(r.id);
      this.byInput.delete(inputKey(r.input));
    }
    if (add) {
      this.byId.set(add.id, add);
      this.byInput.set(inputKey(add.input), add);
    }
  }

  /**
   * Make `next` the table: engine first (a refused table changes nothing), then the state file (the
   * change as a journal line, or with no change given, a snapshot). If the save fails (ENOSPC,
   * EROFS, ...) the engine gets the previous table back and the change is refused, so what runs,
   * what is saved and what the client was told always agree.
   */
  private async commit(next: StoredRule[], persist: StateChange | 'snapshot' | false, look?: Lookup, reconcile = false): Promise<void> {
    const previous = { applied: this.applied, capture: this.appliedCapture };
    // refresh()'s own commit follows interface changes: every rule is built again against them.
    const plan = await this.applyPlan(next, look, reconcile);
    if (persist) await this.persist(persist, next, previous);
    const waitingBefore = this.waiting;
    this.adopt(plan, reconcile);
    this.setRules(next);
    for (const [id, iface] of this.waiting) {
      if (!waitingBefore.has(id)) this.o.log.warn('rule waiting for its interface', { id, interface: iface });
    }
    for (const id of waitingBefore.keys()) {
      if (!this.waiting.has(id) && this.byId.has(id)) this.o.log.info('interface present; rule installed', { id });
    }
  }

  /** Save `next` (a journal line for `change`, or a snapshot); on failure put `previous` back in the engine and throw. */
  private async persist(change: StateChange | 'snapshot', next: StoredRule[], previous: { applied: EngineRule[]; capture: Capture }): Promise<void> {
    const state = this.o.state;
    if (!state) return;
    try {
      if (change === 'snapshot') await state.save(next);
      else await state.record(change, () => next);
    } catch (err) {
      await this.o.dataPlane.apply(previous.applied, previous.capture).catch((back: Error) => {
        this.o.log.error('previous rule table not restored after a failed save', { error: back.message });
      });
      this.o.log.error('state file not written; change refused, running rules unchanged', { error: (err as Error).message });
      throw err;
    }
    if (change !== 'snapshot' && state.wantsCompaction(next.length)) {
      // After this change is answered, before the next one: amortized O(1) per change.
      void this.serialize(() => state.save(this.rules)).catch((err: Error) => {
        this.o.log.warn('state journal not compacted; it keeps every change and grows until the next save', { error: err.message });
      });
    }
  }

  private setRules(next: StoredRule[]): void {
    this.rules = next;
    this.byId = new Map(next.map((r) => [r.id, r]));
    this.byInput = new Map(next.map((r) => [inputKey(r.input), r]));
  }

  /** Push the usable part of `rules` to the data plane and make it current. */
  private async install(rules: StoredRule[], look?: Lookup): Promise<void> {
    this.adopt(await this.applyPlan(rules, look), false);
  }

  /**
   * Plan `rules` and push the table to the data plane. An interface the table uses can vanish (or be
   * re-created) between reading the interfaces and the engine opening its sockets; the engine then
   * refuses the whole table (ENODEV), which must not refuse a change to some other rule: when the
   * interfaces did change, plan once more on what is there now (that interface's rules wait).
   */
  private async applyPlan(rules: StoredRule[], look?: Lookup, rebuild = false): Promise<Plan> {
    const plan = this.plan(rules, look);
    const how = rebuild ? 'rebuild' as const : undefined;
    try {
      await this.o.dataPlane.apply(plan.engine, plan.capture, how);
      return plan;
    } catch (err) {
      const now = this.read();
      if (![...plan.used].some(([n, was]) => now(n)?.ifindex !== was.ifindex)) throw err;
      this.o.log.info('interfaces changed while the rule table was applied; applying it again', { error: (err as Error).message });
      const again = this.plan(rules, now);
      await this.o.dataPlane.apply(again.engine, again.capture, how);
      return again;
    }
  }

  /**
   * The engine table for `rules` (learned routes merged in by `compose`), nothing changed yet. Slots
   * cover all of `rules`: waiting ones are left out of the table but keep theirs.
   */
  private plan(rules: StoredRule[], look: Lookup = this.read()): Plan {
    const waiting = new Map<string, string>();
    const usable = rules.filter((r) => {
      const miss = missingInterface(r, look);
      if (miss !== undefined) waiting.set(r.id, miss);
      return miss === undefined;
    });
    const capture = this.captureFor(look);
    const used = usedInterfaces(usable, look, capture);
    const table = (this.o.compose ?? asPlanned)(usable, (n) => look(n) !== undefined);
    const staticIds = new Set(rules.map((r) => r.id));
    const rulePlan = this.ruleSlots.plan([...staticIds, ...table.map((r) => r.id).filter((id) => !staticIds.has(id))]);
    const outPlan = this.outputSlots.plan(new Set([...rules.flatMap((r) => r.outputs.map((o) => outputKey(r.id, o))), ...table.flatMap((r) => r.outputs.map((o) => o.key))]));
    const engine = withSlots(table, rulePlan, outPlan);
    return { engine, capture, rulePlan, outPlan, waiting, used, look };
  }

  /** What the engines should capture on besides the rules' inputs: the interfaces of it that exist. */
  private captureFor(look: Lookup): Capture {
    const wanted = this.o.capture?.() ?? NO_CAPTURE;
    const present = (names: string[]) => names.filter((n) => look(n) !== undefined);
    return { watch: present(wanted.watch), hold: present(wanted.hold) };
  }

  /**
   * The data plane runs `plan.engine`: make its slots current, and its interfaces — as the new
   * baseline of refresh() when `reconcile` (refresh's own commit), else only those new to it.
   */
  private adopt(plan: Plan, reconcile: boolean): void {
    this.ruleSlots.commit(plan.rulePlan);
    this.outputSlots.commit(plan.outPlan);
    this.applied = plan.engine;
    this.appliedCapture = plan.capture;
    this.waiting = plan.waiting;
    this.installedIfs = new Map(plan.used);
    if (reconcile) this.reconciled = plan.used;
    else for (const [n, i] of plan.used) if (!this.reconciled.has(n)) this.reconciled.set(n, i);
    this.seen = plan.look;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

export function sameRule(a: Rule, b: Rule): boolean {
  const key = (r: Rule) => JSON.stringify([r.id, r.name ?? null, r.input, r.outputs]);
  return key(a) === key(b);
}

/** Planned rules as the engine takes them: with the counter slots planned for them. */
function withSlots(table: PlannedRule[], rulePlan: Map<string, number>, outPlan: Map<string, number>): EngineRule[] {
  return table.map((r) => ({
    id: r.id,
    slot: rulePlan.get(r.id)!,
    input: r.input,
    outputs: r.outputs.map(({ key, ...o }) => ({ ...o, slot: outPlan.get(key)! })),
  }));
}

/** The engine table of static rules alone (no MRIB). */
function asPlanned(rules: Rule[]): PlannedRule[] {
  return rules.map((r) => ({
    id: r.id,
    input: { ...r.input },
    outputs: r.outputs.map(({ when: _w, ...o }) => ({ ...o, key: outputKey(r.id, o) })),
  }));
}

function interfacesOf(r: Rule): string[] {
  return [r.input.interface, ...r.outputs.map((o) => o.interface)];
}

/** The interfaces `rules` use that exist, as `look` has them. */
/** The interfaces `rules` and `capture` use, as `look` sees them. */
function usedInterfaces(rules: Rule[], look: Lookup, capture: Capture): Map<string, InterfaceState> {
  const used = new Map<string, InterfaceState>();
  for (const n of [...rules.flatMap(interfacesOf), ...capture.watch, ...capture.hold]) {
    const i = look(n);
    if (i) used.set(n, i);
  }
  return used;
}

function missingInterface(r: Rule, look: Lookup): string | undefined {
  return interfacesOf(r).find((n) => look(n) === undefined);
}

/** What the engine's AF_PACKET header template of an output on this interface is built from. */
function egressKey(i: InterfaceState): string {
  return `${i.addresses?.[0] ?? ''}|${i.mtu ?? ''}|${i.mac ?? ''}`;
}

type Lookup = (name: string) => InterfaceState | undefined;

interface Plan {
  engine: EngineRule[];
  capture: Capture;
  rulePlan: Map<string, number>;
  outPlan: Map<string, number>;
  waiting: Map<string, string>;
  used: Map<string, InterfaceState>;
  look: Lookup;
}

/** How the service reads interfaces: a table per call (netlink by default), or the tests' stand-ins. */
function lookupSource(o: RuleServiceOptions): () => Lookup {
  const { interfaces, interfaceIndex, interfaceExists: exists } = o;
  const byIndex = interfaceIndex ?? (exists ? (n: string) => (exists(n) ? 1 : undefined) : undefined);
  if (byIndex && !interfaces) {
    return () => (n) => {
      const ifindex = byIndex(n);
      return ifindex === undefined ? undefined : { ifindex, up: true };
    };
  }
  const read = interfaces ?? readInterfaces;
  return () => {
    const table = read();
    return (n) => table.get(n);
  };
}
