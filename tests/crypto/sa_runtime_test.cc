// SaRuntime (crypto/sa_runtime.h): sequence numbers that never wrap, with and without ESN, on
// both sides of the fast-path margin and under two threads; lifetime limits reported once.
#include <thread>

#include "tests/crypto/crypto_test_util.h"

namespace crypto::test {
namespace {

constexpr uint64_t kMax32 = UINT32_MAX, kMax64 = UINT64_MAX;

SaRuntime runtime(bool esn, uint64_t oseq) { return SaRuntime(params({.esn = esn, .oseq = oseq})); }

struct ExhaustCase {
    const char* name;
    bool esn;
    uint64_t oseq;
};

class SeqExhaustion : public ::testing::TestWithParam<ExhaustCase> {};

// Three numbers left, five asked: two granted (the limit included), then nothing, ever; the
// counter stays at the limit however often it is asked.
TEST_P(SeqExhaustion, NeverWraps) {
    const ExhaustCase& c = GetParam();
    SaRuntime rt = runtime(c.esn, c.oseq);
    const uint64_t limit = c.esn ? kMax64 : kMax32;
    SeqRange r = rt.reserve(5);
    EXPECT_EQ(r.first, limit - 1);
    EXPECT_EQ(r.granted, 2u);
    EXPECT_TRUE(r.exhausted_now);
    EXPECT_TRUE(rt.seq_exhausted());
    for (int i = 0; i < 1000; ++i) {
        r = rt.reserve(SaRuntime::kMaxReserve);
        ASSERT_EQ(r.granted, 0u);
        ASSERT_FALSE(r.exhausted_now);  // reported once
    }
    EXPECT_EQ(rt.last_seq(), limit);
    EXPECT_EQ(rt.stats().seq_exhausted, 3u + 1000u * SaRuntime::kMaxReserve);
}

INSTANTIATE_TEST_SUITE_P(Limits, SeqExhaustion,
                         ::testing::Values(ExhaustCase{"seq32", false, kMax32 - 2}, ExhaustCase{"esn", true, kMax64 - 2}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SeqReserve, FirstPacketCarriesOneAndRunsAreConsecutive) {
    SaRuntime rt = runtime(false, 0);
    EXPECT_EQ(rt.reserve(3).first, 1u);
    EXPECT_EQ(rt.reserve(4).first, 4u);
    EXPECT_EQ(rt.last_seq(), 7u);
    EXPECT_FALSE(rt.seq_exhausted());
}

TEST(SeqReserve, EsnRunsStraightPast32Bits) {
    SaRuntime rt = runtime(true, kMax32 - 1);
    const SeqRange r = rt.reserve(4);
    EXPECT_EQ(r.first, kMax32);
    EXPECT_EQ(r.granted, 4u);
}

TEST(SeqReserve, BothSidesOfTheFastPathMargin) {
    for (uint64_t back : {SaRuntime::kSlack, SaRuntime::kSlack - 1, uint64_t(SaRuntime::kMaxReserve)}) {
        SaRuntime rt = runtime(false, kMax32 - back);
        const SeqRange r = rt.reserve(SaRuntime::kMaxReserve);
        EXPECT_EQ(r.first, kMax32 - back + 1) << back;
        EXPECT_EQ(r.granted, SaRuntime::kMaxReserve) << back;
        EXPECT_EQ(rt.reserve(1).granted, back > SaRuntime::kMaxReserve ? 1u : 0u) << back;
    }
}

// Two workers reserving on one SA: each number handed out once; near the limit the two share
// exactly what is left.
TEST(SeqReserve, TwoWorkersNeverShareANumber) {
    for (uint64_t start : {uint64_t(0), kMax32 - 100000}) {
        SaRuntime rt = runtime(false, start);
        std::vector<uint64_t> got[2];
        auto worker = [&](int w) {
            for (int i = 0; i < 30000; ++i) {
                const SeqRange r = rt.reserve(7);
                for (uint32_t k = 0; k < r.granted; ++k) got[w].push_back(r.first + k);
            }
        };
        std::thread a(worker, 0), b(worker, 1);
        a.join();
        b.join();
        std::vector<uint64_t> all = got[0];
        all.insert(all.end(), got[1].begin(), got[1].end());
        std::sort(all.begin(), all.end());
        EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a number was handed out twice";
        const uint64_t expect = start ? 100000 : 2 * 30000 * 7;
        EXPECT_EQ(all.size(), expect);
        EXPECT_EQ(all.front(), start + 1);
        EXPECT_EQ(all.back(), start + expect);
    }
}

TEST(Lifetime, SoftOnceHardStops) {
    Lifetime l;
    l.soft_packets = 3;
    l.hard_packets = 5;
    l.soft_bytes = 1000;
    SaRuntime rt(params({.limits = l}));
    EXPECT_FALSE(rt.account(2, 100).soft_limit);
    SaEvents ev = rt.account(1, 100);  // packet 3: soft
    EXPECT_TRUE(ev.soft_limit);
    EXPECT_FALSE(ev.hard_limit);
    EXPECT_FALSE(rt.account(1, 100).soft_limit);  // once
    EXPECT_FALSE(rt.hard_expired());
    ev = rt.account(1, 100);  // packet 5: hard
    EXPECT_TRUE(ev.hard_limit);
    EXPECT_TRUE(rt.hard_expired());
    EXPECT_FALSE(rt.account(1, 100).hard_limit);
    EXPECT_EQ(rt.packets(), 6u);
    EXPECT_EQ(rt.bytes(), 500u);
}

TEST(Lifetime, BytesCountToo) {
    Lifetime l;
    l.hard_bytes = 1500;
    SaRuntime rt(params({.limits = l}));
    EXPECT_FALSE(rt.account(1, 1499).hard_limit);
    EXPECT_TRUE(rt.account(1, 1).hard_limit);
    EXPECT_TRUE(rt.hard_expired());
}

}  // namespace
}  // namespace crypto::test
