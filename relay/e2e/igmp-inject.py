#!/usr/bin/env python3
"""Send hand-made IGMP packets as complete Ethernet frames (AF_PACKET), for the IGMP e2e tests:
a host that reports once and then vanishes, and malformed or hostile IGMP the kernel would never send
(bad checksums, truncation, wrong destinations, absurd record counts, floods).

usage: igmp-inject.py IFNAME SPEC_JSON
  SPEC_JSON: {"src": "10.2.0.9", "packets": [{"dst": "239.1.1.1", "igmp": "<hex>", "ttl": 1, "ra": true,
              "badIpChecksum": false, "truncate": null, "repeat": 1, "dstMac": null}], "pps": 0}
Prints {"sent": N} on stdout.
"""
import json, socket, struct, sys, time

def csum(b: bytes) -> int:
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def mac_of(ip: str) -> bytes:
    a = socket.inet_aton(ip)
    if 224 <= a[0] <= 239:
        return bytes([0x01, 0x00, 0x5e, a[1] & 0x7f, a[2], a[3]])
    return b'\xff' * 6

def frame(src_mac: bytes, src: str, p: dict) -> bytes:
    payload = bytes.fromhex(p['igmp'])
    opts = b'\x94\x04\x00\x00' if p.get('ra', True) else b''
    ihl = 5 + len(opts) // 4
    hdr = struct.pack('!BBHHHBBH4s4s', (4 << 4) | ihl, 0xc0, ihl * 4 + len(payload), 0, 0x4000, p.get('ttl', 1), 2, 0,
                      socket.inet_aton(src), socket.inet_aton(p['dst'])) + opts
    c = csum(hdr) ^ (0xffff if p.get('badIpChecksum') else 0)
    hdr = hdr[:10] + struct.pack('!H', c) + hdr[12:]
    dst_mac = bytes.fromhex(p['dstMac'].replace(':', '')) if p.get('dstMac') else mac_of(p['dst'])
    f = dst_mac + src_mac + b'\x08\x00' + hdr + payload
    t = p.get('truncate')
    return f[:14 + t] if t is not None else f

def main() -> None:
    ifname, spec = sys.argv[1], json.loads(sys.argv[2])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    src_mac = s.getsockname()[4]
    gap = 1.0 / spec['pps'] if spec.get('pps') else 0
    sent = 0
    for p in spec['packets']:
        f = frame(src_mac, spec['src'], p)
        for _ in range(p.get('repeat', 1)):
            s.send(f)
            sent += 1
            if gap:
                time.sleep(gap)
    print(json.dumps({'sent': sent}))

main()
