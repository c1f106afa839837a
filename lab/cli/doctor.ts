/**
 * `mcr-lab doctor`: can this machine run the lab? Root, the kernel features (probed for real in a
 * throw-away mcl<runid>-doctor namespace: netns, veth, RPS, bridge, sch_netem; AF_PACKET and io_uring from
 * /proc; kernel multicast routing), and the tools (iproute2, socat, smcroute, FRR, the native traffic
 * tools, mcrd). Says how to fix
 * each miss. Exit 0 when everything is there, 1 otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRR_LIB, frrMissing } from '../runners/frr-daemons.js';
import { kernelMroutingMissing } from '../runners/mroute.js';
import { runCommand } from '../runners/process.js';
import { which } from '../scenario/verify.js';
import { labPrefix, newRunId } from '../topology/context.js';
import { RunLog } from '../topology/log.js';
import { netnsDown } from '../topology/netns.js';
import { parse } from './args.js';
import { EXIT, projectRoot } from './common.js';
import { tmpdir } from 'node:os';

export const usage = `usage: mcr-lab doctor

Checks root, kernel features (netns, veth, RPS, bridge, sch_netem, AF_PACKET, io_uring, multicast
routing) and tools (iproute2, tc, socat, smcroute, FRR, mcr-gen, mcr-sink, mcr-member, mcrd), and says
how to fix what is missing.`;

interface Check { name: string; ok: boolean; detail: string; fix?: string; optional?: boolean }

export async function doctorCmd(argv: string[]): Promise<number> {
  const { values } = parse(argv, {}, usage);
  if (values.help) { process.stdout.write(`${usage}\n`); return EXIT.ok; }
  const checks: Check[] = [];
  const root = process.getuid?.() === 0;
  checks.push({ name: 'root', ok: root, detail: root ? 'running as root' : `uid ${process.getuid?.()}`, fix: 'run mcr-lab as root (sudo): namespaces, veth and tc need CAP_NET_ADMIN' });
  const node = Number(process.versions.node.split('.')[0]);
  checks.push({ name: 'node', ok: node >= 20, detail: `v${process.versions.node}`, fix: 'install Node.js 20 or newer' });
  for (const [tool, pkg, optional] of [['ip', 'iproute2', false], ['tc', 'iproute2', false], ['ss', 'iproute2', false], ['socat', 'socat', true], ['smcrouted', 'smcroute', true], ['smcroutectl', 'smcroute', true]] as const) {
    const path = which(tool);
    checks.push({ name: tool, ok: !!path, detail: path ?? 'not found', fix: `apt-get install ${pkg}`, optional });
  }
  const rootDir = projectRoot();
  for (const bin of ['mcr-gen', 'mcr-sink', 'mcr-member']) {
    const p = join(process.env['MCR_NATIVE_DIR'] ?? join(rootDir, 'build/Release'), bin);
    checks.push({ name: bin, ok: existsSync(p), detail: existsSync(p) ? p : `no ${p}`, fix: 'npm install (or npm run install)' });
  }
  for (const f of ['mcrd', 'mcrctl']) {
    const p = join(rootDir, `dist/relay/cli/${f}.js`);
    checks.push({ name: f, ok: existsSync(p), detail: existsSync(p) ? p : `no ${p}`, fix: 'npm run build', optional: true });
  }
  checks.push({ name: 'AF_PACKET', ok: existsSync('/proc/net/packet'), detail: existsSync('/proc/net/packet') ? '/proc/net/packet present' : 'no /proc/net/packet', fix: 'kernel needs CONFIG_PACKET (modprobe af_packet)' });
  checks.push(ioUringCheck());
  checks.push(...frrChecks());
  if (root && which('ip')) checks.push(...await probeKernel());

  let bad = 0;
  for (const c of checks) {
    const tag = c.ok ? 'ok  ' : c.optional ? 'warn' : 'FAIL';
    if (!c.ok && !c.optional) bad += 1;
    process.stdout.write(`${tag}  ${c.name.padEnd(12)} ${c.detail}${c.ok ? '' : `\n      fix: ${c.fix}`}\n`);
  }
  process.stdout.write(bad === 0 ? 'mcr-lab can run here.\n' : `${bad} problem${bad === 1 ? '' : 's'}: fix them, then run mcr-lab doctor again.\n`);
  return bad === 0 ? EXIT.ok : EXIT.failed;
}

/** FRR (routers in scenarios, the frr relay) and the kernel's multicast routing, which its pimd and smcroute need. */
function frrChecks(): Check[] {
  const frr = frrMissing();
  const mroute = kernelMroutingMissing();
  return [
    { name: 'frr', ok: !frr, detail: frr ?? `${FRR_LIB}/{zebra,staticd,pimd} and vtysh present`, fix: 'apt-get install frr (scenarios with FRR routers and the frr relay need it)', optional: true },
    { name: 'mroute', ok: !mroute, detail: mroute ?? 'kernel multicast routing (CONFIG_IP_MROUTE) present', fix: 'a kernel built with CONFIG_IP_MROUTE: the kernel and frr relays and FRR routers that forward need it', optional: true },
  ];
}

function ioUringCheck(): Check {
  const knob = '/proc/sys/kernel/io_uring_disabled';
  if (!existsSync(knob)) return { name: 'io_uring', ok: true, detail: 'no io_uring_disabled knob (kernel < 6.6): assumed available', optional: true };
  const v = readFileSync(knob, 'utf8').trim();
  return { name: 'io_uring', ok: v !== '2', detail: `kernel.io_uring_disabled=${v}`, fix: 'sysctl -w kernel.io_uring_disabled=0 (or run mcrd with --backend=sendmmsg)', optional: true };
}

/** Creates a namespace with a veth pair, a bridge and a netem qdisc, then deletes it. */
async function probeKernel(): Promise<Check[]> {
  const ctx = { log: new RunLog(join(tmpdir(), 'mcr-lab-doctor.log')), signal: new AbortController().signal };
  const ns = `${labPrefix()}${newRunId()}-doctor`;
  const out: Check[] = [];
  const step = async (name: string, argv: string[], fix: string) => {
    const res = await runCommand(ctx, argv, { reject: false });
    out.push({ name, ok: res.exitCode === 0, detail: res.exitCode === 0 ? 'works' : res.stderr.trim().split('\n')[0] ?? `exit ${res.exitCode}`, fix });
    return res.exitCode === 0;
  };
  try {
    if (!await step('netns', ['ip', 'netns', 'add', ns], 'kernel needs CONFIG_NET_NS; in a container, run it privileged')) return out;
    if (await step('veth', ['ip', '-n', ns, 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1'], 'modprobe veth (CONFIG_VETH)')) {
      // The CPU placement steers receive work with RPS; without it runs need `cpus: false` / --cpus off.
      await step('RPS', ['ip', 'netns', 'exec', ns, 'sh', '-c', 'echo 1 > /sys/class/net/d1/queues/rx-0/rps_cpus'], 'kernel needs CONFIG_RPS; or run with --cpus off (no CPU placement, no per-core CPU figures)');
      out[out.length - 1]!.optional = true;
      await step('sch_netem', ['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'd0', 'root', 'netem', 'delay', '1ms'], 'modprobe sch_netem (CONFIG_NET_SCH_NETEM); only scenarios with netem need it');
      out[out.length - 1]!.optional = true;
    }
    await step('bridge', ['ip', '-n', ns, 'link', 'add', 'b0', 'type', 'bridge'], 'modprobe bridge (CONFIG_BRIDGE)');
  } finally {
    await netnsDown(ctx, ns).catch(() => {});
  }
  return out;
}
