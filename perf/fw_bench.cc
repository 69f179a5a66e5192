// perf/fw_bench.cc — dp::FwTable (dataplane/tables/fw_table.h): iptables classification of a
// burst, the compiled chains (rte_acl first match, exact check, next-candidate lists) against
// the same table scanned rule by rule (FwTable::build(..., scan_only)) and against the model's
// reference walk (ctl::Firewall::traverse(), what the kernel does per rule), at 10, 1,000 and
// 10,000 rules, and the build of 10,000 rules.
//
//   build/perf/fw_bench [Google Benchmark flags]        (no workload files needed)
//
// The rules (seeded, the same every run), IPv4, appended through ctl::Firewall and compiled by
// ctl::firewall_spec() as a publish does:
//   mangle PREROUTING (a gateway's traffic classes): N rules `-s A/16..32 -d B/16..32 -p tcp|udp`
//     with a random source and destination prefix each, and `--dport P` (80%, one random
//     port), `--dport LO:HI` (10%, up to 1,000 ports) or `-m multiport --dports a,b,...` (10%,
//     2-6 random ports), each `-j MARK --set-xmark J/0xffffffff` (J = the rule's number); then
//     one catch-all `-j MARK --set-xmark 0x80000000/0x80000000` (every packet gets bit 31; the
//     low bits say which rule, if any, classified it). MARK does not end the walk, so every
//     packet is walked to the end of the chain: the policy (ACCEPT) decides.
//   filter FORWARD (an allow list, policy DROP): N rules of the same shape, half with `-i p0`,
//     half with `-o p1`, 80% `-j ACCEPT`, 20% `-j DROP`; the first matching rule decides.
// The packets: 2^14 keys (iif p0, oif none in PREROUTING / p1 in FORWARD, mark 0, TCP or UDP,
// 64-1,500 bytes), 90% made inside a random rule (its prefixes, protocol and one of its dports;
// an earlier rule may match them first), 10% uniformly random (almost all miss every rule but
// the catch-all); cycled in bursts of 32 through FwTable::run(); the mark is reset to 0 before
// each burst, as the firewall stage fills its keys afresh. Before timing, the first 1,024 keys
// are run through the table and through Firewall::traverse(): verdict, policy flag and final
// mark must agree, else the benchmark reports an error.
//
// BM_FwCompiled/N, BM_FwScan/N, BM_FwReference/N: mangle PREROUTING, N = 10, 1,000, 10,000.
// BM_FwFilterCompiled/N, BM_FwFilterScan/N: filter FORWARD, the same N.
//   Counters: cycles_per_packet (CPU time x TSC GHz), tsc_cycles_per_packet (raw rdtsc),
//   ns_per_packet, hits (mangle: share of packets a rule other than the catch-all marked;
//   filter: share decided by a rule, not the policy), build_s (FwTable::build() of the table,
//   once, before timing; for the reference, ctl::Firewall's appends). The label is the table's
//   describe().
// BM_FwBuild/N: firewall_spec() + FwTable::build() of the mangle table, N = 1,000 and 10,000,
//   timed alone (build_s); heap_MiB is the DPDK heap the table holds (rte_malloc statistics).
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

#include "control/compile/compile_firewall.h"
#include "control/model/firewall_model.h"
#include "dataplane/tables/fw_table.h"
#include "perf/bench_eal.h"
#include "perf/workload.h"

namespace {

using ctl::Firewall;
using ctl::IptHook;
using ctl::IptPacket;
using ctl::IptRule;
using ctl::IptTable;
using dp::FwKey;
using dp::FwTable;
using ws::Family;
using ws::InetAddr;

constexpr unsigned kBurst = 32;
constexpr size_t kKeys = size_t(1) << 14;
constexpr size_t kChecked = 1024;          // keys compared with the reference before timing
constexpr uint32_t kCatchAll = 0x80000000u;  // the mangle catch-all's mark bit

const std::vector<dp::Link> kLinks = [] {
    std::vector<dp::Link> l(3);
    l[0].ifindex = 1, l[0].name = "lo";
    l[1].ifindex = 2, l[1].name = "p0";
    l[2].ifindex = 3, l[2].name = "p1";
    return l;
}();

enum class Kind { kMangle, kFilter };
enum class Impl { kCompiled, kScan, kReference };

// What a generated rule matches, kept to make packets inside it.
struct Shape {
    uint32_t src = 0, src_len = 0, dst = 0, dst_len = 0;
    uint8_t proto = 6;
    std::vector<uint16_t> dports;  // exact or multiport: one of these
    uint16_t lo = 0, hi = 0;       // else a range
};

uint32_t len_mask(unsigned len) { return len ? 0xffffffffu << (32 - len) : 0; }

uint32_t inside(uint32_t addr, unsigned len, uint32_t random) { return (addr & len_mask(len)) | (random & ~len_mask(len)); }

IptRule make_rule(std::mt19937_64& rng, Shape& s) {
    IptRule r;
    r.family = Family::kInet;
    s.src_len = 16 + unsigned(rng() % 17);
    s.dst_len = 16 + unsigned(rng() % 17);
    s.src = uint32_t(rng()) & len_mask(s.src_len);
    s.dst = uint32_t(rng()) & len_mask(s.dst_len);
    r.src = InetAddr::v4(s.src), r.smsk = InetAddr::v4(len_mask(s.src_len));
    r.dst = InetAddr::v4(s.dst), r.dmsk = InetAddr::v4(len_mask(s.dst_len));
    s.proto = rng() & 1 ? 6 : 17;
    r.proto = s.proto;
    const unsigned kind = unsigned(rng() % 10);
    if (kind < 8) {  // --dport P
        ctl::IptPortsMatch m;
        m.proto = s.proto;
        const uint16_t p = uint16_t(1 + rng() % 65535);
        m.dport = {p, p};
        m.dport_given = true;
        s.dports = {p};
        r.match_list.push_back(m);
    } else if (kind == 8) {  // --dport LO:HI
        ctl::IptPortsMatch m;
        m.proto = s.proto;
        s.lo = uint16_t(1 + rng() % 64000);
        s.hi = uint16_t(s.lo + rng() % 1000);
        m.dport = {s.lo, s.hi};
        m.dport_given = true;
        r.match_list.push_back(m);
    } else {  // -m multiport --dports a,b,...
        ctl::IptMultiportMatch m;
        m.dir = ctl::IptMultiportMatch::Dir::kDestination;
        for (unsigned i = 0, n = 2 + unsigned(rng() % 5); i < n; ++i) {
            const uint16_t p = uint16_t(1 + rng() % 65535);
            m.ports.push_back({p, p});
            s.dports.push_back(p);
        }
        r.match_list.push_back(m);
    }
    return r;
}

// The firewall of one kind and size, and the shapes of its rules (without the catch-all).
void make_firewall(Kind kind, size_t n, uint64_t seed, Firewall& fw, std::vector<Shape>& shapes, std::string& error) {
    std::mt19937_64 rng(seed);
    shapes.resize(n);
    const IptTable t = kind == Kind::kMangle ? IptTable::kMangle : IptTable::kFilter;
    const char* chain = kind == Kind::kMangle ? "PREROUTING" : "FORWARD";
    for (size_t j = 0; j < n; ++j) {
        IptRule r = make_rule(rng, shapes[j]);
        if (kind == Kind::kMangle) {
            r.target = ctl::mark_set_xmark(uint32_t(j + 1), 0xffffffffu);
        } else {
            if (rng() & 1) r.iif = "p0";
            if (rng() & 1) r.oif = "p1";
            r.target.kind = rng() % 5 ? ctl::IptTargetKind::kAccept : ctl::IptTargetKind::kDrop;
        }
        if (auto st = fw.append(Family::kInet, t, chain, std::move(r)); !st) {
            error = st.error().format();
            return;
        }
    }
    if (kind == Kind::kMangle) {
        IptRule all;
        all.family = Family::kInet;
        all.src = all.smsk = all.dst = all.dmsk = InetAddr::zero(Family::kInet);
        all.target = ctl::mark_set_xmark(kCatchAll, kCatchAll);
        if (auto st = fw.append(Family::kInet, t, chain, std::move(all)); !st) error = st.error().format();
    } else if (auto st = fw.set_policy(Family::kInet, t, chain, ctl::IptPolicy::kDrop); !st) {
        error = st.error().format();
    }
}

void make_packets(Kind kind, const std::vector<Shape>& shapes, uint64_t seed, std::vector<FwKey>& keys,
                  std::vector<IptPacket>& pkts) {
    std::mt19937_64 rng(seed);
    keys.assign(kKeys, FwKey{});
    pkts.assign(kKeys, IptPacket{});
    for (size_t i = 0; i < kKeys; ++i) {
        FwKey& k = keys[i];
        uint32_t src = uint32_t(rng()), dst = uint32_t(rng());
        uint8_t proto = rng() & 1 ? 6 : 17;
        uint16_t dport = uint16_t(rng());
        if (rng() % 10) {
            const Shape& s = shapes[rng() % shapes.size()];
            src = inside(s.src, s.src_len, src);
            dst = inside(s.dst, s.dst_len, dst);
            proto = s.proto;
            dport = s.dports.empty() ? uint16_t(s.lo + rng() % (unsigned(s.hi - s.lo) + 1)) : s.dports[rng() % s.dports.size()];
        }
        k.src = InetAddr::v4(src), k.dst = InetAddr::v4(dst);
        k.proto = proto;
        k.sport = uint16_t(1024 + rng() % 64512);
        k.dport = dport;
        k.length = uint16_t(64 + rng() % 1437);
        k.has_l4 = true;
        k.iif = 2;
        k.oif = kind == Kind::kFilter ? 3 : 0;
        IptPacket& p = pkts[i];
        p.src = k.src, p.dst = k.dst, p.proto = k.proto, p.sport = k.sport, p.dport = k.dport;
        p.length = k.length;
        p.has_l4 = true;
        p.iif = "p0";
        p.oif = kind == Kind::kFilter ? "p1" : "";
    }
}

dp::FwHook hook_of(Kind kind) { return kind == Kind::kMangle ? dp::FwHook::kPrerouting : dp::FwHook::kForward; }
IptHook ipt_hook_of(Kind kind) { return kind == Kind::kMangle ? IptHook::kPrerouting : IptHook::kForward; }
IptTable table_of(Kind kind) { return kind == Kind::kMangle ? IptTable::kMangle : IptTable::kFilter; }

size_t heap_bytes() {
    size_t total = 0;
    for (unsigned i = 0; i < rte_socket_count(); ++i) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0) total += st.heap_allocsz_bytes;
    }
    return total;
}

// One firewall, key set and pair of tables per (kind, size), built on first use: Google
// Benchmark calls a benchmark function several times while it sizes the run.
struct Rig {
    Firewall fw;
    std::vector<FwKey> keys;
    std::vector<IptPacket> pkts;
    double model_s = 0;
    std::string error;
    std::map<Impl, std::unique_ptr<FwTable>> tables;
    std::map<Impl, double> build_s;
    std::map<Impl, std::string> table_error;
};

std::map<std::pair<Kind, size_t>, Rig>& rigs() {
    static std::map<std::pair<Kind, size_t>, Rig> all;
    return all;
}

Rig& rig(Kind kind, size_t n) {
    auto [it, fresh] = rigs().try_emplace({kind, n});
    Rig& r = it->second;
    if (!fresh) return r;
    std::vector<Shape> shapes;
    const double t0 = perf::now_s();
    make_firewall(kind, n, 1, r.fw, shapes, r.error);
    r.model_s = perf::now_s() - t0;
    if (r.error.empty()) make_packets(kind, shapes, 2, r.keys, r.pkts);
    return r;
}

bool hit(Kind kind, const FwKey& k, const dp::FwVerdict& v) {
    return kind == Kind::kMangle ? (k.mark & ~kCatchAll) != 0 : !v.policy;
}

// The compiled or scanned table of a rig, built once and checked against the reference on the
// first kChecked keys; null (and the reason in table_error) when either fails.
const FwTable* table(Rig& r, Kind kind, Impl impl) {
    if (auto it = r.tables.find(impl); it != r.tables.end()) return it->second.get();
    auto& slot = r.tables[impl];
    std::string& error = r.table_error[impl];
    const double t0 = perf::now_s();
    auto built = FwTable::build(ctl::firewall_spec(r.fw, Family::kInet, table_of(kind), kLinks), 1, impl == Impl::kScan);
    r.build_s[impl] = perf::now_s() - t0;
    if (!built) {
        error = built.error().format();
        return nullptr;
    }
    dp::FwScratch sc;
    std::vector<FwKey> keys(r.keys.begin(), r.keys.begin() + kChecked);
    for (size_t at = 0; at < kChecked; at += kBurst) {
        FwKey* kp[kBurst];
        dp::FwVerdict v[kBurst];
        for (unsigned i = 0; i < kBurst; ++i) kp[i] = &keys[at + i];
        (*built)->run(hook_of(kind), kp, v, kBurst, sc, 0);
        for (unsigned i = 0; i < kBurst; ++i) {
            IptPacket p = r.pkts[at + i];
            const ctl::IptVerdict rv = r.fw.traverse(Family::kInet, table_of(kind), ipt_hook_of(kind), p);
            if (int(rv.kind) != int(v[i].kind) || rv.policy != v[i].policy || p.mark != kp[i]->mark) {
                error = "packet " + std::to_string(at + i) + " disagrees with Firewall::traverse(): verdict " +
                        std::to_string(int(v[i].kind)) + " / " + std::to_string(int(rv.kind)) + ", mark " +
                        std::to_string(kp[i]->mark) + " / " + std::to_string(p.mark);
                return nullptr;
            }
        }
    }
    slot = std::move(*built);
    return slot.get();
}

void BM_Table(benchmark::State& st, Kind kind, Impl impl) {
    Rig& r = rig(kind, size_t(st.range(0)));
    if (!r.error.empty()) return st.SkipWithError(r.error.c_str());
    const FwTable* t = table(r, kind, impl);
    if (!t) return st.SkipWithError(r.table_error[impl].c_str());
    std::vector<FwKey*> ptrs(kKeys);
    for (size_t i = 0; i < kKeys; ++i) ptrs[i] = &r.keys[i];
    dp::FwScratch sc;
    dp::FwVerdict v[kBurst];
    const dp::FwHook h = hook_of(kind);
    uint64_t hits = 0, packets = 0;
    size_t at = 0;
    perf::Meter m;
    m.start();
    for (auto _ : st) {
        FwKey* const* kp = ptrs.data() + at;
        for (unsigned i = 0; i < kBurst; ++i) kp[i]->mark = 0;
        t->run(h, kp, v, kBurst, sc, 0);
        for (unsigned i = 0; i < kBurst; ++i) hits += hit(kind, *kp[i], v[i]);
        benchmark::DoNotOptimize(v);
        at = (at + kBurst) & (kKeys - 1);
        packets += kBurst;
    }
    m.stop();
    perf::report_per_item(st, m, double(packets), "packet");
    st.counters["hits"] = double(hits) / double(packets);
    st.counters["build_s"] = r.build_s[impl];
    st.SetLabel(t->describe());
}

// The reference: ctl::Firewall::traverse() per packet, rule by rule through IptRule::matches().
void BM_Reference(benchmark::State& st, Kind kind) {
    Rig& r = rig(kind, size_t(st.range(0)));
    if (!r.error.empty()) return st.SkipWithError(r.error.c_str());
    const IptTable t = table_of(kind);
    const IptHook h = ipt_hook_of(kind);
    uint64_t hits = 0, packets = 0;
    size_t at = 0;
    perf::Meter m;
    m.start();
    for (auto _ : st) {
        for (unsigned i = 0; i < kBurst; ++i) {
            IptPacket& p = r.pkts[at + i];
            p.mark = 0;
            const ctl::IptVerdict v = r.fw.traverse(Family::kInet, t, h, p);
            hits += kind == Kind::kMangle ? (p.mark & ~kCatchAll) != 0 : !v.policy;
            benchmark::DoNotOptimize(v);
        }
        at = (at + kBurst) & (kKeys - 1);
        packets += kBurst;
    }
    m.stop();
    perf::report_per_item(st, m, double(packets), "packet");
    st.counters["hits"] = double(hits) / double(packets);
    st.counters["build_s"] = r.model_s;
    st.SetLabel(r.fw.describe() + " (Firewall::traverse)");
}

void BM_Build(benchmark::State& st) {
    Rig& r = rig(Kind::kMangle, size_t(st.range(0)));
    if (!r.error.empty()) return st.SkipWithError(r.error.c_str());
    double build_s = 0, heap = 0;
    std::string label;
    for (auto _ : st) {
        const size_t h0 = heap_bytes();
        const double t0 = perf::now_s();
        auto built = FwTable::build(ctl::firewall_spec(r.fw, Family::kInet, IptTable::kMangle, kLinks), 1);
        build_s = perf::now_s() - t0;
        if (!built) return st.SkipWithError(built.error().format().c_str());
        heap = double(heap_bytes() - h0);
        label = (*built)->describe();
        st.PauseTiming();  // the table's rte_acl_free() is not part of the build
        built->reset();
        st.ResumeTiming();
    }
    st.counters["build_s"] = build_s;
    st.counters["heap_MiB"] = heap / (1024.0 * 1024.0);
    st.SetLabel(label);
}

}  // namespace

int main(int argc, char** argv) {
    perf::BenchEal eal(argv[0], "fw_bench");
    if (!eal.ok()) return 1;
    auto sizes = [](benchmark::internal::Benchmark* b) { b->Arg(10)->Arg(1000)->Arg(10000)->MinTime(0.5); };
    benchmark::RegisterBenchmark("BM_FwCompiled", BM_Table, Kind::kMangle, Impl::kCompiled)->Apply(sizes);
    benchmark::RegisterBenchmark("BM_FwScan", BM_Table, Kind::kMangle, Impl::kScan)->Apply(sizes);
    benchmark::RegisterBenchmark("BM_FwReference", BM_Reference, Kind::kMangle)->Apply(sizes);
    benchmark::RegisterBenchmark("BM_FwFilterCompiled", BM_Table, Kind::kFilter, Impl::kCompiled)->Apply(sizes);
    benchmark::RegisterBenchmark("BM_FwFilterScan", BM_Table, Kind::kFilter, Impl::kScan)->Apply(sizes);
    benchmark::RegisterBenchmark("BM_FwBuild", BM_Build)->Arg(1000)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);
    const int rc = perf::run_benchmarks(argc, argv);
    rigs().clear();  // rte_acl_free() before EAL goes
    eal.finish();
    return rc;
}
