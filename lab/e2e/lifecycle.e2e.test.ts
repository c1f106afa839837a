/**
 * Topology lifecycle through the CLI: up → ls → down RUNID, and `down --all` removing crashed runs and
 * stray mcl<runid>- namespaces while leaving live runs and namespaces it did not create alone.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { stateDir as labStateDir } from '../topology/state.js';
import { canNetns, runLab } from './helpers.js';

const netns = () => execFileSync('ip', ['netns', 'list']).toString().split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
// The directory the CLI uses (created here on a fresh machine, where no run has made it yet).
const stateDir = labStateDir();

describe.skipIf(!canNetns)('topology lifecycle', () => {
  const foreign = `mcl-keep-${process.pid}`;
  const liveId = randomBytes(3).toString('hex');
  const liveNs = `mcl${liveId}-live`;
  afterAll(() => {
    for (const n of [foreign, liveNs]) { try { execFileSync('ip', ['netns', 'del', n]); } catch { /* gone */ } }
  });

  test('up builds the scenario\'s namespaces and links, ls lists the run, down RUNID removes it', async () => {
    const up = await runLab(['up', 'scenarios/dual-bridge.yaml']);
    expect(up.exitCode, up.stderr).toBe(0);
    const runId = /^run ([0-9a-f]{6}) up/.exec(up.stdout)![1]!;
    const mine = netns().filter((n) => n.startsWith(`mcl${runId}-`)).sort();
    expect(mine).toEqual([`mcl${runId}-gen`, `mcl${runId}-relay`, `mcl${runId}-sink`, `mcl${runId}-sw`]);
    const links = execFileSync('ip', ['-n', `mcl${runId}-sw`, '-br', 'link']).toString();
    expect(links).toMatch(/^br0 /m);
    expect(links).toMatch(/^br1-3@/m);
    expect(execFileSync('ip', ['-n', `mcl${runId}-relay`, '-br', 'addr']).toString()).toMatch(/in0@\S+\s+UP\s+10\.0\.0\.20\/24/);
    expect((await runLab(['ls'])).stdout).toMatch(new RegExp(`^${runId}\\s+dual-bridge\\s+idle`, 'm'));
    const down = await runLab(['down', runId]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toMatch(new RegExp(`^${runId}: removed \\d+ resources`, 'm'));
    expect(netns().filter((n) => n.startsWith(`mcl${runId}`))).toEqual([]);
  });

  test('down --all removes stray run namespaces but not a live run nor a namespace that only looks similar', async () => {
    const strayId = randomBytes(3).toString('hex');
    const stray = `mcl${strayId}-gen`;
    for (const n of [stray, foreign, liveNs]) execFileSync('ip', ['netns', 'add', n]);
    writeFileSync(join(stateDir, `${liveId}.json`), JSON.stringify({
      version: 1, runId: liveId, prefix: `mcl${liveId}`, scenario: 'live', file: 'x.yaml', ownerPid: process.pid,
      createdAt: new Date().toISOString(), runDir: join(stateDir, liveId), resources: [{ kind: 'netns', name: liveNs }],
    }));
    const res = await runLab(['down', '--all']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stderr).toContain(`left alone: ${liveId} (live): still running as pid ${process.pid}`);
    const after = netns();
    expect(after).not.toContain(stray);
    expect(after).toContain(foreign);
    expect(after).toContain(liveNs);
    const byName = await runLab(['down', liveId]);
    expect(byName.exitCode, byName.stderr).toBe(0);
    expect(netns()).not.toContain(liveNs);
  });

  test('up applies per-host sysctls and routes from the scenario', async () => {
    const file = join(stateDir, `routes-${process.pid}.yaml`);
    writeFileSync(file, `name: routes
hosts:
  gen: { routes: [{ to: default, via: 10.0.0.2 }] }
  relay: { sysctls: { rp_filter: 2, forwarding: 1 }, routes: [{ to: 10.99.0.0/24, via: 10.0.0.1, dev: in0 }] }
  sink: {}
links:
  - a: { host: gen, interface: eth0, address: 10.0.0.1/24 }
    b: { host: relay, interface: in0, address: 10.0.0.2/24 }
    mtu: 9000
  - a: { host: relay, interface: out0, address: 10.0.1.1/24 }
    b: { host: sink, interface: eth0, address: 10.0.1.2/24 }
relay: { host: relay }
streams:
  - { name: s1, source: { host: gen, interface: eth0 }, group: 239.1.1.1, port: 5001, input: in0,
      outputs: [{ name: o1, interface: out0, group: 239.9.9.9, port: 5099, sink: { host: sink, interface: eth0 } }] }
tests: [{ name: f, kind: fixed-rate, ratePps: 100 }]
`);
    const up = await runLab(['up', file]);
    expect(up.exitCode, up.stderr).toBe(0);
    const runId = /^run ([0-9a-f]{6}) up/.exec(up.stdout)![1]!;
    try {
      const ns = (h: string) => `mcl${runId}-${h}`;
      expect(execFileSync('ip', ['-n', ns('gen'), 'route', 'show', 'default']).toString()).toMatch(/^default via 10\.0\.0\.2 dev eth0/);
      expect(execFileSync('ip', ['-n', ns('relay'), 'route', 'show', '10.99.0.0/24']).toString()).toMatch(/^10\.99\.0\.0\/24 via 10\.0\.0\.1 dev in0/);
      const sysctl = (k: string) => execFileSync('ip', ['netns', 'exec', ns('relay'), 'sysctl', '-n', k]).toString().trim();
      expect([sysctl('net.ipv4.conf.in0.rp_filter'), sysctl('net.ipv4.conf.all.rp_filter'), sysctl('net.ipv4.ip_forward'), sysctl('net.ipv4.conf.out0.forwarding')]).toEqual(['2', '2', '1', '1']);
      expect(execFileSync('ip', ['-n', ns('relay'), 'link', 'show', 'in0']).toString()).toMatch(/mtu 9000/);
    } finally {
      expect((await runLab(['down', runId])).exitCode).toBe(0);
      execFileSync('rm', ['-f', file]);
    }
  });

  test('a usage error exits 64 and an invalid scenario 78 with file:line:col', async () => {
    expect((await runLab(['down'])).exitCode).toBe(64);
    expect((await runLab(['frobnicate'])).exitCode).toBe(64);
    const bad = join(stateDir, `bad-${process.pid}.yaml`);
    writeFileSync(bad, 'name: bad\nhosts: {}\nlinkz: []\n');
    const res = await runLab(['validate', bad]);
    expect(res.exitCode).toBe(78);
    expect(res.stderr).toContain(`${bad}:3:1 linkz: unknown key (did you mean "links"?)`);
    execFileSync('rm', ['-f', bad]);
  });
});
