#!/usr/bin/env bash
# The demo. Part 1: West's routing from the seed essay, loaded offline, and the routing
# decisions for host-originated, forwarded and marked traffic, as `ip route get` prints them;
# then the same configuration running in build/wildside with pcap files for ports.
# Part 2, the main demonstration: the extruded-subnet VPN end to end (tests/lab/extruded_lab.py):
# two wildside gateways, hosts in network namespaces, real traffic, a report per scenario, the
# wild side's captures kept in demo-out/. The exit status is part 2's.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
conf=configs/west/west-routing.conf
ctl=("$build/wildsidectl" --rt-tables configs/rt_tables -c "$conf")

run() {
    echo "\$ wildsidectl $*"
    "${ctl[@]}" "$@" || true
    echo
}

echo "== West (configs/west/west-routing.conf): the policy rules"
run ip rule show
echo "== Host-originated traffic to Sunrise-net: rule 500 (iif lo) picks table from.this.host,"
echo "   whose route gives West's private source 10.0.1.1 - replies come back through the tunnel"
run ip route get 10.0.2.5
echo "== The same from Sunset-net (forwarded, iif eth0): main table, through ipsec0"
run ip route get 10.0.2.5 from 10.0.1.50 iif eth0
echo "== West to East's wild-side address: in the clear, out of eth1"
run ip route get 198.51.100.2
echo "== Host-originated ssh marked 0x16 by the firewall: rule 400 sends it around the tunnel"
run ip route get 10.0.2.5 mark 0x16 ipproto tcp dport 22
echo "== The same decisions as iproute2's JSON, with the deciding table and rule priority"
run -j ip route get 10.0.2.5
echo "== What the fast path executes: the compiled tables, and the rule walk with its warnings"
run show compiled fib
run show compiled rules

# The dataplane: the same configuration running in build/wildside, its two DPDK ports turned
# into pcap files (net_null0/net_null1 -> net_pcap), a few packets from Sunset-net through it.
echo "== The dataplane: West's configuration in build/wildside, eth0 and eth1 as pcap files"
tmp=$(mktemp -d /tmp/wsdemo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, TCP, Raw, wrpcap
t = sys.argv[1]
mac_w, mac_h = "02:00:00:00:0e:00", "02:00:00:00:00:50"  # West's eth0, host 10.0.1.50
pk = [Ether(dst=mac_w, src=mac_h) / IP(src="10.0.1.50", dst="8.8.8.8", ttl=64) / UDP(sport=40000, dport=53) / Raw(b"q" * 20),
      Ether(dst=mac_w, src=mac_h) / IP(src="10.0.1.50", dst="198.51.100.2", ttl=64) / TCP(sport=40001, dport=22),
      Ether(dst=mac_w, src=mac_h) / IP(src="10.0.1.50", dst="8.8.4.4", ttl=1) / UDP(sport=40002, dport=33434),
      Ether(dst=mac_w, src=mac_h) / IP(src="10.0.1.50", dst="10.0.2.5", ttl=64) / UDP(sport=40003, dport=5000),
      Ether(dst=mac_w, src=mac_h) / IP(src="127.0.0.1", dst="8.8.8.8", ttl=64) / UDP(sport=40004, dport=53)]
wrpcap(t + "/in.pcap", pk)
wrpcap(t + "/empty.pcap", [], linktype=1)
PY
sed -e "s#devargs net_null0#devargs net_pcap0,rx_pcap=$tmp/in.pcap,tx_pcap=$tmp/eth0.pcap#" \
    -e "s#devargs net_null1#devargs net_pcap1,rx_pcap=$tmp/empty.pcap,tx_pcap=$tmp/eth1.pcap#" "$conf" >"$tmp/west.conf"
cat >>"$tmp/west.conf" <<CONF
ip link set eth0 address 02:00:00:00:0e:00
ip neigh add 10.0.1.50 lladdr 02:00:00:00:00:50 dev eth0
ip neigh add 192.0.2.254 lladdr 02:00:00:00:02:fe dev eth1
CONF
echo "   in: 10.0.1.50 -> 8.8.8.8 udp/53, -> 198.51.100.2 tcp/22, -> 8.8.4.4 ttl 1,"
echo "       -> 10.0.2.5 (Sunrise-net, the tunnel), and a martian 127.0.0.1 -> 8.8.8.8"
"$build/wildside" --rt-tables configs/rt_tables -c "$tmp/west.conf" -s "$tmp/ctl.sock" --exit-when-idle 1500 \
    --idle-backoff 100 >"$tmp/wildside.log" 2>&1 &
wpid=$!
for _ in $(seq 50); do "$build/wildsidectl" -s "$tmp/ctl.sock" ip link show >/dev/null 2>&1 && break; sleep 0.1; done
sleep 0.5
echo "\$ wildsidectl -s SOCKET show counters"
"$build/wildsidectl" -s "$tmp/ctl.sock" show counters | sed -n '/^drops/,/^stages/p' | grep -v "^stages" || true
wait "$wpid"
echo "   out (what wildside sent, read back from the tx pcaps):"
/usr/bin/python3 - "$tmp" <<'PY'
import sys
from scapy.all import rdpcap, IP
t = sys.argv[1]
for port in ("eth0", "eth1"):
    for p in rdpcap("%s/%s.pcap" % (t, port)):
        print("   %s: %s -> %s  %s  ttl %d" % (port, p.src, p.dst, p[IP].summary(), p[IP].ttl))
PY
echo "   (this file has no SAs or policies: the packet routed to ipsec0 finds no policy for the"
echo "    interface's if_id and is dropped; part 2 has the tunnel.)"

echo
echo "== Part 2: the extruded subnet, end to end (configs/extruded-subnet/, tests/lab/extruded_lab.py)"
rm -rf demo-out
/usr/bin/python3 tests/lab/extruded_lab.py --build "$build" --out demo-out
