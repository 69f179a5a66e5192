#!/usr/bin/python3
"""pipeline_util.py — the helpers of perf/pipeline/pipeline_bench.sh. Standard library only.

  check-routes ANSWERS.json                 every flow's `ip route get` answer (wildsidectl -j
                                            -batch) must leave by eth1; prints the count per
                                            deciding rule priority as JSON; exit 1 otherwise.
  testpmd LOG --warmup S --port P           the forwarded rate of a `dpdk-testpmd --stats-period 1`
                                            log: port P's Tx-pps per period, the periods of the
                                            first S seconds dropped (start-up); prints JSON.
  ws-measure --ctl CTL --sock SOCK --pid PID --warmup W --seconds N [--ready-timeout T]
                                            waits until wildside's socket answers and eth1's tx
                                            counter grows, lets it run W s, then samples
                                            `ip -s link show` every second for N s and
                                            `show counters` at both ends; prints JSON (rates and
                                            per-stage cycles/packet over the window).
  report RUNDIR [--out FILE.json]           assembles a pipeline_bench.sh run directory (meta.json,
                                            tp-SIZE-rN.json, ws-SIZE-rN.json) into one JSON and
                                            prints its Markdown table.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time


def die(msg):
    print("pipeline_util: " + msg, file=sys.stderr)
    sys.exit(1)


# --- check-routes ----------------------------------------------------------------------------

def cmd_check_routes(a):
    with open(a.answers) as f:
        ans = json.load(f)
    by_prio, bad = {}, []
    for i, r in enumerate(ans):
        if "error" in r or r.get("dev") != "eth1":
            bad.append((i, r))
            continue
        k = str(r.get("priority", "?"))
        by_prio[k] = by_prio.get(k, 0) + 1
    out = {"flows": len(ans), "out_eth1": len(ans) - len(bad),
           "decided_by_priority": dict(sorted(by_prio.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 1 << 30))}
    print(json.dumps(out))
    if bad:
        for i, r in bad[:10]:
            print("pipeline_util: flow %d not forwarded out of eth1: %s" % (i, json.dumps(r)), file=sys.stderr)
        sys.exit(1)


# --- testpmd ---------------------------------------------------------------------------------

def parse_testpmd(text, port):
    """[(cumulative TX-packets, Tx-pps)] of `port`, one per stats period, and its final
    forward-statistics TX-packets."""
    samples = []
    for block in text.split("Port statistics ====")[1:]:
        m = re.search(r"NIC statistics for port %d\s+#+(.*?)#{20,}" % port, block, re.S)
        if not m:
            continue
        p = re.search(r"TX-packets:\s+(\d+)", m.group(1))
        t = re.search(r"Tx-pps:\s+(\d+)", m.group(1))
        if p and t:
            samples.append((int(p.group(1)), int(t.group(1))))
    final = None
    m = re.search(r"Forward statistics for port %d\s+-+\s+.*?TX-packets:\s+(\d+)" % port, text, re.S)
    if m:
        final = int(m.group(1))
    return samples, final


def steady(samples, warmup):
    """testpmd prints a period when its timer (EAL's TSC estimate) says --stats-period has
    passed, and sleeps 1 s between checks: on this VM EAL's 2.600 GHz against the real 2.596
    makes the periods 2 s, not 1. Each Tx-pps is exact over its own period (testpmd divides by
    clock_gettime time), so a period lasted (its packets / its pps) seconds. The first period
    (printed at start, 0 pps) is dropped, then periods until `warmup` seconds of forwarding have
    passed; the rate is the time-weighted mean of the rest: their packets / their seconds."""
    periods, t = [], 0.0
    for (p0, _), (p1, pps) in zip(samples, samples[1:]):
        if pps <= 0:
            continue
        dt = (p1 - p0) / pps
        periods.append({"start_s": round(t, 3), "seconds": round(dt, 3), "packets": p1 - p0,
                        "mpps": round(pps / 1e6, 3)})
        t += dt
    kept = [x for x in periods[1:] if x["start_s"] >= warmup - 1e-6] or periods[-1:]
    if not kept:
        return None, periods
    pk = sum(x["packets"] for x in kept)
    sec = sum(x["packets"] / (x["mpps"] * 1e6) for x in kept)
    m = [x["mpps"] for x in kept]
    return {"mean_mpps": round(pk / sec / 1e6, 3), "median_mpps": round(statistics.median(m), 3),
            "min_mpps": min(m), "max_mpps": max(m), "n": len(kept), "window_s": round(sec, 2)}, periods


def cmd_testpmd(a):
    with open(a.log, errors="replace") as f:
        text = f.read()
    samples, final = parse_testpmd(text, a.port)
    st, periods = steady(samples, a.warmup)
    if st is None:
        die("no steady-state stats in %s (%d periods)" % (a.log, len(samples)))
    print(json.dumps({"periods": periods, "warmup_s": a.warmup, "steady": st,
                      "final_tx_packets": final}))


# --- ws-measure ------------------------------------------------------------------------------

def ctl(a, *args, timeout=10):
    for attempt in range(20):  # the binary may be being relinked by a build: retry for 4 s
        try:
            r = subprocess.run([a.ctl, "-s", a.sock, "-j"] + list(args), capture_output=True,
                               text=True, timeout=timeout)
            break
        except OSError as e:
            if attempt == 19:
                raise RuntimeError("cannot run %s: %s" % (a.ctl, e))
            time.sleep(0.2)
    if r.returncode != 0:
        raise RuntimeError("wildsidectl %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return json.loads(r.stdout)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by the shell) counts as dead
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def link_sample(a):
    t = time.monotonic()
    links = ctl(a, "ip", "-s", "link", "show")
    t = (t + time.monotonic()) / 2
    by = {l["ifname"]: l for l in links}
    if "eth1" not in by or "eth0" not in by:
        raise RuntimeError("ip -s link show lacks eth0/eth1: %s" % [l.get("ifname") for l in links])
    s1, s0 = by["eth1"]["stats64"], by["eth0"]["stats64"]
    return {"t": t, "eth1_tx": s1["tx"]["packets"], "eth1_tx_dropped": s1["tx"].get("dropped", 0),
            "eth0_rx": s0["rx"]["packets"], "eth0_rx_dropped": s0["rx"].get("dropped", 0),
            "eth0_tx": s0["tx"]["packets"]}


def stage_deltas(c0, c1):
    st0 = {s["name"]: s for s in c0.get("stages", [])}
    out = []
    for s in c1.get("stages", []):
        p = s["packets"] - st0.get(s["name"], {}).get("packets", 0)
        c = s["cycles"] - st0.get(s["name"], {}).get("cycles", 0)
        out.append({"name": s["name"], "packets": p, "cycles": c,
                    "cycles_per_packet": round(c / p, 1) if p > 0 else None})
    return out


def worker_deltas(c0, c1):
    """Every numeric counter of each worker over the window (rx_packets, busy_cycles,
    idle_polls, route_cache_misses, ... whatever the dataplane reports)."""
    w0 = {w["id"]: w for w in c0.get("workers", [])}
    out = []
    for w in c1.get("workers", []):
        b = w0.get(w["id"], {})
        d = {"id": w["id"], "lcore": w.get("lcore")}
        for k, v in w.items():
            if k not in ("id", "lcore") and isinstance(v, (int, float)):
                d[k] = v - b.get(k, 0)
        rx, busy = d.get("rx_packets", 0), d.get("busy_cycles", 0)
        d["busy_cycles_per_packet"] = round(busy / rx, 1) if rx > 0 else None
        out.append(d)
    return out


def nonzero_drops(c0, c1):
    d0 = c0.get("drops", {})
    return {k: v - d0.get(k, 0) for k, v in c1.get("drops", {}).items() if v - d0.get(k, 0)}


def rule_deltas(c0, c1):
    r0 = {(r.get("family"), r.get("priority"), r.get("rule")): r.get("packets", 0) for r in c0.get("rules", [])}
    out = []
    for r in c1.get("rules", []):
        k = (r.get("family"), r.get("priority"), r.get("rule"))
        n = r.get("packets", 0) - r0.get(k, 0)
        if n:
            out.append({"priority": r.get("priority"), "rule": r.get("rule"), "packets": n})
    return out


def cmd_ws_measure(a):
    t_start = time.monotonic()
    first, last_err = None, ""
    # 1. the socket answers and eth1's tx counter grows
    while True:
        if not alive(a.pid):
            die("wildside (pid %d) exited before forwarding; last wildsidectl error: %s" % (a.pid, last_err))
        if time.monotonic() - t_start > a.ready_timeout:
            die("wildside not forwarding after %d s (socket %s); last: %s" % (a.ready_timeout, a.sock, last_err or first))
        try:
            s = link_sample(a)
            if first is None:
                first = s
            elif s["eth1_tx"] > first["eth1_tx"]:
                break
            last_err = "eth1 tx packets stay at %d (eth0 rx %d)" % (s["eth1_tx"], s["eth0_rx"])
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            last_err = str(e)
        time.sleep(0.25)
    ready_s = time.monotonic() - t_start
    # 2. warm-up, then the window
    time.sleep(a.warmup)
    c0 = ctl(a, "show", "counters")
    s0 = link_sample(a)
    samples = [s0]
    for i in range(a.seconds):
        time.sleep(max(0.0, s0["t"] + (i + 1) - time.monotonic()))
        samples.append(link_sample(a))
    c1 = ctl(a, "show", "counters")
    if not alive(a.pid):
        die("wildside (pid %d) died during the measurement" % a.pid)
    s1 = samples[-1]
    dt = s1["t"] - s0["t"]
    per_s = [(b["eth1_tx"] - x["eth1_tx"]) / (b["t"] - x["t"]) for x, b in zip(samples, samples[1:])]
    rate = (s1["eth1_tx"] - s0["eth1_tx"]) / dt
    workers = worker_deltas(c0, c1)
    busy = sum(w["busy_cycles"] for w in workers)
    wrx = sum(w["rx_packets"] for w in workers)
    out = {
        "ready_s": round(ready_s, 2),
        "window_s": round(dt, 3),
        "mpps": round(rate / 1e6, 3),
        "mpps_per_second": [round(x / 1e6, 3) for x in per_s],
        "median_mpps_per_second": round(statistics.median(per_s) / 1e6, 3),
        "eth1_tx_packets": s1["eth1_tx"] - s0["eth1_tx"],
        "eth0_rx_packets": s1["eth0_rx"] - s0["eth0_rx"],
        "eth0_rx_dropped": s1["eth0_rx_dropped"] - s0["eth0_rx_dropped"],
        "eth1_tx_dropped": s1["eth1_tx_dropped"] - s0["eth1_tx_dropped"],
        "eth0_tx_packets": s1["eth0_tx"] - s0["eth0_tx"],
        "busy_cycles_per_packet": round(busy / wrx, 1) if wrx else None,
        "route_cache_miss_rate": (round(sum(w.get("route_cache_misses", 0) for w in workers) / wrx, 5)
                                  if wrx and any("route_cache_misses" in w for w in workers) else None),
        "workers": workers,
        "stages": stage_deltas(c0, c1),
        "drops": nonzero_drops(c0, c1),
        "rules": rule_deltas(c0, c1),
    }
    print(json.dumps(out))


# --- report ----------------------------------------------------------------------------------

def fnum(x, fmt="%.2f"):
    return "-" if x is None else fmt % x


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def assemble(rundir):
    """The results JSON of a run directory: meta.json plus tp-SIZE-rN.json / ws-SIZE-rN.json."""
    R = load(os.path.join(rundir, "meta.json"))
    runs = []
    for size in R["sizes"]:
        for rnd in range(1, R["rounds"] + 1):
            tp = load(os.path.join(rundir, "tp-%d-r%d.json" % (size, rnd)))
            ws = load(os.path.join(rundir, "ws-%d-r%d.json" % (size, rnd)))
            if tp is None and ws is None:
                continue
            tpm = tp["steady"]["mean_mpps"] if tp else None
            wsm = ws["mpps"] if ws else None
            runs.append({"size": size, "round": rnd, "testpmd": tp, "wildside": ws,
                         "ratio": round(wsm / tpm, 3) if tpm and wsm is not None else None})
    summary = {}
    for size in R["sizes"]:
        rs = [r for r in runs if r["size"] == size]
        tps = [r["testpmd"]["steady"]["mean_mpps"] for r in rs if r["testpmd"]]
        wss = [r["wildside"]["mpps"] for r in rs if r["wildside"]]
        tpm = statistics.fmean(tps) if tps else None
        wsm = statistics.fmean(wss) if wss else None
        ratio = wsm / tpm if tpm and wsm is not None else None
        summary[str(size)] = {
            "testpmd_mpps": round(tpm, 3) if tpm is not None else None,
            "wildside_mpps": round(wsm, 3) if wsm is not None else None,
            "ratio": round(ratio, 3) if ratio is not None else None,
            "round_ratios": [r["ratio"] for r in rs],
            "goal_0.7x": None if ratio is None else ("met" if ratio >= 0.7 else "missed"),
        }
    R["runs"] = runs
    R["summary"] = summary
    return R


def cmd_report(a):
    R = assemble(a.rundir)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(R, f, indent=1)
            f.write("\n")
    tsc = R["context"]["tsc_hz"]
    W = R["workers"]
    lines = [
        "| pipeline, %d worker%s, %s routes, %d rules, %s flows (same run, alternating) | frame | testpmd io Mpps | "
        "wildside Mpps | ratio (goal >= 0.7) | wildside Gbps (L1) | worker busy cycles/pkt | "
        "TSC cycles/pkt at that rate%s | per-stage cycles/pkt |"
        % (W, "" if W == 1 else "s", format(R["routes"], ","), R["rules"], format(R["flows"], ","),
           "" if W == 1 else " per worker"),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in R["sizes"]:
        rs = [r for r in R["runs"] if r["size"] == size]
        for r in rs:
            tp = r["testpmd"]["steady"]["mean_mpps"] if r["testpmd"] else None
            ws = r["wildside"]
            wsm = ws["mpps"] if ws else None
            stages = ", ".join("%s %s" % (s["name"], fnum(s["cycles_per_packet"], "%.0f"))
                               for s in (ws["stages"] if ws else [])) or "-"
            avail = tsc * W / (wsm * 1e6) if wsm else None
            gbps = wsm * 1e6 * (size + 20) * 8 / 1e9 if wsm else None
            lines.append("| round %d | %d B | %s | %s | %s | %s | %s | %s | %s |" % (
                r["round"], size, fnum(tp), fnum(wsm), fnum(r["ratio"]), fnum(gbps),
                fnum(ws["busy_cycles_per_packet"] if ws else None, "%.0f"), fnum(avail, "%.0f"), stages))
        s = R["summary"][str(size)]
        lines.append("| **mean of %d rounds** | %d B | %s | %s | **%s**%s | | | | |" % (
            len(rs), size, fnum(s["testpmd_mpps"]), fnum(s["wildside_mpps"]), fnum(s["ratio"]),
            " (%s)" % s["goal_0.7x"] if s["goal_0.7x"] else ""))
    lines.append("")
    lines.append("Reproduce: `%s`" % R["command"])
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check-routes")
    p.add_argument("answers")
    p = sub.add_parser("testpmd")
    p.add_argument("log")
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--port", type=int, default=1)
    p = sub.add_parser("ws-measure")
    p.add_argument("--ctl", required=True)
    p.add_argument("--sock", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--ready-timeout", type=int, default=90)
    p = sub.add_parser("report")
    p.add_argument("rundir")
    p.add_argument("--out", help="write the assembled results JSON here")
    a = ap.parse_args()
    {"check-routes": cmd_check_routes, "testpmd": cmd_testpmd, "ws-measure": cmd_ws_measure,
     "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
