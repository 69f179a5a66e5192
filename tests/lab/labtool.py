#!/usr/bin/python3
"""Traffic tools for tests/lab/forward_lab.sh (standard library only; run as root).

Each subcommand runs inside a namespace (`ip netns exec NS /usr/bin/python3 labtool.py ...`):

  ping DST [-c N] [-i S] [-W S]          ICMP echo over a raw socket (the lab host may lack
                                         iputils' ping); prints one line per reply and a
                                         summary "N packets transmitted, M received, L% packet loss"
  sniff-icmp IFACE OUT [--ready F]       AF_PACKET capture of received ICMP echo requests;
                                         appends "SRC DST ID SEQ" lines to OUT until SIGTERM
  tcp-server PORT OUT [--ready F]        accept one connection, read to EOF, write
                                         {"bytes","sha256"} to OUT
  tcp-client DST PORT BYTES [--seed S] [--rate B]
                                         send BYTES pseudo-random bytes (at most B bytes/s),
                                         print {"bytes","sha256","seconds"}
  udp-recv PORT OUT [--ready F]          record (flow, seq) of every datagram until SIGTERM,
                                         then write {"flows": {flow: [seq in arrival order]}} to OUT
  udp-send --flow NAME:DST:PORT ... --rate PPS --duration S --progress F --out F
                                         one datagram per flow per tick, ticks at PPS/len(flows)
                                         per second; the tick number is every flow's seq; F holds
                                         the current tick (rewritten every 20 ms)
  udp-check SENDER RECV... --switch B:A --blackhole B:A [--slack N] [--blackhole-drops N]
                                         the route-change verdicts (see udp_check)
  capture IFACE OUT.pcapng [--ready F]   AF_PACKET capture of every frame on IFACE (both
                                         directions) into a pcapng file until SIGTERM
  inject IFACE HEXFRAME [-c N]           send a raw Ethernet frame (hex) out of IFACE N times
  json-get PATH                          read JSON on stdin, print a value: "rule:500" (the
                                         packets of the rule with that priority, family inet),
                                         "drop:NAME", or a dotted path
"""

import argparse
import hashlib
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time


def write_ready(path):
    if path:
        with open(path, "w") as f:
            f.write("ready\n")


class Stop(Exception):
    pass


def stop_on_term():
    def handler(signum, frame):
        raise Stop()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


# ---------------------------------------------------------------------------------------------
# ping


def cmd_ping(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    payload = b"wildside-lab-ping" + bytes(range(39))
    sent = {}
    replies = {}
    seq = 0
    next_send = time.monotonic()
    deadline = None
    print("PING %s: %d data bytes" % (a.dst, len(payload)), flush=True)
    while True:
        now = time.monotonic()
        if seq < a.count and now >= next_send:
            seq += 1
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            csum = inet_checksum(hdr + payload)
            pkt = struct.pack("!BBHHH", 8, 0, csum, ident, seq) + payload
            try:
                sock.sendto(pkt, (a.dst, 0))
            except OSError as e:
                print("send seq=%d: %s" % (seq, e), flush=True)
            sent[seq] = now
            next_send = now + a.interval
            if seq == a.count:
                deadline = now + a.wait
        if deadline is not None and (now >= deadline or len(replies) == a.count):
            break
        timeout = max(0.0, (next_send if seq < a.count else deadline) - now)
        r, _, _ = select.select([sock], [], [], min(timeout, 0.05))
        if not r:
            continue
        data, addr = sock.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        if len(data) < ihl + 8:
            continue
        typ, code, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if typ == 0 and rid == ident and rseq in sent and rseq not in replies:
            rtt = (time.monotonic() - sent[rseq]) * 1000
            replies[rseq] = rtt
            print("%d bytes from %s: icmp_seq=%d ttl=%d time=%.2f ms" %
                  (len(data) - ihl, addr[0], rseq, data[8], rtt), flush=True)
        elif typ == 3 or typ == 11:
            # an ICMP error about one of our echoes: the quoted header carries our id/seq
            inner = data[ihl + 8:]
            if len(inner) >= 20:
                iihl = (inner[0] & 0x0F) * 4
                if len(inner) >= iihl + 8:
                    _, _, _, eid, eseq = struct.unpack("!BBHHH", inner[iihl:iihl + 8])
                    if eid == ident:
                        print("From %s icmp_seq=%d type=%d code=%d" % (addr[0], eseq, typ, code), flush=True)
    loss = 100.0 * (a.count - len(replies)) / a.count
    print("%d packets transmitted, %d received, %g%% packet loss" % (a.count, len(replies), loss), flush=True)
    return 0 if len(replies) == a.count else 1


# ---------------------------------------------------------------------------------------------
# sniff-icmp


def cmd_sniff_icmp(a):
    stop_on_term()
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.bind((a.iface, 0))
    out = open(a.out, "a", buffering=1)
    write_ready(a.ready)
    try:
        while True:
            data, addr = sock.recvfrom(65535)
            pkttype = addr[2]
            if pkttype == 4:          # PACKET_OUTGOING: our own transmissions
                continue
            if len(data) < 14 + 20 + 8 or data[12:14] != b"\x08\x00":
                continue
            ip = data[14:]
            ihl = (ip[0] & 0x0F) * 4
            if ip[9] != 1 or len(ip) < ihl + 8:
                continue
            typ, code, _, ident, seq = struct.unpack("!BBHHH", ip[ihl:ihl + 8])
            if typ != 8:
                continue
            out.write("%s %s %d %d\n" % (socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), ident, seq))
    except Stop:
        pass
    out.close()
    return 0


# ---------------------------------------------------------------------------------------------
# capture (pcapng) and injection


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def cmd_capture(a):
    stop_on_term()
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.bind((a.iface, 0))
    out = open(a.out, "wb")
    # Section header (byte-order magic, version 1.0, unknown length), one Ethernet interface
    # (nanosecond timestamps: if_tsresol 9), then one enhanced packet block per frame.
    out.write(pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
    opt = struct.pack("<HH", 2, len(a.iface)) + a.iface.encode() + b"\0" * (-len(a.iface) % 4)
    opt += struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    out.write(pcapng_block(0x00000001, struct.pack("<HHI", 1, 0, 65535) + opt))
    out.flush()
    write_ready(a.ready)
    try:
        while True:
            data, addr = sock.recvfrom(65535)
            ts = time.time_ns()
            # the direction as an epb_flags option: 1 inbound, 2 outbound
            flags = 2 if addr[2] == 4 else 1
            body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data
            body += b"\0" * (-len(data) % 4)
            body += struct.pack("<HHI", 2, 4, flags) + struct.pack("<HH", 0, 0)
            out.write(pcapng_block(0x00000006, body))
            out.flush()  # the lab reads the file while the capture runs
    except Stop:
        pass
    out.close()
    return 0


def read_pcapng(path):
    """(timestamp ns, frame, outbound) of every enhanced packet block of a file capture wrote."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 12 <= len(data):
        btype, n = struct.unpack_from("<II", data, off)
        if n < 12 or off + n > len(data):
            break
        if btype == 6:
            _, hi, lo, caplen, _ = struct.unpack_from("<IIIII", data, off + 8)
            frame = data[off + 28:off + 28 + caplen]
            rest = data[off + 28 + caplen + (-caplen % 4):off + n - 4]
            outbound = len(rest) >= 8 and struct.unpack_from("<HHI", rest, 0)[2] == 2
            out.append(((hi << 32) | lo, frame, outbound))
        off += n
    return out


def cmd_inject(a):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((a.iface, 0))
    frame = bytes.fromhex(a.frame)
    for _ in range(a.count):
        sock.send(frame)
        time.sleep(0.01)
    return 0


# ---------------------------------------------------------------------------------------------
# TCP


def cmd_tcp_server(a):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", a.port))
    srv.listen(1)
    srv.settimeout(a.timeout)
    write_ready(a.ready)
    conn, peer = srv.accept()
    conn.settimeout(a.timeout)
    h = hashlib.sha256()
    n = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    conn.close()
    with open(a.out, "w") as f:
        json.dump({"bytes": n, "sha256": h.hexdigest(), "peer": peer[0]}, f)
    return 0


def cmd_tcp_client(a):
    rnd = random.Random(a.seed)
    t0 = time.monotonic()
    s = socket.create_connection((a.dst, a.port), timeout=a.timeout)
    s.settimeout(a.timeout)
    h = hashlib.sha256()
    left = a.bytes
    step = 65536 if not a.rate else max(1024, int(a.rate / 20))
    while left > 0:
        chunk = rnd.randbytes(min(step, left))
        s.sendall(chunk)
        h.update(chunk)
        left -= len(chunk)
        if a.rate:  # paced: the stream lasts bytes / rate seconds
            ahead = (a.bytes - left) / a.rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    s.shutdown(socket.SHUT_WR)
    # wait for the server's close: every byte was read
    s.recv(1)
    s.close()
    print(json.dumps({"bytes": a.bytes, "sha256": h.hexdigest(), "seconds": round(time.monotonic() - t0, 3)}))
    return 0


# ---------------------------------------------------------------------------------------------
# UDP stream

MAGIC = b"WSL1"


def cmd_udp_recv(a):
    stop_on_term()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("0.0.0.0", a.port))
    flows = {}
    write_ready(a.ready)
    try:
        while True:
            data, peer = sock.recvfrom(2048)
            if len(data) < 13 or data[:4] != MAGIC:
                continue
            flow = data[4:5].decode()
            seq, = struct.unpack("!Q", data[5:13])
            flows.setdefault(flow, []).append(seq)
    except Stop:
        pass
    # drain what is queued already
    sock.setblocking(False)
    try:
        while True:
            data, peer = sock.recvfrom(2048)
            if len(data) >= 13 and data[:4] == MAGIC:
                flows.setdefault(data[4:5].decode(), []).append(struct.unpack("!Q", data[5:13])[0])
    except (BlockingIOError, Stop):
        pass
    with open(a.out + ".tmp", "w") as f:
        json.dump({"flows": flows}, f)
    os.replace(a.out + ".tmp", a.out)
    return 0


def cmd_udp_send(a):
    flows = []
    for spec in a.flow:
        name, dst, port = spec.split(":")
        flows.append((name.encode(), (dst, int(port))))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tick_rate = a.rate / len(flows)
    nticks = int(a.duration * tick_rate)
    pad = b"\0" * max(0, a.size - 13)
    errors = {}
    t0 = time.monotonic()
    last_progress = 0.0

    def progress(tick):
        with open(a.progress + ".tmp", "w") as f:
            f.write("%d\n" % tick)
        os.replace(a.progress + ".tmp", a.progress)

    progress(0)
    for tick in range(nticks):
        due = t0 + tick / tick_rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
            now = time.monotonic()
        for name, dst in flows:
            try:
                sock.sendto(MAGIC + name + struct.pack("!Q", tick) + pad, dst)
            except OSError as e:
                # ICMP errors come back as ECONNREFUSED etc. on a later send; count them
                errors[e.strerror] = errors.get(e.strerror, 0) + 1
                try:
                    sock.sendto(MAGIC + name + struct.pack("!Q", tick) + pad, dst)
                except OSError:
                    pass
        if now - last_progress >= 0.02:
            progress(tick)
            last_progress = now
    progress(nticks)
    elapsed = time.monotonic() - t0
    res = {"ticks": nticks, "flows": [f[0].decode() for f in flows], "seconds": round(elapsed, 3),
           "send_errors": errors}
    with open(a.out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res))
    return 0


def ranges(seqs):
    """[1,2,3,7,8] -> '1-3,7-8'"""
    out = []
    s = sorted(set(seqs))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[j] + 1:
            j += 1
        out.append("%d" % s[i] if i == j else "%d-%d" % (s[i], s[j]))
        i = j + 1
    return ",".join(out) if out else "(none)"


def cmd_udp_check(a):
    """Verdicts for the route-change check, one 'PASS|FAIL|INFO: text' line each.

    Flow A (never rerouted) must arrive complete: every tick 0..ticks-1 exactly once at A's
    receiver. Flow B: its receiver before the switch (OLD) gets B's ticks up to the switch, the
    receiver after it (NEW) gets the ticks after it, with every OLD tick below every NEW tick
    (one clean switch) and the switch tick inside the window in which the route replace ran
    (widened by --slack ticks); after the blackhole no B tick beyond its window (+ slack)
    arrives anywhere."""
    sender = json.load(open(a.sender))
    ticks = sender["ticks"]
    recv = {}
    for spec in a.recv:
        name, path = spec.split("=", 1)
        recv[name] = json.load(open(path))["flows"]
    sw_lo, sw_hi = (int(x) for x in a.switch.split(":"))
    bh_lo, bh_hi = (int(x) for x in a.blackhole.split(":"))
    ok = True

    def verdict(good, text):
        nonlocal ok
        print("%s: %s" % ("PASS" if good else "FAIL", text))
        ok = ok and good

    print("INFO: sender: %d ticks per flow in %.2f s (%s)%s" % (
        ticks, sender["seconds"], ",".join(sender["flows"]),
        "; send errors %s" % sender["send_errors"] if sender["send_errors"] else ""))
    print("INFO: route replace (B -> new path) ran during ticks %d..%d; blackhole during ticks %d..%d" %
          (sw_lo, sw_hi, bh_lo, bh_hi))
    # flow A
    a_seqs = recv[a.a_recv].get("A", [])
    a_other = sum(len(recv[n].get("A", [])) for n in recv if n != a.a_recv)
    a_set = set(a_seqs)
    missing = sorted(set(range(ticks)) - a_set)
    dups = len(a_seqs) - len(a_set)
    reord = sum(1 for i in range(1, len(a_seqs)) if a_seqs[i] < a_seqs[i - 1])
    verdict(not missing and dups == 0 and a_other == 0,
            "flow A: %d/%d received at %s, lost %d%s, duplicates %d, reordered %d, elsewhere %d" % (
                len(a_set), ticks, a.a_recv, len(missing),
                " (%s)" % ranges(missing)[:200] if missing else "", dups, reord, a_other))
    # flow B
    b_old = recv[a.b_old].get("B", [])
    b_new = recv[a.b_new].get("B", [])
    b_else = sum(len(recv[n].get("B", [])) for n in recv if n not in (a.b_old, a.b_new))
    print("INFO: flow B at %s (old path): ticks %s" % (a.b_old, ranges(b_old)))
    print("INFO: flow B at %s (new path): ticks %s" % (a.b_new, ranges(b_new)))
    if not b_old or not b_new:
        verdict(False, "flow B: received on old path %d, on new path %d (need both)" % (len(b_old), len(b_new)))
        return 1
    old_max, new_min = max(b_old), min(b_new)
    verdict(old_max < new_min,
            "flow B switched once: last tick on old path %d < first tick on new path %d" % (old_max, new_min))
    verdict(sw_lo - a.slack <= new_min <= sw_hi + a.slack,
            "flow B switch point: first tick on new path %d within replace window %d..%d (slack %d)" % (
                new_min, sw_lo, sw_hi, a.slack))
    before = set(range(0, sw_lo - a.slack))
    miss_before = sorted(before - set(b_old))
    verdict(not miss_before, "flow B before the switch: %d ticks lost%s" % (
        len(miss_before), " (%s)" % ranges(miss_before)[:200] if miss_before else ""))
    lost_at_switch = sorted(set(range(old_max + 1, new_min)))
    print("INFO: flow B ticks lost at the switch (informational): %d%s" % (
        len(lost_at_switch), " (%s)" % ranges(lost_at_switch) if lost_at_switch else ""))
    mid = set(range(sw_hi + a.slack, bh_lo - a.slack))
    miss_mid = sorted(mid - set(b_new))
    verdict(not miss_mid, "flow B on the new path (ticks %d..%d): %d lost%s" % (
        sw_hi + a.slack, bh_lo - a.slack - 1, len(miss_mid),
        " (%s)" % ranges(miss_mid)[:200] if miss_mid else ""))
    all_b = b_old + b_new
    late = [s for s in all_b if s > bh_hi + a.slack]
    verdict(not late and b_else == 0,
            "flow B after the blackhole: %d ticks beyond %d arrived, %d elsewhere" % (len(late), bh_hi + a.slack, b_else))
    b_last = max(all_b)
    if a.blackhole_drops is not None:
        expect_min = ticks - 1 - (bh_hi + a.slack)
        expect_max = ticks - (b_last + 1)
        verdict(expect_min <= a.blackhole_drops <= expect_max + 3,
                "blackhole drop counter grew by %d; flow B ticks after its last delivered tick %d: %d "
                "(expected between %d and %d)" % (a.blackhole_drops, b_last, ticks - 1 - b_last,
                                                  expect_min, expect_max))
    return 0 if ok else 1


# ---------------------------------------------------------------------------------------------
# json-get


def cmd_json_get(a):
    doc = json.load(sys.stdin)
    if a.path.startswith("rule:"):
        prio = int(a.path[5:])
        hits = [r for r in doc.get("rules", []) if r.get("priority") == prio and r.get("family", "inet") == "inet"]
        if not hits:
            print("missing")
            return 1
        print(sum(int(r.get("packets", 0)) for r in hits))
        return 0
    if a.path.startswith("drop:"):
        v = doc.get("drops", {}).get(a.path[5:])
        print("missing" if v is None else v)
        return 0 if v is not None else 1
    cur = doc
    for part in a.path.split("."):
        if isinstance(cur, list):
            cur = cur[int(part)]
        else:
            cur = cur[part]
    print(cur if not isinstance(cur, (dict, list)) else json.dumps(cur))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("ping")
    s.add_argument("dst")
    s.add_argument("-c", dest="count", type=int, default=5)
    s.add_argument("-i", dest="interval", type=float, default=0.2)
    s.add_argument("-W", dest="wait", type=float, default=3.0)
    s.set_defaults(fn=cmd_ping)
    s = sub.add_parser("sniff-icmp")
    s.add_argument("iface")
    s.add_argument("out")
    s.add_argument("--ready")
    s.set_defaults(fn=cmd_sniff_icmp)
    s = sub.add_parser("tcp-server")
    s.add_argument("port", type=int)
    s.add_argument("out")
    s.add_argument("--ready")
    s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(fn=cmd_tcp_server)
    s = sub.add_parser("tcp-client")
    s.add_argument("dst")
    s.add_argument("port", type=int)
    s.add_argument("bytes", type=int)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--rate", type=float, default=0, help="bytes per second (0: as fast as possible)")
    s.set_defaults(fn=cmd_tcp_client)
    s = sub.add_parser("udp-recv")
    s.add_argument("port", type=int)
    s.add_argument("out")
    s.add_argument("--ready")
    s.set_defaults(fn=cmd_udp_recv)
    s = sub.add_parser("udp-send")
    s.add_argument("--flow", action="append", required=True)
    s.add_argument("--rate", type=float, default=2000)
    s.add_argument("--duration", type=float, default=8)
    s.add_argument("--size", type=int, default=64)
    s.add_argument("--progress", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_udp_send)
    s = sub.add_parser("udp-check")
    s.add_argument("sender")
    s.add_argument("recv", nargs="+", help="NAME=FILE")
    s.add_argument("--a-recv", required=True)
    s.add_argument("--b-old", required=True)
    s.add_argument("--b-new", required=True)
    s.add_argument("--switch", required=True, help="LO:HI ticks")
    s.add_argument("--blackhole", required=True, help="LO:HI ticks")
    s.add_argument("--slack", type=int, default=200)
    s.add_argument("--blackhole-drops", type=int)
    s.set_defaults(fn=cmd_udp_check)
    s = sub.add_parser("capture")
    s.add_argument("iface")
    s.add_argument("out")
    s.add_argument("--ready")
    s.set_defaults(fn=cmd_capture)
    s = sub.add_parser("inject")
    s.add_argument("iface")
    s.add_argument("frame")
    s.add_argument("-c", dest="count", type=int, default=1)
    s.set_defaults(fn=cmd_inject)
    s = sub.add_parser("json-get")
    s.add_argument("path")
    s.set_defaults(fn=cmd_json_get)
    a = p.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
