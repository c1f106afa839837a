/**
 * The checks of the protocol parts of a scenario (called from verify.ts): the router role's
 * interfaces and streams, FRR hosts' configuration (interfaces it names exist on that host; FRR's own
 * `vtysh --dryrun` syntax check where vtysh is installed), membership tests (receivers, relays that
 * route), and what the machine must offer to run them (verifyProtocolEnvironment).
 * Covered by verify-protocols.test.ts.
 */
import { existsSync } from 'node:fs';
import { frrMissing, frrSyntaxProblems } from '../runners/frr-daemons.js';
import { kernelMroutingMissing } from '../runners/mroute.js';
import { nativeBinary } from '../traffic/binaries.js';
import type { ScenarioProblem } from './errors.js';
import { formatPath } from './errors.js';
import { isRouter } from './resolve-protocols.js';
import type { ResolvedScenario } from './resolve.js';

type Locate = (path: ReadonlyArray<PropertyKey>) => { line: number; column: number } | undefined;
type Add = (path: PropertyKey[], message: string, severity?: 'error' | 'warning', lineOffset?: number) => void;


export function verifyProtocols(s: ResolvedScenario, ifaces: Map<string, Set<string>>, locate: Locate = () => undefined): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const add: Add = (path, message, severity = 'error', lineOffset = 0) => {
    // A defaulted key is not in the file: point at the nearest key that is.
    let at: ReturnType<Locate>;
    for (let n = path.length; n > 0 && !at; n--) at = locate(path.slice(0, n));
    problems.push({ path: formatPath(path), message, severity, ...(at ? { line: at.line + lineOffset, column: at.column } : {}) });
  };
  verifyRouter(s, ifaces, add);
  verifyFrrHosts(s, ifaces, add);
  verifyMembership(s, ifaces, add);
  return problems;
}

function verifyRouter(s: ResolvedScenario, ifaces: Map<string, Set<string>>, add: Add): void {
  const r = s.router;
  if (!r) {
    if (s.relays.includes('frr')) add(['relays'], 'relay frr needs relay.router (the role FRR plays: igmp and/or pim); FRR has no static rules');
    return;
  }
  const own = ifaces.get(s.relayHost) ?? new Set<string>();
  const check = (path: PropertyKey[], ifname: string) => {
    if (!own.has(ifname)) add(path, `relay host "${s.relayHost}" has no interface "${ifname}" (it has: ${[...own].join(', ')})`);
  };
  r.igmp?.interfaces.forEach((i, n) => check(['relay', 'router', 'igmp', 'interfaces', n], i));
  r.pim?.interfaces.forEach((i, n) => check(['relay', 'router', 'pim', 'interfaces', n], i));
  r.sources.forEach((i, n) => check(['relay', 'router', 'sources', n], i));
  if (r.igmp && !r.pim && r.sources.length === 0) add(['relay', 'router', 'sources'], 'an IGMP-only router needs the interfaces its sources arrive on (sources: [in0])');
  r.originate.forEach((o, n) => {
    if (!s.streams.some((st) => st.name === o.stream)) add(['relay', 'router', 'originate', n, 'stream'], `unknown stream "${o.stream}" (known: ${s.streams.map((st) => st.name).join(', ')})`);
    if (!r.pim?.interfaces.includes(o.interface)) add(['relay', 'router', 'originate', n, 'interface'], `${o.interface} is not a PIM interface of the router (pim.interfaces)`);
  });
  // A router forwards a group unchanged: outputs that rename it describe a relay, not a router.
  s.streams.forEach((st, i) => st.outputs.forEach((o, j) => {
    if (o.group !== st.group || o.port !== st.port) {
      add(['streams', i, 'outputs', j], `with relay.router, outputs receive the stream unchanged: use group ${st.group} and port ${st.port}`);
    }
  }));
}

function verifyFrrHosts(s: ResolvedScenario, ifaces: Map<string, Set<string>>, add: Add): void {
  for (const h of s.hosts) {
    if (!h.frr) continue;
    if (h.name === s.relayHost) add(['hosts', h.name, 'frr'], 'the relay host runs the router under test; put FRR routers on other hosts (relay frr is FRR in the relay role)');
    for (const daemon of ['zebra', 'staticd', 'pimd'] as const) {
      const text = h.frr[daemon];
      if (text === undefined) continue;
      const path = ['hosts', h.name, 'frr', daemon];
      text.split('\n').forEach((line, n) => {
        const m = /^interface (\S+)/.exec(line);
        if (m && !ifaces.get(h.name)?.has(m[1]!)) {
          add(path, `line ${n + 1}: host "${h.name}" has no interface "${m[1]}" (it has: ${[...(ifaces.get(h.name) ?? [])].join(', ')})`, 'error', n + 1);
        }
      });
      for (const p of frrSyntaxProblems(text)) {
        const line = Number(/^line (\d+):/.exec(p)?.[1] ?? 0);
        add(path, `FRR rejects it: ${p}`, 'error', line);
      }
    }
  }
}

function verifyMembership(s: ResolvedScenario, ifaces: Map<string, Set<string>>, add: Add): void {
  const outputs = s.streams.flatMap((st) => st.outputs.map((o) => ({ st, o })));
  s.tests.forEach((t, i) => {
    if (t.kind !== 'membership') return;
    const others = s.relays.filter((r) => !isRouter(r));
    if (others.length > 0) add(['relays'], `membership test "${t.name}" needs routers that follow IGMP (mcrd, frr); ${others.join(', ')} ${others.length === 1 ? 'forwards' : 'forward'} regardless of receivers`);
    if (!s.router) add(['tests', i], `membership test "${t.name}" needs relay.router (the role of the routers under test)`);
    const names = t.receivers ?? outputs.map((x) => x.o.name);
    t.receivers?.forEach((n, j) => {
      if (!outputs.some((x) => x.o.name === n)) add(['tests', i, 'receivers', j], `unknown output "${n}" (known: ${outputs.map((x) => x.o.name).join(', ')})`);
    });
    // Two members of one group on one LAN keep it flowing for each other: neither leave would end.
    const seen = new Map<string, string>();
    for (const { st, o } of outputs.filter((x) => names.includes(x.o.name))) {
      const key = `${o.interface} ${st.group}`;
      const prev = seen.get(key);
      if (prev) add(['tests', i, 'receivers'], `receivers "${prev}" and "${o.name}" share ${o.interface} and group ${st.group}: each keeps the other's stream flowing, so leave delays are meaningless`);
      seen.set(key, o.name);
    }
    if (t.quietMs * t.ratePps < 5000) add(['tests', i, 'quietS'], `quietS ${t.quietMs / 1000} s is under 5 frame intervals at ${t.ratePps} pps: a leave may look complete between two frames`, 'warning');
    s.thresholds.forEach((th, n) => {
      if (th.test === t.name) add(['thresholds', n, 'test'], `thresholds do not apply to membership test "${t.name}" (its delays are reported, not judged)`);
    });
    for (const side of ['spt', 'rpt'] as const) {
      const ifname = t.convergence?.[side];
      if (ifname && !ifaces.get(s.relayHost)?.has(ifname)) add(['tests', i, 'convergence', side], `relay host "${s.relayHost}" has no interface "${ifname}"`);
    }
  });
}

/**
 * What running the protocol parts needs from this machine. `forwarding`: a run that measures (FRR
 * routers must forward, so the kernel needs multicast routing); `up` leaves that out, since FRR's
 * control plane (PIM adjacencies, joins) works without it.
 */
export function verifyProtocolEnvironment(s: ResolvedScenario, opts: { forwarding: boolean }): string[] {
  const out: string[] = [];
  const member = nativeBinary('mcr-member');
  if (opts.forwarding && s.tests.some((t) => t.kind === 'membership') && !existsSync(member)) {
    out.push(`mcr-member not built (no ${member}): npm install, or npm run install`);
  }
  const hosts = s.hosts.filter((h) => h.frr).map((h) => h.name);
  if (hosts.length === 0) return out;
  const missing = frrMissing() ?? (opts.forwarding && s.hosts.some((h) => h.frr?.pimd) ? kernelMroutingMissing() : undefined);
  return missing ? [...out, `FRR routers ${hosts.join(', ')}: ${missing}`] : out;
}
