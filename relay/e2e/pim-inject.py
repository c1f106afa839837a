#!/usr/bin/env python3
"""Send hand-made PIM messages (IP protocol 103) for the PIM e2e tests.

usage: pim-inject.py [--src SRC] LOCAL_ADDR DST HEX...   (one message per HEX; multicast out of LOCAL_ADDR's interface, TTL 1)
  --src SRC: write the IP header ourselves (IP_HDRINCL) with SRC as its source, e.g. a router that is no
  PIM neighbor; otherwise the kernel builds it with LOCAL_ADDR.
Prints {"sent": N}.
"""
import json, socket, struct, sys

args = sys.argv[1:]
spoof = None
if args[0] == '--src':
    spoof, args = args[1], args[2:]
local, dst, msgs = args[0], args[1], args[2:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 103)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(local))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
if spoof:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
for m in msgs:
    payload = bytes.fromhex(m)
    if spoof:
        # The kernel fills in the total length and the header checksum (IP_HDRINCL, raw(7)).
        payload = struct.pack('!BBHHHBBH4s4s', 0x45, 0xc0, 0, 0, 0, 1, 103, 0, socket.inet_aton(spoof), socket.inet_aton(dst)) + payload
    s.sendto(payload, (dst, 0))
print(json.dumps({"sent": len(msgs)}))
