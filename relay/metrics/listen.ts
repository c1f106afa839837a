/**
 * Parse the `--metrics-listen` value: `ADDR:PORT` with an IPv4 literal, `[ADDR]:PORT` with an IPv6
 * literal, or `:PORT` for every IPv4 address (`[::]:PORT` for IPv6 too). Port 0 asks the kernel for
 * a free port (tests). Errors name the flag:
 *
 *   --metrics-listen: expected ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477), got "9477" (string)
 *
 * Tested in server.test.ts.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { McrError, describeValue } from '../errors.js';

export const LISTEN_FLAG = '--metrics-listen';

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parse `s`; throws McrError (EINVAL, source `--metrics-listen`) naming what was wrong. */
export function parseListen(s: string, source = LISTEN_FLAG): ListenAddress {
  const bad = (detail: string) => new McrError({ code: 'EINVAL', source, detail });
  const expected = `expected ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477), got ${describeValue(s)}`;
  if (typeof s !== 'string') throw bad(expected);
  const br = /^\[([^\]]*)\]:([^:]*)$/.exec(s);
  const cut = s.lastIndexOf(':');
  if (!br && (cut < 0 || s.startsWith('['))) throw bad(expected);
  const host = br ? br[1]! : s.slice(0, cut);
  const portText = br ? br[2]! : s.slice(cut + 1);
  if (!br && host.includes(':')) throw bad(`${expected}; put an IPv6 address in brackets, e.g. [::1]:9477`);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad(`${expected}; the port must be an integer 0-65535`);
  const port = Number(portText);
  if (br) {
    if (!isIPv6(host)) throw bad(`${expected}; ${JSON.stringify(host)} in brackets is not an IPv6 address`);
    return { host, port };
  }
  if (host === '') return { host: '0.0.0.0', port };
  if (!isIPv4(host)) throw bad(`${expected}; ${JSON.stringify(host)} is not an IPv4 address (IPv6 goes in brackets)`);
  return { host, port };
}

/** `127.0.0.1:9477` or `[::1]:9477`. */
export function formatListen(a: ListenAddress): string {
  return isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
