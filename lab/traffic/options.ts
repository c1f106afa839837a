/**
 * Options of the typed traffic API, their validation (TypeError naming the option, what it expects
 * and what it got, e.g. `runGenerator: dst[0]: expected "A.B.C.D:PORT", got "nonsense" (string)`)
 * and their translation into mcr-gen / mcr-sink argv. The binaries check again; checking here first
 * gives the lab an error with a stack at the caller instead of a child's exit 64.
 */

export interface GenOptions {
  /** Run inside this network namespace (`ip netns exec NS ...`). */
  netns?: string;
  /** Destinations "GROUP:PORT"; several are sent round-robin as separate streams. */
  dst: string[];
  /** Send out of this interface. */
  interface?: string;
  /** Source address, "ADDR" or "ADDR:PORT". */
  bind?: string;
  /** Datagrams per second over all streams; 0 = as fast as possible. */
  ratePps: number;
  /** Stop after this many datagrams (exclusive with durationS). */
  count?: number;
  /** Stop after this many seconds (exclusive with count). */
  durationS?: number;
  /** UDP payload bytes, 32..65507. */
  payloadBytes: number;
  ttl?: number;
  /** Stream id of dst[0]; the next destinations count up. */
  streamId?: number;
  /** Largest sendmmsg batch (1..1024). */
  batch?: number;
  /**
   * "udp" (default): a UDP socket. "packet": complete frames on an AF_PACKET socket, same bytes on
   * the wire at a lower CPU cost per datagram; multicast destinations and `interface` required.
   */
  tx?: 'udp' | 'packet';
  /** Sender threads, each with its own socket and every Nth destination (needs >= N destinations). */
  threads?: number;
  /** Pin to this CPU (with threads, thread t to cpu + t). */
  cpu?: number;
  /** Run under `taskset -c` with these CPUs (the lab's placement; `cpu` pins within them). */
  cpus?: number[];
  signal?: AbortSignal;
}

export interface SinkOptions {
  netns?: string;
  /** Listen addresses "GROUP:PORT" (multicast: joined; unicast: bound). */
  listen: string[];
  /** Join the groups on this interface. */
  interface?: string;
  durationS?: number;
  idleTimeoutS?: number;
  /** Stop once every listen received this many unique datagrams; lost counts against it. */
  expectCount?: number;
  /** Latency above which a datagram counts as late (default 100 ms). */
  lateMs?: number;
  /** Raw latency samples kept per listen for exact percentiles. */
  latencySamples?: number;
  /**
   * Arrival time used for latency: "kernel" (default; the kernel's receive stamp, leaves out the
   * sink's own wake-up) or "user" (CLOCK_MONOTONIC after recvmmsg returns).
   */
  rxTimestamp?: 'kernel' | 'user';
  /**
   * µs to sleep after each wake-up with traffic so the next one reads more (default 200 with kernel
   * timestamps, 0 with user ones): far less sink CPU at high rates, latencies unchanged.
   */
  coalesceUs?: number;
  cpu?: number;
  /** Run under `taskset -c` with these CPUs (the lab's placement). */
  cpus?: number[];
  signal?: AbortSignal;
  /** How long to wait for the sink to be ready (default 10 s). */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default: sinkStopGraceMs(listen.length), >= 10 s). */
  stopGraceMs?: number;
}

const ENDPOINT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/;

function describe(v: unknown): string {
  return `${JSON.stringify(v) ?? String(v)} (${Array.isArray(v) ? 'array' : typeof v})`;
}

function fail(fn: string, field: string, expected: string, got: unknown): never {
  throw new TypeError(`${fn}: ${field}: expected ${expected}, got ${describe(got)}`);
}

export function isEndpoint(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = ENDPOINT.exec(s);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  const port = Number(m[5]);
  return octets.every((o) => o <= 255) && port >= 1 && port <= 65535;
}

function checkEndpoints(fn: string, field: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) fail(fn, field, 'a non-empty array of "A.B.C.D:PORT"', v);
  v.forEach((e, i) => {
    if (!isEndpoint(e)) fail(fn, `${field}[${i}]`, '"A.B.C.D:PORT" (port 1-65535)', e);
  });
  return v as string[];
}

function checkInt(fn: string, field: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(fn, field, `an integer ${min}-${max}`, v);
  return v;
}

function checkSeconds(fn: string, field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0.001) fail(fn, field, 'seconds > 0 (a number)', v);
  return v;
}

function checkName(fn: string, field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || /\s/.test(v)) fail(fn, field, 'a non-empty name without spaces', v);
  return v;
}

/** Validate @o and return mcr-gen's argv (without the binary). Throws TypeError on bad input. */
export function genArgs(o: GenOptions): string[] {
  const fn = 'runGenerator';
  const dst = checkEndpoints(fn, 'dst', o.dst);
  const args = ['--json', ...dst.flatMap((d) => ['--dst', d])];
  const rate = checkInt(fn, 'ratePps', o.ratePps, 0, 100_000_000);
  if (rate === undefined) fail(fn, 'ratePps', 'an integer 0-100000000 (0 = as fast as possible)', o.ratePps);
  args.push('--rate', String(rate));
  const size = checkInt(fn, 'payloadBytes', o.payloadBytes, 32, 65507);
  if (size === undefined) fail(fn, 'payloadBytes', 'an integer 32-65507', o.payloadBytes);
  args.push('--size', String(size));
  if (o.count !== undefined && o.durationS !== undefined) {
    throw new TypeError(`${fn}: count and durationS: give one of them, not both`);
  }
  const count = checkInt(fn, 'count', o.count, 1, Number.MAX_SAFE_INTEGER);
  if (count !== undefined) args.push('--count', String(count));
  const dur = checkSeconds(fn, 'durationS', o.durationS);
  if (dur !== undefined) args.push('--duration', String(dur));
  if (count === undefined && dur === undefined) fail(fn, 'count/durationS', 'one of them (the run must end)', undefined);
  const iface = checkName(fn, 'interface', o.interface);
  if (iface !== undefined) args.push('--interface', iface);
  if (o.bind !== undefined) {
    if (typeof o.bind !== 'string' || !(isEndpoint(o.bind) || isEndpoint(`${o.bind}:1`))) {
      fail(fn, 'bind', '"A.B.C.D" or "A.B.C.D:PORT"', o.bind);
    }
    args.push('--bind', o.bind);
  }
  const ttl = checkInt(fn, 'ttl', o.ttl, 1, 255);
  if (ttl !== undefined) args.push('--ttl', String(ttl));
  const sid = checkInt(fn, 'streamId', o.streamId, 0, 0xffffffff);
  if (sid !== undefined) args.push('--stream-id', String(sid));
  const batch = checkInt(fn, 'batch', o.batch, 1, 1024);
  if (batch !== undefined) args.push('--batch', String(batch));
  if (o.tx !== undefined) {
    if (o.tx !== 'udp' && o.tx !== 'packet') fail(fn, 'tx', '"udp" or "packet"', o.tx);
    if (o.tx === 'packet' && iface === undefined) fail(fn, 'interface', 'an interface name (tx "packet" sends raw frames out of it)', o.interface);
    args.push('--tx', o.tx);
  }
  const threads = checkInt(fn, 'threads', o.threads, 1, 64);
  if (threads !== undefined) {
    if (threads > dst.length) fail(fn, 'threads', `at most dst.length (${dst.length}): a stream never spans threads`, threads);
    args.push('--threads', String(threads));
  }
  const cpu = checkInt(fn, 'cpu', o.cpu, 0, 1023);
  if (cpu !== undefined) args.push('--cpu', String(cpu));
  checkName(fn, 'netns', o.netns);
  checkCpus(fn, o.cpus);
  return args;
}

/** Validate @o and return mcr-sink's argv (without the binary and the ready file). */
export function sinkArgs(o: SinkOptions): string[] {
  const fn = 'startSink';
  const listen = checkEndpoints(fn, 'listen', o.listen);
  const dupe = listen.find((l, i) => listen.indexOf(l) !== i);
  if (dupe !== undefined) throw new TypeError(`${fn}: listen: ${dupe} is given twice`);
  const args = ['--json', '--listen', listen.join(',')];
  const iface = checkName(fn, 'interface', o.interface);
  if (iface !== undefined) args.push('--interface', iface);
  const dur = checkSeconds(fn, 'durationS', o.durationS);
  if (dur !== undefined) args.push('--duration', String(dur));
  const idle = checkSeconds(fn, 'idleTimeoutS', o.idleTimeoutS);
  if (idle !== undefined) args.push('--idle-timeout', String(idle));
  const expect = checkInt(fn, 'expectCount', o.expectCount, 1, Number.MAX_SAFE_INTEGER);
  if (expect !== undefined) args.push('--expect-count', String(expect));
  const late = checkInt(fn, 'lateMs', o.lateMs, 0, 3_600_000);
  if (late !== undefined) args.push('--late-ms', String(late));
  const samples = checkInt(fn, 'latencySamples', o.latencySamples, 0, 100_000_000);
  if (samples !== undefined) args.push('--latency-samples', String(samples));
  if (o.rxTimestamp !== undefined) {
    if (o.rxTimestamp !== 'kernel' && o.rxTimestamp !== 'user') fail(fn, 'rxTimestamp', '"kernel" or "user"', o.rxTimestamp);
    args.push('--rx-timestamp', o.rxTimestamp);
  }
  const coalesce = checkInt(fn, 'coalesceUs', o.coalesceUs, 0, 100_000);
  if (coalesce !== undefined) args.push('--coalesce-us', String(coalesce));
  const cpu = checkInt(fn, 'cpu', o.cpu, 0, 1023);
  if (cpu !== undefined) args.push('--cpu', String(cpu));
  checkName(fn, 'netns', o.netns);
  checkInt(fn, 'readyTimeoutMs', o.readyTimeoutMs, 1, 600_000);
  checkInt(fn, 'stopGraceMs', o.stopGraceMs, 1, 600_000);
  checkCpus(fn, o.cpus);
  return args;
}

/** Checks an affinity list (`cpus`): undefined or a non-empty array of CPU numbers 0-1023. */
export function checkCpus(fn: string, v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= 1023)) {
    fail(fn, 'cpus', 'a non-empty array of CPU numbers 0-1023', v);
  }
  return v as number[];
}

/** Prefix @argv with `ip netns exec NS` when @netns is set. */
export function inNetns(netns: string | undefined, argv: string[]): [string, string[]] {
  if (netns === undefined) return [argv[0]!, argv.slice(1)];
  return ['ip', ['netns', 'exec', netns, ...argv]];
}
