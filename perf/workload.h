#pragma once
// perf/workload.h — what the benchmark programs share: the checked-in workload files written by
// perf/gen_routes.py, loading them through the control plane, TSC cycle counting, and the
// destination mixes. Header-only; used by fib_bench.cc, route_decision_bench.cc, load_bench.cc.
//
// The workload directory defaults to perf/out/work (run_all.sh generates it); every program
// takes --workdir=DIR before the Google Benchmark flags.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "control/config.h"
#include "control/model/model.h"
#include "dataplane/tables/fib.h"

namespace perf {

inline std::string& workdir() {
    static std::string d = "perf/out/work";
    return d;
}

// Strips --workdir=DIR from argv (Google Benchmark rejects flags it does not know).
inline void parse_workdir(int& argc, char** argv) {
    int o = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--workdir=", 10) == 0) workdir() = argv[i] + 10;
        else argv[o++] = argv[i];
    }
    argc = o;
}

inline std::string path(const std::string& name) { return workdir() + "/" + name; }

inline std::string read_text(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "perf: cannot open %s (run /usr/bin/python3 perf/gen_routes.py --out-dir %s)\n",
                     p.c_str(), workdir().c_str());
        std::exit(2);
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void die_on(const ws::Status& st, const char* what) {
    if (!st) {
        std::fprintf(stderr, "perf: %s: %s\n", what, st.error().format().c_str());
        std::exit(2);
    }
}

inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the calling thread: unlike wall time it leaves out the time the thread was
// preempted, which on the shared 2-core VMs can be a third of a run.
inline double thread_cpu_s() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Cycle figures for `items` operations between two Meter::start()/stop() points:
// cycles_per_op = CPU ns per op x TSC GHz (preemption left out: the figure to quote), and
// tsc_cycles_per_op = raw rdtsc delta per op (wall clock: includes any preemption).
struct Meter {
    uint64_t c0 = 0, c1 = 0;
    double cpu0 = 0, cpu1 = 0;
    void start();
    void stop();
    double ns_per(double items) const { return (cpu1 - cpu0) * 1e9 / items; }
    double cycles_per(double items) const;
    double tsc_cycles_per(double items) const { return double(c1 - c0) / items; }
};

// Time-stamp counter. On the project's AMD EPYC VMs the TSC is invariant: it ticks at the
// nominal frequency whatever the core clock, so "cycles" below are TSC cycles.
inline uint64_t tsc() {
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// TSC ticks per nanosecond, calibrated once against steady_clock over 100 ms.
inline double tsc_ghz() {
    static const double ghz = [] {
        const double t0 = now_s();
        const uint64_t c0 = tsc();
        while (now_s() - t0 < 0.1) {
        }
        const double t1 = now_s();
        const uint64_t c1 = tsc();
        return double(c1 - c0) / ((t1 - t0) * 1e9);
    }();
    return ghz;
}

inline void Meter::start() {
    cpu0 = thread_cpu_s();
    c0 = tsc();
}
inline void Meter::stop() {
    c1 = tsc();
    cpu1 = thread_cpu_s();
}
inline double Meter::cycles_per(double items) const { return ns_per(items) * tsc_ghz(); }

// Uniform random IPv4 destinations (host order): most miss a BGP-like table.
inline std::vector<uint32_t> random_dests(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint32_t> v(n);
    for (auto& a : v) a = uint32_t(rng());
    return v;
}

// Destinations inside the table's prefixes: a random prefix, then random host bits, so every
// lookup hits and the length mix of the answers follows the table's.
inline std::vector<uint32_t> table_dests(const dp::Fib& f, size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint32_t> v(n);
    const size_t np = f.prefix_count();
    for (auto& a : v) {
        const auto& p = f.node(dp::Fib::Handle(rng() % np)).prefix;
        const uint32_t host = p.len >= 32 ? 0 : uint32_t(0xffffffffu >> p.len);
        a = p.addr.v4() | (uint32_t(rng()) & host);
    }
    return v;
}

// Items processed plus cycles (CPU-time and raw TSC) and ns per item, as every benchmark here
// reports them: counters "cycles_per_<unit>", "tsc_cycles_per_<unit>", "ns_per_<unit>".
inline void report_per_item(benchmark::State& st, const Meter& meter, double items, const std::string& unit) {
    st.SetItemsProcessed(int64_t(items));
    st.counters["cycles_per_" + unit] = meter.cycles_per(items);
    st.counters["tsc_cycles_per_" + unit] = meter.tsc_cycles_per(items);
    st.counters["ns_per_" + unit] = meter.ns_per(items);
}

// The shared main() of the benchmark programs: --workdir, Google Benchmark's flags, and the
// context every report carries (workdir, TSC frequency).
inline int run_benchmarks(int argc, char** argv) {
    parse_workdir(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("workdir", workdir());
    benchmark::AddCustomContext("tsc_ghz", std::to_string(tsc_ghz()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

}  // namespace perf
