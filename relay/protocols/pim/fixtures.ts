/**
 * PIM messages captured from FRR 8.4.4 pimd (two namespaces, a veth, `ip pim` on both; tcpdump -w),
 * as IP payloads in hex. Captured 2026-12-03 by pim-core; see codec.test.ts for what each holds.
 */
export const FRR = {
  /** 10.99.0.1 → 224.0.0.13: holdtime 105, LAN prune delay 500/2500 ms, DR priority 1, GenID 0x4c1cd4bc. */
  hello: '2000b2cc0001000200690002000401f409c40013000400000001001400044c1cd4bc',
  /** After `ip pim drpriority 7`: also an address list holding one IPv6 link-local address (family 2). */
  helloPriority7: '20007a400001000200690002000401f409c400130004000000070014000404f81ff6001800120200fe80000000000000b43dccfffe74b413',
  /** 10.99.0.2 → 224.0.0.13: Join(*,239.1.2.4) RP 10.99.9.1 (S,W,R) to upstream 10.99.0.1, holdtime 210. */
  joinStar: '2300c31d01000a630001000100d201000020ef01020400010000010007200a630901',
  /** The Prune(*,239.1.2.3) after `no ip igmp join`. */
  pruneStar: '2300c31e01000a630001000100d201000020ef01020300000001010007200a630901',
  /** 10.99.1.1 → RP 10.99.9.1: Register carrying a UDP packet 10.99.1.2 → 239.9.9.9:5000. */
  register: '2100deff000000004500002ddee44000081190640a630102ef09090987041388001903a26d63722d70696d2d666978747572652d30',
  /** The Null-Register probe for the same (S,G), ~46 s after the Register-Stop. */
  nullRegister: '21009eff400000004500001400000000006700000a630102ef090909',
  /** RP 10.99.9.1 → 10.99.1.1: Register-Stop (10.99.1.2, 239.9.9.9). */
  registerStop: '2200d86701000020ef09090901000a630102',
} as const;

export const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
