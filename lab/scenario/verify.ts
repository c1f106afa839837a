/**
 * Checks that need the whole scenario (the schema sees one field at a time): references to hosts,
 * bridges, interfaces and tests; duplicate names and addresses; interface names over IFNAMSIZ; and,
 * separately, what the machine must have (root, binaries). Runs before anything is created, and is
 * where `mcr-lab validate` stops. Covered by verify.test.ts.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ScenarioProblem } from './errors.js';
import { formatPath } from './errors.js';
import type { ResolvedScenario } from './resolve.js';
import type { RelayName } from '../results/types.js';
import { nativeBinary } from '../traffic/binaries.js';
import { onlineCpus, placementProblems, planPlacement } from '../run/placement.js';
import { verifyProtocolEnvironment, verifyProtocols } from './verify-protocols.js';

export const IFNAMSIZ_MAX = 15;
type Locate = (path: ReadonlyArray<PropertyKey>) => { line: number; column: number } | undefined;

/** Static checks of a resolved scenario; returns every problem found (empty = fine). */
export function verifyScenario(s: ResolvedScenario, locate: Locate = () => undefined): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const add = (path: PropertyKey[], message: string, severity: 'error' | 'warning' = 'error') =>
    problems.push({ path: formatPath(path), message, severity, ...(locate(path) ?? {}) });

  const hosts = new Set(s.hosts.map((h) => h.name));
  s.hosts.forEach((h) => {
    if (h.sysctls.mc_forwarding !== undefined) {
      add(['hosts', h.name, 'sysctls', 'mc_forwarding'], 'mc_forwarding is read-only: the kernel sets it while a multicast routing socket is open (the kernel relay\'s smcrouted does); remove it');
    }
  });
  const bridges = new Set<string>();
  s.bridges.forEach((b, i) => {
    if (bridges.has(b)) add(['bridges', i], `duplicate bridge "${b}"`);
    if (b.length > IFNAMSIZ_MAX) add(['bridges', i], `bridge name "${b}" is longer than ${IFNAMSIZ_MAX} characters (IFNAMSIZ)`);
    bridges.add(b);
  });
  if (!hosts.has(s.relayHost)) add(['relay', 'host'], unknown('host', s.relayHost, hosts));

  // Interfaces per host (the switch namespace counts as host "" holding bridges and their ports).
  const ifaces = new Map<string, Set<string>>([...hosts].map((h) => [h, new Set<string>()]));
  const addresses = new Map<string, string>();
  const usedBridges = new Set<string>();
  for (const l of s.links) {
    const ends = [['a', l.a], ['b', l.b]] as const;
    for (const [side, end] of ends) {
      const path = ['links', l.index, side];
      if ('bridge' in end) {
        usedBridges.add(end.bridge);
        if (!bridges.has(end.bridge)) add([...path, 'bridge'], unknown('bridge', end.bridge, bridges));
        if (end.interface.length > IFNAMSIZ_MAX) {
          add([...path, 'bridge'], `bridge port name "${end.interface}" is longer than ${IFNAMSIZ_MAX} characters; use a shorter bridge name`);
        }
        continue;
      }
      const set = ifaces.get(end.host);
      if (!set) { add([...path, 'host'], unknown('host', end.host, hosts)); continue; }
      if (set.has(end.interface)) add([...path, 'interface'], `interface "${end.interface}" already exists on host "${end.host}"`);
      set.add(end.interface);
      if (end.address) {
        const ip = end.address.split('/')[0]!;
        const other = addresses.get(ip);
        if (other) add([...path, 'address'], `address ${ip} is already used by ${other}`);
        else addresses.set(ip, `${end.host}:${end.interface}`);
      }
    }
    if (l.netem?.jitter && !l.netem.delay) add(['links', l.index, 'netem', 'jitter'], 'jitter needs a delay');
  }
  s.bridges.forEach((b, i) => { if (!usedBridges.has(b)) add(['bridges', i], `bridge "${b}" has no links`, 'warning'); });
  problems.push(...verifyProtocols(s, ifaces, locate));

  const hasIface = (host: string, ifname: string) => ifaces.get(host)?.has(ifname) ?? false;
  const hasAddress = (host: string, ifname: string) =>
    s.links.some((l) => [l.a, l.b].some((e) => 'host' in e && e.host === host && e.interface === ifname && e.address));
  const streamNames = new Set<string>();
  const outputNames = new Set<string>();
  s.streams.forEach((st, i) => {
    const p = ['streams', i];
    if (streamNames.has(st.name)) add([...p, 'name'], `duplicate stream name "${st.name}"`);
    streamNames.add(st.name);
    if (!hosts.has(st.source.host)) add([...p, 'source', 'host'], unknown('host', st.source.host, hosts));
    else if (!hasIface(st.source.host, st.source.interface)) add([...p, 'source', 'interface'], noIface(st.source.host, st.source.interface, ifaces));
    else if (!hasAddress(st.source.host, st.source.interface)) add([...p, 'source', 'interface'], `generator interface ${st.source.host}:${st.source.interface} needs an address`);
    if (!hasIface(s.relayHost, st.input)) add([...p, 'input'], noIface(s.relayHost, st.input, ifaces));
    if (st.outputs.length === 0) add([...p], 'stream has no outputs: add `outputs` or `fanout`');
    st.outputs.forEach((o, j) => {
      const op = j < st.explicitOutputs ? [...p, 'outputs', j] : [...p, 'fanout'];
      if (outputNames.has(o.name)) add([...op, 'name'], `duplicate output name "${o.name}"`);
      outputNames.add(o.name);
      if (!hasIface(s.relayHost, o.interface)) add([...op, 'interface'], noIface(s.relayHost, o.interface, ifaces));
      else if (!hasAddress(s.relayHost, o.interface)) add([...op, 'interface'], `relay output interface ${o.interface} needs an address (socat binds to it)`);
      if (!hosts.has(o.sink.host)) add([...op, 'sink', 'host'], unknown('host', o.sink.host, hosts));
      else if (!hasIface(o.sink.host, o.sink.interface)) add([...op, 'sink', 'interface'], noIface(o.sink.host, o.sink.interface, ifaces));
      if (o.sink.host === s.relayHost) add([...op, 'sink', 'host'], 'the sink must not run on the relay host (it would see the relay\'s own loopback copies)');
    });
  });
  const dups = new Map<string, string>();
  for (const st of s.streams) {
    for (const o of st.outputs) {
      const key = `${o.sink.host} ${o.group}:${o.port}`;
      const prev = dups.get(key);
      if (prev) add(['streams'], `outputs "${prev}" and "${o.name}" both deliver ${o.group}:${o.port} to host ${o.sink.host}; the sink cannot tell them apart`);
      dups.set(key, o.name);
    }
  }

  const tests = new Map(s.tests.map((t) => [t.name, t]));
  if (tests.size !== s.tests.length) add(['tests'], 'test names must be unique');
  s.tests.forEach((t, i) => {
    if (t.kind === 'throughput' && t.minPps >= t.maxPps) add(['tests', i, 'maxPps'], `maxPps (${t.maxPps}) must be above minPps (${t.minPps})`);
    if (t.kind === 'latency') {
      if ((t.ratePps === undefined) === (t.loadFraction === undefined)) add(['tests', i], 'latency test needs exactly one of ratePps or loadFraction');
      if (t.loadFraction !== undefined) {
        const ref = t.throughputTest ?? s.tests.find((x) => x.kind === 'throughput')?.name;
        const idx = s.tests.findIndex((x) => x.name === ref);
        if (!ref || s.tests[idx]?.kind !== 'throughput') add(['tests', i, 'loadFraction'], 'loadFraction needs a throughput test (none found)');
        else if (idx > i) add(['tests', i, 'throughputTest'], `throughput test "${ref}" must come before this latency test`);
      }
    }
  });
  s.thresholds.forEach((th, i) => {
    const t = tests.get(th.test);
    if (!t) add(['thresholds', i, 'test'], unknown('test', th.test, tests.keys()));
    for (const key of ['relay', 'ratioTo'] as const) {
      const r = th[key];
      if (r && !s.relays.includes(r)) add(['thresholds', i, key], `relay "${r}" is not in relays (${s.relays.join(', ')})`, 'warning');
    }
    const forms = [th.max !== undefined, th.min !== undefined, th.op !== undefined || th.value !== undefined].filter(Boolean).length;
    if (forms !== 1 || (th.op === undefined) !== (th.value === undefined)) add(['thresholds', i], 'give exactly one of max, min, or op with value');
    if (t && (th.metric === 'throughputPps') !== (t.kind === 'throughput')) {
      add(['thresholds', i, 'metric'], `metric ${th.metric} does not apply to ${t.kind} test "${t.name}"`);
    }
  });
  return problems;
}

function unknown(kind: string, name: string, known: Iterable<string>): string {
  const list = [...known];
  return `unknown ${kind} "${name}"${list.length ? ` (known: ${list.join(', ')})` : ''}`;
}

function noIface(host: string, ifname: string, ifaces: Map<string, Set<string>>): string {
  const list = [...(ifaces.get(host) ?? [])];
  return `host "${host}" has no interface "${ifname}"${list.length ? ` (it has: ${list.join(', ')})` : ''}`;
}

/** Where `name` is found on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    const full = join(dir, name);
    try { accessSync(full, constants.X_OK); return full; } catch { /* keep looking */ }
  }
  return undefined;
}

/** What running the scenario needs from this machine: root and the binaries of the chosen relays. */
export function verifyEnvironment(s: ResolvedScenario, relays: RelayName[], projectRoot: string, opts: { traffic?: boolean } = {}): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const need = (ok: boolean, message: string) => { if (!ok) problems.push({ path: '', message, severity: 'error' }); };
  need(process.getuid?.() === 0, 'mcr-lab needs root (network namespaces, veth, tc): run with sudo');
  need(which('ip') !== undefined, 'iproute2 `ip` not found: apt-get install iproute2');
  if (s.links.some((l) => l.netem)) need(which('tc') !== undefined, '`tc` not found (needed for netem): apt-get install iproute2');
  for (const tool of opts.traffic === false ? [] : ['mcr-gen', 'mcr-sink'] as const) {
    const path = nativeBinary(tool);
    need(exists(path), `${tool} not built (no ${path}): npm install, or npm run install`);
  }
  if (relays.includes('socat')) need(which('socat') !== undefined, 'socat not found: apt-get install socat');
  for (const m of verifyProtocolEnvironment(s, { forwarding: opts.traffic !== false })) need(false, m);
  if (relays.includes('kernel')) need(which('smcrouted') !== undefined && which('smcroutectl') !== undefined, 'smcroute not found (kernel relay): apt-get install smcroute');
  // Placement is planned against this machine's CPUs: a CPU that is not online is an error here, not in validate.
  const online = onlineCpus();
  const workers = s.mcrd.workers !== undefined ? { mcrdWorkers: s.mcrd.workers } : {};
  for (const p of placementProblems(planPlacement(s.cpus, online, workers), online, workers)) {
    if (p.severity === 'error') need(false, `${p.path}: ${p.message}`);
  }
  if (relays.includes('mcrd')) {
    for (const f of ['dist/relay/cli/mcrd.js', 'dist/relay/cli/mcrctl.js']) {
      need(exists(join(projectRoot, f)), `mcrd not built (no ${join(projectRoot, f)}): npm run build, or leave mcrd out with --relays`);
    }
  }
  return problems;
}

function exists(p: string): boolean {
  try { accessSync(p); return true; } catch { return false; }
}
