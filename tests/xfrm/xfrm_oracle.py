#!/usr/bin/python3
"""Kernel oracle for `ip xfrm`: wildside's SPD (and, where the kernel can, SAD) against Linux.

Seeded random `ip xfrm policy` scripts (add, update, delete, deleteall, flush, setdefault over a
small pool of selectors, marks, if_ids and templates, so that duplicates, replacements and
misses happen) go to a fresh network namespace, one `ip` per line (`ip -batch` drops xfrm lines
after the first on iproute2 6.1), and the lines the kernel took go to `wildsidectl -c CONF`.
Then:
  * `ip xfrm policy list` (and `list dir D`, `count`, `getdefault`, `get` of each policy) must be
    the same text from both, byte for byte (dump order, printing);
  * every line the kernel refused, appended to the lines it took before it, must make
    wildsidectl fail on that line with the kernel's message (RTNETLINK answers: File exists,
    No such file or directory, the extack texts).
`ip xfrm state add` is tried for each algorithm wildside implements; this kernel has no ESP,
GCM or ChaCha modules and refuses them all (the refusals are printed). Where a kernel takes
them, `ip xfrm state list nokeys` is compared with wildside's `ip xfrm state list`.

Standard library only; run as root with /usr/bin/python3:

    tests/xfrm/xfrm_oracle.py --wildsidectl build/wildsidectl --seed 1 --configs 20 --lines 60

Exit status 0 when everything agreed, 1 on a disagreement (each is printed with its script).
"""

import argparse
import collections
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile

IP = shutil.which("ip") or "/sbin/ip"

# Pools small enough that lines collide: the same selector twice, a delete that hits.
SRC4 = ["10.1.0.0/16", "10.1.0.5/16", "10.2.0.0/24", "0.0.0.0/0", "192.0.2.1"]
DST4 = ["10.9.0.0/16", "198.51.100.0/24", "0.0.0.0/0"]
SRC6 = ["fd00::/64", "fd00::1/64", "2001:db8::/32", "::/0"]
DST6 = ["fd01::/64", "::/0"]
PEERS4 = [("192.0.2.1", "198.51.100.2"), ("192.0.2.9", "203.0.113.5")]
PEERS6 = [("2001:db8::1", "2001:db8::2")]
KEY20 = "0x" + "11" * 20
KEY36 = "0x" + "22" * 36

# The algorithms wildside implements, as `ip xfrm state add` words.
STATE_ALGORITHMS = [
    "aead 'rfc4106(gcm(aes))' %s 128" % KEY20,
    "aead 'rfc4106(gcm(aes))' %s 64" % KEY36,
    "aead 'rfc7539esp(chacha20,poly1305)' %s 128" % KEY36,
    "enc 'cbc(aes)' 0x%s auth-trunc 'hmac(sha256)' 0x%s 128" % ("33" * 16, "44" * 32),
    "enc 'cbc(aes)' 0x%s auth-trunc 'hmac(sha1)' 0x%s 96" % ("55" * 32, "66" * 20),
]


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


class Namespace:
    """A throw-away network namespace, deleted on exit."""

    def __init__(self, name):
        self.name = name
        rc, _, err = run([IP, "netns", "add", name])
        if rc:
            raise RuntimeError("ip netns add %s: %s" % (name, err.strip()))

    def ip(self, *args, stdin=None):
        return run([IP, "-n", self.name] + list(args), stdin=stdin)

    def close(self):
        run([IP, "netns", "del", self.name])


# ---------------------------------------------------------------------------------------------
# Random policy scripts


def selector(r):
    v6 = r.random() < 0.3
    src, dst = (r.choice(SRC6), r.choice(DST6)) if v6 else (r.choice(SRC4), r.choice(DST4))
    words = "src %s dst %s" % (src, dst)
    kind = r.randrange(6)
    if kind == 1:
        words += " proto tcp" + (" sport 22" if r.random() < 0.5 else "") + (" dport %d" % r.choice([80, 443]))
    elif kind == 2:
        words += " proto udp dport 4500"
    elif kind == 3:
        words += (" proto ipv6-icmp type 135" if v6 else " proto icmp type 8") + (" code 0" if r.random() < 0.5 else "")
    elif kind == 4:
        words += " proto %s" % r.choice(["gre", "sctp", "esp", "50"])
    return words, v6


def identity(r):
    """The words that, with the selector and dir, name a policy: mark and if_id."""
    out = ""
    if r.random() < 0.2:
        out += r.choice([" mark 1", " mark 2 mask 0xf", " mark 0 mask 0xf0"])
    if r.random() < 0.15:
        out += " if_id %d" % r.choice([5, 0x2a])
    return out


def templates(r, v6):
    out, family = "", 6 if v6 else 4
    for _ in range(r.choice([0, 0, 1, 1, 2, 3] + ([7] if r.random() < 0.03 else []))):
        if r.random() < 0.5:
            f = r.choice([4, 4, 6]) if r.random() < 0.3 else family
            a, b = r.choice(PEERS6 if f == 6 else PEERS4)
            out += " tmpl src %s dst %s proto esp" % (a, b)
            out += " spi %#x" % r.randrange(1, 1 << 32) if r.random() < 0.3 else ""
            out += " reqid %d mode tunnel" % r.randrange(0, 5)
        elif r.random() < 0.15:  # transport between given peers: a family change is refused
            a, b = r.choice(PEERS4 + PEERS6)
            out += " tmpl src %s dst %s proto esp mode transport" % (a, b)
        else:
            out += " tmpl proto esp" + (" reqid %d" % r.randrange(1, 5) if r.random() < 0.5 else "")
            out += " mode transport" if r.random() < 0.5 else ""
        out += " level use" if r.random() < 0.2 else ""
    return out


def policy_line(r, known):
    verb = r.choices(["add", "update", "delete", "deleteall", "setdefault", "flush"], [60, 15, 12, 4, 6, 1])[0]
    if verb == "setdefault":
        dirs = r.sample(["in", "fwd", "out"], r.randrange(1, 4))
        return "xfrm policy setdefault " + " ".join("%s %s" % (d, r.choice(["accept", "block"])) for d in dirs)
    if verb == "flush":
        return "xfrm policy flush"
    if verb == "deleteall":
        return "xfrm policy deleteall " + r.choice(["dir out", "dir in action block", "priority 5", "src 10.1.0.0/16",
                                                    "dir fwd src fd00::/64 dst ::/0"])
    if verb == "delete" and known and r.random() < 0.7:
        return "xfrm policy delete " + r.choice(known)
    sel, v6 = selector(r)
    key = "%s dir %s%s" % (sel, r.choice(["in", "out", "fwd"]), identity(r))
    if verb == "delete":
        return "xfrm policy delete " + key
    known.append(key)
    line = "xfrm policy %s %s" % (verb, key)
    if r.random() < 0.6:
        line += " priority %d" % r.choice([0, 1, 5, 5, 100, 4000000000])
    if r.random() < 0.2:
        line += " action " + r.choice(["block", "allow"])
    if r.random() < 0.1:
        line += " flag " + r.choice(["localok", "icmp", "localok icmp"])
    return line + templates(r, v6)


# ---------------------------------------------------------------------------------------------
# Running both sides


def kernel_apply(ns, lines):
    """Runs the lines one `ip` each (`ip -batch` loses xfrm lines after the first here);
    returns {line number: error text} of the ones the kernel refused."""
    failed = {}
    for n, line in enumerate(lines, 1):
        rc, _, err = ns.ip(*shlex.split(line))
        if rc:
            failed[n] = err.strip()
    return failed


def wildside(ctl, lines, query):
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("".join("ip " + l + "\n" for l in lines))
        path = f.name
    try:
        return run([ctl, "-c", path] + query.split())
    finally:
        os.unlink(path)


def queries_for(taken):
    qs = ["xfrm policy list", "xfrm policy list dir in", "xfrm policy list dir out", "xfrm policy list dir fwd",
          "xfrm policy count", "xfrm policy getdefault"]
    for l in taken:
        if l.startswith("xfrm policy add ") or l.startswith("xfrm policy update "):
            key = l.split(" ", 3)[3].split(" priority ")[0].split(" action ")[0].split(" flag ")[0].split(" tmpl ")[0]
            qs.append("xfrm policy get " + key)
    return qs


def check_config(args, ns, lines):
    """Returns the disagreements of one script."""
    problems = []
    failed = kernel_apply(ns, lines)
    taken = [l for i, l in enumerate(lines, 1) if i not in failed]
    for q in queries_for(taken):
        krc, kout, kerr = ns.ip(*q.split())
        wrc, wout, werr = wildside(args.wildsidectl, taken, "ip " + q)
        if (krc == 0) != (wrc == 0) or kout != wout or (krc and kerr.strip() != werr.strip()):
            problems.append("query `ip %s`:\n--- kernel (rc %d)\n%s%s--- wildside (rc %d)\n%s%s" % (q, krc, kout, kerr, wrc, wout, werr))
    for n, message in sorted(failed.items()):
        before = [l for i, l in enumerate(lines[: n - 1], 1) if i not in failed]
        wrc, _, werr = wildside(args.wildsidectl, before + [lines[n - 1]], "ip xfrm policy count")
        want = ":%d: %s" % (len(before) + 1, message)
        if wrc == 0 or want not in werr:
            problems.append("line %d `%s`: the kernel said %r, wildside (rc %d) %r" % (n, lines[n - 1], message, wrc, werr.strip()))
    return problems, len(taken), failed


def check_states(args, ns):
    """Each algorithm as an SA; compared only where the kernel takes it."""
    report, problems = [], []
    for i, alg in enumerate(STATE_ALGORITHMS, 1):
        line = "xfrm state add src 192.0.2.1 dst 198.51.100.2 proto esp spi %#x reqid 1 mode tunnel %s" % (0x100 + i, alg)
        rc, _, err = ns.ip(*shlex.split(line))
        if rc:
            report.append("kernel refused %s: %s" % (alg.split(" 0x")[0], err.strip().splitlines()[0]))
            continue
        _, kout, _ = ns.ip("xfrm", "state", "list", "nokeys")
        _, wout, _ = wildside(args.wildsidectl, [line], "ip xfrm state list")
        if kout != wout:
            problems.append("state %s:\n--- kernel\n%s--- wildside\n%s" % (alg, kout, wout))
        ns.ip("xfrm", "state", "flush")
    return report, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wildsidectl", default="build/wildsidectl")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--configs", type=int, default=20)
    ap.add_argument("--lines", type=int, default=60)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("xfrm_oracle: needs root (network namespaces)", file=sys.stderr)
        return 2
    r = random.Random(args.seed)
    ns = Namespace("wsxfrm-%d" % os.getpid())
    bad, taken, refused = 0, 0, collections.Counter()
    try:
        report, problems = check_states(args, ns)
        for line in report:
            print("xfrm_oracle: " + line)
        for c in range(args.configs):
            ns.ip("xfrm", "policy", "flush")
            ns.ip("xfrm", "policy", "setdefault", "in", "accept", "fwd", "accept", "out", "accept")
            known = []
            lines = [policy_line(r, known) for _ in range(args.lines)]
            p, t, f = check_config(args, ns, lines)
            taken += t
            refused.update(f.values())
            for msg in p:
                print("xfrm_oracle: config %d (seed %d): %s\nscript:\n%s\n" % (c, args.seed, msg, "\n".join(lines)))
            bad += len(p)
        for msg in problems:
            print("xfrm_oracle: " + msg)
        bad += len(problems)
    finally:
        ns.close()
    for message, n in refused.most_common():
        print("xfrm_oracle: the kernel refused %d lines with %r" % (n, message))
    print("xfrm_oracle: %d configs, %d lines the kernel took, %d it refused (each refused by wildside too), %d disagreements"
          % (args.configs, taken, sum(refused.values()), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
