/**
 * mcrctl add — flags as in MCR's mcrctl, validated by the rule schema with errors naming the flag:
 *
 *   mcrctl add --input-interface eth0 --input-group 239.1.1.1 --input-port 5000 \
 *              --outputs 239.2.2.2:6000:eth1,10.0.0.9:7000:eth2 [--rule-id cam1] [--ttl 16]
 *
 * Tested in add.test.ts.
 */
import { describeValue } from '../../errors.js';
import type { RuleView } from '../../control/api.js';
import { type Rule } from '../../model/rule.js';
import { parseRule } from '../../model/validate.js';
import { type Ctx, type Verb, usageError, verbFlags } from './context.js';
import { endpoint } from './format.js';

const USAGE = `usage: mcrctl add --input-interface IF --input-group G --input-port P --outputs G:P:IF[,G:P:IF...]
                  [--input-source S] [--rule-id ID] [--ttl N]

  mcrctl add --input-interface eth0 --input-group 239.1.1.1 --input-port 5000 --outputs 239.2.2.2:6000:eth1
  mcrctl add --rule-id cam1 --input-interface eth0 --input-group 239.1.1.1 --input-port 5000 \\
             --outputs 239.2.2.2:6000:eth1,10.1.1.2:6000:eth2 --ttl 8

--ttl applies to every output (default 16). Without --rule-id the id is a hash of the input.`;

/** A number when the text is all digits, else the text itself, so the schema reports what was typed. */
const num = (s: string): number | string => (/^\d+$/.test(s) ? Number(s) : s);

/** Flags → the rule object the schema validates, with flag names for its error messages. Throws usage errors. */
export function ruleFromFlags(argv: string[]): Rule {
  const { values: v } = verbFlags('add', argv, ['input-interface', 'input-group', 'input-port', 'input-source', 'outputs', 'rule-id', 'ttl']);
  for (const f of ['input-interface', 'input-group', 'input-port', 'outputs'] as const) {
    if (v[f] === undefined) throw usageError(`missing, required by add; see mcrctl add --help`, `--${f}`);
  }
  const items = v.outputs!.split(',').map((s) => s.trim());
  const outputs = items.map((item) => {
    const parts = item.split(':');
    if (parts.length !== 3) throw usageError(`expected GROUP:PORT:INTERFACE[,...], got ${describeValue(item)}`, '--outputs');
    const o: Record<string, unknown> = { group: parts[0], port: num(parts[1]!), interface: parts[2] };
    if (v.ttl !== undefined) o.ttl = num(v.ttl);
    return o;
  });
  const raw: Record<string, unknown> = {
    input: { interface: v['input-interface'], group: v['input-group'], port: num(v['input-port']!), ...(v['input-source'] !== undefined ? { source: v['input-source'] } : {}) },
    outputs,
  };
  if (v['rule-id'] !== undefined) raw.id = v['rule-id'];
  const flagFor = (path: ReadonlyArray<PropertyKey>): string | undefined => {
    const [a, b, c] = path;
    if (a === 'id' || a === 'name') return '--rule-id';
    if (a === 'input') return b === undefined ? '--input-interface' : `--input-${String(b)}`;
    if (a === 'outputs') {
      if (typeof b !== 'number') return '--outputs';
      if (c === 'ttl') return '--ttl';
      return `--outputs ${items[b]}${c === undefined ? '' : ` (${String(c)})`}`;
    }
    return undefined;
  };
  try {
    return parseRule(raw, { flagFor });
  } catch (err) {
    throw Object.assign(err as Error, { usage: true });
  }
}

export const add: Verb = {
  name: 'add',
  summary: 'add a forwarding rule',
  usage: USAGE,
  async run(argv: string[], ctx: Ctx) {
    const rule = ruleFromFlags(argv);
    const { rule: r } = await ctx.request<{ rule: RuleView }>('add', { rule });
    if (ctx.json) { ctx.out(JSON.stringify({ ok: true, rule: r })); return; }
    ctx.out(`added rule ${r.id}: ${endpoint(r.input)} -> ${r.outputs.map((o) => `${endpoint(o)} ttl ${o.ttl}`).join(', ')}`);
  },
};
