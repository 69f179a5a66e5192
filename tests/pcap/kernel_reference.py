#!/usr/bin/python3
"""Linux reference for the choices run_pcap_tests.py makes where the spec leaves room.

Builds a router namespace with three veth links laid out like the pcap suite's gateway
(eth0 10.0.1.1/24, eth1 10.0.2.1/24, eth2 10.0.3.1/24, the same MACs and static neighbours),
a tester namespace holding the peer ends, sends probes with scapy from the tester side and
prints what the kernel sends back or forwards. Needs root, iproute2 and scapy. Every
namespace it creates is deleted on exit (try/finally + atexit).

    /usr/bin/python3 tests/pcap/kernel_reference.py

It is evidence, not a test: nothing here runs in run_pcap_tests.py.
"""
import atexit
import os
import subprocess
import sys
import time

PID = os.getpid()
R = f"wspr-r-{PID}"
T = f"wspr-t-{PID}"
_created = []


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r.stdout


def cleanup():
    for ns in reversed(_created):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    _created.clear()


atexit.register(cleanup)

ROUTER_SETUP = """
ip link set lo up
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
sysctl -qw net.ipv4.conf.all.rp_filter=0
sysctl -qw net.ipv4.conf.default.rp_filter=0
ip addr add 10.0.1.1/24 dev eth0
ip addr add 10.0.2.1/24 dev eth1
ip addr add 10.0.3.1/24 dev eth2
ip -6 addr add 2001:db8:1::1/64 dev eth0 nodad
ip -6 addr add 2001:db8:2::1/64 dev eth1 nodad
ip -6 addr add fe80::2/64 dev eth1 nodad
ip neigh add 10.0.1.10 lladdr 02:00:00:00:01:0a dev eth0
ip neigh add 10.0.1.11 lladdr 02:00:00:00:01:0b dev eth0
ip neigh add 10.0.1.12 lladdr 02:00:00:00:01:0c dev eth0
ip neigh add 10.0.1.254 lladdr 02:00:00:00:01:fe dev eth0
ip neigh add 10.0.2.2 lladdr 02:00:00:00:02:02 dev eth1
ip -6 neigh add 2001:db8:1::10 lladdr 02:00:00:00:61:10 dev eth0
ip -6 neigh add 2001:db8:2::2 lladdr 02:00:00:00:62:02 dev eth1
ip route add 10.9.0.0/16 via 10.0.2.2 dev eth1
ip route add 172.16.0.0/16 via 10.0.1.254 dev eth0 src 10.0.3.1
ip route add unreachable 10.21.0.0/16
ip rule add to 10.23.0.0/16 unreachable
ip -6 route add 2001:db8:9::/48 via 2001:db8:2::2 dev eth1
ip -6 route add unreachable 2001:db8:67::/48
ip -6 route add prohibit 2001:db8:68::/48
ip -6 route add blackhole 2001:db8:66::/48
ip link set eth1 mtu 1400
"""


def setup():
    for ns in (R, T):
        sh(f"ip netns add {ns}")
        _created.append(ns)
    for i in range(3):
        sh(f"ip link add eth{i} netns {R} address 02:00:00:00:00:0{i + 1} type veth peer name t{i} netns {T}")
        sh(f"ip -n {T} link set t{i} up")
        sh(f"ip netns exec {T} sysctl -qw net.ipv6.conf.t{i}.disable_ipv6=1")
        # as wildside: no automatic link-local address
        sh(f"ip -n {R} link set eth{i} addrgenmode none")
        sh(f"ip -n {R} link set eth{i} up")
    for line in ROUTER_SETUP.strip().splitlines():
        sh(f"ip netns exec {R} {line}")
    time.sleep(0.5)


PROBE = r'''
import sys, time
from scapy.all import *
conf.verb = 0
GW = "02:00:00:00:00:01"
S10, S11, S12 = "02:00:00:00:01:0a", "02:00:00:00:01:0b", "02:00:00:00:01:0c"
def eth(src=S10): return Ether(src=src, dst=GW)
probes = {
 "ttl1": [eth()/IP(src="10.0.1.10", dst="10.9.1.1", ttl=1, tos=0xb9, id=1)/UDP(sport=1, dport=2)/Raw(b"x"*972)],
 "ttl0": [eth()/IP(src="10.0.1.10", dst="10.9.1.1", ttl=0, id=2)/UDP(sport=1, dport=2)],
 "ratelimit-ttl": [eth(S11)/IP(src="10.0.1.11", dst="10.9.1.1", ttl=1, id=100 + i)/UDP() for i in range(10)],
 "ratelimit-unreach-route": [eth(S12)/IP(src="10.0.1.12", dst="10.21.1.1", id=200 + i)/UDP() for i in range(10)],
 "route-unreachable": [eth()/IP(src="10.0.1.10", dst="10.21.1.1", id=3)/UDP()],
 "rule-unreachable": [eth()/IP(src="10.0.1.10", dst="10.23.1.1", id=4)/UDP()],
 "no-route": [eth()/IP(src="10.0.1.10", dst="10.99.1.1", id=5)/UDP()],
 "ttl1-no-route": [eth()/IP(src="10.0.1.10", dst="10.99.1.1", ttl=1, id=6)/UDP()],
 "prefsrc": [eth("02:00:00:00:01:fe")/IP(src="172.16.5.5", dst="10.21.1.1", id=7)/UDP()],
 "arp-who-has-gw": [Ether(src=S10, dst="ff:ff:ff:ff:ff:ff")/ARP(op=1, hwsrc=S10, psrc="10.0.1.10", pdst="10.0.1.1")],
 "arp-unresolved-nexthop": [eth()/IP(src="10.0.1.10", dst="10.0.2.77", id=8)/UDP()],
 "v6-hlim1": [Ether(src="02:00:00:00:61:10", dst=GW)/IPv6(src="2001:db8:1::10", dst="2001:db8:9::1", hlim=1, tc=0xb8)/UDP()/Raw(b"y"*1300)],
 "v6-unreachable-route": [Ether(src="02:00:00:00:61:10", dst=GW)/IPv6(src="2001:db8:1::10", dst="2001:db8:67::1")/UDP()],
 "v6-prohibit-route": [Ether(src="02:00:00:00:61:10", dst=GW)/IPv6(src="2001:db8:1::10", dst="2001:db8:68::1")/UDP()],
 "v6-blackhole-route": [Ether(src="02:00:00:00:61:10", dst=GW)/IPv6(src="2001:db8:1::10", dst="2001:db8:66::1")/UDP()],
 "mtu-df": [eth()/IP(src="10.0.1.10", dst="10.9.1.1", flags="DF", id=9)/UDP()/Raw(b"z"*1472)],
 "mtu-nodf": [eth()/IP(src="10.0.1.10", dst="10.9.1.1", id=10)/UDP()/Raw(b"z"*1472)],
 "mtu-df-ttl1": [eth()/IP(src="10.0.1.10", dst="10.9.1.1", flags="DF", ttl=1, id=11)/UDP()/Raw(b"z"*1472)],
 "tos-ecn-rule": [eth()/IP(src="10.0.1.10", dst="10.9.1.1", tos=0x12, id=12)/UDP()],
 "v6-ns-gw": [Ether(src="02:00:00:00:61:10", dst="33:33:ff:00:00:01")/IPv6(src="2001:db8:1::10", dst="ff02::1:ff00:1", hlim=255)/ICMPv6ND_NS(tgt="2001:db8:1::1")/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:61:10")],
 "v6-unresolved": [Ether(src="02:00:00:00:61:10", dst=GW)/IPv6(src="2001:db8:1::10", dst="2001:db8:2::77", fl=0x20000)/UDP()],
 "v6-noroute": [Ether(src="02:00:00:00:61:10", dst=GW)/IPv6(src="2001:db8:1::10", dst="2001:db8:99::1")/UDP()],
}
name = sys.argv[1]
sn = {i: AsyncSniffer(iface=f"t{i}", store=True) for i in range(3)}
for s in sn.values(): s.start()
time.sleep(0.5)
for p in probes[name]:
    sendp(p, iface="t0")
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
for i, s in sn.items():
    for p in s.stop():
        if i == 0 and ICMPv6ND_NS in p and p[IPv6].src == "2001:db8:1::10":
            continue  # our own probe, seen by the sniffer on t0
        print(f"  t{i}: {p.summary()}")
        if IP in p and ICMP in p:
            ip = p[IP]
            print(f"       ip src={ip.src} dst={ip.dst} tos={ip.tos:#x} ttl={ip.ttl} flags={ip.flags} len={ip.len}"
                  f" id={ip.id} icmp type={p[ICMP].type} code={p[ICMP].code} unused/mtu={bytes(p[ICMP])[4:8].hex()}"
                  f" quoted={len(bytes(ip)) - 28}" + (f" inner-id={p[IPerror].id} inner-ttl={p[IPerror].ttl} inner-csum={p[IPerror].chksum:#06x}" if IPerror in p else ""))
        if ARP in p:
            a = p[ARP]
            print(f"       arp op={a.op} hwsrc={a.hwsrc} psrc={a.psrc} hwdst={a.hwdst} pdst={a.pdst} eth.dst={p.dst} framelen={len(bytes(p))}")
        if ICMPv6ND_NS in p or ICMPv6ND_NA in p:
            ip = p[IPv6]; nd = p[ICMPv6ND_NS] if ICMPv6ND_NS in p else p[ICMPv6ND_NA]
            print(f"       nd eth.dst={p.dst} ip6 src={ip.src} dst={ip.dst} hlim={ip.hlim} type={nd.type} tgt={nd.tgt}"
                  f" flags={bytes(nd)[4]:#04x} opts={bytes(nd)[24:].hex()}")
        elif IPv6 in p and p[IPv6].nh == 58:
            ip = p[IPv6]
            print(f"       ip6 src={ip.src} dst={ip.dst} tc={ip.tc:#x} fl={ip.fl:#x} hlim={ip.hlim} plen={ip.plen} quoted={ip.plen - 8} icmp6 type/code={bytes(ip.payload)[0]}/{bytes(ip.payload)[1]}"
                  f" inner-hlim={bytes(ip.payload)[8 + 7]}")
'''


def main():
    if os.geteuid() != 0:
        sys.exit("needs root")
    setup()
    probe_file = f"/tmp/wspr-probe-{PID}.py"
    with open(probe_file, "w") as f:
        f.write(PROBE)
    try:
        names = sys.argv[1:] or ["ttl1", "ttl0", "ratelimit-ttl", "ratelimit-unreach-route", "route-unreachable",
                                  "rule-unreachable", "no-route", "ttl1-no-route", "prefsrc", "arp-who-has-gw",
                                  "arp-unresolved-nexthop", "v6-hlim1", "v6-noroute",
                                  "v6-unreachable-route", "v6-prohibit-route", "v6-blackhole-route",
                                  "mtu-df", "mtu-nodf", "mtu-df-ttl1", "v6-ns-gw", "v6-unresolved"]
        for n in names:
            wait = "4.5" if n in ("arp-unresolved-nexthop", "v6-unresolved") else "1.0"
            print(f"== {n}")
            print(sh(f"ip netns exec {T} /usr/bin/python3 {probe_file} {n} {wait}"), end="", flush=True)
            if n == "arp-unresolved-nexthop":
                print("  neigh:", sh(f"ip -n {R} neigh show 10.0.2.77").strip())
    finally:
        os.unlink(probe_file)
        cleanup()


if __name__ == "__main__":
    main()
