/**
 * The rule table: validates changes against the table (duplicates, interfaces), assigns counter
 * slots, pushes the table to the data plane, and only when every worker accepted it persists it to
 * the state file and answers ok. Changes are serialized: one at a time, in arrival order.
 *
 * Interfaces come and go. A configured rule whose interface is missing is kept (and persisted) but
 * *waiting*: it is left out of the engine table, so it blocks no other change. refresh(), run every
 * second by the daemon, installs waiting rules when their interfaces appear, withdraws rules whose
 * interface vanished, and re-installs rules whose interface was deleted and re-created (new ifindex)
 * so the engine opens fresh sockets on it. Tested in rule-service.test.ts and relay/e2e/interfaces.
 */
import type { RuleView } from '../control/api.js';
import { type RuleOrigin, type StoredRule, writeState } from '../config/state.js';
import type { EngineRule } from '../engine/types.js';
import { McrError } from '../errors.js';
import { type Rule, endpointKey, inputKey } from '../model/rule.js';
import { findDuplicate } from '../model/validate.js';
import type { DataPlane } from './data-plane.js';
import { checkInterfaces, interfaceIndex } from './interfaces.js';
import type { Logger } from './log.js';
import { SlotMap } from './slots.js';

export interface RuleServiceOptions {
  dataPlane: DataPlane;
  /** Where to persist; undefined = no persistence (tests). */
  stateFile?: string;
  log: Logger;
  /** ifindex of an interface in mcrd's namespace, undefined if it does not exist. */
  interfaceIndex?: (name: string) => number | undefined;
  /** Simpler stand-in for interfaceIndex (tests): existence only, so re-creation is not seen. */
  interfaceExists?: (name: string) => boolean;
  maxRuleSlots?: number;
  maxOutputSlots?: number;
}

export class RuleService {
  private rules: StoredRule[] = [];
  /** Rule id → the missing interface it waits for. */
  private waiting = new Map<string, string>();
  /** ifindex of each interface the installed table uses, as of its install. */
  private installedIfindex = new Map<string, number>();
  private readonly ruleSlots: SlotMap;
  private readonly outputSlots: SlotMap;
  private readonly ifindex: (name: string) => number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: RuleServiceOptions) {
    this.ruleSlots = new SlotMap(o.maxRuleSlots ?? 4096, 'rule');
    this.outputSlots = new SlotMap(o.maxOutputSlots ?? 65536, 'output');
    const exists = o.interfaceExists;
    this.ifindex = o.interfaceIndex ?? (exists ? (n) => (exists(n) ? 1 : undefined) : interfaceIndex);
  }

  /** Configured rules with their state: active, or waiting for a missing interface. */
  list(): RuleView[] {
    return this.rules.map((r) => {
      const w = this.waiting.get(r.id);
      return { ...structuredClone(r), state: w ? 'waiting' : 'active', ...(w ? { waitingFor: w } : {}) };
    });
  }

  /** The configured rules as stored (no state fields). */
  configured(): StoredRule[] {
    return structuredClone(this.rules);
  }

  ruleSlot(id: string): number | undefined { return this.ruleSlots.get(id); }
  outputSlot(id: string, o: Rule['outputs'][number]): number | undefined { return this.outputSlots.get(outKey(id, o)); }

  /** Add one rule; EEXIST if its id or input is taken, ENODEV for a missing interface (told at once). */
  add(rule: Rule, origin: RuleOrigin = 'runtime'): Promise<RuleView> {
    return this.serialize(async () => {
      const byId = this.rules.find((r) => r.id === rule.id);
      if (byId) throw new McrError({ code: 'EEXIST', path: 'id', detail: `a rule with id "${rule.id}" exists; remove it first or pick another --rule-id` });
      const byInput = this.rules.find((r) => inputKey(r.input) === inputKey(rule.input));
      if (byInput) {
        throw new McrError({
          code: 'EEXIST', path: 'input',
          detail: `rule "${byInput.id}" already relays ${rule.input.group}:${rule.input.port} from ${rule.input.interface}; remove it first or add outputs to it`,
        });
      }
      checkInterfaces(rule, (n) => this.ifindex(n) !== undefined);
      const stored: StoredRule = { ...rule, origin };
      await this.commit([...this.rules, stored], true);
      this.o.log.info('rule added', { id: rule.id, input: `${rule.input.group}:${rule.input.port}:${rule.input.interface}`, outputs: rule.outputs.length });
      return this.list().find((r) => r.id === rule.id)!;
    });
  }

  /** Remove a rule by id; ENOENT if there is none. */
  remove(id: string): Promise<RuleView> {
    return this.serialize(async () => {
      const view = this.list().find((r) => r.id === id);
      if (!view) {
        const known = this.rules.map((r) => r.id).slice(0, 10).join(', ');
        throw new McrError({ code: 'ENOENT', path: 'ruleId', detail: `no rule "${id}"${known ? ` (rules: ${known})` : ' (no rules)'}` });
      }
      await this.commit(this.rules.filter((r) => r.id !== id), true);
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
    return this.serialize(async () => {
      const dup = findDuplicate(next);
      if (dup) throw new McrError({ code: 'EEXIST', path: `rules[${dup.index}].${dup.field}`, detail: dup.detail });
      await this.commit(next, true);
    });
  }

  /** Follow interface changes (see the file header); never touches the state file. */
  refresh(): Promise<void> {
    return this.serialize(async () => {
      const moved = this.rules.filter((r) => !this.waiting.has(r.id) && interfacesOf(r).some((n) => {
        const was = this.installedIfindex.get(n);
        return was !== undefined && this.ifindex(n) !== undefined && this.ifindex(n) !== was;
      }));
      const becameReady = this.rules.some((r) => this.waiting.has(r.id) && missingInterface(r, this.ifindex) === undefined);
      const vanished = this.rules.some((r) => !this.waiting.has(r.id) && missingInterface(r, this.ifindex) !== undefined);
      if (!moved.length && !becameReady && !vanished) return;
      if (moved.length) {
        // Withdraw, then re-install: the engine drops its sockets on the old ifindex and opens new ones.
        for (const r of moved) this.o.log.info('interface re-created; re-installing rule', { id: r.id });
        const gone = new Set(moved.map((r) => r.id));
        await this.install(this.rules.filter((r) => !gone.has(r.id)));
      }
      await this.commit(this.rules, false);
    });
  }

  private async commit(next: StoredRule[], persist: boolean): Promise<void> {
    const waitingBefore = this.waiting;
    await this.install(next);
    this.rules = next;
    for (const [id, iface] of this.waiting) {
      if (!waitingBefore.has(id)) this.o.log.warn('rule waiting for its interface', { id, interface: iface });
    }
    for (const id of waitingBefore.keys()) {
      if (!this.waiting.has(id) && next.some((r) => r.id === id)) this.o.log.info('interface present; rule installed', { id });
    }
    if (persist && this.o.stateFile) {
      try {
        await writeState(this.o.stateFile, next);
      } catch (err) {
        // Forwarding already runs the new table; say loudly that a restart would lose it.
        this.o.log.error('state file not written; this change will not survive a restart', { error: (err as Error).message });
        throw err;
      }
    }
  }

  /** Push the usable part of `rules` to the data plane; slots cover all of them (waiting ones keep theirs). */
  private async install(rules: StoredRule[]): Promise<void> {
    const rulePlan = this.ruleSlots.plan(rules.map((r) => r.id));
    const outPlan = this.outputSlots.plan(rules.flatMap((r) => r.outputs.map((o) => outKey(r.id, o))));
    const waiting = new Map<string, string>();
    const ifindex = new Map<string, number>();
    const usable = rules.filter((r) => {
      const miss = missingInterface(r, this.ifindex);
      if (miss !== undefined) { waiting.set(r.id, miss); return false; }
      for (const n of interfacesOf(r)) ifindex.set(n, this.ifindex(n)!);
      return true;
    });
    await this.o.dataPlane.apply(usable.map((r) => ({
      id: r.id,
      slot: rulePlan.get(r.id)!,
      input: { ...r.input },
      outputs: r.outputs.map((o) => ({ ...o, slot: outPlan.get(outKey(r.id, o))! })),
    })));
    this.ruleSlots.commit(rulePlan);
    this.outputSlots.commit(outPlan);
    this.waiting = waiting;
    this.installedIfindex = ifindex;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

function outKey(id: string, o: Rule['outputs'][number]): string {
  return `${id}|${endpointKey(o)}`;
}

function interfacesOf(r: Rule): string[] {
  return [r.input.interface, ...r.outputs.map((o) => o.interface)];
}

function missingInterface(r: Rule, ifindex: (n: string) => number | undefined): string | undefined {
  return interfacesOf(r).find((n) => ifindex(n) === undefined);
}
