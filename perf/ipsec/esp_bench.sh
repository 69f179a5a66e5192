#!/bin/bash
# perf/ipsec/esp_bench.sh — ESP tunnel mode through wildside's whole pipeline on the standard
# one-core rig (shared/DESIGN.md "Performance"), side by side in one run with the I/O ceiling and
# the raw crypto engine:
#
#   dpdk-testpmd --forward-mode=io   net_pcap0 (rx_pcap=IN, infinite_rx=1) -> net_null0 (no-rx=1)
#   BUILD/wildside                   the same two vdevs as eth0 -> eth1:
#     encrypt  plaintext UDP 10.0.1.x -> 10.9.x.y (1,024 flows) routed to xfrm interface ipsec0
#              (if_id 7): one SA 0x1001 192.0.2.1 -> 192.0.2.2, ESP tunnel out of eth1
#     decrypt  ESP 192.0.2.2 -> 10.0.1.1 (SA 0x2001, `replay-window 0`: anti-replay OFF, because
#              infinite_rx replays the same sequence numbers), inner 10.9.x.y -> 10.200.x.y checked
#              against one `dir fwd` policy and forwarded out of eth1
#     bypass   the encrypt rig's plaintext forwarded with an SPD of one `dir out` bypass policy
#              and no SA (DESIGN's "ipsec-secgw SP bypass" row); plain: no xfrm config at all
#     2 workers  encrypt, AES-128-GCM, one SA sent from two workers
#   BUILD/perf/crypto_bench          BM_Esp/DIR/ALG/SIZE: raw ipsec-mb (libsodium for
#              chacha-sodium) on crypto_bench's own buffers, and wildside's ESP library alone
#
# For each round and frame size: testpmd (plaintext pcap), wildside encrypt for every algorithm,
# bypass, plain, testpmd (the AES-128-GCM ESP pcap), wildside decrypt for every algorithm, then
# crypto_bench for that size (both directions, every algorithm); the 2-worker runs come last.
#
#   bash perf/ipsec/esp_bench.sh BUILD_DIR [--seconds N] [--warmup S] [--rounds R]
#        [--sizes 64,512,1420,imix] [--algs gcm128,gcm256,chacha,chacha-sodium,cbc-sha256,cbc-sha1]
#        [--dirs encrypt,decrypt] [--w2-sizes 64,1420] [--no-bypass] [--no-verify] [--seed S]
#        [--flows N] [--secgw IPSEC_SECGW_BINARY [--secgw-sizes 64,1420]]
#
#   defaults: --seconds 5 (the measured window of each run), --warmup 2, --rounds 1, every size,
#             algorithm and direction, --w2-sizes 64,1420 ("" skips the 2-worker runs), --seed 1,
#             --flows 1024. env OUT (perf/out). About 12 minutes with the defaults on 2 cores
#             (58 wildside runs of ~9 s, 10 testpmd runs of ~11 s, 14 verify runs); the first
#             run also spends ~100 s on scapy generating the pcaps (reused afterwards).
#
#   --secgw BIN: also DPDK's ipsec-secgw example (built from dpdk-doc's examples/ipsec-secgw;
#             perf/RESULTS.md "ESP through the pipeline" says how) on the same vdevs, SAs and keys,
#             per --secgw-sizes size: AES-128-GCM encrypt and SP bypass after wildside's encrypt
#             runs, decrypt after its decrypt runs (-l: librte_ipsec; --vdev crypto_aesni_mb0;
#             -u 0x2 encrypt / 0x1 decrypt). EAL -l 1: its one lcore (the main one) polls both
#             ports on CPU 1, as testpmd's and wildside's forwarding lcore does. Not -l 0,1:
#             ipsec-secgw runs its poll loop on the main lcore too, which then spins on CPU 0
#             with no queue, pushes the VM's other load onto CPU 1 and left the forwarding
#             lcore 37-63% of its CPU (1.7 Mpps instead of 5.6 at 64 B AES-128-GCM). Its rate
#             comes from EAL telemetry (esp_util.py dpdk-measure). About 1 minute more.
#
# Sizes: Ethernet frames on the wire incl. the 4-byte FCS (RFC 2544, as pipeline_bench.sh). For
# encrypt the size is the PLAINTEXT frame that enters (the ESP frame that leaves is larger); for
# decrypt it is the decrypted frame that leaves (the ESP frame that enters is larger); both are
# printed. imix is crypto_bench's IMIX: 7:4:1 of 64/576/1420 B in its 12-packet pattern. Gbps (L1)
# = Mpps x (plaintext frame + 20) x 8. crypto_bench's SIZE is the inner IP packet (64 B there is a
# 64-byte packet, here a 46-byte one: the frame includes 14 B Ethernet and 4 B FCS).
#
# The rates: pipeline_util.py (perf/pipeline) as pipeline_bench.sh uses it — testpmd: port 1's
# Tx-pps periods after --warmup, time-weighted; wildside: eth1's tx packets over --seconds after
# --warmup, per-stage cycles/packet and drops by reason from `show counters` at both ends of the
# window. Any drop in the window is printed with the row (esp-* drops mean the rig is wrong).
# The noise of the shared VM is measured too: the share of the window the forwarding threads
# (rte-worker-*) were on a CPU, from /proc/PID/task/TID/schedstat (esp_util.py ws-measure, which
# is pipeline_util.py's plus that; for testpmd from start-up to stop).
# Before measuring (unless --no-verify) every rig runs once with a tx_pcap on eth1 over one frame
# per flow (IMIX when measured, else the largest size) and esp_util.py verify checks each frame
# against scapy's independent ESP.
#
# Cores (a 2-core VM): 1 worker: EAL -l 0,1 (main lcore 0 = testpmd's stats / wildside's control
# socket, lcore 1 forwards). 2 workers: EAL --lcores 0@0,1@1,2@0 — the second worker shares CPU 0
# with the main lcore and this script's sampling; two rx queues (rx_pcap twice), testpmd
# --nb-cores=2 --rxq=2 --txq=2 (as pipeline_bench.sh --workers 2).
#
# Outputs: OUT/esp/ (the generated rig, reused), OUT/esp/run-TIMESTAMP/ (a copy of the binaries,
# logs, per-run JSON), OUT/esp_bench.json (assembled) and OUT/esp_bench.md (the tables).
# Needs dpdk-testpmd (Debian: apt-get install dpdk-dev), /usr/bin/python3 with scapy, and a build
# configured with -Dbench=true (BUILD/perf/crypto_bench).
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO=$PWD
PY=/usr/bin/python3
HERE=perf/ipsec
PU=perf/pipeline/pipeline_util.py

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 1 ] || usage
BUILD=$1
shift
SECONDS_RUN=5 WARMUP=2 ROUNDS=1 SIZES=64,512,1420,imix ALGS=gcm128,gcm256,chacha,chacha-sodium,cbc-sha256,cbc-sha1
DIRS=encrypt,decrypt W2_SIZES=64,1420 BYPASS=1 VERIFY=1 SEED=1 FLOWS=1024 SECGW="" SECGW_SIZES=64,1420
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --algs) ALGS=$2; shift 2 ;;
    --dirs) DIRS=$2; shift 2 ;;
    --w2-sizes) W2_SIZES=$2; shift 2 ;;
    --no-bypass) BYPASS=0; shift ;;
    --no-verify) VERIFY=0; shift ;;
    --seed) SEED=$2; shift 2 ;;
    --flows) FLOWS=$2; shift 2 ;;
    --secgw) SECGW=$2; shift 2 ;;
    --secgw-sizes) SECGW_SIZES=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "esp_bench.sh: unknown argument $1" >&2; usage ;;
    esac
done
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
IFS=, read -r -a ALG_LIST <<<"$ALGS"
IFS=, read -r -a DIR_LIST <<<"$DIRS"
IFS=, read -r -a W2_LIST <<<"$W2_SIZES"
for d in "${DIR_LIST[@]}"; do
    case $d in encrypt | decrypt) ;; *) echo "esp_bench.sh: --dirs: encrypt, decrypt" >&2; exit 2 ;; esac
done
for s in "${W2_LIST[@]}"; do
    [[ ",$SIZES," == *",$s,"* ]] || { echo "esp_bench.sh: --w2-sizes $s is not in --sizes" >&2; exit 2; }
done
has_dir() { [[ ",$DIRS," == *",$1,"* ]]; }
if [ -n "$SECGW" ]; then
    [ -x "$SECGW" ] || { echo "esp_bench.sh: --secgw $SECGW is not an executable" >&2; exit 2; }
    [[ ",$ALGS," == *",gcm128,"* ]] || { echo "esp_bench.sh: --secgw needs gcm128 in --algs" >&2; exit 2; }
    SECGW=$(cd "$(dirname "$SECGW")" && pwd)/$(basename "$SECGW")
    IFS=, read -r -a SECGW_LIST <<<"$SECGW_SIZES"
    for s in "${SECGW_LIST[@]}"; do
        [[ ",$SIZES," == *",$s,"* ]] || { echo "esp_bench.sh: --secgw-sizes $s is not in --sizes" >&2; exit 2; }
    done
else
    SECGW_LIST=()
    SECGW_SIZES=""
fi
has_secgw() { [ -n "$SECGW" ] && [[ ",$SECGW_SIZES," == *",$1,"* ]]; }

OUT=${OUT:-perf/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUILD=$(cd "$BUILD" && pwd)
TESTPMD=${TESTPMD:-$(command -v dpdk-testpmd || true)}
if [ -z "$TESTPMD" ]; then
    echo "esp_bench.sh: dpdk-testpmd not found (Debian: apt-get install dpdk-dev)" >&2
    exit 1
fi
for b in wildside wildsidectl perf/crypto_bench; do
    if [ ! -x "$BUILD/$b" ]; then
        echo "esp_bench.sh: $BUILD/$b is missing (configure with -Dbench=true and run ninja -C $BUILD)" >&2
        exit 1
    fi
done

CMD="bash perf/ipsec/esp_bench.sh ${BUILD#"$REPO"/} --seconds $SECONDS_RUN --warmup $WARMUP --rounds $ROUNDS --sizes $SIZES --algs $ALGS --dirs $DIRS --w2-sizes '$W2_SIZES' --seed $SEED"
[ "$FLOWS" = 1024 ] || CMD="$CMD --flows $FLOWS"
[ "$BYPASS" = 1 ] || CMD="$CMD --no-bypass"
[ "$VERIFY" = 1 ] || CMD="$CMD --no-verify"
[ -z "$SECGW" ] || CMD="$CMD --secgw $SECGW --secgw-sizes $SECGW_SIZES"
ESP=$OUT/esp
RUN=$ESP/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN/bin"

# The binaries are copied into the run directory first: a rebuild during the run (a relink
# makes them briefly unreadable) must not change or break what is measured.
WS_BIN=$RUN/bin/wildside
CTL_BIN=$RUN/bin/wildsidectl
CB_BIN=$RUN/bin/crypto_bench
for i in $(seq 30); do
    cp -p "$BUILD/wildside" "$WS_BIN" 2>/dev/null && cp -p "$BUILD/wildsidectl" "$CTL_BIN" 2>/dev/null &&
        cp -p "$BUILD/perf/crypto_bench" "$CB_BIN" 2>/dev/null &&
        "$CTL_BIN" -c /dev/null ip rule show >/dev/null 2>&1 &&
        "$CB_BIN" --benchmark_list_tests >/dev/null 2>&1 && break
    [ "$i" = 30 ] && { echo "esp_bench.sh: cannot copy a working $BUILD/wildside{,ctl} and perf/crypto_bench" >&2; exit 1; }
    sleep 2
done
WS_SHA=$(sha256sum "$WS_BIN" | cut -c1-16)
CB_SHA=$(sha256sum "$CB_BIN" | cut -c1-16)

# --- cleanup (only what this script started) and stop(): perf/bench_lib.sh -----------------
BENCH_NAME=esp_bench.sh
# shellcheck source=perf/bench_lib.sh
source "$REPO/perf/bench_lib.sh"

# --- inputs ----------------------------------------------------------------------------------
echo "== the rig: $FLOWS flows, frames $SIZES, algorithms $ALGS (seed $SEED) in $ESP"
GEN=$($PY $HERE/gen_esp_rig.py --sizes "$SIZES" --algs "$ALGS" --flows "$FLOWS" --seed "$SEED" --out-dir "$ESP")
jget() { $PY -c 'import json,sys; d=json.loads(sys.argv[1]); [d:=d[k] for k in sys.argv[2:]]; print(d if not isinstance(d, dict) else json.dumps(d))' "$GEN" "$@"; }
RIG_JSON=$ESP/rig$([ "$FLOWS" = 1024 ] || echo "-f$FLOWS").json

# rx devargs of the input port for one pcap: one rx queue per worker
rx_devargs() {
    local pcap=$1 workers=$2 a="net_pcap0" i
    for i in $(seq "$workers"); do a="$a,rx_pcap=$pcap"; done
    echo "$a,infinite_rx=1"
}

# run_conf RIG PCAP WORKERS: the rig's config with eth0's devargs filled in (written to RUN)
run_conf() {
    local rig=$1 pcap=$2 workers=$3 conf
    conf=$RUN/$rig-$(basename "$pcap" .pcap)-w$workers.conf
    sed -e "s|@ETH0_DEVARGS@|$(rx_devargs "$pcap" "$workers")|" "$(jget conf "$rig")" >"$conf"
    echo "$conf"
}

# input pcap of a rig at a size: encrypt, bypass and plain take the plaintext flows; decrypt its
# algorithm's ESP packets
pcap_of() {
    local rig=$1 size=$2
    case $rig in
    dec-*) jget pcap "${rig#dec-}" "$size" ;;
    *) jget pcap plain "$size" ;;
    esac
}

EAL_W1=(-l 0,1)
EAL_W2=(--lcores 0@0,1@1,2@0)
EAL_SECGW=(-l 1)

TSC_HZ=$( (dmesg 2>/dev/null || true) | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -1)
[ -n "$TSC_HZ" ] || TSC_HZ=$(awk -F: '/cpu MHz/ { print $2; exit }' /proc/cpuinfo)
TSC_HZ=$(awk -v m="$TSC_HZ" 'BEGIN { printf "%.0f", m * 1e6 }')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS

# --- one testpmd run -------------------------------------------------------------------------
run_testpmd() {
    local tag=$1 pcap=$2 size=$3 rnd=$4 workers=$5 prefix log pid i
    local -a cores=(--nb-cores=1) eal=("${EAL_W1[@]}")
    [ "$workers" = 2 ] && cores=(--nb-cores=2 --rxq=2 --txq=2) eal=("${EAL_W2[@]}")
    prefix=wsesp-tp-$$-$tag-$size-$rnd
    log=$RUN/testpmd-$tag-$size-r$rnd.log
    PREFIXES+=("$prefix")
    "$TESTPMD" "${eal[@]}" --no-huge --no-pci -m 1024 --file-prefix "$prefix" \
        --vdev "$(rx_devargs "$pcap" "$workers")" --vdev net_null0,no-rx=1 -- \
        --forward-mode=io --no-flush-rx --stats-period 1 "${cores[@]}" </dev/null >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for i in $(seq 600); do  # start-up: up to 60 s
        grep -q "Port statistics" "$log" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { echo "esp_bench.sh: testpmd exited at start:" >&2; tail -20 "$log" >&2; exit 1; }
        sleep 0.1
    done
    # its forwarding lcores' scheduler accounting from start-up to stop (the share of the time
    # they were on a CPU: the noise of the shared VM, as esp_util.py ws-measure gives wildside's)
    $PY $HERE/esp_util.py schedstat "$pid" >"$RUN/tp-$tag-$size-r$rnd.sched0" 2>/dev/null || true
    sleep "$(awk -v w="$WARMUP" -v s="$SECONDS_RUN" 'BEGIN { print w + s + 2.5 }')"
    $PY $HERE/esp_util.py schedstat "$pid" >"$RUN/tp-$tag-$size-r$rnd.sched1" 2>/dev/null || true
    stop "$pid" INT
    rm -rf "/var/run/dpdk/$prefix"
    $PY $PU testpmd "$log" --warmup "$WARMUP" --port 1 >"$RUN/tp-$tag-$size-r$rnd.json"
    $PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["steady"]; print("   testpmd  %-22s %5s round %s: %7.3f Mpps (%d periods, min %.3f, max %.3f)" % (sys.argv[2], sys.argv[3], sys.argv[4], s["mean_mpps"], s["n"], s["min_mpps"], s["max_mpps"]))' \
        "$RUN/tp-$tag-$size-r$rnd.json" "$tag" "$size" "$rnd"
}

# --- one wildside run ------------------------------------------------------------------------
DROPS_SEEN=0
run_wildside() {
    local tag=$1 rig=$2 size=$3 rnd=$4 workers=$5 conf prefix log sock pid rc=0
    local -a eal=("${EAL_W1[@]}")
    [ "$workers" = 2 ] && eal=("${EAL_W2[@]}")
    conf=$(run_conf "$rig" "$(pcap_of "$rig" "$size")" "$workers")
    prefix=wsesp-ws-$$-$tag-$size-$rnd
    log=$RUN/wildside-$tag-$size-r$rnd.log
    sock=$RUN/ws-$tag-$size-r$rnd.sock
    PREFIXES+=("$prefix")
    rm -f "$sock"
    "$WS_BIN" "${eal[@]}" --no-huge --no-pci -m 512 --file-prefix "$prefix" -- \
        -c "$conf" -s "$sock" --workers "$workers" </dev/null >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    $PY $HERE/esp_util.py ws-measure --ctl "$CTL_BIN" --sock "$sock" --pid "$pid" \
        --warmup "$WARMUP" --seconds "$SECONDS_RUN" --ready-timeout 30 >"$RUN/ws-$tag-$size-r$rnd.json" || rc=$?
    stop "$pid" TERM
    rm -rf "/var/run/dpdk/$prefix"
    if [ "$rc" = 0 ] && [ "$STOP_RC" != 0 ]; then
        echo "esp_bench.sh: warning: wildside exited with status $STOP_RC on SIGTERM (spec: 0); log $log" >&2
    fi
    if [ "$rc" != 0 ]; then
        rm -f "$RUN/ws-$tag-$size-r$rnd.json"
        echo "esp_bench.sh: wildside run $tag $size failed; its log ($log):" >&2
        tail -30 "$log" >&2
        exit 1
    fi
    $PY -c 'import json,sys; w=json.load(open(sys.argv[1])); st=" ".join("%s %.0f" % (s["name"], s["cycles_per_packet"]) for s in w["stages"] if s["cycles_per_packet"] is not None); print("   wildside %-22s %5s round %s: %7.3f Mpps (busy %s cycles/pkt: %s)%s" % (sys.argv[2], sys.argv[3], sys.argv[4], w["mpps"], w["busy_cycles_per_packet"], st, "  DROPS %s" % w["drops"] if w["drops"] else ""))' \
        "$RUN/ws-$tag-$size-r$rnd.json" "$tag" "$size" "$rnd"
    if $PY -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["drops"] else 1)' "$RUN/ws-$tag-$size-r$rnd.json"; then
        DROPS_SEEN=1
    fi
}

# --- one ipsec-secgw run (--secgw) --------------------------------------------------------------
run_secgw() {
    local tag=$1 cfg=$2 umask=$3 pcap=$4 size=$5 rnd=$6 prefix log pid rc=0
    prefix=wsesp-sg-$$-$tag-$size-$rnd
    log=$RUN/secgw-$tag-$size-r$rnd.log
    PREFIXES+=("$prefix")
    cp "$cfg" "$RUN/secgw-$tag.cfg"
    "$SECGW" "${EAL_SECGW[@]}" --no-huge --no-pci -m 1024 --file-prefix "$prefix" \
        --vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev net_null0,no-rx=1 \
        --vdev crypto_aesni_mb0 -- -p 0x3 -P -u "$umask" -l -f "$RUN/secgw-$tag.cfg" \
        --config "(0,0,1),(1,0,1)" </dev/null >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    $PY $HERE/esp_util.py dpdk-measure --sock "/var/run/dpdk/$prefix/dpdk_telemetry.v2" --pid "$pid" \
        --warmup "$WARMUP" --seconds "$SECONDS_RUN" --ready-timeout 60 >"$RUN/sg-$tag-$size-r$rnd.json" || rc=$?
    stop "$pid" INT
    rm -rf "/var/run/dpdk/$prefix"
    if [ "$rc" != 0 ]; then
        rm -f "$RUN/sg-$tag-$size-r$rnd.json"
        echo "esp_bench.sh: ipsec-secgw run $tag $size failed; its log ($log):" >&2
        tail -30 "$log" >&2
        exit 1
    fi
    $PY -c 'import json,sys; w=json.load(open(sys.argv[1])); print("   secgw    %-22s %5s round %s: %7.3f Mpps (its rx %.3f Mpps)" % (sys.argv[2], sys.argv[3], sys.argv[4], w["mpps"], w["rx_mpps"]))' \
        "$RUN/sg-$tag-$size-r$rnd.json" "$tag" "$size" "$rnd"
}

# --- correctness first: every rig once over one frame per flow, egress checked by scapy ---------
VERIFY_SIZE=none
verify_rig() {
    local rig=$1 kind=$2 alg=$3 pcap conf prefix log outp rc=0
    pcap=$(pcap_of "$rig" "$VERIFY_SIZE")
    outp=$RUN/verify-$rig-out.pcap
    conf=$RUN/verify-$rig.conf
    sed -e "s|@ETH0_DEVARGS@|net_pcap0,rx_pcap=$pcap|" -e "s|net_null0,no-rx=1|net_pcap1,tx_pcap=$outp|" \
        "$(jget conf "$rig")" >"$conf"
    prefix=wsesp-vf-$$-$rig
    log=$RUN/verify-$rig.log
    PREFIXES+=("$prefix")
    timeout -s KILL 60 "$WS_BIN" "${EAL_W1[@]}" --no-huge --no-pci -m 512 --file-prefix "$prefix" -- \
        -c "$conf" --workers 1 --exit-when-idle 300 </dev/null >"$log" 2>&1 || rc=$?
    rm -rf "/var/run/dpdk/$prefix"
    if [ "$rc" != 0 ]; then
        echo "esp_bench.sh: verify: wildside exited $rc on $rig ($log):" >&2
        tail -20 "$log" >&2
        exit 1
    fi
    if ! $PY $HERE/esp_util.py verify --rig "$RIG_JSON" --kind "$kind" --alg "$alg" --in "$pcap" --out "$outp" \
        >"$RUN/verify-$rig.json"; then
        echo "esp_bench.sh: verify: wildside's egress for $rig is WRONG (frames in $outp, details above)" >&2
        exit 1
    fi
    $PY -c 'import json,sys; v=json.load(open(sys.argv[1])); print("   verify %-22s %d frames in, %d out, %d wrong" % (sys.argv[2], v["in"], v["out"], v["bad"]))' \
        "$RUN/verify-$rig.json" "$rig"
}
if [ "$VERIFY" = 1 ]; then
    if [[ ",$SIZES," == *",imix,"* ]]; then VERIFY_SIZE=imix; else VERIFY_SIZE=$(printf '%s\n' "${SIZE_LIST[@]}" | sort -n | tail -1); fi
    echo "== verifying every rig's egress against scapy ($VERIFY_SIZE frames, one per flow)"
    for alg in "${ALG_LIST[@]}"; do
        has_dir encrypt && verify_rig "enc-$alg" enc "$alg"
        has_dir decrypt && verify_rig "dec-$alg" dec "$alg"
    done
    if [ "$BYPASS" = 1 ]; then
        verify_rig bypass bypass plain
        verify_rig plain plain plain
    fi
fi

# --- meta ------------------------------------------------------------------------------------
json_list() { $PY -c 'import json,sys; print(json.dumps([x for x in sys.argv[1].split(",") if x]))' "$1"; }
write_meta() {
    $PY - "$RUN/meta.json" <<EOF
import json, sys
json.dump({
  "bench": "esp_bench", "command": """$CMD""", "rounds": $ROUNDS, "seconds": $SECONDS_RUN,
  "warmup": $WARMUP, "sizes": $(json_list "$SIZES"), "algs": $(json_list "$ALGS"), "dirs": $(json_list "$DIRS"),
  "w2_sizes": $(json_list "$W2_SIZES"), "bypass": bool($BYPASS),
  "secgw": "$SECGW", "secgw_sizes": $(json_list "$SECGW_SIZES"), "flows": $FLOWS, "seed": $SEED,
  "verify_size": "$VERIFY_SIZE",
  "size_convention": "Ethernet frame on the wire incl. 4-byte FCS; encrypt: the plaintext frame in; decrypt: the decrypted frame out",
  "frames": json.load(open("$RIG_JSON"))["frames"],
  "eal": {"w1": """${EAL_W1[*]} --no-huge --no-pci -m 512""", "w2": """${EAL_W2[*]} --no-huge --no-pci -m 512""",
          "secgw": """${EAL_SECGW[*]} --no-huge --no-pci -m 1024"""},
  "testpmd_args": "--forward-mode=io --no-flush-rx --stats-period 1 --nb-cores=1 (2 workers: --nb-cores=2 --rxq=2 --txq=2)",
  "testpmd_decrypt_input": "esp-gcm128-SIZE.pcap",
  "rundir": "$RUN", "elapsed_s": $((SECONDS - T0)),
  "context": {
    "tsc_hz": $TSC_HZ, "cpus": $(nproc), "cpu": """$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')""",
    "kernel": "$(uname -r)", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo -dirty)",
    "dpdk": "$(dpkg-query -W -f='${Version}' dpdk-dev 2>/dev/null || echo unknown)",
    "ipsec_mb": "$(dpkg-query -W -f='${Version}' libipsec-mb1 2>/dev/null || echo unknown)",
    "libsodium": "$(dpkg-query -W -f='${Version}' libsodium23 2>/dev/null || echo unknown)",
    "wildside_mtime": "$(date -u -r "$WS_BIN" +%FT%TZ)", "wildside_sha256_16": "$WS_SHA",
    "crypto_bench_mtime": "$(date -u -r "$CB_BIN" +%FT%TZ)", "crypto_bench_sha256_16": "$CB_SHA",
    "loadavg_start": "$LOAD0", "loadavg_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
    "date": "$(date -u +%FT%TZ)"}
}, open(sys.argv[1], "w"), indent=1)
EOF
}

# --- the runs --------------------------------------------------------------------------------
echo "== $ROUNDS round(s), $SECONDS_RUN s windows after $WARMUP s warm-up, EAL ${EAL_W1[*]}; logs in $RUN"
CB_ALGS=$(echo "$ALGS" | tr , '|')
CB_DIRS=$(echo "$DIRS" | tr , '|')
for rnd in $(seq "$ROUNDS"); do
    for size in "${SIZE_LIST[@]}"; do
        if has_dir encrypt || [ "$BYPASS" = 1 ]; then
            run_testpmd enc "$(jget pcap plain "$size")" "$size" "$rnd" 1
        fi
        if has_dir encrypt; then
            for alg in "${ALG_LIST[@]}"; do run_wildside "enc-$alg" "enc-$alg" "$size" "$rnd" 1; done
        fi
        if [ "$BYPASS" = 1 ]; then
            run_wildside bypass bypass "$size" "$rnd" 1
            run_wildside plain plain "$size" "$rnd" 1
        fi
        if has_secgw "$size"; then
            has_dir encrypt && run_secgw enc "$(jget conf secgw-gcm128)" 0x2 "$(jget pcap plain "$size")" "$size" "$rnd"
            run_secgw bypass "$(jget conf secgw-bypass)" 0x2 "$(jget pcap plain "$size")" "$size" "$rnd"
        fi
        if has_dir decrypt; then
            # the ceiling of the decrypt rig: the AES-128-GCM ESP frames (other algorithms' differ
            # by the IV and ICV lengths: 0-16 bytes)
            tp_alg=gcm128
            [[ ",$ALGS," == *",gcm128,"* ]] || tp_alg=${ALG_LIST[0]}
            run_testpmd dec "$(jget pcap "$tp_alg" "$size")" "$size" "$rnd" 1
            for alg in "${ALG_LIST[@]}"; do run_wildside "dec-$alg" "dec-$alg" "$size" "$rnd" 1; done
            has_secgw "$size" && run_secgw dec "$(jget conf secgw-gcm128)" 0x1 "$(jget pcap gcm128 "$size")" "$size" "$rnd"
        fi
        echo "   crypto_bench --benchmark_filter='^BM_Esp/($CB_DIRS)/($CB_ALGS)/$size/'"
        "$CB_BIN" --benchmark_filter="^BM_Esp/($CB_DIRS)/($CB_ALGS)/$size/" \
            --benchmark_out="$RUN/cb-$size-r$rnd.json" --benchmark_out_format=json >"$RUN/cb-$size-r$rnd.txt" 2>&1 ||
            { echo "esp_bench.sh: crypto_bench failed:" >&2; tail -20 "$RUN/cb-$size-r$rnd.txt" >&2; exit 1; }
    done
    if [ ${#W2_LIST[@]} -gt 0 ] && has_dir encrypt && [[ ",$ALGS," == *",gcm128,"* ]]; then
        for size in "${W2_LIST[@]}"; do
            run_testpmd w2-enc "$(jget pcap plain "$size")" "$size" "$rnd" 2
            run_wildside w2-enc-gcm128 enc-gcm128 "$size" "$rnd" 2
        done
    fi
done

write_meta
$PY $HERE/esp_util.py report "$RUN" --out "$OUT/esp_bench.json" | tee "$OUT/esp_bench.md"
echo "== esp_bench.sh: $((SECONDS - T0)) s; results: $OUT/esp_bench.json, $OUT/esp_bench.md, logs $RUN"
if [ "$DROPS_SEEN" = 1 ]; then
    echo "esp_bench.sh: WARNING: wildside dropped packets in a measured window (the row says which reason)" >&2
fi
