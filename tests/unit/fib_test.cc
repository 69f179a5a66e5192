// dataplane/tables/fib.h — the compiled LPM table against a brute-force reference: random
// prefixes of every length including /0 and /32, both first-level strides (8 bits, and 16 bits
// above Fib::kWideThreshold prefixes), lpm() vs lpm_bulk_v4(), and the parent chain.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "dataplane/tables/fib.h"

namespace {

constexpr uint32_t kNone = dp::Fib::kNone;

uint32_t mask(unsigned len) { return len == 0 ? 0 : 0xffffffffu << (32 - len); }

dp::Route route_for(uint32_t addr, unsigned len, uint32_t metric = 0) {
    dp::Route r;
    r.dst = ws::InetPrefix{ws::InetAddr::v4(addr & mask(len)), uint8_t(len)};
    r.metric = metric;
    r.table = 100;
    dp::Nexthop nh;
    nh.ifindex = 2;
    r.nh.push_back(nh);
    return r;
}

// The reference: one hash set of masked addresses per prefix length.
struct Brute {
    std::vector<std::unordered_set<uint32_t>> by_len = std::vector<std::unordered_set<uint32_t>>(33);

    void add(uint32_t addr, unsigned len) { by_len[len].insert(addr & mask(len)); }
    bool has(uint32_t addr, unsigned len) const { return by_len[len].count(addr & mask(len)) != 0; }
    // The longest prefix length covering addr, at most max_len; -1 when none.
    int longest(uint32_t addr, int max_len = 32) const {
        for (int len = max_len; len >= 0; --len)
            if (has(addr, unsigned(len))) return len;
        return -1;
    }
};

struct Table {
    Brute brute;
    std::vector<std::pair<uint32_t, unsigned>> prefixes;  // distinct, masked
    dp::Fib fib;
};

// n distinct random prefixes with a length mix that reaches every level of the trie.
Table make_table(size_t n, uint32_t seed) {
    Table t;
    std::mt19937 rng(seed);
    std::set<std::pair<uint32_t, unsigned>> seen;
    auto add = [&](uint32_t a, unsigned len) {
        a &= mask(len);
        if (seen.insert({a, len}).second) {
            t.prefixes.emplace_back(a, len);
            t.brute.add(a, len);
        }
    };
    add(0, 0);
    add(0xc0000201u, 32);
    add(0xffffffffu, 32);
    add(0, 32);
    add(0x0a000000u, 8);
    add(0x0a010000u, 16);
    add(0x0a010200u, 24);
    add(0x0a010203u, 32);
    // Clustered under a few /8s so that deeper levels share chunks, plus uniform ones.
    std::uniform_int_distribution<unsigned> len_dist(0, 32);
    while (t.prefixes.size() < n) {
        unsigned len = len_dist(rng);
        uint32_t a = rng();
        if (rng() % 2) a = (a & 0x00ffffffu) | (uint32_t(10 + rng() % 4) << 24);
        add(a, len);
    }
    // Build in a shuffled group order with two aliases per prefix, order within a group kept.
    std::vector<dp::Route> routes;
    std::vector<size_t> order(t.prefixes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) {
        auto [a, len] = t.prefixes[i];
        routes.push_back(route_for(a, len, 10));
        routes.push_back(route_for(a, len, 20));
    }
    t.fib = dp::Fib::build(100, ws::Family::kInet, std::move(routes));
    return t;
}

// Addresses worth probing: random ones, and each prefix's first and last address and their
// outside neighbours.
std::vector<uint32_t> probes(const Table& t, size_t n_random, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint32_t> out;
    for (size_t i = 0; i < n_random; ++i) out.push_back(rng());
    for (auto [a, len] : t.prefixes) {
        uint32_t last = a | ~mask(len);
        out.push_back(a);
        out.push_back(last);
        out.push_back(a - 1);
        out.push_back(last + 1);
    }
    return out;
}

void check_against_brute(const Table& t, const std::vector<uint32_t>& addrs) {
    const dp::Fib& fib = t.fib;
    std::vector<dp::Fib::Handle> bulk(addrs.size());
    fib.lpm_bulk_v4(addrs.data(), bulk.data(), unsigned(addrs.size()));
    size_t failures = 0;
    for (size_t i = 0; i < addrs.size() && failures < 10; ++i) {
        const uint32_t a = addrs[i];
        const auto addr = ws::InetAddr::v4(a);
        const int want = t.brute.longest(a);
        const auto h = fib.lpm(addr);
        bool ok = bulk[i] == h;
        if (want < 0) {
            ok = ok && h == kNone && !fib.valid(h);
        } else {
            ok = ok && fib.valid(h) && fib.prefixlen(h) == unsigned(want) && fib.node(h).prefix.contains(addr);
            ok = ok && fib.first(addr) == h;
        }
        if (!ok) {
            ++failures;
            ADD_FAILURE() << "address " << addr.format() << ": want /" << want << ", lpm "
                          << (fib.valid(h) ? fib.node(h).prefix.format() : "none") << ", bulk handle " << bulk[i];
        }
    }
}

void check_parent_chain(const Table& t) {
    const dp::Fib& fib = t.fib;
    size_t failures = 0;
    for (uint32_t h = 0; h < fib.prefix_count() && failures < 10; ++h) {
        const auto& node = fib.node(h);
        const uint32_t a = node.prefix.addr.v4();
        const int want = node.prefix.len == 0 ? -1 : t.brute.longest(a, int(node.prefix.len) - 1);
        bool ok;
        if (want < 0) {
            ok = node.parent == kNone;
        } else {
            ok = node.parent != kNone && fib.node(node.parent).prefix.len == unsigned(want) &&
                 fib.node(node.parent).prefix.contains(node.prefix.addr);
        }
        // The walk used by fib_lookup: next() is the parent.
        ok = ok && fib.next(node.prefix.addr, h) == node.parent;
        if (!ok) {
            ++failures;
            ADD_FAILURE() << "node " << node.prefix.format() << ": parent "
                          << (node.parent == kNone ? "none" : fib.node(node.parent).prefix.format()) << ", want /" << want;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Invalid / degenerate input first.

TEST(Fib, EmptyTableNeverMatches) {
    dp::Fib fib = dp::Fib::build(5, ws::Family::kInet, {});
    EXPECT_EQ(fib.prefix_count(), 0u);
    EXPECT_EQ(fib.route_count(), 0u);
    EXPECT_EQ(fib.id(), 5u);
    for (uint32_t a : {0u, 1u, 0x0a000001u, 0xffffffffu}) {
        EXPECT_EQ(fib.lpm(ws::InetAddr::v4(a)), kNone);
        dp::Fib::Handle h = 0;
        fib.lpm_bulk_v4(&a, &h, 1);
        EXPECT_EQ(h, kNone);
    }
    fib.lpm_bulk_v4(nullptr, nullptr, 0);  // n = 0 touches nothing
}

TEST(Fib, OnlyTheDefaultRouteMatchesEverything) {
    dp::Fib fib = dp::Fib::build(5, ws::Family::kInet, {route_for(0, 0)});
    for (uint32_t a : {0u, 0x7fffffffu, 0x80000000u, 0xffffffffu}) {
        auto h = fib.lpm(ws::InetAddr::v4(a));
        ASSERT_TRUE(fib.valid(h));
        EXPECT_EQ(int(fib.prefixlen(h)), 0);
        EXPECT_EQ(fib.node(h).parent, kNone);
    }
}

TEST(Fib, HostRoutesAtBothEnds) {
    dp::Fib fib = dp::Fib::build(5, ws::Family::kInet, {route_for(0, 32), route_for(0xffffffffu, 32)});
    EXPECT_EQ(int(fib.prefixlen(fib.lpm(ws::InetAddr::v4(0)))), 32);
    EXPECT_EQ(int(fib.prefixlen(fib.lpm(ws::InetAddr::v4(0xffffffffu)))), 32);
    EXPECT_EQ(fib.lpm(ws::InetAddr::v4(1)), kNone);
    EXPECT_EQ(fib.lpm(ws::InetAddr::v4(0xfffffffeu)), kNone);
}

TEST(Fib, AliasesOfAPrefixKeepTheirOrder) {
    // Groups are runs of equal prefixes; their order inside a run is Linux's alias order.
    std::vector<dp::Route> routes = {route_for(0x0a000000u, 8, 30), route_for(0x0a000000u, 8, 10),
                                     route_for(0x0a000000u, 8, 20), route_for(0x0a010000u, 16, 5)};
    dp::Fib fib = dp::Fib::build(7, ws::Family::kInet, routes);
    EXPECT_EQ(fib.prefix_count(), 2u);
    EXPECT_EQ(fib.route_count(), 4u);
    auto h = fib.lpm(ws::InetAddr::v4(0x0a020304u));
    ASSERT_TRUE(fib.valid(h));
    std::vector<uint32_t> metrics;
    for (const auto& r : fib.routes(h)) metrics.push_back(r.metric);
    EXPECT_EQ(metrics, (std::vector<uint32_t>{30, 10, 20}));
    auto h16 = fib.lpm(ws::InetAddr::v4(0x0a010304u));
    ASSERT_TRUE(fib.valid(h16));
    EXPECT_EQ(fib.routes(h16).size(), 1u);
    EXPECT_EQ(fib.node(h16).parent, h);
}

// ---------------------------------------------------------------------------------------------
// Random tables against the reference.

TEST(Fib, NarrowStrideMatchesBruteForce) {
    Table t = make_table(1500, 1);
    ASSERT_LE(t.prefixes.size(), dp::Fib::kWideThreshold);
    EXPECT_NE(t.fib.describe().find("stride 8-8-8"), std::string::npos) << t.fib.describe();
    EXPECT_EQ(t.fib.prefix_count(), t.prefixes.size());
    EXPECT_EQ(t.fib.route_count(), 2 * t.prefixes.size());
    check_against_brute(t, probes(t, 20000, 2));
    check_parent_chain(t);
}

TEST(Fib, WideStrideMatchesBruteForce) {
    Table t = make_table(dp::Fib::kWideThreshold + 2000, 3);
    ASSERT_GT(t.prefixes.size(), dp::Fib::kWideThreshold);
    EXPECT_NE(t.fib.describe().find("stride 16-8-8"), std::string::npos) << t.fib.describe();
    check_against_brute(t, probes(t, 20000, 4));
    check_parent_chain(t);
}

TEST(Fib, StrideThresholdBoundary) {
    Table at = make_table(dp::Fib::kWideThreshold, 5);
    EXPECT_NE(at.fib.describe().find("stride 8-8-8"), std::string::npos) << at.fib.describe();
    check_against_brute(at, probes(at, 2000, 6));
    Table over = make_table(dp::Fib::kWideThreshold + 1, 5);
    EXPECT_NE(over.fib.describe().find("stride 16-8-8"), std::string::npos) << over.fib.describe();
    check_against_brute(over, probes(over, 2000, 6));
    check_parent_chain(over);
}

TEST(Fib, ManySeeds) {
    for (uint32_t seed = 10; seed < 20; ++seed) {
        Table t = make_table(200 + seed * 37, seed);
        check_against_brute(t, probes(t, 3000, seed + 100));
        check_parent_chain(t);
    }
}

TEST(Fib, ParentChainWalksEveryCoveringPrefixLongestFirst) {
    Table t = make_table(3000, 7);
    std::mt19937 rng(8);
    for (int i = 0; i < 2000; ++i) {
        const uint32_t a = rng();
        const auto addr = ws::InetAddr::v4(a);
        std::vector<int> want;
        for (int len = 32; len >= 0; --len)
            if (t.brute.has(a, unsigned(len))) want.push_back(len);
        std::vector<int> got;
        for (auto h = t.fib.first(addr); t.fib.valid(h); h = t.fib.next(addr, h)) got.push_back(t.fib.prefixlen(h));
        ASSERT_EQ(got, want) << addr.format();
    }
}

// ---------------------------------------------------------------------------------------------
// IPv6 (15 levels below the 8-bit root).

TEST(Fib, Ipv6MatchesBruteForce) {
    std::mt19937 rng(11);
    std::vector<ws::InetPrefix> prefixes;
    std::set<std::pair<std::array<uint8_t, 16>, uint8_t>> seen;
    auto add = [&](ws::InetPrefix p) {
        p = p.masked();
        if (seen.insert({p.addr.b, p.len}).second) prefixes.push_back(p);
    };
    add(ws::InetPrefix{ws::InetAddr::zero(ws::Family::kInet6), 0});
    while (prefixes.size() < 600) {
        ws::InetAddr a = ws::InetAddr::zero(ws::Family::kInet6);
        a.b[0] = 0x20;
        a.b[1] = 0x01;
        a.b[2] = 0x0d;
        a.b[3] = uint8_t(0xb8 + rng() % 2);
        for (int i = 4; i < 16; ++i) a.b[i] = uint8_t(rng() % 4);
        add(ws::InetPrefix{a, uint8_t(rng() % 129)});
    }
    std::vector<dp::Route> routes;
    for (const auto& p : prefixes) {
        dp::Route r;
        r.dst = p;
        routes.push_back(r);
    }
    dp::Fib fib = dp::Fib::build(1, ws::Family::kInet6, routes);
    for (int i = 0; i < 4000; ++i) {
        ws::InetAddr a;
        if (i % 2) {
            a = prefixes[rng() % prefixes.size()].addr;
            a.b[15 - rng() % 12] ^= uint8_t(1u << (rng() % 8));
        } else {
            a = prefixes[rng() % prefixes.size()].addr;
        }
        int want = -1;
        for (const auto& p : prefixes)
            if (p.contains(a) && int(p.len) > want) want = p.len;
        auto h = fib.lpm(a);
        if (want < 0) {
            EXPECT_EQ(h, kNone) << a.format();
        } else {
            ASSERT_TRUE(fib.valid(h)) << a.format();
            EXPECT_EQ(int(fib.prefixlen(h)), want) << a.format();
        }
    }
}

}  // namespace
