#!/bin/bash
# perf/load_bench.sh — control-plane load time against the kernel's `ip -batch`, side by side in
# one run (DESIGN.md "Performance"): the same N routes (perf/gen_routes.py, seeded) loaded by
#   wildside:  BUILD/wildsidectl -c routes.conf show compiled fib   (parse + validate + compile)
#   kernel:    ip -n NS -batch routes.batch                         (fresh namespace, veth eth0
#              up with 10.255.0.1/16, its peer up in a second namespace)
# Prints both wall times and the ratio kernel/wildside (goal: >= 10), and the same for CPU time
# (user+sys of the process: the kernel's route insertion runs in ip's system calls), which
# the other tenants of a shared VM disturb less. Run as root.
#
#   bash perf/load_bench.sh [BUILD]        BUILD defaults to build
#   env: ROUTES (1000000)  SEED (1)  RUNS (wildside runs, median taken; 3)
#        KERNEL_RUNS (1)   OUT (perf/out)
# Writes OUT/load_bench.txt (key=value) and OUT/load_wildside.txt (wildsidectl's answer).
# The namespaces are deleted on exit, whatever happens.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${1:-build}
ROUTES=${ROUTES:-1000000}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
KERNEL_RUNS=${KERNEL_RUNS:-1}
OUT=${OUT:-perf/out}
WORK=$OUT/work
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
    echo "load_bench.sh: run as root (it creates network namespaces)" >&2
    exit 1
fi
if [ ! -x "$BUILD/wildsidectl" ]; then
    echo "load_bench.sh: $BUILD/wildsidectl not built (ninja -C $BUILD)" >&2
    exit 1
fi

NS=wsload-$$
PEER=wsload-$$-peer
cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$PEER" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
if ! head -1 "$WORK/routes.conf" 2>/dev/null | grep -qx "# gen_routes.py --routes $ROUTES --seed $SEED: BGP-like length mix"; then
    echo "load_bench.sh: generating $ROUTES routes (seed $SEED) in $WORK"
    $PY perf/gen_routes.py --routes "$ROUTES" --seed "$SEED" --out-dir "$WORK"
fi
cat "$WORK/routes.conf" "$WORK/routes.batch" >/dev/null  # both files in the page cache

# timed STDOUT_FILE CMD...: runs CMD with its stdout in STDOUT_FILE; prints
# "wall_s user_s sys_s maxrss_kib" (wall from bash's clock, the rest from /usr/bin/time).
timed() {
    local so=$1 tf
    shift
    tf=$(mktemp)
    local t0=$EPOCHREALTIME
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%U %S %M" -o "$tf" "$@" >"$so"
    else
        "$@" >"$so"
        echo "0 0 0" >"$tf"
    fi
    local t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" '{ printf "%.3f %s %s %s\n", b - a, $1, $2, $3 }' "$tf"
    rm -f "$tf"
}

median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# --- wildside ---------------------------------------------------------------------------------
ws_times=""
for i in $(seq "$RUNS"); do
    r=$(timed "$OUT/load_wildside.txt" "$BUILD/wildsidectl" -c "$WORK/routes.conf" show compiled fib)
    read -r wall user sys rss <<<"$r"
    echo "wildside run $i: ${wall} s (user $user, sys $sys, max RSS $((rss / 1024)) MiB)"
    ws_times="$ws_times $wall"
    ws_cpu="${ws_cpu:-} $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
    ws_rss=$rss
done
ws_med=$(echo $ws_times | median)
want=$((ROUTES + 1))  # the generated routes + eth0's connected 10.255.0.0/16
if ! grep -q "table 254: $want prefixes" "$OUT/load_wildside.txt"; then
    echo "load_bench.sh: wildsidectl did not compile $want prefixes into main:" >&2
    cat "$OUT/load_wildside.txt" >&2
    exit 1
fi

# --- kernel -----------------------------------------------------------------------------------
k_times=""
for i in $(seq "$KERNEL_RUNS"); do
    cleanup
    ip netns add "$NS"
    ip netns add "$PEER"
    ip -n "$NS" link set lo up
    ip -n "$NS" link add eth0 type veth peer name eth0 netns "$PEER"
    ip -n "$NS" addr add 10.255.0.1/16 dev eth0
    ip -n "$NS" link set eth0 up
    ip -n "$PEER" addr add 10.255.0.2/16 dev eth0
    ip -n "$PEER" link set eth0 up
    r=$(timed /dev/null ip -n "$NS" -batch "$WORK/routes.batch")
    read -r wall user sys rss <<<"$r"
    got=$(ip -n "$NS" -4 route show table main | wc -l)
    echo "kernel run $i: ${wall} s (ip user $user, sys $sys), $got routes in main"
    if [ "$got" != "$want" ]; then
        echo "load_bench.sh: the kernel holds $got routes in main, expected $want" >&2
        exit 1
    fi
    k_times="$k_times $wall"
    k_cpu="${k_cpu:-} $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
done
cleanup
k_med=$(echo $k_times | median)
ws_cpu_med=$(echo $ws_cpu | median)
k_cpu_med=$(echo $k_cpu | median)

ratio=$(awk -v k="$k_med" -v w="$ws_med" 'BEGIN { printf "%.2f", k / w }')
ratio_cpu=$(awk -v k="$k_cpu_med" -v w="$ws_cpu_med" 'BEGIN { printf "%.2f", k / w }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 10 ? "met" : "MISSED") }')
cat >"$OUT/load_bench.txt" <<EOF
routes=$ROUTES
seed=$SEED
wildside_runs_s=${ws_times# }
wildside_median_s=$ws_med
wildside_maxrss_mib=$((ws_rss / 1024))
wildside_cpu_median_s=$ws_cpu_med
kernel_runs_s=${k_times# }
kernel_median_s=$k_med
kernel_cpu_median_s=$k_cpu_med
ratio_kernel_over_wildside=$ratio
ratio_cpu_kernel_over_wildside=$ratio_cpu
goal_10x=$verdict
kernel=$(uname -r)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)
EOF
echo "load $ROUTES routes: wildside ${ws_med} s (median of $RUNS), kernel ip -batch ${k_med} s: kernel/wildside = ${ratio}x (goal >= 10x: $verdict); CPU time (user+sys) ${ws_cpu_med} s vs ${k_cpu_med} s = ${ratio_cpu}x"
