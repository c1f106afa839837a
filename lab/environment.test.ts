import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, test } from 'vitest';
import { captureEnvironment, SYSCTLS } from './environment.js';

describe('captureEnvironment', () => {
  test('records kernel, CPUs, memory, every listed sysctl and tool versions of this machine', async () => {
    const env = await captureEnvironment();
    expect(env.kernel).toContain(os.release());
    expect(env.cpus.count).toBe(os.cpus().length);
    expect(env.memoryBytes).toBe(os.totalmem());
    expect(Object.keys(env.sysctls).sort()).toEqual([...SYSCTLS].sort());
    expect(env.sysctls['net.core.rmem_max']).toBe(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
    expect(env.versions.node).toBe(process.versions.node);
    expect(env.versions.mcr).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    for (const tool of ['socat', 'smcroute', 'iproute2']) expect(env.versions[tool]).toMatch(/^(\d[\w.-]*|not installed)$/);
  });
});
