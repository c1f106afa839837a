import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadScenarioText } from '../scenario/load.js';
import { resolveScenario } from '../scenario/resolve.js';
import { directPlan } from './direct.js';
import { kernelPlan, kernelShapeProblem, vifInterfaces } from './kernel.js';
import { kernelMroutingMissing } from './mroute.js';
import { mcrctlAddArgs, mcrdArgs, mcrdEnv } from './mcrd.js';
import { socatArgv, socatRcvbuf } from './socat.js';
import { relayedPlan } from './types.js';

const scenario = (file: string) =>
  resolveScenario(loadScenarioText(readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), 'utf8'), file).scenario);

describe('relay command lines and traffic plans', () => {
  test('socat receives on the input interface with a 4 MiB receive buffer and sends bound to the output interface\'s address', () => {
    expect(socatArgv(scenario('dual-bridge.yaml'), 0, 0)).toEqual([
      'socat', '-u', 'UDP4-RECV:5001,ip-add-membership=239.1.1.1:in0,reuseaddr,rcvbuf=4194304', 'UDP4-SEND:239.9.9.9:5099,bind=10.0.1.20,ip-multicast-ttl=8',
    ]);
  });

  test('mcrd gets --num-workers and --busy-poll-us only when the scenario sets them', () => {
    const s = scenario('chain.yaml');
    expect(mcrdArgs(s, '/run/x')).toEqual(['--control-socket', '/run/x/mcrd.sock', '--state-file', '/run/x/state.json']);
    expect(mcrdArgs({ ...s, mcrd: { workers: 2, busyPollUs: 0 } }, '/run/x').slice(4)).toEqual(['--num-workers', '2', '--busy-poll-us', '0']);
    expect(mcrdArgs({ ...s, mcrd: { busyPollUs: 100 } }, '/run/x').slice(4)).toEqual(['--busy-poll-us', '100']);
  });

  test('mcrd gets one rule per stream carrying every output', () => {
    const args = mcrctlAddArgs(scenario('fanout-50.yaml'), 0);
    expect(args.slice(0, 7)).toEqual(['add', '--input-interface', 'in0', '--input-group', '239.1.1.1', '--input-port', '5001']);
    const outputs = args[8]!.split(',');
    expect(outputs).toHaveLength(50);
    expect(outputs[0]).toBe('239.10.0.1:6000:out0');
    expect(outputs[49]).toBe('239.10.0.50:6000:out0');
  });

  test('relayed plan: the generator sends the input group, sinks join the output groups', () => {
    expect(relayedPlan(scenario('chain.yaml'))).toEqual({
      generators: [{ host: 'gen', interface: 'eth0', dst: ['239.1.1.1:5001'], rateFactor: 1, streamName: 's1' }],
      sinks: [{ output: 'sink1', stream: 's1', host: 'sink', interface: 'eth0', group: '239.9.9.9', port: 5099 }],
    });
  });

  test('kernel plan: sinks join the input group, which the MFC forwards unchanged', () => {
    expect(kernelPlan(scenario('chain.yaml')).sinks).toEqual([{ output: 'sink1', stream: 's1', host: 'sink', interface: 'eth0', group: '239.1.1.1', port: 5001 }]);
  });

  test('kernel cannot express a fan-out to many groups on one interface', () => {
    expect(kernelShapeProblem(scenario('chain.yaml'))).toBeUndefined();
    expect(kernelShapeProblem(scenario('fanout-50.yaml'))).toMatch(/^kernel: the MFC forwards 239\.1\.1\.1 unchanged, once per interface; stream s1 has 50 outputs on out0$/);
  });

  test('direct plan: the generator on the relay host sends every output group, at rate × outputs', () => {
    const plan = directPlan(scenario('fanout-50.yaml'));
    expect(plan.generators).toHaveLength(1);
    expect(plan.generators[0]).toMatchObject({ host: 'relay', interface: 'out0', rateFactor: 50 });
    expect(plan.generators[0]!.dst).toHaveLength(50);
    expect(plan.sinks).toHaveLength(50);
  });

  test('kernel forwarding waits for smcrouted to make VIFs of the interfaces (smcroute 2.5 `show interfaces`)', () => {
    const starting = '\x1b[7m INDEX PHYINT  VIF  MIF \x1b[0m\n     1 lo      N/A  N/A\n     2 in0     N/A  N/A\n     4 out0    N/A  N/A\n';
    const ready = '\x1b[7m INDEX PHYINT  VIF  MIF \x1b[0m\n     1 lo      N/A  N/A\n     2 in0       0  N/A\n     4 out0      1  N/A\n';
    expect([...vifInterfaces(starting)]).toEqual([]);
    expect([...vifInterfaces(ready)]).toEqual(['in0', 'out0']);
  });

  test('a kernel without IPv4 multicast routing is named as the reason kernel forwarding cannot run', () => {
    expect(kernelMroutingMissing('/nonexistent/ip_mr_vif')).toMatch(/no IPv4 multicast routing \(CONFIG_IP_MROUTE is not set/);
    expect(kernelMroutingMissing('/proc/self/status')).toBeUndefined();
  });

  test('socat processes share 64 MiB of receive buffer between them: 4 MiB each up to 16, less for a 1-to-50 fan-out', () => {
    expect(socatRcvbuf(1)).toBe(4 * 1024 * 1024);
    expect(socatRcvbuf(16)).toBe(4 * 1024 * 1024);
    expect(socatRcvbuf(50)).toBe(1_342_177);
    expect(socatRcvbuf(1000)).toBe(256 * 1024);
    expect(socatArgv(scenario('fanout-50.yaml'), 0, 0)[2]).toMatch(/,rcvbuf=1342177$/);
  });

  test('mcrd starts without the lab\'s MCR_* variables, which it would refuse as MCR settings', () => {
    expect(mcrdEnv({ PATH: '/bin', MCR_LAB_PREFIX: 'meas', HOME: '/root', MCR_X: undefined })).toEqual({ PATH: '/bin', HOME: '/root' });
  });
});
