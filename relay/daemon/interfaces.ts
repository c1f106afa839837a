/**
 * Interfaces as mcrd sees them, in its own network namespace: existence (checked where rules are
 * applied, from /sys/class/net) and the full picture the rule service follows — ifindex, up/carrier,
 * MTU, MAC and IPv4 addresses — read in one rtnetlink dump (native netlinkSnapshot). Tested in
 * interfaces.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadNative } from '../engine/native.js';
import { McrError } from '../errors.js';
import type { Rule } from '../model/rule.js';

/** What matters about one interface for the rules that use it. */
export interface InterfaceState {
  /** Changes when the interface is deleted and re-created. */
  ifindex: number;
  /** Administratively up (IFF_UP) and with carrier (IFF_RUNNING): frames can flow. */
  up: boolean;
  mtu?: number;
  mac?: string;
  /** IPv4 `a.b.c.d/len`, primary first: AF_PACKET egress writes the primary one as the source. */
  addresses?: string[];
}

export type InterfaceTable = ReadonlyMap<string, InterfaceState>;

/** Every interface by name, from the kernel (throws EngineError-like errors if netlink fails). */
export function readInterfaces(): InterfaceTable {
  const table = new Map<string, InterfaceState>();
  for (const i of loadNative().netlinkSnapshot()) {
    table.set(i.name, { ifindex: i.ifindex, up: i.up && i.running, mtu: i.mtu, mac: i.mac, addresses: i.addresses });
  }
  return table;
}

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
