#!/usr/bin/env bash
# tests/lab/forward_lab.sh — wildside forwarding real packets between network namespaces.
#
#   bash tests/lab/forward_lab.sh [BUILD_DIR] [--kernel] [--keep]      (root, from the repo root)
#
#   h1 (10.0.1.2) --v-h1==v-gw1-- +----------------------+ --v-gw2==v-h2-- h2 (10.0.2.2, 10.9.0.3)
#                                 | gw: build/wildside   |
#                                 |  eth0 10.0.1.1       |
#                                 |  eth1 10.0.2.1       | --v-gw3==v-h3-- h3 (10.0.3.2, 10.9.0.3)
#                                 |  eth2 10.0.3.1       |
#                                 |  host0 (TAP, gw's own kernel stack)
#                                 +----------------------+
#
# The eth ports are DPDK net_af_packet ports on the gw-side veths. The lab does nothing to the gw
# namespace's kernel: wildside takes the veths over itself (NOARP, IPv6 off, a MAC of its own),
# so that kernel, which holds the gateway's addresses through host0, takes part only through
# host0. Neighbours are learned by ARP only. Host-side veths have checksum offload off (a CHECKSUM_PARTIAL skb read through
# AF_PACKET carries no valid TCP checksum).
#
# Checks:
#   1. ping h1 -> h2 and h1 -> h3 (0% loss, replies with ttl 63); ARP answered by wildside (h1's
#      neighbour entry for 10.0.1.1 is eth0's MAC) and learned by wildside (`ip neigh show`).
#   2. TCP h1 -> h2, 4 MiB: byte count and sha256 equal on both ends; forwarded traffic does not
#      hit rule 500 (`iif lo`).
#   3. The gateway's own ping (`ip netns exec GW ping 10.0.2.2`) leaves through host0 and
#      follows `ip rule add iif lo table 100 priority 500`: host0's rx counter and rule 500's
#      counter grow, and h2 sees the echo requests from table 100's `src` 10.0.3.1 (main would
#      give 10.0.2.1).
#   4. Route change under a continuous UDP stream (h1, 2,000 pkt/s): flow A to h2 (10.0.2.2)
#      and flow B to 10.9.0.3 (via h3). `wildsidectl ip route replace` moves B to h2, later to a
#      blackhole. A must lose nothing; B must switch once, at the replace; then stop; the
#      blackhole counter must account for the rest.
#   5. A live firewall change: `iptables -A FORWARD -s h1 -d h2 -p icmp -j DROP` over the control
#      socket stops h1's pings to h2 (its counter in `iptables -L FORWARD -n -v -x` counts them,
#      fw-drop too), pings to h3 still pass; `iptables -D FORWARD 1` lets them through again.
#   6. wildside alive and answering after all that; the blackhole counter read through DPDK
#      telemetry equals `show counters`; SIGTERM -> exit status 0.
#
# --kernel runs the same lab with the gateway namespace's Linux kernel as the router (addresses
# on the gw veths, forwarding on, the same rules and routes): a self-test of the lab itself.
# Wildside-only checks (counters) are skipped there. --keep keeps the work directory (logs).
# Everything created (namespaces, veths, processes — killed by PID) is removed on exit.

set -u -o pipefail

BUILD=build
MODE=wildside
KEEP=0
for arg in "$@"; do
    case "$arg" in
        --kernel) MODE=kernel ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
        -*) echo "unknown option $arg" >&2; exit 2 ;;
        *) BUILD=$arg ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TOOL="$HERE/labtool.py"
WS="$BUILD/wildside"
WSCTL="$BUILD/wildsidectl"
T_START=$SECONDS

if [ "$(id -u)" -ne 0 ]; then echo "forward_lab: needs root" >&2; exit 2; fi
if [ "$MODE" = wildside ]; then
    for b in "$WS" "$WSCTL"; do
        [ -x "$b" ] || { echo "forward_lab: $b not found (build first)" >&2; exit 2; }
    done
fi

TAG="wsl-$$"
H1="$TAG-h1"; H2="$TAG-h2"; H3="$TAG-h3"; GW="$TAG-gw"
WORK=$(mktemp -d "/tmp/$TAG.XXXXXX")
CONF="$WORK/lab.conf"
SOCK="$WORK/ctl.sock"
WSLOG="$WORK/wildside.log"

H1A=10.0.1.2; GW1A=10.0.1.1
H2A=10.0.2.2; GW2A=10.0.2.1
H3A=10.0.3.2; GW3A=10.0.3.1
BADDR=10.9.0.3            # flow B's destination: on h3's and h2's loopback
BNET=10.9.0.0/24
if [ "$MODE" = wildside ]; then D1=eth0; D2=eth1; D3=eth2; else D1="v-gw1"; D2="v-gw2"; D3="v-gw3"; fi

PIDS=()                   # background helpers, killed by PID on exit
WPID=""                   # wildside
NS_MADE=()
RESULTS=()
FAILS=0

# ---------------------------------------------------------------------------------------------
# report and cleanup

say() { printf '%s\n' "$*"; }
section() { printf '\n=== %s\n' "$*"; }
indent() { sed 's/^/    /'; }
pass() { RESULTS+=("PASS  $1"); say "PASS: $1"; }
fail() { RESULTS+=("FAIL  $1"); FAILS=$((FAILS + 1)); say "FAIL: $1"; }
skip() { RESULTS+=("SKIP  $1"); say "SKIP: $1"; }

kill_pid() {              # kill_pid PID: TERM, up to 3 s, then KILL; only that PID
    local p=$1 i
    kill -0 "$p" 2>/dev/null || return 0
    kill -TERM "$p" 2>/dev/null
    for i in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    return 0
}

cleanup() {
    local rc=$? p ns
    trap - EXIT INT TERM HUP
    for p in "${PIDS[@]}"; do kill_pid "$p"; done
    if [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; then
        say "cleanup: stopping wildside (pid $WPID)"
        kill_pid "$WPID"
    fi
    # anything still running inside our namespaces was started by this script: by PID too
    for ns in "${NS_MADE[@]}"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            say "cleanup: pid $p still in $ns: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-100)"
            kill_pid "$p"
        done
    done
    for ns in "${NS_MADE[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ "$KEEP" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM HUP

wait_file() {             # wait_file PATH SECONDS
    local i
    for i in $(seq $(($2 * 10))); do [ -s "$1" ] && return 0; sleep 0.1; done
    return 1
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# (background helpers are started as plain commands, never through a function, so that $! is
# the helper's own PID: ip netns exec execs python)
tool() { local ns=$1; shift; ip netns exec "$ns" "$PY" "$TOOL" "$@"; }

ctl() { timeout 10 "$WSCTL" -s "$SOCK" "$@"; }

counters_json() {         # counters_json FILE
    if [ "$MODE" = wildside ]; then ctl -j show counters >"$1" 2>"$1.err" || echo '{}' >"$1"
    else echo '{}' >"$1"; fi
}
cget() {                  # cget FILE PATH: the value, or "missing"
    local v
    if v=$("$PY" "$TOOL" json-get "$2" <"$1" 2>/dev/null) && [ -n "$v" ]; then echo "$v"; else echo missing; fi
}
isnum() { local x; for x in "$@"; do [[ "$x" =~ ^[0-9]+$ ]] || return 1; done; }

# a route change on the router: wildsidectl or the gw kernel
gw_route() {
    if [ "$MODE" = wildside ]; then ctl ip route "$@"; else nsx "$GW" ip route "$@"; fi
}

# a firewall change on the router: wildsidectl or the gw kernel's iptables
gw_ipt() {
    if [ "$MODE" = wildside ]; then ctl iptables "$@"; else nsx "$GW" iptables "$@"; fi
}

# ping with iputils when present, else labtool's raw-socket ping; output ends with
# "N packets transmitted, M received, ..."
PING_TOOL=labtool
command -v ping >/dev/null 2>&1 && PING_TOOL=iputils
lab_ping() {              # lab_ping NS DST COUNT
    if [ "$PING_TOOL" = iputils ]; then nsx "$1" ping -n -c "$3" -i 0.2 -W 3 "$2"
    else tool "$1" ping "$2" -c "$3" -i 0.2 -W 3; fi
}
ping_received() { sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$1" | tail -1; }

# ---------------------------------------------------------------------------------------------
# topology

section "setup ($MODE mode, namespaces $TAG-*, work dir $WORK)"
HAVE_ETHTOOL=1
if ! command -v ethtool >/dev/null 2>&1; then
    HAVE_ETHTOOL=0
    say "WARNING: ethtool is missing (scripts/setup.sh installs Debian's ethtool); checksum"
    say "         offload stays on and TCP through AF_PACKET will carry bad checksums"
fi
say "ping tool: $PING_TOOL"

setup_topology() {
    local i ns
    for ns in "$H1" "$H2" "$H3" "$GW"; do
        ip netns add "$ns" || return 1
        NS_MADE+=("$ns")
        ip -n "$ns" link set lo up || return 1
    done
    for i in 1 2 3; do
        ns="$TAG-h$i"
        ip link add name "v-h$i" netns "$ns" address "02:00:00:00:0$i:02" type veth \
            peer name "v-gw$i" netns "$GW" address "02:00:00:00:0$i:01" || return 1
        # hosts: IPv4 only, checksums computed in software
        nsx "$ns" sysctl -qw "net.ipv6.conf.v-h$i.disable_ipv6=1"
        [ "$HAVE_ETHTOOL" = 1 ] && nsx "$ns" ethtool -K "v-h$i" tx off rx off >/dev/null 2>&1
        ip -n "$ns" link set "v-h$i" up || return 1
        ip -n "$ns" addr add "10.0.$i.2/24" dev "v-h$i" || return 1
        ip -n "$ns" route add default via "10.0.$i.1" || return 1
        # gateway side
        nsx "$GW" sysctl -qw "net.ipv6.conf.v-gw$i.disable_ipv6=1"
        [ "$HAVE_ETHTOOL" = 1 ] && nsx "$GW" ethtool -K "v-gw$i" tx off rx off gro off >/dev/null 2>&1
        ip -n "$GW" link set "v-gw$i" up || return 1
    done
    ip -n "$H2" addr add "$BADDR/32" dev lo || return 1
    ip -n "$H3" addr add "$BADDR/32" dev lo || return 1
    if [ "$MODE" = kernel ]; then
        for i in 1 2 3; do ip -n "$GW" addr add "10.0.$i.1/24" dev "v-gw$i" || return 1; done
        nsx "$GW" sysctl -qw net.ipv4.ip_forward=1 || return 1
        ip -n "$GW" route add "$BNET" via "$H3A" dev v-gw3 || return 1
        ip -n "$GW" rule add iif lo table 100 priority 500 || return 1
        ip -n "$GW" route add 10.0.2.0/24 dev v-gw2 src "$GW3A" table 100 || return 1
    else
        # Nothing to do for the gw namespace's kernel: wildside takes its af_packet interfaces
        # over itself (NOARP, IPv6 off, a MAC of its own), as an operator would rely on.
        :
    fi
}

if ! setup_topology; then
    fail "setup: namespaces and veths"
    exit 1
fi
say "namespaces: $H1 $H2 $H3 $GW"

# ---------------------------------------------------------------------------------------------
# wildside

write_config() {
    cat >"$CONF" <<EOF
# forward_lab.sh: three af_packet ports on the gw-side veths, a host interface, ARP only.
ip link add eth0 type dpdk devargs net_af_packet0,iface=v-gw1
ip link add eth1 type dpdk devargs net_af_packet1,iface=v-gw2
ip link add eth2 type dpdk devargs net_af_packet2,iface=v-gw3
ip link add host0 type host
ip link set eth0 up
ip link set eth1 up
ip link set eth2 up
ip link set host0 up
ip addr add $GW1A/24 dev eth0
ip addr add $GW2A/24 dev eth1
ip addr add $GW3A/24 dev eth2
# flow B's destination, behind h3 (check 4 moves it)
ip route add $BNET via $H3A dev eth2
# the gateway's own traffic: table 100, whose route to h2's subnet has src = eth2's address
# (main's connected route would give $GW2A)
ip rule add iif lo table 100 priority 500
ip route add 10.0.2.0/24 dev eth1 src $GW3A table 100
EOF
}

if [ "$MODE" = wildside ]; then
    write_config
    section "wildside config ($CONF)"
    indent <"$CONF"
    ip netns exec "$GW" "$WS" -c "$CONF" -s "$SOCK" --idle-backoff 50 >"$WSLOG" 2>&1 &
    WPID=$!
    say "wildside pid $WPID: $WS -c $CONF -s $SOCK --idle-backoff 50"
    up=0
    for i in $(seq 300); do
        if ! kill -0 "$WPID" 2>/dev/null; then break; fi
        if [ -S "$SOCK" ] && ctl ip -s link show >"$WORK/links0.txt" 2>&1; then up=1; break; fi
        sleep 0.1
    done
    if [ "$up" != 1 ]; then
        if kill -0 "$WPID" 2>/dev/null; then st=running; else wait "$WPID" 2>/dev/null; st=$?; fi
        if [ "$st" = running ]; then fail "wildside start: control socket did not answer within 30 s"
        else fail "wildside start: exited with status $st before its control socket answered"; fi
        say "wildside stderr:"; tail -40 "$WSLOG" | indent
        exit 1
    fi
    pass "wildside start: answering on $SOCK after $(( (i + 9) / 10 )) s"
    mode=$(stat -c %a "$SOCK")
    if [ "$mode" = 600 ]; then pass "control socket is root-only (mode $mode)"
    else fail "control socket mode $mode, want 600"; fi
    indent <"$WORK/links0.txt"
    sleep 0.5     # host0 set-up in the gw kernel
fi

section "gateway kernel (namespace $GW)"
{ ip -n "$GW" -br link; ip -n "$GW" -br addr; echo "-- rules"; ip -n "$GW" rule;
  echo "-- routes (main)"; ip -n "$GW" route; echo "-- table 100"; ip -n "$GW" route show table 100; } 2>&1 | indent

counters_json "$WORK/c0.json"

# ---------------------------------------------------------------------------------------------
# 1. ping

section "1. ping h1 -> h2, h1 -> h3 (ARP resolution both ways)"
lab_ping "$H1" "$H2A" 10 >"$WORK/ping12.txt" 2>&1
indent <"$WORK/ping12.txt"
n=$(ping_received "$WORK/ping12.txt")
if [ "${n:-0}" = 10 ]; then pass "ping h1 -> h2: 10/10, 0% loss"; else fail "ping h1 -> h2: ${n:-0}/10 replies"; fi
ttls=$(grep -o 'ttl=[0-9]*' "$WORK/ping12.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
if [ -n "$ttls" ] && ! grep -o 'ttl=[0-9]*' "$WORK/ping12.txt" | grep -qv 'ttl=63$'; then
    pass "TTL decremented once: every reply has ttl=63 (h2 sends 64)"
else
    fail "TTL: replies have $ttls (want ttl=63 only)"
fi
lab_ping "$H1" "$H3A" 5 >"$WORK/ping13.txt" 2>&1
lab_ping "$H1" "$BADDR" 5 >>"$WORK/ping13.txt" 2>&1
indent <"$WORK/ping13.txt"
n=$(grep -o '[0-9]* received' "$WORK/ping13.txt" | awk '{s+=$1} END {print s+0}')
if [ "$n" = 10 ]; then pass "ping h1 -> h3 ($H3A, $BADDR): 10/10"; else fail "ping h1 -> h3 ($H3A, $BADDR): $n/10 replies"; fi

# ARP: h1 learned eth0's MAC for 10.0.1.1; the gateway learned h1's and h2's MACs
if [ "$MODE" = wildside ]; then
    ctl -j ip -s link show eth0 >"$WORK/eth0.json" 2>&1
    PMAC=$(cget "$WORK/eth0.json" 0.address)
    ctl ip neigh show >"$WORK/neigh.txt" 2>&1
else
    PMAC=$(ip -n "$GW" -br link show v-gw1 | awk '{print $3}')
    ip -n "$GW" neigh show >"$WORK/neigh.txt" 2>&1
fi
H1N=$(ip -n "$H1" neigh show "$GW1A" dev v-h1)
say "h1: $H1N"
say "gateway neighbours:"; indent <"$WORK/neigh.txt"
if [ -n "$PMAC" ] && [ "$PMAC" != missing ] && echo "$H1N" | grep -qi "lladdr $PMAC"; then
    pass "ARP answered: h1 resolved $GW1A to $D1's MAC $PMAC"
else
    fail "ARP answered: h1's entry for $GW1A is '$H1N', port MAC '$PMAC'"
fi
if grep -qi "^$H1A dev $D1 lladdr 02:00:00:00:01:02" "$WORK/neigh.txt" &&
   grep -qi "^$H2A dev $D2 lladdr 02:00:00:00:02:02" "$WORK/neigh.txt" &&
   grep -qi "^$H3A dev $D3 lladdr 02:00:00:00:03:02" "$WORK/neigh.txt"; then
    pass "ARP learned: gateway knows h1, h2, h3 by their MACs"
else
    fail "ARP learned: gateway neighbour table lacks h1/h2/h3 with the right MACs (see above)"
fi

# ---------------------------------------------------------------------------------------------
# 2. TCP

section "2. TCP h1 -> h2, 4 MiB"
TCP_BYTES=$((4 * 1024 * 1024))
ip netns exec "$H2" "$PY" "$TOOL" tcp-server 5002 "$WORK/tcp-server.json" --ready "$WORK/tcp-ready" --timeout 60 \
    >"$WORK/tcp-server.log" 2>&1 &
SPID=$!; PIDS+=("$SPID")
if wait_file "$WORK/tcp-ready" 10; then
    timeout 90 ip netns exec "$H1" "$PY" "$TOOL" tcp-client "$H2A" 5002 "$TCP_BYTES" --seed $$ \
        >"$WORK/tcp-client.json" 2>"$WORK/tcp-client.err"
    crc=$?
    wait "$SPID" 2>/dev/null
    cs=$(cget "$WORK/tcp-client.json" sha256); cb=$(cget "$WORK/tcp-client.json" bytes)
    ct=$(cget "$WORK/tcp-client.json" seconds)
    ss=$(cget "$WORK/tcp-server.json" sha256); sb=$(cget "$WORK/tcp-server.json" bytes)
    say "client: rc $crc, sent $cb bytes in $ct s, sha256 $cs"
    say "server: received $sb bytes, sha256 $ss"
    [ -s "$WORK/tcp-client.err" ] && indent <"$WORK/tcp-client.err"
    if [ "$crc" = 0 ] && [ "$cb" = "$TCP_BYTES" ] && [ "$sb" = "$TCP_BYTES" ] && [ "$cs" = "$ss" ]; then
        pass "TCP h1 -> h2: $sb bytes, sha256 equal ($ct s)"
    else
        fail "TCP h1 -> h2: client rc $crc bytes $cb, server bytes $sb, sha256 equal: $([ "$cs" = "$ss" ] && echo yes || echo no)"
        indent <"$WORK/tcp-server.log"
    fi
else
    fail "TCP h1 -> h2: server did not start"; indent <"$WORK/tcp-server.log"
fi

counters_json "$WORK/c1.json"
if [ "$MODE" = wildside ]; then
    r0=$(cget "$WORK/c0.json" rule:500); r1=$(cget "$WORK/c1.json" rule:500)
    if isnum "$r0" "$r1" && [ "$r1" = "$r0" ]; then
        pass "forwarded traffic (checks 1-2) did not hit rule 500: packets $r0 -> $r1"
    else
        fail "forwarded traffic vs rule 500: packets $r0 -> $r1 (must be present and unchanged)"
    fi
else
    skip "rule 500 counter (kernel mode)"
fi

# ---------------------------------------------------------------------------------------------
# 3. the gateway's own ping

section "3. gateway's own ping -> h2 through host0, rule 500 (iif lo) -> table 100, src $GW3A"
if [ "$MODE" = wildside ]; then
    ctl ip route get "$H2A" >"$WORK/get.txt" 2>&1
else
    ip -n "$GW" route get "$H2A" >"$WORK/get.txt" 2>&1
fi
say "route get $H2A (iif lo):"; indent <"$WORK/get.txt"
if grep -q "table 100" "$WORK/get.txt" && grep -q "src $GW3A" "$WORK/get.txt"; then
    pass "route get $H2A: table 100, src $GW3A"
else
    fail "route get $H2A: expected table 100 and src $GW3A"
fi
: >"$WORK/sniff.txt"
ip netns exec "$H2" "$PY" "$TOOL" sniff-icmp v-h2 "$WORK/sniff.txt" --ready "$WORK/sniff-ready" >"$WORK/sniff.log" 2>&1 &
NPID=$!; PIDS+=("$NPID")
wait_file "$WORK/sniff-ready" 10 || say "(sniffer not ready)"
host0_rx() {              # packets wildside received from the gateway kernel on host0
    if [ "$MODE" = wildside ]; then ctl -j ip -s link show host0 >"$WORK/host0.json" 2>&1
        cget "$WORK/host0.json" 0.stats64.rx.packets; else echo missing; fi
}
hrx0=$(host0_rx)
lab_ping "$GW" "$H2A" 3 >"$WORK/pinggw.txt" 2>&1
indent <"$WORK/pinggw.txt"
sleep 0.3
kill_pid "$NPID"
counters_json "$WORK/c2.json"
hrx1=$(host0_rx)
n=$(ping_received "$WORK/pinggw.txt")
if [ "${n:-0}" = 3 ]; then pass "gateway ping -> h2: 3/3 replies"; else fail "gateway ping -> h2: ${n:-0}/3 replies"; fi
say "echo requests seen by h2 (src dst id seq):"; indent <"$WORK/sniff.txt"
nsrc=$(awk -v d="$H2A" -v s="$GW3A" '$2 == d && $1 == s' "$WORK/sniff.txt" | wc -l)
nother=$(awk -v d="$H2A" -v s="$GW3A" '$2 == d && $1 != s' "$WORK/sniff.txt" | wc -l)
if [ "$nsrc" -ge 3 ] && [ "$nother" = 0 ]; then
    pass "h2 saw the gateway's echo requests from $GW3A (table 100's src): $nsrc, other sources: 0"
else
    fail "h2 saw $nsrc echo requests from $GW3A and $nother from other sources (want >= 3 and 0)"
fi
if [ "$MODE" = wildside ]; then
    r2=$(cget "$WORK/c2.json" rule:500)
    if isnum "$r1" "$r2" && [ $((r2 - r1)) -ge 3 ]; then
        pass "rule 500 (iif lo lookup 100) counted the gateway's ping: packets $r1 -> $r2"
    else
        fail "rule 500 counter: packets $r1 -> $r2 (want +3 or more)"
    fi
    if isnum "$hrx0" "$hrx1" && [ $((hrx1 - hrx0)) -ge 3 ]; then
        pass "the gateway's ping left through host0: host0 rx packets $hrx0 -> $hrx1"
    else
        fail "host0 rx packets $hrx0 -> $hrx1 (want +3 or more: the echo requests from the gw kernel)"
    fi
    "$PY" -c 'import json,sys; [print("   ", r) for r in json.load(open(sys.argv[1])).get("rules", [])]' \
        "$WORK/c2.json" 2>/dev/null
else
    skip "rule 500 counter (kernel mode)"
fi

section "3b. gateway's own ping -> $BADDR (main: via h3, a route without src)"
if [ "$MODE" = wildside ]; then
    ctl ip route get "$BADDR" >"$WORK/get-b.txt" 2>&1
else
    ip -n "$GW" route get "$BADDR" >"$WORK/get-b.txt" 2>&1
fi
say "route get $BADDR (iif lo):"; indent <"$WORK/get-b.txt"
BSRC=$(sed -n 's/.* src \([0-9.]*\).*/\1/p' "$WORK/get-b.txt" | head -1)
if [ "$BSRC" = "$GW3A" ]; then pass "route get $BADDR: src $GW3A (eth2's address, as Linux selects it)"
else fail "route get $BADDR: src '$BSRC' (want $GW3A)"; fi
rm -f "$WORK/sniff-ready"; : >"$WORK/sniff3.txt"
ip netns exec "$H3" "$PY" "$TOOL" sniff-icmp v-h3 "$WORK/sniff3.txt" --ready "$WORK/sniff-ready" >"$WORK/sniff3.log" 2>&1 &
NPID=$!; PIDS+=("$NPID")
wait_file "$WORK/sniff-ready" 10 || say "(sniffer not ready)"
lab_ping "$GW" "$BADDR" 3 >"$WORK/pinggw-b.txt" 2>&1
indent <"$WORK/pinggw-b.txt"
sleep 0.3
kill_pid "$NPID"
n=$(ping_received "$WORK/pinggw-b.txt")
if [ "${n:-0}" = 3 ]; then pass "gateway ping -> $BADDR: 3/3 replies"; else fail "gateway ping -> $BADDR: ${n:-0}/3 replies"; fi
say "echo requests seen by h3 (src dst id seq):"; indent <"$WORK/sniff3.txt"
nsrc=$(awk -v d="$BADDR" -v s="$GW3A" '$2 == d && $1 == s' "$WORK/sniff3.txt" | wc -l)
others=$(awk -v d="$BADDR" -v s="$GW3A" '$2 == d && $1 != s {print $1}' "$WORK/sniff3.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
if [ "$nsrc" -ge 3 ] && [ -z "$others" ]; then
    pass "h3 saw the gateway's echo requests to $BADDR from $GW3A (route get's src): $nsrc"
else
    fail "h3 saw the gateway's echo requests to $BADDR from $GW3A: $nsrc, from other sources: ${others:-none} (route get says src $GW3A)"
fi

# ---------------------------------------------------------------------------------------------
# 4. route change under continuous traffic

section "4. route change under a continuous UDP stream (h1, 2,000 pkt/s, A -> $H2A, B -> $BADDR)"
for h in 2 3; do
    rm -f "$WORK/udp-ready-$h"
    ip netns exec "$TAG-h$h" "$PY" "$TOOL" udp-recv 5001 "$WORK/udp-recv-$h.json" --ready "$WORK/udp-ready-$h" \
        >"$WORK/udp-recv-$h.log" 2>&1 &
    PIDS+=("$!"); eval "RPID$h=$!"
done
wait_file "$WORK/udp-ready-2" 10 && wait_file "$WORK/udp-ready-3" 10 || say "(receiver not ready)"
counters_json "$WORK/c3.json"
PROG="$WORK/udp-progress"
ip netns exec "$H1" "$PY" "$TOOL" udp-send --flow "A:$H2A:5001" --flow "B:$BADDR:5001" --rate 2000 --duration 8 \
    --progress "$PROG" --out "$WORK/udp-send.json" >"$WORK/udp-send.log" 2>&1 &
UPID=$!; PIDS+=("$UPID")
wait_file "$PROG" 10
sleep 2.5
sw0=$(cat "$PROG")
gw_route replace "$BNET" via "$H2A" dev "$D2" >"$WORK/replace1.txt" 2>&1; rc1=$?
sw1=$(cat "$PROG")
say "route replace $BNET via $H2A dev $D2: rc $rc1, during ticks $sw0..$sw1"
[ -s "$WORK/replace1.txt" ] && indent <"$WORK/replace1.txt"
sleep 2.5
bh0=$(cat "$PROG")
gw_route replace blackhole "$BNET" >"$WORK/replace2.txt" 2>&1; rc2=$?
bh1=$(cat "$PROG")
say "route replace blackhole $BNET: rc $rc2, during ticks $bh0..$bh1"
[ -s "$WORK/replace2.txt" ] && indent <"$WORK/replace2.txt"
wait "$UPID"; urc=$?
sleep 0.5
kill_pid "$RPID2"; kill_pid "$RPID3"
counters_json "$WORK/c4.json"
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ]; then pass "route replace commands accepted"; else fail "route replace commands: rc $rc1, $rc2"; fi
BHARG=()
if [ "$MODE" = wildside ]; then
    b3=$(cget "$WORK/c3.json" drop:blackhole); b4=$(cget "$WORK/c4.json" drop:blackhole)
    isnum "$b3" "$b4" && BHARG=(--blackhole-drops $((b4 - b3)))
    say "blackhole drops: $b3 -> $b4"
fi
if [ "$urc" = 0 ] && [ -s "$WORK/udp-recv-2.json" ] && [ -s "$WORK/udp-recv-3.json" ]; then
    "$PY" "$TOOL" udp-check "$WORK/udp-send.json" "h2=$WORK/udp-recv-2.json" "h3=$WORK/udp-recv-3.json" \
        --a-recv h2 --b-old h3 --b-new h2 --switch "$sw0:$sw1" --blackhole "$bh0:$bh1" --slack 200 \
        "${BHARG[@]}" >"$WORK/udp-check.txt" 2>&1
    while IFS= read -r line; do
        case "$line" in
            PASS:*) pass "udp: ${line#PASS: }" ;;
            FAIL:*) fail "udp: ${line#FAIL: }" ;;
            *) say "$line" ;;
        esac
    done <"$WORK/udp-check.txt"
else
    fail "udp stream: sender rc $urc, receiver output missing"
    cat "$WORK"/udp-send.log "$WORK"/udp-recv-*.log 2>/dev/null | indent
fi

# ---------------------------------------------------------------------------------------------
# 5. a live firewall change

section "5. iptables -A / -D FORWARD while wildside runs"
gw_ipt -A FORWARD -s "$H1A" -d "$H2A" -p icmp -j DROP >"$WORK/ipt-a.txt" 2>&1; ra=$?
lab_ping "$H1" "$H2A" 3 >"$WORK/ping-fw1.txt" 2>&1
lab_ping "$H1" "$H3A" 2 >"$WORK/ping-fw3.txt" 2>&1
gw_ipt -L FORWARD -n -v -x >"$WORK/ipt-l.txt" 2>&1
indent <"$WORK/ipt-l.txt"
n1=$(ping_received "$WORK/ping-fw1.txt"); n3=$(ping_received "$WORK/ping-fw3.txt")
hits=$(awk '$3 == "DROP" {print $1}' "$WORK/ipt-l.txt" | head -1)
if [ "$ra" = 0 ] && [ "${n1:-x}" = 0 ] && [ "${n3:-0}" = 2 ]; then
    pass "FORWARD DROP h1 -> h2 icmp: 0/3 replies from h2, 2/2 from h3"
else
    fail "FORWARD DROP h1 -> h2 icmp: rc $ra, ${n1:-?}/3 replies from h2 (want 0), ${n3:-?}/2 from h3 (want 2)"
    indent <"$WORK/ipt-a.txt"
fi
if [ "${hits:-0}" -ge 3 ] 2>/dev/null; then pass "iptables -L FORWARD -v counts the dropped pings: $hits"; else fail "iptables -L FORWARD -v: DROP rule counts ${hits:-nothing} (want >= 3)"; fi
gw_ipt -D FORWARD 1 >"$WORK/ipt-d.txt" 2>&1; rd=$?
lab_ping "$H1" "$H2A" 2 >"$WORK/ping-fw2.txt" 2>&1
n2=$(ping_received "$WORK/ping-fw2.txt")
if [ "$rd" = 0 ] && [ "${n2:-0}" = 2 ]; then pass "iptables -D FORWARD 1: 2/2 replies from h2 again"; else fail "after iptables -D: rc $rd, ${n2:-?}/2 replies"; fi

# ---------------------------------------------------------------------------------------------
# 6. alive, counters, clean exit

section "6. wildside alive afterwards, SIGTERM"
if [ "$MODE" = wildside ]; then
    if kill -0 "$WPID" 2>/dev/null && ctl ip -s link show >"$WORK/links1.txt" 2>&1; then
        pass "wildside alive and answering after the route changes"
        indent <"$WORK/links1.txt"
    else
        fail "wildside not answering after the route changes"
    fi
    ctl ip route show "$BNET" 2>&1 | indent
    say "show counters:"
    ctl show counters 2>&1 | indent
    # The same drop counter through DPDK telemetry (its socket lives under wildside's private
    # file prefix).
    tele=$(echo /wildside/drops | timeout 10 dpdk-telemetry.py -f "wildside-$WPID" 2>/dev/null | tail -1)
    tbh=$(echo "$tele" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["/wildside/drops"]["blackhole"])' 2>/dev/null)
    cbh=$(ctl -j show counters | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["drops"]["blackhole"])' 2>/dev/null)
    if [ -n "$tbh" ] && [ "$tbh" = "$cbh" ] && [ "$tbh" -gt 0 ]; then
        pass "telemetry /wildside/drops: blackhole $tbh, as show counters"
    else
        fail "telemetry /wildside/drops: blackhole '${tbh:-none}' vs show counters '${cbh:-none}'"
    fi
    t0=$SECONDS
    kill -TERM "$WPID"
    st=timeout
    for i in $(seq 100); do
        if ! kill -0 "$WPID" 2>/dev/null; then wait "$WPID"; st=$?; break; fi
        sleep 0.1
    done
    if [ "$st" = 0 ]; then
        pass "SIGTERM: wildside exited with status 0 in $((SECONDS - t0)) s"
        [ -e "/var/run/dpdk/wildside-$WPID" ] &&
            say "WARNING: wildside left its DPDK runtime directory /var/run/dpdk/wildside-$WPID behind"
        WPID=""
    else
        fail "SIGTERM: wildside exit status $st (want 0 within 10 s)"
    fi
    say "wildside stderr (last 25 lines):"
    tail -25 "$WSLOG" | indent
else
    skip "wildside process checks (kernel mode)"
fi

# ---------------------------------------------------------------------------------------------

section "summary ($MODE mode, lab run time $((SECONDS - T_START)) s)"
for r in "${RESULTS[@]}"; do say "  $r"; done
if [ "$FAILS" -eq 0 ]; then say "forward_lab: ALL PASS"; exit 0; fi
say "forward_lab: $FAILS FAILED"
exit 1
