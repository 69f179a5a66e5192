// Anti-replay (crypto/replay_window.h): table-driven cases from RFC 4303 Appendix A2's edges
// (reference §6.5: Tl = W-2, W-1, W; Seql = 0 and 0xFFFFFFFF; Th = 0 and 0xFFFFFFFF), the
// 32-bit window's first packet / duplicate / too old / slide past the window, every window size
// against a naive reference model, and two threads updating one SA.
#include <set>
#include <thread>

#include "tests/crypto/crypto_test_util.h"

namespace crypto::test {
namespace {

constexpr auto kOk = ReplayVerdict::kOk;
constexpr auto kReplayed = ReplayVerdict::kReplayed;
constexpr auto kTooOld = ReplayVerdict::kTooOld;

struct Step {
    uint32_t seql;
    ReplayVerdict check;
    uint64_t seq;  // the inferred 64-bit number
    bool accept;   // authenticated: accept() it (expected to give `check` again)
};

struct WindowCase {
    const char* name;
    uint32_t window;
    SeqSpace space;
    uint64_t top;
    std::vector<Step> steps;
};

constexpr uint64_t kHi1 = uint64_t(1) << 32;

const WindowCase kCases[] = {
    // --- invalid and edge input first ---
    {"seq_zero_is_never_valid", 64, SeqSpace::k32, 0, {{0, kTooOld, 0, false}}},
    {"esn_fresh_sa_high_seql_is_below_zero", 64, SeqSpace::kEsn, 0, {{0xffffffff, kTooOld, 0xffffffffffffffff, false},
                                                                     {0, kTooOld, 0, false}}},
    {"esn_top_subspace_cannot_wrap", 64, SeqSpace::kEsn, 0xfffffffffffffff0, {{5, kTooOld, 5, false},
                                                                              {0xffffffff, kOk, ~uint64_t(0), true}}},
    // --- 32-bit window ---
    {"first_packet_duplicate_and_gap", 64, SeqSpace::k32, 0,
     {{1, kOk, 1, true}, {1, kReplayed, 1, false}, {3, kOk, 3, true}, {2, kOk, 2, true}, {2, kReplayed, 2, false}}},
    {"window_edges", 64, SeqSpace::k32, 0,
     {{1000, kOk, 1000, true}, {937, kOk, 937, true}, {936, kTooOld, 936, false}, {1001, kOk, 1001, true},
      {937, kTooOld, 937, false}}},
    {"slide_by_more_than_the_window", 32, SeqSpace::k32, 0,
     {{100, kOk, 100, true}, {5100, kOk, 5100, true}, {5099, kOk, 5099, true}, {5069, kOk, 5069, true},
      {5068, kTooOld, 5068, false}, {100, kTooOld, 100, false}}},
    {"restored_top_counts_as_seen", 64, SeqSpace::k32, 500, {{500, kReplayed, 500, false}, {499, kOk, 499, true}}},
    {"window_zero_checks_nothing", 0, SeqSpace::k32, 0, {{5, kOk, 5, true}, {5, kOk, 5, true}, {0, kOk, 0, false}}},
    // --- ESN, Appendix A2 case B (Tl < W-1): the window spans two subspaces ---
    {"esn_case_b_tl_w_minus_2", 64, SeqSpace::kEsn, kHi1 + 62,
     {{0xffffffff, kOk, 0xffffffff, false},      // Seql >= Bl: Seqh = Th - 1, inside the window
      {0xfffffffe, kOk, kHi1 + 0xfffffffe, false},  // Seql < Bl: Seqh = Th, far ahead (the ICV decides)
      {0, kOk, kHi1, false},                     // Seql < Bl: Seqh = Th
      {63, kOk, kHi1 + 63, true},                // new top
      {62, kReplayed, kHi1 + 62, false}}},
    // --- ESN, case A (Tl >= W-1): the window inside one subspace ---
    {"esn_case_a_tl_w_minus_1", 64, SeqSpace::kEsn, kHi1 + 63,
     {{0, kOk, kHi1, true}, {0xffffffff, kOk, 2 * kHi1 - 1, false}}},  // Bl = 0: Seql >= Bl: Seqh = Th
    {"esn_case_a_tl_w", 64, SeqSpace::kEsn, kHi1 + 64,
     {{0, kOk, 2 * kHi1, false},  // Seql < Bl = 1: Seqh = Th + 1
      {1, kOk, kHi1 + 1, true}}},
    // --- ESN: the low half wraps and the high half is inferred ---
    {"esn_wrap", 64, SeqSpace::kEsn, 0xfffffffe,
     {{0xffffffff, kOk, 0xffffffff, true},
      {0, kOk, kHi1, true},                       // case A, Seql < Bl: Th + 1
      {0xfffffff0, kOk, 0xfffffff0, true},        // now case B: Seqh = Th - 1, in the window
      {0xffffffff, kReplayed, 0xffffffff, false},
      {1, kOk, kHi1 + 1, true},
      {0xffffffc2, kOk, 0xffffffc2, false},        // Bl = Tl - W + 1: the oldest number in the window
      {0xffffffc1, kOk, kHi1 + 0xffffffc1, false}}},  // just below Bl: inferred ahead, never "too old"
};

class WindowCaseTest : public ::testing::TestWithParam<WindowCase> {};

TEST_P(WindowCaseTest, FollowsAppendixA2) {
    const WindowCase& c = GetParam();
    ReplayWindow w(c.window, c.space, c.top);
    for (size_t i = 0; i < c.steps.size(); ++i) {
        const Step& s = c.steps[i];
        const ReplayCheck r = w.check(s.seql);
        EXPECT_EQ(r.verdict, s.check) << "step " << i;
        EXPECT_EQ(r.seq, s.seq) << "step " << i;
        if (s.accept) {
            EXPECT_EQ(w.accept(r.seq), s.check) << "step " << i;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(A2, WindowCaseTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// The naive model: every accepted number in a set; T the largest.
struct Reference {
    uint32_t w;
    uint64_t top = 0;
    std::set<uint64_t> seen;
    ReplayVerdict verdict(uint64_t s) const {
        if (s == 0) return kTooOld;
        if (s > top) return kOk;
        if (top - s >= w) return kTooOld;
        return seen.count(s) ? kReplayed : kOk;
    }
};

class WindowSizeTest : public ::testing::TestWithParam<uint32_t> {};

// Random walks (small steps back and forth, duplicates, jumps of up to 3 windows) agree with
// the model on every verdict, and the edges T - W + 1 / T - W hold.
TEST_P(WindowSizeTest, MatchesTheReferenceModel) {
    const uint32_t w = GetParam();
    ReplayWindow win(w, SeqSpace::k32);
    Reference ref{w};
    std::mt19937_64 rng(w);
    uint64_t cur = 1;
    for (int i = 0; i < 200000; ++i) {
        const uint64_t r = rng() % 100;
        if (r < 5) cur += rng() % (3 * uint64_t(w) + 2);
        else if (r < 60) cur += rng() % 4;
        else cur = cur > w + 2 ? cur - rng() % (w + 2) : cur;
        const ReplayCheck c = win.check(uint32_t(cur));
        ASSERT_EQ(c.seq, cur) << i;
        ASSERT_EQ(c.verdict, ref.verdict(cur)) << i << " seq " << cur << " top " << ref.top;
        if (c.verdict != kOk) continue;
        ASSERT_EQ(win.accept(cur), kOk);
        ref.seen.insert(cur);
        ref.top = std::max(ref.top, cur);
    }
    EXPECT_EQ(win.top(), ref.top);
    EXPECT_NE(win.check(uint32_t(ref.top - w)).verdict, kOk);
}

INSTANTIATE_TEST_SUITE_P(Sizes, WindowSizeTest, ::testing::Values(32u, 64u, 100u, 1024u, 4096u));

// Two workers deliver the same numbers 1..N (each its own order) through one SA's runtime:
// every number is accepted exactly once, whoever gets there first.
TEST(ReplayConcurrency, TwoWorkersOneSaAcceptEachNumberOnce) {
    constexpr uint64_t kN = 200000;
    SaParams p = params({.window = 1024});
    SaRuntime rt(p);
    std::atomic<uint64_t> accepted{0};
    auto worker = [&](uint64_t seed) {
        std::mt19937_64 rng(seed);
        for (uint64_t base = 1; base <= kN; base += 32) {
            uint64_t run[32];
            for (uint64_t i = 0; i < 32; ++i) run[i] = std::min(kN, base + i);
            std::shuffle(run, run + 32, rng);
            auto win = rt.window();
            for (uint64_t s : run)
                if (win->check(uint32_t(s)).verdict == kOk && win->accept(s) == kOk) ++accepted;
        }
    };
    std::thread a(worker, 1), b(worker, 2);
    a.join();
    b.join();
    EXPECT_EQ(accepted.load(), kN);
    EXPECT_EQ(rt.window()->top(), kN);
}

}  // namespace
}  // namespace crypto::test
