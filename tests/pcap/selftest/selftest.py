#!/usr/bin/python3
"""Self-test of run_pcap_tests.py against fake_wildside.py (a Python model of the spec).

1. The clean model must pass every case.
2. Each planted bug (FAKE_BUG) must make the cases listed here fail.

    /usr/bin/python3 tests/pcap/selftest/selftest.py [--quick]

Needs build/wildsidectl (the offline oracle); does not need build/wildside.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(os.path.dirname(HERE), "run_pcap_tests.py")
FAKE = os.path.join(HERE, "fake_wildside.py")
CTL = os.path.join(HERE, "fake_wildsidectl.py")
EXPECT_FAIL = {
    "no-ttl": ["basic-forwarding"],
    "bad-csum": ["basic-forwarding"],
    "reorder": ["malformed"],
    "icmp-tos": ["route-types", "ttl"],
    "quote-28": ["route-types", "mtu"],
    "mp-other": ["policy-routing"],
    "rule-code1": ["route-types"],
    "no-ratelimit": ["icmp-rate-limit"],
    "options-fwd": ["malformed"],
    "src-mac": ["basic-forwarding"],
    "tos-ignored": ["policy-routing"],
    "icmp-csum-swap": ["ttl", "mtu"],
}


def run(bug, names):
    env = dict(os.environ, FAKE_BUG=bug)
    cmd = [sys.executable, SUITE, "--wildside", FAKE, "--wildsidectl", CTL]
    for n in names:
        cmd += ["-k", n]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return r.returncode, r.stdout


def main():
    bad = 0
    if "--quick" not in sys.argv:
        rc, out = run("", [])
        print(out, end="")
        if rc != 0:
            print("selftest: the clean model fails")
            bad += 1
    for bug, cases in EXPECT_FAIL.items():
        rc, out = run(bug, cases)
        failed = {l.split()[1].rstrip(":") for l in out.splitlines() if l.startswith("FAIL ")}
        missing = set(cases) - failed
        first = next((l for l in out.splitlines() if l.startswith("FAIL ")), "")
        if missing:
            bad += 1
            print(f"selftest: bug {bug} NOT caught by {sorted(missing)}")
        else:
            print(f"selftest: bug {bug} caught: {first[:150]}")
    print(f"selftest: {'ok' if not bad else f'{bad} problem(s)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
