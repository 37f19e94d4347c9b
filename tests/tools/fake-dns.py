#!/usr/bin/env python3
"""fake-dns: a tiny authoritative DNS server for the network tests, run in a
peer namespace the test made.  Logs every query it receives ("NAME TYPE"
per line) to LOG and answers A/AAAA from NAME=ADDR arguments (TTL 300),
NXDOMAIN for other names.  UDP only, on [::]:53 and 0.0.0.0:53.

    fake-dns.py LOG api.example=192.0.2.2 api.example=2001:db8::2 ...
"""
import ipaddress
import socket
import struct
import sys

log_path = sys.argv[1]
records = {}
for arg in sys.argv[2:]:
    name, addr = arg.split("=", 1)
    records.setdefault(name.lower().rstrip("."), []).append(ipaddress.ip_address(addr))


def read_name(msg, off):
    labels = []
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels), off + 1


def answer(msg):
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    name, off = read_name(msg, 12)
    qtype, _qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    with open(log_path, "a") as f:
        f.write(f"{name} {qtype}\n")
    want = {1: 4, 28: 6}.get(qtype)
    addrs = [a for a in records.get(name.lower(), []) if a.version == want]
    rcode = 0 if name.lower() in records else 3
    out = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, len(addrs), 0, 0) + question
    for a in addrs:
        out += struct.pack("!HHHLH", 0xC00C, qtype, 1, 300, len(a.packed)) + a.packed
    return out


sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
sock.bind(("::", 53))
while True:
    data, peer = sock.recvfrom(4096)
    try:
        sock.sendto(answer(data), peer)
    except Exception as e:  # a malformed query: no answer
        print(e, file=sys.stderr)
