/**
 * IPv4 addresses and prefixes as PIM uses them: uint32 arithmetic, dotted-quad text at the edges.
 */
import { parseIpv4 } from '../../model/ipv4.js';

export { parseIpv4 };

export const formatIpv4 = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** The uint32 of a dotted quad the caller has already validated (config, decoded packets). */
export function ipv4(s: string): number {
  const n = parseIpv4(s);
  if (n === undefined) throw new TypeError(`not an IPv4 address: ${JSON.stringify(s)}`);
  return n;
}

export const maskOf = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

export interface Prefix { addr: number; len: number }

/** "A.B.C.D/LEN" with no host bits set, or undefined. */
export function parsePrefix(s: string): Prefix | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const addr = parseIpv4(m[1]!);
  const len = Number(m[2]);
  if (addr === undefined || len > 32) return undefined;
  if ((addr & ~maskOf(len)) >>> 0 !== 0) return undefined;
  return { addr, len };
}

export const prefixContains = (p: Prefix, a: number): boolean => ((a & maskOf(p.len)) >>> 0) === p.addr;
export const formatPrefix = (p: Prefix): string => `${formatIpv4(p.addr)}/${p.len}`;

export const ALL_PIM_ROUTERS = '224.0.0.13';
export const isMulticastAddr = (n: number): boolean => n >>> 28 === 0xe;
