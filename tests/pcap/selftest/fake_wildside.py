#!/usr/bin/python3
"""A slow Python model of the wildside dataplane, for testing run_pcap_tests.py itself.

It reads the same config (net_pcap ports only), reads every rx pcap, does what
/tmp/ws-spec.md says to each frame (routing decisions come from the real offline oracle,
`wildsidectl -c CONF -j ip route get ...`), answers `show counters`, `ip -s link show` and
`ip neigh show` on the -s socket (through fake_wildsidectl.py), and writes the tx pcaps when it
exits after --exit-when-idle. FAKE_BUG=name plants one bug (see BUGS) so that selftest.py can
check that the suite notices it.
"""
import ipaddress
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
REAL_CTL = os.environ.get("FAKE_REAL_WILDSIDECTL", os.path.join(REPO, "build", "wildsidectl"))
BUG = os.environ.get("FAKE_BUG", "")
BUGS = {
    "no-ttl": "forwards without decrementing the TTL",
    "bad-csum": "decrements the TTL without fixing the checksum",
    "reorder": "swaps every second pair of forwarded packets on eth1",
    "icmp-tos": "ICMP errors keep the original TOS",
    "quote-28": "ICMP errors quote only header + 8 bytes",
    "mp-other": "multipath: takes the other nexthop than the oracle",
    "rule-code1": "rule unreachable answers host unreachable (code 1)",
    "no-ratelimit": "no ICMP rate limit",
    "options-fwd": "forwards packets with IPv4 options",
    "src-mac": "forwards with the ingress port's MAC as source",
    "tos-ignored": "route queries ignore the TOS",
    "icmp-csum-swap": "writes the checksums of its own ICMP errors byte-swapped",
}

sys.path.insert(0, os.path.dirname(HERE))
from run_pcap_tests import ocsum, read_pcap, write_pcap  # noqa: E402


def reasons():
    names = []
    with open(os.path.join(REPO, "dataplane", "drop_reasons.h")) as f:
        for m in re.finditer(r'\{DropReason::k\w+, "([a-z0-9-]+)"', f.read()):
            if m.group(1) != "none":
                names.append(m.group(1))
    return names


def mac_b(m):
    return bytes(int(x, 16) for x in m.split(":"))


def csum_fix4(ip):
    ip = bytearray(ip)
    hl = (ip[0] & 0xF) * 4
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", ~ocsum(bytes(ip[:hl])) & 0xFFFF)
    return bytes(ip)


class Port:
    def __init__(self, name):
        self.name, self.mac, self.mtu, self.rx, self.tx = name, None, 1500, None, None
        self.addr4, self.addr6, self.out, self.rx_n, self.rx_bytes, self.tx_bytes = [], [], [], 0, 0, 0


class Fake:
    def __init__(self, conf, idle_ms):
        self.conf, self.idle_ms = conf, idle_ms
        self.ports, self.neigh, self.static = {}, {}, set()
        self.drops = {r: 0 for r in reasons()}
        self.pending = {}  # nh -> (port, deadline, [frames])
        self.failed = set()
        self.tokens = {}   # icmp destination -> (tokens, last)
        self.lock = threading.Lock()
        self.rx_total = 0
        self.cache = {}
        self.parse()

    def parse(self):
        with open(self.conf) as f:
            for line in f:
                w = line.split()
                if not w or w[0] != "ip":
                    continue
                if w[1] == "-6":
                    w = w[:1] + w[2:]
                if w[1:3] == ["link", "add"] and "dpdk" in w:
                    p = Port(w[3])
                    for kv in w[w.index("devargs") + 1].split(",")[1:]:
                        k, v = kv.split("=", 1)
                        setattr(p, {"rx_pcap": "rx", "tx_pcap": "tx"}.get(k, k), v)
                    self.ports[p.name] = p
                elif w[1:3] == ["link", "set"]:
                    p = self.ports[w[3]]
                    if w[4] == "address":
                        p.mac = w[5]
                    elif w[4] == "mtu":
                        p.mtu = int(w[5])
                elif w[1:3] == ["addr", "add"]:
                    a = w[3].split("/")[0]
                    (self.ports[w[5]].addr6 if ":" in a else self.ports[w[5]].addr4).append(a)
                elif w[1:3] == ["neigh", "add"]:
                    self.neigh[w[3]] = w[5]
                    self.static.add(w[3])

    def query(self, q):
        if q not in self.cache:
            r = subprocess.run([REAL_CTL, "-c", self.conf, "-j"] + q.split(), capture_output=True, text=True)
            if r.returncode == 0:
                self.cache[q] = json.loads(r.stdout)[0]
            else:
                self.cache[q] = {"error": r.stderr.strip().replace("RTNETLINK answers: ", "")}
        return self.cache[q]

    def drop(self, r):
        self.drops[r] += 1

    def send(self, port, frame):
        self.ports[port].out.append(frame)
        self.ports[port].tx_bytes += len(frame)

    # ---- ICMP ------------------------------------------------------------------------------
    def allow_icmp(self, dst, exempt=False):
        if exempt or BUG == "no-ratelimit":
            return True
        now = time.time()
        tok, last = self.tokens.get(dst, (6.0, now))
        tok = min(6.0, tok + (now - last))
        if tok >= 1.0:
            self.tokens[dst] = (tok - 1.0, now)
            return True
        self.tokens[dst] = (tok, now)
        self.drop("icmp-rate-limited")
        return False

    def icmp4(self, orig, typ, code, mtu=0):
        src = str(ipaddress.IPv4Address(orig[12:16]))
        if orig[9] == 1 and len(orig) > 20 and orig[20] in (3, 4, 5, 11, 12):
            self.drop("icmp-not-sent")
            return
        if not self.allow_icmp(src, exempt=(typ, code) == (3, 4)):
            return
        a = self.query(f"ip route get {src}")
        if "error" in a:
            return
        quote = orig[:548] if BUG != "quote-28" else orig[:28]
        icmp = bytearray(struct.pack("!BBHHH", typ, code, 0, 0, mtu) + quote)
        icmp[2:4] = struct.pack("!H", ~ocsum(bytes(icmp)) & 0xFFFF)
        tos = orig[1] if BUG == "icmp-tos" else (orig[1] & 0x1E) | 0xC0
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(icmp), 0x4242, 0, 64, 1, 0,
                         ipaddress.IPv4Address(a["prefsrc"]).packed, orig[12:16]) + bytes(icmp)
        ip = csum_fix4(ip)
        if BUG == "icmp-csum-swap":
            ip = ip[:10] + ip[11:12] + ip[10:11] + ip[12:22] + ip[23:24] + ip[22:23] + ip[24:]
        self.output(ip, a["dev"], a.get("gateway", src), 0x0800)

    def icmp6(self, orig, typ, code, mtu=0):
        src = str(ipaddress.IPv6Address(orig[8:24]))
        if orig[6] == 58 and len(orig) > 40 and orig[40] < 128:
            self.drop("icmp-not-sent")
            return
        if not self.allow_icmp(src):
            return
        a = self.query(f"ip -6 route get {src}")
        quote = orig[:1232]
        body = bytearray(struct.pack("!BBHI", typ, code, 0, mtu) + quote)
        s6 = ipaddress.IPv6Address(a["prefsrc"]).packed
        pseudo = s6 + orig[8:24] + struct.pack("!IxxxB", len(body), 58)
        body[2:4] = struct.pack("!H", ~ocsum(pseudo + bytes(body)) & 0xFFFF)
        ip = struct.pack("!IHBB", 0x60000000, len(body), 58, 64) + s6 + orig[8:24] + bytes(body)
        self.output(ip, a["dev"], a.get("gateway", src), 0x86DD)

    # ---- egress ----------------------------------------------------------------------------
    def output(self, ip, dev, nh, etype, ingress=None):
        p = self.ports[dev]
        src_mac = self.ports[ingress].mac if BUG == "src-mac" and ingress else p.mac
        if nh in self.neigh:
            self.send(dev, mac_b(self.neigh[nh]) + mac_b(src_mac) + struct.pack("!H", etype) + ip)
            return
        if nh in self.failed:
            self.drop("neigh-failed")
            return
        if nh not in self.pending:
            self.pending[nh] = (dev, time.time() + 3.0, [])
            (self.nd_solicit if ":" in nh else self.arp_request)(dev, nh)
        q = self.pending[nh][2]
        if len(q) >= 3:
            self.drop("neigh-queue-full")
            return
        q.append((ip, etype))

    def arp_request(self, dev, nh):
        p = self.ports[dev]
        sender = next((a for a in p.addr4 if ipaddress.IPv4Address(nh) in ipaddress.IPv4Network(a + "/24", False)),
                      p.addr4[0])
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac_b(p.mac), ipaddress.IPv4Address(sender).packed,
                          b"\0" * 6, ipaddress.IPv4Address(nh).packed)
        self.send(dev, b"\xff" * 6 + mac_b(p.mac) + b"\x08\x06" + arp)

    def icmp6_frame(self, dst_mac, src_mac, src, dst, body):
        body = bytearray(body)
        pseudo = src + dst + struct.pack("!IxxxB", len(body), 58)
        body[2:4] = struct.pack("!H", ~ocsum(pseudo + bytes(body)) & 0xFFFF)
        ip = struct.pack("!IHBB", 0x60000000, len(body), 58, 255) + src + dst + bytes(body)
        return dst_mac + src_mac + b"\x86\xdd" + ip

    def nd_solicit(self, dev, nh):
        p = self.ports[dev]
        t = ipaddress.IPv6Address(nh).packed
        src = next((a for a in p.addr6 if a.startswith("fe80")), p.addr6[0])
        snm = bytes.fromhex("ff0200000000000000000001ff") + t[13:]
        body = struct.pack("!BBHI", 135, 0, 0, 0) + t + bytes([1, 1]) + mac_b(p.mac)
        self.send(dev, self.icmp6_frame(b"\x33\x33\xff" + t[13:], mac_b(p.mac), ipaddress.IPv6Address(src).packed,
                                        snm, body))

    def learn(self, ip, mac):
        if ip in self.static:
            return
        self.neigh[ip] = mac
        self.failed.discard(ip)
        if ip in self.pending:
            dev, _, q = self.pending.pop(ip)
            for pkt, et in q:
                self.output(pkt, dev, ip, et)

    def timers(self):
        now = time.time()
        for nh, (dev, dl, q) in list(self.pending.items()):
            if now >= dl:
                del self.pending[nh]
                self.failed.add(nh)
                for _ in q:
                    self.drop("neigh-failed")

    # ---- ingress ---------------------------------------------------------------------------
    def rx(self, port, fr):
        p = self.ports[port]
        p.rx_n += 1
        p.rx_bytes += len(fr)
        self.rx_total += 1
        if len(fr) < 14:
            return self.drop("l2-too-short")
        dst = fr[0:6]
        if dst != mac_b(p.mac) and dst != b"\xff" * 6 and not dst[0] & 1:
            return self.drop("l2-not-for-us")
        et = struct.unpack("!H", fr[12:14])[0]
        if et == 0x8100:
            return self.drop("vlan-tagged")
        if et == 0x0806:
            return self.arp(p, fr)
        if et == 0x0800:
            return self.ipv4(p, fr[14:])
        if et == 0x86DD:
            return self.ipv6(p, fr[14:])
        return self.drop("unknown-ethertype")

    def arp(self, p, fr):
        a = fr[14:]
        if len(a) < 28 or a[:6] != b"\x00\x01\x08\x00\x06\x04":
            return self.drop("arp-malformed")
        op = struct.unpack("!H", a[6:8])[0]
        sha, spa, tpa = a[8:14], str(ipaddress.IPv4Address(a[14:18])), str(ipaddress.IPv4Address(a[24:28]))
        if op == 1 and tpa in p.addr4:
            self.learn(spa, sha.hex(":"))
            rep = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, mac_b(p.mac), a[24:28], sha, a[14:18])
            self.send(p.name, sha + mac_b(p.mac) + b"\x08\x06" + rep)
        elif op == 2:
            self.learn(spa, sha.hex(":"))
        else:
            self.drop("arp-not-for-us")

    def ipv4(self, p, ip):
        if len(ip) < 20:
            return self.drop("ip4-too-short")
        if ip[0] >> 4 != 4:
            return self.drop("ip4-bad-version")
        hl = (ip[0] & 0xF) * 4
        if hl < 20 or hl > len(ip):
            return self.drop("ip4-bad-ihl")
        tot = struct.unpack("!H", ip[2:4])[0]
        if tot < hl or tot > len(ip):
            return self.drop("ip4-bad-length")
        ip = ip[:tot]
        if ocsum(ip[:hl]) != 0xFFFF:
            return self.drop("ip4-bad-checksum")
        if hl > 20 and BUG != "options-fwd":
            return self.drop("ip4-options")
        frag = struct.unpack("!H", ip[6:8])[0]
        if frag & 0x3FFF:
            return self.drop("ip4-fragment")
        s, d = ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])
        local = {a for q in self.ports.values() for a in q.addr4}
        if (s.packed[0] in (0, 127) or s.is_multicast or str(s) == "255.255.255.255" or str(s) in local):
            return self.drop("martian-source")
        if d.packed[0] in (0, 127):
            return self.drop("martian-destination")
        proto = {1: "icmp", 6: "tcp", 17: "udp"}.get(ip[9], str(ip[9]))
        q = f"ip route get {d} from {s} iif {p.name}"
        if BUG != "tos-ignored":
            q += f" tos {ip[1]:#04x}"
        q += f" ipproto {proto}"
        if proto in ("tcp", "udp"):
            sp, dp = struct.unpack("!HH", ip[hl:hl + 4])
            q += f" sport {sp} dport {dp}"
        a = self.query(q)
        if "error" in a:
            e = a["error"]
            if e == "Invalid argument":
                return self.drop("blackhole")
            if e == "No route to host":
                self.drop("unreachable")
                return self.icmp4(ip, 3, 1)
            if e == "Permission denied":
                self.drop("prohibit")
                return self.icmp4(ip, 3, 13)
            if e == "Network is unreachable":
                self.drop("no-route")
                return self.icmp4(ip, 3, 1 if BUG == "rule-code1" and str(d).startswith("10.23.") else 0)
            return self.drop("route-error")
        if a.get("type") in ("local", "broadcast"):
            return self.drop("no-host-interface")
        dev, nh = a["dev"], a.get("gateway", str(d))
        if BUG == "mp-other" and str(d).startswith("10.8."):
            dev, nh = ("eth2", "10.0.3.7") if dev == "eth1" else ("eth1", "10.0.2.7")
        if ip[8] <= 1:
            self.drop("ttl-exceeded")
            return self.icmp4(ip, 11, 0)
        if tot > self.ports[dev].mtu:
            self.drop("frag-needed")
            if frag & 0x4000:
                self.icmp4(ip, 3, 4, self.ports[dev].mtu)
            return
        out = bytearray(ip)
        if BUG != "no-ttl":
            out[8] -= 1
        if BUG != "bad-csum":
            out = csum_fix4(bytes(out))
        self.output(bytes(out), dev, nh, 0x0800, ingress=p.name)

    def ipv6(self, p, ip):
        if len(ip) < 40:
            return self.drop("ip6-too-short")
        if ip[0] >> 4 != 6:
            return self.drop("ip6-bad-version")
        plen = struct.unpack("!H", ip[4:6])[0]
        if 40 + plen > len(ip):
            return self.drop("ip6-bad-length")
        ip = ip[:40 + plen]
        if ip[6] in (0, 44):
            return self.drop("ip6-extension-header")
        s, d = ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40])
        if ip[6] == 58 and ip[40] == 135:
            tgt = str(ipaddress.IPv6Address(ip[48:64]))
            if tgt in p.addr6:
                body = struct.pack("!BBHI", 136, 0, 0, 0xE0000000) + ip[48:64] + bytes([2, 1]) + mac_b(p.mac)
                self.send(p.name, self.icmp6_frame(ip[66:72] if len(ip) >= 72 else b"\xff" * 6, mac_b(p.mac),
                                                   ip[48:64], ip[8:24], body))
            return
        a = self.query(f"ip -6 route get {d} from {s} iif {p.name}")
        if "error" in a:
            e = a["error"]
            if e == "Invalid argument":
                return self.drop("blackhole")
            if e == "Permission denied":
                self.drop("prohibit")
                return self.icmp6(ip, 1, 1)
            self.drop("no-route" if e == "Network is unreachable" else "unreachable")
            return self.icmp6(ip, 1, 0)
        if ip[7] <= 1:
            self.drop("ttl-exceeded")
            return self.icmp6(ip, 3, 0)
        out = bytearray(ip)
        out[7] -= 1
        self.output(bytes(out), a["dev"], a.get("gateway", str(d)), 0x86DD, ingress=p.name)

    # ---- control socket --------------------------------------------------------------------
    def answer(self, cmd):
        w = cmd.split()
        if w[:2] == ["show", "counters"]:
            return json.dumps({"drops": self.drops, "rules": [], "stages": [],
                               "workers": [{"id": 0, "lcore": 1, "rx_packets": self.rx_total, "busy_cycles": 0,
                                            "idle_polls": 0}]})
        if w[:2] == ["ip", "-s"] and "link" in w:
            return json.dumps([{"ifindex": i + 2, "ifname": p.name, "mtu": p.mtu, "address": p.mac,
                                "stats64": {"rx": {"bytes": p.rx_bytes, "packets": p.rx_n, "errors": 0, "dropped": 0},
                                            "tx": {"bytes": p.tx_bytes, "packets": len(p.out), "errors": 0,
                                                   "dropped": 0}}}
                               for i, p in enumerate(self.ports.values())])
        if w[:3] == ["ip", "neigh", "show"]:
            lines = []
            for ip, mac in self.neigh.items():
                lines.append(f"{ip} dev ? lladdr {mac} {'PERMANENT' if ip in self.static else 'REACHABLE'}")
            lines += [f"{ip} dev ? FAILED" for ip in self.failed]
            lines += [f"{ip} dev ? INCOMPLETE" for ip in self.pending]
            return "\n".join(lines)
        return None

    def serve(self, path):
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(4)
        while True:
            c, _ = srv.accept()
            with c:
                cmd = c.recv(4096).decode()
                with self.lock:
                    out = self.answer(cmd)
                c.sendall(b"OK\n" + out.encode() if out is not None else b"ERR\nunknown command")

    def run(self, sock):
        frames = []
        for p in self.ports.values():
            frames += [(p.name, fr) for fr in read_pcap(p.rx)]
        if sock:
            threading.Thread(target=self.serve, args=(sock,), daemon=True).start()
        time.sleep(0.3)
        with self.lock:
            for port, fr in frames:
                self.rx(port, fr)
            if BUG == "reorder":
                o = self.ports["eth1"].out
                for i in range(0, len(o) - 1, 4):
                    o[i], o[i + 1] = o[i + 1], o[i]
        last = time.time()
        while time.time() - last < self.idle_ms / 1000:
            time.sleep(0.05)
            with self.lock:
                self.timers()
        for p in self.ports.values():
            write_pcap(p.tx, p.out)
        if sock:
            os.unlink(sock)


def main():
    a = sys.argv[1:]
    conf = a[a.index("-c") + 1]
    sock = a[a.index("-s") + 1] if "-s" in a else None
    idle = int(a[a.index("--exit-when-idle") + 1]) if "--exit-when-idle" in a else 1000
    Fake(conf, idle).run(sock)


if __name__ == "__main__":
    main()
