import { describe, expect, test } from 'vitest';
import { capabilitySets, startCapabilities } from './least-privilege.js';

describe('what a root start keeps until its start-up is done', () => {
  test.each([
    [{}, ['net_raw']],
    [{ metricsListen: '127.0.0.1:9477' }, ['net_raw']],
    [{ metricsListen: '127.0.0.1:0' }, ['net_raw']],
    [{ metricsListen: '[::1]:999' }, ['net_raw', 'net_bind_service', 'setpcap']],
    [{ socketGroup: 'operators' }, ['net_raw', 'chown', 'setpcap']],
    [{ socketGroup: 'operators', metricsListen: ':80' }, ['net_raw', 'chown', 'net_bind_service', 'setpcap']],
  ])('%j → %j', async (settings, caps) => {
    expect(await startCapabilities(settings, 1024)).toEqual(caps);
  });

  test('a lowered net.ipv4.ip_unprivileged_port_start needs no CAP_NET_BIND_SERVICE', async () => {
    expect(await startCapabilities({ metricsListen: ':80' }, 0)).toEqual(['net_raw']);
  });
});

test('capability sets are read from /proc/PID/status as masks', () => {
  const status = 'Name:\tnode\nCapInh:\t0000000000002000\nCapPrm:\t0000000000002000\nCapEff:\t0000000000002000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n';
  expect(capabilitySets(status)).toEqual({ eff: 0x2000n, prm: 0x2000n, bnd: 0x1ffffffffffn, amb: 0n });
});
