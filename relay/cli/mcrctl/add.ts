/**
 * mcrctl add — flags as in MCR's mcrctl, validated by the rule schema with errors naming the flag:
 *
 *   mcrctl add --input-interface eth0 --input-group 239.1.1.1 --input-port 5000 \
 *              --outputs 239.2.2.2:6000:eth1,10.0.0.9:7000:eth2 [--rule-id cam1] [--name "camera 1"] [--ttl 16]
 *
 * Repeated --outputs accumulate (as MCR's do). The rule goes to mcrd as given, so mcrd applies its
 * own default TTL (its config's multicast_ttl) to outputs without --ttl. An identical rule already
 * there is a success that changes nothing; --replace swaps a conflicting one. Tested in add.test.ts.
 */
import { describeValue } from '../../errors.js';
import type { AddOutcome, RuleView } from '../../control/api.js';
import * as mcr from '../../compat/shapes.js';
import { type Rule } from '../../model/rule.js';
import { parseRule } from '../../model/validate.js';
import { type Ctx, type Verb, usageError, verbFlags } from './context.js';
import { endpoint } from './format.js';

const USAGE = `usage: mcrctl add --input-interface IF --input-group G --input-port P --outputs G:P:IF[,G:P:IF...]
                  [--outputs ...] [--input-source S] [--rule-id ID] [--name NAME] [--ttl N] [--replace]

  mcrctl add --input-interface eth0 --input-group 239.1.1.1 --input-port 5000 --outputs 239.2.2.2:6000:eth1
  mcrctl add --rule-id cam1 --input-interface eth0 --input-group 239.1.1.1 --input-port 5000 \\
             --outputs 239.2.2.2:6000:eth1 --outputs 10.1.1.2:6000:eth2 --ttl 8

--ttl applies to every output (default: mcrd's, 16 unless its config sets multicast_ttl). Without
--rule-id the id is the --name when that is id-shaped, else a hash of the input. Adding a rule that
is already there unchanged succeeds and changes nothing; one that takes another rule's id or input
is refused unless --replace.`;

/** A number when the text is all digits, else the text itself, so the schema reports what was typed. */
const num = (s: string): number | string => (/^\d+$/.test(s) ? Number(s) : s);

/** Flags → the rule object as typed (`raw`, what mcrd gets) and checked (`rule`). Throws usage errors naming the flag. */
export function ruleFromFlags(argv: string[]): { raw: Record<string, unknown>; rule: Rule; replace: boolean } {
  const { values: v, flags, lists } = verbFlags('add', argv, ['input-interface', 'input-group', 'input-port', 'input-source', 'rule-id', 'name', 'ttl'], false, { booleans: ['replace'], lists: ['outputs'] });
  for (const f of ['input-interface', 'input-group', 'input-port'] as const) {
    if (v[f] === undefined) throw usageError(`missing, required by add; see mcrctl add --help`, `--${f}`);
  }
  if (lists.outputs === undefined) throw usageError('missing, required by add; see mcrctl add --help', '--outputs');
  const items = lists.outputs.flatMap((s) => s.split(',')).map((s) => s.trim());
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
  if (v.name !== undefined) raw.name = v.name;
  const flagFor = (path: ReadonlyArray<PropertyKey>): string | undefined => {
    const [a, b, c] = path;
    if (a === 'id') return '--rule-id';
    if (a === 'name') return '--name';
    if (a === 'input') return b === undefined ? '--input-interface' : `--input-${String(b)}`;
    if (a === 'outputs') {
      if (typeof b !== 'number') return '--outputs';
      if (c === 'ttl') return '--ttl';
      return `--outputs ${items[b]}${c === undefined ? '' : ` (${String(c)})`}`;
    }
    return undefined;
  };
  try {
    return { raw, rule: parseRule(raw, { flagFor }), replace: flags.replace === true };
  } catch (err) {
    throw Object.assign(err as Error, { usage: true });
  }
}

const VERB_OF: Record<AddOutcome, string> = { added: 'added', replaced: 'replaced', unchanged: 'unchanged' };

export const add: Verb = {
  name: 'add',
  summary: 'add a forwarding rule',
  usage: USAGE,
  async run(argv: string[], ctx: Ctx) {
    const { raw, replace } = ruleFromFlags(argv);
    const { rule: r, outcome } = await ctx.request<{ rule: RuleView; outcome: AddOutcome }>('add', { rule: raw, ...(replace ? { replace } : {}) });
    ctx.emit({
      json: () => ({ rule: r, outcome }),
      mcr: () => mcr.success(mcr.addMessage(r.id, outcome)),
      text: () => outcome === 'unchanged'
        ? `rule ${r.id} unchanged: an identical rule is already present`
        : `${VERB_OF[outcome]} rule ${r.id}${r.name ? ` (${r.name})` : ''}: ${endpoint(r.input)} -> ${r.outputs.map((o) => `${endpoint(o)} ttl ${o.ttl}`).join(', ')}`,
    });
  },
};
