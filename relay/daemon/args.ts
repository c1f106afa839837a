/**
 * mcrd command line → DaemonArgs. The settings among the flags are checked by the one settings schema
 * (config/settings.ts), so a flag error names the flag in the words a config error uses
 * (`--num-workers: expected integer 1-64, got "x" (string)`); mcrd exits 64. Tested in args.test.ts.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { McrError, describeValue } from '../errors.js';
import { instancePaths } from '../config/instance.js';
import { type DaemonSettings, type SettingKey, SETTING_FLAGS, checkFlagSettings } from '../config/settings.js';

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
                          socket directories for it; workers inherit that. Without it a root start keeps
                          uid 0 but, like this, CAP_NET_RAW alone in supervisor and workers. See docs/install.md
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
                          32 MiB; with --ring v2, 16384 frames at MTU 1500: ~1.6 s of a 10k pps stream
                          while the engine thread is not scheduled; with v3 about N ms at low rates)
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

/** What the command line says: its settings (checked by the one settings schema) and the rest. */
export interface DaemonArgs {
  /** Settings given as flags; the config file and the defaults fill in the rest (config/settings.ts). */
  settings: DaemonSettings;
  config?: string;
  instance?: string;
  /** --log-format mcr (or MCR_COMPAT=1): MCR's [STATS] lines in the log. */
  mcrStats: boolean;
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

/** parseArgs options: one per setting (named by settings.ts), MCR's aliases, and the flags that are not settings. */
const OPTIONS = {
  ...Object.fromEntries(Object.values(SETTING_FLAGS).map(({ flag }) => [flag.slice(2), { type: flag === '--log-json' ? 'boolean' : 'string' }])),
  user: { type: 'string', short: 'u' },
  'control-socket-path': { type: 'string' },
  config: { type: 'string' },
  'log-format': { type: 'string' },
  instance: { type: 'string' },
  check: { type: 'string' },
  interface: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsConfig['options'];

/** Parse argv (without node and script). Throws McrError (EINVAL) naming the flag on bad usage. */
export function parseDaemonArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonArgs {
  checkMcrEnv(env);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (err) {
    throw usage(`${(err as Error).message.split('\n')[0]}; see mcrd --help`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  for (const p of parsed.positionals) {
    if (p !== 'supervisor') throw usage(`unexpected argument ${JSON.stringify(p)}; the only command is "supervisor" (optional)`);
  }
  if (v.interface !== undefined) {
    throw usage('MCR\'s fanout interface has no meaning for mcrd, which opens the interfaces each rule names; remove the flag', '--interface');
  }
  const texts: Partial<Record<SettingKey, string | boolean>> = {};
  for (const [key, { flag }] of Object.entries(SETTING_FLAGS) as Array<[SettingKey, { flag: string }]>) {
    const t = v[flag.slice(2)] ?? (key === 'controlSocket' ? v['control-socket-path'] : undefined);
    if (t !== undefined) texts[key] = t;
  }
  const logFormat = v['log-format'] as string | undefined;
  const lf = logFormat !== undefined ? logFormat : env.MCR_COMPAT === '1' ? 'mcr' : undefined;
  if (lf !== undefined && !['text', 'json', 'mcr'].includes(lf)) throw usage(`expected "text", "json" or "mcr", got ${describeValue(lf)}`, '--log-format');
  if (lf === 'text' && texts.logJson) throw usage('conflicts with --log-format text', '--log-json');
  if (lf === 'mcr' && texts.logJson) throw usage('MCR\'s [STATS] lines are text; drop --log-json', '--log-format');
  if (lf === 'json') texts.logJson = true;
  const instance = v.instance as string | undefined;
  if (instance !== undefined) instancePaths(instance);
  return {
    settings: checkFlagSettings(texts),
    mcrStats: lf === 'mcr',
    help: v.help === true,
    version: v.version === true,
    ...(v.config !== undefined ? { config: v.config as string } : {}),
    ...(instance !== undefined ? { instance } : {}),
    ...(v.check !== undefined ? { check: v.check as string } : {}),
  };
}
