// mcr-member through its binary (no root needed for flag checks) and its TypeScript wrapper's argv.
// What it measures is covered by the lab e2e tests (lab/e2e/igmp-membership.e2e.test.ts): it needs
// namespaces, a router and real IGMP.
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { nativeBinary } from './binaries.js';
import { memberArgs, memberBoundMs } from './member.js';

const run = (args: string[]) => execa(nativeBinary('mcr-member'), args, { reject: false, timeout: 20_000 });

describe('mcr-member', () => {
  test.each([
    [[], '--interface: missing'],
    [['--interface', 'lo'], '--group: missing'],
    [['--interface', 'lo', '--group', '10.0.0.1:5000', '--cycles', '1'], '--group: 10.0.0.1:5000 is not a multicast group'],
    [['--interface', 'lo', '--group', '239.1.1.1:5000'], '--cycles: missing'],
    [['--interface', 'lo', '--group', '239.1.1.1:5000', '--cycles', '0'], '--cycles: expected an integer 1-10000'],
    [['--interface', 'lo', '--group', '239.1.1.1:5000', '--watch', '--cycles', '2'], '--cycles: not with --watch'],
    [['--interface', 'lo', '--group', '239.1.1.1', '--cycles', '1'], '--group: expected GROUP:PORT'],
    [['--interface', 'lo', '--group', '239.1.1.1:5000', '--cycles', '1', '--quiet-ms', '0'], '--quiet-ms: expected an integer 1-60000'],
    [['--interface', 'lo', '--group', '239.1.1.1:5000', '--cycles', '1', '--outgoing'], '--outgoing: only with --watch'],
  ])('%j is a usage error mentioning %s', async (args, message) => {
    const r = await run(args);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain(message);
  });

  test('--help prints the usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^usage: mcr-member --interface IF --group GROUP:PORT --cycles N/);
  });

  test('an interface that does not exist is a runtime error naming it', async () => {
    const r = await run(['--interface', 'nosuchif0', '--group', '239.1.1.1:5000', '--cycles', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('--interface nosuchif0');
  });

  test('the wrapper passes the schedule in ms and bounds a run by every cycle timing out', () => {
    const o = { interface: 'eth0', group: '239.1.1.1:5000', cycles: 10, holdMs: 500, gapMs: 500, timeoutMs: 5000, quietMs: 100, settleMs: 300 };
    expect(memberArgs(o)).toEqual(['--json', '--interface', 'eth0', '--group', '239.1.1.1:5000', '--cycles', '10',
      '--hold-ms', '500', '--gap-ms', '500', '--timeout-ms', '5000', '--quiet-ms', '100', '--settle-ms', '300']);
    expect(memberBoundMs(o)).toBe(300 + 10 * (2 * 5000 + 500 + 500));
  });
});
