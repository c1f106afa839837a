/**
 * Entry points of the model: validate one rule (control `add`, mcrctl flags) or a rule list (config
 * file, state file), including the checks across rules (duplicate id, duplicate input).
 * Tested in rule.test.ts.
 */
import { McrError, formatPath } from '../errors.js';
import { type IssueContext, issuesToErrors, throwFirst } from './issues.js';
import { type Rule, inputKey, normalizeRule, ruleSchema } from './rule.js';

/** Validate and normalize one rule; throws McrError (EINVAL) naming the first bad field. */
export function parseRule(value: unknown, ctx: IssueContext = {}, defaultTtl?: number): Rule {
  const r = ruleSchema.safeParse(value);
  if (!r.success) throwFirst(issuesToErrors(r.error, value, ctx));
  return normalizeRule(r.data, defaultTtl);
}

/**
 * Validate a list of rules as one table: every rule, then duplicate ids and inputs.
 * `ctx.pathPrefix` is the list's path (`rules`); each rule's issues are anchored at `rules[i]`.
 */
export function parseRuleList(values: unknown[], ctx: IssueContext = {}, defaultTtl?: number): Rule[] {
  const prefix = ctx.pathPrefix ?? [];
  const errors: McrError[] = [];
  const rules: Rule[] = [];
  values.forEach((v, i) => {
    const r = ruleSchema.safeParse(v);
    if (!r.success) errors.push(...issuesToErrors(r.error, v, { ...ctx, pathPrefix: [...prefix, i] }));
    else rules.push(normalizeRule(r.data, defaultTtl));
  });
  if (errors.length) throwFirst(errors);
  const dup = findDuplicate(rules);
  if (dup) {
    const path = [...prefix, dup.index, dup.field];
    const src = ctx.source?.(path);
    throw new McrError({ code: 'EEXIST', detail: dup.detail, path: formatPath(path), source: src });
  }
  return rules;
}

/** First rule (by index) whose id or input repeats an earlier one. */
export function findDuplicate(rules: Rule[]): { index: number; field: 'id' | 'input'; detail: string } | undefined {
  const ids = new Map<string, number>();
  const inputs = new Map<string, number>();
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    const k = inputKey(r.input);
    const inAt = inputs.get(k);
    if (inAt !== undefined) {
      return { index: i, field: 'input', detail: `duplicate input ${r.input.group}:${r.input.port} on ${r.input.interface} (also rules[${inAt}]); put all its outputs in one rule` };
    }
    inputs.set(k, i);
    const idAt = ids.get(r.id);
    if (idAt !== undefined) return { index: i, field: 'id', detail: `duplicate rule id "${r.id}" (also rules[${idAt}]); give each rule its own name` };
    ids.set(r.id, i);
  }
  return undefined;
}
