import { describe, expect, test } from 'vitest';
import { parseDaemonArgs } from '../daemon/args.js';
import { emptyConfig, parseConfigText } from './load.js';
import { DEFAULTS, SETTING_FLAGS, type SettingKey, resolveSettings } from './settings.js';

/** Per setting: what a flag says (as typed and as resolved), what a config file says, and the default. */
const CASES: Record<SettingKey, { flag: string[]; fromFlag: unknown; config: string; fromConfig: unknown; fallback: unknown }> = {
  controlSocket: { flag: ['--control-socket', '/f.sock'], fromFlag: '/f.sock', config: '"/c.sock"', fromConfig: '/c.sock', fallback: '/run/mcrd/control.sock' },
  socketGroup: { flag: ['--socket-group', 'ops'], fromFlag: 'ops', config: '"adm"', fromConfig: 'adm', fallback: undefined },
  user: { flag: ['--user', 'mcrd'], fromFlag: 'mcrd', config: '"nobody:nogroup"', fromConfig: 'nobody:nogroup', fallback: undefined },
  stateFile: { flag: ['--state-file', '/f.json'], fromFlag: '/f.json', config: '"/c.json"', fromConfig: '/c.json', fallback: '/var/lib/mcrd/rules.json' },
  numWorkers: { flag: ['--num-workers', '4'], fromFlag: 4, config: '2', fromConfig: 2, fallback: 1 },
  cpus: { flag: ['--cpus', '2-3'], fromFlag: [2, 3], config: '[1]', fromConfig: [1], fallback: undefined },
  backend: { flag: ['--backend', 'io_uring'], fromFlag: 'uring', config: '"uring"', fromConfig: 'uring', fallback: 'mmsg' },
  ring: { flag: ['--ring', 'v3'], fromFlag: 'v3', config: '"v3"', fromConfig: 'v3', fallback: 'v2' },
  egress: { flag: ['--egress', 'socket'], fromFlag: 'socket', config: '"socket"', fromConfig: 'socket', fallback: 'packet' },
  gso: { flag: ['--gso', 'off'], fromFlag: false, config: 'false', fromConfig: false, fallback: undefined },
  ringBlocks: { flag: ['--ring-blocks', '1024'], fromFlag: 1024, config: '256', fromConfig: 256, fallback: 512 },
  busyPollUs: { flag: ['--busy-poll-us', '50'], fromFlag: 50, config: '20', fromConfig: 20, fallback: 0 },
  adaptivePoll: { flag: ['--adaptive-poll', 'on'], fromFlag: true, config: 'true', fromConfig: true, fallback: false },
  logLevel: { flag: ['--log-level', 'debug'], fromFlag: 'debug', config: '"warn"', fromConfig: 'warn', fallback: 'info' },
  logJson: { flag: ['--log-json'], fromFlag: true, config: 'true', fromConfig: true, fallback: false },
  metricsListen: { flag: ['--metrics-listen', '127.0.0.1:9477'], fromFlag: '127.0.0.1:9477', config: '":9100"', fromConfig: ':9100', fallback: undefined },
};

/** A config file with one daemon setting on line 3. */
const file = (key: string, value: string) => parseConfigText(`{\n  daemon: {\n    ${key}: ${value},\n  },\n  rules: [],\n}`, 'mcrd.json5');
const resolve = (argv: string[], config = emptyConfig()) => resolveSettings(parseDaemonArgs(argv, {}), config);

describe('each setting resolves flag > config file > default', () => {
  test('the cases cover every setting the schema has', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(SETTING_FLAGS).sort());
  });

  test.each(Object.entries(CASES))('%s', (key, c) => {
    const k = key as SettingKey;
    const both = resolve(c.flag, file(k, c.config));
    expect(both[k]).toEqual(c.fromFlag);
    expect(both.sources[k]).toBe(SETTING_FLAGS[k].flag);
    const config = resolve([], file(k, c.config));
    expect(config[k]).toEqual(c.fromConfig);
    expect(config.sources[k]).toBe(`mcrd.json5:3 daemon.${k}`);
    const neither = resolve([]);
    expect(neither[k]).toEqual(c.fallback);
    if (k in DEFAULTS) expect(neither.sources[k]).toBe('default');
  });
});

describe('paths', () => {
  test('--instance moves the default socket and state file, and an explicit path still wins', () => {
    expect(resolve(['--instance', 'edge1'])).toMatchObject({ controlSocket: '/run/mcrd/edge1/control.sock', stateFile: '/var/lib/mcrd/edge1/rules.json', instance: 'edge1' });
    expect(resolve(['--instance', 'edge1'], file('stateFile', '"/srv/r.json"'))).toMatchObject({ controlSocket: '/run/mcrd/edge1/control.sock', stateFile: '/srv/r.json' });
  });

  test('--config and --log-format mcr travel with the settings', () => {
    expect(resolve(['--config', '/etc/mcrd/mcrd.json5', '--log-format', 'mcr'])).toMatchObject({ config: '/etc/mcrd/mcrd.json5', mcrStats: true, logJson: false });
  });
});

describe('a bad value is refused naming where it came from, in the same words', () => {
  test.each([
    ['ringBlocks', ['--ring-blocks', '1'], '1', '--ring-blocks: expected integer 2-65536, got "1" (string)', 'mcrd.json5:3 daemon.ringBlocks: expected integer 2-65536, got 1 (number)'],
    ['numWorkers', ['--num-workers', '65'], '65', '--num-workers: expected integer 1-64, got "65" (string)', 'mcrd.json5:3 daemon.numWorkers: expected integer 1-64, got 65 (number)'],
    ['backend', ['--backend', 'xdp'], '"xdp"', '--backend: expected "uring" or "mmsg", got "xdp" (string)', 'mcrd.json5:3 daemon.backend: expected "uring" or "mmsg", got "xdp" (string)'],
    ['logLevel', ['--log-level', 'loud'], '"loud"', '--log-level: expected one of error, warn, info, debug, got "loud" (string)', 'mcrd.json5:3 daemon.logLevel: expected one of error, warn, info, debug, got "loud" (string)'],
    ['busyPollUs', ['--busy-poll-us', '5ms'], '"5ms"', '--busy-poll-us: expected integer 0-1000000 (µs), got "5ms" (string)', 'mcrd.json5:3 daemon.busyPollUs: expected integer 0-1000000 (µs), got "5ms" (string)'],
    ['metricsListen', ['--metrics-listen', 'x'], '"x"', '--metrics-listen: expected ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477), got "x" (string)',
      'mcrd.json5:3 daemon.metricsListen: expected ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477), got "x" (string)'],
    ['user', ['--user', 'a:b:c'], '"a:b:c"', '--user: expected USER or USER:GROUP (one colon at most), got "a:b:c" (string)',
      'mcrd.json5:3 daemon.user: expected USER or USER:GROUP (one colon at most), got "a:b:c" (string)'],
  ])('%s', (key, argv, config, flagMessage, configMessage) => {
    expect(() => parseDaemonArgs(argv, {})).toThrow(flagMessage);
    expect(() => file(key, config)).toThrow(configMessage);
  });

  test('an unknown daemon key is refused with a suggestion', () => {
    expect(() => file('ringBlock', '64')).toThrow('mcrd.json5:3 daemon.ringBlock: unknown key; did you mean "ringBlocks"?');
  });
});
