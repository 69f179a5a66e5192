# perf/bench_lib.sh — sourced by the whole-pipeline benchmarks (perf/pipeline/pipeline_bench.sh,
# perf/ipsec/esp_bench.sh): the processes and DPDK file prefixes a run started (PIDS, PREFIXES),
# their cleanup on every exit, and stop PID SIGNAL. Needs BENCH_NAME (for messages) and RUN (the
# run directory, whose control sockets are removed).
# --- cleanup: only what the script started ---------------------------------------------------
PIDS=()
PREFIXES=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    for p in "${PREFIXES[@]}"; do
        rm -rf "/var/run/dpdk/$p" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$p" 2>/dev/null || true
    done
    rm -f "$RUN"/*.sock 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop PID SIGNAL: signal, then wait up to 15 s for it to exit (SIGKILL after that); its exit
# status in STOP_RC.
STOP_RC=0
stop() {
    local pid=$1 sig=$2 i
    STOP_RC=0
    kill "-$sig" "$pid" 2>/dev/null || true
    for i in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$BENCH_NAME: pid $pid ignored SIG$sig for 15 s: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || STOP_RC=$?
}
