/**
 * IGMP churn during the soak: receivers on s1 (a real kernel host) join and leave groups that no
 * stream uses, and mcrd, querier on r1 with `igmp:` on, must follow: each join installs a learned
 * route (an engine table swap under the static streams, which must lose nothing), each leave removes
 * it after the last-member queries. A receiver is one socat holding one membership on s1a; killing it
 * makes s1's kernel send the Leave. Used by the igmp-churn fault (faults.ts) and the final check.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ControlClient } from '../relay/control/client.js';

/** Groups the churn toggles: 239.80.0.1 .. 239.80.0.GROUPS. */
export const IGMP_CHURN_GROUPS = 8;
export const igmpChurnGroup = (i: number) => `239.80.0.${i + 1}`;
const isChurnGroup = (g: string) => g.startsWith('239.80.0.');

/** The soak config's igmp: section: mcrd queries on r1, streams come in on r0. */
export const SOAK_IGMP = {
  enabled: true, querier_interfaces: ['r1'], upstream_interfaces: ['r0'],
  // A general query every 20 s (the kernel on s1 answers each), so queries run during the soak too.
  query_interval: 20, query_response_interval: 5,
};

export class IgmpReceivers {
  private readonly members = new Map<string, ChildProcess>();
  private firings = 0;

  constructor(private readonly netns: string, private readonly ifaddr: string) {}

  /** Groups with a receiver now, sorted. */
  joined(): string[] { return [...this.members.keys()].sort(); }

  /**
   * One churn step: firing k toggles every other group (even indices on even firings, odd on odd),
   * so over four firings each group is joined and left once. Returns what changed.
   */
  toggle(): { joined: string[]; left: string[] } {
    const k = this.firings++;
    const joined: string[] = [];
    const left: string[] = [];
    for (let i = k % 2; i < IGMP_CHURN_GROUPS; i += 2) {
      const g = igmpChurnGroup(i);
      if (this.members.has(g)) { this.leave(g); left.push(g); } else { this.join(g); joined.push(g); }
    }
    return { joined, left };
  }

  private join(group: string): void {
    const port = 7800 + Number(group.split('.')[3]);
    // ip netns exec execs socat: the child's pid is socat's, so the kill below reaches it.
    const child = spawn('ip', ['netns', 'exec', this.netns, 'socat', '-u', `UDP4-RECV:${port},reuseaddr,ip-add-membership=${group}:${this.ifaddr}`, 'OPEN:/dev/null'], { stdio: 'ignore' });
    this.members.set(group, child);
  }

  private leave(group: string): void {
    this.members.get(group)?.kill('SIGTERM');
    this.members.delete(group);
  }

  async stop(): Promise<void> {
    const exits = [...this.members.values()].filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); }));
    this.members.clear();
    await Promise.all(exits);
  }
}

/** The churn groups mcrd has members for on `ifname`, sorted. */
export async function mcrdChurnGroups(ctl: ControlClient, ifname = 'r1'): Promise<string[]> {
  const { groups } = await ctl.request<{ groups: Array<{ interface: string; group: string }> }>('igmp-groups');
  return groups.filter((g) => g.interface === ifname && isChurnGroup(g.group)).map((g) => g.group).sort();
}
