/**
 * IPv4 address classification for rule validation (relay/model/rule.ts). Tested in ipv4.test.ts.
 */

/** Parse a strict dotted quad (no leading zeros, each octet 0-255) to a uint32, or undefined. */
export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // "010" is octal to inet_aton and decimal to humans; refuse the ambiguity.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const o = Number(part);
    if (o > 255) return undefined;
    n = n * 256 + o;
  }
  return n;
}

export const isMulticast = (n: number): boolean => n >>> 28 === 0xe;

/**
 * A unicast host address usable as a packet destination or source: not 0/8, not loopback 127/8,
 * not multicast, not reserved 240/4 or broadcast.
 */
export function isUsableUnicast(n: number): boolean {
  const first = n >>> 24;
  return first !== 0 && first !== 127 && first < 224;
}

/** True for a multicast group or a usable unicast address (the two kinds a rule endpoint may be). */
export const isGroupOrUnicast = (n: number): boolean => isMulticast(n) || isUsableUnicast(n);
