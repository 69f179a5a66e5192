// perf/payload_bench.cc — iptables -m string (selectors/payload_matcher.h): all patterns of a
// chain in one Hyperscan database, one scan per packet, against the per-rule search the kernel
// does (xt_string runs one textsearch per rule: here one memmem per pattern, naive_match()),
// on the same packets in the same run.
//
//   build/perf/payload_bench [Google Benchmark flags]       (no workload files needed)
//
// BM_Scan/SIZE/PATTERNS: SIZE the L3 packet (IPv4 + UDP header, then text), 64 or 1420 B;
//   PATTERNS 0, 10 or 1,000 random 4-16 byte literals over the payload's alphabet (lower-case
//   letters, digits, " ./-=:&?"), 70% unbounded, 30% in a window [28 + 0..63, from + len +
//   0..399), case-sensitive (so the naive side is glibc's memmem throughout); one packet in 8
//   has a pattern planted inside its window, the rest match only by chance (mostly misses). A ring of 1,024 packets (fixed seed), 32 per
//   iteration, through three sides, rotating which goes first: hs = PayloadMatcher with
//   WindowCheck::kCallback (the default), bounds = WindowCheck::kHyperscanBounds, naive =
//   naive_match() per pattern. The three bitmaps are compared on every packet of the ring
//   before timing. Each side's bursts are timed with the TSC one by one and the median burst
//   is reported (a preempted burst on the shared 2-core VM would dominate a sum). Counters:
//   *_cyc_pkt TSC cycles per packet, ratio = naive / hs, bounds_vs_hs = bounds / hs, hs_Mpps,
//   hits_pkt (pattern bits set per packet). The time column is all three sides together.
// BM_Compile/PATTERNS/CHECK: PayloadMatcher::compile() of the same pattern sets (CHECK 0 =
//   kCallback, 1 = kHyperscanBounds), with the database and scratch sizes.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "perf/workload.h"
#include "selectors/payload_matcher.h"

namespace {

using sel::PayloadMatcher;
using sel::PayloadPattern;

constexpr uint32_t kBurst = 32, kRing = 1024, kHeader = 28;
const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 ./-=:&?";

char text_byte(std::mt19937_64& rng) { return kAlphabet[rng() % (sizeof kAlphabet - 1)]; }

std::vector<PayloadPattern> make_patterns(uint32_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<PayloadPattern> v(n);
    for (uint32_t i = 0; i < n; ++i) {
        PayloadPattern& p = v[i];
        p.id = i;
        const size_t len = 4 + rng() % 13;
        for (size_t k = 0; k < len; ++k) p.bytes += text_byte(rng);
        if (rng() % 10 < 3) {
            p.from = uint16_t(kHeader + rng() % 64);
            p.to = uint16_t(p.from + len + rng() % 400);
        }
    }
    return v;
}

// IPv4 + UDP header, then text; every 8th packet gets a pattern planted inside its window.
std::vector<std::vector<uint8_t>> make_packets(uint32_t size, const std::vector<PayloadPattern>& pats, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::vector<uint8_t>> ring(kRing);
    for (uint32_t i = 0; i < kRing; ++i) {
        auto& p = ring[i];
        p = {0x45, 0, uint8_t(size >> 8), uint8_t(size), 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
             0x0f, 0xa0, 0x00, 0x50, uint8_t((size - 20) >> 8), uint8_t(size - 20), 0, 0};
        while (p.size() < size) p.push_back(uint8_t(text_byte(rng)));
        if (i % 8 != 0 || pats.empty()) continue;
        const PayloadPattern& pat = pats[rng() % pats.size()];
        const size_t lo = std::max<size_t>(pat.from, kHeader);
        const size_t hi = std::min<size_t>(pat.to, size);  // the pattern must end by here
        if (hi < lo + pat.bytes.size()) continue;          // does not fit this packet
        const size_t at = lo + rng() % (hi - lo - pat.bytes.size() + 1);
        std::copy(pat.bytes.begin(), pat.bytes.end(), p.begin() + long(at));
    }
    return ring;
}

struct Rig {
    std::vector<PayloadPattern> pats;
    std::vector<std::vector<uint8_t>> ring;
    PayloadMatcher hs, bounds;
    sel::PayloadScratch hs_scratch, bounds_scratch;
    std::vector<uint64_t> bits;
    uint64_t hits = 0;

    Rig(uint32_t size, uint32_t n) : pats(make_patterns(n, 1)), ring(make_packets(size, pats, 2)) {
        perf::die_on(compile(PayloadMatcher::WindowCheck::kCallback, hs, hs_scratch), "compile");
        perf::die_on(compile(PayloadMatcher::WindowCheck::kHyperscanBounds, bounds, bounds_scratch), "compile");
        bits.resize(std::max<size_t>(hs.bitmap_words(), 1));
    }
    ws::Status compile(PayloadMatcher::WindowCheck check, PayloadMatcher& m, sel::PayloadScratch& s) {
        auto r = PayloadMatcher::compile(pats, check);
        if (!r) return r.error();
        m = std::move(*r);
        auto sc = m.make_scratch();
        if (!sc) return sc.error();
        s = std::move(*sc);
        return {};
    }

    void naive(const std::vector<uint8_t>& pkt) {
        std::fill(bits.begin(), bits.end(), 0);
        for (const PayloadPattern& p : pats)
            if (sel::naive_match(p, pkt)) bits[p.id >> 6] |= uint64_t(1) << (p.id & 63);
    }
    // Every packet of the ring: the three sides agree. Counts the hits.
    bool agree() {
        std::vector<uint64_t> a(bits.size()), b(bits.size());
        for (const auto& pkt : ring) {
            if (!hs.scan(pkt, hs_scratch, a.data()) || !bounds.scan(pkt, bounds_scratch, b.data())) return false;
            naive(pkt);
            if (a != bits || b != bits) return false;
            for (uint64_t w : bits) hits += uint64_t(__builtin_popcountll(w));
        }
        return true;
    }

    uint64_t burst_hs(uint32_t first, const PayloadMatcher& m, sel::PayloadScratch& s) {
        const uint64_t t0 = perf::tsc();
        for (uint32_t i = first; i < first + kBurst; ++i) {
            m.scan(ring[i], s, bits.data());
            benchmark::DoNotOptimize(bits[0]);
        }
        return perf::tsc() - t0;
    }
    uint64_t burst_naive(uint32_t first) {
        const uint64_t t0 = perf::tsc();
        for (uint32_t i = first; i < first + kBurst; ++i) {
            naive(ring[i]);
            benchmark::DoNotOptimize(bits[0]);
        }
        return perf::tsc() - t0;
    }
};

double median(std::vector<uint64_t>& v) {
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return double(v[v.size() / 2]);
}

void BM_Scan(benchmark::State& st) {
    const uint32_t size = uint32_t(st.range(0)), n = uint32_t(st.range(1));
    Rig r(size, n);
    if (!r.agree()) return st.SkipWithError("Hyperscan and naive_match disagree");
    std::vector<uint64_t> hs, bounds, naive;
    uint64_t iter = 0;
    for (auto _ : st) {
        const uint32_t first = uint32_t(iter % (kRing / kBurst)) * kBurst;
        for (uint32_t k = 0; k < 3; ++k) {  // rotate the order: none always finds the packets warm
            switch ((iter + k) % 3) {
                case 0: hs.push_back(r.burst_hs(first, r.hs, r.hs_scratch)); break;
                case 1: bounds.push_back(r.burst_hs(first, r.bounds, r.bounds_scratch)); break;
                default: naive.push_back(r.burst_naive(first));
            }
        }
        ++iter;
    }
    const double h = median(hs) / kBurst, b = median(bounds) / kBurst, nv = median(naive) / kBurst;
    st.counters["hs_cyc_pkt"] = h;
    st.counters["bounds_cyc_pkt"] = b;
    st.counters["naive_cyc_pkt"] = nv;
    st.counters["ratio"] = nv / h;
    st.counters["bounds_vs_hs"] = b / h;
    st.counters["hs_Mpps"] = perf::tsc_ghz() * 1e3 / h;
    st.counters["hits_pkt"] = double(r.hits) / kRing;
    st.SetItemsProcessed(int64_t(st.iterations()) * kBurst);
}

void BM_Compile(benchmark::State& st) {
    const auto pats = make_patterns(uint32_t(st.range(0)), 1);
    const auto check = st.range(1) ? PayloadMatcher::WindowCheck::kHyperscanBounds : PayloadMatcher::WindowCheck::kCallback;
    size_t db = 0, scratch = 0;
    for (auto _ : st) {
        auto m = PayloadMatcher::compile(pats, check);
        if (!m) return st.SkipWithError(m.error().message.c_str());
        db = m->database_bytes();
        scratch = m->make_scratch()->size_bytes();
    }
    st.counters["db_bytes"] = double(db);
    st.counters["scratch_bytes"] = double(scratch);
}

BENCHMARK(BM_Scan)
    ->ArgNames({"size", "patterns"})
    ->ArgsProduct({{64, 1420}, {0, 10, 1000}})
    ->MinTime(0.3);
BENCHMARK(BM_Compile)
    ->ArgNames({"patterns", "bounds"})
    ->ArgsProduct({{10, 1000}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5);

}  // namespace

int main(int argc, char** argv) { return perf::run_benchmarks(argc, argv); }
