// Unit tests of the engine facade: the native C++ test program, the parser as seen from JS, option and
// rule type checks, and setRules failing atomically (the failing part needs root: it runs on `lo`).
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { benchRuleLookup, Engine, EngineError, parseFrame } from './engine.js';
import { packageRoot } from './native.js';
import type { Capture, EngineOptions, EngineRule, MalformedReason } from './types.js';

const isRoot = process.getuid?.() === 0;

interface FrameSpec {
  tags?: Array<[tpid: number, vid: number]>;
  options?: number;
  payload?: number;
  padding?: number;
  frag?: number;
  proto?: number;
}

/** Ethernet [+ tags] + IPv4 [+ NOP options] + UDP 10.0.0.1:40000 -> 239.1.1.1:5000; payload byte k = (k*7+3)&255. */
function frame(s: FrameSpec = {}): Uint8Array {
  const tags = s.tags ?? [];
  const ihl = 20 + (s.options ?? 0);
  const payload = s.payload ?? 16;
  const ip = 14 + 4 * tags.length;
  const total = ihl + 8 + payload;
  const f = Buffer.alloc(ip + total + (s.padding ?? 0));
  Buffer.from([1, 0, 0x5e, 1, 1, 1, 2, 0, 0, 0, 0, 1]).copy(f);
  tags.forEach(([tpid, vid], i) => {
    f.writeUInt16BE(tpid, 12 + 4 * i);
    f.writeUInt16BE(vid, 14 + 4 * i);
  });
  f.writeUInt16BE(0x0800, ip - 2);
  f[ip] = 0x40 | (ihl / 4);
  f.writeUInt16BE(total, ip + 2);
  f.writeUInt16BE(s.frag ?? 0, ip + 6);
  f[ip + 8] = 9;
  f[ip + 9] = s.proto ?? 17;
  Buffer.from([10, 0, 0, 1, 239, 1, 1, 1]).copy(f, ip + 12);
  f.fill(1, ip + 20, ip + ihl);
  fixChecksum(f, ip);
  f.writeUInt16BE(40000, ip + ihl);
  f.writeUInt16BE(5000, ip + ihl + 2);
  f.writeUInt16BE(8 + payload, ip + ihl + 4);
  for (let k = 0; k < payload; k++) f[ip + ihl + 8 + k] = (k * 7 + 3) & 0xff;
  return new Uint8Array(f.buffer, f.byteOffset, f.length);
}

function fixChecksum(f: Buffer, ip: number): void {
  const ihl = (f[ip]! & 0x0f) * 4;
  f.writeUInt16BE(0, ip + 10);
  let sum = 0;
  for (let i = 0; i < ihl; i += 2) sum += f.readUInt16BE(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f.writeUInt16BE(~sum & 0xffff, ip + 10);
}

function mutate(f: Uint8Array, fn: (b: Buffer) => void): Uint8Array {
  const b = Buffer.from(f);
  fn(b);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

describe('native C++ tests', () => {
  test('mcr-engine-test passes every case', () => {
    const bin = join(packageRoot(), 'build', 'Release', 'mcr-engine-test');
    const r = spawnSync(bin, [], { encoding: 'utf8' });
    expect(r.error, `cannot run ${bin} (build it with npm run install)`).toBeUndefined();
    expect(r.stdout).toMatch(/# \d+ passed, 0 failed/);
    expect(r.stdout).toContain('ok   parse_malformed_bad_ip_checksum');
    expect(r.status, r.stdout).toBe(0);
  });
});

describe('parseFrame', () => {
  test('a plain frame yields addresses, ports and the exact payload span', () => {
    const f = frame();
    const p = parseFrame(f);
    expect(p).toEqual({
      vlanIds: [],
      source: '10.0.0.1',
      destination: '239.1.1.1',
      sourcePort: 40000,
      destinationPort: 5000,
      ttl: 9,
      ipOffset: 14,
      ipHeaderLength: 20,
      payloadOffset: 42,
      payloadLength: 16,
    });
  });

  test.each([
    ['802.1Q', [[0x8100, 100]], [100], 18],
    ['QinQ', [[0x88a8, 300], [0x8100, 42]], [300, 42], 22],
  ] as Array<[string, Array<[number, number]>, number[], number]>)('%s tags are skipped and reported', (_n, tags, ids, ipOffset) => {
    const p = parseFrame(frame({ tags }));
    expect(p).toMatchObject({ vlanIds: ids, ipOffset, destinationPort: 5000, payloadLength: 16 });
  });

  test('an out-of-band VLAN tag comes first in vlanIds', () => {
    expect(parseFrame(frame({ tags: [[0x8100, 7]] }), { vlanTci: 0xe005 })).toMatchObject({ vlanIds: [5, 7] });
  });

  test('IPv4 options move the payload, a 9000-byte MTU frame parses whole, padding is ignored', () => {
    expect(parseFrame(frame({ options: 40 }))).toMatchObject({ ipHeaderLength: 60, payloadOffset: 14 + 60 + 8 });
    const jumbo = frame({ payload: 8972 });
    const p = parseFrame(jumbo);
    expect(p).toMatchObject({ payloadLength: 8972 });
    if ('error' in p) throw new Error(p.error);
    expect(Buffer.from(jumbo.subarray(p.payloadOffset, p.payloadOffset + 8972)).equals(Buffer.from(Array.from({ length: 8972 }, (_v, k) => (k * 7 + 3) & 0xff)))).toBe(true);
    expect(parseFrame(frame({ payload: 2, padding: 20 }))).toMatchObject({ payloadLength: 2 });
  });

  const malformed: Array<[MalformedReason, Uint8Array]> = [
    ['truncatedEthernet', frame().subarray(0, 13)],
    ['truncatedVlan', frame({ tags: [[0x8100, 1]] }).subarray(0, 16)],
    ['notIpv4', mutate(frame(), (b) => b.writeUInt16BE(0x86dd, 12))],
    ['badIpVersion', mutate(frame(), (b) => (b[14] = 0x65))],
    ['badIhl', mutate(frame(), (b) => (b[14] = 0x44))],
    ['badIpTotalLength', mutate(frame(), (b) => { b.writeUInt16BE(200, 16); fixChecksum(b, 14); })],
    ['truncatedIp', frame().subarray(0, 30)],
    ['fragment', frame({ frag: 0x2000 })],
    ['notUdp', frame({ proto: 6 })],
    ['truncatedUdp', mutate(frame(), (b) => { b.writeUInt16BE(24, 16); fixChecksum(b, 14); })],
    ['badUdpLength', mutate(frame(), (b) => b.writeUInt16BE(4, 38))],
    ['badIpChecksum', mutate(frame(), (b) => (b[24] = b[24]! ^ 1))],
  ];
  test.each(malformed)('%s is reported as such', (reason, f) => {
    expect(parseFrame(f)).toEqual({ error: reason });
  });

  test('a non-Uint8Array frame is a TypeError', () => {
    expect(() => parseFrame('abc' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('benchRuleLookup', () => {
  test('every timed lookup hits, with and without source-specific rules', () => {
    for (const source of [false, true]) {
      const r = benchRuleLookup(1000, 100_000, source);
      expect(r.hits).toBe(100_000);
      expect(r.nsPerLookup).toBeGreaterThan(0);
    }
  });
});

describe('Engine options and rules are type-checked', () => {
  test.each([
    [{ backend: 'dpdk' }, /options\.backend: expected "uring" or "mmsg", got "dpdk"/],
    [{ backend: 'mmsg', fanoutGroup: -1 }, /options\.fanoutGroup: expected integer 0-65535, got -1/],
    [{ backend: 'mmsg', cpu: 1.5 }, /options\.cpu/],
    [{ backend: 'mmsg', ringBlockSize: 5000 }, /options\.ringBlockSize/],
    [{ backend: 'mmsg', ringBlockSize: 20000 }, /multiple of 4096/],
    [{ backend: 'mmsg', ringBlockCount: 1 }, /options\.ringBlockCount/],
    [{ backend: 'mmsg', filter: 'all' }, /options\.filter/],
    [{ backend: 'mmsg', igmpJoin: 'yes' }, /options\.igmpJoin: expected true or false/],
    [{ backend: 'mmsg', egress: 'raw' }, /options\.egress: expected "packet" or "socket"/],
    [{ backend: 'mmsg', busyPollUs: -5 }, /options\.busyPollUs/],
    [{ backend: 'mmsg', ringVersion: 1 }, /options\.ringVersion: expected 2 or 3, got 1/],
    [null, /Engine options: expected an object/],
  ])('new Engine(%j) throws a TypeError naming the field', (opts, message) => {
    expect(() => new Engine(opts as unknown as EngineOptions)).toThrow(TypeError);
    expect(() => new Engine(opts as unknown as EngineOptions)).toThrow(message);
  });

  test('slot limits are exposed', () => {
    expect(Engine.MAX_RULE_SLOTS).toBe(32768);
    expect(Engine.MAX_OUTPUT_SLOTS).toBe(65536);
  });

  test('setRules rejects bad shapes with the path of the field', () => {
    const e = new Engine({ backend: 'mmsg' });
    const rule = (over: Record<string, unknown>) => [{ id: 'r', slot: 0, input: { interface: 'lo', group: '239.1.1.1', port: 5000 }, outputs: [], ...over }];
    expect(() => e.setRules(rule({ slot: 32768 }) as EngineRule[])).toThrow(/rules\[0\]\.slot: expected an integer 0-32767, got 32768/);
    expect(() => e.setRules(rule({ outputs: [{ slot: 1, interface: 'lo', group: '239.1.1.2', port: 65536, ttl: 1 }] }) as EngineRule[])).toThrow(/rules\[0\]\.outputs\[0\]\.port: expected an integer 0-65535/);
    // Port 0 means any port, which only a multicast input can have (a unicast one guards its port).
    expect(() => e.setRules(rule({ input: { interface: 'lo', group: '127.0.0.1', port: 0 } }) as EngineRule[])).toThrow(/rules\[0\]\.input\.port 0 \(any port\) needs a multicast group/);
    expect(() => e.setRules(rule({ input: { interface: 'lo', group: '239.1.1', port: 1 } }) as EngineRule[])).toThrow(/rules\[0\]\.input\.group: expected a dotted-quad/);
    expect(() => e.setRules(rule({ outputs: [{ slot: 1, interface: 'lo', group: '239.1.1.2', port: 1, ttl: 1, source: '10.0.0' }] }) as EngineRule[])).toThrow(/rules\[0\]\.outputs\[0\]\.source: expected a dotted-quad/);
    expect(() => e.setRules([], { watch: ['lo'] } as unknown as Capture)).toThrow(/setRules capture\.hold: expected an array of interface names, got undefined/);
    expect(() => e.updateRules([], [], { watch: [], hold: ['lo', ''] })).toThrow(/updateRules capture\.hold\[1\]: expected a non-empty string/);
    e.stop();
  });
});

describe.skipIf(!isRoot)('setRules is all-or-nothing (root; uses lo)', () => {
  const good: EngineRule[] = [
    { id: 'lo', slot: 1, input: { interface: 'lo', group: '239.77.0.1', port: 7000 }, outputs: [{ slot: 2, interface: 'lo', group: '239.77.0.2', port: 7001, ttl: 1 }] },
  ];

  async function sendOnLo(n: number): Promise<void> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.setMulticastInterface('127.0.0.1');
    s.setMulticastLoopback(false);
    for (let i = 0; i < n; i++) await new Promise<void>((r, j) => s.send(Buffer.alloc(100, i), 7000, '239.77.0.1', (e) => (e ? j(e) : r())));
    s.close();
  }

  async function until(fn: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!fn()) {
      if (Date.now() > end) throw new Error('gave up waiting for counters');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test.each(['mmsg', 'uring'] as const)('with backend %s, a nonexistent interface throws EngineError and the old table keeps forwarding', async (backend) => {
    const e = new Engine({ backend });
    try {
      e.setRules(good);
      e.start();
      await sendOnLo(10);
      await until(() => e.counters().outputs.get(2)?.packets === 10n);

      let err: unknown;
      try {
        e.setRules([...good, { id: 'bad', slot: 3, input: { interface: 'mcrnope0', group: '239.77.0.9', port: 7000 }, outputs: [] }]);
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(EngineError);
      expect(err).toMatchObject({ code: 'ENODEV', iface: 'mcrnope0', syscall: 'bind', hint: 'interface does not exist' });
      expect((err as Error).message).toBe('bind(AF_PACKET, mcrnope0): ENODEV — interface does not exist');

      await sendOnLo(5);
      await until(() => e.counters().outputs.get(2)?.packets === 15n);
      const c = e.counters();
      expect(c.rules.get(1)).toMatchObject({ packets: 15n, bytes: 1500n });
      expect(c.rules.has(3)).toBe(false);
      expect(c.outputs.get(2)).toMatchObject({ sendErrors: 0n, bytes: 1500n });
    } finally {
      e.stop();
      e.stop();
    }
  });

  test('two engines in one fanout group share the input: every packet is taken once', async () => {
    const a = new Engine({ backend: 'mmsg', fanoutGroup: 4242 });
    const b = new Engine({ backend: 'mmsg', fanoutGroup: 4242 });
    try {
      a.setRules(good);
      b.setRules(good);
      a.start();
      b.start();
      await sendOnLo(20);
      const total = () => (a.counters().rules.get(1)?.packets ?? 0n) + (b.counters().rules.get(1)?.packets ?? 0n);
      await until(() => total() === 20n);
      await new Promise((r) => setTimeout(r, 100));
      expect(total()).toBe(20n);
    } finally {
      a.stop();
      b.stop();
    }
  });

  test('two rules with the same input are refused with EINVAL, naming both', () => {
    const e = new Engine({ backend: 'mmsg' });
    expect(() => e.setRules([good[0]!, { ...good[0]!, id: 'again', slot: 5, outputs: [] }])).toThrow(/rules\[1\] \(again\) repeats the input lo 239\.77\.0\.1:7000/);
    e.stop();
  });

  test('an output slot that reappears after removal starts from zero', async () => {
    const e = new Engine({ backend: 'mmsg' });
    try {
      e.setRules(good);
      e.start();
      await sendOnLo(3);
      await until(() => e.counters().outputs.get(2)?.packets === 3n);
      e.setRules([]);
      expect(e.counters().rules.size).toBe(0);
      e.setRules(good);
      expect(e.counters().outputs.get(2)?.packets).toBe(0n);
      expect(e.counters().rules.get(1)?.packets).toBe(0n);
    } finally {
      e.stop();
    }
  });
});
