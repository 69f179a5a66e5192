#!/bin/bash
# tests/lab/memif_pair.sh — two wildside instances side by side (default EAL: no hugepages, a
# private file prefix each), joined by a net_memif pair: A takes packets from a pcap and routes
# them over memif to B, which routes them out of its own pcap port. Shows that instances coexist
# on one machine and that the ports of `type dpdk` include memif.
#
#   bash tests/lab/memif_pair.sh BUILD_DIR        exit 0 when every packet arrives, routed twice
set -u
BUILD=${1:-build}
PY=/usr/bin/python3
W=$(mktemp -d /tmp/wsmemif.XXXXXX)
BPID=""
cleanup() {
    if [ -n "$BPID" ]; then kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; fi
    rm -rf "$W"
}
trap cleanup EXIT
fail() {
    echo "memif_pair: FAIL: $*"
    for f in "$W"/*.log; do [ -f "$f" ] && sed 's/^/    /' "$f"; done
    exit 1
}

$PY - "$W" <<'PY' || fail "scapy"
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
w = sys.argv[1]
wrpcap(w + "/in.pcap", [Ether(dst="02:00:00:00:0a:01", src="02:00:00:00:01:01") /
                        IP(src="10.0.1.2", dst="10.0.3.%d" % (2 + i % 3), ttl=64) /
                        UDP(sport=1000 + i, dport=53) / Raw(b"m" * 30) for i in range(20)])
wrpcap(w + "/empty.pcap", [])
PY
cat >"$W/a.conf" <<CONF
ip link add eth0 type dpdk devargs net_pcap0,rx_pcap=$W/in.pcap,tx_pcap=$W/a0.pcap
ip link add m0 type dpdk devargs net_memif0,role=client,socket=$W/memif.sock
ip link set eth0 address 02:00:00:00:0a:01
ip link set m0 address 02:00:00:00:0a:02
ip link set eth0 up
ip link set m0 up
ip addr add 10.0.1.1/24 dev eth0
ip addr add 10.0.2.1/24 dev m0
ip neigh add 10.0.2.2 lladdr 02:00:00:00:0b:02 dev m0
ip route add 10.0.3.0/24 via 10.0.2.2
CONF
cat >"$W/b.conf" <<CONF
ip link add m0 type dpdk devargs net_memif0,role=server,socket=$W/memif.sock
ip link add eth1 type dpdk devargs net_pcap0,rx_pcap=$W/empty.pcap,tx_pcap=$W/b1.pcap
ip link set m0 address 02:00:00:00:0b:02
ip link set eth1 address 02:00:00:00:0b:03
ip link set m0 up
ip link set eth1 up
ip addr add 10.0.2.2/24 dev m0
ip addr add 10.0.3.1/24 dev eth1
ip neigh add 10.0.3.2 lladdr 02:00:00:00:03:02 dev eth1
ip neigh add 10.0.3.3 lladdr 02:00:00:00:03:03 dev eth1
ip neigh add 10.0.3.4 lladdr 02:00:00:00:03:04 dev eth1
CONF
# B (the memif server) first, then A connects and sends.
"$BUILD/wildside" -c "$W/b.conf" -s "$W/b.sock" --idle-backoff 100 >"$W/b.log" 2>&1 &
BPID=$!
for _ in $(seq 50); do "$BUILD/wildsidectl" -s "$W/b.sock" ip link show >/dev/null 2>&1 && break; sleep 0.1; done
timeout 30 "$BUILD/wildside" -c "$W/a.conf" --idle-backoff 100 --exit-when-idle 1500 >"$W/a.log" 2>&1 ||
    fail "instance A exited with status $?"
"$BUILD/wildsidectl" -s "$W/b.sock" -j show counters >"$W/b-counters.json" || fail "instance B not answering"
kill -TERM "$BPID"
wait "$BPID"
st=$?
BPID=""
[ "$st" = 0 ] || fail "instance B exited with status $st"
$PY - "$W" <<'PY' || fail "egress check"
import json, sys
from scapy.all import rdpcap, IP
w = sys.argv[1]
out = rdpcap(w + "/b1.pcap")
assert len(out) == 20, "B sent %d of 20 packets" % len(out)
for p in out:
    assert p[IP].ttl == 62, "ttl %d, want 62 (routed by A and by B)" % p[IP].ttl
    want = "02:00:00:00:03:%02x" % int(p[IP].dst.split(".")[3])
    assert p.src == "02:00:00:00:0b:03" and p.dst == want, (p.src, p.dst)
c = json.load(open(w + "/b-counters.json"))
assert not any(c["drops"].values()), c["drops"]
print("memif_pair: PASS: 20/20 packets through A, memif and B (ttl 62, MACs rewritten twice), no drops")
PY
