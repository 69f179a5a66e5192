#!/usr/bin/python3
"""gen_routes.py — the seeded, checked-in workload generator of perf/ (STYLE 40).

Writes, for N routes and a seed (the same arguments give byte-identical files):

  routes.conf   wildside config: the eth0 header, then N `ip route add PREFIX via GW dev eth0`
  routes.batch  the same N routes as `route add ...` lines for the kernel's `ip -batch`
  rules-K.conf  for each K in --rules: K `ip rule add` lines with mixed selectors (fwmark, from,
                to, iif, tos, dport with ipproto) where only the last one (`iif eth1 lookup main`)
                matches the benchmark traffic, so the walk visits all K rules before deciding.
                The file also declares eth1 (192.168.0.1/24), the traffic's ingress device.

Prefix-length mix (BGP-like, after the 2024 global table): /24 60%, /22-/23 15%, /16-/21 18%,
/8-/15 1%, /25-/32 6%. Prefixes are unique, drawn from 1.0.0.0-223.255.255.255, avoiding 127/8
and anything overlapping 10.255.0.0/16 (the gateways' subnet) or 192.168.0.0/24 (eth1's).
Gateways are a pool of 256 addresses in 10.255.0.0/16 (not .0.1, the local address).

Standard library only: run with /usr/bin/python3.

  /usr/bin/python3 perf/gen_routes.py --routes 1000000 --seed 1 --out-dir perf/out/work
"""
import argparse
import os
import random

# (prefix length, weight in percent); the weights sum to 100.
LENGTH_MIX = [
    (8, 0.005), (9, 0.01), (10, 0.03), (11, 0.06), (12, 0.12), (13, 0.18), (14, 0.25), (15, 0.345),
    (16, 1.4), (17, 0.8), (18, 1.5), (19, 3.0), (20, 5.3), (21, 6.0),
    (22, 8.5), (23, 6.5),
    (24, 60.0),
    (25, 0.6), (26, 0.7), (27, 0.7), (28, 0.7), (29, 0.8), (30, 0.6), (31, 0.2), (32, 1.7),
]

# Ranges no generated prefix may overlap: (network, length).
AVOID = [(0x7F000000, 8), (0x0AFF0000, 16), (0xC0A80000, 24)]

HEADER = [
    "ip link add eth0 type dummy",
    "ip link set eth0 up",
    "ip addr add 10.255.0.1/16 dev eth0",
]


def overlaps(net, length):
    for anet, alen in AVOID:
        m = min(length, alen)
        mask = (0xFFFFFFFF << (32 - m)) & 0xFFFFFFFF
        if (net & mask) == (anet & mask):
            return True
    return False


def fmt(a):
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def gen_prefixes(n, rng):
    """n unique (network, length) pairs with LENGTH_MIX, in a shuffled (BGP-dump-like) order."""
    total = sum(w for _, w in LENGTH_MIX)
    # Exact counts per length (largest remainder), so the mix does not depend on sampling luck.
    raw = [(ln, n * w / total) for ln, w in LENGTH_MIX]
    counts = {ln: int(x) for ln, x in raw}
    rest = n - sum(counts.values())
    for ln, x in sorted(raw, key=lambda t: t[1] - int(t[1]), reverse=True)[:rest]:
        counts[ln] += 1
    seen = set()
    out = []
    for ln, c in counts.items():
        space = 1 << ln
        if c > space // 2:
            raise SystemExit("gen_routes: too many /%d prefixes requested" % ln)
        host = 32 - ln
        got = 0
        while got < c:
            net = rng.randrange(1 << 24, 224 << 24) >> host << host  # 1.0.0.0 .. 223.255.255.255
            key = (net << 6) | ln
            if key in seen or overlaps(net, ln):
                continue
            seen.add(key)
            out.append((net, ln))
            got += 1
    rng.shuffle(out)
    return out


def gateways(rng, count=256):
    pool = set()
    while len(pool) < count:
        g = 0x0AFF0000 | rng.randrange(2, 0xFFFF)
        if g & 0xFF in (0, 255):
            continue
        pool.add(g)
    return [fmt(g) for g in sorted(pool)]


def write_routes(path_conf, path_batch, n, seed):
    rng = random.Random(seed)
    prefixes = gen_prefixes(n, rng)
    gws = gateways(rng)
    with open(path_conf, "w") as conf, open(path_batch, "w") as batch:
        conf.write("# gen_routes.py --routes %d --seed %d: BGP-like length mix\n" % (n, seed))
        conf.write("\n".join(HEADER) + "\n")
        cl, bl = [], []
        for net, ln in prefixes:
            tail = "%s/%d via %s dev eth0\n" % (fmt(net), ln, gws[rng.randrange(len(gws))])
            cl.append("ip route add " + tail)
            bl.append("route add " + tail)
            if len(cl) >= 65536:
                conf.write("".join(cl))
                batch.write("".join(bl))
                cl, bl = [], []
        conf.write("".join(cl))
        batch.write("".join(bl))


def rule_lines(k, seed):
    """k rules; the first k-1 never match the benchmark traffic (iif eth1, mark 0, tos 0,
    from 192.168.0.0/24, udp/tcp to ports 1024-65535 of routed destinations), the last does."""
    rng = random.Random(seed * 7919 + k)
    lines = []
    for i in range(k - 1):
        pref = 1000 + i
        kind = i % 6
        table = 100 + i % 8
        if kind == 0:
            sel = "fwmark 0x%x" % (0x100 + i)
        elif kind == 1:
            sel = "from 172.%d.%d.0/24" % (16 + rng.randrange(16), rng.randrange(256))
        elif kind == 2:
            sel = "to 198.18.%d.0/24" % rng.randrange(256)  # benchmark space, never routed here
        elif kind == 3:
            sel = "iif wan%d" % (i % 4)  # a device that does not exist: never matches
        elif kind == 4:
            sel = "tos 0x%02x" % (0x04 << ((i // 6) % 3))  # 0x04, 0x08, 0x10; traffic carries tos 0
        else:
            sel = "ipproto %s dport %d" % (("udp", "tcp")[(i // 6) % 2], 500 + i % 24)  # ports < 1024
        lines.append("ip rule add %s lookup %d pref %d" % (sel, table, pref))
    lines.append("ip rule add iif eth1 lookup main pref %d" % (1000 + k - 1))
    return lines


def write_rules(path, k, seed):
    with open(path, "w") as f:
        f.write("# gen_routes.py --rules %d --seed %d: the last rule decides for the traffic\n" % (k, seed))
        f.write("ip link add eth1 type dummy\nip link set eth1 up\nip addr add 192.168.0.1/24 dev eth1\n")
        f.write("\n".join(rule_lines(k, seed)) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--routes", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rules", default="1,16,256", help="comma-separated rule counts ('' for none)")
    ap.add_argument("--out-dir", default="perf/out/work")
    ap.add_argument("--prefix", default="", help="file name prefix, e.g. 'r100k-'")
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    d = lambda name: os.path.join(a.out_dir, a.prefix + name)
    if a.routes > 0:
        write_routes(d("routes.conf"), d("routes.batch"), a.routes, a.seed)
    for k in filter(None, a.rules.split(",")):
        write_rules(d("rules-%d.conf" % int(k)), int(k), a.seed)


if __name__ == "__main__":
    main()
