/**
 * Shared pieces of the PIM data-path e2e tests (interop cases 2–6 and MCR's protocol-learned case):
 * namespaces of family `pd`, mcrd with a PIM config and a metrics port, mcrctl/FRR views as data, a
 * tcpdump of PIM on one interface, and the delivery arithmetic the cases report.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import type { Lab } from '../../test/support/netns.js';
import { ctlJson } from './igmp-lab.js';

export interface PimMcrd {
  mcrd: McrdHandle;
  dir: string;
  /** mcrctl --json ARGS. */
  json<T>(args: string[]): Promise<T>;
  /** One sample of a metric family, 0 when absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/** mcrd in `ns` with `config` (the whole file as an object) and Prometheus metrics on `metricsPort`. */
export async function startPimMcrd(lab: Lab, ns: string, config: Record<string, unknown>, metricsPort: number): Promise<PimMcrd> {
  await mkdir('/tmp/pd', { recursive: true });
  const dir = await mkdtemp('/tmp/pd/mcrd-');
  const file = join(dir, 'mcrd.json5');
  const daemon = { ...(config['daemon'] as Record<string, unknown> | undefined), metricsListen: `127.0.0.1:${metricsPort}` };
  await writeFile(file, JSON.stringify({ ...config, daemon }, null, 2));
  let mcrd: McrdHandle;
  try {
    mcrd = await startMcrd({ netns: ns, dir, args: ['--config', file] });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    mcrd, dir,
    json: (args) => ctlJson(mcrd, args),
    async metric(name, labels = {}) {
      const text = await lab.exec(ns, ['curl', '-s', `http://127.0.0.1:${metricsPort}/metrics`]);
      const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        if (want.every((w) => line.includes(w))) return Number(line.split(' ').at(-1));
      }
      return 0;
    },
    async stop() {
      await mcrd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A LAN: namespace `<name>` holding bridge br0 (IGMP snooping off, so every port sees every group, as
 * on a hub) and one veth per member, `[ns, ifname, address]`. Returns the bridge's namespace.
 */
export async function lan(lab: Lab, name: string, members: Array<[string, string, string]>): Promise<string> {
  const b = await lab.ns(name);
  await lab.exec(b, ['ip', 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
  await lab.exec(b, ['ip', 'link', 'set', 'br0', 'up']);
  for (const [i, [ns, ifname, addr]] of members.entries()) {
    await lab.veth(ns, ifname, addr, b, `p${i}`, null);
    await lab.exec(b, ['ip', 'link', 'set', `p${i}`, 'master', 'br0']);
  }
  return b;
}

/** Rows of `mcrctl --json mroute`. */
export interface MrouteRow { origin: string; iif: string; group: string; source: string | null; ruleId: string; oifs: Array<{ interface: string; origin: string; reason: string }> }

export const mroute = async (m: PimMcrd) => (await m.json<{ routes: MrouteRow[] }>(['mroute'])).routes;

/** What mcrd and (optionally) FRR hold, printed when a case fails its delivery (the run's evidence). */
export async function dumpState(m: PimMcrd, frr?: { vtysh(cmd: string): Promise<unknown> }): Promise<void> {
  const out: Record<string, unknown> = {};
  for (const [k, args] of Object.entries({ mroute: ['mroute'], state: ['pim', 'state'], join: ['pim', 'join'], neighbors: ['pim', 'neighbors'], assert: ['pim', 'assert'] })) {
    out[`mcrctl ${args.join(' ')}`] = await m.json(args).catch((e: Error) => e.message);
  }
  for (const name of ['mcr_rx_frames_total', 'mcr_unmatched_frames_total', 'mcr_source_watch_total']) out[name] = await m.metric(name);
  if (frr) {
    for (const cmd of ['show ip mroute json', 'show ip pim upstream json', 'show ip pim join json', 'show ip pim rp-info json']) {
      out[cmd] = await frr.vtysh(cmd).catch((e: Error) => e.message);
    }
  }
  console.log(`[state] ${JSON.stringify(out, null, 1)}`);
}
