/**
 * The protocol host: runs the protocol modules (IGMP, PIM) inside the supervisor. It
 *   - opens the protocol RX socket and the TX sockets once at start (while still privileged),
 *     and admits RX only on the interfaces some module is configured for;
 *   - gives every module its ProtocolContext: the real clock, TX, its interfaces as they are now,
 *     routesChanged() and emit();
 *   - dispatches each received packet to the module(s) of its IP protocol configured on its interface;
 *     a module that throws is counted and logged, never allowed to take the daemon down;
 *   - coalesces routesChanged() reports into one recompile (the rule service's recompose(), which
 *     runs the MRIB and one atomic DataPlane.apply), started on the next turn of the event loop;
 *   - forwards interface changes (LinkWatch) to the modules.
 * Tested in host.test.ts (in-process I/O and data plane) and the relay/e2e/igmp-*.e2e tests.
 */
import type { Logger } from '../daemon/log.js';
import type { InterfaceTable } from '../daemon/interfaces.js';
import { realClock } from './clock.js';
import { EventBus } from './events.js';
import type { Clock, LearnedRoute, ProtoInterface, ProtoTx, ProtocolModule, RxPacket } from './types.js';

/** What the host needs of the protocol I/O (relay/protocols/io: openProtoRx / openProtoTx). */
export interface ProtoRxLike {
  enable(ifname: string): void;
  disable(ifname: string): void;
  counters(): { received: number; delivered: number; queueDrops: number; malformed: Record<string, number>; byInterface: Record<string, number> };
  close(): void;
}
export interface ProtoIo {
  openRx(opts: { ipProtos: number[]; onPacket(pkt: RxPacket): void }): ProtoRxLike;
  openTx(ipProtos: number[]): ProtoTx & { counters(): { sent: number; errors: Record<string, number> }; close(): void };
}

export interface HostedModule {
  module: ProtocolModule;
  /** Interfaces this module runs on (from its config). */
  interfaces: string[];
}

export interface ProtocolHostOptions {
  modules: HostedModule[];
  io: ProtoIo;
  log: Logger;
  readInterfaces: () => InterfaceTable;
  /** Recompile the MRIB and apply it (RuleService.recompose). */
  recompile: () => Promise<void>;
  clock?: Clock;
  events?: EventBus;
  /** Helpers that live as long as the modules run (e.g. PIM's watch of the kernel's unicast routes). */
  services?: Array<{ start(): void; stop(): void }>;
}

export interface HostCounters {
  rx: ReturnType<ProtoRxLike['counters']> | null;
  tx: { sent: number; forwarded?: number; errors: Record<string, number> } | null;
  /** Packets received on an interface where no module of their protocol runs. */
  notForAModule: number;
  moduleErrors: number;
  recompiles: number;
  recompileErrors: number;
  /** Latest time from the first routesChanged() of a batch to the applied table, ms. */
  lastRecompileMs: number | null;
  maxRecompileMs: number;
}

export class ProtocolHost {
  readonly clock: Clock;
  readonly events: EventBus;
  private rx: ProtoRxLike | null = null;
  private tx: (ProtoTx & { counters(): { sent: number; errors: Record<string, number> }; close(): void }) | null = null;
  private table: InterfaceTable = new Map();
  /** ifindex each interface had when RX was enabled on it (re-created interfaces are re-enabled). */
  private enabled = new Map<string, number>();
  private pendingSince: number | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly c = { notForAModule: 0, moduleErrors: 0, recompiles: 0, recompileErrors: 0, lastRecompileMs: null as number | null, maxRecompileMs: 0 };

  constructor(private readonly o: ProtocolHostOptions) {
    this.clock = o.clock ?? realClock();
    this.events = o.events ?? new EventBus();
  }

  get modules(): ProtocolModule[] { return this.o.modules.map((m) => m.module); }

  module<T extends ProtocolModule>(name: ProtocolModule['name']): T | undefined {
    return this.o.modules.find((m) => m.module.name === name)?.module as T | undefined;
  }

  /** Every interface some module runs on. */
  interfaceNames(): string[] {
    return [...new Set(this.o.modules.flatMap((m) => m.interfaces))];
  }

  /** Open the protocol sockets; call while still privileged (before --user drops root). */
  open(): void {
    const ipProtos = [...new Set(this.o.modules.flatMap((m) => m.module.ipProtos))];
    this.rx = this.o.io.openRx({ ipProtos, onPacket: (p) => this.dispatch(p) });
    this.tx = this.o.io.openTx(ipProtos);
  }

  /** Admit RX on the protocol interfaces and start the modules (after the rule table is restored). */
  start(): void {
    if (!this.rx || !this.tx) this.open();
    this.table = this.o.readInterfaces();
    this.syncRx();
    for (const m of this.o.modules) {
      const tx = this.tx!;
      m.module.start({
        clock: this.clock,
        tx: { send: (ifname, dst, ipProto, payload, opts) => { if (m.interfaces.includes(ifname)) tx.send(ifname, dst, ipProto, payload, opts); } },
        log: this.o.log,
        interfaces: () => this.protoInterfaces(m.interfaces),
        routesChanged: () => this.routesChanged(),
        emit: (ev) => this.events.publish(ev),
      });
    }
    for (const s of this.o.services ?? []) s.start();
  }

  /** A module runs on other interfaces now (runtime `pim enable/disable --interface`); RX follows. */
  setInterfaces(name: ProtocolModule['name'], interfaces: string[]): void {
    const m = this.o.modules.find((x) => x.module.name === name);
    if (!m) return;
    m.interfaces = [...new Set(interfaces)];
    this.table = this.o.readInterfaces();
    this.syncRx();
  }

  /** Interfaces a module runs on now. */
  moduleInterfaces(name: ProtocolModule['name']): string[] {
    return [...(this.o.modules.find((x) => x.module.name === name)?.interfaces ?? [])];
  }

  /** Learned routes of every module (the MRIB's input). */
  routes(): LearnedRoute[] {
    return this.o.modules.flatMap((m) => this.guard(m.module, () => m.module.routes(), []));
  }

  /** LinkWatch says interfaces changed: re-read, re-admit RX where needed, tell the modules. */
  interfacesChanged(): void {
    if (this.stopped) return;
    this.table = this.o.readInterfaces();
    this.syncRx();
    for (const m of this.o.modules) this.guard(m.module, () => m.module.interfacesChanged(), undefined);
  }

  /** A module's routes changed: one recompile for every report until it starts (coalesced). */
  routesChanged(): void {
    if (this.stopped) return;
    this.pendingSince ??= this.clock.now();
    if (this.running) return;
    this.running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Send a whole IPv4 multicast datagram out of `ifname` as a router (PIM RP: decapsulated Register data). */
  forward(ifname: string, ip: Uint8Array): void {
    this.tx?.forward?.(ifname, ip);
  }

  /** The interface with this ifindex as last read, with its primary IPv4 address. */
  interfaceAt(ifindex: number): { name: string; address: string | null } | undefined {
    for (const [name, i] of this.table) {
      if (i.ifindex === ifindex) return { name, address: i.addresses?.[0]?.split('/')[0] ?? null };
    }
    return undefined;
  }

  /** Resolves once every reported change so far is applied (tests, e2e helpers). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  counters(): HostCounters {
    return { rx: this.rx?.counters() ?? null, tx: this.tx?.counters() ?? null, ...this.c };
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.o.services ?? []) s.stop();
    for (const m of this.o.modules) this.guard(m.module, () => m.module.stop(), undefined);
    this.rx?.close();
    this.tx?.close();
    this.rx = null;
    this.tx = null;
  }

  private async drain(): Promise<void> {
    while (this.pendingSince !== null && !this.stopped) {
      const since = this.pendingSince;
      this.pendingSince = null;
      try {
        await this.o.recompile();
        this.c.recompiles++;
        const ms = this.clock.now() - since;
        this.c.lastRecompileMs = ms;
        this.c.maxRecompileMs = Math.max(this.c.maxRecompileMs, ms);
        this.o.log.debug('learned routes applied', { ms: Math.round(ms * 10) / 10 });
      } catch (err) {
        this.c.recompileErrors++;
        this.o.log.error(`learned routes not applied: ${(err as Error).message}`);
      }
    }
    this.running = null;
  }

  private dispatch(pkt: RxPacket): void {
    let taken = false;
    for (const m of this.o.modules) {
      if (!m.module.ipProtos.includes(pkt.ipProto) || !m.interfaces.includes(pkt.ifname)) continue;
      taken = true;
      this.guard(m.module, () => m.module.receive(pkt), undefined);
    }
    if (!taken) this.c.notForAModule++;
  }

  /** Run a module call; a throw is counted and logged (a module bug must not take the daemon down). */
  private guard<T>(m: ProtocolModule, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      this.c.moduleErrors++;
      this.o.log.error(`${m.name} module error: ${(err as Error).stack ?? String(err)}`);
      return fallback;
    }
  }

  private protoInterfaces(names: string[]): ProtoInterface[] {
    return names.flatMap((name) => {
      const i = this.table.get(name);
      if (!i) return [];
      const a = i.addresses?.[0];
      return [{ name, ifindex: i.ifindex, address: a ? a.split('/')[0]! : null, up: i.up }];
    });
  }

  private syncRx(): void {
    if (!this.rx) return;
    const wanted = new Set(this.interfaceNames());
    for (const name of [...this.enabled.keys()]) {
      if (wanted.has(name)) continue;
      try { this.rx.disable(name); } catch (err) { this.o.log.warn('protocol receive not disabled on interface', { interface: name, error: (err as Error).message }); }
      this.enabled.delete(name);
    }
    for (const name of wanted) {
      const now = this.table.get(name)?.ifindex;
      const was = this.enabled.get(name);
      if (now === was) continue;
      try {
        if (was !== undefined) this.rx.disable(name);
        if (now !== undefined) this.rx.enable(name);
      } catch (err) {
        this.o.log.warn('protocol receive not enabled on interface', { interface: name, error: (err as Error).message });
        continue;
      }
      if (now === undefined) this.enabled.delete(name); else this.enabled.set(name, now);
    }
  }
}
