#!/usr/bin/env python3
"""SSM endpoints for relay/e2e/igmp-ssm.e2e.test.ts (mcr-sink has no source-specific join).

  send SRC GROUP PORT COUNT PPS TAG   datagrams "TAG:SEQ:" + filler (200 bytes), from SRC, TTL 8
  recv GROUP PORT IFADDR SOURCE       IP_ADD_SOURCE_MEMBERSHIP (INCLUDE {SOURCE}); "ready" on stderr;
                                      prints JSON {packets: [[src, sport, payload hex], ...]} after 1.5 s idle
"""
import json, select, socket, sys, time

IP_ADD_SOURCE_MEMBERSHIP = 39


def payload(tag: str, seq: int) -> bytes:
    head = f"{tag}:{seq:06d}:".encode()
    return head + bytes((seq + i) & 0xff for i in range(200 - len(head)))


def send(src, group, port, count, pps, tag):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
    t0 = time.monotonic()
    for seq in range(count):
        delay = t0 + seq / pps - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        s.sendto(payload(tag, seq), (group, port))
    print(json.dumps({"sent": count, "sport": s.getsockname()[1]}))


def recv(group, port, ifaddr, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((group, port))
    s.setsockopt(socket.IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP,
                 socket.inet_aton(group) + socket.inet_aton(ifaddr) + socket.inet_aton(source))
    print("ready", file=sys.stderr, flush=True)
    packets, deadline = [], time.monotonic() + 40
    while time.monotonic() < deadline:
        r, _, _ = select.select([s, sys.stdin], [], [], 0.2)
        if s in r:
            data, (addr, sport) = s.recvfrom(65535)
            packets.append([addr, sport, data.hex()])
        elif sys.stdin in r and not sys.stdin.readline():
            break  # the test closed stdin: all sent and drained
    print(json.dumps({"packets": packets}))


if sys.argv[1] == "send":
    send(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
else:
    recv(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
