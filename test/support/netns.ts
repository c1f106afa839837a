/**
 * Network-namespace harness for relay e2e tests: namespaces, veth pairs, VLANs, addresses, sysctls,
 * and teardown of exactly what was created. Every namespace is named `mcrR-<tag>-<n>` so leftovers of
 * a crashed run are recognisable (`ip netns list | grep mcrR-`) and nothing else is ever touched.
 *
 *   const lab = await Lab.create('chain');
 *   const g = await lab.ns('g'); const r = await lab.ns('r');
 *   await lab.veth(g, 'g0', '10.1.0.1/24', r, 'r0', '10.1.0.2/24', { mtu: 9000 });
 *   ...
 *   await lab.destroy();   // in afterAll
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { scaled } from './time-scale.js';

const run = promisify(execFile);

/** True when this process can create namespaces (root); e2e suites skip with this reason otherwise. */
export const canNetns = process.getuid?.() === 0;
export const skipReason = 'relay e2e tests need root (network namespaces, AF_PACKET)';

export async function sh(argv: string[]): Promise<string> {
  try {
    const { stdout } = await run(argv[0]!, argv.slice(1), { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${argv.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

export class Lab {
  private readonly created: string[] = [];

  private constructor(readonly prefix: string) {}

  /**
   * A lab whose namespaces are `<family>-<tag>-<pid%1000>-...`; short, so names stay readable in `ip netns`.
   * `family` (default `mcrR`) lets a suite keep its leftovers recognisable apart from the others'.
   */
  static async create(tag: string, family = 'mcrR'): Promise<Lab> {
    return new Lab(`${family}-${tag}-${process.pid % 1000}`);
  }

  /** Create namespace `<prefix>-<name>` with lo up; returns its full name. */
  async ns(name: string): Promise<string> {
    const full = `${this.prefix}-${name}`;
    await sh(['ip', 'netns', 'add', full]);
    this.created.push(full);
    await this.exec(full, ['ip', 'link', 'set', 'lo', 'up']);
    return full;
  }

  exec(ns: string, argv: string[]): Promise<string> {
    return sh(['ip', 'netns', 'exec', ns, ...argv]);
  }

  /** A veth pair created directly inside the two namespaces (no name ever exists in the root namespace). */
  async veth(nsA: string, ifA: string, addrA: string | null, nsB: string, ifB: string, addrB: string | null, o: { mtu?: number } = {}): Promise<void> {
    await sh(['ip', 'link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    for (const [ns, ifn, addr] of [[nsA, ifA, addrA], [nsB, ifB, addrB]] as const) {
      if (o.mtu) await this.exec(ns, ['ip', 'link', 'set', ifn, 'mtu', String(o.mtu)]);
      if (addr) await this.exec(ns, ['ip', 'addr', 'add', addr, 'dev', ifn]);
      await this.exec(ns, ['ip', 'link', 'set', ifn, 'up']);
    }
  }

  /**
   * The relay tests' usual three hosts in a row: g (g0 10.1.0.1/24) — (r0 10.1.0.2/24) r
   * (r1 10.2.0.1/24) — (s0 10.2.0.2/24) s. Returns the namespaces' full names.
   */
  async chain(o: { mtu?: number } = {}): Promise<{ g: string; r: string; s: string }> {
    const g = await this.ns('g'); const r = await this.ns('r'); const s = await this.ns('s');
    await this.veth(g, 'g0', '10.1.0.1/24', r, 'r0', '10.1.0.2/24', o);
    await this.veth(r, 'r1', '10.2.0.1/24', s, 's0', '10.2.0.2/24', o);
    return { g, r, s };
  }

  /**
   * A shared LAN: namespace `<prefix>-<name>` holding bridge br0 (multicast snooping off, so every
   * host sees every multicast frame like on a hub) with one veth port per host; each host gets
   * `ifname` with `addr`. Returns the LAN's namespace.
   */
  async lan(name: string, hosts: Array<{ ns: string; ifname: string; addr: string | null }>): Promise<string> {
    const lan = await this.ns(name);
    await this.exec(lan, ['ip', 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    await this.exec(lan, ['ip', 'link', 'set', 'br0', 'up']);
    for (const [i, h] of hosts.entries()) {
      await this.veth(h.ns, h.ifname, h.addr, lan, `p${i}`, null);
      await this.exec(lan, ['ip', 'link', 'set', `p${i}`, 'master', 'br0']);
    }
    return lan;
  }

  /** An 802.1Q subinterface `<parent>.<id>` with an address. */
  async vlan(ns: string, parent: string, id: number, addr: string, o: { mtu?: number } = {}): Promise<string> {
    const name = `${parent}.${id}`;
    await this.exec(ns, ['ip', 'link', 'add', 'link', parent, 'name', name, 'type', 'vlan', 'id', String(id)]);
    if (o.mtu) await this.exec(ns, ['ip', 'link', 'set', name, 'mtu', String(o.mtu)]);
    await this.exec(ns, ['ip', 'addr', 'add', addr, 'dev', name]);
    await this.exec(ns, ['ip', 'link', 'set', name, 'up']);
    return name;
  }

  sysctl(ns: string, key: string, value: string | number): Promise<string> {
    return this.exec(ns, ['sysctl', '-qw', `${key}=${value}`]);
  }

  /** Delete every namespace this lab created (their veths go with them); keeps going past failures. */
  async destroy(): Promise<void> {
    const errors: string[] = [];
    for (const ns of this.created.reverse()) {
      try { await sh(['ip', 'netns', 'del', ns]); } catch (e) { errors.push((e as Error).message); }
    }
    this.created.length = 0;
    if (errors.length) throw new Error(`teardown: ${errors.join('; ')}`);
  }
}

/** Poll `fn` until it returns a truthy value; fails with `what` after the deadline (stretched in the test VM). */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 5000, intervalMs = 50): Promise<T> {
  timeoutMs = scaled(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms: ${what}${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
