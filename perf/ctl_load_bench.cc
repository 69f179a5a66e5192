// perf/ctl_load_bench.cc — where `wildsidectl -c routes.conf` spends its time: the control
// plane's load of the 1,000,000-route workload of perf/gen_routes.py, phase by phase.
//
//   build/perf/ctl_load_bench [--workdir=perf/out/work] [Google Benchmark flags]
//
// Phases (counters, seconds): read (the file into memory), split (ctl::split_script),
// parse_only (split_words + ctl::parse_route of every route line, no model: the grammar's
// share), apply (ctl::apply_batch on an empty Model: parse + validate + insert, the model's
// copy and gateway checks included), groups (RouteTable::groups of main: the spans Fib::build_groups copies from), compile
// (ctl::compile_routing), free_routing and free_model (the destructors wildsidectl runs at
// exit). The manual time is their sum: what perf/load_bench.sh compares with `ip -batch`.
#include <benchmark/benchmark.h>

#include <memory>

#include "common/tokens.h"
#include "control/compile/compiler.h"
#include "control/grammar/ip_grammar.h"
#include "perf/workload.h"

namespace {

void BM_LoadPhases(benchmark::State& st) {
    const std::string file = perf::path("routes.conf");
    double t_read = 0, t_split = 0, t_parse = 0, t_apply = 0, t_export = 0, t_compile = 0, t_free_r = 0, t_free_m = 0;
    size_t routes = 0;
    for (auto _ : st) {
        double t = perf::now_s();
        const std::string text = perf::read_text(file);
        t_read = perf::now_s() - t;

        t = perf::now_s();
        const auto lines = ctl::split_script(text);
        t_split = perf::now_s() - t;

        t = perf::now_s();
        {
            const ws::Names names = ws::Names::builtin();
            sel::ParseContext ctx;
            ctx.names = &names;
            size_t parsed = 0;
            for (const auto& l : lines) {
                if (l.text.rfind("ip route add ", 0) != 0) continue;
                auto words = ws::split_words(l.text);
                ws::Tokens tk(std::vector<std::string_view>(words.begin() + 3, words.end()));
                auto req = ctl::parse_route(tk, ctx, ctl::RouteVerb::kAdd);
                parsed += bool(req);
            }
            benchmark::DoNotOptimize(parsed);
        }
        t_parse = perf::now_s() - t;

        auto m = std::make_unique<ctl::Model>();
        t = perf::now_s();
        perf::die_on(ctl::apply_batch(*m, lines, file), "apply routes.conf");
        t_apply = perf::now_s() - t;
        routes = m->v4.tables.count(dp::kTableMain) ? m->v4.tables.at(dp::kTableMain).size() : 0;

        t = perf::now_s();
        {
            auto exported = m->v4.tables.at(dp::kTableMain).groups();
            benchmark::DoNotOptimize(exported.data());
            t_export = perf::now_s() - t;
        }

        t = perf::now_s();
        auto r = ctl::compile_routing(*m);
        t_compile = perf::now_s() - t;

        t = perf::now_s();
        r.reset();
        t_free_r = perf::now_s() - t;
        t = perf::now_s();
        m.reset();
        t_free_m = perf::now_s() - t;

        st.SetIterationTime(t_read + t_split + t_apply + t_compile + t_free_r + t_free_m);
    }
    st.counters["read_s"] = t_read;
    st.counters["split_s"] = t_split;
    st.counters["parse_only_s"] = t_parse;
    st.counters["apply_s"] = t_apply;
    st.counters["export_s"] = t_export;
    st.counters["compile_s"] = t_compile;
    st.counters["free_routing_s"] = t_free_r;
    st.counters["free_model_s"] = t_free_m;
    st.counters["main_routes"] = double(routes);
    st.SetItemsProcessed(int64_t(st.iterations() * int64_t(routes)));
}

BENCHMARK(BM_LoadPhases)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return perf::run_benchmarks(argc, argv); }
