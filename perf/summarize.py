#!/usr/bin/python3
"""summarize.py — the Markdown tables of one perf/run_all.sh run, from perf/out/*.json and
perf/out/load_bench.txt (the shape perf/RESULTS.md copies). Standard library only.

  /usr/bin/python3 perf/summarize.py [perf/out]
"""
import json
import os
import sys


def load_json(out, name):
    p = os.path.join(out, name + ".json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def load_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    return kv


def args_of(name):
    """'BM_LpmBulk/routes:1000000/burst:32/in_table:0/min_time:0.300' -> {'routes': '1000000', ...}"""
    out = {}
    for part in name.split("/")[1:]:
        if ":" in part:
            k, v = part.split(":", 1)
            out[k] = v
    return out


def prefixes(n):
    return "%s prefix%s" % (format(n, ","), "" if n == 1 else "es")


def mib(x):
    return "%.1f MiB" % (float(x) / 1048576) if float(x) >= 1048576 else "%.1f KiB" % (float(x) / 1024)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "perf/out"
    lines = []
    ctx = None

    load = load_kv(os.path.join(out, "load_bench.txt"))
    if load:
        lines += [
            "| load of %s routes (same run) | time | ratio kernel / wildside |" % format(int(load["routes"]), ","),
            "| --- | --- | --- |",
            "| `wildsidectl -c routes.conf show compiled fib` (median of %s: %s s) | %s s | |"
            % (len(load["wildside_runs_s"].split()), load["wildside_runs_s"], load["wildside_median_s"]),
            "| kernel `ip -n NS -batch routes.batch` | %s s | **%sx** (goal >= 10x: %s) |"
            % (load["kernel_median_s"], load["ratio_kernel_over_wildside"], load["goal_10x"]),
            "| CPU time (user+sys), wildside vs kernel | %s s vs %s s | %sx |"
            % (load.get("wildside_cpu_median_s", "?"), load.get("kernel_cpu_median_s", "?"),
               load.get("ratio_cpu_kernel_over_wildside", "?")),
            "",
        ]

    cl = load_json(out, "ctl_load_bench")
    if cl:
        ctx = ctx or cl["context"]
        b = cl["benchmarks"][0]
        phases = ["read_s", "split_s", "apply_s", "compile_s", "free_routing_s", "free_model_s"]
        total = sum(b[p] for p in phases)
        lines += [
            "| wildside load phase (ctl_load_bench, in-process) | seconds | share |",
            "| --- | --- | --- |",
        ]
        for p in phases:
            lines.append("| %s | %.3f | %.0f%% |" % (p[:-2], b[p], 100 * b[p] / total))
        lines += [
            "| (inside apply: grammar only, parse_route of every line) | %.3f | |" % b["parse_only_s"],
            "| (inside compile: RouteTable::groups of main) | %.3f | |" % b["export_s"],
            "| total | %.3f | |" % total,
            "",
        ]

    fb = load_json(out, "fib_bench")
    if fb:
        ctx = ctx or fb["context"]
        lines += [
            "| Fib::lpm_bulk_v4 | burst | destinations | lookups/s | ns/lookup | cycles/lookup (TSC, raw) | hits | table memory |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for b in fb["benchmarks"]:
            if not b["name"].startswith("BM_LpmBulk"):
                continue
            a = args_of(b["name"])
            routes = int(float(b["prefixes"]))
            lines.append("| %s | %s | %s | %.1f M | %.1f | %.0f (%.0f) | %.0f%% | %s |" % (
                prefixes(routes), a["burst"], "in table" if a["in_table"] == "1" else "random",
                b["items_per_second"] / 1e6, b["ns_per_lookup"], b["cycles_per_lookup"],
                b["tsc_cycles_per_lookup"], 100 * b["hit_ratio"], mib(b["table_bytes"])))
        lines += ["", "| Fib::build | build time | memory_bytes() | bytes/prefix |", "| --- | --- | --- | --- |"]
        for b in fb["benchmarks"]:
            if not b["name"].startswith("BM_FibBuild"):
                continue
            unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9}[b["time_unit"]]
            t = b["real_time"] * unit
            lines.append("| %s | %s | %s | %.0f |" % (
                prefixes(int(b["prefixes"])), ("%.0f ms" % (t * 1e3)) if t >= 0.01 else ("%.0f us" % (t * 1e6)),
                mib(b["table_bytes"]), b["bytes_per_prefix"]))
        lines.append("")

    rd = load_json(out, "route_decision_bench")
    if rd:
        ctx = ctx or rd["context"]
        lines += [
            "| dp::route_input, 1M-route main | decisions/s | ns/decision | cycles/decision (TSC, raw) | decided by last rule | compile_routing | main / local table memory |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for b in rd["benchmarks"]:
            a = args_of(b["name"])
            k = a["rules"]
            lines.append("| %s user rule%s | %.2f M | %.0f | %.0f (%.0f) | %.0f%% | %.2f s | %s / %s |" % (
                k, "" if k == "1" else "s", b["items_per_second"] / 1e6, b["ns_per_decision"],
                b["cycles_per_decision"], b["tsc_cycles_per_decision"], 100 * b["last_rule_share"],
                b["compile_s"], mib(b.get("table254_bytes", 0)), mib(b.get("table255_bytes", 0))))
        lines.append("")

    ctx = next((j["context"] for j in (fb, rd, cl) if j), None)
    if ctx:
        lines.append("Context: %s, host %s, %s CPUs at %s MHz, TSC %s GHz, load average %s, libbenchmark %s build." % (
            ctx.get("date"), ctx.get("host_name"), ctx.get("num_cpus"), ctx.get("mhz_per_cpu"),
            ctx.get("tsc_ghz", "?")[:5], " ".join("%.2f" % x for x in ctx.get("load_avg", [])),
            ctx.get("library_build_type")))
    if load:
        lines.append("Load bench: kernel %s, %s, wildsidectl max RSS %s MiB." % (
            load.get("kernel"), load.get("cpu"), load.get("wildside_maxrss_mib")))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
