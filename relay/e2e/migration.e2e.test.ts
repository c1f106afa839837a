/**
 * The MCR migration check: test/migration/mcr-migration.sh — a script in MCR's style (its command
 * forms, its config with comments, set -e, jq on --format mcr output, grep on [STATS] lines) — run
 * against the real mcrd relaying real traffic in namespaces:
 *
 *   ┌ mcrC-migr-g ┐  10.1.0.0/24  ┌── mcrC-migr-r ──┐  10.2.0.0/24  ┌ mcrC-migr-s ┐
 *   │ mcr-gen  g0 ├───────────────┤ r0   mcrd    r1 ├───────────────┤ s0 mcr-sink │
 *   └─────────────┘               └─────────────────┘               └─────────────┘
 *
 * The script asserts (and fails on) every count itself; this test asserts it passed and what it said.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Lab, canNetns, skipReason } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping MCR migration e2e: ${skipReason}`);

const root = fileURLToPath(new URL('../../', import.meta.url));

describe.skipIf(!canNetns)('an MCR user\'s script, unchanged, against mcrd', () => {
  let lab: Lab;
  let ns: { g: string; r: string; s: string };
  let dir: string;
  const instance = `mcrC-migr-${process.pid}`;

  beforeAll(async () => {
    lab = await Lab.create('migr', 'mcrC');
    ns = await lab.chain();
    dir = await mkdtemp(join(tmpdir(), 'mcrC-migr-'));
    // The script calls the tools by name, as an installed package provides them.
    await mkdir(join(dir, 'bin'));
    for (const [name, js] of [['mcrd', 'relay/cli/mcrd.js'], ['mcrctl', 'relay/cli/mcrctl.js'], ['mcr-gen', 'lab/traffic/mcr-gen.js'], ['mcr-sink', 'lab/traffic/mcr-sink.js']]) {
      await writeFile(join(dir, 'bin', name!), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'dist', js!)}" "$@"\n`);
      await chmod(join(dir, 'bin', name!), 0o755);
    }
  });

  afterAll(async () => {
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
    await rm(join('/var/lib/mcrd', instance), { recursive: true, force: true });
  });

  test('passes: rules by MCR forms, traffic byte-exact at the sink, MCR-shaped stats and [STATS] lines, restart', async () => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', [join(root, 'test/migration/mcr-migration.sh')], {
        env: {
          PATH: `${join(dir, 'bin')}:${process.env.PATH}`, RELAY_NS: ns.r, GEN_NS: ns.g, SINK_NS: ns.s, WORK: dir, INSTANCE: instance,
          MCRD: 'mcrd', MCRCTL: 'mcrctl', MCRGEN: 'mcr-gen', MCRSINK: 'mcr-sink', COUNT: '5000',
        },
        timeout: 90_000,
      }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
    });
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[PASS\] migration: 10000 datagrams relayed byte-exact to 3 outputs; FINAL matched=10000/);
    expect(r.stderr).toMatch(/\[INFO\] sink: .*"received":5000,"lost":0,"bytes":6580000/);
  }, 120_000);
});
