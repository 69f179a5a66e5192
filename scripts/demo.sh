#!/usr/bin/env bash
# The routing demo: West's configuration from the seed essay, loaded offline, and the routing
# decisions for host-originated, forwarded and marked traffic, as `ip route get` prints them.
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
