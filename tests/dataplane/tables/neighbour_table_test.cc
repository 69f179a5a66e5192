// dataplane/tables/neighbour_table.h: find/create, learning, PERMANENT entries, probing once a
// second, FAILED after kMaxProbes unanswered probes, rows(), and a full table. Invalid input
// (absent keys, a full table) first.
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "dataplane/tables/neighbour_table.h"
#include "tests/dataplane/packet_builder.h"

namespace {

using dp::NeighbourTable;
using dp::NeighState;
using dptest::ip;
using dptest::mac;

constexpr uint64_t kHz = 1'000'000;
const dp::MacAddr kMacA = mac(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
const dp::MacAddr kMacB = mac(0x02, 0x66, 0x77, 0x88, 0x99, 0xaa);

std::unique_ptr<NeighbourTable> table() { return std::make_unique<NeighbourTable>(); }

// ---------------------------------------------------------------------------------------------
// Invalid input.

TEST(NeighbourInvalid, FindAbsentIsZero) {
    auto t = table();
    EXPECT_EQ(t->find(2, ip("10.0.1.50")), 0u);
    EXPECT_EQ(t->find(0, ws::InetAddr()), 0u);
    EXPECT_TRUE(t->rows().empty());
}

TEST(NeighbourInvalid, LearnWithoutCreateIgnoresAbsent) {
    auto t = table();
    t->learn(2, ip("10.0.1.50"), kMacA, 5 * kHz, false);
    EXPECT_EQ(t->find(2, ip("10.0.1.50")), 0u);
    EXPECT_TRUE(t->rows().empty());
}

TEST(NeighbourInvalid, FullTableReturnsZero) {
    auto t = table();
    std::set<uint32_t> slots;
    const uint32_t usable = NeighbourTable::kCapacity - 1;  // slot 0 is never used
    for (uint32_t i = 0; i < usable; ++i) {
        const uint32_t s = t->find_or_create(7, ws::InetAddr::v4(0x0a000000u + i), 1);
        ASSERT_NE(s, 0u) << "insert " << i;
        ASSERT_LT(s, NeighbourTable::kCapacity);
        slots.insert(s);
    }
    EXPECT_EQ(slots.size(), usable);
    EXPECT_EQ(slots.count(0), 0u);
    EXPECT_EQ(t->find_or_create(7, ip("192.0.2.1"), 1), 0u);
    EXPECT_EQ(t->find_or_create(8, ws::InetAddr::v4(0x0a000000u), 1), 0u);
    EXPECT_EQ(t->find(7, ip("192.0.2.1")), 0u);
    t->learn(7, ip("192.0.2.1"), kMacA, 1, true);  // nowhere to learn it: no crash, no entry
    t->set_permanent(7, ip("192.0.2.1"), kMacA);
    EXPECT_EQ(t->find(7, ip("192.0.2.1")), 0u);
    // Everything already there is still found.
    EXPECT_NE(t->find(7, ws::InetAddr::v4(0x0a000000u + usable - 1)), 0u);
    EXPECT_NE(t->find_or_create(7, ws::InetAddr::v4(0x0a000000u + 123), 1), 0u);
    EXPECT_EQ(t->rows().size(), usable);
}

// ---------------------------------------------------------------------------------------------
// Entries.

TEST(Neighbour, FindOrCreateIsIncompleteAndStable) {
    auto t = table();
    const uint32_t s = t->find_or_create(2, ip("10.0.1.50"), 5 * kHz);
    ASSERT_NE(s, 0u);
    EXPECT_EQ(t->state(s), NeighState::kIncomplete);
    dp::MacAddr m{};
    EXPECT_FALSE(t->resolved(s, m));
    EXPECT_EQ(t->find(2, ip("10.0.1.50")), s);
    EXPECT_EQ(t->find_or_create(2, ip("10.0.1.50"), 6 * kHz), s);
    // The key is (ifindex, address, family).
    const uint32_t other_if = t->find_or_create(3, ip("10.0.1.50"), 5 * kHz);
    EXPECT_NE(other_if, s);
    EXPECT_NE(t->find_or_create(2, ip("10.0.1.51"), 5 * kHz), s);
    EXPECT_EQ(t->find(3, ip("10.0.1.50")), other_if);
    const uint32_t v6 = t->find_or_create(2, ip("fe80::1"), 5 * kHz);
    EXPECT_NE(v6, 0u);
    EXPECT_EQ(t->find(2, ip("fe80::1")), v6);
    EXPECT_EQ(t->find(2, ip("fe80::2")), 0u);
}

TEST(Neighbour, LearnMakesReachable) {
    auto t = table();
    const uint32_t s = t->find_or_create(2, ip("10.0.1.50"), kHz);
    t->learn(2, ip("10.0.1.50"), kMacA, 2 * kHz, false);  // existing entry: updated
    EXPECT_EQ(t->state(s), NeighState::kReachable);
    dp::MacAddr m{};
    ASSERT_TRUE(t->resolved(s, m));
    EXPECT_EQ(m, kMacA);
    t->learn(2, ip("10.0.1.50"), kMacB, 3 * kHz, false);  // a new MAC replaces it
    ASSERT_TRUE(t->resolved(s, m));
    EXPECT_EQ(m, kMacB);
    t->learn(2, ip("10.0.1.60"), kMacA, 3 * kHz, true);  // created on learn
    const uint32_t s2 = t->find(2, ip("10.0.1.60"));
    ASSERT_NE(s2, 0u);
    EXPECT_EQ(t->state(s2), NeighState::kReachable);
}

TEST(Neighbour, PermanentNotOverwrittenByLearn) {
    auto t = table();
    t->set_permanent(2, ip("10.0.1.254"), kMacA);
    const uint32_t s = t->find(2, ip("10.0.1.254"));
    ASSERT_NE(s, 0u);
    EXPECT_EQ(t->state(s), NeighState::kPermanent);
    t->learn(2, ip("10.0.1.254"), kMacB, 5 * kHz, true);
    t->learn(2, ip("10.0.1.254"), kMacB, 6 * kHz, false);
    EXPECT_EQ(t->state(s), NeighState::kPermanent);
    dp::MacAddr m{};
    ASSERT_TRUE(t->resolved(s, m));
    EXPECT_EQ(m, kMacA);
    // Never probed, never refreshed.
    EXPECT_FALSE(t->should_probe(s, 10 * kHz, kHz));
    t->age(1000 * kHz, kHz);
    EXPECT_EQ(t->state(s), NeighState::kPermanent) << "PERMANENT entries do not age";
    // `ip neigh replace` (set_permanent again) does change it.
    t->set_permanent(2, ip("10.0.1.254"), kMacB);
    ASSERT_TRUE(t->resolved(s, m));
    EXPECT_EQ(m, kMacB);
    // A learned entry becomes PERMANENT when configured.
    t->learn(2, ip("10.0.1.9"), kMacA, 5 * kHz, true);
    t->set_permanent(2, ip("10.0.1.9"), kMacB);
    EXPECT_EQ(t->state(t->find(2, ip("10.0.1.9"))), NeighState::kPermanent);
}

TEST(Neighbour, ProbeAtMostOncePerSecond) {
    auto t = table();
    const uint32_t s = t->find_or_create(2, ip("10.0.1.50"), 10 * kHz);
    uint64_t now = 10 * kHz;
    EXPECT_TRUE(t->should_probe(s, now, kHz));
    EXPECT_FALSE(t->should_probe(s, now, kHz));
    EXPECT_FALSE(t->should_probe(s, now + kHz / 2, kHz));
    EXPECT_FALSE(t->should_probe(s, now + kHz - 1, kHz));
    EXPECT_TRUE(t->should_probe(s, now + kHz, kHz));
    EXPECT_EQ(t->state(s), NeighState::kIncomplete);
}

TEST(Neighbour, FailedAfterThreeUnansweredProbes) {
    auto t = table();
    const uint32_t s = t->find_or_create(2, ip("10.0.1.50"), 10 * kHz);
    uint64_t now = 10 * kHz;
    for (uint32_t i = 0; i < NeighbourTable::kMaxProbes; ++i, now += kHz) {
        EXPECT_TRUE(t->should_probe(s, now, kHz)) << "probe " << i;
        EXPECT_EQ(t->state(s), NeighState::kIncomplete);
    }
    // A second after the third probe: FAILED, no fourth probe.
    EXPECT_FALSE(t->should_probe(s, now, kHz));
    EXPECT_EQ(t->state(s), NeighState::kFailed);
    dp::MacAddr m{};
    EXPECT_FALSE(t->resolved(s, m));
    // The next use a second later starts probing afresh.
    now += kHz;
    EXPECT_TRUE(t->should_probe(s, now, kHz));
    EXPECT_EQ(t->state(s), NeighState::kIncomplete);
    // A reply makes it usable and resets the count.
    t->learn(2, ip("10.0.1.50"), kMacA, now + 1, false);
    EXPECT_EQ(t->state(s), NeighState::kReachable);
    ASSERT_TRUE(t->resolved(s, m));
}

TEST(Neighbour, AnsweredProbesNeverFail) {
    auto t = table();
    const uint32_t s = t->find_or_create(2, ip("10.0.1.50"), 10 * kHz);
    uint64_t now = 10 * kHz;
    for (int i = 0; i < 10; ++i, now += kHz) {
        EXPECT_TRUE(t->should_probe(s, now, kHz));
        t->learn(2, ip("10.0.1.50"), kMacA, now + 10, false);
    }
    EXPECT_EQ(t->state(s), NeighState::kReachable);
}

TEST(Neighbour, RefreshAfterReachableTime) {
    auto t = table();
    const uint64_t t0 = 10 * kHz;
    t->learn(2, ip("10.0.1.50"), kMacA, t0, true);
    const uint32_t s = t->find(2, ip("10.0.1.50"));
    t->age(t0 + NeighbourTable::kReachableSeconds * kHz, kHz);
    EXPECT_EQ(t->state(s), NeighState::kReachable);
    t->age(t0 + NeighbourTable::kReachableSeconds * kHz + 1, kHz);
    EXPECT_EQ(t->state(s), NeighState::kStale);
    const uint32_t inc = t->find_or_create(2, ip("10.0.1.51"), t0);
    t->age(t0 + 100 * kHz, kHz);
    EXPECT_EQ(t->state(inc), NeighState::kIncomplete) << "only REACHABLE entries go STALE";
}

// The header's state diagram: REACHABLE ... -> FAILED after kMaxProbes unanswered probes one
// second apart. A neighbour that stops answering its refresh probes must not stay usable.
TEST(Neighbour, UnansweredRefreshProbesFail) {
    auto t = table();
    const uint64_t t0 = 10 * kHz;
    t->learn(2, ip("10.0.1.50"), kMacA, t0, true);
    const uint32_t s = t->find(2, ip("10.0.1.50"));
    dp::MacAddr got{};
    t->age(t0 + NeighbourTable::kReachableSeconds * kHz, kHz);
    EXPECT_EQ(t->state(s), NeighState::kReachable) << "not older than the reachable time yet";
    uint64_t now = t0 + (NeighbourTable::kReachableSeconds + 1) * kHz;
    t->age(now, kHz);
    ASSERT_EQ(t->state(s), NeighState::kStale);
    EXPECT_TRUE(t->resolved(s, got)) << "a STALE entry is still used";
    EXPECT_EQ(got, kMacA);
    // kMaxProbes probes a second apart, then the next attempt finds them all unanswered.
    for (uint32_t i = 0; i <= NeighbourTable::kMaxProbes; ++i, now += kHz) t->should_probe(s, now, kHz);
    EXPECT_EQ(t->state(s), NeighState::kFailed);
    EXPECT_FALSE(t->resolved(s, got));
}

TEST(Neighbour, StaleConfirmedByAReply) {
    auto t = table();
    t->learn(2, ip("10.0.1.50"), kMacA, kHz, true);
    const uint32_t s = t->find(2, ip("10.0.1.50"));
    const uint64_t now = (NeighbourTable::kReachableSeconds + 2) * kHz;
    t->age(now, kHz);
    ASSERT_EQ(t->state(s), NeighState::kStale);
    EXPECT_TRUE(t->should_probe(s, now, kHz));
    t->learn(2, ip("10.0.1.50"), kMacB, now + 1, false);
    EXPECT_EQ(t->state(s), NeighState::kReachable);
    dp::MacAddr got{};
    EXPECT_TRUE(t->resolved(s, got));
    EXPECT_EQ(got, kMacB);
}

TEST(Neighbour, RowsInSlotOrder) {
    auto t = table();
    t->find_or_create(2, ip("10.0.1.50"), 1);
    t->learn(2, ip("10.0.1.60"), kMacA, 1, true);
    t->set_permanent(3, ip("192.0.2.254"), kMacB);
    t->find_or_create(3, ip("2001:db8::1"), 1);
    const auto rows = t->rows();
    ASSERT_EQ(rows.size(), 4u);
    uint32_t prev = 0;
    int seen = 0;
    for (const auto& r : rows) {
        const uint32_t s = t->find(r.ifindex, r.addr);
        EXPECT_GT(s, prev) << "slot order";
        prev = s;
        EXPECT_EQ(r.state, t->state(s));
        if (r.addr == ip("10.0.1.50")) {
            seen |= 1;
            EXPECT_EQ(r.state, NeighState::kIncomplete);
            EXPECT_EQ(r.ifindex, 2u);
        } else if (r.addr == ip("10.0.1.60")) {
            seen |= 2;
            EXPECT_EQ(r.state, NeighState::kReachable);
            EXPECT_EQ(r.mac, kMacA);
        } else if (r.addr == ip("192.0.2.254")) {
            seen |= 4;
            EXPECT_EQ(r.state, NeighState::kPermanent);
            EXPECT_EQ(r.mac, kMacB);
        } else if (r.addr == ip("2001:db8::1")) {
            seen |= 8;
            EXPECT_EQ(r.ifindex, 3u);
        }
    }
    EXPECT_EQ(seen, 15);
    EXPECT_STREQ(dp::neigh_state_name(NeighState::kFailed), "FAILED");
    EXPECT_STREQ(dp::neigh_state_name(NeighState::kPermanent), "PERMANENT");
}

}  // namespace
