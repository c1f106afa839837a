import { expect, test } from 'vitest';
import { parseCpuList } from '../config/settings.js';
import { parseDaemonArgs } from './args.js';

test('MCR-style invocation parses, with its socket flag alias', () => {
  expect(parseDaemonArgs(['supervisor', '--control-socket-path', '/var/run/mcr.sock', '--num-workers', '2', '--log-json'], {}).settings).toEqual({
    controlSocket: '/var/run/mcr.sock', numWorkers: 2, logJson: true,
  });
});

test("MCR's --interface and tuning variables are refused naming what to do instead; MCR_COMPAT is honoured", () => {
  expect(() => parseDaemonArgs(['supervisor', '--interface', 'eth0'], {})).toThrow("--interface: MCR's fanout interface has no meaning for mcrd, which opens the interfaces each rule names; remove the flag");
  expect(() => parseDaemonArgs([], { MCR_SOCKET_SNDBUF: '8388608' })).toThrow("MCR_SOCKET_SNDBUF: MCR's variable is not read by mcrd (egress sockets use the kernel's net.core.wmem_default); unset it");
  expect(() => parseDaemonArgs([], { MCR_BUFFER_POOL_JUMBO: '1' })).toThrow('--ring-blocks');
  expect(() => parseDaemonArgs([], { MCR_WHATEVER: '1' })).toThrow('MCR_WHATEVER: MCR\'s variable is not read by mcrd (no mcrd setting corresponds to it); unset it');
  expect(parseDaemonArgs([], { MCR_COMPAT: '1' })).toMatchObject({ mcrStats: true });
  // mcr-lab's variables pass through to the mcrd it starts.
  expect(() => parseDaemonArgs([], { MCR_LAB_PREFIX: 'pfs', MCR_LAB_STATE_DIR: '/tmp/x' })).not.toThrow();
  expect(parseDaemonArgs(['--log-format', 'mcr'], {})).toMatchObject({ mcrStats: true });
  expect(parseDaemonArgs(['--log-format', 'json'], {}).settings).toMatchObject({ logJson: true });
  expect(() => parseDaemonArgs(['--log-format', 'xml'], {})).toThrow('--log-format: expected "text", "json" or "mcr", got "xml" (string)');
  expect(() => parseDaemonArgs(['--log-format', 'text', '--log-json'], {})).toThrow('--log-json: conflicts with --log-format text');
  expect(() => parseDaemonArgs(['--log-format', 'mcr', '--log-json'], {})).toThrow("--log-format: MCR's [STATS] lines are text; drop --log-json");
});

test('--instance names a relay; a name that could escape its directory is refused', () => {
  expect(parseDaemonArgs(['--instance', 'edge1'], {})).toMatchObject({ instance: 'edge1' });
  expect(() => parseDaemonArgs(['--instance', '../x'], {})).toThrow('--instance: expected an instance name');
});

test('all flags parse to settings', () => {
  const a = parseDaemonArgs(['--config', 'c.json5', '--control-socket', '/s', '--state-file', '/st', '--num-workers', '2', '--backend', 'sendmmsg', '--log-level', 'debug',
    '--log-json', '--busy-poll-us', '50', '--gso', 'off', '--ring', 'v3', '--ring-blocks', '64', '--egress', 'socket', '--socket-group', 'ops', '--metrics-listen', ':9477', '--cpus', '2-3'], {});
  expect(a.config).toBe('c.json5');
  expect(a.settings).toEqual({
    controlSocket: '/s', stateFile: '/st', numWorkers: 2, backend: 'mmsg', logLevel: 'debug', logJson: true, busyPollUs: 50, gso: false,
    ring: 'v3', ringBlocks: 64, egress: 'socket', socketGroup: 'ops', metricsListen: ':9477', cpus: [2, 3],
  });
  expect(parseDaemonArgs(['--gso', 'on']).settings).toEqual({ gso: true });
  expect(parseDaemonArgs(['--backend', 'io_uring']).settings).toEqual({ backend: 'uring' });
  expect(parseDaemonArgs([]).settings).toEqual({});
});

test.each([
  [['--num-workers', 'x'], '--num-workers: expected integer 1-64, got "x" (string)'],
  [['--num-workers', '0'], '--num-workers: expected integer 1-64, got "0" (string)'],
  [['--backend', 'xdp'], '--backend: expected "uring" or "mmsg", got "xdp" (string)'],
  [['--log-level', 'loud'], '--log-level: expected one of error, warn, info, debug, got "loud" (string)'],
  [['--busy-poll-us', '5ms'], '--busy-poll-us: expected integer 0-1000000 (µs), got "5ms" (string)'],
  [['--busy-poll-us', '1000001'], '--busy-poll-us: expected integer 0-1000000 (µs), got "1000001" (string)'],
  [['--gso', 'yes'], '--gso: expected "on" or "off", got "yes" (string)'],
  [['--cpus', '1-0'], '--cpus: expected CPU numbers like 2 or 2,3 or 2-3, got "1-0" (string)'],
  [['--cpus', 'two'], '--cpus: expected CPU numbers like 2 or 2,3 or 2-3, got "two" (string)'],
  [['--cpus', '4096'], '--cpus: expected CPU numbers 0-4095, got "4096" (string)'],
  [['--ring-blocks', '1'], '--ring-blocks: expected integer 2-65536, got "1" (string)'],
  [['--ring', 'v4'], '--ring: expected "v2" or "v3", got "v4" (string)'],
  [['--egress', 'xdp'], '--egress: expected "packet" or "socket", got "xdp" (string)'],
  [['--metrics-listen', '9477'], '--metrics-listen: expected ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477), got "9477" (string)'],
  [['--control-socket', ''], '--control-socket: expected a path, got "" (string)'],
  [['worker'], 'unexpected argument "worker"'],
  [['--frob'], "Unknown option '--frob'"],
])('%j is refused naming the flag', (argv, message) => {
  expect(() => parseDaemonArgs(argv, {})).toThrow(message);
});

test('--cpus takes single CPUs, lists and ranges, in the order given', () => {
  expect(parseCpuList('2')).toEqual([2]);
  expect(parseCpuList('3,1')).toEqual([3, 1]);
  expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
  expect(parseDaemonArgs(['--cpus', '1']).settings).toEqual({ cpus: [1] });
});

test('--adaptive-poll on|off, and not together with a fixed --busy-poll-us window', () => {
  expect(parseDaemonArgs(['--adaptive-poll', 'on']).settings).toMatchObject({ adaptivePoll: true });
  expect(parseDaemonArgs(['--adaptive-poll', 'off', '--busy-poll-us', '50']).settings).toMatchObject({ adaptivePoll: false, busyPollUs: 50 });
  expect(() => parseDaemonArgs(['--adaptive-poll', 'yes'])).toThrow('--adaptive-poll: expected "on" or "off", got "yes"');
  expect(() => parseDaemonArgs(['--busy-poll-us', '200', '--adaptive-poll', 'on'])).toThrow('--adaptive-poll: a fixed window (busyPollUs) or adaptive polling, not both; drop one');
});
