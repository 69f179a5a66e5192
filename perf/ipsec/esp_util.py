#!/usr/bin/python3
"""esp_util.py — the helpers of perf/ipsec/esp_bench.sh that perf/pipeline/pipeline_util.py does
not already hold (esp_bench.sh calls pipeline_util.py's `testpmd` and `ws-measure` as they are).

  verify --rig RIG.json --kind enc|dec|bypass|plain --alg ALG --in IN.pcap --out OUT.pcap
        what wildside sent out of eth1 for the input pcap (one packet per flow, one worker, so
        in input order): enc — each frame is ESP 192.0.2.1 -> 192.0.2.2, SPI 0x1001, sequence
        numbers 1, 2, ..., outer TTL 64, MACs 02:00:00:00:00:02 -> 02:00:00:00:02:02, and scapy
        (an independent ESP) decrypts it to the input packet with its TTL one lower; dec — each
        frame is scapy's decryption of the input ESP packet with its TTL one lower; bypass /
        plain — the input packet with its TTL one lower. Prints JSON; exit 1 on any mismatch.
  dpdk-measure --sock TELEMETRY --pid PID --warmup W --seconds N [--ready-timeout T]
        a DPDK application's rate over DPDK telemetry (dpdk_telemetry.v2, `/ethdev/stats,P`):
        waits until port 1's opackets grows, lets it run W s, then samples ports 0 and 1 every
        second for N s; prints JSON (port 1's tx Mpps, port 0's rx Mpps over the same window).
        For ipsec-secgw, which has no stats command of its own but the EAL's telemetry.
  ws-measure ARGS...
        pipeline_util.py's ws-measure, unchanged (same arguments, same JSON), plus the worker
        threads' scheduler accounting over the same window (/proc/PID/task/TID/schedstat read
        when `show counters` is read at both ends of the window): "worker_oncpu" = the share of
        the window the workers were on a CPU, "worker_wait" = the share they were runnable but
        waiting (other processes on the shared 2-core VM), and "mpps_per_oncpu_s" = packets per
        on-CPU second of the workers (what the rate would be with the CPU to itself).
  schedstat PID
        one line of JSON: now (monotonic s), and the summed run / wait ns and the count of PID's
        rte-worker-* threads (esp_bench.sh samples testpmd's forwarding lcore with it).
  compact ESP_BENCH.json
        the compact tables of perf/RESULTS.md from an assembled run (one row per algorithm and
        direction, one column per size).
  report RUNDIR [--out FILE.json]
        assembles an esp_bench.sh run directory (meta.json, tp-*.json, ws-*.json, cb-*.json,
        verify-*.json) into one JSON and prints the Markdown tables.
"""
import argparse
import json
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pipeline"))
import pipeline_util  # noqa: E402  (fnum, load)

fnum, load = pipeline_util.fnum, pipeline_util.load

ALG_NAMES = {
    "gcm128": "AES-128-GCM", "gcm256": "AES-256-GCM", "chacha": "ChaCha20-Poly1305 (ipsec-mb)",
    "chacha-sodium": "ChaCha20-Poly1305 (libsodium)", "cbc-sha256": "AES-128-CBC + HMAC-SHA-256-128",
    "cbc-sha1": "AES-128-CBC + HMAC-SHA1-96",
}
SCAPY = {  # crypt, auth, icv (AEAD)
    "gcm128": ("AES-GCM", None, 16), "gcm256": ("AES-GCM", None, 16),
    "chacha": ("CHACHA20-POLY1305", None, 16), "chacha-sodium": ("CHACHA20-POLY1305", None, 16),
    "cbc-sha256": ("AES-CBC", "SHA2-256-128", None), "cbc-sha1": ("AES-CBC", "HMAC-SHA1-96", None),
}
STAGES = ["rx", "parse", "route", "ipsec-in", "forward", "ipsec-out", "neighbour", "tx"]
SECGW_64 = (5.0, 5.8)    # DESIGN.md: DPDK ipsec-secgw library mode, AES-128-GCM tunnel, 64 B, Mpps
SECGW_BYPASS = (12.5, 8.0)  # DESIGN.md: ipsec-secgw SP bypass, 64 B / 1420 B, Mpps


# --- verify ----------------------------------------------------------------------------------

def cmd_verify(a):
    import warnings
    warnings.filterwarnings("ignore")
    from scapy.all import IP, Ether, raw, rdpcap
    from scapy.layers.ipsec import ESP, SecurityAssociation

    with open(a.rig) as f:
        rig = json.load(f)
    inp, out = rdpcap(a.inp), rdpcap(a.out)
    bad = []

    def sa(key_name, spi, src, dst):
        crypt, auth, icv = SCAPY[a.alg]
        k = rig["keys"][a.alg]
        return SecurityAssociation(ESP, spi=spi, crypt_algo=crypt, crypt_key=bytes.fromhex(k[key_name]),
                                   crypt_icv_size=icv, auth_algo=auth,
                                   auth_key=bytes.fromhex(k[key_name + "_auth"]) or None,
                                   tunnel_header=IP(src=src, dst=dst))

    def forwarded(ip):
        """ip as wildside forwards it: TTL - 1, header checksum recomputed."""
        e = IP(raw(ip))
        e.ttl -= 1
        del e.chksum
        return raw(IP(raw(e)))

    if len(out) != len(inp):
        bad.append("%d packets out for %d in" % (len(out), len(inp)))
    enc_sa = sa("enc", 0x1001, "192.0.2.1", "192.0.2.2") if a.kind == "enc" else None
    dec_sa = sa("dec", 0x2001, "192.0.2.2", "10.0.1.1") if a.kind == "dec" else None
    want_mac = ("02:00:00:00:00:02", "02:00:00:00:02:02")
    for i, (o, n) in enumerate(zip(out, inp)):
        try:
            o = Ether(raw(o))
            if (o.src, o.dst) != want_mac:
                raise ValueError("MACs %s -> %s" % (o.src, o.dst))
            if a.kind == "enc":
                ip = o[IP]
                if (ip.src, ip.dst, ip.proto, ip.ttl) != ("192.0.2.1", "192.0.2.2", 50, 64):
                    raise ValueError("outer header %s -> %s proto %d ttl %d" % (ip.src, ip.dst, ip.proto, ip.ttl))
                if int(ip.flags) & 2 != int(n[IP].flags) & 2:
                    raise ValueError("outer DF %s, inner %s" % (ip.flags, n[IP].flags))
                if ip[ESP].spi != 0x1001 or ip[ESP].seq != i + 1:
                    raise ValueError("SPI 0x%x seq %d (want 0x1001, %d)" % (ip[ESP].spi, ip[ESP].seq, i + 1))
                got, want = raw(enc_sa.decrypt(IP(raw(ip)))), forwarded(n[IP])
            elif a.kind == "dec":
                got, want = raw(o[IP]), forwarded(dec_sa.decrypt(IP(raw(n[IP]))))
            else:
                got, want = raw(o[IP]), forwarded(n[IP])
            if got != want:
                raise ValueError("inner packet differs: got %s want %s" % (got[:48].hex(), want[:48].hex()))
        except Exception as e:  # noqa: BLE001 — any failure is a mismatch to report
            bad.append("packet %d: %s" % (i, e))
    r = {"kind": a.kind, "alg": a.alg, "in": len(inp), "out": len(out), "bad": len(bad), "first_bad": bad[:5],
         "in_frame_mean_fcs": round(sum(len(x) + 4 for x in inp) / max(1, len(inp)), 2),
         "out_frame_mean_fcs": round(sum(len(x) + 4 for x in out) / max(1, len(out)), 2)}
    print(json.dumps(r))
    if bad:
        for b in bad[:5]:
            print("esp_util verify %s %s: %s" % (a.kind, a.alg, b), file=sys.stderr)
        sys.exit(1)


# --- ws-measure + schedstat -----------------------------------------------------------------

def worker_threads(pid, main_too=False):
    """The tids of PID's DPDK worker lcores (rte-worker-*); with main_too and none of them, the
    main thread (a DPDK application whose only lcore is the main one forwards on it)."""
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip().startswith("rte-worker"):
                    out.append(tid)
        except OSError:
            pass
    if not out and main_too:
        out = [str(pid)]
    return sorted(out)


def schedstat(pid, tids):
    run = wait = 0
    for t in tids:
        with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
            r, w, _ = f.read().split()
        run, wait = run + int(r), wait + int(w)
    return run, wait


def cmd_ws_measure(argv):
    import contextlib
    import io
    import time
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    known, _ = ap.parse_known_args(argv)
    marks = []
    real_ctl = pipeline_util.ctl

    def ctl(a, *args, **kw):
        r = real_ctl(a, *args, **kw)
        if args == ("show", "counters"):
            tids = worker_threads(known.pid)
            marks.append((time.monotonic(), len(tids)) + schedstat(known.pid, tids))
        return r

    pipeline_util.ctl = ctl
    sys.argv = ["pipeline_util.py", "ws-measure"] + argv
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        pipeline_util.main()
    out = json.loads(buf.getvalue())
    if len(marks) == 2:
        (t0, n, r0, w0), (t1, _, r1, w1) = marks
        dt = (t1 - t0) * 1e9 * max(1, n)
        out["workers_n"] = n
        out["worker_oncpu"] = round((r1 - r0) / dt, 3)
        out["worker_wait"] = round((w1 - w0) / dt, 3)
        out["mpps_per_oncpu_s"] = (round(out["eth1_tx_packets"] / ((r1 - r0) / 1e9) / 1e6 * max(1, n), 3)
                                   if r1 > r0 else None)
    print(json.dumps(out))


# --- dpdk-measure ----------------------------------------------------------------------------

class Telemetry:
    def __init__(self, path):
        import socket
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(5)
        self.s.connect(path)
        json.loads(self.s.recv(4096).decode())  # {"version": ..., "max_output_len": ...}

    def stats(self, port):
        self.s.send(("/ethdev/stats,%d" % port).encode())
        return json.loads(self.s.recv(1 << 16).decode())["/ethdev/stats"]

    def sample(self):
        import time
        t0 = time.monotonic()
        tx = self.stats(1)["opackets"]
        rx = self.stats(0)
        t = (t0 + time.monotonic()) / 2
        return {"t": t, "tx": tx, "rx": rx["ipackets"], "imissed": rx.get("imissed", 0)}


def cmd_dpdk_measure(a):
    import time
    t_start = time.monotonic()
    tel, first, last_err = None, None, ""
    while True:
        if not pipeline_util.alive(a.pid):
            pipeline_util.die("pid %d exited before forwarding; last: %s" % (a.pid, last_err))
        if time.monotonic() - t_start > a.ready_timeout:
            pipeline_util.die("not forwarding after %d s (%s); last: %s" % (a.ready_timeout, a.sock, last_err))
        try:
            tel = tel or Telemetry(a.sock)
            s = tel.sample()
            if first is None:
                first = s
            elif s["tx"] > first["tx"]:
                break
            last_err = "port 1 opackets stay at %d" % s["tx"]
        except (OSError, ValueError, KeyError) as e:
            tel, last_err = None, str(e)
        time.sleep(0.25)
    ready_s = time.monotonic() - t_start
    time.sleep(a.warmup)
    tids = worker_threads(a.pid, main_too=True)
    sch0 = schedstat(a.pid, tids)
    samples = [tel.sample()]
    for i in range(a.seconds):
        time.sleep(max(0.0, samples[0]["t"] + (i + 1) - time.monotonic()))
        samples.append(tel.sample())
    sch1 = schedstat(a.pid, tids)
    s0, s1 = samples[0], samples[-1]
    dt = s1["t"] - s0["t"]
    per_s = [(b["tx"] - x["tx"]) / (b["t"] - x["t"]) for x, b in zip(samples, samples[1:])]
    print(json.dumps({
        "ready_s": round(ready_s, 2), "window_s": round(dt, 3),
        "mpps": round((s1["tx"] - s0["tx"]) / dt / 1e6, 3),
        "rx_mpps": round((s1["rx"] - s0["rx"]) / dt / 1e6, 3),
        "rx_imissed": s1["imissed"] - s0["imissed"],
        "mpps_per_second": [round(x / 1e6, 3) for x in per_s],
        "median_mpps_per_second": round(statistics.median(per_s) / 1e6, 3),
        "worker_oncpu": round((sch1[0] - sch0[0]) / (dt * 1e9 * max(1, len(tids))), 3) if tids else None,
        "mpps_per_oncpu_s": (round((s1["tx"] - s0["tx"]) / ((sch1[0] - sch0[0]) / 1e9) / 1e6 * len(tids), 3)
                             if tids and sch1[0] > sch0[0] else None)}))


# --- report ----------------------------------------------------------------------------------

def crypto_rows(rundir):
    """{(dir, alg, size): [ {raw_mpps, esp_mpps, ...} per round ]} from cb-*.json."""
    rows = {}
    for fn in sorted(os.listdir(rundir)):
        if not (fn.startswith("cb-") and fn.endswith(".json")):
            continue
        d = load(os.path.join(rundir, fn))
        for b in d.get("benchmarks", []):
            m = re.match(r"BM_Esp/(encrypt|decrypt)/([^/]+)/([^/]+)/", b["name"])
            if not m or b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
                continue
            rows.setdefault((m.group(1), m.group(2), m.group(3)), []).append({
                "raw_mpps": b["raw_Mpps"], "esp_mpps": b["esp_Mpps"], "raw_gbps": b["raw_Gbps"],
                "esp_gbps": b["esp_Gbps"], "raw_cyc_pkt": b["raw_cyc_pkt"], "esp_cyc_pkt": b["esp_cyc_pkt"],
                "ratio": b["ratio"]})
    return rows


def mean(v):
    v = [x for x in v if x is not None]
    return statistics.fmean(v) if v else None


def stage_map(ws):
    return {s["name"]: s["cycles_per_packet"] for s in ws["stages"]} if ws else {}


def assemble(rundir):
    R = load(os.path.join(rundir, "meta.json"))
    tsc = R["context"]["tsc_hz"]
    frames = R["frames"]
    cb = crypto_rows(rundir)
    rnds = range(1, R["rounds"] + 1)

    def tp(tag, size):
        v = [load(os.path.join(rundir, "tp-%s-%s-r%d.json" % (tag, size, r))) for r in rnds]
        return [x["steady"]["mean_mpps"] if x else None for x in v]

    def tp_oncpu(tag, size):
        """testpmd's forwarding lcores: the share of start-up..stop they were on a CPU."""
        out = []
        for r in rnds:
            try:
                a = load(os.path.join(rundir, "tp-%s-%s-r%d.sched0" % (tag, size, r)))
                b = load(os.path.join(rundir, "tp-%s-%s-r%d.sched1" % (tag, size, r)))
            except ValueError:
                a = b = None
            if a and b and b["threads"]:
                out.append((b["run_ns"] - a["run_ns"]) / ((b["t"] - a["t"]) * 1e9 * b["threads"]))
        return round(mean(out), 3) if out else None

    def ws(rig, size):
        return [load(os.path.join(rundir, "ws-%s-%s-r%d.json" % (rig, size, r))) for r in rnds]

    def gbps(mpps, frame):
        return None if mpps is None else mpps * (frame + 20) * 8 / 1e3

    rows = []
    plain_busy = {}
    for size in R["sizes"]:
        p = [w for w in ws("plain", size) if w]
        plain_busy[size] = mean([w["busy_cycles_per_packet"] for w in p])

    def row(kind, rig, alg, size, tp_tag, dir_=None):
        w = ws(rig, size)
        got = [x for x in w if x]
        if not got:
            return None
        tpm = mean(tp(tp_tag, size))
        wsm = mean([x["mpps"] for x in got])
        fr = dict(frames["plain"][size])
        if kind in ("decrypt", "encrypt-2-workers", "encrypt"):
            f = frames[alg][size]
            fr["wire_frame_mean"] = f["wire_frame_mean"] if kind == "decrypt" else f["enc_wire_frame_mean"]
        c = cb.get((dir_, alg, size), []) if dir_ else []
        raw = mean([x["raw_mpps"] for x in c]) if c else None
        lib = mean([x["esp_mpps"] for x in c]) if c else None
        stages = {}
        for s in STAGES + ["slow-path"]:
            v = mean([stage_map(x).get(s) for x in got])
            if v is not None:
                stages[s] = round(v, 1)
        busy = mean([x["busy_cycles_per_packet"] for x in got])
        drops = {}
        for x in got:
            for k, v in x["drops"].items():
                drops[k] = drops.get(k, 0) + v
        out_row = {
            "kind": kind, "rig": rig, "alg": alg, "size": size,
            "plain_frame": fr["plain_frame_mean"], "wire_frame": fr["wire_frame_mean"],
            "testpmd_mpps": None if tpm is None else round(tpm, 3),
            "testpmd_rounds": tp(tp_tag, size),
            "wildside_mpps": round(wsm, 3), "wildside_rounds": [x["mpps"] if x else None for x in w],
            "gbps_l1_plain": round(gbps(wsm, fr["plain_frame_mean"]), 2),
            "gbps_l1_esp_side": round(gbps(wsm, fr["wire_frame_mean"]), 2),
            "ratio_testpmd": round(wsm / tpm, 3) if tpm else None,
            "raw_mpps": None if raw is None else round(raw, 3),
            "esp_lib_mpps": None if lib is None else round(lib, 3),
            "raw_cyc_pkt": None if not c else round(mean([x["raw_cyc_pkt"] for x in c]), 1),
            "esp_lib_cyc_pkt": None if not c else round(mean([x["esp_cyc_pkt"] for x in c]), 1),
            "ratio_raw": round(wsm / raw, 3) if raw else None,
            "busy_cycles_per_packet": None if busy is None else round(busy, 1),
            "tsc_cycles_per_packet": round(tsc / (wsm * 1e6), 1) if wsm else None,
            "over_plain_cycles": (round(busy - plain_busy[size], 1)
                                  if busy is not None and plain_busy.get(size) is not None else None),
            "stages": stages, "drops": drops,
            "wildside_oncpu": (round(mean([x.get("worker_oncpu") for x in got]), 3)
                               if any(x.get("worker_oncpu") is not None for x in got) else None),
            "wildside_mpps_per_oncpu_s": (round(mean([x.get("mpps_per_oncpu_s") for x in got]), 3)
                                          if any(x.get("mpps_per_oncpu_s") is not None for x in got) else None),
            "testpmd_oncpu": tp_oncpu(tp_tag, size),
            "workers": [x["workers"] for x in got], "windows_s": [x["window_s"] for x in got],
        }
        r = out_row
        w, t = r["wildside_mpps_per_oncpu_s"], r["testpmd_oncpu"]
        r["testpmd_mpps_per_oncpu_s"] = round(tpm / t, 3) if tpm and t else None
        r["ratio_testpmd_oncpu"] = round(w / r["testpmd_mpps_per_oncpu_s"], 3) if w and r["testpmd_mpps_per_oncpu_s"] else None
        r["ratio_raw_oncpu"] = round(w / raw, 3) if w and raw else None
        return r

    for dir_, kind, tp_tag in (("encrypt", "encrypt", "enc"), ("decrypt", "decrypt", "dec")):
        if dir_ not in R["dirs"]:
            continue
        for alg in R["algs"]:
            for size in R["sizes"]:
                r = row(kind, ("enc-" if kind == "encrypt" else "dec-") + alg, alg, size, tp_tag, dir_)
                if r:
                    rows.append(r)
    for rig in ("bypass", "plain"):
        for size in R["sizes"]:
            r = row(rig, rig, "plain", size, "enc")
            if r:
                rows.append(r)
    for size in R.get("w2_sizes", []):
        r = row("encrypt-2-workers", "w2-enc-gcm128", "gcm128", size, "w2-enc", "encrypt")
        if r:
            rows.append(r)
    R["rows"] = rows

    # DPDK's ipsec-secgw on the same rigs, when measured
    sg = []
    for size in R.get("secgw_sizes", []):
        for rig, ws_rig, tp_tag, kind in (("enc", "enc-gcm128", "enc", "encrypt"),
                                          ("bypass", "bypass", "enc", "bypass"),
                                          ("dec", "dec-gcm128", "dec", "decrypt")):
            v = [load(os.path.join(rundir, "sg-%s-%s-r%d.json" % (rig, size, r))) for r in rnds]
            got = [x for x in v if x]
            if not got:
                continue
            m = mean([x["mpps"] for x in got])
            w = [r for r in rows if r["rig"] == ws_rig and r["size"] == size]
            wm = w[0]["wildside_mpps"] if w else None
            tpm = mean(tp(tp_tag, size))
            oc = [x.get("mpps_per_oncpu_s") for x in got if x.get("mpps_per_oncpu_s")]
            woc = w[0].get("wildside_mpps_per_oncpu_s") if w else None
            sg.append({"rig": rig, "kind": kind, "size": size, "secgw_mpps": round(m, 3),
                       "secgw_oncpu": round(mean([x.get("worker_oncpu") for x in got]), 3) if oc else None,
                       "secgw_mpps_per_oncpu_s": round(mean(oc), 3) if oc else None,
                       "wildside_mpps_per_oncpu_s": woc,
                       "wildside_over_secgw_oncpu": round(woc / mean(oc), 3) if oc and woc else None,
                       "secgw_rounds": [x["mpps"] if x else None for x in v],
                       "secgw_rx_mpps": round(mean([x["rx_mpps"] for x in got]), 3),
                       "testpmd_mpps": None if tpm is None else round(tpm, 3),
                       "ratio_testpmd": round(m / tpm, 3) if tpm else None,
                       "wildside_mpps": wm, "wildside_over_secgw": round(wm / m, 3) if wm and m else None})
    R["secgw"] = sg
    R["verify"] = {fn[7:-5]: load(os.path.join(rundir, fn)) for fn in sorted(os.listdir(rundir))
                   if fn.startswith("verify-") and fn.endswith(".json")}

    # the goals
    goals = {}
    g = [r for r in rows if r["rig"] == "enc-gcm128" and r["size"] == "64"]
    if g:
        m = g[0]["wildside_mpps"]
        goals["gcm128_64B_2x_secgw"] = {
            "wildside_mpps": m, "need_mpps": [2 * SECGW_64[0], 2 * SECGW_64[1]],
            "wildside_mpps_per_oncpu_s": g[0].get("wildside_mpps_per_oncpu_s"),
            "x_secgw": [round(m / SECGW_64[1], 2), round(m / SECGW_64[0], 2)],
            "met": "met" if m >= 2 * SECGW_64[1] else "met only against 5.0" if m >= 2 * SECGW_64[0] else "missed"}
    g = [r for r in rows if r["rig"] in ("enc-gcm128", "dec-gcm128") and r["size"] == "1420"]
    for r in g:
        if r["ratio_raw"] is not None:
            goals["gcm128_1420B_0.8x_raw_" + r["kind"]] = {
                "wildside_mpps": r["wildside_mpps"], "raw_mpps": r["raw_mpps"], "ratio": r["ratio_raw"],
                "ratio_per_oncpu_s": r.get("ratio_raw_oncpu"),
                "need_mpps": round(0.8 * r["raw_mpps"], 3), "met": "met" if r["ratio_raw"] >= 0.8 else "missed"}
    s64 = [x for x in sg if x["rig"] == "enc" and x["size"] == "64"]
    if s64 and "gcm128_64B_2x_secgw" in goals:
        goals["gcm128_64B_2x_secgw"]["measured_secgw_mpps"] = s64[0]["secgw_mpps"]
        goals["gcm128_64B_2x_secgw"]["x_measured_secgw"] = s64[0]["wildside_over_secgw"]
        goals["gcm128_64B_2x_secgw"]["x_measured_secgw_per_oncpu_s"] = s64[0]["wildside_over_secgw_oncpu"]
    R["goals"] = goals
    return R


def size_label(r):
    s = "IMIX" if r["size"] == "imix" else "%s B" % r["size"]
    if r["kind"] in ("encrypt", "encrypt-2-workers"):
        return "%s (ESP out %.0f B)" % (s, r["wire_frame"])
    if r["kind"] == "decrypt":
        return "%s (ESP in %.0f B)" % (s, r["wire_frame"])
    return s


def oncpu_label(r):
    w, t = r.get("wildside_oncpu"), r.get("testpmd_oncpu")
    if w is None and t is None:
        return "-"
    return "%s / %s" % (fnum(None if w is None else 100 * w, "%.0f%%"), fnum(None if t is None else 100 * t, "%.0f%%"))


def wsm_label(r):
    v = [x for x in r["wildside_rounds"] if x is not None]
    return fnum(r["wildside_mpps"]) + (" (%s)" % " / ".join("%.2f" % x for x in v) if len(v) > 1 else "")


def cmd_compact(a):
    """The RESULTS.md tables of an assembled esp_bench.json: one row per algorithm and direction,
    one column per size, each cell `Mpps / Gbps L1 / × testpmd / × raw`."""
    R = load(a.json)
    sizes = R["sizes"]
    lab = lambda s: "IMIX" if s == "imix" else s + " B"
    L = ["| %s | %s |" % ("wildside, 1 worker: Mpps / Gbps L1 (plaintext) / × testpmd / × raw ipsec-mb",
                          " | ".join(lab(s) for s in sizes)),
         "| --- |" + " --- |" * len(sizes)]
    for kind, tp_label in (("encrypt", "testpmd io, plaintext frames (encrypt ceiling)"),
                           ("decrypt", "testpmd io, AES-128-GCM ESP frames (decrypt ceiling)")):
        rows = [r for r in R["rows"] if r["kind"] == kind]
        if not rows:
            continue
        cell = {}
        for r in rows:
            cell.setdefault(r["alg"], {})[r["size"]] = r
        tp = {r["size"]: r["testpmd_mpps"] for r in rows}
        L.append("| *%s* | %s |" % (tp_label, " | ".join("*%s*" % fnum(tp.get(s)) for s in sizes)))
        for alg in R["algs"]:
            if alg not in cell:
                continue
            L.append("| %s %s | %s |" % (ALG_NAMES[alg], kind, " | ".join(
                "**%s** / %s / %s / %s" % (fnum(c["wildside_mpps"]), fnum(c["gbps_l1_plain"], "%.1f"),
                                           fnum(c["ratio_testpmd"]), fnum(c["ratio_raw"]))
                if c else "-" for c in (cell[alg].get(s) for s in sizes))))
    L.append("")
    L.append("| raw ipsec-mb Mpps (crypto_bench BM_Esp raw side; libsodium for chacha-sodium), same run | %s |"
             % " | ".join(lab(s) for s in sizes))
    L.append("| --- |" + " --- |" * len(sizes))
    for kind in ("encrypt", "decrypt"):
        for alg in R["algs"]:
            rs = {r["size"]: r for r in R["rows"] if r["kind"] == kind and r["alg"] == alg}
            if rs:
                L.append("| %s %s | %s |" % (ALG_NAMES[alg], kind, " | ".join(
                    "%s (%s cyc)" % (fnum(rs[s]["raw_mpps"]), fnum(rs[s]["raw_cyc_pkt"], "%.0f")) if s in rs else "-"
                    for s in sizes)))
    L.append("")
    L.append("| per on-CPU second of the forwarding thread (rate / on-CPU share): wildside Mpps / testpmd Mpps / "
             "× testpmd / × raw | %s |" % " | ".join(lab(s) for s in sizes))
    L.append("| --- |" + " --- |" * len(sizes))
    for kind in ("encrypt", "decrypt", "bypass", "plain"):
        for alg in (R["algs"] if kind in ("encrypt", "decrypt") else ["plain"]):
            rs = {r["size"]: r for r in R["rows"] if r["kind"] == kind and r["alg"] == alg}
            if rs:
                L.append("| %s | %s |" % ("%s %s" % (ALG_NAMES[alg], kind) if alg != "plain" else
                                          {"bypass": "SP bypass", "plain": "plain forwarding"}[kind],
                                          " | ".join("**%s** / %s / %s / %s" % (
                                              fnum(rs[s]["wildside_mpps_per_oncpu_s"]),
                                              fnum(rs[s]["testpmd_mpps_per_oncpu_s"]),
                                              fnum(rs[s]["ratio_testpmd_oncpu"]), fnum(rs[s]["ratio_raw_oncpu"]))
                                              if s in rs else "-" for s in sizes)))
    L.append("")
    L.append("| on-CPU share of the forwarding thread: wildside worker / testpmd (100%% = never preempted) | %s |"
             % " | ".join(lab(s) for s in sizes))
    L.append("| --- |" + " --- |" * len(sizes))
    for kind in ("encrypt", "decrypt", "bypass", "plain"):
        for alg in (R["algs"] if kind in ("encrypt", "decrypt") else ["plain"]):
            rs = {r["size"]: r for r in R["rows"] if r["kind"] == kind and r["alg"] == alg}
            if rs:
                L.append("| %s | %s |" % ("%s %s" % (ALG_NAMES[alg], kind) if alg != "plain" else
                                          {"bypass": "SP bypass", "plain": "plain forwarding"}[kind],
                                          " | ".join(oncpu_label(rs[s]) if s in rs else "-" for s in sizes)))
    L.append("")
    L.append("| crypto stage cycles/packet (ipsec-out for encrypt, ipsec-in for decrypt; × the worker's on-CPU "
             "share) vs raw ipsec-mb | %s |" % " | ".join(lab(s) for s in sizes))
    L.append("| --- |" + " --- |" * len(sizes))
    for kind, st in (("encrypt", "ipsec-out"), ("decrypt", "ipsec-in")):
        for alg in R["algs"]:
            rs = {r["size"]: r for r in R["rows"] if r["kind"] == kind and r["alg"] == alg}
            if rs:
                L.append("| %s %s | %s |" % (ALG_NAMES[alg], kind, " | ".join(
                    "%s (%s) vs %s" % (fnum(rs[s]["stages"].get(st), "%.0f"),
                                       fnum(rs[s]["stages"].get(st, 0) * rs[s]["wildside_oncpu"]
                                            if rs[s].get("wildside_oncpu") and rs[s]["stages"].get(st) else None,
                                            "%.0f"), fnum(rs[s]["raw_cyc_pkt"], "%.0f"))
                    if s in rs else "-" for s in sizes)))
    print("\n".join(L))


def cmd_report(a):
    R = assemble(a.rundir)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(R, f, indent=1)
            f.write("\n")
    L = []
    L.append("| %s, 1 worker (same run, alternating) | frame: plaintext (ESP) | testpmd io Mpps | wildside Mpps | "
             "Gbps L1 plaintext | × testpmd | raw ipsec-mb Mpps (crypto_bench; ESP lib) | × raw | "
             "busy cycles/pkt (over plain fwd) | raw cycles/pkt | on-CPU share: wildside worker / testpmd |"
             % "ESP tunnel")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in R["rows"]:
        if r["kind"] not in ("encrypt", "decrypt"):
            continue
        L.append("| %s %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s (+%s) | %s | %s |%s" % (
            ALG_NAMES[r["alg"]], r["kind"], size_label(r), fnum(r["testpmd_mpps"]), wsm_label(r),
            fnum(r["gbps_l1_plain"], "%.1f"), fnum(r["ratio_testpmd"]), fnum(r["raw_mpps"]),
            fnum(r["esp_lib_mpps"]), fnum(r["ratio_raw"]), fnum(r["busy_cycles_per_packet"], "%.0f"),
            fnum(r["over_plain_cycles"], "%.0f"), fnum(r["raw_cyc_pkt"], "%.0f"), oncpu_label(r),
            " drops: %s" % r["drops"] if r["drops"] else ""))
    L.append("")
    L.append("| no crypto / two workers (same run) | frame | testpmd io Mpps | wildside Mpps | Gbps L1 | × testpmd | "
             "busy cycles/pkt | per-worker Mpps | on-CPU share: wildside worker(s) / testpmd |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    names = {"bypass": "SP bypass: SPD of 1 bypass policy, no SA", "plain": "plain forwarding, no xfrm config",
             "encrypt-2-workers": "AES-128-GCM encrypt, one SA from 2 workers (2nd shares a CPU)"}
    for r in R["rows"]:
        if r["kind"] in ("encrypt", "decrypt"):
            continue
        per = "-"
        if r["kind"] == "encrypt-2-workers" and r["workers"]:
            w, win = r["workers"][0], r["windows_s"][0]
            per = " / ".join("%.2f" % (x.get("rx_packets", 0) / 1e6 / win) for x in w)
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |%s" % (
            names[r["kind"]], size_label(r), fnum(r["testpmd_mpps"]), wsm_label(r),
            fnum(r["gbps_l1_plain"], "%.1f"), fnum(r["ratio_testpmd"]),
            fnum(r["busy_cycles_per_packet"], "%.0f"), per, oncpu_label(r), " drops: %s" % r["drops"] if r["drops"] else ""))
    L.append("")
    if R.get("secgw"):
        L.append("| DPDK ipsec-secgw (EAL -l 1; -l: librte_ipsec; crypto_aesni_mb0), same run | frame | testpmd io Mpps | "
                 "ipsec-secgw Mpps (its rx Mpps) | × testpmd | wildside Mpps | wildside / secgw | per on-CPU s: "
                 "secgw / wildside Mpps (wildside / secgw) |")
        L.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for x in R["secgw"]:
            L.append("| %s | %s | %s | %s (%s) | %s | %s | **%s** | %s / %s (%s) |" % (
                {"encrypt": "AES-128-GCM tunnel encrypt", "decrypt": "AES-128-GCM tunnel decrypt",
                 "bypass": "SP bypass (ACL + LPM)"}[x["kind"]],
                "IMIX" if x["size"] == "imix" else x["size"] + " B", fnum(x["testpmd_mpps"]),
                fnum(x["secgw_mpps"]), fnum(x["secgw_rx_mpps"]), fnum(x["ratio_testpmd"]),
                fnum(x["wildside_mpps"]), fnum(x["wildside_over_secgw"]), fnum(x.get("secgw_mpps_per_oncpu_s")),
                fnum(x.get("wildside_mpps_per_oncpu_s")), fnum(x.get("wildside_over_secgw_oncpu"))))
        L.append("")
    L.append("| per-stage cycles/packet (show counters) | frame | " + " | ".join(STAGES) +
             " | sum | busy | worker on-CPU | busy × on-CPU |")
    L.append("| --- | --- |" + " --- |" * (len(STAGES) + 4))
    for r in R["rows"]:
        st = r["stages"]
        tot = sum(v for k, v in st.items() if k in STAGES and v is not None)
        lab = ("%s %s" % (ALG_NAMES.get(r["alg"], r["alg"]), r["kind"]) if r["kind"] in ("encrypt", "decrypt")
               else {"bypass": "SP bypass (no crypto)", "plain": "plain forwarding (no xfrm)",
                     "encrypt-2-workers": "AES-128-GCM encrypt, 2 workers (mean of both)"}[r["kind"]])
        oc, busy = r.get("wildside_oncpu"), r["busy_cycles_per_packet"]
        L.append("| %s | %s | %s | %.0f | %s | %s | %s |" % (
            lab, "IMIX" if r["size"] == "imix" else r["size"] + " B",
            " | ".join(fnum(st.get(s), "%.0f") for s in STAGES), tot, fnum(busy, "%.0f"),
            fnum(None if oc is None else 100 * oc, "%.0f%%"), fnum(busy * oc if busy and oc else None, "%.0f")))
    L.append("")
    for k, g in R["goals"].items():
        if k.startswith("gcm128_64B"):
            L.append("- goal AES-128-GCM encrypt at 64 B >= 2x ipsec-secgw (DESIGN: 5.0-5.8 Mpps, so >= %.1f-%.1f "
                     "Mpps): %.2f Mpps = %.2f-%.2fx: **%s**" % (g["need_mpps"][0], g["need_mpps"][1],
                                                                 g["wildside_mpps"], g["x_secgw"][0],
                                                                 g["x_secgw"][1], g["met"]))
            if g.get("wildside_mpps_per_oncpu_s"):
                L.append("  - per on-CPU second of the worker: %.2f Mpps = %.2f-%.2fx" % (
                    g["wildside_mpps_per_oncpu_s"], g["wildside_mpps_per_oncpu_s"] / SECGW_64[1],
                    g["wildside_mpps_per_oncpu_s"] / SECGW_64[0]))
            if "measured_secgw_mpps" in g:
                L.append("  - against ipsec-secgw measured in this run (%.2f Mpps): %.2fx: **%s**" % (
                    g["measured_secgw_mpps"], g["x_measured_secgw"] or 0,
                    "met" if (g["x_measured_secgw"] or 0) >= 2 else "missed"))
                if g.get("x_measured_secgw_per_oncpu_s"):
                    L.append("  - the same per on-CPU second of each one's worker: %.2fx" % g["x_measured_secgw_per_oncpu_s"])
        else:
            L.append("- goal AES-128-GCM %s at 1420 B >= 0.8x raw ipsec-mb (%.2f Mpps, so >= %.2f): %.2f Mpps = "
                     "%.2fx: **%s**%s" % (k.rsplit("_", 1)[1], g["raw_mpps"], g["need_mpps"], g["wildside_mpps"],
                                          g["ratio"], g["met"],
                                          "; per on-CPU second of the worker %.2fx" % g["ratio_per_oncpu_s"]
                                          if g.get("ratio_per_oncpu_s") else ""))
    v = R["verify"]
    if v:
        ok = [k for k, x in v.items() if x and x["bad"] == 0]
        badv = [k for k, x in v.items() if not x or x["bad"]]
        L.append("- egress checked against scapy (%s frames, one per flow): %d rigs correct%s" % (
            R.get("verify_size"), len(ok), "; WRONG: " + ", ".join(badv) if badv else ""))
    L.append("")
    L.append("Reproduce: `%s`" % R["command"])
    print("\n".join(L))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "ws-measure":
        return cmd_ws_measure(sys.argv[2:])
    if len(sys.argv) == 3 and sys.argv[1] == "schedstat":
        import time
        pid = int(sys.argv[2])
        tids = worker_threads(pid)
        run, wait = schedstat(pid, tids)
        return print(json.dumps({"t": time.monotonic(), "run_ns": run, "wait_ns": wait, "threads": len(tids)}))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("verify")
    p.add_argument("--rig", required=True)
    p.add_argument("--kind", required=True, choices=["enc", "dec", "bypass", "plain"])
    p.add_argument("--alg", default="gcm128")
    p.add_argument("--in", dest="inp", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("dpdk-measure")
    p.add_argument("--sock", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--ready-timeout", type=int, default=60)
    p = sub.add_parser("compact")
    p.add_argument("json")
    p = sub.add_parser("report")
    p.add_argument("rundir")
    p.add_argument("--out")
    a = ap.parse_args()
    {"verify": cmd_verify, "dpdk-measure": cmd_dpdk_measure, "report": cmd_report, "compact": cmd_compact}[a.cmd](a)


if __name__ == "__main__":
    main()
