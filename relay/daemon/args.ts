/**
 * mcrd command line → DaemonArgs. Flag errors name the flag (`--num-workers: expected integer 1-64,
 * got "x" (string)`) and exit 64. Tested in args.test.ts.
 */
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../config/load.js';
import { McrError, describeValue } from '../errors.js';
import { instancePaths } from '../config/instance.js';
import { parseListen } from '../metrics/listen.js';
import { parseUserSpec } from './privilege.js';

export const MCRD_USAGE = `usage: mcrd [supervisor] [options]

Relays UDP multicast (or unicast) streams between interfaces, taking frames at layer 2 so that
sources the kernel would drop (RPF, unroutable addresses) are relayed too.

  mcrd supervisor --config /etc/mcrd/mcrd.json5
  mcrd --control-socket /tmp/mcrd.sock --state-file /tmp/rules.json --log-level debug
  mcrd --check /etc/mcrd/mcrd.json5        # validate a rule file, touch nothing (exit 0 or 78)

options:
  --config FILE           JSON5 rule file (MCR format) applied at start and on SIGHUP
  --control-socket PATH   control socket (default /run/mcrd/control.sock; alias --control-socket-path)
  --socket-group GROUP    group owning the control socket (mode 0660); default: mcrd's own group
  -u, --user USER[:GROUP] started as root, switch to USER (and GROUP, default USER's own; supplementary
                          groups from /etc/group) keeping only CAP_NET_RAW, after creating the state and
                          socket directories for it; workers inherit that. See docs/install.md
  --state-file PATH       where accepted rules are saved (default /var/lib/mcrd/rules.json)
  --instance NAME         one of several relays on this host: defaults become /run/mcrd/NAME/control.sock
                          and /var/lib/mcrd/NAME/rules.json (mcrctl --instance NAME finds it)
  --num-workers N         data-plane worker processes, 1-64 (default 1)
  --cpus LIST             pin worker i's packet thread to the i-th CPU of LIST (e.g. 2 or 2,3 or 2-3;
                          default: unpinned with one worker, CPU i with several). The control plane
                          (JavaScript) is not pinned: keep it off those CPUs with taskset or CPUAffinity=
  --backend mmsg|uring    egress batching: sendmmsg (default) or io_uring (measured no faster here)
  --ring v2|v3            RX ring format (default v2: a wake-up per frame, no block-retire delay;
                          v3 batches frames into blocks the kernel retires after 1 ms — see docs/engine.md)
  --ring-blocks N         RX ring blocks of 64 KiB per input interface and worker, 2-65536 (default 512:
                          32 MiB, which rides out ~0.5 s of the engine thread not being scheduled)
  --egress packet|socket  how multicast outputs are sent (default packet: AF_PACKET frames built by the
                          engine; socket: AF_INET UDP sockets). Unicast outputs always use sockets
  --gso on|off            with --egress packet, send consecutive datagrams of an output as one UDP GSO
                          frame that the kernel (or the NIC) splits at the device: one trip down the
                          send path per batch (default on where the kernel can, Linux 6.2+; off: every
                          datagram its own frame, for AF_PACKET receivers on virtual links; docs/engine.md)
  --busy-poll-us N        after traffic, keep checking the RX rings for N µs before sleeping, 0-1000000
                          (default 0: sleep at once). Trades CPU for latency: a frame arriving within the
                          window costs no wake-up; see docs/performance.md for the measured trade
  --adaptive-poll on|off  spin on the RX rings only while frames keep coming closer together than a
                          wake-up, within 2 µs of spin per frame relayed (default off; not with
                          --busy-poll-us; docs/engine.md "Busy polling")
  --log-level LEVEL       error, warn, info (default) or debug
  --log-json              log JSON lines instead of text (same as --log-format json)
  --log-format F          text (default), json, or mcr: text plus MCR's [STATS:Ingress]/[STATS:Egress]
                          lines every 10 s and [STATS:Ingress FINAL] at stop (also MCR_COMPAT=1)
  --metrics-listen A:P    serve Prometheus metrics at http://A:P/metrics (e.g. 127.0.0.1:9477)
  --check FILE            validate FILE and exit
  --help, --version`;

export interface DaemonArgs {
  config?: string;
  controlSocket?: string;
  socketGroup?: string;
  user?: string;
  stateFile?: string;
  numWorkers?: number;
  cpus?: number[];
  backend?: 'uring' | 'mmsg';
  ringBlocks?: number;
  ring?: 'v2' | 'v3';
  egress?: 'packet' | 'socket';
  gso?: boolean;
  busyPollUs?: number;
  adaptivePoll?: boolean;
  logLevel?: LogLevel;
  logJson?: boolean;
  /** --log-format mcr (or MCR_COMPAT=1): MCR's [STATS] lines in the log. */
  mcrStats?: boolean;
  instance?: string;
  metricsListen?: string;
  check?: string;
  help: boolean;
  version: boolean;
}

/**
 * MCR's tuning variables, each refused with what governs the same thing in mcrd: a variable the
 * daemon does not read must not look as if it took effect.
 */
const MCR_ENV: Record<string, string> = {
  MCR_SOCKET_SNDBUF: 'egress sockets use the kernel\'s net.core.wmem_default',
  MCR_BUFFER_POOL_SMALL: 'mcrd has no buffer pool: frames stay in the RX ring, sized by --ring-blocks',
  MCR_BUFFER_POOL_STANDARD: 'mcrd has no buffer pool: frames stay in the RX ring, sized by --ring-blocks',
  MCR_BUFFER_POOL_JUMBO: 'mcrd has no buffer pool: frames stay in the RX ring, sized by --ring-blocks',
};

/**
 * Refuse MCR_* variables other than MCR_COMPAT (which mcrd honours). mcr-lab's own MCR_LAB_* (its
 * namespace prefix, its state directory) are not MCR's and reach mcrd when the lab starts it.
 */
export function checkMcrEnv(env: NodeJS.ProcessEnv): void {
  const name = Object.keys(env).filter((k) => k.startsWith('MCR_') && k !== 'MCR_COMPAT' && !k.startsWith('MCR_LAB_')).sort()[0];
  if (name === undefined) return;
  throw usage(`MCR's variable is not read by mcrd (${MCR_ENV[name] ?? 'no mcrd setting corresponds to it'}); unset it`, name);
}

const usage = (detail: string, source?: string) => new McrError({ code: 'EINVAL', detail, source });

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw usage(`expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${describeValue(value)}`, flag);
  }
  return value as T;
}

/** Parse argv (without node and script). Throws McrError (EINVAL) on bad usage. */
/** "2", "2,3", "0-3": CPU numbers for --cpus, in the order given, each 0-4095. */
export function parseCpuList(text: string): number[] {
  const bad = () => usage(`expected CPU numbers like 2 or 2,3 or 2-3, got ${describeValue(text)}`, '--cpus');
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
    if (!m) throw bad();
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 4095) throw bad();
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

export function parseDaemonArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonArgs {
  checkMcrEnv(env);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        'control-socket': { type: 'string' },
        'control-socket-path': { type: 'string' },
        'state-file': { type: 'string' },
        'socket-group': { type: 'string' },
        user: { type: 'string', short: 'u' },
        'num-workers': { type: 'string' },
        cpus: { type: 'string' },
        backend: { type: 'string' },
        'ring-blocks': { type: 'string' },
        ring: { type: 'string' },
        egress: { type: 'string' },
        gso: { type: 'string' },
        'busy-poll-us': { type: 'string' },
        'adaptive-poll': { type: 'string' },
        'log-level': { type: 'string' },
        'log-json': { type: 'boolean' },
        'log-format': { type: 'string' },
        instance: { type: 'string' },
        'metrics-listen': { type: 'string' },
        check: { type: 'string' },
        interface: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    throw usage(`${(err as Error).message.split('\n')[0]}; see mcrd --help`);
  }
  const v = parsed.values;
  for (const p of parsed.positionals) {
    if (p !== 'supervisor') throw usage(`unexpected argument ${JSON.stringify(p)}; the only command is "supervisor" (optional)`);
  }
  const out: DaemonArgs = { help: v.help ?? false, version: v.version ?? false };
  if (v.config !== undefined) out.config = v.config;
  const sock = v['control-socket'] ?? v['control-socket-path'];
  if (sock !== undefined) out.controlSocket = sock;
  if (v['state-file'] !== undefined) out.stateFile = v['state-file'];
  if (v['socket-group'] !== undefined) out.socketGroup = v['socket-group'];
  if (v.user !== undefined) { parseUserSpec(v.user); out.user = v.user; }
  if (v.check !== undefined) out.check = v.check;
  if (v['log-json']) out.logJson = true;
  const lf = v['log-format'] !== undefined ? oneOf(v['log-format'], ['text', 'json', 'mcr'] as const, '--log-format') : env.MCR_COMPAT === '1' ? 'mcr' : undefined;
  if (lf === 'json') out.logJson = true;
  if (lf === 'text' && v['log-json']) throw usage('conflicts with --log-format text', '--log-json');
  if (lf === 'mcr') {
    if (out.logJson) throw usage('MCR\'s [STATS] lines are text; drop --log-json', '--log-format');
    out.mcrStats = true;
  }
  if (v.instance !== undefined) { instancePaths(v.instance); out.instance = v.instance; }
  if (v['metrics-listen'] !== undefined) { parseListen(v['metrics-listen']); out.metricsListen = v['metrics-listen']; }
  if (v.interface !== undefined) {
    throw usage('MCR\'s fanout interface has no meaning for mcrd, which opens the interfaces each rule names; remove the flag', '--interface');
  }
  const n = v['num-workers'];
  if (n !== undefined) {
    if (!/^\d+$/.test(n) || Number(n) < 1 || Number(n) > 64) throw usage(`expected integer 1-64, got ${describeValue(n)}`, '--num-workers');
    out.numWorkers = Number(n);
  }
  if (v.cpus !== undefined) out.cpus = parseCpuList(v.cpus);
  const rb = v['ring-blocks'];
  if (rb !== undefined) {
    if (!/^\d+$/.test(rb) || Number(rb) < 2 || Number(rb) > 65536) throw usage(`expected integer 2-65536, got ${describeValue(rb)}`, '--ring-blocks');
    out.ringBlocks = Number(rb);
  }
  const bp = v['busy-poll-us'];
  if (bp !== undefined) {
    if (!/^\d+$/.test(bp) || Number(bp) > 1_000_000) throw usage(`expected integer 0-1000000 (µs), got ${describeValue(bp)}`, '--busy-poll-us');
    out.busyPollUs = Number(bp);
  }
  if (v['adaptive-poll'] !== undefined) {
    out.adaptivePoll = oneOf(v['adaptive-poll'], ['on', 'off'] as const, '--adaptive-poll') === 'on';
    if (out.adaptivePoll && (out.busyPollUs ?? 0) > 0) throw usage('a fixed window (--busy-poll-us) or adaptive polling, not both; drop one', '--adaptive-poll');
  }
  if (v.ring !== undefined) out.ring = oneOf(v.ring, ['v2', 'v3'] as const, '--ring');
  if (v.egress !== undefined) out.egress = oneOf(v.egress, ['packet', 'socket'] as const, '--egress');
  if (v.gso !== undefined) out.gso = oneOf(v.gso, ['on', 'off'] as const, '--gso') === 'on';
  const b = v.backend;
  if (b !== undefined) {
    const norm = b === 'sendmmsg' ? 'mmsg' : b === 'io_uring' ? 'uring' : b;
    if (norm !== 'uring' && norm !== 'mmsg') throw usage(`expected "uring" or "mmsg", got ${describeValue(b)}`, '--backend');
    out.backend = norm;
  }
  const l = v['log-level'];
  if (l !== undefined) {
    if (!LOG_LEVELS.includes(l as LogLevel)) throw usage(`expected one of ${LOG_LEVELS.join(', ')}, got ${describeValue(l)}`, '--log-level');
    out.logLevel = l as LogLevel;
  }
  return out;
}
