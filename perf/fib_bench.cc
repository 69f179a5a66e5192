// perf/fib_bench.cc — the compiled Fib (dataplane/tables/fib.h): bulk IPv4 longest-prefix
// match and the table build, on the checked-in BGP-like workload (perf/gen_routes.py).
//
//   build/perf/fib_bench [--workdir=perf/out/work] [Google Benchmark flags]
//
// Tables: the main table of routes.conf (1,000,000 routes + the connected 10.255.0.0/16), and
// tables of its first 1,000 and first 1 prefix, each built with Fib::build.
// BM_LpmBulk/ROUTES/BURST/MIX: Fib::lpm_bulk_v4 over BURST addresses per call, cycling through
//   2^20 precomputed destinations; MIX 0 = uniform random (mostly misses), 1 = inside the
//   table's prefixes (every lookup hits). Reports items_per_second (lookups per CPU second),
//   ns_per_lookup (CPU time), cycles_per_lookup (CPU ns x TSC GHz), tsc_cycles_per_lookup
//   (raw rdtsc, wall clock: includes preemption on a busy machine), hit_ratio, table_bytes
//   (Fib::memory_bytes()).
// BM_FibBuild/ROUTES: Fib::build time (manual time: the copy of the input is not counted),
//   table_bytes, bytes_per_prefix.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "perf/workload.h"

namespace {

constexpr size_t kDests = size_t(1) << 20;

// The exported main table of routes.conf, loaded through the control plane once.
const std::vector<dp::Route>& main_routes() {
    static const std::vector<dp::Route> routes = [] {
        ctl::Model m;
        const double t0 = perf::now_s();
        perf::die_on(ctl::load_file(m, perf::path("routes.conf")), "load routes.conf");
        std::fprintf(stderr, "fib_bench: loaded routes.conf in %.2f s (TSC %.3f GHz)\n", perf::now_s() - t0,
                     perf::tsc_ghz());
        auto it = m.v4.tables.find(dp::kTableMain);
        if (it == m.v4.tables.end()) {
            std::fprintf(stderr, "fib_bench: routes.conf has no main table\n");
            std::exit(2);
        }
        std::vector<dp::Route> all;
        for (const auto& g : it->second.groups()) all.insert(all.end(), g.begin(), g.end());
        return all;
    }();
    return routes;
}

constexpr int64_t kMillion = 1000000;  // as ROUTES: the whole main table (1,000,000 + connected)

std::vector<dp::Route> first_routes(size_t n) {
    const auto& all = main_routes();
    if (n >= size_t(kMillion) || n >= all.size()) return all;
    return std::vector<dp::Route>(all.begin(), all.begin() + long(n));
}

// ROUTES -> table (built once).
const dp::Fib& table(size_t n) {
    static std::map<size_t, std::unique_ptr<dp::Fib>> cache;
    auto& f = cache[n];
    if (!f) f = std::make_unique<dp::Fib>(dp::Fib::build(dp::kTableMain, ws::Family::kInet, first_routes(n)));
    return *f;
}

const std::vector<uint32_t>& dests(size_t n, bool from_table) {
    static std::map<std::pair<size_t, bool>, std::vector<uint32_t>> cache;
    auto& v = cache[{n, from_table}];
    if (v.empty()) v = from_table ? perf::table_dests(table(n), kDests, 42) : perf::random_dests(kDests, 42);
    return v;
}

void BM_LpmBulk(benchmark::State& st) {
    const size_t n = size_t(st.range(0));
    const unsigned burst = unsigned(st.range(1));
    const bool from_table = st.range(2) != 0;
    const dp::Fib& f = table(n);
    const auto& dst = dests(n, from_table);
    std::vector<dp::Fib::Handle> out(burst);
    size_t hits = 0;
    for (size_t i = 0; i < dst.size(); i += burst) {  // the answer mix, outside the timing
        f.lpm_bulk_v4(dst.data() + i, out.data(), burst);
        for (auto h : out) hits += h != dp::Fib::kNone;
    }
    size_t pos = 0;
    perf::Meter meter;
    meter.start();
    for (auto _ : st) {
        f.lpm_bulk_v4(dst.data() + pos, out.data(), burst);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
        pos += burst;
        if (pos + burst > dst.size()) pos = 0;
    }
    meter.stop();
    const double items = double(st.iterations()) * burst;
    perf::report_per_item(st, meter, items, "lookup");
    st.counters["hit_ratio"] = double(hits) / double(dst.size());
    st.counters["table_bytes"] = benchmark::Counter(double(f.memory_bytes()), benchmark::Counter::kDefaults,
                                                    benchmark::Counter::kIs1024);
    st.counters["prefixes"] = double(f.prefix_count());
    st.SetLabel(from_table ? "dst in table" : "dst random");
}

void BM_FibBuild(benchmark::State& st) {
    const size_t n = size_t(st.range(0));
    size_t bytes = 0, prefixes = 0;
    for (auto _ : st) {
        std::vector<dp::Route> in = first_routes(n);
        const double t0 = perf::now_s();
        dp::Fib f = dp::Fib::build(dp::kTableMain, ws::Family::kInet, std::move(in));
        st.SetIterationTime(perf::now_s() - t0);
        bytes = f.memory_bytes();
        prefixes = f.prefix_count();
        benchmark::DoNotOptimize(bytes);
    }
    st.counters["table_bytes"] =
        benchmark::Counter(double(bytes), benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
    st.counters["bytes_per_prefix"] = double(bytes) / double(prefixes ? prefixes : 1);
    st.counters["prefixes"] = double(prefixes);
    st.SetItemsProcessed(int64_t(st.iterations() * int64_t(prefixes)));
}

BENCHMARK(BM_LpmBulk)
    ->ArgNames({"routes", "burst", "in_table"})
    ->ArgsProduct({{kMillion}, {32, 64}, {0, 1}})
    ->ArgsProduct({{1000, 1}, {32}, {0, 1}})
    ->MinTime(0.3);
BENCHMARK(BM_FibBuild)->ArgNames({"routes"})->Arg(1000)->MinTime(0.2)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FibBuild)->ArgNames({"routes"})->Arg(kMillion)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return perf::run_benchmarks(argc, argv); }
