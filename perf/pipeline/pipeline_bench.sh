#!/bin/bash
# perf/pipeline/pipeline_bench.sh — whole-pipeline packet rate on the standard one-core rig
# (shared/DESIGN.md "Performance"), side by side in one run with the I/O ceiling:
#
#   dpdk-testpmd --forward-mode=io   net_pcap0 (rx_pcap=FLOWS, infinite_rx=1) -> net_null0 (no-rx=1)
#   BUILD/wildside                   the same two vdevs as eth0 -> eth1, policy-routed: 16 ip rules,
#                                    1,000,000 routes, 256 static neighbours
#
# alternating testpmd, wildside, testpmd, wildside (--rounds 2) for each frame size, so that the
# noise of a shared VM hits both sides alike. Prints the Markdown rows and writes the JSON.
#
#   bash perf/pipeline/pipeline_bench.sh BUILD_DIR [--seconds N] [--routes N] [--rules N]
#        [--workers 1|2] [--rounds R] [--sizes 64,1420] [--warmup S] [--seed S] [--flows N]
#        [--testpmd-only] [--no-route-cache]
#
#   --no-route-cache: wildside decides every packet afresh (rule walk and table lookups), the
#             cost its per-worker route cache hides; results go to pipeline_bench-wW-nocache.*
#
#   defaults: --seconds 10 (the measured window of each run), --routes 1000000, --rules 16,
#             --workers 1, --rounds 2, --sizes 64,1420, --warmup 3, --seed 1, --flows 1024 (the
#             rig's standard; more flows than wildside's mbuf pool holds cannot be preloaded by
#             infinite_rx).  env OUT (perf/out).
#   About 3 minutes with the defaults (load of 1M routes: a few seconds per wildside run).
#
# Frame sizes are Ethernet frames on the wire including the 4-byte FCS (RFC 2544): 64 B is a
# 60-byte frame in the pcap, 1420 B a 1416-byte one (perf/pipeline/gen_rig.py). Gbps (L1) adds
# the 20 B of preamble and inter-frame gap: Mpps x (size + 20) x 8.
#
# The rates:
#   testpmd   port 1's Tx-pps of every --stats-period 1 period; the periods that start in the
#             first --warmup seconds of forwarding dropped, the rest averaged weighted by time
#             (on these VMs testpmd's periods last 2 s: pipeline_util.py steady() says why).
#             SIGINT ends it (it prints its final forward statistics).
#   wildside  once the control socket answers and eth1's tx counter grows, --warmup seconds,
#             then `wildsidectl -s SOCK -j ip -s link show` every second for --seconds: eth1's
#             tx packets over the window; `show counters` at both ends of the window gives the
#             per-stage cycles/packet (stage cycles / stage packets) and the worker's busy
#             cycles/packet (busy_cycles / rx_packets). SIGTERM ends it.
#
# Cores (a 2-core VM): --workers 1: EAL -l 0,1 (main lcore 0 = testpmd's stats / wildside's
# control socket, lcore 1 forwards). --workers 2: EAL --lcores 0@0,1@1,2@0 — lcore 2 shares CPU 0
# with the main lcore (which mostly sleeps) and with this script's sampling, so the second worker
# does not get a whole core: the figure says how far two queues scale on this VM, not on two
# dedicated cores. Input then has two rx queues (net_pcap0,rx_pcap=F,rx_pcap=F,infinite_rx=1;
# the pcap PMD adds one tx_drop queue per rx queue), testpmd runs --nb-cores=2 --rxq=2 --txq=2.
#
# Outputs: OUT/pipeline/run-TIMESTAMP-wW/ (a copy of the binaries, logs, per-run JSON),
#          OUT/pipeline_bench-wW.json (the assembled results), OUT/pipeline_bench-wW.md (the table).
# Needs dpdk-testpmd (Debian: apt-get install dpdk-dev), /usr/bin/python3 with scapy.
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO=$PWD
PY=/usr/bin/python3
HERE=perf/pipeline

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 1 ] || usage
BUILD=$1
shift
SECONDS_RUN=10 ROUTES=1000000 RULES=16 WORKERS=1 ROUNDS=2 SIZES=64,1420 WARMUP=3 SEED=1 TP_ONLY=0 FLOWS=1024
WS_EXTRA="" TAG=""
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --routes) ROUTES=$2; shift 2 ;;
    --rules) RULES=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --flows) FLOWS=$2; shift 2 ;;
    --testpmd-only) TP_ONLY=1; shift ;;
    --no-route-cache) WS_EXTRA="--no-route-cache"; TAG=-nocache; shift ;;
    -h | --help) usage ;;
    *) echo "pipeline_bench.sh: unknown argument $1" >&2; usage ;;
    esac
done
case $WORKERS in 1 | 2) ;; *) echo "pipeline_bench.sh: --workers must be 1 or 2 (a 2-core VM)" >&2; exit 2 ;; esac

OUT=${OUT:-perf/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUILD=$(cd "$BUILD" && pwd)
TESTPMD=${TESTPMD:-$(command -v dpdk-testpmd || true)}
if [ -z "$TESTPMD" ]; then
    echo "pipeline_bench.sh: dpdk-testpmd not found (Debian: apt-get install dpdk-dev)" >&2
    exit 1
fi
if [ "$TP_ONLY" = 0 ]; then
    for b in wildside wildsidectl; do
        if [ ! -x "$BUILD/$b" ]; then
            echo "pipeline_bench.sh: $BUILD/$b is missing (ninja -C $BUILD), or pass --testpmd-only" >&2
            exit 1
        fi
    done
fi

CMD="bash perf/pipeline/pipeline_bench.sh ${BUILD#"$REPO"/} --seconds $SECONDS_RUN --routes $ROUTES --rules $RULES --workers $WORKERS --rounds $ROUNDS --sizes $SIZES --warmup $WARMUP --seed $SEED"
[ "$FLOWS" = 1024 ] || CMD="$CMD --flows $FLOWS"
[ "$TP_ONLY" = 1 ] && CMD="$CMD --testpmd-only"
[ -n "$WS_EXTRA" ] && CMD="$CMD $WS_EXTRA"
PIPE=$OUT/pipeline
RUN=$PIPE/run-$(date +%Y%m%d-%H%M%S)-w$WORKERS
mkdir -p "$RUN"

# The binaries are copied into the run directory first: a rebuild during the run (a relink
# makes them briefly unreadable) must not change or break what is measured.
WS_BIN=$RUN/bin/wildside
CTL_BIN=$RUN/bin/wildsidectl
WS_SHA=none
if [ "$TP_ONLY" = 0 ]; then
    mkdir -p "$RUN/bin"
    for i in $(seq 30); do
        cp -p "$BUILD/wildside" "$WS_BIN" 2>/dev/null && cp -p "$BUILD/wildsidectl" "$CTL_BIN" 2>/dev/null &&
            "$CTL_BIN" -c /dev/null ip rule show >/dev/null 2>&1 && break
        [ "$i" = 30 ] && { echo "pipeline_bench.sh: cannot copy a working $BUILD/wildside{,ctl}" >&2; exit 1; }
        sleep 2
    done
    WS_SHA=$(sha256sum "$WS_BIN" | cut -c1-16)
fi

# --- cleanup (only what this script started) and stop(): perf/bench_lib.sh -----------------
BENCH_NAME=pipeline_bench.sh
# shellcheck source=perf/bench_lib.sh
source "$REPO/perf/bench_lib.sh"

# --- inputs ----------------------------------------------------------------------------------
echo "== generating the rig: $ROUTES routes, $RULES rules, $FLOWS flows, frames $SIZES B (seed $SEED)"
GEN=$($PY $HERE/gen_rig.py --routes "$ROUTES" --rules "$RULES" --seed "$SEED" --sizes "$SIZES" --flows "$FLOWS" \
    --work-dir "$OUT/work" --out-dir "$PIPE")
jget() { $PY -c 'import json,sys; d=json.loads(sys.argv[1]); [d:=d[k] for k in sys.argv[2:]]; print(d)' "$GEN" "$@"; }
HEAD=$(jget head)
BODY=$(jget body)
QUERIES=$(jget queries)

# rx devargs of the input port for one pcap: one rx queue per worker
rx_devargs() {
    local pcap=$1 a="net_pcap0" i
    for i in $(seq "$WORKERS"); do a="$a,rx_pcap=$pcap"; done
    echo "$a,infinite_rx=1"
}

# wildside config for a size: the head with the devargs filled in, then the routes
conf_for() {
    local size=$1 pcap conf
    pcap=$(jget pcaps "$size")
    conf=$PIPE/rig-r$ROUTES-s$SEED-k$RULES-f$FLOWS-w$WORKERS-$size.conf
    sed -e "s|@ETH0_DEVARGS@|$(rx_devargs "$pcap")|" -e "s|@ETH1_DEVARGS@|net_null0,no-rx=1|" "$HEAD" |
        cat - "$BODY" >"$conf.tmp"
    mv "$conf.tmp" "$conf"
    echo "$conf"
}

if [ "$WORKERS" = 1 ]; then
    EAL_CORES=(-l 0,1)
    TP_CORES=(--nb-cores=1)
else
    EAL_CORES=(--lcores 0@0,1@1,2@0)
    TP_CORES=(--nb-cores=2 --rxq=2 --txq=2)
fi

IFS=, read -r -a SIZE_LIST <<<"$SIZES"
declare -A CONF
if [ "$TP_ONLY" = 0 ]; then
    for size in "${SIZE_LIST[@]}"; do CONF[$size]=$(conf_for "$size"); done
    echo "== checking offline that every flow leaves by eth1: wildsidectl -c ${CONF[${SIZE_LIST[0]}]} -j -batch $QUERIES"
    "$CTL_BIN" -c "${CONF[${SIZE_LIST[0]}]}" -j -batch "$QUERIES" >"$RUN/route-get.json"
    ROUTE_CHECK=$($PY $HERE/pipeline_util.py check-routes "$RUN/route-get.json")
    echo "   $ROUTE_CHECK"
else
    ROUTE_CHECK=None
fi

TSC_HZ=$( (dmesg 2>/dev/null || true) | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -1)
[ -n "$TSC_HZ" ] || TSC_HZ=$(awk -F: '/cpu MHz/ { print $2; exit }' /proc/cpuinfo)
TSC_HZ=$(awk -v m="$TSC_HZ" 'BEGIN { printf "%.0f", m * 1e6 }')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# --- one testpmd run -------------------------------------------------------------------------
run_testpmd() {
    local size=$1 rnd=$2 pcap prefix log pid i
    pcap=$(jget pcaps "$size")
    prefix=wsbench-tp-$$-$size-$rnd
    log=$RUN/testpmd-$size-r$rnd.log
    PREFIXES+=("$prefix")
    "$TESTPMD" "${EAL_CORES[@]}" --no-huge --no-pci -m 1024 --file-prefix "$prefix" \
        --vdev "$(rx_devargs "$pcap")" --vdev net_null0,no-rx=1 -- \
        --forward-mode=io --no-flush-rx --stats-period 1 "${TP_CORES[@]}" </dev/null >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for i in $(seq 600); do  # start-up: up to 60 s
        grep -q "Port statistics" "$log" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { echo "pipeline_bench.sh: testpmd exited at start:" >&2; tail -20 "$log" >&2; exit 1; }
        sleep 0.1
    done
    sleep "$(awk -v w="$WARMUP" -v s="$SECONDS_RUN" 'BEGIN { print w + s + 2.5 }')"
    stop "$pid" INT
    rm -rf "/var/run/dpdk/$prefix"
    $PY $HERE/pipeline_util.py testpmd "$log" --warmup "$WARMUP" --port 1 >"$RUN/tp-$size-r$rnd.json"
    $PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["steady"]; print("   testpmd  %5s B round %s: %7.3f Mpps (median %.3f, min %.3f, max %.3f, %d periods)" % (sys.argv[2], sys.argv[3], s["mean_mpps"], s["median_mpps"], s["min_mpps"], s["max_mpps"], s["n"]))' \
        "$RUN/tp-$size-r$rnd.json" "$size" "$rnd"
}

# --- one wildside run ------------------------------------------------------------------------
run_wildside() {
    local size=$1 rnd=$2 prefix log sock pid rc=0
    prefix=wsbench-ws-$$-$size-$rnd
    log=$RUN/wildside-$size-r$rnd.log
    sock=$RUN/ws-$size-r$rnd.sock
    PREFIXES+=("$prefix")
    rm -f "$sock"
    "$WS_BIN" "${EAL_CORES[@]}" --no-huge --no-pci -m 2048 --file-prefix "$prefix" -- \
        -c "${CONF[$size]}" -s "$sock" --workers "$WORKERS" $WS_EXTRA </dev/null >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    $PY $HERE/pipeline_util.py ws-measure --ctl "$CTL_BIN" --sock "$sock" --pid "$pid" \
        --warmup "$WARMUP" --seconds "$SECONDS_RUN" --ready-timeout 120 >"$RUN/ws-$size-r$rnd.json" || rc=$?
    stop "$pid" TERM
    rm -rf "/var/run/dpdk/$prefix"
    if [ "$rc" = 0 ] && [ "$STOP_RC" != 0 ]; then
        echo "pipeline_bench.sh: warning: wildside exited with status $STOP_RC on SIGTERM (spec: 0); log $log" >&2
    fi
    if [ "$rc" != 0 ]; then
        rm -f "$RUN/ws-$size-r$rnd.json"
        echo "pipeline_bench.sh: wildside run failed; its log ($log):" >&2
        tail -30 "$log" >&2
        exit 1
    fi
    $PY -c 'import json,sys; w=json.load(open(sys.argv[1])); m=w.get("route_cache_miss_rate"); print("   wildside %5s B round %s: %7.3f Mpps (median/s %.3f; ready after %.1f s; busy %s cycles/pkt; route cache misses %s; drops %s)" % (sys.argv[2], sys.argv[3], w["mpps"], w["median_mpps_per_second"], w["ready_s"], w["busy_cycles_per_packet"], "-" if m is None else "%.2f%%" % (100 * m), w["drops"] or "none"))' \
        "$RUN/ws-$size-r$rnd.json" "$size" "$rnd"
}

# --- meta ------------------------------------------------------------------------------------
write_meta() {
    $PY - "$RUN/meta.json" <<EOF
import json, sys
json.dump({
  "bench": "pipeline_bench", "command": """$CMD""", "workers": $WORKERS, "routes": $ROUTES,
  "rules": $RULES, "seed": $SEED, "rounds": $ROUNDS, "seconds": $SECONDS_RUN, "warmup": $WARMUP,
  "sizes": [$SIZES], "size_convention": "Ethernet frame on the wire incl. 4-byte FCS; pcap frames are size-4 bytes",
  "flows": $FLOWS, "testpmd_only": bool($TP_ONLY), "route_check": $ROUTE_CHECK,
  "eal": """${EAL_CORES[*]} --no-huge --no-pci""",
  "testpmd_args": """--forward-mode=io --no-flush-rx --stats-period 1 ${TP_CORES[*]}""",
  "rundir": "$RUN",
  "context": {
    "tsc_hz": $TSC_HZ, "cpus": $(nproc), "cpu": """$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')""",
    "kernel": "$(uname -r)", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo -dirty)",
    "dpdk": "$(dpkg-query -W -f='${Version}' dpdk-dev 2>/dev/null || echo unknown)",
    "wildside_mtime": "$( [ -e "$WS_BIN" ] && date -u -r "$WS_BIN" +%FT%TZ || echo none)", "wildside_sha256_16": "$WS_SHA",
    "loadavg_start": "$LOAD0", "loadavg_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
    "date": "$(date -u +%FT%TZ)"}
}, open(sys.argv[1], "w"), indent=1)
EOF
}

# --- the runs: per size, testpmd and wildside alternately ------------------------------------
echo "== $ROUNDS rounds per size, $SECONDS_RUN s windows after $WARMUP s warm-up, $WORKERS worker(s), EAL ${EAL_CORES[*]}; logs in $RUN"
for size in "${SIZE_LIST[@]}"; do
    for rnd in $(seq "$ROUNDS"); do
        run_testpmd "$size" "$rnd"
        [ "$TP_ONLY" = 1 ] || run_wildside "$size" "$rnd"
    done
done

write_meta
$PY $HERE/pipeline_util.py report "$RUN" --out "$OUT/pipeline_bench-w$WORKERS$TAG.json" | tee "$OUT/pipeline_bench-w$WORKERS$TAG.md"
echo "== results: $OUT/pipeline_bench-w$WORKERS$TAG.json, $OUT/pipeline_bench-w$WORKERS$TAG.md, logs $RUN"
