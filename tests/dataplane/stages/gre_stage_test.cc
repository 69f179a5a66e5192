// dataplane/stages/gre_stage.h: GRE links between two gateways compiled from `ip link add ...
// type gre` lines, on fake mbufs: West (10.0.1.0/24 behind 172.16.0.1) and East (10.0.2.0/24
// behind 172.16.0.2), each routing the other's network into gre1. What West encapsulates is fed
// to East, which must decapsulate and forward the packet West was given (TTL - 2). Then the
// outer header byte by byte, the outer route and its drops, the MTU, the receive side's key
// matching, checksums and malformed headers, ECN, the inner packet's iif in routing, and GRE
// protected by transport-mode ESP (`ip xfrm policy ... proto gre`) both ways.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "control/compile/compile_ipsec.h"
#include "dataplane/stages/forward_stage.h"
#include "dataplane/stages/gre_stage.h"
#include "dataplane/stages/ipsec_stage.h"
#include "dataplane/stages/parse_stage.h"
#include "dataplane/stages/route_stage.h"
#include "tests/dataplane/eal_env.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/stage_gateway.h"
#include "tests/dataplane/snapshot_builder.h"

namespace {

using namespace dptest;
using dp::DropReason;
using dp::Next;


// Links: eth0 ifindex 2 (port 0), eth1 ifindex 3 (port 1), gre1 ifindex 4.
std::string west(const std::string& gre_args = "local 172.16.0.1 remote 172.16.0.2 key 5", const std::string& extra = "") {
    return "ip link add eth0 type dpdk devargs net_null0\n"
           "ip link add eth1 type dpdk devargs net_null1\n"
           "ip link add gre1 type gre " + gre_args + "\n"
           "ip link set eth0 up\nip link set eth1 up\nip link set gre1 up\n"
           "ip link set gre1 mtu 1472\n"
           "ip addr add 10.0.1.1/24 dev eth0\n"
           "ip addr add 172.16.0.1/24 dev eth1\n"
           "ip route add 10.0.2.0/24 dev gre1\n" + extra;
}

std::string east(const std::string& gre_args = "local 172.16.0.2 remote 172.16.0.1 key 5", const std::string& extra = "") {
    return "ip link add eth0 type dpdk devargs net_null0\n"
           "ip link add eth1 type dpdk devargs net_null1\n"
           "ip link add gre1 type gre " + gre_args + "\n"
           "ip link set eth0 up\nip link set eth1 up\nip link set gre1 up\n"
           "ip link set gre1 mtu 1472\n"
           "ip addr add 10.0.2.1/24 dev eth0\n"
           "ip addr add 172.16.0.2/24 dev eth1\n"
           "ip route add 10.0.1.0/24 dev gre1\n" + extra;
}

// One gateway: its snapshot (with the compiled SAD/SPD) and a worker's stages in the worker's
// order, up to the neighbour stage.
using Gw = StageGateway;

Bytes inner4(const Gw& g, const char* src, const char* dst, size_t len = 40, uint8_t tos = 0, uint16_t frag = 0x4000,
             uint8_t ttl = 64) {
    return udp_in(g, src, dst, 2000, len, tos, frag, ttl);
}

Bytes l3(const Bytes& frame) { return Bytes(frame.begin() + 14, frame.end()); }

// A frame readdressed to `g`'s eth1 (what West sends, as East receives it).
void to_eth1(FakeMbuf& f, const Gw& g) {
    Bytes fr = f.bytes();
    std::copy(g.mac(3).begin(), g.mac(3).end(), fr.begin());
    f.set(fr);
}

// A GRE packet to `to`'s eth1 built here, independently of the stage.
struct GreHdr {
    uint16_t flags = 0;  // beyond C/K/S: version, R, s, recursion bits
    uint16_t proto = 0x0800;
    std::optional<uint32_t> key;
    bool csum = false, bad_csum = false;
    std::optional<uint32_t> seq;
    uint8_t outer_tos = 0;
    const char* src = "172.16.0.1";
    const char* dst = "172.16.0.2";
};

Bytes gre_frame(const Gw& to, const GreHdr& g, const Bytes& payload) {
    Bytes h(4);
    uint16_t flags = g.flags | (g.csum ? 0x8000 : 0) | (g.key ? 0x2000 : 0) | (g.seq ? 0x1000 : 0);
    put16(&h[0], flags);
    put16(&h[2], g.proto);
    if (g.csum) h.resize(h.size() + 4, 0);
    if (g.key) {
        h.resize(h.size() + 4);
        put32(&h[h.size() - 4], *g.key);
    }
    if (g.seq) {
        h.resize(h.size() + 4);
        put32(&h[h.size() - 4], *g.seq);
    }
    Bytes gre = cat(h, payload);
    if (g.csum) put16(&gre[4], uint16_t(inet_checksum(gre.data(), gre.size()) ^ (g.bad_csum ? 0x0101 : 0)));
    Ip4 o;
    o.src = ip(g.src);
    o.dst = ip(g.dst);
    o.proto = 47;
    o.tos = g.outer_tos;
    o.frag = 0x4000;
    return ethernet(to.mac(3), kPeerMac, 0x0800, ipv4(o, gre));
}

// An inner IPv4 UDP packet West's network sends to East's (without Ethernet).
Bytes inner_ip(uint8_t tos = 0, const char* dst = "10.0.2.7") {
    Ip4 h;
    h.src = ip("10.0.1.5");
    h.dst = ip(dst);
    h.tos = tos;
    h.ttl = 63;
    return ipv4(h, udp(h.src, h.dst, 1000, 2000, payload(30)));
}

class GreStageTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(eal_up()) << "EAL (rte_acl needs it)"; }
};

// ---------------------------------------------------------------------------------------------
// Bad input first: malformed GRE, bad checksums, unknown payloads, from a configured peer.

TEST_F(GreStageTest, MalformedGreFromAPeerIsDroppedByReason) {
    Gw e(east());
    FakeMbuf f;
    struct Case {
        GreHdr h;
        DropReason want;
        const char* what;
    };
    GreHdr v1;
    v1.key = 5;
    v1.flags = 0x0001;
    GreHdr routing;
    routing.key = 5;
    routing.flags = 0x4000;
    GreHdr strict;
    strict.key = 5;
    strict.flags = 0x0800;
    GreHdr recur;
    recur.key = 5;
    recur.flags = 0x0400;
    GreHdr teb;
    teb.key = 5;
    teb.proto = 0x6558;
    GreHdr bad;
    bad.key = 5;
    bad.csum = bad.bad_csum = true;
    for (const Case& c : {Case{v1, DropReason::kGreMalformed, "version 1"}, Case{routing, DropReason::kGreMalformed, "R"},
                          Case{strict, DropReason::kGreMalformed, "strict source route"},
                          Case{recur, DropReason::kGreMalformed, "recursion bit 5"},
                          Case{teb, DropReason::kGreUnsupportedProtocol, "gretap payload"},
                          Case{bad, DropReason::kGreBadChecksum, "checksum"}}) {
        f.set(gre_frame(e, c.h, inner_ip()));
        const auto m = e.run(f, 3);
        EXPECT_EQ(m.next, Next::kDrop) << c.what;
        EXPECT_EQ(m.drop, c.want) << c.what << ": " << dp::drop_reason_name(m.drop);
    }
    // Truncated: the K bit promises a key the packet does not have.
    Ip4 o;
    o.src = ip("172.16.0.1");
    o.dst = ip("172.16.0.2");
    o.proto = 47;
    f.set(ethernet(e.mac(3), kPeerMac, 0x0800, ipv4(o, Bytes{0x20, 0x00, 0x08, 0x00, 0, 0})));
    EXPECT_EQ(e.run(f, 3).drop, DropReason::kGreMalformed);
    // Bits 6-12 are ignored on receipt (RFC 2784 2.3): recursion 0x0300 and flags 0x00f8.
    GreHdr ignored;
    ignored.key = 5;
    ignored.flags = 0x03f8;
    f.set(gre_frame(e, ignored, inner_ip()));
    EXPECT_EQ(e.run(f, 3).next, Next::kForward);
    // A malformed inner packet drops by the parse stage's reason.
    Bytes bad_inner = inner_ip();
    bad_inner[10] ^= 0xff;
    GreHdr k5;
    k5.key = 5;
    f.set(gre_frame(e, k5, bad_inner));
    EXPECT_EQ(e.run(f, 3).drop, DropReason::kIp4BadChecksum);
}

TEST_F(GreStageTest, ChecksumAndSequenceNumberArePassedAndTheChecksumVerified) {
    Gw e(east());
    FakeMbuf f;
    GreHdr h;
    h.key = 5;
    h.csum = true;
    h.seq = 77;
    const Bytes in = inner_ip();
    f.set(gre_frame(e, h, in));
    auto m = e.run(f, 3);
    ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    EXPECT_EQ(m.iif, 4u);
    Bytes want = in;
    want[8] -= 1;
    Bytes got = l3(f.bytes());
    EXPECT_TRUE(checksum_verifies(got.data(), 20));
    got[10] = got[11] = want[10] = want[11] = 0;
    EXPECT_EQ(got, want);
    h.bad_csum = true;
    f.set(gre_frame(e, h, in));
    EXPECT_EQ(e.run(f, 3).drop, DropReason::kGreBadChecksum);
}

// ---------------------------------------------------------------------------------------------
// Encapsulation.

TEST_F(GreStageTest, EncapWritesTheOuterHeaderAsIpTunnelXmitDoes) {
    Gw w(west());
    for (uint8_t tos : {uint8_t(0xbb), uint8_t(0x01), uint8_t(0x2a)}) {  // DSCP + CE, ECT(1), ECT(0)
        FakeMbuf f;
        const Bytes orig = inner4(w, "10.0.1.5", "10.0.2.7", 40, tos, 0x0000, 33);
        f.set(orig);
        const auto m = w.run(f, 2);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        EXPECT_EQ(m.out_ifindex, 3u);
        EXPECT_EQ(m.out_port, w.env.iface(3).port);
        EXPECT_EQ(m.nexthop, ip("172.16.0.2"));
        EXPECT_EQ(m.mtu, 1500u);
        EXPECT_NE(m.neigh_slot, 0u);
        EXPECT_EQ(m.src, ip("172.16.0.1"));
        EXPECT_EQ(m.dst, ip("172.16.0.2"));
        EXPECT_EQ(m.proto, 47);
        EXPECT_TRUE(m.from_host);
        EXPECT_EQ(m.sport, 0);
        EXPECT_EQ(m.dport, 5) << "the key's halves, as Linux's flow has them";
        const Bytes out = f.bytes();
        ASSERT_EQ(out.size(), orig.size() + 20 + 8);
        EXPECT_EQ(get16(out.data() + 12), 0x0800);
        const uint8_t* o = out.data() + 14;
        EXPECT_EQ(o[0], 0x45);
        const uint8_t ecn = tos & 3;
        EXPECT_EQ(o[1], ecn == 3 ? 2 : ecn) << "TOS 0 with the inner ECN bits, CE as ECT(0)";
        EXPECT_EQ(get16(o + 2), out.size() - 14);
        EXPECT_EQ(get16(o + 6), 0x4000) << "DF although the inner packet has none (pmtudisc)";
        EXPECT_EQ(o[8], 32) << "the inner TTL as forwarded";
        EXPECT_EQ(o[9], 47);
        EXPECT_EQ(Bytes(o + 12, o + 16), (Bytes{172, 16, 0, 1}));
        EXPECT_EQ(Bytes(o + 16, o + 20), (Bytes{172, 16, 0, 2}));
        EXPECT_TRUE(checksum_verifies(o, 20));
        EXPECT_EQ(get16(o + 20), 0x2000) << "K only";
        EXPECT_EQ(get16(o + 22), 0x0800);
        EXPECT_EQ(get32(o + 24), 5u);
        Bytes want = l3(orig), got(o + 28, out.data() + out.size());
        want[8] -= 1;
        EXPECT_TRUE(checksum_verifies(got.data(), 20));
        got[10] = got[11] = want[10] = want[11] = 0;
        EXPECT_EQ(got, want);
    }
    EXPECT_EQ(w.env.counters.virt[4].tx_packets, 3u);
    EXPECT_EQ(w.env.counters.virt[4].tx_bytes, 3u * (20 + 8 + 40));
    // Consecutive IDs from one worker.
    FakeMbuf a, b;
    a.set(inner4(w, "10.0.1.5", "10.0.2.7"));
    b.set(inner4(w, "10.0.1.5", "10.0.2.7"));
    w.run(a, 2);
    w.run(b, 2);
    EXPECT_EQ(uint16_t(get16(b.data() + 18) - get16(a.data() + 18)), 1);
}

TEST_F(GreStageTest, KeylessIpv6InnerAndASourceChosenByTheOuterRoute) {
    Gw w(west("remote 172.16.0.2", "ip -6 addr add 2001:db8:1::1/64 dev eth0\nip -6 route add 2001:db8:2::/64 dev gre1\n"));
    FakeMbuf f;
    Ip6 h;
    h.src = ip("2001:db8:1::5");
    h.dst = ip("2001:db8:2::7");
    h.tclass = 0x03;
    h.hlim = 9;
    const Bytes orig = udp6_frame(w.mac(2), h, 1000, 2000, 20);
    f.set(orig);
    const auto m = w.run(f, 2);
    ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    EXPECT_EQ(m.src, ip("172.16.0.1")) << "no local: the outer route's source";
    EXPECT_EQ(m.dport, 0);
    const Bytes out = f.bytes();
    const uint8_t* o = out.data() + 14;
    ASSERT_EQ(out.size(), orig.size() + 24);
    EXPECT_EQ(o[1], 0x02);
    EXPECT_EQ(get16(o + 6), 0x4000);
    EXPECT_EQ(o[8], 8) << "the hop limit as forwarded";
    EXPECT_EQ(Bytes(o + 12, o + 16), (Bytes{172, 16, 0, 1}));
    EXPECT_TRUE(checksum_verifies(o, 20));
    EXPECT_EQ(get16(o + 20), 0x0000);
    EXPECT_EQ(get16(o + 22), 0x86dd);
    EXPECT_EQ(o[24] >> 4, 6) << "the IPv6 packet right behind the 4-byte header";
    EXPECT_EQ(o[24 + 7], 8);
}

TEST_F(GreStageTest, OuterRouteErrorsLoopsAndTheLinkDown) {
    {  // no route to the remote
        Gw w(west("local 172.16.0.1 remote 198.51.100.9"));
        FakeMbuf f;
        f.set(inner4(w, "10.0.1.5", "10.0.2.7"));
        EXPECT_EQ(w.run(f, 2).drop, DropReason::kGreNoRoute);
    }
    {  // a local that is not ours: no output route from it (EINVAL)
        Gw w(west("local 172.16.9.9 remote 172.16.0.2"));
        FakeMbuf f;
        f.set(inner4(w, "10.0.1.5", "10.0.2.7"));
        EXPECT_EQ(w.run(f, 2).drop, DropReason::kGreNoRoute);
    }
    {  // the remote is the gateway itself
        Gw w(west("local 172.16.0.1 remote 10.0.1.1"));
        FakeMbuf f;
        f.set(inner4(w, "10.0.1.5", "10.0.2.7"));
        EXPECT_EQ(w.run(f, 2).drop, DropReason::kGreLoop);
    }
    {  // the remote is routed into the tunnel itself
        Gw w(west("local 172.16.0.1 remote 10.0.2.99"));
        FakeMbuf f;
        f.set(inner4(w, "10.0.1.5", "10.0.2.7"));
        EXPECT_EQ(w.run(f, 2).drop, DropReason::kGreLoop);
    }
    {  // the link is down: its routes are gone (Linux flushes them), so no GRE at all
        Gw w(west("local 172.16.0.1 remote 172.16.0.2", "ip link set gre1 down\n"));
        FakeMbuf f;
        f.set(inner4(w, "10.0.1.5", "10.0.2.7"));
        const auto m = w.run(f, 2);
        EXPECT_NE(m.next, Next::kForward);
        EXPECT_EQ(w.env.counters.virt[4].tx_packets, 0u);
    }
}

TEST_F(GreStageTest, TooBigForTheOuterRouteSendsFragNeededWithTheRoomLeft) {
    // eth1 MTU 1400: 1400 - 20 - 8 (keyed) = 1372 bytes of inner packet fit.
    Gw w(west("local 172.16.0.1 remote 172.16.0.2 key 5", "ip link set eth1 mtu 1400\n"));
    FakeMbuf f;
    f.set(inner4(w, "10.0.1.5", "10.0.2.7", 1373 - 28));
    auto m = w.run(f, 2);
    EXPECT_EQ(m.next, Next::kIcmpError);
    EXPECT_EQ(m.drop, DropReason::kFragNeeded);
    EXPECT_EQ(m.icmp_type, 3);
    EXPECT_EQ(m.icmp_code, 4);
    EXPECT_EQ(m.icmp_info, 1372u);
    EXPECT_EQ(m.src, ip("10.0.1.5")) << "the error goes to the inner source";
    f.set(inner4(w, "10.0.1.5", "10.0.2.7", 1372 - 28));
    EXPECT_EQ(w.run(f, 2).next, Next::kForward) << "exactly the reported MTU fits";
    f.set(inner4(w, "10.0.1.5", "10.0.2.7", 1373 - 28, 0, 0x0000));
    m = w.run(f, 2);
    EXPECT_EQ(m.next, Next::kDrop) << "no DF: the outer DF makes it undeliverable, no ICMP";
    EXPECT_EQ(m.drop, DropReason::kFragNeeded);
    // IPv6: packet too big.
    Gw w6(west("local 172.16.0.1 remote 172.16.0.2 key 5",
               "ip link set eth1 mtu 1400\nip -6 addr add 2001:db8:1::1/64 dev eth0\nip -6 route add 2001:db8:2::/64 dev gre1\n"));
    Ip6 h;
    h.src = ip("2001:db8:1::5");
    h.dst = ip("2001:db8:2::7");
    f.set(udp6_frame(w6.mac(2), h, 1000, 2000, 1373 - 48));
    m = w6.run(f, 2);
    EXPECT_EQ(m.next, Next::kIcmpError);
    EXPECT_EQ(m.icmp_type, 2);
    EXPECT_EQ(m.icmp_code, 0);
    EXPECT_EQ(m.icmp_info, 1372u);
    EXPECT_EQ(w6.env.counters.virt[4].tx_packets, 0u);
}

// ---------------------------------------------------------------------------------------------
// Decapsulation and round trips.

TEST_F(GreStageTest, RoundTripWestToEastForwardsTheOriginalWithTtlDecrementedTwice) {
    Gw w(west()), e(east());
    for (size_t len : {0u, 100u, 1400u}) {
        FakeMbuf f;
        const Bytes orig = inner4(w, "10.0.1.5", "10.0.2.7", len);
        f.set(orig);
        ASSERT_EQ(w.run(f, 2).next, Next::kForward);
        to_eth1(f, e);
        const auto m = e.run(f, 3);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        EXPECT_EQ(e.decapsulated, 1u);
        EXPECT_EQ(m.iif, 4u) << "received on gre1";
        EXPECT_EQ(m.out_ifindex, 2u);
        EXPECT_EQ(m.src, ip("10.0.1.5"));
        EXPECT_EQ(m.dst, ip("10.0.2.7"));
        EXPECT_FALSE(m.from_host);
        Bytes want = l3(orig), got = l3(f.bytes());
        want[8] -= 2;
        ASSERT_EQ(got.size(), want.size());
        EXPECT_EQ(got[8], want[8]);
        EXPECT_TRUE(checksum_verifies(got.data(), 20));
        got[10] = got[11] = want[10] = want[11] = 0;
        EXPECT_EQ(got, want);
    }
    EXPECT_EQ(e.env.counters.virt[4].rx_packets, 3u);
    EXPECT_EQ(e.env.counters.virt[4].rx_bytes, 3u * 28 + 1500);
}

TEST_F(GreStageTest, TheLinkIsChosenByPeerLocalAndKeyOrTheHostGetsThePacket) {
    auto deliver = [](Gw& e, const GreHdr& h) {
        FakeMbuf f;
        f.set(gre_frame(e, h, inner_ip()));
        const Bytes before = f.bytes();
        auto m = e.run(f, 3);
        if (m.next == Next::kLocal) {
            EXPECT_EQ(f.bytes(), before) << "left as received";
        }
        return m;
    };
    GreHdr k5, k6, none;
    k5.key = 5;
    k6.key = 6;
    {
        Gw e(east());  // keyed 5
        EXPECT_EQ(deliver(e, k5).next, Next::kForward);
        EXPECT_EQ(deliver(e, k6).next, Next::kLocal) << "another key";
        EXPECT_EQ(deliver(e, none).next, Next::kLocal) << "no key for a keyed link";
        GreHdr other = k5;
        other.src = "172.16.0.3";
        EXPECT_EQ(deliver(e, other).next, Next::kLocal) << "another peer";
        EXPECT_EQ(e.env.counters.virt[4].rx_packets, 1u);
    }
    {
        Gw e(east("local 172.16.0.2 remote 172.16.0.1"));  // keyless
        EXPECT_EQ(deliver(e, none).next, Next::kForward);
        EXPECT_EQ(deliver(e, k5).next, Next::kLocal) << "a key for a keyless link";
    }
    {
        // No local: any of the gateway's addresses; a link bound to the address wins.
        Gw e(east("remote 172.16.0.1 key 5",
                  "ip addr add 172.16.1.2/24 dev eth1\n"
                  "ip link add gre2 type gre local 172.16.1.2 remote 172.16.0.1 key 5\nip link set gre2 up\n"));
        FakeMbuf f;
        GreHdr h = k5;
        f.set(gre_frame(e, h, inner_ip()));
        EXPECT_EQ(e.run(f, 3).iif, 4u);
        h.dst = "172.16.1.2";
        f.set(gre_frame(e, h, inner_ip()));
        EXPECT_EQ(e.run(f, 3).iif, 5u) << "gre2 is bound to 172.16.1.2";
    }
    {
        Gw e(east("local 172.16.0.2 remote 172.16.0.1 key 5", "ip link set gre1 down\n"));
        EXPECT_EQ(deliver(e, k5).drop, DropReason::kLinkDown);
    }
    {
        // No GRE link at all: GRE is the host kernel's.
        Gw e("ip link add eth0 type dpdk devargs net_null0\nip link add eth1 type dpdk devargs net_null1\n"
             "ip link set eth1 up\nip addr add 172.16.0.2/24 dev eth1\n");
        EXPECT_TRUE(e.env.snap->gre_links.empty());
        FakeMbuf f;
        f.set(gre_frame(e, k5, inner_ip()));
        EXPECT_EQ(e.run(f, 3).next, Next::kLocal);
        EXPECT_EQ(e.decapsulated, 0u);
    }
}

TEST_F(GreStageTest, EcnOnDecapsulationFollowsRfc6040) {
    Gw e(east());
    FakeMbuf f;
    GreHdr h;
    h.key = 5;
    h.outer_tos = 0x03;  // CE
    f.set(gre_frame(e, h, inner_ip(0x02)));
    auto m = e.run(f, 3);
    ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    const Bytes got = l3(f.bytes());
    EXPECT_EQ(got[1], 0x03) << "ECT(0) inner marked CE";
    EXPECT_TRUE(checksum_verifies(got.data(), 20));
    f.set(gre_frame(e, h, inner_ip(0x00)));
    EXPECT_EQ(e.run(f, 3).drop, DropReason::kGreEcnNotEct);
    h.outer_tos = 0x02;  // ECT(0) outer, not-ECT inner: passed unchanged
    f.set(gre_frame(e, h, inner_ip(0x00)));
    ASSERT_EQ(e.run(f, 3).next, Next::kForward);
    EXPECT_EQ(l3(f.bytes())[1], 0x00);
}

TEST_F(GreStageTest, TheInnerPacketIsRoutedAsReceivedOnTheLinkWithItsMark) {
    // A default route only for what arrives on gre1.
    Gw e(east("local 172.16.0.2 remote 172.16.0.1 key 5",
              "ip rule add iif gre1 table 200 priority 100\nip route add default via 10.0.2.254 dev eth0 table 200\n"));
    FakeMbuf f;
    GreHdr h;
    h.key = 5;
    f.set(gre_frame(e, h, inner_ip(0, "198.51.100.1")));
    auto m = e.run(f, 3);
    ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    EXPECT_EQ(m.nexthop, ip("10.0.2.254"));
    EXPECT_EQ(m.out_ifindex, 2u);
    // The same inner packet from eth0 has no route.
    Bytes plain = ethernet(e.mac(2), kPeerMac, 0x0800, inner_ip(0, "198.51.100.1"));
    f.set(plain);
    EXPECT_EQ(e.run(f, 2).drop, DropReason::kNoRoute);
}

// ---------------------------------------------------------------------------------------------
// GRE protected by transport-mode ESP.

std::string esp_transport(const char* src, const char* dst, const char* spi, const char* key) {
    return std::string("ip xfrm state add src ") + src + " dst " + dst + " proto esp spi " + spi +
           " reqid 11 mode transport aead 'rfc4106(gcm(aes))' " + key + " 128\n";
}

std::string west_esp() {
    return west("local 172.16.0.1 remote 172.16.0.2 key 5",
                esp_transport("172.16.0.1", "172.16.0.2", "0x2001", kKeyOut) +
                    esp_transport("172.16.0.2", "172.16.0.1", "0x2002", kKeyIn) +
                    "ip xfrm policy add src 172.16.0.1 dst 172.16.0.2 proto gre dir out tmpl src 172.16.0.1 dst 172.16.0.2 proto esp reqid 11 mode transport\n"
                    "ip xfrm policy add src 172.16.0.2 dst 172.16.0.1 proto gre dir in tmpl src 172.16.0.2 dst 172.16.0.1 proto esp reqid 11 mode transport\n");
}

std::string east_esp(const std::string& extra = "") {
    return east("local 172.16.0.2 remote 172.16.0.1 key 5",
                esp_transport("172.16.0.1", "172.16.0.2", "0x2001", kKeyOut) +
                    esp_transport("172.16.0.2", "172.16.0.1", "0x2002", kKeyIn) +
                    "ip xfrm policy add src 172.16.0.2 dst 172.16.0.1 proto gre dir out tmpl src 172.16.0.2 dst 172.16.0.1 proto esp reqid 11 mode transport\n"
                    "ip xfrm policy add src 172.16.0.1 dst 172.16.0.2 proto gre dir in tmpl src 172.16.0.1 dst 172.16.0.2 proto esp reqid 11 mode transport\n" +
                    extra);
}

TEST_F(GreStageTest, GreInTransportEspRoundTrip) {
    Gw w(west_esp()), e(east_esp());
    for (size_t len : {1u, 200u}) {
        FakeMbuf f;
        const Bytes orig = inner4(w, "10.0.1.5", "10.0.2.7", len);
        f.set(orig);
        auto m = w.run(f, 2);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        EXPECT_EQ(m.out_ifindex, 3u);
        EXPECT_EQ(m.proto, 50);
        const Bytes out = f.bytes();
        const uint8_t* o = out.data() + 14;
        EXPECT_EQ(o[9], 50) << "GRE encrypted in transport mode";
        EXPECT_EQ(Bytes(o + 12, o + 20), (Bytes{172, 16, 0, 1, 172, 16, 0, 2}));
        EXPECT_EQ(get16(o + 6), 0x4000);
        EXPECT_EQ(get16(o + 2), out.size() - 14);
        EXPECT_TRUE(checksum_verifies(o, 20));
        EXPECT_EQ(get32(o + 20), 0x2001u);
        to_eth1(f, e);
        m = e.run(f, 3);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        EXPECT_EQ(m.iif, 4u);
        EXPECT_EQ(m.xfrm_sa, 0u) << "the inner packet has no secpath";
        EXPECT_EQ(m.out_ifindex, 2u);
        Bytes want = l3(orig), got = l3(f.bytes());
        want[8] -= 2;
        ASSERT_EQ(got.size(), want.size());
        got[10] = got[11] = want[10] = want[11] = 0;
        EXPECT_EQ(got, want);
    }
    // GRE in the clear to East: its dir-in policy for proto gre requires ESP.
    GreHdr h;
    h.key = 5;
    FakeMbuf f;
    f.set(gre_frame(e, h, inner_ip()));
    EXPECT_EQ(e.run(f, 3).drop, DropReason::kXfrmInTmplMismatch);
    EXPECT_EQ(e.env.counters.virt[4].rx_packets, 2u);
}

TEST_F(GreStageTest, TooBigOnceEncryptedTellsTheInnerSenderWhatFits) {
    // eth1 1500, AES-GCM transport SA (8 + 8 before, pad to 4 + 2 + 16 after): xfrm_state_mtu()
    // leaves 1466 for the GRE packet, 1466 - 20 - 8 = 1438 for the inner one, although gre1's
    // own MTU (1472) would take more.
    Gw w(west_esp());
    FakeMbuf f;
    f.set(inner4(w, "10.0.1.5", "10.0.2.7", 1439 - 28));
    auto m = w.run(f, 2);
    EXPECT_EQ(m.next, Next::kIcmpError);
    EXPECT_EQ(m.drop, DropReason::kFragNeeded);
    EXPECT_EQ(m.icmp_info, 1438u);
    EXPECT_EQ(m.src, ip("10.0.1.5")) << "to the inner sender, not to the gateway's outer address";
    f.set(inner4(w, "10.0.1.5", "10.0.2.7", 1438 - 28));
    m = w.run(f, 2);
    ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    EXPECT_EQ(m.proto, 50);
    EXPECT_LE(f.bytes().size() - 14, 1500u) << "the encrypted packet fits eth1";
    EXPECT_GE(f.bytes().size() - 14, 1497u) << "and the reported MTU wastes at most the padding";
}

TEST_F(GreStageTest, TheInnerPacketTakesTheFwdPolicyWithoutTheOuterSecpath) {
    // A fwd policy for the inner flow that requires tunnel-mode ESP: the GRE packet's transport
    // SA does not count for it (skb_scrub_packet() drops the secpath), so Linux drops it.
    Gw w(west_esp()),
        e(east_esp("ip xfrm policy add src 10.0.1.0/24 dst 10.0.2.0/24 dir fwd tmpl src 172.16.0.1 dst 172.16.0.2 proto esp reqid 12 mode tunnel\n"));
    FakeMbuf f;
    f.set(inner4(w, "10.0.1.5", "10.0.2.7"));
    ASSERT_EQ(w.run(f, 2).next, Next::kForward);
    to_eth1(f, e);
    const auto m = e.run(f, 3);
    EXPECT_EQ(m.drop, DropReason::kXfrmInTmplMismatch);
    EXPECT_EQ(e.env.counters.virt[4].rx_packets, 1u) << "decapsulated first";
}

TEST_F(GreStageTest, TheIpsecCheckTakesOnlyTheMaskedPackets) {
    Gw e(east_esp());
    FakeMbuf f;
    GreHdr h;
    h.key = 5;
    f.set(gre_frame(e, h, inner_ip()));
    dp::Burst b;
    b.n = 1;
    b.pkt[0] = f.mbuf();
    b.in_port = e.env.iface(3).port;
    auto ctx = e.env.ctx();
    e.parse.run(b, ctx);
    e.route.run(b, ctx);
    ASSERT_EQ(b.meta[0].next, Next::kLocal);
    e.ipsec.check(b, ctx, 0);
    EXPECT_EQ(b.meta[0].next, Next::kLocal) << "not in the mask: not checked";
    e.ipsec.check(b, ctx, 1);
    EXPECT_EQ(b.meta[0].drop, DropReason::kXfrmInTmplMismatch);
}

TEST_F(GreStageTest, ANewSnapshotRoutesTheOuterPacketAgain) {
    Gw w(west("local 172.16.0.1 remote 172.16.5.2 key 5"));
    FakeMbuf f;
    f.set(inner4(w, "10.0.1.5", "10.0.2.7"));
    EXPECT_EQ(w.run(f, 2).drop, DropReason::kGreNoRoute);
    ASSERT_TRUE(ctl::apply_batch(w.model, ctl::split_script("ip route add 172.16.5.0/24 via 172.16.0.254 dev eth1\n"), "t").ok());
    auto ipsec = std::move(w.env.snap->ipsec);
    w.env.snap = build_snapshot(w.model, 2);
    w.env.snap->ipsec = std::move(ipsec);
    f.set(inner4(w, "10.0.1.5", "10.0.2.7"));
    const auto m = w.run(f, 2);
    ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    EXPECT_EQ(m.nexthop, ip("172.16.0.254"));
}

}  // namespace
