// perf/spd_bench.cc — dp::SpdTable (dataplane/tables/spd_table.h): first-match SPD lookups
// compiled into rte_acl, against the linear first-match scan (the table's fallback), and the
// build time and DPDK heap of a large compiled table.
//
//   build/perf/spd_bench [Google Benchmark flags]        (no workload files needed)
//
// The policies (seeded, the same every run): IPv4, src and dst prefixes of random length
// /8../32 at random addresses, each port exact (random value) or any with even odds, proto any,
// tcp or udp; no mark, if_id 0. The flows: 2^16 keys, 90% made inside a random policy (its
// prefixes, ports and protocol; an earlier policy may match them first), 10% uniformly random
// (almost all misses); cycled in bursts of 32 through SpdTable::lookup().
//
// BM_SpdAcl/N: rte_acl, N = 1, 16, 1,000, 100,000 policies. BM_SpdLinear/N: the linear scan,
//   N = 1, 16, 1,000, 10,000 (16: about where the two cross). Counters: cycles_per_lookup (CPU
//   time x TSC GHz), tsc_cycles_per_lookup (raw rdtsc), ns_per_lookup, hits (share of lookups
//   that matched), build_s (the table's build, once, before timing).
// BM_SpdCached/N: the same tables behind the IPsec stage's per-worker flow cache, 1,024 flows:
//   the steady-state cost per packet (N = 1, 1,000, 100,000).
// BM_SpdBuild/N: SpdTable::build() of N = 1,000 and 100,000 policies, timed alone; heap_MiB is
//   the DPDK heap the table holds (rte_malloc statistics before and after: rules and tries).
//
// EAL runs without hugepages, PCI or shared files (-m 4096 of plain memory).
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dataplane/tables/spd_cache.h"
#include "dataplane/tables/spd_table.h"
#include "perf/bench_eal.h"
#include "perf/workload.h"

namespace {

using dp::SpdKey;
using dp::SpdRule;
using dp::SpdTable;

constexpr unsigned kBurst = 32;
constexpr size_t kKeys = size_t(1) << 16;

std::vector<SpdRule> make_rules(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<SpdRule> rules(n);
    static const uint8_t protos[] = {0, 6, 17};
    for (size_t j = 0; j < n; ++j) {
        SpdRule& r = rules[j];
        r.src = ws::InetPrefix{ws::InetAddr::v4(uint32_t(rng())), uint8_t(8 + rng() % 25)};
        r.dst = ws::InetPrefix{ws::InetAddr::v4(uint32_t(rng())), uint8_t(8 + rng() % 25)};
        r.proto = protos[rng() % 3];
        if (rng() & 1) r.sport = uint16_t(rng()), r.sport_mask = 0xffff;
        if (rng() & 1) r.dport = uint16_t(rng()), r.dport_mask = 0xffff;
        r.result = uint32_t(j);
    }
    return rules;
}

uint32_t inside(const ws::InetPrefix& p, uint32_t random) {
    const uint32_t host = p.len >= 32 ? 0 : 0xffffffffu >> p.len;
    return (p.addr.v4() & ~host) | (random & host);
}

std::vector<SpdKey> make_keys(const std::vector<SpdRule>& rules, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<SpdKey> keys(kKeys);
    for (SpdKey& k : keys) {
        const SpdRule& r = rules[rng() % rules.size()];
        if (rng() % 10 == 0) {
            k.src = ws::InetAddr::v4(uint32_t(rng()));
            k.dst = ws::InetAddr::v4(uint32_t(rng()));
            k.proto = rng() & 1 ? 6 : 17;
            k.sport = uint16_t(rng());
            k.dport = uint16_t(rng());
            continue;
        }
        k.src = ws::InetAddr::v4(inside(r.src, uint32_t(rng())));
        k.dst = ws::InetAddr::v4(inside(r.dst, uint32_t(rng())));
        k.proto = r.proto ? r.proto : (rng() & 1 ? 6 : 17);
        k.sport = r.sport_mask ? r.sport : uint16_t(rng());
        k.dport = r.dport_mask ? r.dport : uint16_t(rng());
    }
    return keys;
}

size_t heap_bytes() {
    size_t total = 0;
    for (unsigned i = 0; i < rte_socket_count(); ++i) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0) total += st.heap_allocsz_bytes;
    }
    return total;
}

enum class Impl { kAcl, kLinear };

// One table and key set per (implementation, size), built on first use: Google Benchmark calls
// a benchmark function several times while it sizes the run, and 100,000 policies take seconds.
struct Rig {
    std::vector<SpdKey> keys;
    std::unique_ptr<SpdTable> table;
    double build_s = 0;
    std::string error;
};

std::map<std::pair<Impl, size_t>, Rig>& rigs() {
    static std::map<std::pair<Impl, size_t>, Rig> all;
    return all;
}

const Rig& rig(Impl impl, size_t n) {
    auto [it, fresh] = rigs().try_emplace({impl, n});
    Rig& r = it->second;
    if (!fresh) return r;
    const auto rules = make_rules(n, 1);
    r.keys = make_keys(rules, 2);
    const double t0 = perf::now_s();
    auto built = impl == Impl::kAcl ? SpdTable::build_compiled(ws::Family::kInet, rules)
                                    : SpdTable::build_linear(ws::Family::kInet, rules);
    r.build_s = perf::now_s() - t0;
    if (!built.ok()) r.error = built.error().message;
    else if ((impl == Impl::kAcl) != built.value()->compiled()) r.error = built.value()->describe();
    else r.table = std::move(built.value());
    return r;
}

void BM_Lookup(benchmark::State& st, Impl impl) {
    const Rig& r = rig(impl, size_t(st.range(0)));
    if (!r.table) return st.SkipWithError(r.error.c_str());
    const SpdTable& t = *r.table;
    const auto& keys = r.keys;
    std::vector<const SpdKey*> ptrs(kKeys);
    for (size_t i = 0; i < kKeys; ++i) ptrs[i] = &keys[i];
    uint32_t results[kBurst];
    uint64_t hits = 0, lookups = 0;
    size_t at = 0;
    perf::Meter m;
    m.start();
    for (auto _ : st) {
        t.lookup(ptrs.data() + at, results, kBurst);
        for (unsigned i = 0; i < kBurst; ++i) hits += results[i] != SpdTable::kNoMatch;
        benchmark::DoNotOptimize(results);
        at = (at + kBurst) & (kKeys - 1);
        lookups += kBurst;
    }
    m.stop();
    perf::report_per_item(st, m, double(lookups), "lookup");
    st.counters["hits"] = double(hits) / double(lookups);
    st.counters["build_s"] = r.build_s;
    st.SetLabel(t.describe());
}

// BM_SpdCached/N: what the IPsec stage pays per packet in steady state: the per-worker flow
// cache (dataplane/tables/spd_cache.h) in front of the same rte_acl table, 1,024 flows (the
// standard rig's) cycled in bursts of 32; a miss (the first pass) goes to the table.
void BM_Cached(benchmark::State& st) {
    const Rig& r = rig(Impl::kAcl, size_t(st.range(0)));
    if (!r.table) return st.SkipWithError(r.error.c_str());
    const SpdTable& t = *r.table;
    constexpr size_t kFlows = 1024;
    auto cache = std::make_unique<dp::SpdCache>();
    uint64_t lookups = 0, misses = 0, hits = 0;
    size_t at = 0;
    perf::Meter m;
    m.start();
    for (auto _ : st) {
        for (unsigned i = 0; i < kBurst; ++i) {
            const SpdKey& k = r.keys[(at + i) % kFlows];
            const uint32_t h = dp::SpdCache::hash(1, k);
            uint32_t res;
            if (!cache->find(1, 1, k, h, res)) {
                res = t.lookup_one(k);
                cache->insert(1, 1, k, h, res);
                ++misses;
            }
            hits += res != SpdTable::kNoMatch;
            benchmark::DoNotOptimize(res);
        }
        at = (at + kBurst) % kFlows;
        lookups += kBurst;
    }
    m.stop();
    perf::report_per_item(st, m, double(lookups), "lookup");
    st.counters["misses"] = double(misses);
    st.counters["hits"] = double(hits) / double(lookups);
    st.SetLabel(t.describe() + " behind the flow cache, 1,024 flows");
}

void BM_Build(benchmark::State& st) {
    const size_t n = size_t(st.range(0));
    const auto rules = make_rules(n, 1);
    double build_s = 0, heap = 0;
    std::string label;
    for (auto _ : st) {
        const size_t h0 = heap_bytes();
        const double t0 = perf::now_s();
        auto built = SpdTable::build(ws::Family::kInet, rules);
        build_s = perf::now_s() - t0;
        if (!built.ok()) return st.SkipWithError(built.error().message.c_str());
        heap = double(heap_bytes() - h0);
        label = built.value()->describe();
        st.PauseTiming();  // the table's rte_acl_free() is not part of the build
        built.value().reset();
        st.ResumeTiming();
    }
    st.counters["build_s"] = build_s;
    st.counters["heap_MiB"] = heap / (1024.0 * 1024.0);
    st.counters["heap_bytes_per_rule"] = heap / double(n);
    st.SetLabel(label);
}

}  // namespace

int main(int argc, char** argv) {
    perf::BenchEal eal(argv[0], "spd_bench");
    if (!eal.ok()) return 1;
    benchmark::RegisterBenchmark("BM_SpdAcl", BM_Lookup, Impl::kAcl)->Arg(1)->Arg(16)->Arg(1000)->Arg(100000)->MinTime(0.5);
    benchmark::RegisterBenchmark("BM_SpdLinear", BM_Lookup, Impl::kLinear)->Arg(1)->Arg(16)->Arg(1000)->Arg(10000)->MinTime(0.5);
    benchmark::RegisterBenchmark("BM_SpdCached", BM_Cached)->Arg(1)->Arg(1000)->Arg(100000)->MinTime(0.5);
    benchmark::RegisterBenchmark("BM_SpdBuild", BM_Build)->Arg(1000)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);
    const int rc = perf::run_benchmarks(argc, argv);
    rigs().clear();  // rte_acl_free() before EAL goes
    eal.finish();
    return rc;
}
