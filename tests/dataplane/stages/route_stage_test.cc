// dataplane/stages/route_stage.h: RouteStage::decide() verdicts on a small snapshot built from
// configuration lines (forward, local, ICMP errors with Linux's codes, silent drops, martians,
// multicast, the host interface), and RouteStage::run()'s route cache checked against decide()
// for many random flows, across a publish with a changed route table. Invalid input first.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dataplane/stages/forward_stage.h"
#include "dataplane/stages/route_stage.h"
#include "selectors/flow_key.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/snapshot_builder.h"

namespace {

using namespace dptest;
using dp::DropReason;
using dp::Next;

// eth0 (ifindex 2, port 0) faces 10.0.1.0/24 and 2001:db8:1::/64, eth1 (3, port 1, MTU 1400)
// the wild side 192.0.2.0/24 and 2001:db8:2::/64; ipsec0 (4) has no port; host0 (5, port 2)
// is the host interface. There is no IPv4 default route in main: unlisted destinations have no
// route, except for sources in 10.0.1.128/25, which table 100 sends to 10.0.1.254.
const std::string kConfig = std::string(kGatewayBase) + R"(
ip route add 198.51.100.0/24 via 192.0.2.254
ip rule add to 10.70.0.0/16 prohibit priority 120
ip rule add to 10.71.0.0/16 blackhole priority 130
ip -6 route add 2001:db8:99::/48 via 2001:db8:2::fe
ip -6 route add blackhole 2001:db8:66::/48
ip -6 route add unreachable 2001:db8:67::/48
ip -6 route add prohibit 2001:db8:68::/48
)";

constexpr uint32_t kEth0 = 2, kEth1 = 3, kIpsec0 = 4, kHost0 = 5;

struct Fixture : ::testing::Test {
    Env env;
    ctl::Model model;

    void SetUp() override {
        std::string err;
        model = model_of(kConfig, &err);
        ASSERT_EQ(err, "");
        ASSERT_EQ(model.link("eth0")->ifindex, kEth0);
        ASSERT_EQ(model.link("eth1")->ifindex, kEth1);
        ASSERT_EQ(model.link("ipsec0")->ifindex, kIpsec0);
        ASSERT_EQ(model.link("host0")->ifindex, kHost0);
        env.snap = build_snapshot(model, 1);
    }

    // The meta the parse stage would produce for a packet on `iif`.
    static dp::PacketMeta meta(const char* src, const char* dst, uint32_t iif = kEth0, uint8_t proto = kProtoUdp,
                               uint16_t sport = 1000, uint16_t dport = 53) {
        dp::PacketMeta m;
        m.src = ip(src);
        m.dst = ip(dst);
        m.iif = iif;
        m.proto = proto;
        m.sport = sport;
        m.dport = dport;
        m.ttl = 64;
        m.l3_offset = 14;
        m.l3_len = 100;
        m.next = Next::kRoute;
        if (iif == kHost0) {
            m.iif = sel::kLoopbackIfindex;
            m.from_host = true;
        }
        return m;
    }

    dp::RouteCacheEntry decide(const dp::PacketMeta& m) {
        dp::RouteCacheEntry e;
        const dp::StageContext ctx = env.ctx();
        dp::RouteStage::decide(m, ctx, e);
        return e;
    }
};

using RouteDecide = Fixture;
using RouteCache = Fixture;

const char* next_name(Next n) {
    switch (n) {
        case Next::kRoute: return "route";
        case Next::kArp: return "arp";
        case Next::kNd: return "nd";
        case Next::kForward: return "forward";
        case Next::kLocal: return "local";
        case Next::kIcmpError: return "icmp-error";
        case Next::kTx: return "tx";
        case Next::kPending: return "pending";
        case Next::kDrop: return "drop";
    }
    return "?";
}

::testing::AssertionResult verdict_is(const dp::RouteCacheEntry& e, Next n, DropReason r) {
    if (e.next == n && e.drop == r) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "verdict " << next_name(e.next) << "/" << dp::drop_reason_name(e.drop)
                                         << ", want " << next_name(n) << "/" << dp::drop_reason_name(r);
}
#define EXPECT_VERDICT(e, n, reason) EXPECT_TRUE(verdict_is((e), (n), DropReason::reason))

// ---------------------------------------------------------------------------------------------
// Invalid input: what is not forwarded, and the ICMP error Linux sends for it.

// Each failed lookup, for both families: the drop counted and the ICMP error Linux sends
// (ip_error(): ENETUNREACH net unreachable, EHOSTUNREACH host unreachable, EACCES filtered;
// IPv6 ip6_pkt_discard/ip6_pkt_prohibit: no route, administratively prohibited).
TEST_F(RouteDecide, ErrorRoutesSendLinuxsIcmpErrors) {
    struct Case {
        const char* src;
        const char* dst;
        DropReason drop;
        uint8_t type, code;
    };
    const Case cases[] = {
        {"10.0.1.50", "8.8.8.8", DropReason::kNoRoute, 3, 0},
        {"2001:db8:1::50", "2001:db8:77::1", DropReason::kNoRoute, 1, 0},
        {"10.0.1.50", "10.67.1.1", DropReason::kUnreachable, 3, 1},
        {"2001:db8:1::50", "2001:db8:67::1", DropReason::kUnreachable, 1, 0},
        {"10.0.1.50", "10.68.1.1", DropReason::kProhibited, 3, 13},
        {"2001:db8:1::50", "2001:db8:68::1", DropReason::kProhibited, 1, 1},
    };
    for (const Case& c : cases) {
        const auto e = decide(meta(c.src, c.dst));
        EXPECT_TRUE(verdict_is(e, Next::kIcmpError, c.drop)) << c.dst;
        EXPECT_EQ(e.icmp_type, c.type) << c.dst;
        EXPECT_EQ(e.icmp_code, c.code) << c.dst;
    }
}

TEST_F(RouteDecide, BlackholeIsSilent) {
    EXPECT_VERDICT(decide(meta("10.0.1.50", "10.66.1.1")), Next::kDrop, kBlackhole);
    EXPECT_VERDICT(decide(meta("2001:db8:1::50", "2001:db8:66::1")), Next::kDrop, kBlackhole);
}

TEST_F(RouteDecide, RuleActions) {
    auto u = decide(meta("10.0.1.50", "10.69.0.9"));  // FR_ACT_UNREACHABLE: -ENETUNREACH
    EXPECT_VERDICT(u, Next::kIcmpError, kUnreachable);
    EXPECT_EQ(u.icmp_type, 3);
    EXPECT_EQ(u.icmp_code, 0);
    auto p = decide(meta("10.0.1.50", "10.70.0.9"));
    EXPECT_VERDICT(p, Next::kIcmpError, kProhibited);
    EXPECT_EQ(p.icmp_code, 13);
    EXPECT_VERDICT(decide(meta("10.0.1.50", "10.71.0.9")), Next::kDrop, kBlackhole);
}

TEST_F(RouteDecide, MartianSource) {
    for (const char* src : {"127.0.0.1", "224.0.0.1", "255.255.255.255", "0.1.2.3", "10.0.1.1", "192.0.2.1"})
        EXPECT_VERDICT(decide(meta(src, "198.51.100.7")), Next::kDrop, kMartianSource) << src;
}

TEST_F(RouteDecide, MartianDestination) {
    for (const char* dst : {"127.0.0.1", "0.0.0.1"})
        EXPECT_VERDICT(decide(meta("10.0.1.50", dst)), Next::kDrop, kMartianDestination) << dst;
}

TEST_F(RouteDecide, MulticastDropped) {
    for (const char* dst : {"224.0.0.5", "239.255.255.250"})
        EXPECT_VERDICT(decide(meta("10.0.1.50", dst)), Next::kDrop, kMulticast) << dst;
    EXPECT_VERDICT(decide(meta("2001:db8:1::50", "ff02::fb")), Next::kDrop, kMulticast);
    EXPECT_VERDICT(decide(meta("2001:db8:1::50", "ff0e::1")), Next::kDrop, kMulticast);
    // The host's own limited broadcasts stay on its link.
    EXPECT_VERDICT(decide(meta("10.0.1.1", "255.255.255.255", kHost0)), Next::kDrop, kMulticast);
}

TEST_F(RouteDecide, DeviceWithoutPortNotForwardable) {
    // A dummy link has no port and is neither an xfrm interface nor a GRE link.
    std::string err;
    model = model_of(std::string(kConfig) + "ip link add dummy0 type dummy\nip link set dummy0 up\n"
                                            "ip route add 10.0.7.0/24 dev dummy0\n", &err);
    ASSERT_EQ(err, "");
    env.snap = build_snapshot(model, 1);
    EXPECT_VERDICT(decide(meta("10.0.1.50", "10.0.7.9")), Next::kDrop, kNotForwardable);
}

TEST_F(RouteDecide, FromHostErrorsAreDropsNotIcmp) {
    // The gateway's own socket gets the error from its kernel; no ICMP is generated.
    auto e = decide(meta("10.0.1.1", "8.8.8.8", kHost0));
    EXPECT_EQ(e.next, Next::kDrop);
    EXPECT_EQ(e.drop, DropReason::kNoRoute);
    auto p = decide(meta("10.0.1.1", "10.68.0.1", kHost0));
    EXPECT_EQ(p.next, Next::kDrop);
    EXPECT_EQ(p.drop, DropReason::kProhibited);
}

// ---------------------------------------------------------------------------------------------
// Routed packets.

TEST_F(RouteDecide, ForwardViaGateway) {
    auto e = decide(meta("10.0.1.50", "198.51.100.7"));
    EXPECT_VERDICT(e, Next::kForward, kNone);
    EXPECT_EQ(e.out_ifindex, kEth1);
    EXPECT_EQ(e.out_port, 1);
    EXPECT_EQ(e.mtu, 1400u);
    EXPECT_EQ(e.nexthop, ip("192.0.2.254"));
    ASSERT_NE(e.neigh_slot, 0u);
    EXPECT_EQ(env.neigh->find(kEth1, ip("192.0.2.254")), e.neigh_slot);
    EXPECT_EQ(env.neigh->state(e.neigh_slot), dp::NeighState::kIncomplete);
    // A second flow to the same gateway shares the neighbour.
    auto e2 = decide(meta("10.0.1.51", "198.51.100.8", kEth0, kProtoTcp, 5555, 443));
    EXPECT_EQ(e2.neigh_slot, e.neigh_slot);
}

TEST_F(RouteDecide, ForwardOnLink) {
    auto e = decide(meta("192.0.2.77", "10.0.1.50", kEth1));
    EXPECT_VERDICT(e, Next::kForward, kNone);
    EXPECT_EQ(e.out_ifindex, kEth0);
    EXPECT_EQ(e.out_port, 0);
    EXPECT_EQ(e.mtu, 1500u);
    EXPECT_EQ(e.nexthop, ip("10.0.1.50")) << "on-link: the destination itself";
    EXPECT_EQ(env.neigh->find(kEth0, ip("10.0.1.50")), e.neigh_slot);
}

TEST_F(RouteDecide, SourceRuleSelectsTable) {
    auto e = decide(meta("10.0.1.200", "8.8.8.8"));
    EXPECT_VERDICT(e, Next::kForward, kNone);
    EXPECT_EQ(e.out_ifindex, kEth0);
    EXPECT_EQ(e.nexthop, ip("10.0.1.254"));
    EXPECT_GE(e.rule_slot, 0);
    EXPECT_EQ(env.snap->routing->v4.rules[size_t(e.rule_slot)].priority, 100u);
}

TEST_F(RouteDecide, Ipv6Forward) {
    auto e = decide(meta("2001:db8:1::50", "2001:db8:99::7"));
    EXPECT_VERDICT(e, Next::kForward, kNone);
    EXPECT_EQ(e.out_ifindex, kEth1);
    EXPECT_EQ(e.nexthop, ip("2001:db8:2::fe"));
    auto on = decide(meta("2001:db8:2::77", "2001:db8:1::50", kEth1));
    EXPECT_VERDICT(on, Next::kForward, kNone);
    EXPECT_EQ(on.out_ifindex, kEth0);
    EXPECT_EQ(on.nexthop, ip("2001:db8:1::50"));
}

// ip6_forward() to another device: a source that is unspecified, multicast or loopback is
// dropped ("this check is security critical"), a link-local one gets ICMPv6 destination
// unreachable, beyond scope (1/2). Checked over decide() then the forward stage, wherever the
// dataplane chooses to do it.
TEST_F(RouteDecide, Ipv6ForwardRefusesScopedSources) {
    int leaked = 0;
    std::string which;
    for (const char* src : {"::", "::1", "ff02::1", "fe80::9"}) {
        dp::PacketMeta m = meta(src, "2001:db8:99::7");
        const auto e = decide(m);
        m.next = e.next;
        m.drop = e.drop;
        m.mtu = e.mtu;
        if (m.next == Next::kForward) {
            FakeMbuf f;
            f.set(udp6_frame(port_mac(kEth0), Ip6{m.src, m.dst}, 1000, 53, 46));
            dp::ForwardStage::process_one(f.mbuf(), m);
        }
        if (m.next == Next::kForward) {
            ++leaked;
            which += std::string(" ") + src;
        }
    }
    EXPECT_EQ(leaked, 0) << "IPv6 packets from" << which << " forwarded to another link";
}

TEST_F(RouteDecide, LocalAndBroadcast) {
    EXPECT_VERDICT(decide(meta("10.0.1.50", "10.0.1.1")), Next::kLocal, kNone);
    EXPECT_VERDICT(decide(meta("10.0.1.50", "192.0.2.1")), Next::kLocal, kNone) << "any local address";
    EXPECT_VERDICT(decide(meta("10.0.1.50", "10.0.1.255")), Next::kLocal, kNone) << "subnet broadcast";
    EXPECT_VERDICT(decide(meta("10.0.1.50", "255.255.255.255")), Next::kLocal, kNone);
    EXPECT_VERDICT(decide(meta("0.0.0.0", "255.255.255.255")), Next::kLocal, kNone) << "DHCP";
}

// Packets to the gateway's own IPv6 addresses go to the host interface, as IPv4 ones do.
TEST_F(RouteDecide, Ipv6LocalDelivered) {
    const auto e = decide(meta("2001:db8:1::50", "2001:db8:1::1"));
    const auto other = decide(meta("2001:db8:2::77", "2001:db8:1::1", kEth1));
    EXPECT_VERDICT(e, Next::kLocal, kNone);
    EXPECT_VERDICT(other, Next::kLocal, kNone);
}

TEST_F(RouteDecide, FromHostIsOutputRouting) {
    auto e = decide(meta("192.0.2.1", "198.51.100.7", kHost0));
    EXPECT_VERDICT(e, Next::kForward, kNone);
    EXPECT_EQ(e.out_ifindex, kEth1);
    EXPECT_EQ(e.nexthop, ip("192.0.2.254"));
}

// ---------------------------------------------------------------------------------------------
// The route cache.

std::string describe(const dp::PacketMeta& m) {
    return m.src.format() + " -> " + m.dst.format() + " iif " + std::to_string(m.iif) + " proto " +
           std::to_string(m.proto) + " ports " + std::to_string(m.sport) + "/" + std::to_string(m.dport) + " tos " +
           std::to_string(m.tos) + " mark " + std::to_string(m.fwmark);
}

// Compares what run() left in a packet's meta with a fresh decide() for the same packet: the
// verdict always, and the fields the verdict uses. The description is built on failure only.
void expect_same(const dp::PacketMeta& got, const dp::RouteCacheEntry& want, const dp::PacketMeta& in, int burst) {
#define WHAT describe(in) << " (burst " << burst << ")"
    ASSERT_EQ(int(got.next), int(want.next)) << WHAT;
    ASSERT_EQ(got.drop, want.drop) << WHAT << " " << dp::drop_reason_name(got.drop) << " vs "
                                   << dp::drop_reason_name(want.drop);
    if (want.next == Next::kIcmpError) {
        ASSERT_EQ(got.icmp_type, want.icmp_type) << WHAT;
        ASSERT_EQ(got.icmp_code, want.icmp_code) << WHAT;
    }
    if (want.next == Next::kForward) {
        ASSERT_EQ(got.out_port, want.out_port) << WHAT;
        ASSERT_EQ(got.out_ifindex, want.out_ifindex) << WHAT;
        ASSERT_EQ(got.mtu, want.mtu) << WHAT;
        ASSERT_EQ(got.nexthop, want.nexthop) << WHAT;
        ASSERT_EQ(got.neigh_slot, want.neigh_slot) << WHAT;
    }
#undef WHAT
}

// A random flow drawn from a small universe, so that flows repeat (cache hits) and collide.
dp::PacketMeta random_flow(std::mt19937& rng) {
    static const char* const kSrc4[] = {"10.0.1.50", "10.0.1.51", "10.0.1.200", "10.0.1.129", "192.0.2.77",
                                        "198.51.100.9", "127.0.0.1", "0.0.0.0", "10.0.1.1", "172.16.0.1"};
    static const char* const kDst4[] = {"198.51.100.7", "8.8.8.8", "10.0.1.50", "10.0.1.1", "10.0.1.255",
                                        "10.66.3.3", "10.67.3.3", "10.68.3.3", "10.69.3.3", "10.70.3.3",
                                        "10.71.3.3", "10.0.2.9", "192.0.2.77", "224.0.0.5", "255.255.255.255",
                                        "127.0.0.1", "203.0.113.5"};
    static const char* const kSrc6[] = {"2001:db8:1::50", "2001:db8:2::77", "2001:db8:1::1", "::", "fe80::9"};
    static const char* const kDst6[] = {"2001:db8:99::7", "2001:db8:1::50", "2001:db8:66::1", "2001:db8:67::1",
                                        "2001:db8:68::1", "2001:db8:77::1", "2001:db8:1::1", "ff02::1"};
    static const uint32_t kIifs[] = {kEth0, kEth0, kEth1, kHost0};
    static const uint8_t kProtos[] = {kProtoUdp, kProtoTcp, kProtoIcmp, 50};
    const uint32_t iif = kIifs[rng() % 4];
    dp::PacketMeta m;
    if (rng() % 4 == 0) {
        m = Fixture::meta(kSrc6[rng() % std::size(kSrc6)], kDst6[rng() % std::size(kDst6)], iif);
    } else {
        const char* src = kSrc4[rng() % std::size(kSrc4)];
        m = Fixture::meta(src, kDst4[rng() % std::size(kDst4)], iif);
        if (rng() % 3 == 0) m.dst = ws::InetAddr::v4(0x0a000000u | (rng() & 0x00ffffffu));  // anywhere in 10/8
        if (rng() % 5 == 0) m.src = ws::InetAddr::v4(0x0a000100u | (rng() & 0xffu));  // anywhere in 10.0.1/24
    }
    m.proto = kProtos[rng() % 4];
    m.sport = uint16_t(1000 + rng() % 4);
    m.dport = uint16_t(rng() % 3 == 0 ? 53 : 443);
    m.tos = uint8_t(rng() % 4 == 0 ? 0x10 : 0);
    m.fwmark = rng() % 8 == 0 ? 0x16 : 0;
    return m;
}

// Runs `bursts` random bursts through `stage` and checks every packet against decide(). Three
// packets in four come from a pool of `pool_size` flows (hits while the pool fits the cache),
// the rest are new flows (misses that evict).
void check_cache_against_decide(dp::RouteStage& stage, Env& env, std::mt19937& rng, int bursts, uint64_t& hits,
                                uint64_t& total, int pool_size = 300) {
    std::vector<dp::PacketMeta> pool;
    for (int i = 0; i < pool_size; ++i) pool.push_back(random_flow(rng));
    std::vector<std::unique_ptr<FakeMbuf>> mbufs;
    for (unsigned i = 0; i < dp::kBurstMax; ++i) mbufs.push_back(std::make_unique<FakeMbuf>());
    for (int b = 0; b < bursts; ++b) {
        dp::Burst burst;
        burst.n = uint16_t(1 + rng() % dp::kBurstMax);
        dp::PacketMeta in[dp::kBurstMax];
        for (uint16_t i = 0; i < burst.n; ++i) {
            in[i] = rng() % 4 ? pool[rng() % pool.size()] : random_flow(rng);
            if (rng() % 16 == 0) in[i].next = Next::kArp;  // not for the route stage: untouched
            burst.meta[i] = in[i];
            burst.pkt[i] = mbufs[i]->mbuf();
        }
        const uint64_t misses = env.counters.route_cache_misses;
        const dp::StageContext ctx = env.ctx();
        stage.run(burst, ctx);
        uint16_t routed = 0;
        for (uint16_t i = 0; i < burst.n; ++i) {
            if (in[i].next != Next::kRoute) {
                ASSERT_EQ(burst.meta[i].next, Next::kArp);
                continue;
            }
            ++routed;
            dp::RouteCacheEntry want;
            dp::RouteStage::decide(in[i], ctx, want);
            expect_same(burst.meta[i], want, in[i], b);
            if (::testing::Test::HasFatalFailure()) return;
        }
        total += routed;
        hits += routed - (env.counters.route_cache_misses - misses);
    }
}

TEST_F(RouteCache, AnswersExactlyLikeDecide) {
    dp::RouteStage stage;
    std::mt19937 rng(20240601);
    uint64_t hits = 0, total = 0;
    check_cache_against_decide(stage, env, rng, 3000, hits, total);
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_GT(hits, total / 2) << "the flows repeat: most packets should hit";
    EXPECT_LT(hits, total);
}

// Far more flows than the cache holds (2048 sets of 4): sets overflow, ways are evicted and
// reused within bursts; every answer must still be decide()'s.
TEST_F(RouteCache, ThrashingStillAnswersLikeDecide) {
    dp::RouteStage stage;
    std::mt19937 rng(99);
    uint64_t hits = 0, total = 0;
    check_cache_against_decide(stage, env, rng, 2000, hits, total, 20000);
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_GT(total - hits, total / 2) << "mostly misses";
}

TEST_F(RouteCache, NoStaleAnswersAfterPublish) {
    dp::RouteStage stage;
    std::mt19937 rng(7);
    uint64_t hits = 0, total = 0;
    check_cache_against_decide(stage, env, rng, 1000, hits, total);
    // A new snapshot: the gateway route moves to eth0, the blackhole becomes reachable, a new
    // prohibit appears, the source rule is gone, and IPv4 gets a default route.
    std::string err;
    ctl::Model next = model_of(std::string(kConfig) + R"(
ip route del 198.51.100.0/24
ip route add 198.51.100.0/24 via 10.0.1.253
ip route del blackhole 10.66.0.0/16
ip route add 10.66.0.0/16 via 192.0.2.253
ip route add prohibit 203.0.113.0/24
ip rule del priority 100
ip route add default via 192.0.2.254
ip -6 route del 2001:db8:99::/48
ip -6 route add unreachable 2001:db8:99::/48
)", &err);
    ASSERT_EQ(err, "");
    auto old = std::move(env.snap);
    env.snap = build_snapshot(next, old->generation + 1);
    // The same flows again (same seed): every answer must come from the new snapshot.
    std::mt19937 again(7);
    uint64_t hits2 = 0, total2 = 0;
    const uint64_t misses_before = env.counters.route_cache_misses;
    check_cache_against_decide(stage, env, again, 1000, hits2, total2);
    EXPECT_GT(env.counters.route_cache_misses - misses_before, 0u);
    // Spot checks that the new routes are what decide() (and so the cache) answered.
    auto e = decide(meta("10.0.1.50", "198.51.100.7"));
    EXPECT_EQ(e.out_ifindex, kEth0);
    EXPECT_EQ(e.nexthop, ip("10.0.1.253"));
    EXPECT_VERDICT(decide(meta("10.0.1.50", "10.66.1.1")), Next::kForward, kNone);
    EXPECT_VERDICT(decide(meta("10.0.1.50", "8.8.8.8")), Next::kForward, kNone);
    // And back to the first snapshot (a later generation again): no answer of the second leaks.
    old->generation = env.snap->generation + 1;
    env.snap = std::move(old);
    std::mt19937 third(7);
    check_cache_against_decide(stage, env, third, 1000, hits2, total2);
}

TEST_F(RouteCache, FirstPacketOfEachFlowMisses) {
    dp::RouteStage stage;
    FakeMbuf f;
    dp::Burst burst;
    burst.n = 3;
    for (int i = 0; i < 3; ++i) burst.pkt[i] = f.mbuf();
    burst.meta[0] = meta("10.0.1.50", "198.51.100.7");
    burst.meta[1] = meta("10.0.1.50", "10.67.0.1");
    burst.meta[2] = meta("10.0.1.50", "198.51.100.7", kEth0, kProtoTcp, 5000, 443);
    stage.run(burst, env.ctx());
    EXPECT_EQ(env.counters.route_cache_misses, 3u);
    EXPECT_EQ(burst.meta[0].next, Next::kForward);
    EXPECT_EQ(burst.meta[0].nexthop, ip("192.0.2.254"));
    EXPECT_EQ(burst.meta[1].next, Next::kIcmpError);
    EXPECT_EQ(burst.meta[1].icmp_code, 1);
    EXPECT_EQ(burst.meta[2].next, Next::kForward);
    // The same three flows again: all hits.
    burst.meta[0] = meta("10.0.1.50", "198.51.100.7");
    burst.meta[1] = meta("10.0.1.50", "10.67.0.1");
    burst.meta[2] = meta("10.0.1.50", "198.51.100.7", kEth0, kProtoTcp, 5000, 443);
    stage.run(burst, env.ctx());
    EXPECT_EQ(env.counters.route_cache_misses, 3u);
    EXPECT_EQ(burst.meta[0].next, Next::kForward);
    EXPECT_EQ(burst.meta[1].next, Next::kIcmpError);
    EXPECT_EQ(burst.meta[1].icmp_code, 1);
}

// A burst of one new flow (a TCP window, a publish that flushed the cache) should decide it
// once: the stage's comment says a miss is "applied at once" for later packets of the burst.
TEST_F(RouteCache, SameNewFlowTwiceInOneBurstDecidedOnce) {
    dp::RouteStage stage;
    FakeMbuf f;
    dp::Burst burst;
    burst.n = dp::kBurstMax;
    for (uint16_t i = 0; i < burst.n; ++i) {
        burst.pkt[i] = f.mbuf();
        burst.meta[i] = meta("10.0.1.50", "198.51.100.7");
    }
    stage.run(burst, env.ctx());
    for (uint16_t i = 0; i < burst.n; ++i) ASSERT_EQ(burst.meta[i].next, Next::kForward) << i;
    const uint64_t misses = env.counters.route_cache_misses;
    EXPECT_EQ(misses, 1u);
}

TEST_F(RouteCache, RuleHitsCounted) {
    dp::RouteStage stage;
    FakeMbuf f;
    dp::Burst burst;
    burst.n = 4;
    for (int i = 0; i < 4; ++i) {
        burst.pkt[i] = f.mbuf();
        burst.meta[i] = meta("10.0.1.200", "8.8.8.8");  // rule 100 -> table 100
    }
    stage.run(burst, env.ctx());
    const auto& rules = env.snap->routing->v4.rules;
    size_t slot = rules.size();
    for (size_t i = 0; i < rules.size(); ++i)
        if (rules[i].priority == 100) slot = i;
    ASSERT_LT(slot, rules.size());
    EXPECT_EQ(env.snap->rule_hits_total(env.snap->rule_slot(ws::Family::kInet, int32_t(slot))), 4u) << "hits and misses alike";
}

}  // namespace
