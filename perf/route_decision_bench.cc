// perf/route_decision_bench.cc — the whole routing decision of a forwarded packet,
// dp::route_input() (dataplane/tables/route_decision.h), on a compiled Routing with the
// 1,000,000-route main table of perf/gen_routes.py and 0, 1, 16 or 256 user rules.
//
//   build/perf/route_decision_bench [--workdir=perf/out/work] [Google Benchmark flags]
//
// Routing: routes.conf, plus eth1 (192.168.0.1/24) and the rules of rules-K.conf, where the
// last rule (`iif eth1 lookup main`) decides for the traffic, so the walk visits the local rule
// and all K user rules. route_input() also walks the rules a second time for the reverse-path
// check (fib_validate_source(): the namespace has custom rules). K = 0 adds no rule: the
// kernel's merged local+main lookup without a rule walk.
// Traffic: 2^18 flows in from eth1, source 192.168.0.2-254, destination inside a main-table
// prefix, tcp/udp ports 1024-65535, mark 0, tos 0; BURST decisions per iteration.
// Reports items_per_second (decisions per CPU second), ns_per_decision (CPU time),
// cycles_per_decision (CPU ns x TSC GHz), tsc_cycles_per_decision (raw rdtsc, wall clock),
// last_rule_share (the share of decisions made by the last rule: 1 unless K = 0), the
// compile time of the Routing and Fib::memory_bytes() of each table.
#include <benchmark/benchmark.h>

#include <memory>

#include "control/compile/compiler.h"
#include "dataplane/tables/route_decision.h"
#include "perf/workload.h"

namespace {

constexpr size_t kFlows = size_t(1) << 18;
constexpr unsigned kBurst = 32;

struct World {
    ctl::Model m;
    int rules = -1;                   // K of the rules in m (-1: none applied yet)
    std::vector<uint32_t> prefs;      // their priorities, for `ip rule del`
    std::unique_ptr<dp::Routing> routing;
    double compile_s = 0;
    std::vector<sel::FlowKey> flows;
};

bool is_rule_line(const std::string& s) { return s.rfind("ip rule ", 0) == 0; }

World& world() {
    static World w = [] {
        World x;
        const double t0 = perf::now_s();
        perf::die_on(ctl::load_file(x.m, perf::path("routes.conf")), "load routes.conf");
        // eth1 and its address: the non-rule lines of any rules file (they are the same).
        for (const auto& l : ctl::split_script(perf::read_text(perf::path("rules-1.conf"))))
            if (!is_rule_line(l.text)) perf::die_on(ctl::apply_command(x.m, l.text), l.text.c_str());
        std::fprintf(stderr, "route_decision_bench: loaded routes.conf in %.2f s (TSC %.3f GHz)\n",
                     perf::now_s() - t0, perf::tsc_ghz());
        return x;
    }();
    return w;
}

// The Routing for K user rules (recompiled when K changes).
const dp::Routing& routing_for(int k) {
    World& w = world();
    if (w.rules == k && w.routing) return *w.routing;
    w.routing.reset();
    for (uint32_t p : w.prefs) perf::die_on(ctl::apply_command(w.m, "ip rule del pref " + std::to_string(p)), "rule del");
    w.prefs.clear();
    if (k > 0) {
        for (const auto& l : ctl::split_script(perf::read_text(perf::path("rules-" + std::to_string(k) + ".conf")))) {
            if (!is_rule_line(l.text)) continue;
            perf::die_on(ctl::apply_command(w.m, l.text), l.text.c_str());
            const auto at = l.text.rfind(" pref ");
            w.prefs.push_back(uint32_t(std::stoul(l.text.substr(at + 6))));
        }
    }
    const double t0 = perf::now_s();
    w.routing = ctl::compile_routing(w.m);
    w.compile_s = perf::now_s() - t0;
    w.rules = k;
    if (w.flows.empty()) {
        const dp::Fib* main = w.routing->v4.table(dp::kTableMain);
        const auto dst = perf::table_dests(*main, kFlows, 7);
        const dp::Link* eth1 = w.m.link("eth1");
        std::mt19937_64 rng(11);
        w.flows.resize(kFlows);
        for (size_t i = 0; i < kFlows; ++i) {
            sel::FlowKey& f = w.flows[i];
            f.daddr = ws::InetAddr::v4(dst[i]);
            f.saddr = ws::InetAddr::v4(0xc0a80002u + uint32_t(rng() % 253));
            f.iif = eth1->ifindex;
            f.proto = (i & 1) ? 17 : 6;
            f.sport = uint16_t(1024 + rng() % 64512);
            f.dport = uint16_t(1024 + rng() % 64512);
        }
    }
    return *w.routing;
}

void BM_RouteInput(benchmark::State& st) {
    const int k = int(st.range(0));
    const dp::Routing& r = routing_for(k);
    const World& w = world();
    const auto& flows = w.flows;
    const uint32_t last_pref = w.prefs.empty() ? 32766 : w.prefs.back();  // 32766: the main rule
    size_t by_last = 0, ok = 0;
    for (const auto& f : flows) {  // the decision mix, outside the timing
        auto d = dp::route_input(r, f);
        ok += d.error == 0;
        by_last += d.error == 0 && d.rule_priority == last_pref;
    }
    size_t pos = 0;
    uint64_t sink = 0;
    perf::Meter meter;
    meter.start();
    for (auto _ : st) {
        for (unsigned i = 0; i < kBurst; ++i) {
            auto d = dp::route_input(r, flows[pos + i]);
            sink += d.dev;
        }
        benchmark::DoNotOptimize(sink);
        pos += kBurst;
        if (pos + kBurst > flows.size()) pos = 0;
    }
    meter.stop();
    const double items = double(st.iterations()) * kBurst;
    perf::report_per_item(st, meter, items, "decision");
    st.counters["ok_share"] = double(ok) / double(flows.size());
    st.counters["last_rule_share"] = double(by_last) / double(flows.size());
    st.counters["compile_s"] = w.compile_s;
    st.counters["rules_total"] = double(r.v4.rules.size());
    for (const auto& [id, fib] : r.v4.tables)
        st.counters["table" + std::to_string(id) + "_bytes"] = benchmark::Counter(
            double(fib->memory_bytes()), benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
    st.SetLabel(std::to_string(k) + " user rules, 1M routes");
}

// K = 0 first: custom_rules stays set once a rule was added.
BENCHMARK(BM_RouteInput)->ArgNames({"rules"})->Arg(0)->Arg(1)->Arg(16)->Arg(256)->MinTime(0.5);

}  // namespace

int main(int argc, char** argv) { return perf::run_benchmarks(argc, argv); }
