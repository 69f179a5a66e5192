#!/usr/bin/python3
"""The extruded-subnet VPN of the seed essay (section 3), end to end, with two wildside gateways.

    Chumash 10.0.1.10                                                         Pequot 10.0.2.10
       |  Sunset-net 10.0.1.0/24 (a bridge in the router)      Sunrise-net 10.0.2.0/24 |
    router 10.0.1.254 ===== eth0 [West] eth1 ---+            +--- eth1 [East] eth0 ------+
       |                  10.0.1.1   192.0.2.1  |            |  198.51.100.2  10.0.2.1
    firewall (NAT) ------------------------- cloud -------------------------- foo.net 100.64.0.10
    10.255.0.2 | 203.0.113.2      203.0.113.1 / 192.0.2.254 / 198.51.100.254 / 100.64.0.1
    (3.6)        [West] eth2 ==== line A 10.8.1.0/30 ==== telco ==== eth2 [East]
                 [West] eth3 ==== line B 10.8.2.0/30 ==== telco ==== eth3 [East]

Namespaces are hosts, veth pairs are wires. West and East are `build/wildside` processes in their
own namespaces with configs/extruded-subnet/{west,east}.conf: two net_af_packet ports on the
namespace's veths eth0 and eth1, and a host interface (TAP) for the gateway's own kernel. The
router, the firewall (which masquerades the corporate network towards the cloud), the cloud (the
internet) and the hosts are Linux namespaces. Every frame on the two wild-side wires (the
cloud's ends of West's and East's eth1) is captured into pcapng files, which is how the report
tells encrypted from clear.

Scenarios (the seed's sections), each with what it expects, what the packets did, PASS or FAIL:
  3.1  Pequot -> foo.net: ping and a TCP transfer, encrypted East -> West, decrypted, out through
       the firewall (foo.net sees the firewall's address); replies the same way back.
  3.2  West's own traffic: to East's private address through the tunnel with West's private
       source (`iif lo` rule, route `src`); to East's wild-side address in the clear. Then the
       booby trap: the `iif lo` rule deleted on the running West, its pings leave with eth1's
       address, East's replies come back in the clear and West's SPD drops every one
       (xfrm-in-tmpl-mismatch); the rule put back, the pings work again.
  3.5  Chumash -> Pequot: telnet (TCP 23) through the tunnel, ssh (TCP 22) around it, chosen by
       the firewall mark both gateways set (mangle PREROUTING) and their SPD's bypass policies.
  SPD  Plaintext from a Sunrise-net address injected at West's wild side: dropped and counted.
  3.3  East renumbered (198.51.100.2 -> .3) under a TCP session Pequot -> Chumash, both
       gateways told by `ip xfrm` commands over their control sockets (a new SA pair, the
       policies' templates updated, the old SAs deleted: Linux's `ip xfrm state update` cannot
       change an SA's addresses). And:
  3.3  East's wild-side address, as West sees it, changes twice under a TCP session Pequot ->
       Chumash (a NAT in the cloud rewrites East's ESP source): West follows it from East's
       authenticated packets (`extra-flag roam` on East's SA), the session survives, and
       forged packets from a third address teach it nothing.
  3.6  Load sharing and failover (configs/extruded-subnet/{west,east}-multipath.conf: West and
       East restarted with two leased lines between them, through a telco namespace that can
       cut one): 32 UDP flows Chumash -> Pequot shared 3:1 by a weighted multipath route over
       two tunnels, first two ESP tunnels on xfrm interfaces, then (one `ip route replace` per
       gateway) two keyed GRE links protected by transport-mode ESP. Line A is cut under the
       stream (both its ends lose carrier): the gateways see it (carrier polled ten times a
       second), the routes over it stop counting (ignore_routes_with_linkdown), both tunnels
       ride line B; line A comes back and carries again. Reported: the split, the ESP per
       line, the packets lost and the longest outage.

    /usr/bin/python3 tests/lab/extruded_lab.py [--build build] [--out DIR] [--load MIB] [--only 3.6]

--load MIB adds a bounded TCP stream Pequot -> foo.net and reports its throughput and each
gateway's CPU use (perf/RESULTS.md, "The extruded subnet under load").
Root, from the repository root. Exit status 0 when every scenario passed. --out DIR keeps the
pcapng captures, configs, counters and logs there (default: a temporary directory, removed).
Everything created (namespaces, processes, by PID) is removed on exit.
"""

import argparse
import json
import os
import shutil
import signal
import string
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
TOOL = os.path.join(HERE, "labtool.py")
CONFIGS = os.path.join(REPO, "configs", "extruded-subnet")
sys.path.insert(0, HERE)
import labtool  # noqa: E402  (read_pcapng)

HOSTS = ["chumash", "router", "firewall", "cloud", "foonet", "west", "east", "pequot", "telco"]
WEST_WILD, EAST_WILD = "192.0.2.1", "198.51.100.2"
MP_FLOWS = 32          # section 3.6: UDP flows Chumash -> Pequot 10.0.2.100-131
WEST_PRIV, EAST_PRIV = "10.0.1.1", "10.0.2.1"
CHUMASH, PEQUOT, FOONET, FIREWALL_OUT = "10.0.1.10", "10.0.2.10", "100.64.0.10", "203.0.113.2"


def ip2b(a):
    return bytes(int(x) for x in a.split("."))


class Lab:
    def __init__(self, build, out):
        self.build = os.path.abspath(build)
        self.out = out
        self.tag = "xs%d" % (os.getpid() % 100000)
        self.ns = {h: f"{self.tag}-{h}" for h in HOSTS}
        self.made = []
        self.procs = []
        self.gw = {}           # name -> (Popen, socket path)
        self.results = []      # (title, expected, observed, status)
        self.have_ethtool = shutil.which("ethtool") is not None
        self.have_ping = shutil.which("ping") is not None

    # -- plumbing --------------------------------------------------------------------------------
    def sh(self, *cmd, ns=None, check=True, timeout=60, quiet=False):
        full = (["ip", "netns", "exec", self.ns[ns]] if ns else []) + [str(c) for c in cmd]
        r = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(full)}: exit {r.returncode}: {r.stderr.strip()[:300]}")
        return r

    def bg(self, ns, *cmd, log=None):
        f = open(log, "w") if log else subprocess.DEVNULL
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[ns]] + [str(c) for c in cmd], stdout=f,
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    @staticmethod
    def stop(p, sig=signal.SIGTERM, wait=5):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(wait)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def wait_file(self, path, seconds):
        end = time.time() + seconds
        while time.time() < end:
            if os.path.exists(path):
                return True
            time.sleep(0.05)
        return False

    def cleanup(self):
        for name, (p, _) in self.gw.items():
            self.stop(p)
        for p in self.procs:
            self.stop(p, wait=3)
        for n in reversed(self.made):
            subprocess.run(["ip", "netns", "del", n], capture_output=True)

    # -- topology ----------------------------------------------------------------------------------
    def wire(self, a, ifa, b, ifb):
        self.sh("ip", "link", "add", ifa, "netns", self.ns[a], "type", "veth", "peer", "name", ifb, "netns", self.ns[b])
        for h, i in ((a, ifa), (b, ifb)):
            self.sh("sysctl", "-qw", f"net.ipv6.conf.{i}.disable_ipv6=1", ns=h)
            if self.have_ethtool:  # TCP through AF_PACKET must carry real checksums
                self.sh("ethtool", "-K", i, "tx", "off", "rx", "off", "gro", "off", ns=h, check=False)
            self.sh("ip", "link", "set", i, "up", ns=h)

    def addr(self, h, ifname, cidr):
        self.sh("ip", "addr", "add", cidr, "dev", ifname, ns=h)

    def route(self, h, *args):
        self.sh("ip", "route", "add", *args, ns=h)

    def setup(self):
        for h in HOSTS:
            self.sh("ip", "netns", "add", self.ns[h])
            self.made.append(self.ns[h])
            self.sh("ip", "link", "set", "lo", "up", ns=h)
        # Sunset-net: a bridge in the router joins Chumash and West's eth0.
        self.sh("ip", "link", "add", "br0", "type", "bridge", ns="router")
        self.sh("sysctl", "-qw", "net.ipv6.conf.br0.disable_ipv6=1", ns="router")
        self.wire("chumash", "c0", "router", "rc")
        self.wire("west", "eth0", "router", "rw")
        for i in ("rc", "rw"):
            self.sh("ip", "link", "set", i, "master", "br0", ns="router")
        self.sh("ip", "link", "set", "br0", "up", ns="router")
        self.wire("router", "rf", "firewall", "fr")
        self.wire("firewall", "fc", "cloud", "cf")
        self.wire("west", "eth1", "cloud", "cw")
        self.wire("east", "eth1", "cloud", "ce")
        self.wire("cloud", "cn", "foonet", "n0")
        self.wire("east", "eth0", "pequot", "p0")
        self.addr("chumash", "c0", CHUMASH + "/24")
        self.route("chumash", "default", "via", "10.0.1.254")
        self.addr("router", "br0", "10.0.1.254/24")
        self.addr("router", "rf", "10.255.0.1/30")
        self.route("router", "10.0.2.0/24", "via", WEST_PRIV)
        self.route("router", "default", "via", "10.255.0.2")
        self.addr("firewall", "fr", "10.255.0.2/30")
        self.addr("firewall", "fc", FIREWALL_OUT + "/24")
        self.route("firewall", "10.0.0.0/16", "via", "10.255.0.1")
        self.route("firewall", "default", "via", "203.0.113.1")
        # The corporate firewall hides the corporate network from the internet.
        self.sh("iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "fc", "-s", "10.0.0.0/16", "-j", "MASQUERADE",
                ns="firewall")
        for i, c in (("cf", "203.0.113.1/24"), ("cw", "192.0.2.254/24"), ("ce", "198.51.100.254/24"),
                     ("cn", "100.64.0.1/24")):
            self.addr("cloud", i, c)
        # The cloud also carries the two private networks, so that what goes around the tunnel
        # (section 3.5) can get across; it never needs them for what goes through it.
        self.route("cloud", "10.0.1.0/24", "via", WEST_WILD)
        self.route("cloud", "10.0.2.0/24", "via", EAST_WILD)
        self.addr("foonet", "n0", FOONET + "/24")
        self.route("foonet", "default", "via", "100.64.0.1")
        self.addr("pequot", "p0", PEQUOT + "/24")
        self.route("pequot", "default", "via", EAST_PRIV)
        for h in ("router", "firewall", "cloud"):
            self.sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=h)
        # A gateway's own kernel talks through its host interface only. The veths wildside's
        # ports read also hand every frame to that kernel's IP stack, which owns the gateway's
        # addresses (on the host interface) and would answer for them behind wildside's back:
        # its IP input on eth0/eth1 is closed (AF_PACKET sees the frames before netfilter).
        for gw in ("west", "east"):
            for i in ("eth0", "eth1", "eth2", "eth3"):
                self.sh("iptables", "-t", "raw", "-A", "PREROUTING", "-i", i, "-j", "DROP", ns=gw)

    def setup_lines(self):
        """Section 3.6: two leased lines West eth2/eth3 <-> East eth2/eth3 through a telco that
        can cut one: each line is two veths joined in the telco by tc (every frame in at one end
        redirected out of the other), so taking the line's two telco ends down leaves each
        gateway's end without carrier, as a cable pulled out, and putting them up gives a line
        that carries at once (a bridge would wait for its ports' link events). Pequot gets 32
        more addresses: flows that the multipath hash spreads over the tunnels."""
        for wi, ei, gw_if in (("aw", "ae", "eth2"), ("bw", "be", "eth3")):
            self.wire("west", gw_if, "telco", wi)
            self.wire("east", gw_if, "telco", ei)
            for a, b in ((wi, ei), (ei, wi)):
                self.sh("tc", "qdisc", "add", "dev", a, "ingress", ns="telco")
                self.sh("tc", "filter", "add", "dev", a, "parent", "ffff:", "protocol", "all", "u32", "match", "u32",
                        "0", "0", "action", "mirred", "egress", "redirect", "dev", b, ns="telco")
        for i in range(MP_FLOWS):
            self.addr("pequot", "p0", f"10.0.2.{100 + i}/24")

    def start_gateways(self, variant=""):
        for name in ("west", "east"):
            conf = os.path.join(self.out, f"{name}{variant}.conf")
            shutil.copy(os.path.join(CONFIGS, f"{name}{variant}.conf"), conf)
            sock = os.path.join(self.out, f"{name}.sock")
            p = self.bg(name, os.path.join(self.build, "wildside"), "-c", conf, "-s", sock, "--rt-tables",
                        os.path.join(CONFIGS, "rt_tables"), "--idle-backoff", "100",
                        log=os.path.join(self.out, f"{name}{variant}.log"))
            self.procs.remove(p)
            self.gw[name] = (p, sock)
        for name, (p, sock) in self.gw.items():
            end = time.time() + 30
            while time.time() < end:
                if p.poll() is not None:
                    raise RuntimeError(f"{name}: wildside exited with status {p.returncode}: " + self.log_tail(name))
                if os.path.exists(sock) and self.ctl(name, "ip", "rule", "show", check=False).returncode == 0:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"{name}: the control socket did not answer within 30 s")
        time.sleep(1.0)  # the host interfaces come up in the gateways' kernels

    def stop_gateways(self):
        for name, (p, _) in self.gw.items():
            self.stop(p)
        self.gw = {}

    def log_tail(self, name, n=5):
        try:
            with open(os.path.join(self.out, f"{name}.log")) as f:
                return " | ".join(f.read().strip().splitlines()[-n:])
        except OSError:
            return ""

    def ctl(self, gw, *args, check=True):
        r = subprocess.run([os.path.join(self.build, "wildsidectl"), "-s", self.gw[gw][1]] + list(args),
                           capture_output=True, text=True, timeout=10)
        if check and r.returncode != 0:
            raise RuntimeError(f"wildsidectl {gw} {' '.join(args)}: {r.stderr.strip()}")
        return r

    def counters(self, gw):
        return json.loads(self.ctl(gw, "-j", "show", "counters").stdout)

    def drops(self, gw, reason):
        return int(self.counters(gw).get("drops", {}).get(reason, 0))

    def sa_packets(self, gw):
        return {s["spi"]: int(s["packets"]) for s in self.counters(gw).get("sas", [])}

    # -- traffic -----------------------------------------------------------------------------------
    def ping(self, ns, dst, count=5):
        if self.have_ping:
            r = self.sh("ping", "-n", "-c", count, "-i", "0.2", "-W", "2", dst, ns=ns, check=False, timeout=30)
        else:
            r = self.sh(PY, TOOL, "ping", dst, "-c", count, "-i", "0.2", "-W", "2", ns=ns, check=False, timeout=30)
        for line in r.stdout.splitlines():
            if " received" in line:
                return int(line.split(" received")[0].split()[-1])
        return 0

    def tcp(self, client, server, dst, port, nbytes):
        """A TCP transfer; (ok, what happened)."""
        ready = os.path.join(self.out, f"tcp-{server}-{port}.ready")
        res = os.path.join(self.out, f"tcp-{server}-{port}.json")
        for f in (ready, res):
            if os.path.exists(f):
                os.unlink(f)
        srv = self.bg(server, PY, TOOL, "tcp-server", port, res, "--ready", ready, "--timeout", "20")
        if not self.wait_file(ready, 10):
            return False, "the server did not start"
        r = self.sh(PY, TOOL, "tcp-client", dst, port, nbytes, "--timeout", "20", ns=client, check=False, timeout=40)
        try:
            srv.wait(20)
        except subprocess.TimeoutExpired:
            self.stop(srv)
        if r.returncode != 0:
            return False, f"client failed: {r.stderr.strip()[-200:]}"
        try:
            sent = json.loads(r.stdout)
            with open(res) as f:
                got = json.load(f)
        except (ValueError, OSError) as e:
            return False, f"no result: {e}"
        ok = got["bytes"] == sent["bytes"] and got["sha256"] == sent["sha256"]
        return ok, f"{got['bytes']} bytes in {sent['seconds']} s, sha256 {'equal' if ok else 'DIFFERS'}, server saw {got['peer']}"

    # -- captures ------------------------------------------------------------------------------------
    def start_captures(self):
        self.caps = {}
        for ns, i in (("cloud", "cw"), ("cloud", "ce"), ("cloud", "cn"), ("telco", "aw"), ("telco", "bw")):
            path = os.path.join(self.out, f"wild-{i}.pcapng")
            ready = path + ".ready"
            p = self.bg(ns, PY, TOOL, "capture", i, path, "--ready", ready)
            self.wait_file(ready, 10)
            self.caps[i] = (p, path)

    def stop_captures(self):
        for p, _ in self.caps.values():
            self.stop(p)

    def frames(self, link, t0, t1):
        """The IPv4 packets the cloud's end of `link` saw between t0 and t1 (ns), one per wire
        crossing (the capture sees each frame once)."""
        out = []
        for ts, fr, _ in labtool.read_pcapng(self.caps[link][1]):
            if t0 <= ts <= t1 and len(fr) >= 34 and fr[12:14] == b"\x08\x00":
                out.append(fr[14:])
        return out

    @staticmethod
    def kind(ip):
        """'esp' for ESP (or ESP in UDP 4500), else (proto, src, dst, sport, dport)."""
        proto = ip[9]
        hl = (ip[0] & 0x0F) * 4
        if proto == 50 or (proto == 17 and len(ip) >= hl + 4 and struct.unpack_from("!H", ip, hl + 2)[0] == 4500):
            return "esp"
        sp = dp = 0
        if proto in (6, 17) and len(ip) >= hl + 4:
            sp, dp = struct.unpack_from("!HH", ip, hl)
        return (proto, ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20])), sp, dp)

    def census(self, link, t0, t1):
        """(ESP packets, [clear packets as kind tuples]) on a wild-side wire."""
        esp, clear = 0, []
        for ip in self.frames(link, t0, t1):
            k = self.kind(ip)
            if k == "esp":
                esp += 1
            else:
                clear.append(k)
        return esp, clear

    # -- report --------------------------------------------------------------------------------------
    def record(self, title, expected, observed, ok):
        status = "PASS" if ok else "FAIL"
        self.results.append((title, expected, observed, status))
        print(f"\n[{status}] {title}\n  expected: {expected}\n  observed: {observed}")
        sys.stdout.flush()


def private(k, nets=("10.0.1.", "10.0.2.")):
    return k != "esp" and (k[1].startswith(nets) or k[2].startswith(nets))


def scenario_31(lab):
    t0 = time.time_ns()
    sa0 = lab.sa_packets("west")
    n = lab.ping("pequot", FOONET, 5)
    ok_tcp, what = lab.tcp("pequot", "foonet", FOONET, 8080, 1 << 20)
    t1 = time.time_ns()
    sa1 = lab.sa_packets("west")
    esp_e, clear_e = lab.census("ce", t0, t1)
    esp_w, clear_w = lab.census("cw", t0, t1)
    leaked = [k for k in clear_e + clear_w if private(k)]
    _, at_foo = lab.census("cn", t0, t1)
    seen_src = sorted({k[1] for k in at_foo if k[2] == FOONET})
    decrypted = sa1.get("0x00002001", 0) - sa0.get("0x00002001", 0)
    ok = n == 5 and ok_tcp and esp_e > 0 and esp_w > 0 and not leaked and seen_src == [FIREWALL_OUT] and decrypted > 0
    lab.record("3.1 Pequot -> foo.net through the tunnel and the corporate firewall",
               "5/5 ping replies and a 1 MiB TCP transfer intact; only ESP between East and West on the wild "
               "side; foo.net sees the firewall's address " + FIREWALL_OUT,
               f"ping {n}/5; TCP {what}; wild side: {esp_e} ESP packets at East's link, {esp_w} at West's, "
               f"{len(leaked)} clear packets with a private address; West decrypted {decrypted} packets "
               f"(SA 0x2001); foo.net saw sources {seen_src}", ok)


def scenario_32(lab):
    # (a) West -> East's private address: through the tunnel, from West's private address.
    t0 = time.time_ns()
    sa0 = lab.sa_packets("west")
    n_priv = lab.ping("west", EAST_PRIV, 5)
    t1 = time.time_ns()
    sa1 = lab.sa_packets("west")
    esp, clear = lab.census("cw", t0, t1)
    icmp_clear = [k for k in clear if k[0] == 1]
    enc = sa1.get("0x00001001", 0) - sa0.get("0x00001001", 0)
    route = lab.ctl("west", "ip", "route", "get", EAST_PRIV).stdout.strip().splitlines()[0]
    ok = n_priv == 5 and esp >= 10 and not icmp_clear and enc >= 5 and f"src {WEST_PRIV}" in route
    lab.record("3.2 West -> East's private address " + EAST_PRIV + " (the iproute2 alias)",
               f"5/5 replies, encrypted both ways; `ip route get` from West: table from.this.host, src {WEST_PRIV}",
               f"ping {n_priv}/5; {esp} ESP and {len(icmp_clear)} clear ICMP packets on West's wild link; West "
               f"encrypted {enc}; route: {route}", ok)
    # (b) West -> East's wild-side address: in the clear.
    t0 = time.time_ns()
    n_wild = lab.ping("west", EAST_WILD, 5)
    t1 = time.time_ns()
    esp, clear = lab.census("cw", t0, t1)
    icmp_clear = [k for k in clear if k[0] == 1 and {k[1], k[2]} == {WEST_WILD, EAST_WILD}]
    ok = n_wild == 5 and len(icmp_clear) >= 10 and esp == 0
    lab.record("3.2 West -> East's wild-side address " + EAST_WILD,
               "5/5 replies, in the clear both ways (no ESP)",
               f"ping {n_wild}/5; {len(icmp_clear)} clear ICMP packets between {WEST_WILD} and {EAST_WILD}, "
               f"{esp} ESP packets", ok)
    # (c) The booby trap: without the `iif lo` rule West's source is eth1's address.
    lab.ctl("west", "ip", "rule", "del", "iif", "lo", "table", "from.this.host", "priority", "500")
    route = lab.ctl("west", "ip", "route", "get", EAST_PRIV).stdout.strip().splitlines()[0]
    d0 = lab.drops("west", "xfrm-in-tmpl-mismatch")
    t0 = time.time_ns()
    n_trap = lab.ping("west", EAST_PRIV, 5)
    t1 = time.time_ns()
    d1 = lab.drops("west", "xfrm-in-tmpl-mismatch")
    esp, clear = lab.census("cw", t0, t1)
    replies = [k for k in clear if k[0] == 1 and k[1] == EAST_PRIV and k[2] == WEST_WILD]
    lab.ctl("west", "ip", "rule", "add", "iif", "lo", "table", "from.this.host", "priority", "500")
    n_back = lab.ping("west", EAST_PRIV, 3)
    ok = (n_trap == 0 and f"src {WEST_WILD}" in route and len(replies) >= 5 and d1 - d0 >= 5 and esp >= 5
          and n_back == 3)
    lab.record("3.2 the booby trap: West's `iif lo` rule deleted while running",
               f"source {WEST_WILD}; requests encrypted, East's replies to {WEST_WILD} in the clear, every one dropped "
               f"by West's SPD (xfrm-in-tmpl-mismatch); with the rule back, 3/3",
               f"route: {route}; ping {n_trap}/5; {esp} ESP packets out, {len(replies)} clear replies "
               f"{EAST_PRIV} -> {WEST_WILD}; West dropped {d1 - d0} (xfrm-in-tmpl-mismatch); rule restored: "
               f"ping {n_back}/3", ok)


def scenario_35(lab):
    res = {}
    for port, label in ((23, "telnet"), (22, "ssh")):
        t0 = time.time_ns()
        ok_tcp, what = lab.tcp("chumash", "pequot", PEQUOT, port, 256 << 10)
        t1 = time.time_ns()
        esp, clear = lab.census("cw", t0, t1)
        tcp_clear = [k for k in clear if k[0] == 6 and port in (k[3], k[4])]
        res[label] = (ok_tcp, what, esp, len(tcp_clear))
    marks = lab.ctl("west", "iptables", "-t", "mangle", "-L", "PREROUTING", "-n", "-v", "-x").stdout
    marked = [int(line.split()[0]) for line in marks.splitlines()[2:] if "MARK" in line]
    t_ok, t_what, t_esp, t_clear = res["telnet"]
    s_ok, s_what, s_esp, s_clear = res["ssh"]
    ok = t_ok and s_ok and t_esp > 0 and t_clear == 0 and s_clear > 0 and s_esp == 0 and sum(marked) >= s_clear
    lab.record("3.5 telnet through the tunnel, ssh around it, by firewall mark",
               "both transfers intact; telnet (TCP 23) only as ESP on the wild side, ssh (TCP 22) in the clear; "
               "West's mangle rules count the marked ssh packets",
               f"telnet: {t_what}, {t_esp} ESP / {t_clear} clear TCP 23 on West's wild link; ssh: {s_what}, "
               f"{s_esp} ESP / {s_clear} clear TCP 22; West's MARK rules counted {marked}", ok)


class Stream:
    """A paced TCP stream Pequot -> Chumash (through the tunnel) that runs while a scenario
    changes things under it: start(), then finish() -> (intact, what happened)."""

    def __init__(self, lab, port, nbytes, rate):
        self.lab, self.port = lab, port
        ready = os.path.join(lab.out, f"tcp-chumash-{port}.ready")
        self.res = os.path.join(lab.out, f"tcp-chumash-{port}.json")
        self.log = os.path.join(lab.out, f"tcp-stream-{port}-client.json")
        self.srv = lab.bg("chumash", PY, TOOL, "tcp-server", port, self.res, "--ready", ready, "--timeout", "30")
        lab.wait_file(ready, 10)
        self.cli = lab.bg("pequot", PY, TOOL, "tcp-client", CHUMASH, port, nbytes, "--rate", rate, "--timeout", "30",
                          log=self.log)

    def finish(self):
        try:
            self.cli.wait(30)
            self.srv.wait(10)
        except subprocess.TimeoutExpired:
            self.lab.stop(self.cli)
            self.lab.stop(self.srv)
        try:
            with open(self.log) as f:
                sent = json.loads(f.read().strip().splitlines()[-1])
            with open(self.res) as f:
                got = json.load(f)
            intact = got["bytes"] == sent["bytes"] and got["sha256"] == sent["sha256"]
            return intact, f"{got['bytes']} bytes in {sent['seconds']} s, sha256 {'equal' if intact else 'DIFFERS'}"
        except (OSError, ValueError, KeyError, IndexError) as e:
            return False, f"no result ({type(e).__name__})"


def nat_east(lab, public):
    """The cloud rewrites East's ESP source to `public` (and `public` back to East), stateless
    (nftables payload rewrites, no conntrack): a NAT in front of East. None removes it."""
    lab.sh("nft", "delete", "table", "ip", "roam", ns="cloud", check=False)
    if public is None:
        return
    for cmd in (["add", "table", "ip", "roam"],
                ["add", "chain", "ip", "roam", "pre", "{ type filter hook prerouting priority -300; }"],
                ["add", "chain", "ip", "roam", "post", "{ type filter hook postrouting priority 100; }"],
                ["add", "rule", "ip", "roam", "post", "oifname", "cw", "ip", "saddr", EAST_WILD, "ip", "protocol", "esp",
                 "ip", "saddr", "set", public],
                ["add", "rule", "ip", "roam", "pre", "iifname", "cw", "ip", "daddr", public, "ip", "protocol", "esp",
                 "ip", "daddr", "set", EAST_WILD]):
        lab.sh("nft", *cmd, ns="cloud")


def inject_at_west(lab, src, proto, payload, count, dst=None):
    """`count` IPv4 packets (src -> dst, protocol `proto`) written onto West's wild-side wire by
    the cloud, addressed to West's eth1 MAC."""
    west_mac = "02:00:00:00:01:02"
    cloud_mac = lab.sh("cat", "/sys/class/net/cw/address", ns="cloud").stdout.strip()
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, 0, 64, proto, 0, ip2b(src), ip2b(dst or WEST_WILD))
    hdr = hdr[:10] + struct.pack("!H", labtool.inet_checksum(hdr)) + hdr[12:]
    frame = bytes.fromhex(west_mac.replace(":", "") + cloud_mac.replace(":", "")) + b"\x08\x00" + hdr + payload
    lab.sh(PY, TOOL, "inject", "cw", frame.hex(), "-c", count, ns="cloud")


def scenario_33(lab):
    """East's wild-side address, as West sees it, changes twice under a TCP session."""
    t0 = time.time_ns()
    stream = Stream(lab, 2323, 3 << 19, 1 << 18)  # 1.5 MiB over ~6 s
    time.sleep(1.5)
    nat_east(lab, "198.51.100.50")
    time.sleep(2.0)
    nat_east(lab, "198.51.100.51")
    # A forgery from a third address with East's SPI: it must teach West nothing.
    icv0 = lab.drops("west", "esp-icv-failed")
    inject_at_west(lab, "198.51.100.66", 50, struct.pack("!II", 0x2001, 0x7FFFFFFF) + bytes(64), 3)
    intact, what = stream.finish()
    t1 = time.time_ns()
    icv1 = lab.drops("west", "esp-icv-failed")
    nat_east(lab, None)
    lab.ping("pequot", CHUMASH, 2)  # East's packets from its own address again: West follows back
    to = {}
    for ip in lab.frames("cw", t0, t1):
        if lab.kind(ip) == "esp" and ip[12:16] == ip2b(WEST_WILD):
            d = ".".join(map(str, ip[16:20]))
            to[d] = to.get(d, 0) + 1
    seq = [a for a in ("198.51.100.2", "198.51.100.50", "198.51.100.51") if to.get(a)]
    ok = intact and seq == ["198.51.100.2", "198.51.100.50", "198.51.100.51"] and "198.51.100.66" not in to and \
        icv1 - icv0 == 3
    lab.record("3.3 East's wild-side address changes twice under a TCP session (roaming)",
               "the stream Pequot -> Chumash intact; West's ESP goes to 198.51.100.2, then .50, then .51 as East's "
               "authenticated packets arrive from there (extra-flag roam); 3 forged packets from .66 fail their ICV and "
               "teach nothing",
               f"{what}; West's ESP by destination: {to}; esp-icv-failed +{icv1 - icv0}", ok)


KEY_IN, KEY_OUT = "0x3132333435363738393a3b3c3d3e3f4041424344", "0x5152535455565758595a5b5c5d5e5f6061626364"


def renumber_east(lab, new):
    """Section 3.3 by the administrators: East's wild-side address becomes `new`; both gateways
    are told with `ip xfrm` commands over their control sockets. Linux's `ip xfrm state update`
    cannot change an SA's addresses, so they install a new SA pair (new SPIs and keys), point the
    policies' templates at the new address (`ip xfrm policy update`) and delete the old SAs."""
    def sa(src, dst, spi, key, extra=""):
        return (f"ip xfrm state add src {src} dst {dst} proto esp spi {spi} reqid 1 mode tunnel aead "
                f"rfc4106(gcm(aes)) {key} 128 replay-window 64{extra}")
    west_out, east_out = sa(WEST_WILD, new, "0x1003", KEY_IN), sa(new, WEST_WILD, "0x2003", KEY_OUT)
    tmpl_we = f"tmpl src {WEST_WILD} dst {new} proto esp reqid 1 mode tunnel"
    tmpl_ew = f"tmpl src {new} dst {WEST_WILD} proto esp reqid 1 mode tunnel"
    # East first: the new SAs and policies, then the address (deleting the primary address takes
    # its secondaries and the routes through it, as in Linux: the default route comes back).
    east = [west_out, east_out,
            f"ip xfrm policy update src 10.0.2.0/24 dst 0.0.0.0/0 dir out priority 1000 {tmpl_ew}",
            f"ip xfrm policy update src 0.0.0.0/0 dst 10.0.2.0/24 dir fwd priority 1000 {tmpl_we}",
            f"ip xfrm policy update src 0.0.0.0/0 dst 10.0.2.0/24 dir in priority 1000 {tmpl_we}",
            f"ip xfrm state delete src {WEST_WILD} dst {EAST_WILD} proto esp spi 0x00001001",
            f"ip xfrm state delete src {EAST_WILD} dst {WEST_WILD} proto esp spi 0x00002001",
            f"ip addr del {EAST_WILD}/24 dev eth1",
            f"ip addr add {new}/24 dev eth1",
            "ip route replace default via 198.51.100.254 dev eth1"]
    west = [west_out, east_out + " extra-flag roam",
            f"ip xfrm policy update src 0.0.0.0/0 dst 10.0.2.0/24 dir out priority 1000 {tmpl_we}",
            f"ip xfrm policy update src 10.0.2.0/24 dst 0.0.0.0/0 dir fwd priority 1000 {tmpl_ew}",
            f"ip xfrm policy update src 10.0.2.0/24 dst 0.0.0.0/0 dir in priority 1000 {tmpl_ew}",
            f"ip route replace 198.51.100.0/24 via 192.0.2.254 dev eth1",
            f"ip xfrm state delete src {WEST_WILD} dst {EAST_WILD} proto esp spi 0x00001001",
            f"ip xfrm state delete src {EAST_WILD} dst {WEST_WILD} proto esp spi 0x00002001"]
    for gw, lines in (("east", east), ("west", west)):
        batch = os.path.join(lab.out, f"renumber-{gw}.batch")
        with open(batch, "w") as f:
            f.write("\n".join(lines) + "\n")
        lab.ctl(gw, "-batch", batch)
    # The cloud's route to Sunrise-net (for what goes around the tunnel) follows too.
    lab.sh("ip", "route", "replace", "10.0.2.0/24", "via", new, ns="cloud")


def scenario_33_admin(lab):
    """East renumbered by the administrators on both sides, under a TCP session."""
    new = "198.51.100.3"
    t0 = time.time_ns()
    stream = Stream(lab, 2324, 1 << 20, 1 << 18)  # 1 MiB over ~4 s
    time.sleep(1.5)
    err = ""
    try:
        renumber_east(lab, new)
    except RuntimeError as e:
        err = str(e)
    intact, what = stream.finish()
    t1 = time.time_ns()
    pairs = {}
    for ip in lab.frames("cw", t0, t1):
        if lab.kind(ip) == "esp":
            k = ".".join(map(str, ip[12:16])) + ">" + ".".join(map(str, ip[16:20]))
            pairs[k] = pairs.get(k, 0) + 1
    sas = sorted(s["spi"] for s in lab.counters("west").get("sas", []))
    ok = intact and not err and pairs.get(f"{WEST_WILD}>{new}", 0) > 0 and pairs.get(f"{new}>{WEST_WILD}", 0) > 0 \
        and sas == ["0x00001003", "0x00002003"]
    lab.record("3.3 East renumbered by the administrators (ip xfrm on both sides) under a TCP session",
               f"the stream Pequot -> Chumash intact; ESP moves from {EAST_WILD} to {new} both ways; West keeps only "
               "the new SA pair",
               f"{what}; ESP on West's wild link by direction: {pairs}; West's SAs now {sas}"
               + (f"; error: {err}" if err else ""), ok)


def scenario_spd(lab):
    """Plaintext with a Sunrise-net source injected at West's wild side (from the cloud)."""
    payload = b"spoofed plaintext"
    udp = struct.pack("!HHHH", 4000, 53, 8 + len(payload), 0) + payload
    d0 = lab.drops("west", "xfrm-in-tmpl-mismatch")
    inject_at_west(lab, PEQUOT, 17, udp, 10, dst=CHUMASH)
    time.sleep(0.5)
    d1 = lab.drops("west", "xfrm-in-tmpl-mismatch")
    ok = d1 - d0 == 10
    lab.record("SPD: plaintext from Sunrise-net injected at West's wild side",
               "10 UDP packets 10.0.2.10 -> 10.0.1.10 in the clear: all dropped by West's dir fwd policy, counted "
               "as xfrm-in-tmpl-mismatch",
               f"West's xfrm-in-tmpl-mismatch grew by {d1 - d0}", ok)


def cpu_seconds(pid):
    """User + system CPU time of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_run(lab, mib):
    """A bounded TCP stream Pequot -> foo.net (encrypted by East, decrypted by West, through the
    firewall): throughput, and each gateway's CPU time and busy cycles per packet."""
    before = {g: (cpu_seconds(lab.gw[g][0].pid), lab.counters(g)) for g in ("west", "east")}
    t0 = time.time()
    ok, what = lab.tcp("pequot", "foonet", FOONET, 8081, mib << 20)
    dt = time.time() - t0
    rows = []
    for g in ("west", "east"):
        cpu0, c0 = before[g]
        c1 = lab.counters(g)
        busy = sum(int(w["busy_cycles"]) for w in c1["workers"]) - sum(int(w["busy_cycles"]) for w in c0["workers"])
        rx = sum(int(w["rx_packets"]) for w in c1["workers"]) - sum(int(w["rx_packets"]) for w in c0["workers"])
        cpu = cpu_seconds(lab.gw[g][0].pid) - cpu0
        rows.append(f"{g}: {rx} packets received, CPU {cpu:.2f} s of {dt:.2f} s ({100 * cpu / dt:.0f}% of one core, "
                    f"idle polling included), busy {busy / max(rx, 1):.0f} cycles a packet")
    gbps = (mib << 20) * 8 / dt / 1e9
    lab.record(f"load: a {mib} MiB TCP stream Pequot -> foo.net through the tunnel",
               "the stream intact; throughput and each gateway's CPU use reported",
               f"{what}; {gbps:.3f} Gbit/s of TCP payload; " + "; ".join(rows), ok)


# -- section 3.6 -------------------------------------------------------------------------------------
MP_TICKS_PER_S = 100   # each flow sends a packet every 10 ms


def link_tx(lab, gw, dev):
    j = json.loads(lab.ctl(gw, "-j", "ip", "-s", "link", "show", dev).stdout)
    return int(j[0]["stats64"]["tx"]["packets"])


def cut_line_a(lab, down):
    """Both telco ends of line A down (or up): West's and East's eth2 lose (regain) carrier."""
    # Back up, East's end first: West (the sender here) finds the line whole when it sees carrier.
    lab.sh("sh", "-c", "ip link set aw down; ip link set ae down" if down else "ip link set ae up; ip link set aw up",
           ns="telco")


def runs(seqs):
    """The lengths of the runs of consecutive numbers in a sorted list."""
    out, n = [], 0
    for i, x in enumerate(seqs):
        n = n + 1 if i and x == seqs[i - 1] + 1 else 1
        if i + 1 == len(seqs) or seqs[i + 1] != x + 1:
            out.append(n)
    return out


def scenario_36(lab, what, tunnels, out_spis):
    """32 UDP flows Chumash -> Pequot over West's two tunnels (weights 3:1); line A cut under
    the stream and put back. Measures the split, where the ESP went, and the loss."""
    port = 9100 + len(lab.results)
    rfile = os.path.join(lab.out, f"mp-{port}-recv.json")
    sfile = os.path.join(lab.out, f"mp-{port}-send.json")
    prog = os.path.join(lab.out, f"mp-{port}.progress")
    ready = rfile + ".ready"
    for f in (rfile, sfile, prog, ready):  # a kept --out directory holds an earlier run's
        if os.path.exists(f):
            os.unlink(f)
    names = (string.ascii_letters + string.digits)[:MP_FLOWS]
    recv = lab.bg("pequot", PY, TOOL, "udp-recv", port, rfile, "--ready", ready)
    lab.wait_file(ready, 10)
    t_ns0 = time.time_ns()
    sa0 = lab.sa_packets("west")
    flows = []
    for i, n in enumerate(names):
        flows += ["--flow", f"{n}:10.0.2.{100 + i}:{port}"]
    send = lab.bg("chumash", PY, TOOL, "udp-send", *flows, "--rate", MP_TICKS_PER_S * MP_FLOWS, "--duration", 7,
                  "--size", 200, "--progress", prog, "--out", sfile)

    def tick():
        try:
            with open(prog) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def wait_tick(t):
        end = time.time() + 20
        while tick() < t and send.poll() is None and time.time() < end:
            time.sleep(0.005)

    def sample():
        return {d: link_tx(lab, "west", d) for d in ("eth2", "eth3") + tunnels}

    def delta(a, b):
        return {k: b[k] - a[k] for k in a}

    wait_tick(100)
    s0 = sample()
    wait_tick(200)
    s1 = sample()
    cut0 = tick()
    cut_line_a(lab, True)
    cut1 = tick()
    wait_tick(cut1 + 50)
    s2 = sample()
    wait_tick(400)
    s3 = sample()
    up0 = tick()
    cut_line_a(lab, False)
    up1 = tick()
    wait_tick(up1 + 100)
    s4 = sample()
    wait_tick(650)
    s5 = sample()
    try:
        send.wait(20)
    except subprocess.TimeoutExpired:
        lab.stop(send)
    time.sleep(0.3)
    lab.stop(recv)
    t_ns1 = time.time_ns()
    sa1 = lab.sa_packets("west")
    with open(sfile) as f:
        ticks = json.load(f)["ticks"]
    with open(rfile) as f:
        got = json.load(f)["flows"]
    # Loss: in the cut's window (cut .. cut + 1 s), the restore's, and anywhere else (none allowed
    # after a half-second warm-up in which the gateways resolve their neighbours).
    win_cut = (cut0, cut1 + MP_TICKS_PER_S)
    win_up = (up0, up1 + MP_TICKS_PER_S)
    lost_cut = lost_up = lost_else = lost_warm = 0
    outage = []
    hit = 0
    for n in names:
        missing = sorted(set(range(ticks)) - set(got.get(n, [])))
        hit += any(win_cut[0] <= t <= win_cut[1] for t in missing)
        for t in missing:
            if t < MP_TICKS_PER_S // 2:
                lost_warm += 1
            elif win_cut[0] <= t <= win_cut[1]:
                lost_cut += 1
            elif win_up[0] <= t <= win_up[1]:
                lost_up += 1
            else:
                lost_else += 1
        outage += runs([t for t in missing if win_cut[0] <= t <= win_cut[1]])
    before, during, after = delta(s0, s1), delta(s2, s3), delta(s4, s5)
    t1, t2 = tunnels
    share = before[t1] / max(1, before[t1] + before[t2])
    esp, clear = 0, []
    for link in ("aw", "bw"):
        e, c = lab.census(link, t_ns0, t_ns1)
        esp += e
        clear += c
    spi_out = {s: sa1.get(s, 0) - sa0.get(s, 0) for s in out_spis}
    ok = (before[t1] > 0 and before[t2] > 0 and 0.55 <= share <= 0.95 and before["eth2"] > 0 and before["eth3"] > 0
          and during["eth2"] <= 2 and during[t1] > 0
          # the counters are read one after the other under the stream: a few packets of skew
          and during["eth3"] >= 0.97 * (during[t1] + during[t2])
          and after["eth2"] > 0 and lost_else == 0 and not clear and all(v > 0 for v in spi_out.values()))
    sent = ticks * MP_FLOWS
    lab.record(f"3.6 {what}: two tunnels share load (weights 3:1), line A fails under the stream",
               f"{MP_FLOWS} UDP flows Chumash -> Pequot-net: both tunnels carry, the first about 3/4 (flows hashed "
               f"by address); each tunnel on its own line; with line A cut (carrier lost at both ends) both "
               f"tunnels ride line B within the carrier poll; line A carries again once back; no loss outside "
               f"the cut and restore; only ESP on the lines",
               f"{sent} packets in {ticks / MP_TICKS_PER_S:.1f} s. Before the cut: {t1} {before[t1]} / {t2} "
               f"{before[t2]} packets ({100 * share:.0f}% / {100 - 100 * share:.0f}%), line A {before['eth2']} / "
               f"line B {before['eth3']} ESP packets out of West. Line A cut at {cut0 / MP_TICKS_PER_S:.2f} s: "
               f"{lost_cut} packets lost in {hit} flows, longest outage {max(outage, default=0) * 1000 // MP_TICKS_PER_S} ms; "
               f"then line A {during['eth2']} / line B {during['eth3']} (tunnels {during[t1]} / {during[t2]}). "
               f"Line A back at {up0 / MP_TICKS_PER_S:.2f} s: {lost_up} lost; then line A {after['eth2']} / line B "
               f"{after['eth3']}. Lost elsewhere: {lost_else} (warm-up: {lost_warm}). On the lines: {esp} ESP, "
               f"{len(clear)} clear IP packets; West's outbound SAs "
               + ", ".join(f"{k} +{v}" for k, v in spi_out.items()), ok)


def scenario_36_all(lab):
    """Restarts West and East on the multipath configs, then 3.6 with the ESP tunnels and,
    after one `ip route replace` per gateway, with GRE over transport-mode ESP."""
    lab.stop_gateways()
    lab.start_gateways("-multipath")
    scenario_36(lab, "ESP tunnels (xfrm interfaces)", ("ipsec1", "ipsec2"), ("0x00001101", "0x00001102"))
    lab.ctl("west", "ip", "route", "replace", "10.0.2.0/24", "nexthop", "dev", "gre1", "weight", "3",
            "nexthop", "dev", "gre2", "weight", "1")
    lab.ctl("east", "ip", "route", "replace", "10.0.1.0/24", "nexthop", "dev", "gre1", "weight", "3",
            "nexthop", "dev", "gre2", "weight", "1")
    scenario_36(lab, "GRE (keyed) over transport-mode ESP", ("gre1", "gre2"), ("0x00003101", "0x00003102"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--out", help="keep captures, configs, counters and logs in DIR")
    ap.add_argument("--load", type=int, metavar="MIB",
                    help="after the scenarios, a MIB-mebibyte TCP stream through the tunnel (perf/RESULTS.md)")
    ap.add_argument("--only", choices=["3.6"], help="run only these scenarios (3.6: the multipath part)")
    a = ap.parse_args()
    out = os.path.abspath(a.out) if a.out else tempfile.mkdtemp(prefix="wildside-xs-")
    os.makedirs(out, exist_ok=True)
    lab = Lab(a.build, out)
    t_start = time.time()
    failed = False
    try:
        print(f"== setting up namespaces {lab.tag}-* and starting West and East (files in {out})")
        lab.setup()
        lab.setup_lines()
        lab.start_captures()
        lab.start_gateways()
        for fn in (() if a.only else (scenario_31, scenario_32, scenario_35, scenario_33, scenario_33_admin, scenario_spd)):
            try:
                fn(lab)
            except Exception as e:  # a scenario that could not run is a failure too
                lab.record(fn.__name__, "the scenario runs", f"{type(e).__name__}: {e}", False)
        if a.load:
            load_run(lab, a.load)
        for gw in ("west", "east"):
            with open(os.path.join(out, f"{gw}-counters.json"), "w") as f:
                json.dump(lab.counters(gw), f, indent=1)
        try:
            scenario_36_all(lab)
        except Exception as e:
            lab.record("3.6", "the scenario runs", f"{type(e).__name__}: {e}", False)
        for gw in ("west", "east"):
            with open(os.path.join(out, f"{gw}-multipath-counters.json"), "w") as f:
                json.dump(lab.counters(gw), f, indent=1)
    except Exception as e:
        lab.record("set-up", "the lab comes up", f"{type(e).__name__}: {e}", False)
    finally:
        if hasattr(lab, "caps"):
            lab.stop_captures()
        lab.cleanup()
    print(f"\n== summary (lab run time {time.time() - t_start:.0f} s)")
    for title, _, _, status in lab.results:
        print(f"  {status:8} {title}")
        failed |= status == "FAIL"
    for f in os.listdir(out):
        if f.endswith(".ready"):
            os.unlink(os.path.join(out, f))
    if a.out:
        print(f"captures of the wild side: {out}/wild-cw.pcapng (West's link), wild-ce.pcapng (East's), "
              f"wild-cn.pcapng (foo.net's)")
    else:
        shutil.rmtree(out, ignore_errors=True)
    print("extruded lab: " + ("FAILED" if failed else "ALL PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
