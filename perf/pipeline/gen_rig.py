#!/usr/bin/python3
"""gen_rig.py — the inputs of the standard one-core rig (DESIGN.md "Performance") for
perf/pipeline/pipeline_bench.sh. Seeded: the same arguments give byte-identical files.

Writes into --out-dir:

  flows-SIZE.pcap      1,024 UDP/IPv4 flows (--flows; the rig's standard), one packet each, for
                       every SIZE in --sizes (flows-fN-SIZE.pcap for another --flows N).
                       SIZE is the Ethernet frame size on the wire INCLUDING the 4-byte FCS
                       (RFC 2544 convention), so the frames in the pcap are SIZE-4 bytes long:
                       64 B -> 60-byte frames (14 Ethernet + 20 IPv4 + 8 UDP + 18 payload),
                       1420 B -> 1416-byte frames (IPv4 total length 1402).
                       dst MAC 02:00:00:00:00:01 (wildside's eth0), src MAC 02:00:00:00:01:02,
                       src 192.168.0.2-254 (eth0's subnet), dst one host inside each of 1,024
                       distinct prefixes drawn from the route table, distinct (src, dst, sport,
                       dport), TTL 64, DF, TOS 0, valid checksums.
  head-rK.conf         the wildside config without routes: the link lines use the placeholder
                       @ETH0_DEVARGS@ / @ETH1_DEVARGS@ (pipeline_bench.sh fills them per run), eth0
                       192.168.0.1/24 MAC 02:00:00:00:00:01, eth1 10.255.0.1/16 MAC
                       02:00:00:00:00:02, one static `ip neigh` per gateway of the table (256),
                       K `ip rule`s (below) and the default routes of the two matching rules'
                       tables (200, 201).
  routes-eth1-NAME.body  the N routes of perf/gen_routes.py's routes.conf (same seed, same
                       prefixes and gateways) with `dev eth0` turned into `dev eth1`: in this rig
                       traffic comes in on eth0 and leaves by eth1.
  queries-rK.txt       one `ip route get DST from SRC iif eth0 ipproto udp sport S dport D` per
                       flow, for `wildsidectl -c CONF -j -batch` (pipeline_bench.sh checks that
                       every flow is forwarded out of eth1 and counts which rule decides).
  flows.json           the flows and the generation parameters.

The K rules (pref 1000..1000+K-1): K-3 selectors the traffic never matches, cycling fwmark,
from, to, iif, tos, ipproto/dport, sport, not-from (the walk visits them all); then, when K >= 4,
two that match part of it — `from 192.168.0.0/24 ipproto udp dport 5000-5063 lookup 200` (the
64 flows with those ports, 1 in 16) and `from 192.168.0.192/27 lookup 201` (the flows from those
sources, about 1 in 8) — and last `iif eth0 lookup main`, which decides for the rest (~80%).

The routes come from perf/gen_routes.py: reused from WORK/routes.conf (perf/run_all.sh's
workload, perf/out/work) when its header says the same --routes/--seed, else generated there
(file prefix rN- for N != 1,000,000, so run_all.sh's files stay as they are).

  /usr/bin/python3 perf/pipeline/gen_rig.py --routes 1000000 --rules 16 --seed 1 \\
      --work-dir perf/out/work --out-dir perf/out/pipeline
"""
import argparse
import ipaddress
import json
import os
import random
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PERF = os.path.dirname(HERE)

ETH0_MAC = "02:00:00:00:00:01"
ETH1_MAC = "02:00:00:00:00:02"
PEER_MAC = "02:00:00:00:01:02"
ETH0_NET = "192.168.0.0/24"
ETH0_ADDR = "192.168.0.1/24"
ETH1_ADDR = "10.255.0.1/16"
FCS = 4


def fmt(a):
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def parse4(s):
    return int(ipaddress.IPv4Address(s))


# --- routes ----------------------------------------------------------------------------------

def routes_conf(work, n, seed):
    """Path of gen_routes.py's routes.conf for (n, seed), generating it when missing."""
    prefix = "" if n == 1000000 else "r%d-" % n
    path = os.path.join(work, prefix + "routes.conf")
    want = "# gen_routes.py --routes %d --seed %d: BGP-like length mix" % (n, seed)
    try:
        with open(path) as f:
            ok = f.readline().rstrip("\n") == want
    except OSError:
        ok = False
    if not ok:
        print("gen_rig: generating %d routes (seed %d) in %s" % (n, seed, work), file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(PERF, "gen_routes.py"), "--routes", str(n),
                        "--seed", str(seed), "--rules", "", "--out-dir", work, "--prefix", prefix],
                       check=True)
    return path


def convert_routes(conf, body):
    """Writes the route lines of conf with dev eth1; returns (prefixes, gateways)."""
    prefixes, gws = [], set()
    tmp = body + ".tmp"
    with open(conf) as f, open(tmp, "w") as out:
        chunk = []
        for line in f:
            if not line.startswith("ip route add "):
                continue
            # ip route add PREFIX via GW dev eth0
            parts = line.split()
            if len(parts) != 8 or parts[4] != "via" or parts[6] != "dev" or parts[7] != "eth0":
                raise SystemExit("gen_rig: unexpected line in %s: %s" % (conf, line.strip()))
            net, ln = parts[3].split("/")
            prefixes.append((parse4(net), int(ln)))
            gws.add(parts[5])
            chunk.append("ip route add %s via %s dev eth1\n" % (parts[3], parts[5]))
            if len(chunk) >= 65536:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))
    os.replace(tmp, body)
    return prefixes, sorted(gws, key=parse4)


# --- rules -----------------------------------------------------------------------------------

def rule_lines(k, seed):
    """(lines, to_nets): k rules as documented above; to_nets are the `to` selectors' networks,
    which no flow's destination may fall into."""
    rng = random.Random(seed * 104729 + k)
    lines, to_nets = [], []
    matching = [
        "from 192.168.0.0/24 ipproto udp dport 5000-5063 lookup 200",
        "from 192.168.0.192/27 lookup 201",
    ] if k >= 4 else []
    for i in range(k - 1 - len(matching)):
        pref = 1000 + i
        kind = i % 8
        table = 100 + i % 8
        if kind == 0:
            sel = "fwmark 0x%x" % (0x100 + i)                      # traffic carries mark 0
        elif kind == 1:
            sel = "from 172.%d.%d.0/24" % (16 + rng.randrange(16), rng.randrange(256))
        elif kind == 2:
            net = "198.%d.%d.0/24" % (18 + rng.randrange(2), rng.randrange(256))
            to_nets.append(ipaddress.IPv4Network(net))
            sel = "to " + net                                      # no flow goes there
        elif kind == 3:
            sel = "iif wan%d" % (i // 8)                           # no such device
        elif kind == 4:
            sel = "tos 0x%02x" % (0x04 << ((i // 8) % 3))         # traffic carries tos 0
        elif kind == 5:
            sel = "ipproto %s dport %d" % (("tcp", "udp")[(i // 8) % 2], 22 + i)  # ports < 1024
        elif kind == 6:
            sel = "ipproto udp sport 1-%d" % (500 + i)             # flows' sports are >= 1024
        else:
            sel = "not from 192.168.0.0/16 iif eth0"               # anti-spoofing; never matches
        lines.append("ip rule add %s lookup %d pref %d" % (sel, table, pref))
    base = 1000 + len(lines)
    for j, sel in enumerate(matching):
        lines.append("ip rule add %s pref %d" % (sel, base + j))
    lines.append("ip rule add iif eth0 lookup main pref %d" % (base + len(matching)))
    return lines, to_nets


# --- flows -----------------------------------------------------------------------------------

def make_flows(prefixes, to_nets, seed, nflows):
    rng = random.Random(seed * 15485863 + nflows)
    src_hosts = list(range(2, 255))
    flows, used_pfx, used_tuple = [], set(), set()
    while len(flows) < nflows:
        idx = rng.randrange(len(prefixes))
        if idx in used_pfx:
            continue
        net, ln = prefixes[idx]
        host = rng.randrange(1 << (32 - ln)) if ln < 32 else 0
        dst = net | host
        dsta = ipaddress.IPv4Address(dst)
        if any(dsta in n for n in to_nets):
            continue
        i = len(flows)
        src = (192 << 24) | (168 << 16) | src_hosts[i % len(src_hosts)]
        sport = rng.randrange(1024, 65536)
        if i % 16 == 0:
            dport = 5000 + (i // 16) % 64                            # rule "dport 5000-5063"
        else:
            dport = rng.randrange(1024, 65536)
            if 5000 <= dport <= 5063:
                continue
        key = (src, dst, sport, dport)
        if key in used_tuple:
            continue
        used_pfx.add(idx)
        used_tuple.add(key)
        flows.append({"src": fmt(src), "dst": fmt(dst), "sport": sport, "dport": dport,
                      "prefix": "%s/%d" % (fmt(net), ln)})
    return flows


def write_pcap(path, flows, size):
    from scapy.all import Ether, IP, UDP, Raw, wrpcap  # noqa: E402 (slow import, only here)
    frame = size - FCS
    pkts = []
    for i, fl in enumerate(flows):
        p = (Ether(dst=ETH0_MAC, src=PEER_MAC) /
             IP(src=fl["src"], dst=fl["dst"], ttl=64, flags="DF", id=i & 0xFFFF, tos=0) /
             UDP(sport=fl["sport"], dport=fl["dport"]))
        pad = frame - len(p)
        if pad < 0:
            raise SystemExit("gen_rig: %d B is too small for Ethernet+IPv4+UDP" % size)
        p = p / Raw(bytes((i + j) & 0xFF for j in range(pad)))
        p = Ether(bytes(p))  # checksums and lengths computed
        p.time = 0
        assert len(p) == frame
        pkts.append(p)
    wrpcap(path, pkts)


# --- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--routes", type=int, default=1000000)
    ap.add_argument("--rules", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flows", type=int, default=1024, help="the rig's standard is 1,024")
    ap.add_argument("--sizes", default="64,1420", help="frame sizes on the wire, incl. FCS")
    ap.add_argument("--work-dir", default="perf/out/work", help="gen_routes.py's output")
    ap.add_argument("--out-dir", default="perf/out/pipeline")
    a = ap.parse_args()
    if a.routes < a.flows or a.flows < 1:
        raise SystemExit("gen_rig: need 1 <= --flows <= --routes (one prefix per flow)")
    if a.rules < 1:
        raise SystemExit("gen_rig: --rules must be >= 1")
    os.makedirs(a.out_dir, exist_ok=True)
    os.makedirs(a.work_dir, exist_ok=True)
    o = lambda name: os.path.join(a.out_dir, name)
    tag = "r%d-s%d" % (a.routes, a.seed)

    conf = routes_conf(a.work_dir, a.routes, a.seed)
    body = o("routes-eth1-%s.body" % tag)
    prefixes, gws = convert_routes(conf, body)
    if len(prefixes) != a.routes:
        raise SystemExit("gen_rig: %s holds %d routes, expected %d" % (conf, len(prefixes), a.routes))

    rules, to_nets = rule_lines(a.rules, a.seed)
    flows = make_flows(prefixes, to_nets, a.seed, a.flows)

    head = o("head-%s-k%d.conf" % (tag, a.rules))
    with open(head, "w") as f:
        f.write("# perf/pipeline/gen_rig.py --routes %d --rules %d --seed %d: the one-core rig\n"
                % (a.routes, a.rules, a.seed))
        f.write("ip link add eth0 type dpdk devargs @ETH0_DEVARGS@\n")
        f.write("ip link add eth1 type dpdk devargs @ETH1_DEVARGS@\n")
        f.write("ip link set eth0 address %s\nip link set eth1 address %s\n" % (ETH0_MAC, ETH1_MAC))
        f.write("ip link set eth0 up\nip link set eth1 up\n")
        f.write("ip addr add %s dev eth0\nip addr add %s dev eth1\n" % (ETH0_ADDR, ETH1_ADDR))
        for i, gw in enumerate(gws):
            f.write("ip neigh add %s lladdr 02:00:00:ff:%02x:%02x dev eth1\n" % (gw, i >> 8, i & 255))
        f.write("\n".join(rules) + "\n")
        if a.rules >= 4:
            f.write("ip route add default via %s dev eth1 table 200\n" % gws[0])
            f.write("ip route add default via %s dev eth1 table 201\n" % gws[1])

    ftag = "" if a.flows == 1024 else "-f%d" % a.flows
    queries = o("queries-%s-k%d%s.txt" % (tag, a.rules, ftag))
    with open(queries, "w") as f:
        for fl in flows:
            f.write("ip route get %s from %s iif eth0 ipproto udp sport %d dport %d\n"
                    % (fl["dst"], fl["src"], fl["sport"], fl["dport"]))

    sizes = [int(s) for s in a.sizes.split(",") if s]
    pcaps = {str(s): o("flows%s-%d.pcap" % (ftag, s)) for s in sizes}
    for size in sizes:
        write_pcap(pcaps[str(size)], flows, size)

    with open(o("flows%s.json" % ftag), "w") as f:
        json.dump({"routes": a.routes, "rules": a.rules, "seed": a.seed, "sizes": sizes,
                   "fcs_bytes": FCS, "nflows": len(flows), "gateways": len(gws), "routes_conf": conf,
                   "rules_lines": rules, "flows": flows}, f, indent=1)
    print(json.dumps({"head": head, "body": body,
                      "pcaps": pcaps,
                      "queries": queries}))


if __name__ == "__main__":
    main()
