/**
 * The running rule table: validates changes against the table (duplicates, interfaces), assigns
 * counter slots, pushes the whole table to the data plane, and only when every worker accepted it
 * persists it to the state file and answers ok. Changes are serialized: one at a time, in arrival
 * order. Tested in rule-service.test.ts.
 */
import type { RuleView } from '../control/api.js';
import { type RuleOrigin, type StoredRule, writeState } from '../config/state.js';
import type { EngineRule } from '../engine/types.js';
import { McrError } from '../errors.js';
import { type Rule, endpointKey, inputKey } from '../model/rule.js';
import { findDuplicate } from '../model/validate.js';
import type { DataPlane } from './data-plane.js';
import { checkInterfaces } from './interfaces.js';
import type { Logger } from './log.js';
import { SlotMap } from './slots.js';

export interface RuleServiceOptions {
  dataPlane: DataPlane;
  /** Where to persist; undefined = no persistence (tests, --check). */
  stateFile?: string;
  log: Logger;
  interfaceExists?: (name: string) => boolean;
  maxRuleSlots?: number;
  maxOutputSlots?: number;
}

export class RuleService {
  private rules: StoredRule[] = [];
  private readonly ruleSlots: SlotMap;
  private readonly outputSlots: SlotMap;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: RuleServiceOptions) {
    this.ruleSlots = new SlotMap(o.maxRuleSlots ?? 4096, 'rule');
    this.outputSlots = new SlotMap(o.maxOutputSlots ?? 65536, 'output');
  }

  list(): RuleView[] {
    return this.rules.map((r) => structuredClone(r));
  }

  /** The current table in engine form (a restarted worker gets this). */
  engineRules(): EngineRule[] {
    return this.toEngine(this.rules, (id) => this.ruleSlots.get(id)!, (k) => this.outputSlots.get(k)!);
  }

  ruleSlot(id: string): number | undefined { return this.ruleSlots.get(id); }
  outputSlot(id: string, o: Rule['outputs'][number]): number | undefined { return this.outputSlots.get(outKey(id, o)); }

  /** Add one rule; EEXIST if its id or input is taken, ENODEV for a missing interface. */
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
      this.checkIfaces(rule);
      const stored: StoredRule = { ...rule, origin };
      await this.commit([...this.rules, stored]);
      this.o.log.info('rule added', { id: rule.id, input: `${rule.input.group}:${rule.input.port}:${rule.input.interface}`, outputs: rule.outputs.length });
      return structuredClone(stored);
    });
  }

  /** Remove a rule by id; ENOENT if there is none. */
  remove(id: string): Promise<RuleView> {
    return this.serialize(async () => {
      const gone = this.rules.find((r) => r.id === id);
      if (!gone) {
        const known = this.rules.map((r) => r.id).slice(0, 10).join(', ');
        throw new McrError({ code: 'ENOENT', path: 'ruleId', detail: `no rule "${id}"${known ? ` (rules: ${known})` : ' (no rules)'}` });
      }
      await this.commit(this.rules.filter((r) => r !== gone));
      this.o.log.info('rule removed', { id });
      return gone;
    });
  }

  /**
   * Replace the whole table (start-up, reload). Rules equal to running ones keep their slots, so
   * their counters continue and the engine sees no change for them.
   */
  replaceAll(next: StoredRule[]): Promise<void> {
    return this.serialize(async () => {
      const dup = findDuplicate(next);
      if (dup) throw new McrError({ code: 'EEXIST', path: `rules[${dup.index}].${dup.field}`, detail: dup.detail });
      next.forEach((r, i) => {
        try { this.checkIfaces(r); } catch (e) {
          throw e instanceof McrError ? new McrError({ code: e.code, detail: `${e.detail} (rule "${r.id}")`, path: `rules[${i}].${e.path}` }) : e;
        }
      });
      await this.commit(next);
    });
  }

  private checkIfaces(rule: Rule): void {
    checkInterfaces(rule, this.o.interfaceExists);
  }

  private async commit(next: StoredRule[]): Promise<void> {
    const rulePlan = this.ruleSlots.plan(next.map((r) => r.id));
    const outPlan = this.outputSlots.plan(next.flatMap((r) => r.outputs.map((o) => outKey(r.id, o))));
    const table = this.toEngine(next, (id) => rulePlan.get(id)!, (k) => outPlan.get(k)!);
    await this.o.dataPlane.apply(table);
    this.ruleSlots.commit(rulePlan);
    this.outputSlots.commit(outPlan);
    this.rules = next;
    if (this.o.stateFile) {
      try {
        await writeState(this.o.stateFile, next);
      } catch (err) {
        // Forwarding already runs the new table; say loudly that a restart would lose it.
        this.o.log.error('state file not written; this change will not survive a restart', { error: (err as Error).message });
        throw err;
      }
    }
  }

  private toEngine(rules: StoredRule[], ruleSlot: (id: string) => number, outSlot: (k: string) => number): EngineRule[] {
    return rules.map((r) => ({
      id: r.id,
      slot: ruleSlot(r.id),
      input: { ...r.input },
      outputs: r.outputs.map((o) => ({ ...o, slot: outSlot(outKey(r.id, o)) })),
    }));
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
