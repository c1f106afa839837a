#!/usr/bin/env python3
"""Send hand-made PIM messages (IP protocol 103, the kernel builds the IP header) for the PIM e2e tests.

usage: pim-inject.py LOCAL_ADDR DST HEX...   (one message per HEX; multicast out of LOCAL_ADDR's interface, TTL 1)
Prints {"sent": N}.
"""
import json, socket, sys

local, dst, msgs = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 103)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(local))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
for m in msgs:
    s.sendto(bytes.fromhex(m), (dst, 0))
print(json.dumps({"sent": len(msgs)}))
