#!/bin/bash
# perf/run_all.sh — `make bench`: runs every perf/ program and perf/load_bench.sh on the seeded
# workload of perf/gen_routes.py and writes the results under perf/out/ (git-ignored). Builds
# nothing: BUILD must hold a build configured with -Dbench=true (the default).
#
#   bash perf/run_all.sh [BUILD]         BUILD defaults to build; about 5 minutes on 2 cores
#   env: ROUTES (1000000), SEED (1), OUT (perf/out)
#
# perf/out/: work/ (the generated workload), NAME.json (Google Benchmark JSON) and NAME.txt
# (console) per program, load_bench.txt, and summary.md (perf/summarize.py: the RESULTS.md
# table of this run). load_bench.sh needs root (network namespaces); without it it is skipped.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${1:-build}
export ROUTES=${ROUTES:-1000000}
export SEED=${SEED:-1}
export OUT=${OUT:-perf/out}
WORK=$OUT/work
PY=/usr/bin/python3
PROGRAMS="fib_bench route_decision_bench ctl_load_bench"

for p in $PROGRAMS; do
    if [ ! -x "$BUILD/perf/$p" ]; then
        echo "run_all.sh: $BUILD/perf/$p is missing: configure with -Dbench=true (needs libbenchmark-dev) and run ninja -C $BUILD" >&2
        exit 1
    fi
done

mkdir -p "$WORK"
if ! head -1 "$WORK/routes.conf" 2>/dev/null | grep -qx "# gen_routes.py --routes $ROUTES --seed $SEED: BGP-like length mix" ||
    [ ! -f "$WORK/rules-256.conf" ]; then
    echo "== generating $ROUTES routes and the 1/16/256-rule sets (seed $SEED) in $WORK"
    $PY perf/gen_routes.py --routes "$ROUTES" --seed "$SEED" --rules 1,16,256 --out-dir "$WORK"
fi

start=$SECONDS
for p in $PROGRAMS; do
    echo "== $BUILD/perf/$p --workdir=$WORK"
    "$BUILD/perf/$p" --workdir="$WORK" --benchmark_out="$OUT/$p.json" --benchmark_out_format=json 2>&1 |
        tee "$OUT/$p.txt"
done

# The programs that need no workload files: crypto_bench (ESP against raw ipsec-mb/libsodium),
# spd_bench (SPD lookups, rte_acl against the scan, the build of 100,000 policies), payload_bench
# (-m string: one Hyperscan scan against one memmem per pattern), fw_bench (iptables
# classification at 10/1,000/10,000 rules against the scan and the reference walk). spd_bench
# and fw_bench start EAL themselves, without hugepages.
for b in crypto_bench spd_bench payload_bench fw_bench; do
    [ -x "$BUILD/perf/$b" ] || continue
    echo "== $BUILD/perf/$b"
    "$BUILD/perf/$b" --benchmark_out="$OUT/$b.json" --benchmark_out_format=json 2>&1 | tee "$OUT/$b.txt"
done

rm -f "$OUT/load_bench.txt"
if [ "$(id -u)" = 0 ]; then
    echo "== perf/load_bench.sh $BUILD"
    bash perf/load_bench.sh "$BUILD" 2>&1 | tee "$OUT/load_bench.log"
else
    echo "== perf/load_bench.sh skipped: it needs root (network namespaces)"
fi

# The whole pipeline on the standard one-core rig, side by side with dpdk-testpmd io.
rm -f "$OUT/pipeline_bench-w1.json" "$OUT/pipeline_bench-w1.md"
if [ -x "$BUILD/wildside" ] && command -v dpdk-testpmd >/dev/null; then
    echo "== perf/pipeline/pipeline_bench.sh $BUILD"
    bash perf/pipeline/pipeline_bench.sh "$BUILD" --routes "$ROUTES" --seed "$SEED" 2>&1 | tee "$OUT/pipeline_bench.log"
else
    echo "== perf/pipeline/pipeline_bench.sh skipped: needs $BUILD/wildside and dpdk-testpmd (apt-get install dpdk-dev)"
fi

[ -x "$BUILD/wildside" ] && command -v dpdk-testpmd >/dev/null && bash perf/ipsec/esp_bench.sh "$BUILD" 2>&1 | tee "$OUT/esp_bench.log"  # ESP through the pipeline, ~12 min
$PY perf/summarize.py "$OUT" | tee "$OUT/summary.md"
[ -f "$OUT/pipeline_bench-w1.md" ] && tee -a "$OUT/summary.md" <"$OUT/pipeline_bench-w1.md"
echo "== run_all.sh: $((SECONDS - start)) s; results in $OUT/"
