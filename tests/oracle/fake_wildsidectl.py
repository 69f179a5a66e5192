#!/usr/bin/python3
"""A stand-in for `wildsidectl -c CONF ...` that asks the Linux kernel instead (self-test of the
oracle harness: `route_oracle.py --wildsidectl tests/oracle/fake_wildsidectl.py` must report no
disagreement).  Needs root.  Supports only what route_oracle.py calls:

    fake_wildsidectl.py -c CONF [-j] -batch QUERIES     (lines "ip route get ...")
    fake_wildsidectl.py -c CONF [-j] ip ...             (e.g. ip rule show, ip -4 route show table all)

`ip link add NAME type dummy` becomes a veth whose peer sits in a second namespace.  Any config
line the kernel refuses makes it exit 1 with "CONF:LINE: error" on stderr, like wildside.

To test the harness's failure paths, FAKE_WILDSIDE_BUG injects bugs (comma-separated):
  reject=REGEX   refuse config lines matching REGEX      acceptall   ignore the kernel's refusals
  notos          answer queries as if `tos` were not given
"""

import json
import os
import re
import subprocess
import sys
import time

IP = "/sbin/ip"


def run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def main():
    bugs = dict((b.split("=", 1) + [""])[:2] for b in os.environ.get("FAKE_WILDSIDE_BUG", "").split(",") if b)
    args = sys.argv[1:]
    conf, as_json, batch = None, False, None
    while args and args[0].startswith("-"):
        if args[0] == "-c":
            conf, args = args[1], args[2:]
        elif args[0] == "-j":
            as_json, args = True, args[1:]
        elif args[0] == "-batch":
            batch, args = args[1], args[2:]
        else:
            print("fake_wildsidectl: unknown option " + args[0], file=sys.stderr)
            return 255
    ns = "wsor-fake-%d" % os.getpid()
    peer = ns + "p"
    run([IP, "netns", "add", ns])
    run([IP, "netns", "add", peer])
    try:
        with open(conf) as f:
            lines = f.read().splitlines()
        # IPv6 configs: the recipe of route_oracle.py's KernelNS (no automatic link-local
        # addresses, forwarding on, `nodad`, wait for the ff00::/8 routes before the first line)
        v6 = any(re.match(r"\s*ip -6 ", l) for l in lines)
        if v6:
            run([IP, "netns", "exec", ns, "sh", "-c",
                 "echo 1 > /proc/sys/net/ipv6/conf/default/addr_gen_mode; "
                 "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding; "
                 "echo 1 > /proc/sys/net/ipv6/conf/default/forwarding"])
        run([IP, "-n", ns, "link", "set", "lo", "up"])
        nlink = 0
        waited = False
        for n, line in enumerate(lines, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if v6 and not waited and not s.startswith("ip link "):
                wait_mroutes(ns, nlink)
                waited = True
            m = re.match(r"ip link add (\S+) type dummy$", s)
            if m:
                run([IP, "-n", ns, "link", "add", m.group(1), "type", "veth", "peer", "name", "p%d" % nlink,
                     "netns", peer])
                run([IP, "-n", peer, "link", "set", "p%d" % nlink, "up"])
                nlink += 1
                if nlink == 1:
                    run([IP, "netns", "exec", ns, "sh", "-c",
                         "echo 1 > /proc/sys/net/ipv4/conf/all/forwarding; "
                         "echo 1 > /proc/sys/net/ipv4/conf/default/forwarding; "
                         "echo 1 > /proc/sys/net/ipv4/ip_forward"])
                continue
            words = s.split()
            if re.match(r"ip -6 addr(ess)? add ", s) and "nodad" not in words:
                words.append("nodad")
            if "reject" in bugs and re.search(bugs["reject"], s):
                print("%s:%d: refused by FAKE_WILDSIDE_BUG" % (conf, n), file=sys.stderr)
                return 1
            p = run([IP, "-n", ns] + words[1:])
            if p.returncode and "acceptall" not in bugs:
                print("%s:%d: %s" % (conf, n, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "error"),
                      file=sys.stderr)
                return 1
        run([IP, "netns", "exec", ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
        if v6 and not waited:
            wait_mroutes(ns, nlink)
        if batch:
            out = []
            with open(batch) as f:
                for q in f.read().splitlines():
                    words = q.split()
                    if "notos" in bugs:
                        for kw in ("tos", "dsfield"):
                            if kw in words:
                                i = words.index(kw)
                                del words[i:i + 2]
                    p = run([IP, "-n", ns, "-d", "-j"] + words[1:])
                    if p.returncode:
                        err = p.stderr.strip().splitlines()[-1]
                        err = re.sub(r"^RTNETLINK answers: ", "", err)
                        err = re.sub(r"^Error: ", "", err)
                        out.append({"error": err})
                    else:
                        obj = json.loads(p.stdout)[0]
                        obj.setdefault("table", "unspec")
                        if obj.get("type") == "unicast":
                            del obj["type"]
                        obj["priority"] = -1
                        out.append(obj)
            print(json.dumps(out))
            return 0
        p = run([IP, "-n", ns] + (["-j"] if as_json else []) + args[1:])
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        return p.returncode
    finally:
        run([IP, "netns", "del", ns])
        run([IP, "netns", "del", peer])


def wait_mroutes(ns, nlink):
    deadline = time.time() + 5
    while time.time() < deadline:
        p = run([IP, "-n", ns, "-6", "route", "show", "table", "local", "type", "multicast"])
        if len(re.findall(r"^multicast ff00::/8 ", p.stdout, re.M)) >= nlink:
            return
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main())
