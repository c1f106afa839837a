// How the lab stops sinks: the grace period before SIGKILL, what a sink too slow to stop turns into,
// and that the sink's ready-file directory is gone once it has ended. The slow sink is a real process
// (a shell script standing in for mcr-sink through MCR_NATIVE_DIR) that ignores SIGTERM.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { isSlowToolStop } from '../run/session.js';
import { sinkStopGraceMs, startSink, TrafficToolError } from './traffic.js';

/** The --ready-file path a running sink was given (its directory is the one the lab created). */
function readyDirOf(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const i = argv.indexOf('--ready-file');
  expect(i).toBeGreaterThan(0);
  return dirname(argv[i + 1]!);
}

describe('sinkStopGraceMs', () => {
  test('at least 10 s, growing with the listens, capped at 60 s', () => {
    expect(sinkStopGraceMs(0)).toBe(10_000);
    expect(sinkStopGraceMs(1)).toBeGreaterThanOrEqual(10_000);
    expect(sinkStopGraceMs(50)).toBeGreaterThanOrEqual(10_000 + 50 * 100);
    expect(sinkStopGraceMs(1000)).toBe(60_000);
  });
});

describe('real mcr-sink', () => {
  test('stop() reports, and the ready-file directory is removed before it resolves', async () => {
    const port = 41000 + Math.floor(Math.random() * 8000);
    const s = await startSink({ listen: [`127.0.0.1:${port}`, `127.0.0.1:${port + 1}`] });
    const dir = readyDirOf(s.pid);
    expect(existsSync(join(dir, 'ready'))).toBe(true);
    const rep = await s.stop();
    expect(rep.listens.map((l) => l.port)).toEqual([port, port + 1]);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('a sink too slow to stop', () => {
  let fakeDir = '';
  const saved = process.env['MCR_NATIVE_DIR'];
  beforeAll(() => {
    fakeDir = mkdtempSync(join(tmpdir(), 'mcl-fake-native-'));
    // Becomes ready like mcr-sink (writes the file after --ready-file), then ignores SIGTERM.
    writeFileSync(join(fakeDir, 'mcr-sink'), `#!/bin/sh
trap '' TERM
while [ $# -gt 0 ]; do [ "$1" = --ready-file ] && echo $$ > "$2"; shift; done
# Loop instead of exec so /proc/PID/cmdline keeps the arguments; no long-lived child outlives SIGKILL.
while :; do sleep 0.1; done
`);
    chmodSync(join(fakeDir, 'mcr-sink'), 0o755);
    process.env['MCR_NATIVE_DIR'] = fakeDir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env['MCR_NATIVE_DIR'];
    else process.env['MCR_NATIVE_DIR'] = saved;
    rmSync(fakeDir, { recursive: true, force: true });
  });

  test('is SIGKILLed after the grace period, flagged as a slow stop (not canceled), directory removed', async () => {
    const s = await startSink({ listen: ['127.0.0.1:5000'], stopGraceMs: 300 });
    const stopped = s.stop().catch((e: unknown) => e);
    let dir: string;
    try {
      dir = readyDirOf(s.pid);
    } finally {
      await stopped; // it ignores SIGTERM: never leave it behind, even when an assertion fails
    }
    const err: unknown = await stopped;
    expect(err).toBeInstanceOf(TrafficToolError);
    expect((err as TrafficToolError).isForcefullyTerminated).toBe(true);
    expect((err as TrafficToolError).isCanceled).toBe(false);
    expect(isSlowToolStop(err)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(`/proc/${s.pid}`)).toBe(false);
  });

  test('a sink that fails otherwise is not a slow stop', () => {
    const other = new TrafficToolError('mcr-sink failed: exit 1', 'mcr-sink', 'mcr-sink', 1, '', false);
    expect(isSlowToolStop(other)).toBe(false);
    expect(isSlowToolStop(new Error('relay died'))).toBe(false);
  });
});
