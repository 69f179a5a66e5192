"""Part 3 of tests/iptables/iptables_oracle.py: the reference matcher against the kernel.

A router namespace R with four veth links: r0 to a client namespace C (where the packets come
from) and r1, r2, r3 to sink namespaces S1, S2, S3. R routes by firewall mark, as §4.1 of the
reference describes (a mark set in mangle PREROUTING picks the route):

    ip rule add fwmark 0x1/0x1 table 100   -> default via r2
    ip rule add fwmark 0x2/0x2 table 200   -> default via r3
    main                                  -> default via r1

Random mangle PREROUTING rule sets (the oracle's generator, with MARK targets, user chains,
jumps, RETURN, ACCEPT/DROP) are loaded into R with iptables and into ipt_tool; random IPv4 and
IPv6 packets (TCP, UDP, SCTP, ICMP, GRE, fragments, TOS values, payloads for -m string, lengths
for -m length), each tagged by its IPv4 id or IPv6 flow label, are written onto C's end of r0
with an AF_PACKET socket, and raw sockets on S1-S3 see where R sent each. The interface the
kernel chose must be the one the model's verdict and mark choose (r1, r2, r3, or none when the
model drops the packet).

Then the dataplane: each config's packets go through wildside too (--wildside; one run per config,
the runs side by side). Its config is R's, line for line: four net_pcap ports named r0-r3 with R's
addresses, static neighbours for the next hops (no ARP or ND), the ROUTING lines below after
"ip ", and the iptables/ip6tables lines exactly as iptables took them. The packets, as Ethernet
frames to r0's MAC, are r0's rx pcap; once `show counters` says wildside received them all it is
left to exit (--exit-when-idle), and every frame in r0-r3's tx pcaps is matched to the packet sent
by its tag (same addresses and protocol, or it is a stray). Every packet must leave wildside by
the port named as the veth the kernel sent it out of; a packet the kernel dropped (mangle -j DROP)
must be in no tx pcap, and the drop counters must be exactly fw-drop = those packets. IPv4
fragments are the exception: wildside drops every fragment at parse (ip4-fragment), so they are
not compared with the kernel; they must be in no tx pcap and counted as ip4-fragment.
The pcap I/O and the polling come from tests/pcap/run_pcap_tests.py (which imports scapy).
"""

import ctypes
import os
import random
import select
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

CLONE_NEWNET = 0x40000000
IP = "ip"
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def run(cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr.strip()))
    return p


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + path)
    finally:
        os.close(fd)


def raw_socket(ns, ifname):
    """An AF_PACKET socket bound to ifname inside namespace ns."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        setns("/run/netns/" + ns)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
        s.bind((ifname, 0))
        s.setblocking(False)
        return s
    finally:
        _libc.setns(home, CLONE_NEWNET)
        os.close(home)


def mac_of(ns, ifname):
    out = run([IP, "-n", ns, "-o", "link", "show", ifname]).stdout
    return out.split("link/ether ")[1].split()[0]


# R's routes and fwmark rules, given as they are to `ip -n R` and (after "ip ") to wildside.
ROUTING = [
    "route add default via 10.1.0.2",
    "route add default via 10.2.0.2 table 100",
    "route add default via 10.3.0.2 table 200",
    "-6 route add default via fd01::2",
    "-6 route add default via fd02::2 table 100",
    "-6 route add default via fd03::2 table 200",
    "-4 rule add fwmark 0x1/0x1 table 100 pref 100",
    "-4 rule add fwmark 0x2/0x2 table 200 pref 200",
    "-6 rule add fwmark 0x1/0x1 table 100 pref 100",
    "-6 rule add fwmark 0x2/0x2 table 200 pref 200",
]


class Rig:
    def __init__(self):
        tag = str(os.getpid())
        self.r, self.c = "iptp-r-" + tag, "iptp-c-" + tag
        self.s = ["iptp-s%d-%s" % (i, tag) for i in (1, 2, 3)]
        for ns in [self.r, self.c] + self.s:
            run([IP, "netns", "del", ns], check=False)
            run([IP, "netns", "add", ns])
        run([IP, "-n", self.r, "link", "add", "r0", "type", "veth", "peer", "name", "c0", "netns", self.c])
        for i, s in enumerate(self.s, 1):
            run([IP, "-n", self.r, "link", "add", "r%d" % i, "type", "veth", "peer", "name", "s%d" % i, "netns", s])
        rr = lambda *a: run([IP, "-n", self.r] + list(a))
        for sysctl in (["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                                    "net.ipv4.conf.default.rp_filter=0", "net.ipv6.conf.all.forwarding=1"]):
            run([IP, "netns", "exec", self.r, "sysctl", "-qw", sysctl])
        for i in range(4):
            rr("addr", "add", "10.%d.0.1/24" % i, "dev", "r%d" % i)
            rr("-6", "addr", "add", "fd0%d::1/64" % i, "dev", "r%d" % i, "nodad")
            rr("link", "set", "r%d" % i, "up")
            run([IP, "netns", "exec", self.r, "sysctl", "-qw", "net.ipv4.conf.r%d.rp_filter=0" % i])
        run([IP, "-n", self.c, "link", "set", "c0", "up"])
        run([IP, "-n", self.c, "addr", "add", "10.0.0.2/24", "dev", "c0"])
        for i, s in enumerate(self.s, 1):
            run([IP, "-n", s, "link", "set", "s%d" % i, "up"])
            run([IP, "-n", s, "addr", "add", "10.%d.0.2/24" % i, "dev", "s%d" % i])
            run([IP, "-n", s, "-6", "addr", "add", "fd0%d::2/64" % i, "dev", "s%d" % i, "nodad"])
            mac = mac_of(s, "s%d" % i)
            rr("neigh", "replace", "10.%d.0.2" % i, "lladdr", mac, "dev", "r%d" % i, "nud", "permanent")
            rr("-6", "neigh", "replace", "fd0%d::2" % i, "lladdr", mac, "dev", "r%d" % i, "nud", "permanent")
        for line in ROUTING:
            rr(*line.split())
        self.r0_mac = bytes.fromhex(mac_of(self.r, "r0").replace(":", ""))
        self.c0_mac = bytes.fromhex(mac_of(self.c, "c0").replace(":", ""))
        self.tx = raw_socket(self.c, "c0")
        self.rx = [raw_socket(s, "s%d" % i) for i, s in enumerate(self.s, 1)]

    def iptables(self, line):
        return subprocess.run([IP, "netns", "exec", self.r] + shlex.split(line), capture_output=True, text=True)

    def reset(self):
        for prog in ("iptables", "ip6tables"):
            self.iptables(prog + " -t mangle -F")
            self.iptables(prog + " -t mangle -X")

    def drain(self):
        seen = {}
        while True:
            ready, _, _ = select.select(self.rx, [], [], 0.3)
            if not ready:
                return seen
            for k, s in enumerate(self.rx):
                if s not in ready:
                    continue
                while True:
                    try:
                        frame = s.recv(65535)
                    except BlockingIOError:
                        break
                    t = tag_of(frame)
                    if t is not None:
                        seen.setdefault(t, set()).add("r%d" % (k + 1))

    def send(self, packet):
        ether = 0x86DD if packet[0] >> 4 == 6 else 0x0800
        self.tx.send(self.r0_mac + self.c0_mac + struct.pack("!H", ether) + packet)

    def close(self):
        for s in [self.tx] + self.rx:
            s.close()
        for ns in [self.r, self.c] + self.s:
            run([IP, "netns", "del", ns], check=False)


def tag_of(frame):
    if len(frame) < 14:
        return None
    ether = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if ether == 0x0800 and len(ip) >= 20:
        return ("4", struct.unpack("!H", ip[4:6])[0])
    if ether == 0x86DD and len(ip) >= 40:
        if ip[6] == 58 and len(ip) > 40 and ip[40] in (133, 134, 135, 136, 143):
            return None  # neighbour discovery and MLD
        return ("6", struct.unpack("!I", ip[0:4])[0] & 0xFFFFF)
    return None


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


SRC4 = ["10.1.2.3", "192.0.2.1", "192.0.2.200", "172.16.5.4", "1.2.3.4", "1.200.3.9", "198.51.100.7", "10.9.9.9"]
DST4 = ["198.51.100.9", "203.0.113.5", "10.9.9.9", "1.2.3.4", "172.16.9.9"]
SRC6 = ["2001:db8::5", "2001:db8:1::7", "2001:db8::1", "fd05::1", "2001:db9::3"]
DST6 = ["2001:db8::1", "2001:db8:1::5", "fd00:1::9", "2001:db8::ffff"]
PORTS = [22, 80, 53, 443, 5000, 1000, 100, 101, 0, 65535, 1024]
PAYLOADS = [b"", b"GET / HTTP/1.1\r\n", b"xxfooxx", b"x", b"ABC", b"\x00\xff", b"\xde\xad\xbe\xef", b"get / ", b"FOO"]


def make_packet(rnd, tag):
    v6 = rnd.random() < 0.35
    proto = rnd.choice([6, 6, 17, 17, 58 if v6 else 1, 132, 47])
    payload = rnd.choice(PAYLOADS)
    if rnd.random() < 0.3:
        payload = rnd.choice(PAYLOADS) + bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 120))) + rnd.choice(PAYLOADS)
    sport, dport = rnd.choice(PORTS), rnd.choice(PORTS)
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x10, 512, 0, 0)
    elif proto == 17:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    elif proto == 132:
        l4 = struct.pack("!HHII", sport, dport, 0, 0)
    elif proto in (1, 58):
        t = rnd.choice([1, 2, 128, 129] if v6 else [0, 3, 8, 11])
        l4 = struct.pack("!BBHI", t, rnd.choice([0, 1, 3, 4]), 0, 0)
    else:
        l4 = struct.pack("!HH", 0, 0x0800)
    body = l4 + payload
    tos = rnd.choice([0, 0x10, 0x28, 0xB8, 0x03, 0x08, 0x88, rnd.randrange(256)])
    if v6:
        src = socket.inet_pton(socket.AF_INET6, rnd.choice(SRC6))
        dst = socket.inet_pton(socket.AF_INET6, rnd.choice(DST6))
        first = (6 << 28) | (tos << 20) | (tag & 0xFFFFF)
        return struct.pack("!IHBB", first, len(body), proto, 64) + src + dst + body, True
    src = socket.inet_aton(rnd.choice(SRC4))
    dst = socket.inet_aton(rnd.choice(DST4))
    frag = 0
    if rnd.random() < 0.2:
        frag = rnd.choice([0x2000, 0x0003, 0x2004])  # first fragment with MF; later fragments
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(body), tag & 0xFFFF, frag, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + body, False


def packet_rule(rnd, v6, chains):
    """A rule likely to hit some of the packets make_packet() sends: one to three conditions."""
    inv = lambda: "! " if rnd.random() < 0.25 else ""
    conds = []
    for _ in range(rnd.randint(1, 3)):
        k = rnd.randrange(11)
        if k == 0:
            conds.append(inv() + "-s " + rnd.choice(["2001:db8::/32", "2001:db8:1::/48", "fd05::/16", "2001:db8::5"] if v6 else
                                                     ["10.0.0.0/8", "192.0.2.0/24", "1.2.3.4", "172.16.0.0/12", "192.0.2.128/255.255.255.128"]))
        elif k == 1:
            conds.append(inv() + "-d " + rnd.choice(["2001:db8::/32", "fd00::/8", "2001:db8::1"] if v6 else
                                                     ["198.51.100.0/24", "203.0.113.5", "1.2.3.4", "0.0.0.0/1"]))
        elif k == 2:
            conds.append(inv() + "-i " + rnd.choice(["r0", "r+", "eth0", "c0"]))
        elif k == 3:
            p = rnd.choice(["tcp", "udp", "sctp"])
            c = "-p " + p
            if rnd.random() < 0.7:
                c += " %s--dport %s" % (inv(), rnd.choice(["22", "80", "1:1000", "5000", ":100", "1000:"]))
            if rnd.random() < 0.3:
                c += " %s--sport %s" % (inv(), rnd.choice(["22", "53", "100:443", "65535"]))
            if rnd.random() < 0.2:
                c += " -m multiport %s--%s 22,80,5000:6000" % (inv(), rnd.choice(["dports", "sports", "ports"]))
            conds.append(c)
        elif k == 4:
            conds.append(("-p icmpv6 %s--icmpv6-type %s" % (inv(), rnd.choice(["echo-request", "1", "2", "129"]))) if v6 else
                         ("-p icmp %s--icmp-type %s" % (inv(), rnd.choice(["echo-request", "3", "any", "11", "0/0"]))))
        elif k == 5:
            conds.append("-m mark %s--mark %s" % (inv(), rnd.choice(["0x1/0x1", "0x2/0x2", "0x0", "0x3"])))
        elif k == 6:
            conds.append(rnd.choice(["-m dscp %s--dscp 0x2e" % inv(), "-m dscp %s--dscp-class AF11" % inv(),
                                     "-m tos %s--tos 0x10/0x3f" % inv(), "-m tos %s--tos 0x08" % inv()]))
        elif k == 7:
            conds.append("-m length %s--length %s" % (inv(), rnd.choice(["40:100", "0:60", "100:", "48", "60:1500"])))
        elif k == 8:
            conds.append("-m string %s%s --algo %s%s" % (inv(), rnd.choice(["--string GET", "--string foo", "--string FOO --icase",
                                                                               "--hex-string '|deadbeef|'", "--string x"]),
                                                         rnd.choice(["bm", "kmp"]),
                                                         rnd.choice(["", "", " --from 28", " --to 48", " --from 40 --to 60"])))
        elif k == 9 and not v6:
            conds.append(inv() + "-f")
        else:
            conds.append("-p " + rnd.choice(["47", "tcp", "udp", "all"]))
    # One -p per rule: keep the first protocol condition.
    seen_p, kept = False, []
    for c in conds:
        if "-p " in c:
            if seen_p:
                continue
            seen_p = True
        kept.append(c)
    # MARK twice as likely as the rest: most packets should leave by a fwmark route or be dropped.
    marks = ["-j MARK --set-mark 0x1", "-j MARK --or-mark 0x2", "-j MARK --xor-mark 0x1", "-j MARK --and-mark 0xfe",
             "-j MARK --set-xmark 0x2/0x3", "-j MARK --set-mark 0x3/0x1", "-j MARK --set-mark 0x2", "-j MARK --or-mark 0x1"]
    target = rnd.choice(marks * 2 + ["-j ACCEPT", "-j RETURN", "-j DROP", "-j DSCP --set-dscp 0x2e", ""] +
                        ["-j " + c for c in chains] + ["-g " + c for c in chains])
    return " ".join(kept + [target]).strip()


def rule_lines(rnd, gen4, gen6, n):
    lines = []
    chains = {"4": [], "6": []}
    for _ in range(n):
        fam = "6" if rnd.random() < 0.35 else "4"
        g = gen6 if fam == "6" else gen4
        k = rnd.random()
        if k < 0.12 and len(chains[fam]) < 3:
            name = "U%d" % len(chains[fam])
            chains[fam].append(name)
            g.chains["mangle"].append(name)
            lines.append("%s -t mangle -N %s" % (g.prog, name))
            continue
        chain = "PREROUTING" if not chains[fam] or rnd.random() < 0.6 else rnd.choice(chains[fam])
        spec = g.rule("mangle", "PREROUTING") if rnd.random() < 0.2 else packet_rule(rnd, fam == "6", chains[fam])
        verb = "-A %s" % chain if rnd.random() < 0.85 else "-I %s 1" % chain
        lines.append("%s -t mangle %s %s" % (g.prog, verb, spec))
    return lines


# ---------------------------------------------------------------------------------------------
# The same router as a wildside config on net_pcap ports (tests/pcap/run_pcap_tests.py's way)

WS_PORTS = ["r0", "r1", "r2", "r3"]  # named as R's veths, so that -i r0 / -i r+ match alike
WS_MAC = ["02:00:00:00:00:1%d" % i for i in range(4)]
WS_NEIGH_MAC = ["02:00:00:00:0%d:02" % i for i in range(4)]  # 10.i.0.2 and fd0i::2
WS_CLIENT_MAC = bytes.fromhex("0200000000c0")
WS_IDLE_MS = 2500
WS_PARALLEL = 10  # wildside runs side by side


def pcap_helpers():
    """tests/pcap/run_pcap_tests.py (pcap I/O, the control socket, poll_settled()), imported as
    tests/pcap/esp_interop.py imports it."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(os.path.dirname(here), "pcap"))
    sys.dont_write_bytecode = True
    import run_pcap_tests
    return run_pcap_tests


def wildside_config(d, rules):
    lines = ["# tests/iptables/ipt_packets.py: the namespace router R on net_pcap ports"]
    for i, p in enumerate(WS_PORTS):
        lines.append("ip link add %s type dpdk devargs net_pcap%d,rx_pcap=%s/%s-in.pcap,tx_pcap=%s/%s-out.pcap" %
                     (p, i, d, p, d, p))
        lines += ["ip link set %s address %s" % (p, WS_MAC[i]), "ip link set %s up" % p,
                  "ip addr add 10.%d.0.1/24 dev %s" % (i, p), "ip -6 addr add fd0%d::1/64 dev %s" % (i, p)]
    for i, p in enumerate(WS_PORTS[1:], 1):
        lines += ["ip neigh add 10.%d.0.2 lladdr %s dev %s" % (i, WS_NEIGH_MAC[i], p),
                  "ip -6 neigh add fd0%d::2 lladdr %s dev %s" % (i, WS_NEIGH_MAC[i], p)]
    return lines + ["ip " + l for l in ROUTING] + list(rules)


def describe(pkt):
    """The packet's fields the rules read, for a disagreement report."""
    if pkt[0] >> 4 == 6:
        head = "IPv6 %s -> %s tc 0x%02x flow 0x%05x" % (socket.inet_ntop(socket.AF_INET6, pkt[8:24]),
                                                       socket.inet_ntop(socket.AF_INET6, pkt[24:40]),
                                                       (struct.unpack("!I", pkt[:4])[0] >> 20) & 0xFF,
                                                       struct.unpack("!I", pkt[:4])[0] & 0xFFFFF)
        proto, l4 = pkt[6], pkt[40:]
    else:
        head = "IPv4 %s -> %s tos 0x%02x id %d frag 0x%04x" % (socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20]),
                                                             pkt[1], struct.unpack("!H", pkt[4:6])[0],
                                                             struct.unpack("!H", pkt[6:8])[0])
        proto, l4 = pkt[9], pkt[20:]
    tail = " proto %d length %d" % (proto, len(pkt))
    if proto in (6, 17, 132) and len(l4) >= 4:
        tail += " sport %d dport %d" % struct.unpack("!HH", l4[:4])
    elif proto in (1, 58) and len(l4) >= 2:
        tail += " type %d code %d" % (l4[0], l4[1])
    return head + tail


def is_fragment(pkt):
    return pkt[0] >> 4 == 4 and struct.unpack("!H", pkt[6:8])[0] & 0x3FFF != 0


def same_packet(sent, ip):
    """ip (an egress frame's IP packet) is `sent` forwarded: same version, addresses, protocol."""
    if sent[0] >> 4 == 6:
        return len(ip) >= 40 and ip[0] >> 4 == 6 and ip[8:40] == sent[8:40] and ip[6] == sent[6]
    return len(ip) >= 20 and ip[0] >> 4 == 4 and ip[12:20] == sent[12:20] and ip[9] == sent[9]


def run_wildside(args, d, rules, batch, pc):
    """One wildside run over one config's packets. Returns (error or None, {tag key: {port}},
    [stray frames], counters)."""
    os.makedirs(d)
    conf = os.path.join(d, "wildside.conf")
    with open(conf, "w") as f:
        f.write("\n".join(wildside_config(d, rules)) + "\n")
    frames = [bytes.fromhex(WS_MAC[0].replace(":", "")) + WS_CLIENT_MAC +
              struct.pack("!H", 0x86DD if pkt[0] >> 4 == 6 else 0x0800) + pkt for _, pkt in batch]
    pc.write_pcap(os.path.join(d, "r0-in.pcap"), frames)
    for p in WS_PORTS[1:]:
        pc.write_pcap(os.path.join(d, p + "-in.pcap"), [])
    r = subprocess.run([args.wildsidectl, "-c", conf, "ip", "rule", "show"], capture_output=True, text=True)
    if r.returncode:
        return "wildsidectl -c refused the config: " + r.stderr.strip(), {}, [], None
    sock = os.path.join(d, "ctl.sock")
    log = open(os.path.join(d, "wildside.log"), "w")
    proc = subprocess.Popen([args.wildside, "-c", conf, "-s", sock, "--exit-when-idle", str(WS_IDLE_MS),
                             "--idle-backoff", "100"], stdout=log, stderr=subprocess.STDOUT)
    err = None
    try:
        counters, cerr = pc.poll_settled(args.wildsidectl, sock, proc, len(frames), time.time() + 30)
        time.sleep(0.2)
        c, _ = pc.ctl_json(args.wildsidectl, sock, "show", "counters")
        counters = c or counters
        if counters is None:
            err = "no counters from wildside (exit status %s): %s" % (proc.poll(), cerr)
        try:
            rc = proc.wait(WS_IDLE_MS / 1000 + 20)
            if rc:
                err = err or "wildside exited with status %d" % rc
        except subprocess.TimeoutExpired:
            err = err or "wildside did not exit by itself"
    finally:
        pc.stop(proc)
        log.close()
    if err:
        with open(os.path.join(d, "wildside.log")) as f:
            err += " | log: " + " | ".join(f.read().strip().splitlines()[-5:])
        return err, {}, [], counters
    sent = {}
    for t, pkt in batch:
        sent[("6", t & 0xFFFFF) if pkt[0] >> 4 == 6 else ("4", t & 0xFFFF)] = pkt
    egress, stray = {}, []
    for p in WS_PORTS:
        for i, fr in enumerate(pc.read_pcap(os.path.join(d, p + "-out.pcap"))):
            k = tag_of(fr)
            if k is None and len(fr) >= 14 and fr[12:14] == b"\x86\xdd":
                continue  # neighbour discovery
            if k is None or k not in sent or not same_packet(sent[k], fr[14:]):
                stray.append("%s frame %d: %s" % (p, i, fr[:64].hex()))
                continue
            egress.setdefault(k, set()).add(p)
    return None, egress, stray, counters


def run_wildside_all(args, tmp, jobs):
    """Every config's wildside run, a few side by side (the default EAL lets instances share the
    CPUs)."""
    import concurrent.futures
    try:
        pc = pcap_helpers()
    except ImportError as e:
        return [("cannot import tests/pcap/run_pcap_tests.py: %s" % e, {}, [], None)] * len(jobs)
    if not os.access(args.wildside, os.X_OK):
        return [("not executable: %s" % args.wildside, {}, [], None)] * len(jobs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(WS_PARALLEL, len(jobs)) or 1) as ex:
        futs = [ex.submit(run_wildside, args, os.path.join(tmp, "ws%d" % n), j["rules"], j["batch"], pc)
                for n, j in enumerate(jobs)]
        return [f.result() for f in futs]


def compare_wildside(job, result, tally):
    """The disagreements of one config: every packet's wildside egress against the kernel's;
    the drop counters against the kernel's drops. Returns the disagreements (text); counts the
    packets compared in `tally` by their egress (r1, r2, r3, or None when dropped) and the
    fragments."""
    err, egress, stray, counters = result
    rules = "\n".join(job["rules"])
    if err:
        return ["DISAGREE: wildside: %s\n--- rules:\n%s" % (err, rules)]
    out, frags, kernel_drops = [], 0, 0
    drops = {k: int(v) for k, v in (counters or {}).get("drops", {}).items() if int(v)}
    for t, pkt in job["batch"]:
        key = ("6", t & 0xFFFFF) if pkt[0] >> 4 == 6 else ("4", t & 0xFFFF)
        kern, ws = job["seen"].get(key, set()), egress.get(key, set())
        if is_fragment(pkt):
            # wildside does not forward IPv4 fragments (the parse stage drops them: ip4-fragment)
            frags += 1
            tally["fragments"] += 1
            if ws:
                out.append("DISAGREE: wildside forwarded the IPv4 fragment %s out of %s (ip4-fragment drops them)\n"
                           "--- rules:\n%s" % (pkt.hex(), sorted(ws), rules))
            continue
        kernel_drops += not kern
        tally[min(kern) if kern else None] += 1
        if ws != kern:
            out.append("DISAGREE: packet %s\n  (%s)\n  kernel sent it out of: %s\n  wildside sent it out of: %s\n"
                       "  wildside's drop counters in this run: %s\n--- rules:\n%s" %
                       (pkt.hex(), describe(pkt), sorted(kern) or "nothing", sorted(ws) or "nothing", drops, rules))
    for s in stray[:5]:
        out.append("DISAGREE: wildside sent a frame that is no packet sent, forwarded: %s\n--- rules:\n%s" % (s, rules))
    # Drops: a packet the kernel dropped (mangle -j DROP) must be absent from every tx pcap (above),
    # and counted as fw-drop; the fragments as ip4-fragment; no other drop counter moves.
    want = {k: v for k, v in (("fw-drop", kernel_drops), ("ip4-fragment", frags)) if v}
    rx = sum(int(w.get("rx_packets", 0)) for w in (counters or {}).get("workers", []))
    if drops != want or rx != len(job["batch"]):
        out.append("DISAGREE: wildside counters: rx %d of %d frames, drops %s; want drops %s\n--- rules:\n%s" %
                   (rx, len(job["batch"]), drops, want, rules))
    return out


def run_packets(args, seed):
    import iptables_oracle as o
    rnd = random.Random(seed * 7919)
    o.IFACES[:] = ["r0", "r+", "c0", "+", "eth0"]
    rig = Rig()
    bad = packets = 0
    tmp = tempfile.mkdtemp(prefix="ipt-packets-")
    counts = {"r1": 0, "r2": 0, "r3": 0, None: 0}
    jobs = []  # per config: the rules, the packets and where the kernel sent each, for wildside
    try:
        configs = max(1, args.packets // 30)
        tag = 1
        for cfg in range(configs):
            gen4, gen6 = o.Gen(rnd, False), o.Gen(rnd, True)
            gen4.no_out = gen6.no_out = True
            rig.reset()
            took = []
            for line in rule_lines(rnd, gen4, gen6, rnd.randint(6, 18)):
                if rig.iptables(line).returncode == 0:
                    took.append(line)
            conf = os.path.join(tmp, "p.conf")
            with open(conf, "w") as f:
                f.write("\n".join(took) + "\n")
            batch = []
            for _ in range(30):
                pkt, _v6 = make_packet(rnd, tag)
                batch.append((tag, pkt))
                tag += 1
            model = subprocess.run([args.ipt_tool, conf], input="".join("r0 %s\n" % p.hex() for _, p in batch),
                                   capture_output=True, text=True)
            for _, pkt in batch:
                rig.send(pkt)
                time.sleep(0.002)
            seen = rig.drain()
            jobs.append({"rules": took, "batch": batch, "seen": seen})
            if model.returncode:
                print("DISAGREE: ipt_tool refused the config the kernel took:\n%s\n%s" % ("\n".join(took), model.stderr))
                bad += 1
                continue
            for (t, pkt), answer in zip(batch, model.stdout.splitlines()):
                verdict, mark = answer.split()
                mark = int(mark, 16)
                want = None if verdict == "drop" else "r2" if mark & 1 else "r3" if mark & 2 else "r1"
                key = ("6", t & 0xFFFFF) if pkt[0] >> 4 == 6 else ("4", t & 0xFFFF)
                got = seen.get(key, set())
                packets += 1
                counts[want] += 1
                if (want is None and got) or (want is not None and got != {want}):
                    bad += 1
                    print("DISAGREE: packet %s\n  model: %s mark 0x%x -> %s\n  kernel sent it out of: %s\n--- rules:\n%s" %
                          (pkt.hex(), verdict, mark, want, sorted(got) or "nothing", "\n".join(took)))
        print("packets: %d sent through the kernel router and the model (egress r1 %d, r2 %d, r3 %d, dropped %d), %d disagreements" %
              (packets, counts["r1"], counts["r2"], counts["r3"], counts[None], bad))
        if args.wildside:
            t0 = time.time()
            ws_bad = 0
            tally = {"r1": 0, "r2": 0, "r3": 0, None: 0, "fragments": 0}
            for job, result in zip(jobs, run_wildside_all(args, tmp, jobs)):
                lines = compare_wildside(job, result, tally)
                for l in lines[:max(0, 5 - ws_bad)]:
                    print(l)
                ws_bad += len(lines)
            print("wildside: %d packets compared with the kernel's egress (kernel: r1 %d, r2 %d, r3 %d, dropped %d) "
                  "in %d wildside runs on pcap ports (%.1fs); %d IPv4 fragments left out (wildside drops every "
                  "fragment: checked as ip4-fragment drops); %d disagreements" %
                  (sum(tally[k] for k in ("r1", "r2", "r3", None)), tally["r1"], tally["r2"], tally["r3"], tally[None],
                   len(jobs), time.time() - t0, tally["fragments"], ws_bad))
            bad += ws_bad
    finally:
        rig.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return bad
