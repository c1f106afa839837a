#!/usr/bin/env python3
"""Send one UDP datagram to GROUP:PORT from each of COUNT distinct source addresses (BASE, BASE+1, ...)
as complete Ethernet frames on IFNAME (AF_PACKET), as fast as Python goes: a flood of new (S,G) flows
for the PIM source watch (relay/e2e/pim-mcr-learned.e2e.test.ts).

usage: source-flood.py IFNAME GROUP PORT BASE COUNT
Prints {"sent": N, "seconds": T} on stdout.
"""
import json, socket, struct, sys, time

def csum(b: bytes) -> int:
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def main() -> None:
    ifname, group, port, base, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    src_mac = s.getsockname()[4]
    g = socket.inet_aton(group)
    dst_mac = bytes([0x01, 0x00, 0x5e, g[1] & 0x7f, g[2], g[3]])
    payload = b'flood' * 8
    first = struct.unpack('!I', socket.inet_aton(base))[0]
    t0 = time.monotonic()
    for i in range(count):
        src = struct.pack('!I', first + i)
        udp = struct.pack('!HHHH', 40000, port, 8 + len(payload), 0) + payload
        hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0x4000, 8, 17, 0, src, g)
        hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
        s.send(dst_mac + src_mac + b'\x08\x00' + hdr + udp)
    print(json.dumps({'sent': count, 'seconds': round(time.monotonic() - t0, 3)}))

main()
