/**
 * The soak's network: one relay between a generator host and three receiving hosts, 20 streams.
 *
 *   ┌ g ──────────────┐ 10.1.0/24 ┌ r ───────────────────┐ 10.2.0/24 ┌ s1 ─────────────┐
 *   │ mcr-gen  g0     ├───────────┤ r0   mcrd        r1  ├───────────┤ s1a  mcr-sink   │
 *   │ 192.0.2.77/32   │           │ rp_filter=1        r2├──10.3.0/24┤ s2a  (s2)       │
 *   │ frame_flood     │           │                    r3├──10.4.0/24┤ s3a  (s3, unicast 10.4.0.2)
 *   └─────────────────┘           └──────────────────────┘           └─────────────────┘
 *
 * Streams 1-6 fan out to r1 and r2, 7-9 to r1 twice and r2, 10-18 go to r1, 19 to the unicast host
 * behind r3, and 20 comes from 192.0.2.77, a source r has no route back to (rp_filter=1 drops it in
 * r's kernel; mcrd relays it to r1). Faults: r2 flaps, r3 is deleted and re-created, r1 readdressed;
 * mcrd is IGMP querier on r1, where receivers on s1 join and leave groups (igmp-churn.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Lab } from '../test/support/netns.js';
import { SOAK_IGMP } from './igmp-churn.js';

export const STREAMS = 20;
export const UNROUTABLE_SOURCE = '192.0.2.77';
/** The rule a SIGHUP adds and the next one takes away again. */
export const HUP_RULE = 'hup';

export interface Output { interface: string; group: string; port: number }
export interface StreamRule { id: string; stream: number; input: { interface: string; group: string; port: number }; outputs: Output[] }

export const outputKey = (o: Output) => `${o.group}:${o.port}@${o.interface}`;

export function streamRules(): StreamRule[] {
  return Array.from({ length: STREAMS }, (_, k) => {
    const i = k + 1;
    const input = { interface: 'r0', group: `239.10.0.${i}`, port: 5000 + i };
    const r1 = { interface: 'r1', group: `239.21.0.${i}`, port: 6000 + i };
    const r2 = { interface: 'r2', group: `239.22.0.${i}`, port: 6000 + i };
    const outputs = i <= 6 ? [r1, r2]
      : i <= 9 ? [r1, { interface: 'r1', group: `239.23.0.${i}`, port: 6100 + i }, r2]
      : i === 19 ? [{ interface: 'r3', group: '10.4.0.2', port: 7000 + i }]
      : [r1];
    return { id: `s${i}`, stream: i, input, outputs };
  });
}

/** The config file: the stream rules, plus the SIGHUP rule when `withHup`. */
export function configText(withHup: boolean): string {
  const rules = streamRules().map(({ id, input, outputs }) => ({ name: id, input, outputs }));
  if (withHup) rules.push({ name: HUP_RULE, input: { interface: 'r0', group: '239.60.0.1', port: 5600 }, outputs: [{ interface: 'r1', group: '239.61.0.1', port: 6600 }] });
  return `// written by the soak (soak/topology.ts)\n${JSON.stringify({ igmp: SOAK_IGMP, rules }, null, 2)}\n`;
}

export interface Topology { lab: Lab; g: string; r: string; s1: string; s2: string; s3: string; config: string }

export async function buildTopology(dir: string): Promise<Topology> {
  const lab = await Lab.create('run', 'soak');
  try {
    const g = await lab.ns('g'); const r = await lab.ns('r');
    const s1 = await lab.ns('s1'); const s2 = await lab.ns('s2'); const s3 = await lab.ns('s3');
    await lab.veth(g, 'g0', '10.1.0.1/24', r, 'r0', '10.1.0.2/24');
    await lab.veth(r, 'r1', '10.2.0.1/24', s1, 's1a', '10.2.0.2/24');
    await lab.veth(r, 'r2', '10.3.0.1/24', s2, 's2a', '10.3.0.2/24');
    await recreateR3(lab, r, s3);
    await lab.exec(g, ['ip', 'addr', 'add', `${UNROUTABLE_SOURCE}/32`, 'dev', 'g0']);
    for (const k of ['all', 'default', 'r0']) await lab.sysctl(r, `net.ipv4.conf.${k}.rp_filter`, 1);
    // The readdress fault adds the new address before deleting the old one: without promotion the
    // kernel deletes the secondary together with the primary, leaving r1 with no address at all.
    await lab.sysctl(r, 'net.ipv4.conf.r1.promote_secondaries', 1);
    const config = join(dir, 'mcrd.json5');
    await writeFile(config, configText(false));
    return { lab, g, r, s1, s2, s3, config };
  } catch (err) {
    await lab.destroy().catch(() => undefined);
    throw err;
  }
}

/** The r3 — s3a link (also how the link-recreate fault puts it back). */
export function recreateR3(lab: Lab, r: string, s3: string): Promise<void> {
  return lab.veth(r, 'r3', '10.4.0.1/24', s3, 's3a', '10.4.0.2/24');
}
