import { describe, expect, test } from 'vitest';
import { sysctlSettings } from './sysctls.js';
import { netemArgs } from './veth.js';

describe('sysctl settings', () => {
  test('rp_filter goes to all, default and every interface of the host', () => {
    expect(sysctlSettings({ rp_filter: 1 }, ['in0', 'out0'])).toEqual([
      'net.ipv4.conf.all.rp_filter=1', 'net.ipv4.conf.default.rp_filter=1', 'net.ipv4.conf.in0.rp_filter=1', 'net.ipv4.conf.out0.rp_filter=1',
    ]);
  });

  test('forwarding also sets ip_forward; mc_forwarding is never written (the kernel owns it)', () => {
    expect(sysctlSettings({ forwarding: 1, mc_forwarding: 1 }, ['eth0'])).toEqual([
      'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.forwarding=1', 'net.ipv4.conf.default.forwarding=1', 'net.ipv4.conf.eth0.forwarding=1',
    ]);
  });

  test('no settings, no command', () => {
    expect(sysctlSettings({}, ['eth0'])).toEqual([]);
  });
});

describe('netem', () => {
  test('delay with jitter, loss and rate become one tc qdisc command with a queue that does not itself drop', () => {
    expect(netemArgs('eth0', { delay: '1ms', jitter: '100us', loss: '0.1%', rate: '1gbit' })).toEqual([
      'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', '1ms', '100us', 'loss', '0.1%', 'rate', '1gbit', 'limit', '100000',
    ]);
  });
});
