#!/usr/bin/python3
"""Kernel oracle for `iptables` / `ip6tables`: wildside's grammar, model and listings against
iptables 1.8.9 (nf_tables) and the kernel.

Part 1 — listings. Seeded random command scripts (-A/-I/-R/-D/-F/-P/-N/-X/-E over both families
and the mangle and filter tables, with every match and target wildside reads) go to a fresh
network namespace, one `iptables` per line; the lines iptables took go to `wildsidectl -c CONF`.
Then `-S`, `-S CHAIN`, `-L -n -v`, `-L -n -v -x`, `-L -n --line-numbers`, `-L CHAIN -n` must
be the same text from both, byte for byte (no packet has gone through the namespace, so every
counter is 0 on both sides). Every line iptables refused, appended to the lines it took before
it, must make wildsidectl fail on that line with iptables' message (its "iptables v1.8.9
(nf_tables): " or "iptables: " prefix left off; wildside may add a reason in parentheses).

Part 2 — error texts: a fixed list of bad lines, each against iptables and wildsidectl.

Part 3 — packets (--packets N), in tests/iptables/ipt_packets.py: a namespace router R (a veth
pair to a client namespace, three to sink namespaces) with random mangle PREROUTING rule sets
(MARK, DSCP, ACCEPT/DROP/RETURN, user chains) and `ip rule fwmark` routing (mark bit 0 -> r2,
bit 1 -> r3, else r1); N generated packets (IPv4 and IPv6; TCP, UDP, SCTP, ICMP, GRE; ports, TOS
and DSCP values, fragments, payloads for -m string, lengths for -m length), 30 per rule set, are
sent in, and a raw socket on each far end sees which interface the kernel forwarded each out of.
  - the model: the mark wildside's matcher computes for the same packet (tests/iptables/ipt_tool,
    which runs IptRule::matches() and apply_target() over Firewall::traverse()) must pick the same
    interface;
  - the dataplane (--wildside, default: next to --wildsidectl; '' leaves it out): the same rule
    set and fwmark routing as a wildside config on net_pcap ports named r0-r3, the same packets
    fed to r0's rx pcap (one wildside run per rule set): every packet must leave wildside by the
    port the kernel used, a packet the kernel dropped must be in no tx pcap and counted as
    fw-drop. IPv4 fragments are left out (wildside drops them all, as ip4-fragment drops).

Standard library only, but for Part 3's wildside half, which borrows the pcap helpers of
tests/pcap/run_pcap_tests.py (scapy). Run as root with /usr/bin/python3:

    tests/iptables/iptables_oracle.py --wildsidectl build/wildsidectl --wildside build/wildside \\
        --ipt-tool build/tests/iptables/ipt_tool --seed 1 --configs 20 --lines 60 --packets 300

(about a minute). Exit status 0 when everything agreed, 1 on a disagreement (each is printed with its script).
"""

import argparse
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile

IP = shutil.which("ip") or "/sbin/ip"
PREFIXES = ("iptables v1.8.9 (nf_tables): ", "ip6tables v1.8.9 (nf_tables): ", "iptables: ", "ip6tables: ")


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


class Namespace:
    """A throw-away network namespace, deleted on close."""

    def __init__(self, name):
        self.name = name
        run([IP, "netns", "del", name])
        rc, _, err = run([IP, "netns", "add", name])
        if rc:
            raise RuntimeError("ip netns add %s: %s" % (name, err.strip()))

    def exec(self, argv, stdin=None):
        return run([IP, "netns", "exec", self.name] + list(argv), stdin=stdin)

    def reset(self):
        for prog in ("iptables", "ip6tables"):
            for table in ("mangle", "filter"):
                self.exec([prog, "-t", table, "-F"])
                self.exec([prog, "-t", table, "-X"])
                for chain in ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"):
                    self.exec([prog, "-t", table, "-P", chain, "ACCEPT"])

    def close(self):
        run([IP, "netns", "del", self.name])


def kernel_message(err):
    """iptables' error line, its program prefix left off."""
    lines = [l for l in err.splitlines() if l.strip()]
    for l in lines:
        for p in PREFIXES:
            if l.startswith(p):
                return l[len(p):].strip()
    return lines[0].strip() if lines else ""


def same_message(kernel, wildside):
    return wildside == kernel or wildside.startswith(kernel + " (")


# ---------------------------------------------------------------------------------------------
# Random scripts

ADDR4 = ["10.0.0.0/8", "10.1.2.3", "192.0.2.1/24", "192.0.2.128/25", "0.0.0.0/0", "1.2.3.4/255.0.255.0",
         "172.16.5.4/12", "10.9.9.9/32", "198.51.100.7/0x10", "10.1"]
ADDR6 = ["2001:db8::/32", "2001:db8::1", "fe80::1/64", "::/0", "2001:db8:1::/ffff:ffff:0:ffff::", "fd00::5/128",
         "::ffff:1.2.3.4"]
IFACES = ["eth0", "eth1", "veth+", "+", "wan0", "a1234567890123", "lo"]
MARKS = ["0x1", "1", "0x10/0xf0", "0xffffffff", "7/0", "0", "010", "0x80000000/0x80000000"]
PORTS = ["22", "1:1024", ":100", "1000:", "80:80", "ssh", "domain", "0", "65535", "5:3", "0:65535", ":65534", "1:"]


class Gen:
    def __init__(self, rnd, v6):
        self.r = rnd
        self.v6 = v6
        self.no_out = False  # the packet part: rules for PREROUTING and the chains it jumps to
        self.prog = "ip6tables" if v6 else "iptables"
        self.chains = {"mangle": [], "filter": []}
        self.rules = {}  # (table, chain) -> [rule text]

    def pick(self, xs):
        return self.r.choice(xs)

    def inv(self, p=0.2):
        return "! " if self.r.random() < p else ""

    def builtins(self, table):
        if table == "filter":
            return ["INPUT", "FORWARD", "OUTPUT"]
        return ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]

    def ports(self):
        return self.pick(PORTS)

    def rule(self, table, chain):
        r, parts = self.r, []
        addrs = ADDR6 if self.v6 else ADDR4
        if r.random() < 0.4:
            parts.append(self.inv() + "-s " + self.pick(addrs))
        elif r.random() < 0.1:
            parts.append("-s %s,%s" % (self.pick(addrs), self.pick(addrs)))
        if r.random() < 0.3:
            parts.append(self.inv() + "-d " + self.pick(addrs))
        if r.random() < 0.3 and chain not in ("OUTPUT", "POSTROUTING"):
            parts.append(self.inv() + "-i " + self.pick(IFACES))
        if r.random() < 0.3 and chain not in ("PREROUTING", "INPUT") and not self.no_out:
            parts.append(self.inv() + "-o " + self.pick(IFACES))
        proto = None
        if r.random() < 0.6:
            proto = self.pick(["tcp", "udp", "sctp", "icmpv6" if self.v6 else "icmp", "all", "47", "esp", "6", "17",
                               "0x11", "TCP"])
            pinv = self.inv(0.1) if proto not in ("all",) else ""
            parts.append(pinv + "-p " + proto)
            p = proto.lower()
            p = {"6": "tcp", "17": "udp", "0x11": "udp"}.get(p, p)
            if not pinv and p in ("tcp", "udp", "sctp"):
                if r.random() < 0.15:
                    parts.append("-m " + p)
                if r.random() < 0.5:
                    parts.append(self.inv() + "--sport " + self.ports())
                if r.random() < 0.6:
                    parts.append(self.inv() + "--dport " + self.ports())
                if r.random() < 0.2:
                    parts.append("-m multiport %s--%s %s" % (self.inv(), self.pick(["sports", "dports", "ports"]),
                                                              ",".join(self.pick(["22", "80:90", "443", "1000:2000", "53"])
                                                                       for _ in range(r.randint(1, 5)))))
            if not pinv and p in ("icmp", "icmpv6"):
                if r.random() < 0.7:
                    opt = "--icmpv6-type" if self.v6 else "--icmp-type"
                    types = (["echo-request", "1/3", "128", "destination-unreachable", "packet-too-big", "ping"] if self.v6 else
                             ["echo-request", "8", "3/1", "any", "port-unreachable", "0x3/0x1", "time-exceeded", "pong"])
                    parts.append(self.inv() + opt + " " + self.pick(types))
        if not self.v6 and r.random() < 0.05:
            parts.append(self.inv() + "-f")
        for _ in range(r.randint(0, 2)):
            k = r.random()
            if k < 0.25:
                parts.append("-m mark %s--mark %s" % (self.inv(), self.pick(MARKS)))
            elif k < 0.4:
                parts.append("-m dscp %s%s" % (self.inv(), self.pick(["--dscp 10", "--dscp 0x3f", "--dscp-class EF",
                                                                       "--dscp-class af41", "--dscp 0"])))
            elif k < 0.55:
                parts.append("-m tos %s--tos %s" % (self.inv(), self.pick(["0x10", "16/0x3f", "Minimize-Delay",
                                                                          "normal-service", "0x08/0x0c"])))
            elif k < 0.75:
                parts.append("-m length %s--length %s" % (self.inv(), self.pick(["100", "0:64", "1400:", ":80",
                                                                                "200:100", "0x40"])))
            else:
                pat = self.pick(["--string foo", "--string 'GET /'", "--hex-string '|deadbeef|'",
                                 "--hex-string '|41 42|C'", "--string x"])
                extra = ""
                if r.random() < 0.3:
                    extra += " --from %d" % r.randint(0, 60)
                if r.random() < 0.3:
                    extra += " --to %d" % r.randint(0, 1500)
                if r.random() < 0.3:
                    extra += " --icase"
                parts.append("-m string %s%s --algo %s%s" % (self.inv(), pat, self.pick(["bm", "kmp"]), extra))
        parts.append(self.target(table, chain))
        return " ".join(p for p in parts if p)

    def target(self, table, chain):
        r = self.r
        k = r.random()
        if k < 0.1:
            return ""
        if k < 0.25:
            return "-j " + self.pick(["ACCEPT", "DROP", "RETURN"])
        if k < 0.5:
            opt = self.pick(["--set-mark", "--set-xmark", "--and-mark", "--or-mark", "--xor-mark"])
            val = self.pick(["0x1", "0x10/0xf0", "7", "0", "0xffffffff", "0x2/0x3"])
            if opt in ("--and-mark", "--or-mark", "--xor-mark"):
                val = val.split("/")[0]
            return "-j MARK %s %s" % (opt, val)
        if k < 0.65:
            if table == "mangle" or r.random() < 0.2:
                return "-j DSCP " + self.pick(["--set-dscp 10", "--set-dscp 0x2e", "--set-dscp-class AF11", "--set-dscp-class cs5"])
        if k < 0.8:
            if table == "filter" or r.random() < 0.2:
                names = (["icmp6-no-route", "icmp6-adm-prohibited", "addr-unreach", "icmp6-port-unreachable", "tcp-reset",
                          "policy-fail", "icmp6-reject-route"] if self.v6 else
                         ["icmp-net-unreachable", "host-unreach", "icmp-proto-unreachable", "icmp-port-unreachable",
                          "net-prohib", "icmp-host-prohibited", "tcp-reset", "icmp-admin-prohibited"])
                return "-j REJECT" + ("" if r.random() < 0.2 else " --reject-with " + self.pick(names))
        if self.chains[table] and chain not in self.chains[table][:1]:
            return self.pick(["-j ", "-g "]) + self.pick(self.chains[table])
        return "-j ACCEPT"

    def line(self):
        r = self.r
        table = self.pick(["mangle", "filter"])
        head = "%s -t %s " % (self.prog, table) if r.random() < 0.8 or table == "mangle" else self.prog + " "
        chains = self.builtins(table) + self.chains[table]
        chain = self.pick(chains)
        k = r.random()
        key = (table, chain)
        have = self.rules.get(key, [])
        if k < 0.55:
            spec = self.rule(table, chain)
            self.rules.setdefault(key, []).append(spec)
            return head + "-A %s %s" % (chain, spec)
        if k < 0.65:
            spec = self.rule(table, chain)
            self.rules.setdefault(key, []).append(spec)
            return head + "-I %s %d %s" % (chain, r.randint(1, len(have) + 2), spec)
        if k < 0.7:
            return head + "-R %s %d %s" % (chain, r.randint(1, len(have) + 1), self.rule(table, chain))
        if k < 0.77 and have:
            return head + "-D %s %s" % (chain, self.pick(have))
        if k < 0.8:
            return head + "-D %s %d" % (chain, r.randint(1, len(have) + 1))
        if k < 0.84:
            return head + "-P %s %s" % (self.pick(self.builtins(table)), self.pick(["ACCEPT", "DROP"]))
        if k < 0.92:
            name = self.pick(["CUST", "web", "LOGDROP", "c1", "c2", "Z9", "ACCEPT"])
            if name not in self.chains[table] and name != "ACCEPT":
                self.chains[table].append(name)
            return head + "-N " + name
        if k < 0.95:
            return head + "-F" + ("" if r.random() < 0.3 else " " + chain)
        if k < 0.98 and self.chains[table]:
            return head + "-X " + self.pick(self.chains[table])
        if self.chains[table]:
            old = self.pick(self.chains[table])
            new = old + "x"
            self.chains[table].append(new)
            return head + "-E %s %s" % (old, new)
        return head + "-F"


def queries(prog, ns_chains):
    out = []
    for table in ("mangle", "filter"):
        t = "-t " + table
        out += ["%s %s -S" % (prog, t), "%s %s -L -n -v" % (prog, t), "%s %s -L -n -v -x" % (prog, t),
                "%s %s -L -n --line-numbers" % (prog, t), "%s %s -S -v" % (prog, t)]
        for c in ns_chains.get(table, []):
            out += ["%s %s -S %s" % (prog, t, c), "%s %s -L %s -n" % (prog, t, c), "%s %s -L %s 1 -n -v" % (prog, t, c)]
    return out


class Oracle:
    def __init__(self, args):
        self.a = args
        self.bad = 0
        self.compared = 0
        self.refused = 0
        self.tmp = tempfile.mkdtemp(prefix="ipt-oracle-")

    def wildside(self, lines, query):
        conf = os.path.join(self.tmp, "w.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return run([self.a.wildsidectl, "-c", conf] + shlex.split(query))

    def fail(self, what, script, detail):
        self.bad += 1
        print("DISAGREE: %s\n--- script:\n%s\n--- %s" % (what, "\n".join(script), detail))

    def compare_error(self, took, line, kernel_err):
        rc, _, err = self.wildside(took + [line], "iptables -S")
        want = kernel_message(kernel_err)
        got = err.strip().splitlines()[0] if err.strip() else ""
        prefix = "%s:%d: " % (os.path.join(self.tmp, "w.conf"), len(took) + 1)
        got = got[len(prefix):] if got.startswith(prefix) else got
        self.compared += 1
        if rc == 0 or not same_message(want, got):
            self.fail("error for %r" % line, took + [line], "iptables: %r\nwildside (rc %d): %r" % (want, rc, got))

    def config(self, ns, seed):
        rnd = random.Random(seed)
        gens = [Gen(rnd, False), Gen(rnd, True)]
        ns.reset()
        took = []
        for _ in range(self.a.lines):
            g = rnd.choice(gens)
            line = g.line()
            rc, _, err = ns.exec(shlex.split(line))
            if rc == 0:
                took.append(line)
            else:
                self.refused += 1
                self.compare_error(took, line, err)
        for g in gens:
            chains = {t: sorted(set(ch)) + g.builtins(t) for t, ch in g.chains.items()}
            for q in queries(g.prog, chains):
                krc, kout, kerr = ns.exec(shlex.split(q))
                wrc, wout, werr = self.wildside(took, q)
                self.compared += 1
                if krc != 0:
                    if wrc == 0 or not same_message(kernel_message(kerr), werr.strip()):
                        self.fail("query %r (iptables refused it)" % q, took, "iptables: %r\nwildside: %r" % (kerr, werr))
                    continue
                if kout != wout:
                    import difflib
                    d = "\n".join(difflib.unified_diff(kout.splitlines(), wout.splitlines(), "iptables", "wildside", lineterm=""))
                    self.fail("query %r" % q, took, d if wrc == 0 else werr)


# ---------------------------------------------------------------------------------------------
# Part 2: error texts

SETUP = ["iptables -N FOO", "iptables -A INPUT -j ACCEPT", "iptables -A INPUT -j DROP", "iptables -t mangle -N M1"]
BAD_LINES = [
    "iptables -A NOPE -j ACCEPT", "iptables -t mangle -A PREROUTING -j REJECT",
    "iptables -A INPUT -j REJECT --reject-with foo", "iptables -A INPUT -p tcp --dport 99999 -j ACCEPT",
    "iptables -A INPUT --dport 22 -j ACCEPT", "iptables -A INPUT -p tcp --dport 22:11 -j ACCEPT",
    "iptables -A INPUT -p tcp --dport foo -j ACCEPT", "iptables -A OUTPUT -i eth0 -j ACCEPT",
    "iptables -A INPUT -o eth0 -j ACCEPT", "iptables -t mangle -A PREROUTING -o eth0 -j ACCEPT",
    "iptables -t mangle -A POSTROUTING -i eth0 -j ACCEPT", "iptables -A INPUT -s 1.2.3.4/33 -j ACCEPT",
    "iptables -A INPUT -s 1.2.3.300 -j ACCEPT", "iptables -A INPUT -p foo -j ACCEPT", "iptables -A INPUT -p 300 -j ACCEPT",
    "iptables -A INPUT -j MARK", "iptables -A INPUT -j MARK --set-mark 1 --and-mark 2",
    "iptables -t filter -A INPUT -j DSCP --set-dscp 1", "iptables -t mangle -A INPUT -j DSCP --set-dscp 64",
    "iptables -t mangle -A INPUT -j DSCP --set-dscp-class foo", "iptables -A INPUT -m multiport --dports 1,2 -j ACCEPT",
    "iptables -A INPUT -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 -j ACCEPT",
    "iptables -X INPUT", "iptables -N INPUT", "iptables -P FOO DROP", "iptables -P INPUT REJECT",
    "iptables -D INPUT 5", "iptables -D INPUT -j RETURN", "iptables -I INPUT 5 -j ACCEPT", "iptables -t foo -L",
    "iptables -F NOPE", "iptables", "iptables -A", "iptables -A INPUT -j", "iptables -A INPUT -j NOPE",
    "iptables -A INPUT --foo", "iptables -A INPUT -m foo", "iptables -A INPUT -m mark",
    "iptables -A INPUT -m mark --mark 0x1/0x2/3", "iptables -A INPUT -m mark --mark foo",
    "iptables -A INPUT -m length --length 70000", "iptables -A INPUT -m string --string foo",
    "iptables -A INPUT -m string --algo bm", "iptables -A INPUT -m string --algo foo --string x",
    "iptables -A INPUT -m dscp --dscp 64", "iptables -A INPUT -m dscp --dscp-class foo",
    "iptables -A INPUT -m tos --tos foo", "iptables -A INPUT -p icmp --icmp-type foo", "iptables -A INPUT --icmp-type 8",
    "iptables -A INPUT -p icmp --icmp-type echo", "iptables -A INPUT -p icmp --icmp-type 3/", "iptables -A INPUT -p icmp --icmp-type 3:4",
    "iptables -A INPUT -p icmp --icmp-type 3/1/2", "iptables -A INPUT -p icmp --icmp-type 256",
    "iptables -A INPUT -p icmp --icmp-type 8 --icmp-type 0", "iptables -A INPUT -p tcp --dport 1 --dport 2",
    "iptables -A INPUT -p udp --dport 5 --dport 6", "iptables -A INPUT -p udp --dport 1:2:3", "iptables -A INPUT -p udp --dport 0x10",
    "iptables -A INPUT -p tcp --dport 1:2:3", "iptables -A INPUT -p tcp -m multiport --dports 5:3",
    "iptables -A INPUT -p tcp -m multiport --dports 1 --sports 2", "iptables -A INPUT -p tcp -m multiport",
    "iptables -A INPUT ! -p tcp -m multiport --dports 1", "iptables -A INPUT -m udp --dport 22", "iptables -A INPUT -p udp -m tcp --dport 22",
    "iptables -A INPUT -m icmp --icmp-type 8", "iptables -A INPUT ! -p all -j ACCEPT", "iptables -A INPUT ! -s 0.0.0.0/0 -j ACCEPT",
    "iptables -A INPUT -i abcdefghijklmnop -j ACCEPT", "iptables -N -foo", "iptables -N ACCEPT",
    "iptables -N abcdefghijklmnopqrstuvwxyzabcdefg", "iptables -N !x", "iptables -X FOO2", "iptables -D INPUT 0",
    "iptables -D INPUT x", "iptables -D INPUT 1 2", "iptables -D INPUT 1 -j ACCEPT", "iptables -I INPUT 0 -j DROP",
    "iptables -P INPUT", "iptables -P INPUT accept", "iptables -A INPUT -n -j ACCEPT", "iptables -F INPUT -s 1.2.3.4",
    "iptables -L -n -s 1.2.3.4", "iptables -A INPUT foo", "iptables -A INPUT -j ACCEPT extra", "iptables -A INPUT !",
    "iptables -A INPUT ! ! -s 1.2.3.4", "iptables -A INPUT -s 1.2.3.4 -s 2.3.4.5", "iptables -A INPUT -p tcp -p udp",
    "iptables -A INPUT -A FORWARD", "iptables -A INPUT -D FORWARD", "iptables -L -S", "iptables -R INPUT 9 -j RETURN",
    "iptables -R INPUT -j RETURN", "iptables -R INPUT 1 -s 1.1.1.1,2.2.2.2 -j RETURN", "iptables -E NOPE X",
    "iptables -E FOO", "iptables -A INPUT -m string --string x --algo bm --from 70000",
    "iptables -A INPUT -m string --string x --algo bm --from 5 --to 3", "iptables -A INPUT -m string --hex-string '|4' --algo bm",
    "iptables -A INPUT -m string --hex-string '|4g|' --algo bm", "iptables -A INPUT -m string --string a --hex-string '|42|' --algo bm",
    "iptables -A INPUT -m string --string '' --algo bm", "iptables -A INPUT -j MARK --set-mark foo",
    "iptables -A INPUT -j MARK --set-mark 1/2/3", "iptables -A INPUT -j MARK --and-mark 1/2",
    "iptables -A INPUT -j MARK ! --set-mark 1", "iptables -A INPUT -j MARK --set-mark 1 -j ACCEPT",
    "iptables -A INPUT -m tos --tos 0x10/0x100", "iptables -A INPUT -m length --length 1:2:3",
    "iptables -A INPUT -m length --length foo", "iptables -A INPUT -m dscp --dscp 1 --dscp-class EF",
    "iptables -A INPUT -m dscp", "iptables -t mangle -A INPUT -j DSCP", "iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset --reject-with tcp-reset",
    "iptables -A INPUT -j REJECT --reject-with tcp", "iptables -A INPUT -j INPUT", "iptables -t mangle -A INPUT -j FOO",
    "iptables -A INPUT -p tcp --s 22", "iptables -A INPUT --d 1.2.3.4", "iptables -A INPUT -p sctp --dport 5 --dport 6",
    "iptables -A INPUT -p sctp --dport 70000", "iptables -A INPUT -s 1.2.3.4,5.6.7.8 ! -d 1.1.1.1",
    "iptables -A FOO -j FOO2", "iptables -X FOO -n", "iptables -A INPUT -m tcp --dport 22",
    "ip6tables -A INPUT -s 1.2.3.4 -j ACCEPT", "ip6tables -A INPUT -s 2001:db8::/129 -j ACCEPT",
    "ip6tables -A INPUT -j REJECT --reject-with icmp-port-unreachable", "ip6tables -A INPUT -j REJECT --reject-with tcp-reset",
    "ip6tables -A INPUT -p icmpv6 --icmpv6-type foo", "ip6tables -A INPUT -p icmpv6 --icmpv6-type ping --icmpv6-type 1",
    "ip6tables -A INPUT -f", "ip6tables -A INPUT -p icmp --icmp-type 8", "ip6tables -A INPUT -m icmp6 --icmpv6-type 1",
    "ip6tables -t mangle -A PREROUTING -o eth0", "ip6tables -A INPUT -m icmp",
]


def error_texts(oracle, ns):
    ns.reset()
    for l in SETUP:
        rc, _, err = ns.exec(shlex.split(l))
        if rc:
            raise RuntimeError("setup %r: %s" % (l, err))
    for line in BAD_LINES:
        rc, _, err = ns.exec(shlex.split(line))
        if rc == 0:
            oracle.fail("bad line %r was taken by iptables" % line, SETUP, "(the list is stale)")
            ns.reset()
            for l in SETUP:
                ns.exec(shlex.split(l))
            continue
        oracle.compare_error(SETUP, line, err)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wildsidectl", default="build/wildsidectl")
    ap.add_argument("--ipt-tool", default="build/tests/iptables/ipt_tool")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--configs", type=int, default=20)
    ap.add_argument("--lines", type=int, default=60)
    ap.add_argument("--packets", type=int, default=0)
    ap.add_argument("--wildside", default=None,
                    help="the dataplane the --packets packets also go through (default: next to --wildsidectl; "
                         "'' to leave it out)")
    a = ap.parse_args()
    if a.wildside is None:
        a.wildside = os.path.join(os.path.dirname(a.wildsidectl), "wildside")
    if os.geteuid() != 0:
        print("iptables_oracle: needs root (network namespaces)")
        return 77
    oracle = Oracle(a)
    ns = Namespace("ipt-oracle-%d" % os.getpid())
    try:
        error_texts(oracle, ns)
        print("error texts: %d bad lines compared" % len(BAD_LINES))
        for i in range(a.configs):
            oracle.config(ns, a.seed * 1000 + i)
        print("listings: %d configs of %d lines, %d comparisons, %d lines iptables refused" %
              (a.configs, a.lines, oracle.compared, oracle.refused))
        if a.packets:
            sys.dont_write_bytecode = True  # no __pycache__ in the source tree
            import ipt_packets
            oracle.bad += ipt_packets.run_packets(a, a.seed)
    finally:
        ns.close()
        shutil.rmtree(oracle.tmp, ignore_errors=True)
    print("iptables oracle: %s" % ("all agreed" if oracle.bad == 0 else "%d disagreements" % oracle.bad))
    return 0 if oracle.bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
