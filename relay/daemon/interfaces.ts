/**
 * Interface existence, checked where rules are applied: in mcrd's own network namespace, which is
 * what /sys/class/net shows to this process. Tested in interfaces.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { McrError } from '../errors.js';
import type { Rule } from '../model/rule.js';

export function interfaceExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** The interface's ifindex (changes when it is deleted and re-created), undefined if it does not exist. */
export function interfaceIndex(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Throw ENODEV naming the first interface of `rule` this host does not have. */
export function checkInterfaces(rule: Rule, exists: (n: string) => boolean = interfaceExists): void {
  const miss = (path: string, name: string) =>
    new McrError({ code: 'ENODEV', path, detail: `no interface "${name}" in mcrd's network namespace (see ip link show)` });
  if (!exists(rule.input.interface)) throw miss('input.interface', rule.input.interface);
  rule.outputs.forEach((o, i) => {
    if (!exists(o.interface)) throw miss(`outputs[${i}].interface`, o.interface);
  });
}
