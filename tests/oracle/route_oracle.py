#!/usr/bin/python3
"""Kernel oracle: wildside's `ip rule` / `ip route` / `ip route get` against the Linux kernel.

Random, seeded IPv4 policy-routing configurations are loaded into a fresh network namespace
(veth links whose peers sit in a second namespace, so carrier is up) and into
`wildsidectl -c CONF` (offline mode), then thousands of `ip route get` queries are asked of
both and compared field by field.  See tests/oracle/README.md.

Standard library only; run with /usr/bin/python3 as root:

    tests/oracle/route_oracle.py --wildsidectl build/wildsidectl --seed 1 --configs 20 --queries 300
    tests/oracle/route_oracle.py --wildsidectl build/wildsidectl --replay tests/oracle/regress
"""

import argparse
import atexit
import difflib
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

IP = shutil.which("ip") or "/sbin/ip"
ALL_LINKS = ["eth0", "eth1", "eth2", "eth3"]
MASK32 = 0xFFFFFFFF          # marks and uids: 32 bits in both families
MASK128 = (1 << 128) - 1

# ---------------------------------------------------------------------------------------------
# Addresses, as integers: 32 bits (IPv4) or 128 bits (IPv6)


def a2i(s):
    a, b, c, d = (int(x) for x in s.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def i2a(n):
    return "%d.%d.%d.%d" % ((n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)


def is_special(n):
    """0/8, 127/8, multicast, class E, limited broadcast."""
    return (n >> 24) in (0, 127) or n >= 0xE0000000


def rand_unicast4(r):
    while True:
        n = r.getrandbits(32)
        if not is_special(n):
            return n


def a6(s):
    return int(ipaddress.IPv6Address(s))


def s6(n):
    return ipaddress.IPv6Address(n & MASK128).compressed


def is_ll6(n):
    return (n >> 118) == (0xfe80 >> 6)          # fe80::/10


def is_mc6(n):
    return (n >> 120) == 0xff


def rand_global6(r):
    """A unicast address far from everything configured (2000::/3)."""
    return (1 << 125) | r.getrandbits(125)


class Family:
    """What the shared code needs to know of an address family."""

    def __init__(self, version, fmt, is_ll, rand_far, ip, any_net, seed_tag):
        self.version = version
        self.bits = 32 if version == 4 else 128
        self.full = (1 << self.bits) - 1
        self.fmt = fmt                  # integer -> text
        self.is_ll = is_ll              # link-local (never, for IPv4)
        self.rand_far = rand_far        # rng -> a random unicast address, far from everything configured
        self.ip = ip                    # how its commands start
        self.any_net = any_net          # the default prefix, written out
        self.seed_tag = seed_tag        # the generators' rngs: TAG:SEED:N and TAG-q:SEED:N

    def mask(self, plen):
        return (self.full << (self.bits - plen)) & self.full if plen else 0

    def last(self, net, plen):
        """The last address of net/plen."""
        return (net & self.mask(plen)) | (~self.mask(plen) & self.full)

    def rand_in(self, r, net, plen):
        """A random address of net/plen (net itself, without a draw, for a host prefix)."""
        return net | (r.getrandbits(self.bits - plen) if plen < self.bits else 0)


V4 = Family(4, i2a, lambda n: False, rand_unicast4, "ip", "0.0.0.0/0", "wsor")
V6 = Family(6, s6, is_ll6, rand_global6, "ip -6", "::/0", "wsor6")
FAMILIES = {4: V4, 6: V6}


def get_prefix(family):
    """How a query line starts, in queries.txt and in wildside's batch file."""
    return FAMILIES[family].ip + " route get "


def strip_get(q):
    """The arguments of an `ip [-4|-6] route get ...` line."""
    return re.sub(r"^ip (?:-[46] )?route get ", "", q.strip())


# ---------------------------------------------------------------------------------------------
# Namespace bookkeeping: every namespace we create is deleted, whatever happens.

_LIVE_NS = []


def _delete_ns(name):
    subprocess.run([IP, "netns", "del", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if name in _LIVE_NS:
        _LIVE_NS.remove(name)


def _cleanup_all():
    for name in list(_LIVE_NS):
        _delete_ns(name)


def _on_signal(signum, _frame):
    _cleanup_all()
    raise SystemExit(128 + signum)


atexit.register(_cleanup_all)

# ---------------------------------------------------------------------------------------------
# Configuration generator


class Config:
    """One generated configuration: links, iproute2 command lines, and hints for queries."""

    def __init__(self, index, links, family=4):
        self.index = index
        self.links = links
        self.family = family
        self.cmds = []            # full command lines, "ip ..."
        self.addrs = []           # (addr, plen, dev)
        self.prefixes = []        # (net, plen) used by routes and rules
        self.rule_from = []       # (net, plen)
        self.marks = []           # (value, mask)
        self.ports = []           # (lo, hi)
        self.uids = []            # (lo, hi)
        self.gateways = []        # addresses
        self.local_prefixes = []  # (net, plen) of `local` routes
        self.tos = []             # tos values of rules and routes

    def local_addrs(self):
        return [a for a, _, _ in self.addrs]

    def broadcasts(self):
        return {V4.last(a, p) for a, p, _ in self.addrs if p <= 30}


class Draws:
    """Random choices on self.r."""

    def w(self, choices):
        """Weighted choice from [(weight, value), ...]."""
        total = sum(wt for wt, _ in choices)
        x = self.r.random() * total
        for wt, v in choices:
            x -= wt
            if x < 0:
                return v
        return choices[-1][1]

    def chance(self, p):
        """True with probability p.  p = 0 or 1 (a choice the family does not make) costs no draw."""
        return p >= 1 or (p > 0 and self.r.random() < p)

    def choose(self, options):
        """r.choice, without a draw when there is one option only."""
        return options[0] if len(options) == 1 else self.r.choice(options)


class Generator(Draws):
    """A random configuration of the family fam.  The logic is here; Generator4 and Generator6
    hold each family's numbers (class attributes) and the few draws that differ (near,
    far_or_near, addr_plen, explicit_ll, host_draw, late_addrs, route_target, route_attrs, ...).
    Each draw is made in the same order as before the families shared this code, so that a seed
    gives the same configuration."""

    def __init__(self, rng, index):
        self.r = rng
        nlinks = rng.choice([3, 4, 4])
        self.c = Config(index, ALL_LINKS[:nlinks], self.fam.version)
        self.rule_cmd = self.fam.ip + " rule"
        self.subnets = []          # (net, plen, dev); IPv6: fe80::/64 included
        self.sites = []            # IPv6: the site prefixes of the anchors
        self.anchors = []
        self.rule_prefs = []       # explicit prefs used
        self.rule_hist = []        # rule command tails, for del
        self.route_hist = []       # dicts, for del (IPv6: and for reuse)
        self.no_rules = rng.random() < 0.12
        self.tables = rng.sample(self.TABLES, rng.choice([2, 3]))

    # -- small random pieces
    def far(self):
        return self.fam.rand_far(self.r)

    def far_or_near(self):
        return self.far() if self.r.random() < 0.5 else self.near()

    def rand_plen(self):
        r = self.r
        if r.random() < self.PLEN_ANY_PROB:
            return r.randint(1, self.fam.bits)
        return r.choice(self.PLENS)

    def prefix(self, allow_default=True, host_bits=False):
        """A (net, plen, text) drawn from the anchors, so that prefixes overlap."""
        r, fam = self.r, self.fam
        if allow_default and r.random() < self.DEFAULT_PROB:
            return 0, 0, r.choice(["default", fam.any_net, "default"])
        if self.subnets and r.random() < self.SUBNET_ANCHOR_PROB:
            net, plen, _ = r.choice(self.subnets)
            anchor = fam.rand_in(r, net, plen)
        else:
            anchor = r.choice(self.anchors)
        plen = self.rand_plen()
        net = anchor & fam.mask(plen)
        shown = anchor if host_bits else net
        text = "%s/%d" % (fam.fmt(shown), plen)
        if plen == fam.bits and r.random() < 0.3:
            text = fam.fmt(shown)
        self.c.prefixes.append((net, plen))
        return net, plen, text

    def host_in(self, net, plen, avoid_local=True):
        locs = set(self.c.local_addrs())
        for _ in range(50):
            if plen >= self.fam.bits - 1:
                h = self.fam.rand_in(self.r, net, plen)
            else:
                h = self.host_draw(net, plen)
            if h is not None and (not avoid_local or h not in locs):
                return h
        return None

    def gateway(self, dev=None):
        fam = self.fam
        cands = [(n, p, d) for n, p, d in self.subnets
                 if p < fam.bits and not fam.is_ll(n) and (dev is None or d == dev)]
        if not cands:
            return None
        net, plen, d = self.r.choice(cands)
        g = self.host_in(net, plen)
        if g is None:
            return None
        self.c.gateways.append(g)
        return g, d

    def explicit_ll(self, dev):
        """IPv6: now and then an explicit link-local address, as (addr, net, plen, dev)."""
        return None

    # -- addresses
    def addr_line(self, dev):
        """An `ip addr add` line for dev, or None."""
        r, c, fam = self.r, self.c, self.fam
        ll = self.explicit_ll(dev)
        if ll:
            a, net, plen, dev_for = ll
        elif self.subnets and r.random() < 0.3:
            net, plen, d0 = r.choice([s for s in self.subnets if not fam.is_ll(s[0])] or self.subnets)
            if plen == fam.bits:
                return None
            # a secondary address on the same device, or the same subnet on another device
            dev_for = d0 if r.random() < 0.75 else dev
            a = self.host_in(net, plen)
        else:
            plen = self.addr_plen()
            net = self.near() & fam.mask(plen)
            dev_for = dev
            a = self.host_in(net, plen)
        if a is None or a in c.local_addrs():
            return None
        c.addrs.append((a, plen, dev_for))
        if (net, plen, dev_for) not in self.subnets:
            self.subnets.append((net, plen, dev_for))
        return "%s addr add %s/%d dev %s" % (fam.ip, fam.fmt(a), plen, dev_for)

    def gen_addrs(self):
        r, c = self.r, self.c
        for dev in c.links:
            for _ in range(r.randint(1, 3)):
                line = self.addr_line(dev)
                if line:
                    c.cmds.append(line)

    # -- rules
    def rule_selectors(self):
        r, c = self.r, self.c
        sel = []
        if r.random() < 0.35:
            if r.random() < 0.1:
                sel.append(["from", self.choose(self.FROM_ALL)])
            else:
                net, plen, text = self.prefix(host_bits=r.random() < self.RULE_HOST_BITS_PROB)
                c.rule_from.append((net, plen))
                sel.append(["from", text])
        if r.random() < 0.3:
            net, plen, text = self.prefix(host_bits=r.random() < self.RULE_HOST_BITS_PROB)
            sel.append(["to", text])
        if self.chance(self.RULE_NOT_PROB):
            sel.append(["not"])
        if r.random() < 0.22:
            dev = self.w([(6, r.choice(c.links)), (3, "lo"), (0.3, "eth9")])
            sel.append([r.choice(["iif", "iif", "dev"]), dev])
        if r.random() < 0.1:
            sel.append(["oif", self.w([(6, r.choice(c.links)), (1, "lo")])])
        if r.random() < 0.22:
            v = self.w([(3, r.choice([1, 2, 3, 0x10, 0x100, 0xff])), (1, r.getrandbits(32)), (0.3, 0)])
            m = self.w([(4, None), (2, 0xff), (1, 0xf), (1, 0xffff0000), (1, 1), (1, r.getrandbits(32))])
            if m is None:
                c.marks.append((v, MASK32 if v else 0))
                sel.append(["fwmark", self.w([(1, hex(v)), (1, str(v))])])
            else:
                c.marks.append((v, m))
                sel.append(["fwmark", "%s/%s" % (hex(v), hex(m))])
        if r.random() < self.RULE_TOS_PROB:
            valid, invalid = self.RULE_TOS          # a few invalid values on purpose
            t = self.w([(20, r.choice(valid)), (1, r.choice(invalid))])
            c.tos.append(t)
            txt = "0x%02x" % t
            if self.chance(self.RULE_TOS_NAME_PROB):
                txt = r.choice(["CS1", "EF", "AF11"])
            sel.append([r.choice(["tos", "dsfield"]), txt])
        if r.random() < 0.15:
            sel.append(["ipproto", self.w(self.RULE_IPPROTOS)])
        for kw, prob in (("sport", 0.08), ("dport", 0.12)):
            if r.random() < prob:
                lo = self.w([(3, r.choice([1, 22, 53, 80, 443, 1000, 1024, 65534])), (2, r.randint(1, 65534))])
                if r.random() < 0.5:
                    hi = lo
                    txt = str(lo)
                else:
                    hi = min(65534, lo + r.choice([1, 9, 100, 1000, 30000]))
                    txt = "%d-%d" % (lo, hi)
                if r.random() < 0.02:
                    txt = r.choice(["0", "65535", "0-10", "100-50"])   # rejected by the kernel
                c.ports.append((lo, hi))
                sel.append([kw, txt])
        if r.random() < 0.08:
            lo = r.choice([0, 0, 5, 100, 1000, 65534])
            hi = lo + r.choice([0, 0, 1, 10, 1000])
            if r.random() < 0.03:
                lo, hi = hi + 1, lo                              # rejected
            if self.chance(self.RULE_UID_ALL_PROB):
                lo, hi = 0, 4294967295                           # rejected: Invalid uid range
            c.uids.append((lo, hi))
            sel.append(["uidrange", "%d-%d" % (lo, hi)])
        return sel

    def rand_pref(self):
        r = self.r
        if self.rule_prefs and r.random() < 0.15:
            return r.choice(self.rule_prefs)        # equal prefs keep insertion order
        return self.w([(6, r.choice([1, 2, 5, 10, 50, 100, 200, 500, 1000, 1000, 2000, 32000, 32765])),
                       (3, r.randint(1, 40000)), (0.3, 0), (0.3, r.choice([32766, 32767, 40000, 4294967295]))])

    def table(self, rule):
        """Mostly the configuration's own tables, so that rules and routes meet."""
        r = self.r
        k = r.random()
        if k < (0.35 if rule else 0.45):
            return "main"
        if k < 0.9:
            return r.choice(self.tables)
        return self.w([(1, "default"), (0.5 if rule else 0.4, "local"), (0.4, "0x64"),
                       (0.15 if rule else 0.3, "0"), (0.3, "4294967295"), (1, "253")])

    def gen_rule(self):
        r = self.r
        if self.rule_hist and r.random() < 0.1:
            return self.gen_rule_del()
        if self.rule_hist and r.random() < 0.04:
            # same pref/action/table with fewer selectors: the kernel may call it a duplicate
            tail, pref = r.choice(self.rule_hist)
            words = tail.split()
            keep = [w for i, w in enumerate(words)
                    if words[i - 1 if i else 0] in ("pref", "priority", "preference", "table", "lookup", "goto")
                    or w in ("pref", "priority", "preference", "table", "lookup", "goto", "nop", "blackhole",
                             "unreachable", "prohibit")]
            if keep:
                return self.rule_cmd + " add " + " ".join(keep)
        sel = self.rule_selectors()
        pref = None
        if r.random() < 0.6:
            pref = self.rand_pref()
        action = self.w([(45, "table"), (10, "lookup"), (5, "none"), (8, "goto"), (4, "nop"),
                         (4, "blackhole"), (4, "unreachable"), (4, "prohibit")])
        if action in ("blackhole", "unreachable", "prohibit") and not [s for s in sel if s[0] != "not"]:
            sel += [["to", self.prefix(allow_default=False)[2]]]
        act = []
        if action in ("table", "lookup"):
            act = [action, self.table(rule=True)]
            if r.random() < 0.12:
                act += ["suppress_prefixlength", str(r.choice(self.SUPPRESS + [r.randint(0, self.fam.bits)]))]
        elif action == "goto":
            if pref is None and r.random() < 0.8:
                pref = r.randint(1, 32000)
            base = pref if pref is not None else 32000
            later = [p for p in self.rule_prefs if p > base]
            target = self.w([(4, r.choice(later) if later else base + r.randint(1, 500)),
                             (3, base + r.randint(1, 500)), (1, r.choice([32766, 32767])),
                             (0.5, max(0, base - r.randint(0, 10)))])   # last: backward, rejected
            act = ["goto", str(target)]
        elif action != "none":
            act = [action]
        if pref is not None:
            self.rule_prefs.append(pref)
            sel.append([r.choice(["pref", "priority", "preference", "pref"]), str(pref)])
        if r.random() < 0.3:
            r.shuffle(sel)
        toks = [t for s in sel for t in s] + act
        tail = " ".join(toks)
        self.rule_hist.append((tail, pref))
        return self.rule_cmd + " add " + tail if tail else self.rule_cmd + " add"

    def gen_rule_del(self):
        r = self.r
        tail, pref = r.choice(self.rule_hist)
        k = r.random()
        if k < 0.45 and pref is not None:
            return self.rule_cmd + " del pref %d" % pref
        if k < 0.8:
            return (self.rule_cmd + " del " + tail).strip()
        if k < 0.95:
            # a subset of the selectors: unspecified attributes are wildcards
            pairs = re.findall(r"(?:not|nop|blackhole|unreachable|prohibit|\S+ \S+)", tail)
            sub = [p for p in pairs if r.random() < 0.5]
            if sub:
                return self.rule_cmd + " del " + " ".join(sub)
        return self.rule_cmd + " del " + r.choice(["pref 32767", "table 0", "table 0 pref 0",
                                                   "pref 32767 table default", "pref 0 table local",
                                                   "pref 123 table 5", "table 100"])

    # -- routes: single nexthops.  nexthop_words tries the family's NEXTHOPS (limit, kind) in
    # order, with one draw k: the first kind with k < limit that gives a nexthop (a gateway may
    # be missing) is taken.
    def nh_via_dev(self):
        g = self.gateway()
        return g and (["via", self.fam.fmt(g[0]), "dev", g[1]], g[0], g[1])

    def nh_via(self):
        g = self.gateway()
        return g and (["via", self.fam.fmt(g[0])], g[0], None)

    def nh_dev(self):
        d = self.w([(8, self.r.choice(self.c.links)), (0.3, "lo")])
        return ["dev", d], None, d

    def nh_onlink(self):
        g = self.onlink_gateway()
        d = self.r.choice(self.c.links)
        self.c.gateways.append(g)
        return ["via", self.fam.fmt(g), "dev", d, "onlink"], g, d

    def nh_stray(self):
        """A gateway that is probably not on a connected subnet: rejected."""
        g = self.stray_gateway()
        return ["via", self.fam.fmt(g), "dev", self.r.choice(self.c.links)], g, None

    def nexthop_words(self):
        """Words for a single unicast nexthop; returns (words, gw, dev)."""
        k = self.r.random()
        for limit, kind in self.NEXTHOPS:
            if k < limit:
                nh = kind(self)
                if nh:
                    return nh
        raise AssertionError("NEXTHOPS ends with a kind that always gives a nexthop")

    def multipath_words(self):
        r, c = self.r, self.c
        words = []
        for _ in range(r.choice([2, 2, 3])):
            k = r.random()
            g = self.gateway() if k < self.MP_GATEWAY else None
            if g:
                words += ["nexthop", "via", self.fam.fmt(g[0])] + (["dev", g[1]] if self.chance(self.MP_GATEWAY_DEV)
                                                                    else [])
            elif k < self.MP_LINK_LOCAL:
                words += ["nexthop", "via", self.fam.fmt(self.ll_gateway()), "dev", r.choice(c.links)]
            else:
                words += ["nexthop", "dev", r.choice(c.links)]
            if r.random() < self.MP_WEIGHT:
                words += ["weight", str(self.w([(5, r.randint(1, 5)), (1, r.randint(1, 256))]))]
        return words

    # -- routes
    def route_table(self):
        table = self.table(rule=False)
        if table == "main" and self.r.random() < 0.6:
            table = None
        return table

    def rand_metric(self):
        r = self.r
        return self.w([(6, r.choice(self.METRICS)), (1, r.randint(0, 5000)), (0.3, 4294967295)])

    def metric_attr(self, metric):
        return [self.r.choice(["metric", "metric", "priority", "preference"]), str(metric)]

    def table_proto_scope(self, attrs, table):
        r = self.r
        if table is not None:
            attrs.append(["table", table])
        if r.random() < 0.15:
            attrs.append(["proto", r.choice(self.PROTOS)])
        if r.random() < self.SCOPE_PROB:
            attrs.append(["scope", r.choice(self.SCOPES)])

    def route_src(self):
        r, c = self.r, self.c
        k = r.random()
        if k < 0.75:
            return r.choice([a for a, _, _ in c.addrs if not self.fam.is_ll(a)] or c.local_addrs())
        if k < 0.9:
            return r.choice(c.local_addrs())        # IPv6 link-local: a source only on its own device
        return self.bad_src()

    def remember_route(self, rtype, net, plen, ptext, table, tos, metric, gw, dev):
        self.route_hist.append(dict(rtype=rtype, net=net, plen=plen, ptext=ptext, table=table, tos=tos,
                                    metric=metric, gw=gw, dev=dev))

    def gen_route(self):
        r, c, fam = self.r, self.c, self.fam
        op = self.w(self.ROUTE_OPS)
        if op == "del":
            if self.route_hist:
                return self.gen_route_del()
            op = "add"
        op, rtype, table, net, plen, ptext, metric = self.route_target(op)
        words = [fam.ip, "route", op]
        if rtype != "unicast" or r.random() < 0.05:
            words.append(rtype)
        words.append(ptext)
        attrs, tos, metric = self.route_attrs(plen, table, metric)
        gw = dev = None
        nh = []
        if rtype == "unicast":
            if r.random() < 0.15:
                nh = self.multipath_words()
            else:
                w1, gw, dev = self.nexthop_words()
                attrs.append(w1)
            if r.random() < self.SRC_PROB:
                attrs.append(["src", fam.fmt(self.route_src())])
        elif rtype == "local":
            dev = self.w([(6, r.choice(c.links)), (2, "lo")])
            attrs.append(["dev", dev])
            if r.random() < 0.2:
                attrs.append(["src", fam.fmt(r.choice(c.local_addrs()))])
            c.local_prefixes.append((net, plen))
        elif self.chance(self.ERROR_ROUTE_DEV_PROB):
            attrs.append(["dev", r.choice(c.links)])          # IPv6 error routes: shown as dev lo
        if r.random() < 0.3:
            r.shuffle(attrs)
        for a in attrs:
            words += a
        words += nh
        self.remember_route(rtype, net, plen, ptext, table, tos, metric, gw, dev)
        return " ".join(words)

    def gen_route_del(self):
        r = self.r
        h = r.choice(self.route_hist)
        if r.random() < 0.05:
            h = dict(h, ptext=self.prefix(allow_default=False)[2])     # probably nonexistent
        words = [self.fam.ip, "route", "del"]
        if h["rtype"] != "unicast" and r.random() < 0.6:
            words.append(h["rtype"])
        words.append(h["ptext"])
        if h["tos"] is not None and r.random() < 0.8:
            words += ["tos", "0x%02x" % h["tos"]]
        if h["table"] is not None:
            words += ["table", h["table"]]
        if h["metric"] is not None and r.random() < 0.6:
            words += ["metric", str(h["metric"])]
        if h["gw"] is not None and r.random() < 0.3:
            words += ["via", self.fam.fmt(h["gw"])]
        if h["dev"] is not None and r.random() < 0.3:
            words += ["dev", h["dev"]]
        return " ".join(words)

    def generate(self):
        r, c, fam = self.r, self.c, self.fam
        nnear, nfar = self.ANCHORS
        self.anchors = [self.near() for _ in range(nnear)] + [self.far() for _ in range(nfar)]
        self.gen_addrs()
        self.anchors += [a for a, _, _ in c.addrs[:3] if not fam.is_ll(a)]
        late = self.late_addrs()
        nrules = 0 if self.no_rules else r.randint(4, 14)
        nroutes = r.randint(*self.NROUTES)
        defaults = []
        if r.random() < 0.8:
            defaults.append("main")
        defaults += [t for t in self.tables if r.random() < 0.35]
        for t in defaults:
            g = self.gateway()
            if g:
                self.remember_route("unicast", 0, 0, "default", None if t == "main" else t, None, None, g[0], g[1])
                c.cmds.append("%s route add default via %s%s%s" % (
                    fam.ip, fam.fmt(g[0]), " dev " + g[1] if r.random() < 0.6 else "",
                    "" if t == "main" else " table " + t))
        kinds = ["rule"] * nrules + ["route"] * nroutes + ["addr"] * len(late)
        r.shuffle(kinds)
        for k in kinds:
            if k == "rule":
                c.cmds.append(self.gen_rule())
            elif k == "route":
                c.cmds.append(self.gen_route())
            else:
                c.cmds.append(late.pop())
        return c


class Generator4(Generator):
    fam = V4
    TABLES = ["100", "200", "7", "4000000000", "1000", "4294967295"]
    ANCHORS = (4, 2)                 # near (private) and far (public) ones
    DEFAULT_PROB, SUBNET_ANCHOR_PROB = 0.05, 0.2
    PLEN_ANY_PROB, PLENS = 0.45, [8, 12, 16, 16, 20, 24, 24, 24, 28, 30, 32, 32]
    FROM_ALL = ["all"]
    RULE_HOST_BITS_PROB, RULE_NOT_PROB, RULE_UID_ALL_PROB = 0.1, 0, 0
    RULE_TOS_PROB, RULE_TOS_NAME_PROB = 0.12, 0
    RULE_TOS = ([0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c], [0x01, 0x20, 0x02])
    RULE_IPPROTOS = [(3, "tcp"), (3, "udp"), (1, "icmp"), (0.3, "6")]
    SUPPRESS = [0, 0, 8, 16, 24, 32]
    MP_GATEWAY, MP_GATEWAY_DEV, MP_LINK_LOCAL, MP_WEIGHT = 0.85, 1, 0, 0.7
    ROUTE_OPS = [(55, "add"), (15, "replace"), (10, "append"), (7, "prepend"), (13, "del")]
    ROUTE_TYPES = [(68, "unicast"), (5, "local"), (5, "blackhole"), (8, "unreachable"), (5, "prohibit"), (9, "throw")]
    PROTOS = ["static", "boot", "kernel", "99", "200"]
    SCOPE_PROB, SCOPES = 0.08, ["link", "global", "host", "site", "global", "253"]
    METRICS = [0, 1, 5, 10, 100, 1024]
    SRC_PROB, ERROR_ROUTE_DEV_PROB = 0.2, 0
    NROUTES = (10, 30)
    NEXTHOPS = ((0.45, Generator.nh_via_dev), (0.6, Generator.nh_via), (0.88, Generator.nh_dev),
                (0.95, Generator.nh_onlink), (1, Generator.nh_stray))

    def near(self):
        """A private address."""
        r = self.r
        k = r.random()
        if k < 0.6:
            return (10 << 24) | r.getrandbits(24)
        if k < 0.8:
            return a2i("172.16.0.0") | (r.randrange(16) << 16) | r.getrandbits(16)
        return a2i("192.168.0.0") | r.getrandbits(16)

    onlink_gateway = Generator.far_or_near
    stray_gateway = bad_src = near

    def host_draw(self, net, plen):
        return net | self.r.randint(1, (1 << (32 - plen)) - 2)     # neither the network nor broadcast

    def addr_plen(self):
        r = self.r
        plen = r.choice([8, 16, 20, 22, 24, 24, 24, 24, 25, 26, 28, 29, 30, 31, 32, 32])
        if plen == 8 and r.random() < 0.7:
            plen = 24                   # keep /8 subnets rare
        return plen

    def late_addrs(self):
        """Now and then the last address comes between the routes."""
        if len(self.c.cmds) > 3 and self.r.random() < 0.3:
            return [self.c.cmds.pop()]
        return []

    def route_target(self, op):
        """(op, type, table, net, plen, prefix text, metric) of a new route."""
        r = self.r
        table = self.route_table()
        rtype = self.w(self.ROUTE_TYPES)
        net, plen, ptext = self.prefix(host_bits=r.random() < 0.03)
        while rtype == "local" and 0 < plen < 8 or rtype == "local" and plen == 0:
            net, plen, ptext = self.prefix(allow_default=False)
        if plen == 0 and op in ("append", "prepend"):
            op = r.choice(["add", "replace"])          # §2.4 item 4: no duplicate default aliases
        return op, rtype, table, net, plen, ptext, None

    def route_attrs(self, plen, table, metric):
        """(attribute word pairs, tos, metric)."""
        r, c = self.r, self.c
        attrs = []
        tos = None
        if plen > 0 and r.random() < 0.12:
            tos = self.w([(10, r.choice([0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c])), (1, 0x20), (1, 0x30),
                          (0.3, 0x01)])
            c.tos.append(tos)
            attrs.append([r.choice(["tos", "dsfield"]), "0x%02x" % tos])
        self.table_proto_scope(attrs, table)
        if r.random() < 0.4:
            metric = self.rand_metric()
            attrs.append(self.metric_attr(metric))
        return attrs, tos, metric


# ---------------------------------------------------------------------------------------------
# IPv6 configuration generator.  Avoided on purpose (not reproducible, or out of scope): DAD
# (the kernel side adds `nodad`), source-specific routes (`from` on a route), route metrics
# (`mtu`), automatic link-local addresses (only explicit fe80::X/64), address deletion.


class Generator6(Generator):
    fam = V6
    # 510 and 766 share main's hash bucket, 511 shares local's: the dump order depends on it
    TABLES = ["100", "200", "7", "4000000000", "1000", "4294967295", "510", "766", "511"]
    ANCHORS = (5, 1)                 # near (in the sites) and far (2000::/3) ones
    DEFAULT_PROB, SUBNET_ANCHOR_PROB = 0.06, 0.25
    PLEN_ANY_PROB = 0.35
    PLENS = [8, 16, 32, 40, 44, 48, 48, 56, 60, 62, 63, 64, 64, 64, 65, 72, 80, 96, 112, 120, 124, 126, 127, 128, 128]
    FROM_ALL = ["all", "::/0"]
    RULE_HOST_BITS_PROB, RULE_NOT_PROB, RULE_UID_ALL_PROB = 0.05, 0.07, 0.02
    RULE_TOS_PROB, RULE_TOS_NAME_PROB = 0.14, 0.1
    RULE_TOS = ([0x04, 0x10, 0x20, 0x28, 0x48, 0xb8, 0xe0, 0xfc], [0x01, 0x21, 0x03])     # the ECN bits clear
    RULE_IPPROTOS = [(3, "tcp"), (3, "udp"), (2, "ipv6-icmp"), (0.5, "58"), (0.3, "6")]
    SUPPRESS = [0, 0, 48, 64, 64, 128]
    MP_GATEWAY, MP_GATEWAY_DEV, MP_LINK_LOCAL, MP_WEIGHT = 0.8, 0.7, 0.92, 0.6
    ROUTE_OPS = [(50, "add"), (14, "replace"), (13, "append"), (8, "prepend"), (15, "del")]
    ROUTE_TYPES = [(70, "unicast"), (5, "local"), (5, "blackhole"), (7, "unreachable"), (5, "prohibit"), (8, "throw")]
    PROTOS = ["static", "boot", "kernel", "ra", "99", "200"]
    SCOPE_PROB, SCOPES = 0.04, ["link", "global", "host"]            # accepted, ignored
    METRICS = [0, 1, 5, 10, 100, 256, 1024]
    SRC_PROB, ERROR_ROUTE_DEV_PROB = 0.18, 0.2
    NROUTES = (12, 32)

    def near(self):
        """An address in one of the sites."""
        r = self.r
        site = r.choice(self.sites)
        sub = self.w([(6, r.randrange(4)), (2, r.randrange(256)), (1, r.getrandbits(16))])
        host = self.w([(3, r.randint(1, 0xffff)), (2, r.getrandbits(64)), (1, 0)])
        return site | (sub << 64) | host

    onlink_gateway = Generator.far
    stray_gateway = Generator.far_or_near                   # probably No route to host
    bad_src = Generator.far                                 # Invalid source address

    def ll_addr(self):
        return a6("fe80::") | self.w([(3, self.r.randint(1, 0xff)), (1, self.r.getrandbits(64))])

    def ll_gateway(self):
        g = self.ll_addr()
        self.c.gateways.append(g)
        return g

    def nh_ll_via_dev(self):
        g, d = self.ll_gateway(), self.r.choice(self.c.links)
        return ["via", s6(g), "dev", d], g, d

    def nh_ll_via(self):
        g = self.ll_gateway()                         # Egress device not specified
        return ["via", s6(g)], g, None

    NEXTHOPS = ((0.42, Generator.nh_via_dev), (0.55, Generator.nh_via), (0.63, nh_ll_via_dev),
                (0.85, Generator.nh_dev), (0.91, Generator.nh_onlink), (0.94, nh_ll_via), (1, Generator.nh_stray))

    def host_draw(self, net, plen):
        r = self.r
        if r.random() < 0.6:
            return net | r.randint(1, min(0xffff, (1 << (128 - plen)) - 1))
        h = net | r.getrandbits(128 - plen)
        return None if h == net else h          # not the subnet-router anycast address

    def explicit_ll(self, dev):
        if self.r.random() < 0.25:
            return self.ll_addr(), a6("fe80::"), 64, dev        # one fe80::/64 route per device
        return None

    def addr_plen(self):
        return self.r.choice([64] * 10 + [48, 48, 56, 60, 80, 120, 127, 127, 128, 128])

    def late_addrs(self):
        """One or two addresses come between the routes (the newest address wins ties)."""
        r, c = self.r, self.c
        late = []
        for _ in range(r.choice([0, 0, 1, 2])):
            if len(c.cmds) > 3:
                late.append(c.cmds.pop(r.randrange(1, len(c.cmds))))
        return late

    def route_target(self, op):
        """(op, type, table, net, plen, prefix text, metric) of a new route, or of an earlier
        route's (table, prefix[, metric]): ECMP, replace, EEXIST."""
        r = self.r
        rtype = self.w(self.ROUTE_TYPES)
        metric = None
        if self.route_hist and r.random() < (0.5 if op in ("append", "prepend", "replace") else 0.12):
            h = r.choice(self.route_hist)
            net, plen, ptext, table = h["net"], h["plen"], h["ptext"], h["table"]
            if r.random() < 0.8:
                metric = h["metric"]
        else:
            table = self.route_table()
            net, plen, ptext = self.prefix(host_bits=r.random() < 0.03)
            if r.random() < 0.4:
                metric = self.rand_metric()
        return op, rtype, table, net, plen, ptext, metric

    def route_attrs(self, plen, table, metric):
        """(attribute word pairs, tos, metric)."""
        r = self.r
        attrs = []
        self.table_proto_scope(attrs, table)
        if r.random() < 0.02:
            attrs.append([r.choice(["tos", "dsfield"]), r.choice(["0", "0x10"])])   # 0 only
        if metric is not None:
            attrs.append(self.metric_attr(metric))
        if r.random() < 0.25:
            attrs.append(["pref", r.choice(["low", "medium", "high", "high", "low"])])
        return attrs, None, metric

    def generate(self):
        r = self.r
        self.sites = [a6("2001:db8::") | (r.getrandbits(16) << 80),
                      a6("fd00::") | (r.getrandbits(40) << 80),
                      a6("2a00::") | (r.getrandbits(32) << 80)]
        return Generator.generate(self)


GENERATORS = {4: Generator4, 6: Generator6}


def generate_config(seed, index, family=4):
    gen = GENERATORS[family]
    return gen(random.Random("%s:%s:%d" % (gen.fam.seed_tag, seed, index)), index).generate()


# ---------------------------------------------------------------------------------------------
# Query generator


class QueryGen(Draws):
    """The queries of one configuration.  The logic is here; QueryGen4 and QueryGen6 hold each
    family's numbers and where its addresses come from.

    Addresses are drawn from sources, (limit, where from), with one draw k: the first source
    with k < limit that has something gives it.  Where from is a list (a random element; an
    empty list gives nothing) or a function (its result; None is nothing)."""

    def __init__(self, rng, cfg):
        self.r = rng
        self.c = cfg
        fam = self.fam
        self.locals = sorted(set(cfg.local_addrs()))
        self.pfx = list(cfg.prefixes) + [(a & fam.mask(p), p) for a, p, _ in cfg.addrs]
        self.subnets = [(a & fam.mask(p), p) for a, p, _ in cfg.addrs if p < fam.bits]

    def draw(self, sources):
        k = self.r.random()
        for limit, src in sources:
            if k < limit:
                a = src() if callable(src) else (self.r.choice(src) if src else None)
                if a is not None:
                    return a
        return None

    def pick(self, sources, usable, fallback):
        """An address from sources that usable accepts (at most 100 tries, else fallback)."""
        for _ in range(100):
            a = self.draw(sources)
            if usable(a):
                return a
        return fallback

    def far(self):
        return self.fam.rand_far(self.r)

    def in_prefix_edge(self, net, plen):
        r, fam = self.r, self.fam
        first, last = net & fam.mask(plen), fam.last(net, plen)
        k = r.randrange(5)
        if k == 0:
            return first
        if k == 1:
            return last
        if k == 2:
            return (first - 1) & fam.full
        if k == 3:
            return (last + 1) & fam.full
        return fam.rand_in(r, first, plen)

    def edge_of(self, prefixes):
        return self.in_prefix_edge(*self.r.choice(prefixes)) if prefixes else None

    def in_subnet(self):
        if not self.subnets:
            return None
        r, bits = self.r, self.fam.bits
        net, plen = r.choice(self.subnets)
        if self.chance(self.SMALL_HOST_PROB) and plen < bits - 16:
            return net | r.randint(1, 0xffff)
        return net | r.getrandbits(bits - plen)

    def in_local_prefix(self):
        """An address covered by a `local` route only."""
        if not self.c.local_prefixes:
            return None
        net, plen = self.r.choice(self.c.local_prefixes)
        return self.fam.rand_in(self.r, net, plen)

    def usable_dst(self, d, inp):
        return True

    def usable_src(self, s):
        return True

    def dst(self, inp):
        return self.pick(self.dst_sources(inp), lambda d: self.usable_dst(d, inp), self.DST_FALLBACK)

    def input_src(self):
        return self.pick(self.input_sources(), self.usable_src, self.SRC_FALLBACK)

    def mark(self):
        r = self.r
        if self.c.marks and r.random() < 0.8:
            v, m = r.choice(self.c.marks)
            k = r.randrange(4)
            if k == 0:
                x = v
            elif k == 1:
                x = v | (r.getrandbits(32) & ~m & MASK32)       # still matches
            elif k == 2:
                x = v ^ (1 << r.randrange(32))                   # may not match
            else:
                x = r.getrandbits(32)
        else:
            x = r.choice([1, 2, 0x10, 0xff, r.getrandbits(32)])
        if x == 0:
            x = 1
        return hex(x) if r.random() < 0.7 else str(x)

    def port(self):
        r = self.r
        if self.c.ports and r.random() < 0.8:
            lo, hi = r.choice(self.c.ports)
            return max(1, min(65535, r.choice([lo - 1, lo, hi, hi + 1, r.randint(lo, hi)])))
        return r.choice([22, 53, 80, 443, r.randint(1, 65535)])

    def uid(self):
        r = self.r
        if self.c.uids and r.random() < 0.8:
            lo, hi = r.choice(self.c.uids)
            uid = max(0, r.choice([lo - 1, lo, hi, hi + 1]))
            return min(MASK32, uid)            # iproute2 refuses 4294967296 itself
        return r.choice([0, 1, 5, 1000, 65534])

    def tos_opt(self):
        """The families draw the keyword and the value in opposite orders (kept: same queries)."""
        if self.TOS_VALUE_FIRST:
            t = self.tos_value()
            return [self.r.choice(["tos", "tos", "dsfield"]), "0x%02x" % t]
        kw = self.r.choice(["tos", "tos", "dsfield"])
        return [kw, "0x%02x" % self.tos_value()]

    def query(self):
        """Returns the argument string after `route get`."""
        r, c, fmt = self.r, self.c, self.fam.fmt
        inp = r.random() < 0.4
        d = self.dst(inp)
        words = [fmt(d)] if r.random() < 0.9 else ["to", fmt(d)]
        opts = []
        if inp:
            if self.chance(self.INPUT_FROM_PROB):
                opts.append(["from", fmt(self.input_src())])
            opts.append(["iif", r.choice(c.links) if r.random() < 0.85 else "lo"])
            if r.random() < 0.03:
                opts.append(["oif", r.choice(c.links)])
        else:
            s = self.draw(self.output_sources())
            if s is not None:
                opts.append(["from", fmt(s)])
            if r.random() < self.OUTPUT_OIF_PROB:
                opts.append([r.choice(["oif", "oif", "dev"]), r.choice(c.links) if r.random() < 0.9 else "lo"])
        if r.random() < 0.3:
            opts.append(["mark", self.mark()])
        if r.random() < (0.35 if c.tos else 0.15):
            opts.append(self.tos_opt())
        if r.random() < 0.3:
            opts.append(["ipproto", r.choice(self.IPPROTOS) if r.random() < self.IPPROTO_USUAL_PROB
                         else self.choose(self.IPPROTOS_ODD)])
        if r.random() < 0.2:
            opts.append(["sport", str(self.port())])
        if r.random() < 0.25:
            opts.append(["dport", str(self.port())])
        if r.random() < (self.INPUT_UID_PROB if inp else 0.2):
            opts.append(["uid", str(self.uid())])
        if r.random() < 0.15:
            r.shuffle(opts)
        return " ".join(words + [t for o in opts for t in o])


class QueryGen4(QueryGen):
    fam = V4
    SPECIAL_DSTS = [a2i(x) for x in ("127.0.0.1", "127.1.2.3", "224.0.0.5", "239.1.2.3", "255.255.255.255")]
    DST_FALLBACK, SRC_FALLBACK = a2i("198.51.100.7"), a2i("198.51.100.9")
    SMALL_HOST_PROB, INPUT_FROM_PROB, OUTPUT_OIF_PROB, INPUT_UID_PROB = 0, 1, 0.15, 0.05
    TOS_VALUE_FIRST = True
    IPPROTOS, IPPROTO_USUAL_PROB, IPPROTOS_ODD = ["tcp", "udp", "icmp", "tcp", "udp"], 0.99, ["gre"]

    def __init__(self, rng, cfg):
        QueryGen.__init__(self, rng, cfg)
        self.bcast = cfg.broadcasts()

    def dst_sources(self, inp):
        return ((0.35, lambda: self.edge_of(self.pfx)), (0.5, self.locals), (0.65, self.in_subnet),
                (0.72, self.c.gateways), (0.8, [] if inp else sorted(self.bcast) + self.SPECIAL_DSTS),
                (1, self.far))

    def usable_dst(self, d, inp):
        return d != 0 and not (inp and (is_special(d) or d in self.bcast))

    def input_sources(self):
        return ((0.4, self.in_subnet), (0.7, lambda: self.edge_of(self.c.rule_from)), (0.75, self.in_local_prefix),
                (1, self.far))

    def usable_src(self, s):
        # a broadcast source is a martian or not depending on the multipath nexthop the
        # hash picks (fib_validate_source's full check runs when it leaves by iif), so it
        # is covered by hand-written regression cases instead
        return not (s in self.locals or is_special(s) or s == 0 or s in self.bcast)

    def output_sources(self):
        return ((0.35, self.locals), (0.38, self.far),                 # non-local: ENETUNREACH
                (0.39, sorted(self.bcast)), (0.42, self.in_local_prefix))

    def tos_value(self):
        r = self.r
        k = r.random()
        if self.c.tos and k < 0.5:
            t = r.choice(self.c.tos)
            return t if r.random() < 0.6 else t | r.choice([0x20, 0x40, 0xe0, 0x01, 0x02, 0x03])
        k = r.random()
        if k < 0.7:
            return r.choice([0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c, 0])
        if k < 0.9:
            return r.choice([0x30, 0x12, 0x20, 0x11, 0xb8, 0x28])
        return r.getrandbits(8)


class QueryGen6(QueryGen):
    fam = V6
    MCAST = [a6(x) for x in ("ff02::1", "ff0e::1", "ff05::2", "ff02::1:ff00:1")]
    ODD_DSTS = [a6(x) for x in ("fe80::99", "fe80::1", "::1", "::ffff:10.1.2.3")]
    ODD_SRCS = [a6(x) for x in ("fe80::5", "::1", "ff02::1", "fe80::77")]   # no martian checks in route get iif
    DST_FALLBACK = SRC_FALLBACK = None            # every address is usable
    SMALL_HOST_PROB, INPUT_FROM_PROB, OUTPUT_OIF_PROB, INPUT_UID_PROB = 0.5, 0.95, 0.18, 0.08
    TOS_VALUE_FIRST = False
    IPPROTOS, IPPROTO_USUAL_PROB = ["tcp", "udp", "ipv6-icmp", "tcp", "udp", "58"], 0.98
    IPPROTOS_ODD = ["icmp", "gre"]

    def __init__(self, rng, cfg):
        QueryGen.__init__(self, rng, cfg)
        self.lls = sorted(a for a in self.locals if is_ll6(a))
        self.globals = sorted(a for a in self.locals if not is_ll6(a))
        self.anycasts = sorted({a & V6.mask(p) for a, p, _ in cfg.addrs if p < 127})

    def odd_dst(self):
        return self.r.choice(self.MCAST + self.ODD_DSTS + self.lls + ([a6("::")] if self.r.random() < 0.2 else []))

    def dst_sources(self, inp):
        return ((0.33, lambda: self.edge_of(self.pfx)), (0.45, self.locals), (0.52, self.anycasts),
                (0.62, self.in_subnet), (0.68, self.c.gateways), (0.74 if inp else 0.78, self.odd_dst),
                (1, self.far))

    def input_sources(self):
        return ((0.35, self.in_subnet), (0.6, lambda: self.edge_of(self.c.rule_from)),
                (0.65, self.in_local_prefix), (0.72, self.locals), (0.76, self.ODD_SRCS), (1, self.far))

    def output_sources(self):
        return ((0.3, self.globals), (0.35, self.lls), (0.41, self.far),      # non-local: accepted
                (0.44, self.anycasts), (0.47, self.in_local_prefix))

    def tos_value(self):
        r = self.r
        if self.c.tos and r.random() < 0.5:
            t = r.choice(self.c.tos)
            return t if r.random() < 0.5 else t | r.choice([0x01, 0x02, 0x03, 0x04, 0x20, 0x80])
        return self.r.choice([0, 0x04, 0x10, 0x20, 0x21, 0x23, 0x24, 0x28, 0xb8, 0xb9, 0xe0, 0xfc, 0xff,
                              r.getrandbits(8)])


QUERY_GENS = {4: QueryGen4, 6: QueryGen6}


def generate_queries(seed, cfg, n):
    qg = QUERY_GENS[cfg.family]
    qg = qg(random.Random("%s-q:%s:%d" % (qg.fam.seed_tag, seed, cfg.index)), cfg)
    return [qg.query() for _ in range(n)]


# ---------------------------------------------------------------------------------------------
# The kernel side


def run(argv, input_text=None, timeout=120):
    return subprocess.run(argv, input=input_text, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)


def parse_ip_error(text):
    """'RTNETLINK answers: X' -> X; extack 'Error: X.' -> X; else the last line."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in reversed(lines):
        m = re.match(r"RTNETLINK answers: (.*)", l)
        if m:
            return m.group(1)
    for l in reversed(lines):
        m = re.match(r"Error: (.*)", l)
        if m:
            return m.group(1)
    return lines[-1] if lines else "unknown error"


def json_stream(text):
    dec = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


class KernelNS:
    """A fresh namespace with veth links (peers in a second namespace, all up).

    family 6 follows the recipe of the IPv6 notes: default.addr_gen_mode=1 before any link
    exists (no automatic link-local addresses, no fe80::/64 routes), IPv6 forwarding on for all
    and default (anycast routes exist, neighbour state plays no part), and no query before every
    link's `multicast ff00::/8` route is there, in link order (linkwatch adds them)."""
    serial = 0

    def __init__(self, links, tmpdir, family=4):
        for attempt in range(3):
            self._create(links, tmpdir, family)
            if family != 6:
                return
            err = self._wait_mroutes(links)
            if err is None:
                return
            self.close()
        raise RuntimeError("IPv6 namespace setup: " + err)

    def _wait_mroutes(self, links):
        """None once `multicast ff00::/8 dev X` exists for every link, in link order."""
        deadline = time.time() + 5
        while True:
            p = run([IP, "-n", self.name, "-6", "route", "show", "table", "local", "type", "multicast"])
            devs = re.findall(r"^multicast ff00::/8 dev (\S+) ", p.stdout, re.M)
            if sorted(devs) == sorted(links):
                if devs == list(links):
                    return None
                return "ff00::/8 routes in the order %s, not %s" % (devs, links)
            if time.time() > deadline:
                return "ff00::/8 routes missing after 5 s: have %s" % devs
            time.sleep(0.01)

    def _create(self, links, tmpdir, family):
        KernelNS.serial += 1
        self.name = "wsor-%d-%d" % (os.getpid(), KernelNS.serial)
        self.peer = self.name + "p"
        self.tmpdir = tmpdir
        _LIVE_NS.append(self.name)
        _LIVE_NS.append(self.peer)
        for ns in (self.name, self.peer):
            p = run([IP, "netns", "add", ns])
            if p.returncode:
                raise RuntimeError("ip netns add %s: %s" % (ns, p.stderr.strip()))
        if family == 6:
            self._sysctl_on(["ipv6/conf/default/addr_gen_mode", "ipv6/conf/all/forwarding",
                             "ipv6/conf/default/forwarding"])
        setup = ["link set lo up"]
        peer_setup = ["link set lo up"]
        for i, dev in enumerate(links):
            setup.append("link add %s type veth peer name p%d netns %s" % (dev, i, self.peer))
            setup.append("link set %s up" % dev)
            peer_setup.append("link set p%d up" % i)
        self._batch(self.name, setup)
        self._batch(self.peer, peer_setup)
        self._sysctl_on(["ipv4/conf/all/forwarding", "ipv4/conf/default/forwarding", "ipv4/ip_forward"])

    def _sysctl_on(self, names):
        """Sets each /proc/sys/net/NAME to 1 in the namespace."""
        sysctl = "; ".join("echo 1 > /proc/sys/net/" + n for n in names)
        p = run([IP, "netns", "exec", self.name, "sh", "-c", sysctl])
        if p.returncode:
            raise RuntimeError("sysctl in %s: %s" % (self.name, p.stderr.strip()))

    def _batch(self, ns, lines):
        path = os.path.join(self.tmpdir, "setup.batch")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = run([IP, "-n", ns, "-batch", path])
        if p.returncode:
            raise RuntimeError("namespace setup failed in %s: %s" % (ns, p.stderr.strip()))

    def apply(self, cmd):
        """Apply one `ip ...` line; returns None if accepted, else the error text."""
        words = kernel_words(cmd)
        assert words[0] == "ip"
        p = run([IP, "-n", self.name] + words[1:])
        if p.returncode == 0:
            return None
        return p.stderr.strip() or ("exit status %d" % p.returncode)

    def show(self, *args):
        p = run([IP, "-n", self.name] + list(args))
        return p.stdout

    def query(self, qargs, fibmatch=False, family=4):
        """Answers for `route get` lines: route dicts (from `ip -d -j`) or {'error': text}."""
        suffix = " fibmatch" if fibmatch else ""
        fam = ["-6"] if family == 6 else []
        path = os.path.join(self.tmpdir, "kq.batch")
        with open(path, "w") as f:
            for q in qargs:
                f.write("route get %s%s\n" % (q, suffix))
        p = run([IP, "-n", self.name] + fam + ["-d", "-j", "-force", "-batch", path])
        failed, chunk = {}, []
        for line in p.stderr.splitlines():
            m = re.match(r"Command failed (.*):(\d+)$", line.strip())
            if m:
                failed[int(m.group(2))] = "\n".join(chunk)
                chunk = []
            else:
                chunk.append(line)
        try:
            outs = json_stream(p.stdout)
        except ValueError:
            outs = None
        if outs is None or len(outs) + len(failed) != len(qargs):
            return [self.query_one(q + suffix, family) for q in qargs]      # slow, but attributable
        answers, it = [], iter(outs)
        for i in range(1, len(qargs) + 1):
            if i in failed:
                answers.append(kernel_error(failed[i]))
            else:
                arr = next(it)
                answers.append(arr[0] if arr else {"error": "empty answer"})
        return answers

    def query_one(self, q, family=4):
        fam = ["-6"] if family == 6 else []
        p = run([IP, "-n", self.name] + fam + ["-d", "-j", "route", "get"] + q.split())
        if p.returncode:
            return kernel_error(p.stderr)
        arr = json_stream(p.stdout)
        return arr[0][0] if arr and arr[0] else {"error": "empty answer"}

    def close(self):
        _delete_ns(self.name)
        _delete_ns(self.peer)


def kernel_error(stderr_text):
    e = {"error": parse_ip_error(stderr_text)}
    if "RTNETLINK answers" not in stderr_text:
        e["extack"] = True
    return e


def kernel_words(cmd):
    """The kernel's version of a config line: IPv6 addresses get `nodad` (wildside has no DAD;
    a tentative address has no local route and is no source for 2 s)."""
    words = cmd.split()
    rest = [w for w in words[1:] if not w.startswith("-")]
    if (len(rest) >= 3 and rest[0] in ("addr", "address", "a") and rest[1] in ("add", "replace", "change")
            and any(":" in w for w in rest[2:]) and "nodad" not in words):
        words.append("nodad")
    return words


def kernel_apply(cfg_links, cmds, tmpdir, family=4):
    """Returns (KernelNS, [error-or-None per command])."""
    k = KernelNS(cfg_links, tmpdir, family)
    try:
        results = [k.apply(c) for c in cmds]
    except BaseException:
        k.close()
        raise
    return k, results


def strict_dev6(q):
    """The device an IPv6 lookup is restricted to, or None.  Output (rt6_need_strict,
    ip6_route_output_flags): oif filters only without `from`, or for link-local, multicast and
    loopback destinations; otherwise it only scores.  Input: iif scores like oif, and filters
    only for those destinations."""
    words = q.split()
    d = words[1] if words[0] == "to" else words[0]
    try:
        n = a6(d)
    except ValueError:
        return None
    special = is_ll6(n) or is_mc6(n) or n == 1
    if "iif" in words:
        return words[words.index("iif") + 1] if special else None
    for kw in ("oif", "dev"):
        if kw in words and ("from" not in words or special):
            return words[words.index(kw) + 1]
    return None


def fib_candidates(fm, q, family=4):
    """Live nexthops of a multipath fibmatch answer, as [gateway-or-None, dev]; None if single."""
    if not isinstance(fm, dict) or "nexthops" not in fm:
        return None
    cands = []
    for nh in fm["nexthops"]:
        flags = nh.get("flags", [])
        if "dead" in flags:
            continue
        cands.append([nh.get("gateway"), nh.get("dev")])
    words = q.split()
    if family == 6:
        # fib6_select_path: the hashed sibling unless it fails a strict device check; then
        # the first sibling on that device
        dev = strict_dev6(q)
        sub = [c for c in cands if c[1] == dev]
        return sub if dev and sub else cands
    for kw in ("oif", "dev"):
        if kw in words and "iif" not in words:
            oif = words[words.index(kw) + 1]
            sub = [c for c in cands if c[1] == oif]
            if sub:
                cands = sub
    return cands


# ---------------------------------------------------------------------------------------------
# The wildside side


def wildside_conf(links, lines, header=""):
    out = []
    if header:
        out += ["# " + h for h in header.splitlines()]
    for dev in links:
        out.append("ip link add %s type dummy" % dev)
        out.append("ip link set %s up" % dev)
    out += lines
    return "\n".join(out) + "\n"


class Wildside:
    def __init__(self, path):
        self.path = path

    def run(self, conf_path, args, timeout=120):
        for attempt in range(10):
            try:
                return run([self.path, "-c", conf_path] + args, timeout=timeout)
            except OSError as e:                 # e.g. the binary is being relinked
                last = e
                time.sleep(1)
            except subprocess.TimeoutExpired:
                raise WildsideError("wildsidectl timed out after %ds: %s" % (timeout, " ".join(args)))
        raise WildsideError("cannot run %s: %s" % (self.path, last))

    def load_error(self, conf_path):
        """None if the configuration loads, else the stderr text."""
        p = self.run(conf_path, ["ip", "rule", "show"])
        if p.returncode == 0:
            return None
        return (p.stderr.strip() or p.stdout.strip() or "exit status %d" % p.returncode)

    def batch(self, conf_path, qargs, tmpdir, family=4):
        path = os.path.join(tmpdir, "wq.batch")
        with open(path, "w") as f:
            for q in qargs:
                f.write("%s%s\n" % (get_prefix(family), q))
        p = self.run(conf_path, ["-j", "-batch", path])
        try:
            arr = json.loads(p.stdout)
        except ValueError:
            arr = None
        if not isinstance(arr, list) or len(arr) != len(qargs):
            got = "%d elements" % len(arr) if isinstance(arr, list) else "no JSON array"
            raise WildsideError("wildsidectl -j -batch gave %s for %d queries (exit %d): %s" %
                                (got, len(qargs), p.returncode, (p.stderr or p.stdout)[:500]))
        return arr


class WildsideError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Comparison

EXTACK_ERRNO = {"Unsupported ip proto.": "Operation not supported"}


def norm_kernel(a, family=4):
    if "error" in a:
        return dict(a)
    d = dict(a)
    d.setdefault("type", "unicast")
    d.setdefault("table", "unspec")          # `-d` prints main; no table attribute means 0
    if family == 6:
        d.pop("scope", None)                 # `-d` prints "scope global" for every IPv6 route
        d.setdefault("protocol", "boot")     # and "protocol boot", which plain output omits
    for k in ("flags", "cache"):
        if k in d:
            d[k] = sorted(x for x in d[k] if x != "rt_offload_failed")
    return d


def norm_wild(a, family=4):
    if not isinstance(a, dict):
        return {"error": "not an object: %r" % (a,)}
    if "error" in a:
        return {"error": a["error"]}
    d = dict(a)
    d.pop("priority", None)
    if family == 6:
        d.pop("scope", None)
        d.setdefault("protocol", "boot")
    d.setdefault("type", "unicast")
    if "table" not in d:
        d["table"] = "main"
    d["table"] = str(d["table"])
    if d["table"] == "0":
        d["table"] = "unspec"
    for k in ("flags", "cache"):
        if isinstance(d.get(k), list):
            d[k] = sorted(x for x in d[k] if x != "rt_offload_failed")
    return d


def unstable_fields(kans, kans2, family):
    """Per query: the answer fields that differ between two kernel passes in opposite order
    (None when none do).  IPv6 answers can depend on the lookups made before: the kernel prints
    the flags of a cached per-CPU route copy."""
    out = []
    for a, b in zip(kans, kans2):
        a, b = norm_kernel(a, family), norm_kernel(b, family)
        diff = sorted(f for f in set(a) | set(b) if a.get(f) != b.get(f))
        if "error" in a or "error" in b:
            diff = ["*"] if diff else []
        out.append(diff or None)
    return out


def compare(kans, wans, cands, family=4, unstable=None):
    """Returns (class description, [(field, kernel, wildside)]) or None when they agree.
    Fields listed in unstable (kernel answers that changed with the query order) are skipped."""
    if unstable and "*" in unstable:
        return None
    k, w = norm_kernel(kans, family), norm_wild(wans, family)
    if "error" in k or "error" in w:
        if "error" in k and "error" in w:
            ok = {k["error"], EXTACK_ERRNO.get(k["error"], k["error"])}
            if w["error"] in ok:
                return None
            return ("error %r vs %r" % (k["error"], w["error"]), [("error", k["error"], w["error"])])
        if "error" in k:
            return ("kernel error %r, wildside %s route" % (k["error"], w.get("type")),
                    [("error", k["error"], None)])
        return ("kernel %s route, wildside error %r" % (k.get("type"), w["error"]),
                [("error", None, w["error"])])
    skip = set(unstable or ())
    if family == 6 and cands is not None:
        # The pref printed for an answer through an IPv6 multipath route comes from the per-CPU
        # route copy of the sibling, made with the flags of the route that route selection
        # scored best at the time (fib6_select_path does not update res->fib6_flags): it
        # depends on earlier lookups and on the CPU, so it is not compared.
        skip.add("pref")
    diffs = []
    if cands and len(cands) > 1:
        wsel = [w.get("gateway"), w.get("dev")]
        ksel = [k.get("gateway"), k.get("dev")]
        if k.get("type") != "unicast":     # broadcast/multicast/local results carry no gateway
            cands = [[None, c[1]] for c in cands]
        # a gateway that resolves through a local route gives a host-scope nexthop, and
        # then no gateway is printed: match such answers on the device alone
        if wsel not in cands and not (wsel[0] is None and any(c[1] == wsel[1] for c in cands)):
            diffs.append(("nexthop", cands, wsel))
            skip |= {"gateway", "dev"}
        if wsel != ksel or cands.count(ksel) > 1:    # another nexthop, or cannot tell which
            skip |= {"gateway", "dev", "prefsrc", "cache", "flags"}
            if family == 6:
                skip.add("protocol")            # IPv6 siblings are routes, each with its own

    for key in sorted(set(k) | set(w)):
        if key in skip:
            continue
        if k.get(key, "<absent>") != w.get(key, "<absent>"):
            diffs.append((key, k.get(key, "<absent>"), w.get(key, "<absent>")))
    if not diffs:
        return None
    return ("fields differ: " + ",".join(d[0] for d in diffs), diffs)


def query_kind(q):
    return "input" if " iif " in " %s " % q else "output"


def class_key(q, desc, family):
    return "%s%s lookup: %s" % ("IPv6 " if family == 6 else "", query_kind(q), desc)


def show_commands(family):
    """(title, wildside argv) of the show texts compared; the kernel gets argv[1:]."""
    if family == 6:
        return (("ip -6 rule show", ["ip", "-6", "rule", "show"]),
                ("ip -6 route show table all", ["ip", "-6", "route", "show", "table", "all"]))
    return (("ip rule show", ["ip", "rule", "show"]),
            ("ip -4 route show table all", ["ip", "-4", "route", "show", "table", "all"]))


def compare_show(what, ktext, wtext):
    """Returns None or a description of the difference."""
    if ktext == wtext:
        return None
    kl, wl = ktext.splitlines(), wtext.splitlines()
    if [l.rstrip() for l in kl] == [l.rstrip() for l in wl]:
        return "%s: trailing whitespace differs (e.g. kernel %r, wildside %r)" % (
            what, next((a for a, b in zip(kl, wl) if a != b), ""), next((b for a, b in zip(kl, wl) if a != b), ""))
    if sorted(kl) == sorted(wl):
        return "%s: same lines, different order\n%s" % (what, unified(kl, wl))
    return "%s differs:\n%s" % (what, unified(kl, wl))


def unified(kl, wl, limit=30):
    d = list(difflib.unified_diff(kl, wl, "kernel", "wildside", lineterm="", n=1))
    if len(d) > limit:
        d = d[:limit] + ["... (%d more diff lines)" % (len(d) - limit)]
    return "\n".join("    " + l for l in d)


# ---------------------------------------------------------------------------------------------
# One configuration, both sides


class Outcome:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.mismatches = []        # dicts
        self.classes = {}           # class key -> [count, first mismatch]
        self.show_diffs = []        # (config idx, text)
        self.load_rejects = []      # (config idx, line, wildside error)
        self.reject_accepts = []    # (config idx, line, kernel error)
        self.reject_checked = 0
        self.config_errors = []     # (config idx, text)
        self.inconclusive = []      # (label, query, kernel, wildside): multipath-dependent verdicts
        self.line_cases = []        # LOAD-REJECT / REJECT-ACCEPT lines with what came before, for --minimize
        self.reset_kernel_stats()

    def reset_kernel_stats(self):
        self.kernel_stats = {"lines": 0, "rejected": 0, "queries": 0, "errors": {}, "types": {},
                             "multipath": 0}


def load_with_kernel(cfg, cmds, ws, tmpdir, out, note=True):
    """Applies cmds to a kernel namespace.  When wildside rejects a kernel-accepted line, that line
    is recorded, dropped, and the kernel is rebuilt without it.  Returns (kns, cmds, results, conf)."""
    cmds = list(cmds)
    for _attempt in range(12):
        kns, results = kernel_apply(cfg.links, cmds, tmpdir, cfg.family)
        accepted = [c for c, e in zip(cmds, results) if e is None]
        conf_text = wildside_conf(cfg.links, accepted, "wildside oracle config %d" % cfg.index)
        conf_path = os.path.join(tmpdir, "wildside-%d.conf" % cfg.index)
        with open(conf_path, "w") as f:
            f.write(conf_text)
        if ws is None:
            return kns, cmds, results, conf_path
        try:
            err = ws.load_error(conf_path)
            if err is None:
                return kns, cmds, results, conf_path
            bad = find_rejected_line(ws, cfg.links, accepted, err, tmpdir, conf_path)
        except BaseException:
            kns.close()
            raise
        kns.close()
        if bad is None:
            raise WildsideError("wildside rejects the config but no single line could be blamed: " + err)
        if note:
            werr = ws_err_line(ws, cfg.links, accepted[:bad + 1], tmpdir)
            out.load_rejects.append((cfg_label(cfg), accepted[bad], werr))
            out.line_cases.append({"kind": "LOAD-REJECT", "label": cfg_label(cfg), "links": cfg.links,
                                   "family": cfg.family, "before": accepted[:bad], "line": accepted[bad],
                                   "error": re.sub(r"^\S+:\d+: ", "", werr)})
        cmds.remove(accepted[bad])
    raise WildsideError("%s: too many lines rejected by wildside" % cfg_label(cfg))


def ws_err_line(ws, links, lines, tmpdir):
    path = os.path.join(tmpdir, "probe.conf")
    with open(path, "w") as f:
        f.write(wildside_conf(links, lines))
    e = ws.load_error(path)
    return (e or "").splitlines()[0] if e else ""


def find_rejected_line(ws, links, accepted, err, tmpdir, conf_path):
    """Index in accepted of the first line wildside refuses (from FILE:LINE, else bisection)."""
    with open(conf_path) as f:
        offset = len(f.read().splitlines()) - len(accepted)
    m = re.search(re.escape(os.path.basename(conf_path)) + r":(\d+)", err) or re.search(r"line (\d+)", err)
    if m:
        lineno = int(m.group(1)) - 1 - offset
        if 0 <= lineno < len(accepted):
            return lineno
    path = os.path.join(tmpdir, "bisect.conf")

    def loads(n):
        with open(path, "w") as f:
            f.write(wildside_conf(links, accepted[:n]))
        return ws.load_error(path) is None
    if not loads(0):
        return None
    lo, hi = 0, len(accepted)            # loads(lo) true, loads(hi) false
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if loads(mid):
            lo = mid
        else:
            hi = mid
    return hi - 1


def check_rejects(cfg, cmds, results, ws, tmpdir, out, limit=3):
    """wildside must refuse a config holding one line that the kernel refused."""
    done = 0
    accepted_before = []
    for c, e in zip(cmds, results):
        if e is None:
            accepted_before.append(c)
            continue
        if done >= limit:
            break
        done += 1
        path = os.path.join(tmpdir, "bad.conf")
        with open(path, "w") as f:
            f.write(wildside_conf(cfg.links, accepted_before + [c]))
        out.reject_checked += 1
        if ws.load_error(path) is None:
            out.reject_accepts.append((cfg_label(cfg), c, e.splitlines()[-1] if e else ""))
            out.line_cases.append({"kind": "REJECT-ACCEPT", "label": cfg_label(cfg), "links": cfg.links,
                                   "family": cfg.family, "before": list(accepted_before), "line": c,
                                   "error": e.splitlines()[-1] if e else ""})


def cfg_label(cfg):
    return "%sconfig %d" % ("v6 " if cfg.family == 6 else "", cfg.index)


def run_config(cfg, qargs, ws, tmpdir, args, out, keepdir):
    kns, cmds, results, conf_path = load_with_kernel(cfg, cfg.cmds, ws, tmpdir, out)
    try:
        kans = kns.query(qargs, family=cfg.family)
        kfib = kns.query(qargs, fibmatch=True, family=cfg.family)
        unstable = None
        if cfg.family == 6:
            unstable = unstable_fields(kans, kns.query(qargs[::-1], family=6)[::-1], 6)
        (_, rule_argv), (_, route_argv) = show_commands(cfg.family)
        krules = kns.show(*rule_argv[1:])
        kroutes = kns.show(*route_argv[1:])
    finally:
        kns.close()
    st = out.kernel_stats
    st["unstable"] = st.get("unstable", 0) + sum(1 for u in unstable or () if u)
    st["lines"] += len(cmds)
    st["rejected"] += sum(1 for e in results if e is not None)
    st["queries"] += len(qargs)
    for a in kans:
        if "error" in a:
            st["errors"][a["error"]] = st["errors"].get(a["error"], 0) + 1
        else:
            t = a.get("type", "unicast") + ("/" + str(a.get("table", "unspec")))
            st["types"][t] = st["types"].get(t, 0) + 1
    cands = [fib_candidates(f, q, cfg.family) for f, q in zip(kfib, qargs)]
    st["multipath"] += sum(1 for c in cands if c and len(c) > 1)
    case = make_case(cfg, cmds, results, qargs, kans, cands, krules, kroutes, args.seed)
    if unstable and any(unstable):
        case["unstable"] = unstable
    if ws is None:
        return
    check_rejects(cfg, cmds, results, ws, tmpdir, out)
    failing = evaluate_case(case, conf_path, ws, tmpdir, out, cfg_label(cfg))
    if failing and keepdir:
        case["meta"]["failing_queries"] = failing
        write_case(os.path.join(keepdir, "seed%s-%sconfig%d" % (args.seed, "v6-" if cfg.family == 6 else "",
                                                               cfg.index)), case)


def make_case(cfg, cmds, results, qargs, kans, cands, krules, kroutes, seed):
    accepted = [c for c, e in zip(cmds, results) if e is None]
    rejected = []
    n_ok = 0
    for c, e in zip(cmds, results):
        if e is None:
            n_ok += 1
        else:
            rejected.append({"after": n_ok, "line": c, "kernel_error": e})
    return {
        "family": cfg.family,
        "links": cfg.links,
        "config": wildside_conf(cfg.links, accepted, "generated by tests/oracle/route_oracle.py, seed %s %s%s" % (
            seed, "family 6 " if cfg.family == 6 else "", "config %d" % cfg.index)),
        "accepted": accepted,
        "rejected": rejected,
        "queries": [get_prefix(cfg.family) + q for q in qargs],
        "answers": [norm_kernel(a, cfg.family) for a in kans],
        "candidates": cands,
        "rule_show": krules,
        "route_show": kroutes,
        "meta": {"seed": seed, "config": cfg.index, "kernel": os.uname().release,
                 "iproute2": run([IP, "-V"]).stdout.strip()},
    }


def evaluate_case(case, conf_path, ws, tmpdir, out, label, max_print=None):
    """Compares wildside with a case's kernel answers.  Returns the failing query indexes."""
    family = case.get("family", 4)
    qargs = [strip_get(q) for q in case["queries"]]
    try:
        wans = ws.batch(conf_path, qargs, tmpdir, family)
    except WildsideError as e:
        wans = [{"error": "wildside batch failed: %s" % e}] * len(qargs)
    failing = []
    unstable = case.get("unstable") or [None] * len(qargs)
    results = [compare(ka, wa, cand, family, un)
               for ka, wa, cand, un in zip(case["answers"], wans, case["candidates"], unstable)]
    wfib = multipath_doubts(qargs, case, wans, results, conf_path, ws, tmpdir) if family == 4 else set()
    for i, (q, ka, wa, cand) in enumerate(zip(qargs, case["answers"], wans, case["candidates"])):
        res = results[i]
        if res is None:
            out.passed += 1
            continue
        if i in wfib:
            out.passed += 1
            out.inconclusive.append((label, get_prefix(family) + q, ka, wa))
            continue
        out.failed += 1
        failing.append(i)
        desc, diffs = res
        key = class_key(q, desc, family)
        mm = {"label": label, "query": get_prefix(family) + q, "kernel": ka, "wildside": wa, "diffs": diffs,
              "class": key, "case": case}
        out.mismatches.append(mm)
        ent = out.classes.setdefault(key, [0, mm])
        ent[0] += 1
    (rule_what, rule_argv), (route_what, route_argv) = show_commands(family)
    for what, kshow, args in ((rule_what, case.get("rule_show"), rule_argv),
                              (route_what, case.get("route_show"), route_argv)):
        if kshow is None:
            continue
        p = ws.run(conf_path, args)
        d = compare_show(what, kshow, p.stdout if p.returncode == 0 else
                         "<exit %d> %s" % (p.returncode, p.stderr.strip()))
        if d:
            out.show_diffs.append((label, d))
    return failing


def dump_case_json(exp):
    """Readable JSON: one line per answer, query or candidate set."""
    parts = []
    for k in sorted(exp):
        v = exp[k]
        if isinstance(v, list) and v:
            body = ",\n".join("  " + json.dumps(x, sort_keys=True) for x in v)
            parts.append(" %s: [\n%s\n ]" % (json.dumps(k), body))
        else:
            parts.append(" %s: %s" % (json.dumps(k), json.dumps(v, sort_keys=True)))
    return "{\n" + ",\n".join(parts) + "\n}\n"


def multipath_doubts(qargs, case, wans, results, conf_path, ws, tmpdir):
    """Indexes of input lookups where one side says EINVAL and the other routes through a
    multipath route: the reverse-path check runs with iif = the chosen nexthop's device, so
    the verdict depends on the hash choice, which is not compared."""
    doubt, ask = set(), []
    for i, (q, ka, wa, res) in enumerate(zip(qargs, case["answers"], wans, results)):
        if res is None or query_kind(q) != "input" or not isinstance(wa, dict):
            continue
        cand = case["candidates"][i]
        if "error" not in ka and cand and len(cand) > 1 and wa.get("error") == "Invalid argument":
            doubt.add(i)
        elif ka.get("error") == "Invalid argument" and "error" not in wa:
            ask.append(i)
    if ask:
        try:
            fm = ws.batch(conf_path, [qargs[i] + " fibmatch" for i in ask], tmpdir)
        except WildsideError:
            fm = []
        for i, f in zip(ask, fm):
            if isinstance(f, dict) and len(f.get("nexthops", [])) > 1:
                doubt.add(i)
    return doubt


def write_case(d, case):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.conf"), "w") as f:
        f.write(case["config"])
    with open(os.path.join(d, "queries.txt"), "w") as f:
        f.write("\n".join(case["queries"]) + "\n")
    exp = {k: case[k] for k in ("links", "rejected", "answers", "candidates", "rule_show", "route_show", "meta")}
    if case.get("family", 4) == 6:
        exp["family"] = 6
    if case.get("strict_reject"):
        exp["strict_reject"] = True
    if case.get("unstable"):
        exp["unstable"] = case["unstable"]
    exp["queries"] = case["queries"]
    with open(os.path.join(d, "expected.json"), "w") as f:
        f.write(dump_case_json(exp))
    with open(os.path.join(d, "kernel-commands.txt"), "w") as f:
        f.write("# every generated line, in order; lines the kernel refused are commented with its error\n")
        acc = iter(case["accepted"])
        rej = {r["after"]: [] for r in case["rejected"]}
        for r in case["rejected"]:
            rej[r["after"]].append(r)
        lines = []
        for n in range(len(case["accepted"]) + 1):
            for r in rej.get(n, []):
                lines.append("# REJECTED (%s): %s" % (r["kernel_error"].replace("\n", " | "), r["line"]))
            if n < len(case["accepted"]):
                lines.append(next(acc))
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Minimisation of one disagreement (delta debugging on the command lines, then on query options)


def reproduce(links, cmds, q, ws, tmpdir, klass, family=4):
    """Runs one query on both sides; returns (still failing with the same class, kans, wans)."""
    kns, results = kernel_apply(links, cmds, tmpdir, family)
    try:
        ka = kns.query([q], family=family)[0]
        kf = kns.query([q], fibmatch=True, family=family)[0]
    finally:
        kns.close()
    accepted = [c for c, e in zip(cmds, results) if e is None]
    path = os.path.join(tmpdir, "min.conf")
    with open(path, "w") as f:
        f.write(wildside_conf(links, accepted))
    if ws.load_error(path) is not None:
        return False, ka, None, accepted
    try:
        wa = ws.batch(path, [q], tmpdir, family)[0]
    except WildsideError:
        return False, ka, None, accepted
    res = compare(ka, wa, fib_candidates(kf, q, family), family)
    same = res is not None and class_key(q, res[0], family) == klass
    return same, ka, wa, accepted


def minimize(links, cmds, q, ws, tmpdir, klass, deadline, family=4):
    def test(sub):
        if time.time() > deadline:
            return False
        return reproduce(links, sub, q, ws, tmpdir, klass, family)[0]
    items = list(cmds)
    n = 2
    while len(items) >= 2 and time.time() < deadline:
        chunk = (len(items) + n - 1) // n
        parts = [items[i:i + chunk] for i in range(0, len(items), chunk)]
        done = False
        for p in parts:
            if test(p):
                items, n, done = p, 2, True
                break
        if not done:
            for i in range(len(parts)):
                comp = [x for j, p in enumerate(parts) if j != i for x in p]
                if test(comp):
                    items, n, done = comp, max(n - 1, 2), True
                    break
        if not done:
            if n >= len(items):
                break
            n = min(len(items), 2 * n)
    i = 0
    while i < len(items) and time.time() < deadline:
        cand = items[:i] + items[i + 1:]
        if test(cand):
            items = cand
        else:
            i += 1
    # then the query's options
    words = q.split()
    i = 1
    while i < len(words) - 1 and time.time() < deadline:
        if words[i] in ("from", "iif") and "iif" in words:
            i += 2
            continue
        cand = words[:i] + words[i + 2:]
        if reproduce(links, items, " ".join(cand), ws, tmpdir, klass, family)[0]:
            words = cand
        else:
            i += 2
    q = " ".join(words)
    _, ka, wa, accepted = reproduce(links, items, q, ws, tmpdir, klass, family)
    return accepted, q, ka, wa


# ---------------------------------------------------------------------------------------------
# Modes


def fmt(a):
    return json.dumps(a, sort_keys=True, separators=(",", ":"))


def report(out, args):
    shown = 0
    for mm in out.mismatches:
        if shown >= args.max_report:
            print("... %d more disagreements not printed (--max-report)" % (len(out.mismatches) - shown))
            break
        shown += 1
        print("DISAGREE %s: %s\n    kernel:   %s\n    wildside: %s\n    differs:  %s" %
              (mm["label"], mm["query"], fmt(mm["kernel"]), fmt(mm["wildside"]),
               "; ".join("%s kernel=%s wildside=%s" % (f, fmt(a), fmt(b)) for f, a, b in mm["diffs"])))
    for label, d in out.show_diffs:
        print("SHOW-DIFF %s: %s" % (label, d))
    for label, q, ka, wa in out.inconclusive:
        print("INCONCLUSIVE %s: %s (multipath: the verdict depends on the nexthop the hash picks)"
              "\n    kernel:   %s\n    wildside: %s" % (label, q, fmt(ka), fmt(wa)))
    for idx, err in out.config_errors:
        print("CONFIG-ERROR %s: %s (all its queries count as failed)" % (idx, err))
    for idx, line, err in out.load_rejects:
        print("LOAD-REJECT %s: wildside refuses a line the kernel accepted: %s\n    wildside: %s"
              % (idx, line, err))
    for idx, line, err in out.reject_accepts:
        print("REJECT-ACCEPT %s: wildside accepts a line the kernel refused (%s): %s" % (idx, err, line))
    if out.classes:
        print("\nclasses of disagreement (count, first example):")
        for key, (cnt, mm) in sorted(out.classes.items(), key=lambda kv: -kv[1][0]):
            print("  %5d  %s\n         e.g. %s: %s\n           kernel   %s\n           wildside %s" %
                  (cnt, key, mm["label"], mm["query"], fmt(mm["kernel"]), fmt(mm["wildside"])))


def families(args):
    return {"4": [4], "6": [6], "all": [4, 6]}[args.family]


def kernel_summary(out, family=4):
    st = out.kernel_stats
    print("kernel%s: %d config lines (%d rejected by the kernel), %d queries, %d multipath answers" %
          (" (IPv6)" if family == 6 else "", st["lines"], st["rejected"], st["queries"], st["multipath"]))
    if st.get("unstable"):
        print("kernel: %d answers changed with the query order (those fields are not compared)" % st["unstable"])
    print("kernel answers: " + ", ".join("%s=%d" % kv for kv in sorted(st["types"].items(), key=lambda x: -x[1])))
    print("kernel errors:  " + ", ".join("%s=%d" % kv for kv in sorted(st["errors"].items(), key=lambda x: -x[1])))


def snapshot_wildsidectl(path, tmpdir):
    """A private copy, so that a rebuild during a long run does not mix two versions."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.stat(path).st_mtime))
    print("oracle: wildsidectl %s (built %s)" % (path, stamp))
    if path.endswith(".py"):
        return Wildside(os.path.abspath(path))
    copy = os.path.join(tmpdir, "wildsidectl")
    try:
        shutil.copy2(path, copy)
        return Wildside(copy)
    except OSError:
        return Wildside(os.path.abspath(path))


def mode_oracle(args):
    ws = None
    tmpdir = tempfile.mkdtemp(prefix="wsor-")
    if args.wildsidectl and os.access(args.wildsidectl, os.X_OK):
        ws = snapshot_wildsidectl(args.wildsidectl, tmpdir)
    elif args.require_wildside:
        print("oracle: %s is missing or not executable" % args.wildsidectl)
        shutil.rmtree(tmpdir, ignore_errors=True)
        return 2
    else:
        print("oracle: %s not found: running the kernel half only (the wildside half is SKIPPED)"
              % args.wildsidectl)
    out = Outcome()
    t0 = time.time()
    try:
        for family in families(args):
            for idx in range(args.first, args.first + args.configs):
                cfg = generate_config(args.seed, idx, family)
                qargs = generate_queries(args.seed, cfg, args.queries)
                if args.verbose:
                    print("%s: %d lines, %d queries" % (cfg_label(cfg), len(cfg.cmds), len(qargs)), flush=True)
                try:
                    run_config(cfg, qargs, ws, tmpdir, args, out, args.keep)
                except WildsideError as e:
                    out.failed += len(qargs)
                    out.config_errors.append((cfg_label(cfg), str(e)))
            kernel_summary(out, family)
            out.reset_kernel_stats()
        if ws is not None:
            report(out, args)
            if args.minimize and out.classes:
                minimize_classes(out, ws, tmpdir, args)
            if args.minimize and out.line_cases:
                minimize_line_cases(out, ws, tmpdir, args)
    finally:
        _cleanup_all()
        shutil.rmtree(tmpdir, ignore_errors=True)
    print("time: %.1fs" % (time.time() - t0))
    if ws is None:
        print("oracle: 0 passed, 0 failed (wildside half skipped: %s not found)" % args.wildsidectl)
        return 0
    print("oracle: %d show mismatches, %d lines wildside refused but the kernel accepted, "
          "%d of %d kernel-refused lines accepted by wildside, %d multipath-inconclusive (counted as passed)" %
          (len(out.show_diffs), len(out.load_rejects), len(out.reject_accepts), out.reject_checked,
           len(out.inconclusive)))
    print("oracle: %d passed, %d failed" % (out.passed, out.failed))
    bad = (out.failed or out.show_diffs or out.load_rejects or out.config_errors or
           (args.strict_reject and out.reject_accepts))
    return 1 if bad else 0


def minimize_classes(out, ws, tmpdir, args):
    print("\nminimised examples:")
    items = sorted(out.classes.items(), key=lambda kv: -kv[1][0])[: args.minimize]
    for n, (key, (_cnt, mm)) in enumerate(items):
        case = mm["case"]
        cmds = case["accepted"]
        family = case.get("family", 4)
        q = strip_get(mm["query"])
        deadline = time.time() + args.minimize_seconds
        try:
            acc, q2, ka, wa = minimize(case["links"], cmds, q, ws, tmpdir, key, deadline, family)
        except WildsideError as e:
            print("--- %s\n  (not minimised: %s)" % (key, e))
            continue
        print("--- %s\n%s\n  query:    %s%s\n  kernel:   %s\n  wildside: %s" %
              (key, "\n".join("  " + l for l in acc), get_prefix(family), q2, fmt(ka), fmt(wa)))
        if args.keep:
            d = os.path.join(args.keep, "min-%s%02d" % ("v6-" if family == 6 else "", n))
            kns, results = kernel_apply(case["links"], acc, tmpdir, family)
            try:
                kans = kns.query([q2], family=family)
                kf = kns.query([q2], fibmatch=True, family=family)
            finally:
                kns.close()
            c = {"family": family, "links": case["links"],
                 "config": wildside_conf(case["links"], acc, "minimised: " + key),
                 "accepted": acc, "rejected": [], "queries": [get_prefix(family) + q2],
                 "answers": [norm_kernel(a, family) for a in kans], "candidates": [fib_candidates(kf[0], q2, family)],
                 "rule_show": None, "route_show": None,
                 "meta": dict(case["meta"], minimised_from=mm["label"], klass=key)}
            write_case(d, c)


def line_verdicts(links, before, line, ws, tmpdir, family):
    """(kernel error or None for line, wildside accepts the kernel-accepted part of before,
    wildside accepts line after it, the kernel-accepted lines of before)."""
    kns, results = kernel_apply(links, before + [line], tmpdir, family)
    kns.close()
    acc = [c for c, e in zip(before, results) if e is None]
    path = os.path.join(tmpdir, "minline.conf")
    with open(path, "w") as f:
        f.write(wildside_conf(links, acc))
    prefix_ok = ws.load_error(path) is None
    with open(path, "w") as f:
        f.write(wildside_conf(links, acc + [line]))
    return results[-1], prefix_ok, ws.load_error(path) is None, acc


def minimize_line_cases(out, ws, tmpdir, args):
    """Delta-debugs the lines before one LOAD-REJECT / REJECT-ACCEPT line of each distinct error."""
    seen = {}
    for lc in out.line_cases:
        seen.setdefault((lc["kind"], lc["error"]), lc)
    print("\nminimised config lines (wildside and the kernel disagree on accepting the last line):")
    for n, ((kind, err), lc) in enumerate(sorted(seen.items())[: args.minimize]):
        links, line, family = lc["links"], lc["line"], lc["family"]
        deadline = time.time() + args.minimize_seconds

        def still(sub):
            if time.time() > deadline:
                return False
            kerr, prefix_ok, ws_ok, _ = line_verdicts(links, sub, line, ws, tmpdir, family)
            if kind == "LOAD-REJECT":
                return kerr is None and prefix_ok and not ws_ok
            return kerr is not None and kerr.splitlines()[-1] == err and prefix_ok and ws_ok
        items = list(lc["before"])
        if not still(items):
            print("--- %s %s\n  (does not reproduce: %s)" % (kind, err, line))
            continue
        i = 0
        while i < len(items) and time.time() < deadline:      # one line at a time, from the end
            j = len(items) - 1 - i
            cand = items[:j] + items[j + 1:]
            if still(cand):
                items = cand
            else:
                i += 1
        kerr, _, _, acc = line_verdicts(links, items, line, ws, tmpdir, family)
        print("--- %s (%s)\n%s\n  %s   <- kernel: %s" % (kind, err, "\n".join("  " + l for l in acc), line,
                                                     "accepted" if kerr is None else kerr.splitlines()[-1]))
        if args.keep:
            record_line_case(os.path.join(args.keep, "min-%sline-%02d" % ("v6-" if family == 6 else "", n)),
                             links, acc, line, family, tmpdir, dict(kind=kind, error=err, minimised_from=lc["label"]))


def record_line_case(d, links, acc, line, family, tmpdir, meta):
    """A case holding lines acc + line, kernel-answered, with a query into the line's prefix."""
    qargs = []
    for w in line.split()[3:]:
        try:
            net = ipaddress.ip_network(w if w not in ("default",) else ("::/0" if family == 6 else "0.0.0.0/0"),
                                       strict=False)
        except ValueError:
            continue
        if net.version == family:
            qargs.append(str(net.network_address + (1 if net.num_addresses > 2 else 0)))
            break
    cmds = acc + [line]
    kns, results = kernel_apply(links, cmds, tmpdir, family)
    try:
        kans = kns.query(qargs, family=family)
        kf = kns.query(qargs, fibmatch=True, family=family)
        (_, rule_argv), (_, route_argv) = show_commands(family)
        krules = kns.show(*rule_argv[1:])
        kroutes = kns.show(*route_argv[1:])
    finally:
        kns.close()
    cfg = Config(0, links, family)
    case = make_case(cfg, cmds, results, qargs, kans, [fib_candidates(f, q, family) for f, q in zip(kf, qargs)],
                     krules, kroutes, "minimised")
    case["config"] = wildside_conf(links, case["accepted"], "minimised %s: %s" % (meta["kind"], meta["error"]))
    case["meta"].update(meta)
    if case["rejected"]:
        case["strict_reject"] = True         # replay fails while wildside accepts the refused line
    write_case(d, case)


def find_cases(root):
    if os.path.isfile(os.path.join(root, "expected.json")):
        return [root]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if "expected.json" in filenames and "config.conf" in filenames:
            found.append(dirpath)
    return found


def mode_replay(args):
    if not (args.wildsidectl and os.access(args.wildsidectl, os.X_OK)):
        print("oracle: %s not found: replay SKIPPED" % args.wildsidectl)
        print("oracle: 0 passed, 0 failed")
        return 2 if args.require_wildside else 0
    out = Outcome()
    tmpdir = tempfile.mkdtemp(prefix="wsor-replay-")
    ws = snapshot_wildsidectl(args.wildsidectl, tmpdir)
    try:
        cases = find_cases(args.replay)
        for d in cases:
            with open(os.path.join(d, "expected.json")) as f:
                exp = json.load(f)
            with open(os.path.join(d, "config.conf")) as f:
                conf = f.read()
            case = dict(exp)
            case["config"] = conf
            case["accepted"] = []
            label = os.path.relpath(d, args.replay) if d != args.replay else os.path.basename(d)
            conf_path = os.path.join(d, "config.conf")
            err = ws.load_error(conf_path)
            if err is not None:
                out.failed += len(exp["queries"])
                out.load_rejects.append((label, "(whole config)", err.splitlines()[0]))
                continue
            evaluate_case(case, os.path.abspath(conf_path), ws, tmpdir, out, label)
            links = exp.get("links", [])
            accepted = [l for l in conf.splitlines() if l.strip() and not l.startswith("#")
                        and not l.startswith("ip link ")]
            for r in exp.get("rejected", []):
                bad = os.path.join(tmpdir, "bad.conf")
                with open(bad, "w") as f:
                    f.write(wildside_conf(links, accepted[: r["after"]] + [r["line"]]))
                out.reject_checked += 1
                accepts = ws.load_error(bad) is None
                if accepts:
                    out.reject_accepts.append((label, r["line"], r["kernel_error"].splitlines()[-1]))
                if exp.get("strict_reject"):
                    # a case recorded for this refusal: the refused line counts as one check
                    if accepts:
                        out.failed += 1
                        print("REJECT-ACCEPT %s counts as failed (strict_reject case): %s" % (label, r["line"]))
                    else:
                        out.passed += 1
        print("replayed %d cases from %s" % (len(cases), args.replay))
        report(out, args)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    print("oracle: %d show mismatches, %d of %d kernel-refused lines accepted by wildside, "
          "%d multipath-inconclusive (counted as passed)" %
          (len(out.show_diffs), len(out.reject_accepts), out.reject_checked, len(out.inconclusive)))
    print("oracle: %d passed, %d failed" % (out.passed, out.failed))
    bad = out.failed or out.show_diffs or out.load_rejects or (args.strict_reject and out.reject_accepts)
    return 1 if bad else 0


def mode_record(args):
    """Turns a hand-written config (wildside syntax) plus queries into a kernel-answered case."""
    src_conf, src_queries, outdir = args.record
    links, cmds, header = [], [], []
    with open(src_conf) as f:
        source_text = f.read()
    with open(src_queries) as f:
        queries_text = f.read()
    for line in source_text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line[1:].strip())            # the leading comment describes the case
    for line in source_text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"ip link add (\S+) type dummy$", line)
        if m:
            links.append(m.group(1))
            continue
        if re.match(r"ip link set \S+ up$", line):
            continue
        cmds.append(line)
    qlines = [l.strip() for l in queries_text.splitlines() if l.strip() and not l.startswith("#")]
    # a case is of one family: `ip -6 route get` queries make it an IPv6 case
    family = 6 if any(l.startswith("ip -6 ") for l in qlines) else 4
    if any(l.startswith("ip -6 ") != (family == 6) for l in qlines if l.startswith("ip ")):
        print("oracle: %s mixes `ip route get` and `ip -6 route get`" % src_queries)
        return 2
    qargs = [strip_get(l) for l in qlines]
    cfg = Config(0, links, family)
    tmpdir = tempfile.mkdtemp(prefix="wsor-rec-")
    try:
        kns, results = kernel_apply(links, cmds, tmpdir, family)
        try:
            kans = kns.query(qargs, family=family)
            kfib = kns.query(qargs, fibmatch=True, family=family)
            unstable = unstable_fields(kans, kns.query(qargs[::-1], family=6)[::-1], 6) if family == 6 else None
            (_, rule_argv), (_, route_argv) = show_commands(family)
            krules = kns.show(*rule_argv[1:])
            kroutes = kns.show(*route_argv[1:])
        finally:
            kns.close()
    finally:
        _cleanup_all()
        shutil.rmtree(tmpdir, ignore_errors=True)
    case = make_case(cfg, cmds, results, qargs, kans, [fib_candidates(f, q, family) for f, q in zip(kfib, qargs)],
                     krules, kroutes, "record")
    case["config"] = wildside_conf(links, case["accepted"], "\n".join(
        header + ["kernel-accepted lines of source.conf (re-record: route_oracle.py --record "
                  "DIR/source.conf DIR/queries.txt DIR)"]))
    case["meta"]["source"] = "source.conf"
    if unstable and any(unstable):
        case["unstable"] = unstable
        for q, u in zip(qargs, unstable):
            if u:
                print("unstable (not compared): %s: %s" % (q, ", ".join(u)))
    if args.strict_reject and case["rejected"]:
        case["strict_reject"] = True     # replay fails while wildside accepts a refused line
    write_case(outdir, case)
    with open(os.path.join(outdir, "source.conf"), "w") as f:
        f.write(source_text)
    for r in case["rejected"]:
        print("kernel refused: %s (%s)" % (r["line"], r["kernel_error"].splitlines()[-1]))
    for q, a in zip(case["queries"], case["answers"]):
        print("%s\n    %s" % (q, fmt(a)))
    print("recorded %d queries into %s" % (len(qargs), outdir))
    return 0


def mode_show_config(args):
    for family in families(args):
        cfg = generate_config(args.seed, args.first, family)
        print("\n".join(wildside_conf(cfg.links, cfg.cmds).splitlines()))
        print("# queries")
        for q in generate_queries(args.seed, cfg, args.queries):
            print(get_prefix(family) + q)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wildsidectl", default="build/wildsidectl")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--family", choices=["4", "6", "all"], default="4",
                    help="address family of the generated configurations (all: IPv4, then IPv6)")
    ap.add_argument("--configs", type=int, default=20)
    ap.add_argument("--first", type=int, default=0, help="index of the first configuration")
    ap.add_argument("--queries", type=int, default=300, help="queries per configuration")
    ap.add_argument("--keep", metavar="DIR", help="write a reproducer per failing configuration into DIR")
    ap.add_argument("--replay", metavar="DIR", help="replay saved reproducers (no kernel needed)")
    ap.add_argument("--record", nargs=3, metavar=("CONF", "QUERIES", "OUTDIR"),
                    help="record the kernel's answers for a hand-written config into a case directory")
    ap.add_argument("--minimize", type=int, default=0, metavar="N",
                    help="delta-debug one example of each of the N most frequent classes")
    ap.add_argument("--minimize-seconds", type=float, default=60.0)
    ap.add_argument("--max-report", type=int, default=100)
    ap.add_argument("--require-wildside", action="store_true", help="fail (exit 2) when wildsidectl is missing")
    ap.add_argument("--strict-reject", action="store_true",
                    help="also fail when wildside accepts a line that the kernel refused")
    ap.add_argument("--print-config", action="store_true", help="print config --first and its queries, then exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.print_config:
        return mode_show_config(args)
    if args.replay:
        return mode_replay(args)
    if os.geteuid() != 0:
        print("oracle: needs root (network namespaces): SKIPPED")
        print("oracle: 0 passed, 0 failed")
        return 0
    signal.signal(signal.SIGINT, signal.default_int_handler)     # even if inherited as ignored
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        if args.record:
            return mode_record(args)
        return mode_oracle(args)
    except KeyboardInterrupt:
        _cleanup_all()
        print("oracle: interrupted")
        return 130
    finally:
        _cleanup_all()


if __name__ == "__main__":
    sys.exit(main())
