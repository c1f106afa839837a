/**
 * The PIM-SM module: decodes and dispatches received messages, runs one HelloState per PIM
 * interface, keeps the RP map and the tree (tree.ts), resolves RPF through the host's `rpf`
 * dependency (kernel unicast routes) and turns the tree into LearnedRoutes for the MRIB.
 *
 * Macros follow RFC 7761 §4.1.6 by name: immediate_olist(*,G), immediate_olist(S,G),
 * inherited_olist(S,G,rpt), inherited_olist(S,G), JoinDesired, PruneDesired(S,G,rpt).
 */
import type { LearnedRoute, ProtocolContext, ProtocolModule, ProtoInterface, RxPacket } from '../types.js';
import { ALL_PIM_ROUTERS, ipv4, parsePrefix, type Prefix } from './addr.js';
import { AssertState, INFINITE_METRIC, type AssertMetric } from './assert.js';
import { decodePim, encodePim, PIM_PROTO, type BootstrapMsg, type JoinPruneMsg, type ParseReason, type PimMessage, type PimType, type RegisterMsg } from './codec.js';
import { resolvePimConfig, type PimConfig, type PimInterfaceSettings, type ResolvedPimConfig } from './config.js';
import { DownstreamJoin, DownstreamRptPrune } from './downstream.js';
import { JoinPruneSender, sgEntry, sgRptEntry, starEntry } from './jp-sender.js';
import { HelloState, type Neighbor, type NeighborChange } from './neighbors.js';
import { nullRegisterHeader, RegisterState, type RegisterStateName } from './register.js';
import { RpMap } from './rp.js';
import { GroupEntry, KEEPALIVE_MS, minus, RP_KEEPALIVE_MS, sameTarget, SourceEntry, union, type Oif, type Target } from './tree.js';
import { createPimCounters, type DropReason } from './counters.js';

/** What PIM needs from the IGMP module: local membership per interface and group. */
export interface IgmpMembership {
  members(ifname: string, group: string): { mode: 'include' | 'exclude'; sources: string[] } | null;
  onMembershipChange?(listener: (ifname: string, group: string) => void): void;
}

/**
 * The unicast route toward `addr`: its interface and next hop. For a directly connected address the
 * next hop is the address itself or 0.0.0.0. Preference and metric feed Asserts (§4.6.3).
 */
export interface RpfResult { interface: string; neighbor: string; metricPreference?: number; metric?: number }

export interface PimDeps {
  igmp?: IgmpMembership;
  rpf(addr: string): Promise<RpfResult | null>;
  /** Uniform [0, 1); tests pass a seeded one. */
  random?: () => number;
  /** As RP: a packet decapsulated from a Register, to be sent out of `oifs` (the shared tree). */
  forwardDecapsulated?(packet: Uint8Array, oifs: string[]): void;
  /** As DR: start (true) or stop encapsulating (S,G) data into Registers (registerData). */
  registerTunnel?(source: string, group: string, up: boolean): void;
}

export interface PimModule extends ProtocolModule {
  readonly name: 'pim';
  /** IGMP membership of `group` on `ifname` changed (when the IGMP side has no onMembershipChange). */
  membershipChanged(ifname: string, group: string): void;
  /**
   * A data packet (S,G) arrived on `ifname` (the first of a flow, then at least once a minute while it
   * flows). `local`: mcrd itself originates this stream onto `ifname` (it is directly connected there).
   * `unrouted`: no route took it (the engine dropped it), so it cannot set the SPT bit. `atMs`: its
   * frame time (ms since the epoch), compared with the arrival of Registers at the RP.
   */
  dataArrived(ifname: string, source: string, group: string, opts?: { local?: boolean; unrouted?: boolean; atMs?: number }): void;
  /** The kernel's unicast routes changed: re-resolve every RPF. */
  rpfChanged(): void;
  /** As DR: wrap an IPv4 data packet into a Register to the RP if (S,G) is registering; true if sent. */
  registerData(packet: Uint8Array): boolean;
  registerState(source: string, group: string): RegisterStateName;
  enableInterface(name: string, opts?: { drPriority?: number; helloPeriod?: number }): void;
  disableInterface(name: string): void;
  /** Set (rp) or remove (undefined) the static RP of a group range "G/LEN". */
  setRp(range: string, rp: string | undefined): void;
}

const SSM: Prefix = { addr: 0xe8000000, len: 8 };
const inSsm = (g: string) => ((ipv4(g) & 0xff000000) >>> 0) === SSM.addr;

interface ActiveIf { settings: PimInterfaceSettings; proto: ProtoInterface; hello: HelloState }

export function createPimModule(config: PimConfig, deps: PimDeps): PimModule {
  const cfg: ResolvedPimConfig = resolvePimConfig(config);
  const random = deps.random ?? Math.random;
  const settings = new Map(cfg.interfaces.map((i) => [i.name, i]));
  const active = new Map<string, ActiveIf>();
  const groups = new Map<string, GroupEntry>();
  const memberIfs = new Map<string, Set<string>>();
  const rpfCache = new Map<string, RpfResult | null>();
  /** Addresses being resolved, with what to run once they are. */
  const rpfPending = new Map<string, Array<() => void>>();
  const counters = createPimCounters();
  let ctx!: ProtocolContext;
  let rpMap!: RpMap;
  let jp!: JoinPruneSender;
  let running = false;
  let lastRoutes = new Map<string, { iif: string | undefined; oifs: string[]; register: string | null }>();

  const tPeriodic = () => cfg.joinPruneIntervalMs;
  const holdtimeS = () => Math.min(65535, Math.round((cfg.joinPruneIntervalMs / 1000) * 3.5));

  // ---- sending -------------------------------------------------------------------------------
  function send(ifname: string, dst: string, m: PimMessage, ttl = 1): void {
    if (m.type === 'join-prune' || m.type === 'assert') active.get(ifname)?.hello.helloBeforeJoin();
    counters.out(m.type);
    ctx.tx.send(ifname, dst, PIM_PROTO, encodePim(m), { ttl });
  }

  function sendRaw(ifname: string, type: PimType, payload: Uint8Array): void {
    if (type === 'join-prune' || type === 'assert') active.get(ifname)?.hello.helloBeforeJoin();
    counters.out(type);
    ctx.tx.send(ifname, ALL_PIM_ROUTERS, PIM_PROTO, payload, { ttl: 1 });
  }

  // ---- addresses and RPF ---------------------------------------------------------------------
  const ourAddresses = (): Set<string> => {
    const s = new Set<string>();
    for (const a of active.values()) if (a.proto.address) s.add(a.proto.address);
    if (cfg.routerId) s.add(cfg.routerId);
    return s;
  };

  function rpfOf(addr: string): RpfResult | null | undefined {
    if (rpfCache.has(addr)) return rpfCache.get(addr);
    resolve(addr);
    return undefined;
  }

  function resolve(addr: string, then?: () => void): void {
    const waiting = rpfPending.get(addr);
    if (waiting) { if (then) waiting.push(then); return; }
    rpfPending.set(addr, then ? [then] : []);
    deps.rpf(addr).then((r) => r, () => null).then((r) => {
      const after = rpfPending.get(addr) ?? [];
      rpfPending.delete(addr);
      if (!running) return;
      const had = rpfCache.has(addr);
      const old = rpfCache.get(addr);
      rpfCache.set(addr, r);
      for (const fn of after) fn();
      if (!had || old?.interface !== r?.interface || old?.neighbor !== r?.neighbor) evaluateAll();
    });
  }

  /** Drop a cached RPF nobody refers to any more, so that the cache is bounded by live state. */
  function forgetRpf(addr: string): void {
    for (const g of groups.values()) if (g.sources.has(addr) || g.joinedRp === addr) return;
    if (rpMap.view().ranges.some((r) => r.rp === addr)) return;
    rpfCache.delete(addr);
  }

  const directlyConnected = (r: RpfResult, addr: string) => r.neighbor === addr || r.neighbor === '0.0.0.0';

  /** RPF interface and PIM neighbor toward `addr` (NBR(RPF_interface, MRIB.next_hop)), or null. */
  function nbrToward(addr: string): Target | null {
    const r = rpfOf(addr);
    if (!r) return null;
    const a = active.get(r.interface);
    if (!a) return null;
    const n = a.hello.neighborOf(r.neighbor);
    return n ? { ifname: r.interface, neighbor: n.address } : null;
  }

  /** RPF'(*,G) / RPF'(S,G): the assert winner on the RPF interface when we lost to one, else NBR(). */
  function rpfPrime(addr: string, asserts: Map<string, AssertState>): Target | null {
    const r = rpfOf(addr);
    if (!r) return null;
    const lost = asserts.get(r.interface);
    if (lost?.lost && lost.winner) return { ifname: r.interface, neighbor: lost.winner.address };
    return nbrToward(addr);
  }

  const rpfInterface = (addr: string): string | undefined => rpfOf(addr)?.interface;

  // ---- membership and DR ---------------------------------------------------------------------
  const iAmDr = (ifname: string) => active.get(ifname)?.hello.isDr ?? true;

  function members(ifname: string, group: string) {
    return deps.igmp?.members(ifname, group) ?? null;
  }

  /** pim_include(*,G): interfaces where we are DR and a receiver wants every source. */
  function includeStar(group: string): Oif[] {
    if (inSsm(group)) return [];
    return [...(memberIfs.get(group) ?? [])].filter((i) => iAmDr(i) && members(i, group)?.mode === 'exclude').map((i) => ({ ifname: i, reason: 'igmp' as const }));
  }
  function includeSg(group: string, source: string): Oif[] {
    return [...(memberIfs.get(group) ?? [])].filter((i) => {
      const m = members(i, group);
      return iAmDr(i) && m?.mode === 'include' && m.sources.includes(source);
    }).map((i) => ({ ifname: i, reason: 'igmp' as const }));
  }
  function excludeSg(group: string, source: string): Set<string> {
    return new Set([...(memberIfs.get(group) ?? [])].filter((i) => {
      const m = members(i, group);
      return iAmDr(i) && m?.mode === 'exclude' && m.sources.includes(source);
    }));
  }

  const joinedOifs = (m: Map<string, DownstreamJoin>): Oif[] =>
    [...m].filter(([, d]) => d.joined).map(([ifname, d]) => ({ ifname, reason: 'pim join' as const, ...(d.expiresAtMs !== undefined ? { expiresAtMs: d.expiresAtMs } : {}) }));
  const lostSet = (m: Map<string, AssertState>): Set<string> => new Set([...m].filter(([, a]) => a.lost).map(([i]) => i));

  function immediateStar(g: GroupEntry): Oif[] {
    return minus(union(joinedOifs(g.star), includeStar(g.group)), lostSet(g.starAsserts));
  }
  function immediateSg(g: GroupEntry, s: SourceEntry): Oif[] {
    return minus(union(joinedOifs(s.sg), includeSg(g.group, s.source)), lostSet(s.asserts));
  }
  function inheritedRpt(g: GroupEntry, s: SourceEntry): Oif[] {
    const pruned = new Set([...s.rpt].filter(([, d]) => d.pruned).map(([i]) => i));
    const lost = new Set([...lostSet(g.starAsserts), ...lostSet(s.asserts)]);
    return minus(union(minus(joinedOifs(g.star), pruned), minus(includeStar(g.group), excludeSg(g.group, s.source))), lost);
  }
  const inheritedSg = (g: GroupEntry, s: SourceEntry): Oif[] => union(inheritedRpt(g, s), immediateSg(g, s));

  const rpOf = (group: string) => rpMap.rpFor(group)?.rp;
  const iAmRp = (group: string) => { const rp = rpOf(group); return rp !== undefined && ourAddresses().has(rp); };

  function isDirectlyConnected(s: SourceEntry): boolean {
    if (s.localIf) return true;
    const r = rpfOf(s.source);
    return !!r && directlyConnected(r, s.source);
  }
  const sourceIif = (s: SourceEntry) => s.localIf ?? rpfInterface(s.source);

  // ---- tree entries ----------------------------------------------------------------------------
  function group(g: string): GroupEntry {
    let e = groups.get(g);
    if (!e) {
      const entry = new GroupEntry(g, ctx.clock, () => periodicStar(entry));
      e = entry;
      groups.set(g, e);
    }
    return e;
  }

  function source(g: GroupEntry, s: string): SourceEntry {
    let e = g.sources.get(s);
    if (!e) {
      const entry: SourceEntry = new SourceEntry(s, ctx.clock, () => periodicSg(g, entry), () => evaluate(g));
      e = entry;
      g.sources.set(s, e);
    }
    return e;
  }

  const timers = (g: GroupEntry) => ({ clock: ctx.clock, changed: () => evaluate(g) });

  function starDownstream(g: GroupEntry, ifname: string): DownstreamJoin {
    let d = g.star.get(ifname);
    if (!d) { d = new DownstreamJoin(timers(g), () => pruneEcho(ifname, g.group, starEntry(rpOf(g.group) ?? '0.0.0.0'))); g.star.set(ifname, d); }
    return d;
  }
  function sgDownstream(g: GroupEntry, s: SourceEntry, ifname: string): DownstreamJoin {
    let d = s.sg.get(ifname);
    if (!d) { d = new DownstreamJoin(timers(g), () => pruneEcho(ifname, g.group, sgEntry(s.source))); s.sg.set(ifname, d); }
    return d;
  }
  function rptDownstream(g: GroupEntry, s: SourceEntry, ifname: string): DownstreamRptPrune {
    let d = s.rpt.get(ifname);
    if (!d) { d = new DownstreamRptPrune(timers(g)); s.rpt.set(ifname, d); }
    return d;
  }

  /** §4.5.2: a PruneEcho is a Prune with ourselves as upstream neighbor. */
  function pruneEcho(ifname: string, grp: string, src: ReturnType<typeof starEntry>): void {
    const a = active.get(ifname);
    if (a?.proto.address) jp.queue(ifname, a.proto.address, grp, { kind: 'prune', source: src });
  }

  function assertOf(m: Map<string, AssertState>, ifname: string, g: GroupEntry, s: SourceEntry | undefined): AssertState {
    let a = m.get(ifname);
    if (!a) {
      a = new AssertState(ctx.clock, {
        sendAssert: (metric) => {
          const mm = metric === 'cancel' ? { ...INFINITE_METRIC } : { rpt: metric.rpt, preference: metric.preference, metric: metric.metric };
          send(ifname, ALL_PIM_ROUTERS, { type: 'assert', group: { addr: g.group, maskLen: 32 }, source: s?.source ?? '0.0.0.0', rpt: mm.rpt, metricPreference: mm.preference, metric: mm.metric });
        },
        changed: () => evaluate(g),
      });
      m.set(ifname, a);
    }
    return a;
  }

  // ---- upstream machines -------------------------------------------------------------------------
  const tOverride = (ifname: string) => Math.floor(random() * (active.get(ifname)?.hello.effectiveOverrideIntervalMs() ?? 2500));
  const tSuppressed = () => Math.floor((1.1 + 0.3 * random()) * tPeriodic());

  function sendStarJoin(g: GroupEntry, t: Target, rp: string): void {
    jp.queue(t.ifname, t.neighbor, g.group, { kind: 'join', source: starEntry(rp) });
    // §4.5.7: the Join(*,G) carries the Prune(S,G,rpt) of every Pruned source.
    for (const s of g.sources.values()) if (s.rptState === 'Pruned') jp.queue(t.ifname, t.neighbor, g.group, { kind: 'prune', source: sgRptEntry(s.source) });
  }

  function periodicStar(g: GroupEntry): void {
    const t = g.up.target;
    if (!t || !g.joinedRp) return;
    sendStarJoin(g, t, g.joinedRp);
    g.up.setTimer(tPeriodic());
  }

  function periodicSg(g: GroupEntry, s: SourceEntry): void {
    const t = s.up.target;
    if (!t) return;
    jp.queue(t.ifname, t.neighbor, g.group, { kind: 'join', source: sgEntry(s.source) });
    s.up.setTimer(tPeriodic());
  }

  function updateStarUpstream(g: GroupEntry): void {
    const rp = rpOf(g.group);
    const desired = rp !== undefined && !inSsm(g.group) && !ourAddresses().has(rp) && immediateStar(g).length > 0;
    const target = desired ? rpfPrime(rp, g.starAsserts) : null;
    const old = g.up.target;
    if (sameTarget(old, target) && g.joinedRp === rp) return;
    if (old && g.joinedRp) jp.queue(old.ifname, old.neighbor, g.group, { kind: 'prune', source: starEntry(g.joinedRp) });
    g.up.leave();
    g.joinedRp = undefined;
    if (target && rp) {
      g.up.target = target;
      g.joinedRp = rp;
      sendStarJoin(g, target, rp);
      g.up.setTimer(tPeriodic());
    }
  }

  /** §4.5.6 JoinDesired(S,G) as the RFC writes it (true at the first hop too, where RPF'(S,G) is NULL). */
  function wantsSg(g: GroupEntry, s: SourceEntry): boolean {
    return immediateSg(g, s).length > 0 || (s.keepaliveRunning && inheritedSg(g, s).length > 0);
  }
  /** Whether to send Join(S,G) upstream: never toward a directly connected source. */
  const joinDesiredSg = (g: GroupEntry, s: SourceEntry): boolean => !isDirectlyConnected(s) && wantsSg(g, s);

  /**
   * §4.2.2 Update_SPTbit(S,G,iif), for data seen on iif (until the keepalive ends); at the first hop
   * too, so that its Asserts carry the SPT metric.
   */
  function updateSptBit(g: GroupEntry, s: SourceEntry): void {
    const iif = sourceIif(s);
    if (s.sptBit || iif === undefined || !s.dataIfs.has(iif) || !wantsSg(g, s)) return;
    const rp = rpOf(g.group);
    if (isDirectlyConnected(s) || !rp || rpfInterface(s.source) !== rpfInterface(rp) || inheritedRpt(g, s).length === 0
      || (s.up.target && sameTarget(s.up.target, g.up.target))) {
      s.sptBit = true;
      s.sptSinceMs = s.dataIfs.get(iif);
      ctx.log.debug('pim SPT bit set', { source: s.source, group: g.group, iif });
    }
  }

  function updateSgUpstream(g: GroupEntry, s: SourceEntry): void {
    const target = joinDesiredSg(g, s) ? rpfPrime(s.source, s.asserts) : null;
    const old = s.up.target;
    if (sameTarget(old, target)) return;
    if (old) jp.queue(old.ifname, old.neighbor, g.group, { kind: 'prune', source: sgEntry(s.source) });
    s.up.leave();
    if (target) {
      s.up.target = target;
      jp.queue(target.ifname, target.neighbor, g.group, { kind: 'join', source: sgEntry(s.source) });
      s.up.setTimer(tPeriodic());
    }
  }

  /** §4.5.7: PruneDesired(S,G,rpt) = RPTJoinDesired(G) AND (inherited_olist(S,G,rpt) = ∅ OR (SPTbit AND RPF'(*,G) ≠ RPF'(S,G))). */
  function updateRptUpstream(g: GroupEntry, s: SourceEntry): void {
    const starTarget = g.up.target;
    let next: typeof s.rptState;
    if (!starTarget) next = 'RPTNotJoined';
    else {
      const pruneDesired = inheritedRpt(g, s).length === 0 || (s.sptBit && !sameTarget(starTarget, s.up.target));
      next = pruneDesired ? 'Pruned' : 'NotPruned';
    }
    const was = s.rptState;
    s.rptState = next;
    if (was === next || !starTarget) { if (!starTarget) cancelOverride(s); return; }
    if (next === 'Pruned') { cancelOverride(s); jp.queue(starTarget.ifname, starTarget.neighbor, g.group, { kind: 'prune', source: sgRptEntry(s.source) }); }
    else if (was === 'Pruned') jp.queue(starTarget.ifname, starTarget.neighbor, g.group, { kind: 'join', source: sgRptEntry(s.source) });
  }

  function cancelOverride(s: SourceEntry): void { s.overrideTimer?.cancel(); s.overrideTimer = undefined; s.overrideAtMs = undefined; }

  /** §4.5.7 NotPruned: a Prune(S,G,rpt) by another router is overridden by our Join(S,G,rpt) within t_override. */
  function scheduleRptOverride(g: GroupEntry, s: SourceEntry, ifname: string): void {
    const ms = tOverride(ifname);
    if (s.overrideAtMs !== undefined && s.overrideAtMs <= ctx.clock.now() + ms) return;
    s.overrideTimer?.cancel();
    s.overrideAtMs = ctx.clock.now() + ms;
    s.overrideTimer = ctx.clock.setTimer(ms, () => {
      cancelOverride(s);
      const t = g.up.target;
      if (s.rptState === 'NotPruned' && t) jp.queue(t.ifname, t.neighbor, g.group, { kind: 'join', source: sgRptEntry(s.source) });
    });
  }

  // ---- registers (DR side) ------------------------------------------------------------------------
  function updateRegister(g: GroupEntry, s: SourceEntry): void {
    const iif = sourceIif(s);
    const could = iif !== undefined && active.has(iif) && iAmDr(iif) && s.keepaliveRunning && isDirectlyConnected(s) && !iAmRp(g.group) && rpOf(g.group) !== undefined;
    if (!s.register && !could) return;
    if (could) rpfOf(rpOf(g.group)!); // Registers are unicast along the route to the RP: have it ready
    s.register ??= new RegisterState(ctx.clock, random, {
      tunnel: (up) => {
        deps.registerTunnel?.(s.source, g.group, up);
        ctx.emit({ type: 'pim-register', source: s.source, group: g.group, tunnel: up ? 'up' : 'down' });
        evaluate(g); // the (S,G) route carries the Register output while the tunnel is up
      },
      sendNullRegister: () => sendRegister(g.group, nullRegisterHeader(ipv4(s.source), ipv4(g.group)), true),
    });
    s.register.couldRegister(could);
  }

  function sendRegister(grp: string, packet: Uint8Array, nullRegister: boolean): boolean {
    const rp = rpOf(grp);
    const iif = rp && rpfInterface(rp);
    if (!rp || !iif) return false;
    const payload = encodePim({ type: 'register', border: false, nullRegister, packet, source: '', group: '' });
    counters.out('register');
    counters.register(nullRegister ? 'null' : 'sent');
    ctx.tx.send(iif, rp, PIM_PROTO, payload, { ttl: 64 });
    return true;
  }

  // ---- evaluation ----------------------------------------------------------------------------------
  let evaluating = false;
  const dirty = new Set<GroupEntry>();

  /** Re-run every macro of G and act on what changed; re-entrant calls are folded into the running one. */
  function evaluate(g: GroupEntry): void {
    dirty.add(g);
    if (evaluating || !running) return;
    evaluating = true;
    try {
      for (let guard = 0; dirty.size > 0 && guard < 16; guard++) {
        const batch = [...dirty];
        dirty.clear();
        for (const e of batch) evaluateOne(e);
      }
      dirty.clear();
    } finally { evaluating = false; }
    publishRoutes();
  }

  function evaluateOne(g: GroupEntry): void {
    updateStarUpstream(g);
    for (const s of g.sources.values()) {
      updateSptBit(g, s);
      updateSgUpstream(g, s);
      updateRptUpstream(g, s);
      updateRegister(g, s);
      for (const [ifname, a] of s.asserts) if (a.state === 'Winner' && !inheritedSg(g, s).some((o) => o.ifname === ifname)) a.stopForwarding();
      for (const [ifname, at] of s.seenOn) {
        if (ctx.clock.now() - at > SEEN_MS) s.seenOn.delete(ifname);
        else if ((s.asserts.get(ifname)?.state ?? 'NoInfo') === 'NoInfo') assertOnData(g, s, ifname);
      }
    }
    for (const [key, s] of g.sources) {
      if (!s.idle || includeSg(g.group, s.source).length > 0) continue;
      s.stop();
      g.sources.delete(key);
      forgetRpf(key);
    }
    if (g.idle && ![...(memberIfs.get(g.group) ?? [])].some((i) => members(i, g.group))) { g.stop(); groups.delete(g.group); }
  }

  function evaluateAll(): void { for (const g of [...groups.values()]) evaluate(g); }

  // ---- routes ----------------------------------------------------------------------------------------
  function computeRoutes(): LearnedRoute[] {
    const out: LearnedRoute[] = [];
    const up = new Set(ctx.interfaces().filter((i) => i.up).map((i) => i.name));
    const toOifs = (l: Oif[], iif: string | undefined) => l.filter((o) => o.ifname !== iif).map((o) => ({ interface: o.ifname, reason: o.reason, ...(o.expiresAtMs !== undefined ? { expiresAtMs: o.expiresAtMs } : {}) }));
    for (const g of groups.values()) {
      const starIif = g.up.target?.ifname;
      const star = immediateStar(g);
      const starOifs = starIif ? toOifs(star, starIif) : [];
      if (starIif && starOifs.length > 0) out.push({ origin: 'pim', group: g.group, iif: starIif, oifs: starOifs });
      for (const s of g.sources.values()) {
        const spt = s.sptBit || s.up.joined || isDirectlyConnected(s);
        const iif = spt ? sourceIif(s) : starIif;
        const list = spt ? inheritedSg(g, s) : inheritedRpt(g, s);
        const register = registerOf(g, s);
        // Our own re-originated stream: nothing to capture; where it is wanted besides its own interface
        // (downstream Joins, members), and its Register, ride on the static output.
        if (s.localIf) {
          const oifs = toOifs(inheritedSg(g, s), s.localIf);
          if (register || oifs.length > 0) out.push({ origin: 'pim', group: g.group, source: s.source, iif: s.localIf, oifs, exact: true, local: true, ...(register ? { register } : {}) });
          continue;
        }
        if (!iif || !up.has(iif)) continue;
        // A source on the shared tree with nothing pruned forwards like (*,G): no entry of its own needed.
        if (!spt && s.rptState !== 'Pruned' && [...s.rpt.values()].every((d) => !d.pruned)) continue;
        const oifs = toOifs(list, iif);
        // An empty SPT entry matters only where it overrides a (*,G) route or registers.
        if (spt && oifs.length === 0 && starOifs.length === 0 && !register) continue;
        out.push({ origin: 'pim', group: g.group, source: s.source, iif, oifs, exact: true, ...(register ? { register } : {}) });
        // §4.2: once the SPT bit is set, S's copies arriving down the shared tree are not forwarded.
        if (s.sptBit && starIif && starIif !== iif && starOifs.length > 0) out.push({ origin: 'pim', group: g.group, source: s.source, iif: starIif, oifs: [], exact: true });
      }
    }
    return out;
  }

  /** The Register output of (S,G) while its tunnel is up and the RP is reachable. */
  function registerOf(g: GroupEntry, s: SourceEntry): { rp: string; via: string } | undefined {
    const rp = rpOf(g.group);
    const via = rp && rpfInterface(rp);
    return s.register?.encapsulating && rp && via ? { rp, via } : undefined;
  }

  /** routesChanged() when the forwarding shape changed; one pim-route event per route added, changed or removed. */
  function publishRoutes(): void {
    const next = new Map<string, { iif: string | undefined; oifs: string[]; register: string | null }>();
    for (const r of computeRoutes()) {
      next.set(`${r.source ?? '*'} ${r.group} ${r.iif ?? ''}`, { iif: r.iif, oifs: r.oifs.map((o) => o.interface), register: r.register?.rp ?? null });
    }
    let changed = false;
    for (const [key, r] of next) {
      const was = lastRoutes.get(key);
      if (was && was.iif === r.iif && was.oifs.join() === r.oifs.join() && was.register === r.register) continue;
      changed = true;
      const [src, grp] = key.split(' ');
      ctx.emit({ type: 'pim-route', change: was ? 'update' : 'add', source: src, group: grp, iif: r.iif ?? null, oifs: r.oifs, ...(r.register ? { register: r.register } : {}) });
    }
    for (const key of lastRoutes.keys()) {
      if (next.has(key)) continue;
      changed = true;
      const [src, grp] = key.split(' ');
      ctx.emit({ type: 'pim-route', change: 'remove', source: src, group: grp });
    }
    lastRoutes = next;
    if (changed) ctx.routesChanged();
  }

  // ---- interfaces ------------------------------------------------------------------------------------
  function neighborChanged(ifname: string, n: Neighbor, change: NeighborChange): void {
    ctx.emit({ type: 'pim-neighbor', interface: ifname, neighbor: n.address, change, drPriority: n.drPriority ?? null, genId: n.genId ?? null });
    ctx.log.info(`pim neighbor ${change}`, { interface: ifname, neighbor: n.address });
    if (change === 'restart') {
      // §4.5.5/4.5.6: RPF' restarted, so it lost our state: re-send Joins within t_override.
      for (const g of groups.values()) {
        if (g.up.target?.ifname === ifname && g.up.target.neighbor === n.address) g.up.atMost(tOverride(ifname));
        for (const s of g.sources.values()) if (s.up.target?.ifname === ifname && s.up.target.neighbor === n.address) s.up.atMost(tOverride(ifname));
      }
    }
    evaluateAll();
  }

  function activate(name: string, s: PimInterfaceSettings, p: ProtoInterface): void {
    const genId = Math.floor(random() * 0x100000000) >>> 0;
    const hello = new HelloState(s, p.address!, genId, ctx.clock, random, {
      sendHello: (m) => send(name, ALL_PIM_ROUTERS, m),
      neighborChanged: (n, c) => neighborChanged(name, n, c),
      drChanged: (dr) => { ctx.emit({ type: 'pim-dr', interface: name, dr }); evaluateAll(); },
    });
    active.set(name, { settings: s, proto: p, hello });
    hello.start();
  }

  function deactivate(name: string, goodbye: boolean): void {
    const a = active.get(name);
    if (!a) return;
    active.delete(name);
    a.hello.stop(goodbye);
  }

  function syncInterfaces(): void {
    const present = new Map(ctx.interfaces().map((i) => [i.name, i]));
    for (const [name, a] of [...active]) {
      const p = present.get(name);
      const s = settings.get(name);
      if (!s || !p || !p.up || p.address !== a.proto.address) deactivate(name, !!p?.up && p.address === a.proto.address);
      else { a.proto = p; if (a.settings !== s) { a.settings = s; a.hello.update(s); } }
    }
    for (const [name, s] of settings) {
      const p = present.get(name);
      if (!active.has(name) && p?.up && p.address) activate(name, s, p);
    }
    evaluateAll();
  }

  // ---- receive -----------------------------------------------------------------------------------------
  function drop(reason: DropReason | ParseReason): void { counters.drop(reason); }

  function receiveJoinPrune(a: ActiveIf, ifname: string, m: JoinPruneMsg): void {
    const holdMs = m.holdtime * 1000;
    const mine = m.upstream === a.proto.address;
    const multiAccess = a.hello.neighbors.size > 1;
    const overrideMs = multiAccess ? a.hello.joinPruneOverrideMs() : 0;
    for (const jg of m.groups) {
      if (!(ipv4(jg.group.addr) >>> 28 === 0xe) || jg.group.maskLen !== 32) { drop('badGroup'); continue; }
      const g = group(jg.group.addr);
      // SSM groups have no shared tree: (*,G) and (S,G,rpt) entries for them are ignored (RFC 4607 §5).
      if (inSsm(g.group)) { jg.joins = jg.joins.filter((e) => !e.r && !e.w); jg.prunes = jg.prunes.filter((e) => !e.r && !e.w); }
      if (mine) {
        const starJoin = jg.joins.find((e) => e.w && e.r);
        if (starJoin) for (const s of g.sources.values()) s.rpt.get(ifname)?.joinWildcardSeen();
        for (const e of jg.joins) {
          if (e.w && e.r) {
            starDownstream(g, ifname).receiveJoin(holdMs);
            g.starAsserts.get(ifname)?.joinedHere();
          } else if (e.r) {
            source(g, e.addr).rpt.get(ifname)?.receiveJoinRpt();
          } else if (!e.w) {
            const s = source(g, e.addr);
            sgDownstream(g, s, ifname).receiveJoin(holdMs);
            s.asserts.get(ifname)?.joinedHere();
          }
        }
        for (const e of jg.prunes) {
          if (e.w && e.r) g.star.get(ifname)?.receivePrune(overrideMs, multiAccess);
          else if (e.r) rptDownstream(g, source(g, e.addr), ifname).receivePrune(holdMs, overrideMs);
          else if (!e.w) g.sources.get(e.addr)?.sg.get(ifname)?.receivePrune(overrideMs, multiAccess);
        }
        for (const s of g.sources.values()) s.rpt.get(ifname)?.endOfMessage();
      } else {
        // Another router's message to its upstream on this LAN: join suppression and prune override.
        const toSame = (t: Target | null) => t?.ifname === ifname && a.hello.neighborOf(m.upstream)?.address === t.neighbor;
        for (const e of jg.joins) {
          if (e.w && e.r && toSame(g.up.target)) g.up.atLeast(Math.min(tSuppressed(), holdMs));
          else if (!e.w && !e.r) { const s = g.sources.get(e.addr); if (s && toSame(s.up.target)) s.up.atLeast(Math.min(tSuppressed(), holdMs)); }
          else if (e.r && !e.w) { const s = g.sources.get(e.addr); if (s) cancelOverride(s); }
        }
        for (const e of jg.prunes) {
          if (e.w && e.r && toSame(g.up.target)) g.up.atMost(tOverride(ifname));
          else if (!e.w && !e.r) { const s = g.sources.get(e.addr); if (s && toSame(s.up.target)) s.up.atMost(tOverride(ifname)); }
          else if (e.r && !e.w) { const s = g.sources.get(e.addr); if (s && s.rptState === 'NotPruned' && toSame(g.up.target)) scheduleRptOverride(g, s, ifname); }
        }
      }
      evaluate(g);
    }
  }

  function myAssertMetric(addr: string, rpt: boolean, ifname: string): AssertMetric {
    const r = rpfOf(addr);
    const me = active.get(ifname)?.proto.address ?? '0.0.0.0';
    if (!r) return { ...INFINITE_METRIC, address: me };
    return { rpt, preference: r.metricPreference ?? 0, metric: r.metric ?? 0, address: me };
  }

  function receiveAssert(ifname: string, src: string, m: Extract<PimMessage, { type: 'assert' }>): void {
    const g = group(m.group.addr);
    const theirs: AssertMetric = { rpt: m.rpt, preference: m.metricPreference, metric: m.metric, address: src };
    if (m.source === '0.0.0.0') {
      const could = immediateStar(g).some((o) => o.ifname === ifname);
      const rp = rpOf(g.group);
      assertOf(g.starAsserts, ifname, g, undefined).receive(theirs, could && rp ? () => myAssertMetric(rp, true, ifname) : undefined);
    } else {
      const s = source(g, m.source);
      const could = inheritedSg(g, s).some((o) => o.ifname === ifname) && sourceIif(s) !== ifname;
      const spt = s.sptBit;
      const target = spt ? m.source : rpOf(g.group);
      assertOf(s.asserts, ifname, g, s).receive(theirs, could && target ? () => myAssertMetric(target, !spt, ifname) : undefined);
    }
    evaluate(g);
  }

  function receiveRegister(ifname: string, pkt: RxPacket, m: RegisterMsg): void {
    const stop = () => {
      counters.registerStopSent();
      send(rpfInterface(pkt.src) ?? ifname, pkt.src, { type: 'register-stop', group: { addr: m.group, maskLen: 32 }, source: m.source }, 64);
    };
    if (!(ipv4(m.group) >>> 28 === 0xe)) { drop('badGroup'); return; }
    if (rpOf(m.group) !== pkt.dst || !ourAddresses().has(pkt.dst)) { stop(); return; }
    const g = group(m.group);
    const s = source(g, m.source);
    // Only the first Register of a flow (or the first after its keepalive ended) changes the state
    // (§4.5: the KeepAlive timer starts, so JoinDesired(S,G)); re-evaluating on every one costs the RP
    // its whole Register rate in JavaScript.
    const starts = !s.keepaliveRunning;
    // §4.4.2, with SwitchToSptDesired always true at the RP: stop Registers once native data flows or nobody wants it.
    let sentStop = false;
    if (s.sptBit || inheritedSg(g, s).length === 0) { stop(); sentStop = true; }
    s.restartKeepalive(sentStop ? RP_KEEPALIVE_MS : KEEPALIVE_MS);
    // A Register that reached us before native data was first forwarded carries a datagram whose
    // native copy no route took: forwarded still, though it is handled after the SPT bit was set.
    const beforeSpt = !s.sptBit || (pkt.rxAtMs !== undefined && s.sptSinceMs !== undefined && pkt.rxAtMs < s.sptSinceMs);
    if (beforeSpt && !m.nullRegister) {
      const oifs = inheritedRpt(g, s).map((o) => o.ifname);
      if (oifs.length > 0) { counters.decapsulated(); deps.forwardDecapsulated?.(m.packet, oifs); }
    }
    if (starts) evaluate(g);
  }

  function receiveRegisterStop(m: Extract<PimMessage, { type: 'register-stop' }>): void {
    const g = groups.get(m.group.addr);
    if (!g) return;
    for (const s of g.sources.values()) {
      if ((m.source === '0.0.0.0' || m.source === s.source) && s.register) { counters.register('stopped'); s.register.registerStop(); }
    }
    evaluate(g);
  }

  /** RFC 5059 §3.2: accept from the RPF neighbor toward the BSR, then forward out of the other interfaces. */
  function receiveBootstrap(ifname: string, pkt: RxPacket, m: BootstrapMsg): void {
    const bsr = m.bsrAddress;
    deps.rpf(bsr).then((r) => r, () => null).then((r) => {
      if (!running) return;
      const fromRpf = pkt.dst !== ALL_PIM_ROUTERS || (r?.interface === ifname && (active.get(ifname)?.hello.neighborOf(r.neighbor)?.address === pkt.src || r.neighbor === pkt.src));
      if (!fromRpf) { drop('bootstrapNotFromRpf'); return; }
      if (!rpMap.acceptBootstrap(m)) { drop('bootstrapNotPreferred'); return; }
      if (m.noForward || pkt.dst !== ALL_PIM_ROUTERS) return;
      for (const [name, a] of active) if (name !== ifname && a.hello.neighbors.size > 0) sendRaw(name, 'bootstrap', pkt.payload);
    });
  }

  function receive(pkt: RxPacket): void {
    if (pkt.ipProto !== PIM_PROTO) return;
    const a = active.get(pkt.ifname);
    if (!a) { drop('notPimInterface'); return; }
    const r = decodePim(pkt.payload);
    if (!r.ok) { drop(r.reason); return; }
    const m = r.msg;
    counters.in(m.type);
    if (ourAddresses().has(pkt.src)) { drop('ownMessage'); return; }
    const linkLocal = m.type === 'hello' || m.type === 'join-prune' || m.type === 'assert';
    if (linkLocal && pkt.dst !== ALL_PIM_ROUTERS) { drop('badDestination'); return; }
    switch (m.type) {
      case 'hello': a.hello.receive(pkt.src, m); return;
      case 'join-prune':
        if (!a.hello.neighborOf(pkt.src)) { drop('notNeighbor'); return; }
        receiveJoinPrune(a, pkt.ifname, m); return;
      case 'assert':
        if (!a.hello.neighborOf(pkt.src)) { drop('notNeighbor'); return; }
        receiveAssert(pkt.ifname, pkt.src, m); return;
      case 'register':
        if (!ourAddresses().has(pkt.dst)) { drop('badDestination'); return; }
        receiveRegister(pkt.ifname, pkt, m); return;
      case 'register-stop':
        if (!ourAddresses().has(pkt.dst)) { drop('badDestination'); return; }
        receiveRegisterStop(m); return;
      case 'bootstrap':
        if (pkt.dst !== ALL_PIM_ROUTERS && !ourAddresses().has(pkt.dst)) { drop('badDestination'); return; }
        receiveBootstrap(pkt.ifname, pkt, m); return;
    }
  }

  // ---- data events ---------------------------------------------------------------------------------------
  /** The engine reports a flow every 20 s while it flows: data seen within this is taken as still arriving. */
  const SEEN_MS = 25_000;

  /** §4.6: data of (S,G) on one of our outgoing interfaces means another router forwards it onto that LAN too. */
  function assertOnData(g: GroupEntry, s: SourceEntry, ifname: string): void {
    if (ifname === sourceIif(s) || !active.has(ifname) || !inheritedSg(g, s).some((o) => o.ifname === ifname)) return;
    const spt = s.sptBit;
    const target = spt ? s.source : rpOf(g.group);
    if (target) assertOf(s.asserts, ifname, g, s).dataOnOif(() => myAssertMetric(target, !spt, ifname));
  }

  function dataArrived(ifname: string, src: string, grp: string, opts?: { local?: boolean; unrouted?: boolean; atMs?: number }): void {
    if (!running || !(ipv4(grp) >>> 28 === 0xe)) return;
    // The first packet of a flow usually comes before its RPF is known: handle it once it is.
    if (!opts?.local && !rpfCache.has(src)) { resolve(src, () => dataArrived(ifname, src, grp, opts)); return; }
    const g = group(grp);
    const s = source(g, src);
    if (opts?.local) s.localIf = ifname;
    const iif = sourceIif(s);
    const connected = isDirectlyConnected(s);
    const local = includeStar(grp).filter((o) => !excludeSg(grp, src).has(o.ifname)).length + includeSg(grp, src).length > 0;
    // First hop (§4.4.1 KeepAlive on data from a connected source) and CheckSwitchToSpt (§4.2.1) at the last hop.
    if ((connected && ifname === iif) || (cfg.sptSwitchover === 'immediate' && local)) s.restartKeepalive(KEEPALIVE_MS);
    // §4.2.2 sets the SPT bit on data the (S,G) entry forwards, not on a datagram dropped because its
    // route was not installed yet: the engine reports the flow again once a route takes it.
    if (!opts?.unrouted && !s.dataIfs.has(ifname)) s.dataIfs.set(ifname, opts?.atMs);
    updateSptBit(g, s);
    if (s.sptBit && ifname === iif) s.restartKeepalive(KEEPALIVE_MS);
    s.seenOn.set(ifname, ctx.clock.now());
    assertOnData(g, s, ifname);
    evaluate(g);
  }

  function registerData(packet: Uint8Array): boolean {
    if (packet.length < 20 || packet[0]! >> 4 !== 4) return false;
    const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    const src = [12, 13, 14, 15].map((i) => v.getUint8(i)).join('.');
    const grp = [16, 17, 18, 19].map((i) => v.getUint8(i)).join('.');
    const s = groups.get(grp)?.sources.get(src);
    if (!s?.register?.encapsulating) return false;
    return sendRegister(grp, packet, false);
  }

  // ---- views -----------------------------------------------------------------------------------------------
  function view(name: string): unknown {
    switch (name) {
      case 'interfaces':
        return [...active].map(([n, a]) => ({
          interface: n, address: a.proto.address, dr: a.hello.designatedRouter, isDr: a.hello.isDr, drPriority: a.hello.drPriority,
          genId: a.hello.genId, helloPeriodMs: a.hello.helloPeriodMs, neighbors: a.hello.neighbors.size,
        }));
      case 'neighbors':
        return [...active].flatMap(([n, a]) => [...a.hello.neighbors.values()].map((nb) => ({
          interface: n, address: nb.address, upSinceMs: nb.upSinceMs, expiresAtMs: nb.expiresAtMs ?? null, holdtime: nb.holdtimeS,
          drPriority: nb.drPriority ?? null, genId: nb.genId ?? null, dr: a.hello.designatedRouter === nb.address, secondary: nb.secondary,
          lanPruneDelay: nb.lanPruneDelay ?? null,
        })));
      case 'rp': return rpMap.view();
      case 'join':
        return [...groups.values()].flatMap((g) => [
          ...[...g.star].filter(([, d]) => d.joined).map(([i, d]) => ({ interface: i, source: '*', group: g.group, state: d.state, expiresAtMs: d.expiresAtMs ?? null, prunePendingAtMs: d.prunePendingAtMs ?? null })),
          ...[...g.sources.values()].flatMap((s) => [
            ...[...s.sg].filter(([, d]) => d.joined).map(([i, d]) => ({ interface: i, source: s.source, group: g.group, state: d.state, expiresAtMs: d.expiresAtMs ?? null, prunePendingAtMs: d.prunePendingAtMs ?? null })),
            ...[...s.rpt].filter(([, d]) => d.state !== 'NoInfo').map(([i, d]) => ({ interface: i, source: s.source, group: g.group, rpt: true, state: d.state, expiresAtMs: d.expiresAtMs ?? null })),
          ]),
        ]);
      case 'state':
        return [...groups.values()].flatMap((g) => {
          const rp = rpOf(g.group);
          const target = (t: Target | null) => ({ rpfInterface: t?.ifname ?? null, rpfNeighbor: t?.neighbor ?? null });
          return [
            { source: '*', group: g.group, rp: rp ?? null, state: g.up.joined ? 'Joined' : 'NotJoined', ...target(g.up.target), joinTimerAtMs: g.up.joinTimerAtMs ?? null, oil: immediateStar(g).map((o) => o.ifname) },
            ...[...g.sources.values()].flatMap((s) => [
              { source: s.source, group: g.group, state: s.up.joined ? 'Joined' : 'NotJoined', ...target(s.up.target), joinTimerAtMs: s.up.joinTimerAtMs ?? null, keepaliveAtMs: s.keepaliveAtMs ?? null, sptBit: s.sptBit, register: s.register?.state ?? 'NoInfo', registerStopAtMs: s.register?.stopTimerAtMs ?? null, oil: inheritedSg(g, s).map((o) => o.ifname) },
              { source: s.source, group: g.group, rpt: true, state: s.rptState, overrideAtMs: s.overrideAtMs ?? null, oil: inheritedRpt(g, s).map((o) => o.ifname) },
            ]),
          ];
        });
      case 'assert':
        return [...groups.values()].flatMap((g) => [
          ...[...g.starAsserts].map(([i, a]) => ({ interface: i, source: '*', group: g.group, state: a.state, winner: a.winner?.address ?? null, timerAtMs: a.timerAtMs ?? null })),
          ...[...g.sources.values()].flatMap((s) => [...s.asserts].map(([i, a]) => ({ interface: i, source: s.source, group: g.group, state: a.state, winner: a.winner?.address ?? null, timerAtMs: a.timerAtMs ?? null }))),
        ]).filter((x) => x.state !== 'NoInfo');
      default: return undefined;
    }
  }

  function setIfSettings(name: string, s: PimInterfaceSettings | undefined): void {
    if (s) settings.set(name, s); else settings.delete(name);
    if (running) syncInterfaces();
  }

  return {
    name: 'pim',
    ipProtos: [PIM_PROTO],
    start(c) {
      ctx = c;
      running = true;
      rpMap = new RpMap(cfg.staticRp, c.clock, () => evaluateAll());
      jp = new JoinPruneSender(holdtimeS, (ifname, payload) => sendRaw(ifname, 'join-prune', payload));
      deps.igmp?.onMembershipChange?.((i, g) => this.membershipChanged(i, g));
      if (cfg.enabled) syncInterfaces();
    },
    receive(pkt) { if (running && cfg.enabled) receive(pkt); },
    interfacesChanged() { if (running && cfg.enabled) syncInterfaces(); },
    routes: () => (running ? computeRoutes() : []),
    view,
    metrics: () => counters.metrics([...active].map(([n, a]) => ({ interface: n, neighbors: a.hello.neighbors.size }))),
    stop() {
      for (const name of [...active.keys()]) deactivate(name, true);
      for (const g of groups.values()) g.stop();
      groups.clear();
      rpMap?.stop();
      jp?.flush();
      jp?.stop();
      running = false;
    },
    membershipChanged(ifname, grp) {
      if (!running || parseIpv4Group(grp) === undefined) return;
      let set = memberIfs.get(grp);
      if (!set) { set = new Set(); memberIfs.set(grp, set); }
      const m = members(ifname, grp);
      if (m) set.add(ifname); else set.delete(ifname);
      const g = group(grp);
      // pim_include(S,G) needs an (S,G) entry for every INCLUDE source, data or not.
      if (m?.mode === 'include') for (const src of m.sources) source(g, src);
      if (set.size === 0) memberIfs.delete(grp);
      evaluate(g);
    },
    dataArrived,
    rpfChanged() { for (const addr of [...rpfCache.keys()]) resolve(addr); },
    registerData,
    registerState: (s, g) => groups.get(g)?.sources.get(s)?.register?.state ?? 'NoInfo',
    enableInterface(name, opts) {
      const period = opts?.helloPeriod ?? (settings.get(name)?.helloPeriodMs ?? 30_000) / 1000;
      setIfSettings(name, {
        name, drPriority: opts?.drPriority ?? settings.get(name)?.drPriority ?? 1, helloPeriodMs: period * 1000,
        helloHoldtimeS: Math.min(65535, Math.round(config.hello_holdtime ?? period * 3.5)),
      });
    },
    disableInterface(name) { setIfSettings(name, undefined); },
    setRp(range, rp) {
      const p = parsePrefix(range);
      if (!p) throw new TypeError(`group range ${JSON.stringify(range)}: expected G/LEN like 239.0.0.0/8 with no host bits`);
      rpMap.setStatic(p, rp);
    },
  };
}

function parseIpv4Group(g: string): number | undefined {
  try { const n = ipv4(g); return n >>> 28 === 0xe ? n : undefined; } catch { return undefined; }
}
