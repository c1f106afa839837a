#!/usr/bin/env python3
"""A kernel receiver that holds IPv4 multicast memberships on one interface, driven by stdin, for the
IGMP churn e2e test: the kernel (not this script) sends the IGMP reports and Leaves, as for any
application that joins and leaves groups.

usage: igmp-members.py IFADDR
  stdin, one command per line: "+GROUP" joins, "-GROUP" leaves, "?" prints the groups held as one JSON
  array. A command that fails prints {"error": "..."} and ends the program (exit 1). Prints "ready" on
  stderr once it reads commands.
"""
import json, socket, sys

ifaddr = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
held = set()
sys.stderr.write('ready\n')
sys.stderr.flush()
for line in sys.stdin:
    cmd = line.strip()
    if not cmd:
        continue
    if cmd == '?':
        print(json.dumps(sorted(held, key=socket.inet_aton)), flush=True)
        continue
    group = cmd[1:]
    mreq = socket.inet_aton(group) + socket.inet_aton(ifaddr)
    try:
        if cmd[0] == '+':
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            held.add(group)
        elif cmd[0] == '-':
            s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreq)
            held.discard(group)
        else:
            raise ValueError('expected +GROUP, -GROUP or ?, got %r' % cmd)
    except (OSError, ValueError) as e:
        print(json.dumps({'error': '%s: %s' % (cmd, e)}), flush=True)
        sys.exit(1)
