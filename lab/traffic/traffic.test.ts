// Unit tests of the native traffic tools through their binaries, on 127.0.0.1 (no root, no
// namespaces): flag validation, payload format checked by an independent TS decoder, and the sink's
// accounting of hand-crafted loss, duplicates, reordering, late and corrupt datagrams.
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { execa } from 'execa';
import { afterEach, describe, expect, test } from 'vitest';

import { decodeHeader, encodePayload, firstBadPatternByte, HEADER_LEN } from './payload-codec.js';
import { nativeBinary, packageRoot, runGenerator, startSink, TrafficToolError, type SinkHandle } from './traffic.js';

// Loopback is shared with everything else on the machine: pick ports few others would.
let nextPort = 41000 + Math.floor(Math.random() * 8000);
const port = () => nextPort++;

const run = (tool: 'mcr-gen' | 'mcr-sink', args: string[]) => execa(nativeBinary(tool), args, { reject: false, timeout: 20_000 });

const sinks: SinkHandle[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop().catch(() => undefined)));
});
async function sink(o: Parameters<typeof startSink>[0]): Promise<SinkHandle> {
  const s = await startSink(o);
  sinks.push(s);
  return s;
}

describe('flag validation', () => {
  test('mcr-gen --dst nonsense exits 64 with a message naming --dst', async () => {
    const r = await run('mcr-gen', ['--dst', 'nonsense']);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain('mcr-gen: --dst: expected GROUP:PORT');
    expect(r.stderr).toContain('got "nonsense"');
  });

  test.each([
    [['--rate', '1000'], '--dst: missing'],
    [['--dst', '239.1.1.1:0'], '--dst: expected GROUP:PORT'],
    [['--dst', '239.1.1.1:5000', '--rate', 'fast'], '--rate: expected an integer'],
    [['--dst', '239.1.1.1:5000', '--size', '31'], '--size: expected an integer 32-65507'],
    [['--dst', '239.1.1.1:5000', '--size', '65508'], '--size: expected an integer 32-65507'],
    [['--dst', '239.1.1.1:5000', '--count', '5', '--duration', '1'], '--count and --duration'],
    [['--dst', '239.1.1.1:5000', '--ttl', '0'], '--ttl: expected an integer 1-255'],
    [['--dst', '239.1.1.1:5000', '--bogus'], 'unknown option "--bogus"'],
    [['--dst', '239.1.1.1:5000', '--bind', '10.0.0'], '--bind: expected ADDR or ADDR:PORT'],
    [['--dst', '239.1.1.1:5000', '--tx', 'raw'], '--tx: expected udp or packet, got "raw"'],
    [['--dst', '239.1.1.1:5000', '--threads', '2'], '--threads 2: needs at least as many --dst (got 1)'],
    [['--dst', '239.1.1.1:5000', '--tx', 'packet'], '--tx packet: needs --interface'],
    [['--dst', '10.0.0.1:5000', '--tx', 'packet', '--interface', 'lo'], '10.0.0.1:5000 is not a multicast group'],
  ])('mcr-gen %j is a usage error mentioning %s', async (args, message) => {
    const r = await run('mcr-gen', args);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain(message);
  });

  test.each([
    [[], '--listen: missing'],
    [['--listen', '239.1.1.1'], '--listen: expected GROUP:PORT'],
    [['--listen', '239.1.1.1:5000,239.1.1.1:5000'], 'is given twice'],
    [['--listen', '239.1.1.1:5000', '--idle-timeout', '-1'], '--idle-timeout: expected seconds'],
    [['--listen', '239.1.1.1:5000', '--expect-count', '0'], '--expect-count: expected an integer'],
    [['--listen', '239.1.1.1:5000', '--rx-timestamp', 'nic'], '--rx-timestamp: expected kernel or user, got "nic"'],
    [['--listen', '239.1.1.1:5000', '--coalesce-us', '1e3'], '--coalesce-us: expected an integer 0-100000'],
  ])('mcr-sink %j is a usage error mentioning %s', async (args, message) => {
    const r = await run('mcr-sink', args);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain(message);
  });

  test('an interface that does not exist is a runtime error naming it', async () => {
    const r = await run('mcr-sink', ['--listen', '239.1.1.1:5000', '--interface', 'nosuchif0']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('--interface nosuchif0');
  });

  test('--help prints the usage on stdout and exits 0', async () => {
    for (const tool of ['mcr-gen', 'mcr-sink'] as const) {
      const r = await run(tool, ['--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: ${tool} `));
    }
  });

  test.each([
    [{ dst: ['nonsense'], ratePps: 1, count: 1, payloadBytes: 64 }, 'runGenerator: dst[0]: expected "A.B.C.D:PORT"'],
    [{ dst: ['239.1.1.1:5000'], ratePps: -1, count: 1, payloadBytes: 64 }, 'ratePps: expected an integer'],
    [{ dst: ['239.1.1.1:5000'], ratePps: 1, count: 1, payloadBytes: 20 }, 'payloadBytes: expected an integer 32-65507, got 20 (number)'],
    [{ dst: ['239.1.1.1:5000'], ratePps: 1, count: 1, durationS: 1, payloadBytes: 64 }, 'count and durationS'],
    [{ dst: ['239.1.1.1:5000'], ratePps: 1, payloadBytes: 64 }, 'count/durationS'],
    [{ dst: ['239.1.1.1:5000'], ratePps: 1, count: 1, payloadBytes: 64, tx: 'packet' as const }, 'interface: expected an interface name'],
    [{ dst: ['239.1.1.1:5000'], ratePps: 1, count: 1, payloadBytes: 64, threads: 2 }, 'threads: expected at most dst.length (1)'],
    [{ dst: ['239.1.1.1:5000'], ratePps: 1, count: 1, payloadBytes: 64, cpus: [] }, 'runGenerator: cpus: expected a non-empty array of CPU numbers 0-1023, got [] (array)'],
  ])('runGenerator(%j) throws a TypeError: %s', async (o, message) => {
    await expect(runGenerator(o)).rejects.toThrow(TypeError);
    await expect(runGenerator(o)).rejects.toThrow(message);
  });

  test.each([
    [{ listen: ['127.0.0.1:5000'], coalesceUs: -5 }, 'startSink: coalesceUs: expected an integer 0-100000, got -5 (number)'],
    [{ listen: ['127.0.0.1:5000'], rxTimestamp: 'nic' as 'user' }, 'startSink: rxTimestamp: expected "kernel" or "user", got "nic" (string)'],
    [{ listen: [] }, 'startSink: listen: expected a non-empty array'],
    [{ listen: ['127.0.0.1:5000'], cpus: [1.5] }, 'startSink: cpus: expected a non-empty array of CPU numbers 0-1023'],
    [{ listen: ['127.0.0.1:5000'], idleTimeoutS: 0 }, 'startSink: idleTimeoutS: expected seconds > 0'],
  ])('startSink(%j) throws a TypeError: %s', async (o, message) => {
    await expect(startSink(o)).rejects.toThrow(TypeError);
    await expect(startSink(o)).rejects.toThrow(message);
  });

  test('startSink rejects a duplicate listen before starting anything', async () => {
    await expect(startSink({ listen: ['127.0.0.1:5000', '127.0.0.1:5000'] })).rejects.toThrow('listen: 127.0.0.1:5000 is given twice');
  });
});

const shim = join(packageRoot(), 'dist', 'lab', 'traffic', 'mcr-gen.js');
describe.skipIf(!existsSync(shim))('bin shims (dist/, built by tsc)', () => {
  test('mcr-gen runs the native binary with our argv and passes its exit code through', async () => {
    const bad = await execa('node', [shim, '--dst', 'nonsense'], { reject: false });
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toContain('mcr-gen: --dst: expected GROUP:PORT');
    const help = await execa('node', [join(packageRoot(), 'dist', 'lab', 'traffic', 'mcr-sink.js'), '--help'], { reject: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^usage: mcr-sink /);
  });

  test('mcr-sink behind the shim still reports after SIGTERM to the shim', async () => {
    const p = port();
    const child = execa('node', [join(packageRoot(), 'dist', 'lab', 'traffic', 'mcr-sink.js'), '--listen', `127.0.0.1:${p}`, '--json'], { reject: false });
    await new Promise<void>((r) => child.stderr.on('data', (d: Buffer) => d.toString().includes('mcr-sink: ready') && r()));
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ listens: [{ port: p, received: 0 }] });
  });
});

describe('generator output, decoded independently', () => {
  async function capture(size: number, count: number, streamId: number): Promise<Buffer[]> {
    const p = port();
    const sock: Socket = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    await new Promise<void>((r) => sock.bind(p, '127.0.0.1', r));
    try {
      // Slow enough for node's default-sized receive buffer on a busy machine.
      const rep = await runGenerator({ dst: [`127.0.0.1:${p}`], ratePps: 500, count, payloadBytes: size, streamId });
      expect(rep.sent).toBe(count);
      const deadline = Date.now() + 5000;
      while (got.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      sock.close();
    }
    return got;
  }

  test.each([32, 33, 1316, 8972])('every %i-byte datagram has the documented header and pattern', async (size) => {
    const before = process.hrtime.bigint();
    const got = await capture(size, 50, 7);
    expect(got).toHaveLength(50);
    got.forEach((b, n) => {
      expect(b.length).toBe(size);
      const h = decodeHeader(b);
      expect(h).toMatchObject({ version: 1, flags: 0, headerLen: HEADER_LEN, streamId: 7, seq: BigInt(n), length: size });
      // The timestamp is CLOCK_MONOTONIC, which is also what process.hrtime reads on Linux.
      expect(h!.sendNs).toBeGreaterThanOrEqual(before);
      expect(h!.sendNs).toBeLessThanOrEqual(process.hrtime.bigint());
      expect(firstBadPatternByte(b, h!)).toBe(-1);
    });
  });
});

describe('sink accounting', () => {
  test('generator to sink on loopback: everything arrives, in order and verified', async () => {
    const p = port();
    const s = await sink({ listen: [`127.0.0.1:${p}`], expectCount: 2000, idleTimeoutS: 5 });
    const gen = await runGenerator({ dst: [`127.0.0.1:${p}`], ratePps: 20_000, count: 2000, payloadBytes: 200 });
    const rep = await s.done;
    expect(gen).toMatchObject({ sent: 2000, errors: 0 });
    expect(rep.listens).toHaveLength(1);
    expect(rep.listens[0]).toMatchObject({
      group: '127.0.0.1', port: p, received: 2000, bytes: 400_000, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0,
      firstSeq: 0, lastSeq: 1999, streams: [{ streamId: 1, received: 2000, lost: 0 }],
    });
    const lat = rep.listens[0]!.latencyNs!;
    expect(lat.samples).toBe(2000);
    expect(lat.min).toBeGreaterThan(0);
    expect(lat.min).toBeLessThanOrEqual(lat.p50);
    expect(lat.p50).toBeLessThanOrEqual(lat.p99);
    expect(lat.p99).toBeLessThanOrEqual(lat.max);
  });

  test('cpus runs generator and sink pinned with taskset, and traffic still flows', async () => {
    const p = port();
    const s = await sink({ listen: [`127.0.0.1:${p}`], expectCount: 500, idleTimeoutS: 5, cpus: [0] });
    expect(/^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))?.[1]).toBe('0');
    const gen = await runGenerator({ dst: [`127.0.0.1:${p}`], ratePps: 20_000, count: 500, payloadBytes: 64, cpus: [0] });
    expect(gen.sent).toBe(500);
    expect((await s.done).listens[0]).toMatchObject({ received: 500, lost: 0 });
  });

  test('two sender threads split the streams and keep each one in order', async () => {
    const ports = [port(), port(), port(), port(), port()];
    const s = await sink({ listen: ports.map((q) => `127.0.0.1:${q}`), expectCount: 200, idleTimeoutS: 5 });
    const gen = await runGenerator({ dst: ports.map((q) => `127.0.0.1:${q}`), ratePps: 10_000, count: 1000, payloadBytes: 100, threads: 2 });
    expect(gen).toMatchObject({ sent: 1000, threads: 2 });
    expect(gen.streams.map((st) => [st.streamId, st.sent])).toEqual(ports.map((_, i) => [1 + i, 200]));
    const rep = await s.done;
    rep.listens.forEach((l) => expect(l).toMatchObject({ received: 200, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0, lastSeq: 199 }));
  });

  test('several destinations become separate streams, each with its own sequence', async () => {
    const ports = [port(), port(), port()];
    const s = await sink({ listen: ports.map((q) => `127.0.0.1:${q}`), expectCount: 300, idleTimeoutS: 5 });
    const gen = await runGenerator({ dst: ports.map((q) => `127.0.0.1:${q}`), ratePps: 10_000, count: 900, payloadBytes: 100, streamId: 40 });
    expect(gen.streams).toEqual(ports.map((q, i) => ({ streamId: 40 + i, dst: `127.0.0.1:${q}`, sent: 300 })));
    const rep = await s.done;
    rep.listens.forEach((l, i) => {
      expect(l).toMatchObject({ port: ports[i], received: 300, lost: 0, payloadErrors: 0, firstSeq: 0, lastSeq: 299 });
      expect(l.streams).toEqual([expect.objectContaining({ streamId: 40 + i, received: 300 })]);
    });
  });

  test('loss, duplicates, reordering, late and corrupt datagrams are each counted', async () => {
    const p = port();
    // Late means older than 2 s on arrival: far beyond any stall of this test on a busy machine.
    const s = await sink({ listen: [`127.0.0.1:${p}`], lateMs: 2000, latencySamples: 100 });
    const now = () => process.hrtime.bigint();
    const corrupt = () => {
      const b = encodePayload(3, 6n, now(), 300);
      b[250] = b[250]! ^ 0x01;
      return b;
    };
    const badMagic = () => {
      const b = encodePayload(3, 7n, now(), 64);
      b[0] = 0x58;
      return b;
    };
    // Built just before each send, so their timestamps are fresh.
    const datagrams = [
      () => encodePayload(3, 0n, now(), 64),
      () => encodePayload(3, 1n, now(), 64),
      () => encodePayload(3, 3n, now(), 64), // 2 is late: reordered
      () => encodePayload(3, 2n, now(), 64),
      () => encodePayload(3, 2n, now(), 64), // duplicate
      () => encodePayload(3, 5n, now() - 10_000_000_000n, 64), // sent "10 s ago": late; 4 never comes: lost
      corrupt, // pattern byte flipped: payload error, sequence still counted
      badMagic, // not ours at all: payload error only
    ];
    const tx = createSocket('udp4');
    for (const d of datagrams) {
      await new Promise<void>((r, j) => tx.send(d(), p, '127.0.0.1', (e) => (e ? j(e) : r())));
      await new Promise((r) => setTimeout(r, 5)); // keep arrival order = send order
    }
    tx.close();
    await new Promise((r) => setTimeout(r, 200));
    const rep = await s.stop();
    expect(rep.listens[0]).toMatchObject({
      received: 8, duplicates: 1, reordered: 1, late: 1, payloadErrors: 2, lost: 1, firstSeq: 0, lastSeq: 6,
      streams: [{ streamId: 3, received: 7, lost: 1, duplicates: 1, reordered: 1, firstSeq: 0, lastSeq: 6 }],
    });
    expect(rep.listens[0]!.latencyNs!.max).toBeGreaterThanOrEqual(10_000_000_000);
  });

  test.each([
    ['log-bucket histogram', 0],
    ['exact samples', 1000],
  ])('latency percentiles come out right from the %s', async (_name, latencySamples) => {
    // 100 datagrams stamped 0.1 s, 0.2 s, ..., 10 s in the past (shuffled): the one-way latencies are
    // those plus a little transit, so p50 = 5.0 s, p90 = 9.0 s, p99 = 9.9 s, max = 10 s. One rank
    // off would be 0.1 s off; the histogram's own error is under 0.8 %.
    const p = port();
    const s = await sink({ listen: [`127.0.0.1:${p}`], latencySamples });
    const order = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    const tx = createSocket('udp4');
    for (const [seq, i] of order.entries()) {
      const d = encodePayload(9, BigInt(seq), process.hrtime.bigint() - BigInt(i + 1) * 100_000_000n, 64);
      await new Promise<void>((r, j) => tx.send(d, p, '127.0.0.1', (e) => (e ? j(e) : r())));
    }
    tx.close();
    await new Promise((r) => setTimeout(r, 200));
    const lat = (await s.stop()).listens[0]!.latencyNs!;
    const near = (got: number, want: number) => {
      expect(got).toBeGreaterThan(want * 0.992 - 1e6);
      expect(got).toBeLessThan(want * 1.008 + 60e6);
    };
    near(lat.p50, 5.0e9);
    near(lat.p90, 9.0e9);
    near(lat.p99, 9.9e9);
    near(lat.p999, 10e9);
    near(lat.max, 10e9);
    near(lat.min, 0.1e9);
    near(lat.mean, 5.05e9);
    expect(lat.samples).toBe(100);
  });

  test.each(['kernel', 'user'] as const)('--rx-timestamp %s is used and reported', async (rxTimestamp) => {
    const p = port();
    const s = await sink({ listen: [`127.0.0.1:${p}`], expectCount: 200, idleTimeoutS: 5, rxTimestamp });
    await runGenerator({ dst: [`127.0.0.1:${p}`], ratePps: 10_000, count: 200, payloadBytes: 64 });
    const rep = await s.done;
    expect(rep.rxTimestamp).toBe(rxTimestamp);
    // Arrival can never precede the send stamp: a bad clock conversion would show here as 0.
    expect(rep.listens[0]!.latencyNs!.min).toBeGreaterThan(0);
  });

  test('with --expect-count the missing tail counts as lost', async () => {
    const p = port();
    const s = await sink({ listen: [`127.0.0.1:${p}`], expectCount: 100 });
    await runGenerator({ dst: [`127.0.0.1:${p}`], ratePps: 10_000, count: 60, payloadBytes: 64 });
    await new Promise((r) => setTimeout(r, 200));
    const rep = await s.stop();
    expect(rep.listens[0]).toMatchObject({ received: 60, lost: 40, lastSeq: 59 });
  });

  test('SIGINT ends an unpaced mcr-gen early, cleanly, with its report', async () => {
    const p = port();
    const rx = createSocket('udp4'); // something listening, so the sends succeed
    await new Promise<void>((r) => rx.bind(p, '127.0.0.1', r));
    try {
      const child = execa(nativeBinary('mcr-gen'), ['--dst', `127.0.0.1:${p}`, '--rate', '1000', '--duration', '60', '--json'], { reject: false });
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode).toBe(0);
      const rep = JSON.parse(r.stdout) as { sent: number; elapsedNs: number };
      expect(rep.sent).toBeGreaterThan(0);
      expect(rep.elapsedNs).toBeLessThan(30e9);
    } finally {
      rx.close();
    }
  });

  test('aborting runGenerator kills it and rejects as canceled', async () => {
    const ac = new AbortController();
    const run = runGenerator({ dst: [`127.0.0.1:${port()}`], ratePps: 100, durationS: 60, payloadBytes: 64, signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const err: unknown = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrafficToolError);
    expect((err as TrafficToolError).isCanceled).toBe(true);
  });

  test('aborting the signal kills the sink and its done rejects as canceled', async () => {
    const ac = new AbortController();
    const s = await startSink({ listen: [`127.0.0.1:${port()}`], signal: ac.signal });
    ac.abort();
    const err: unknown = await s.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrafficToolError);
    expect((err as TrafficToolError).isCanceled).toBe(true);
  });

  test('a sink that cannot start fails startSink with its stderr', async () => {
    await expect(startSink({ listen: ['127.0.0.1:5000'], interface: 'nosuchif0' })).rejects.toThrow(/mcr-sink failed[\s\S]*--interface nosuchif0/);
  });
});
