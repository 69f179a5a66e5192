// dataplane/stages/forward_stage.h: ForwardStage::process_one — expiring TTL and hop limit, MTU
// with and without DF, packet too big, link-layer broadcasts, packets from the host, and the
// RFC 1624 incremental checksum update checked against a full recompute over many headers.
#include <gtest/gtest.h>

#include <random>

#include "dataplane/stages/forward_stage.h"
#include "dataplane/stages/parse_stage.h"
#include "tests/dataplane/packet_builder.h"

namespace {

using namespace dptest;
using dp::DropReason;
using dp::Next;

const MacAddr kOurMac = mac(0x02, 0, 0, 0, 0, 2);

// A frame parsed as from a port and routed to an egress of `mtu` bytes.
struct Routed {
    FakeMbuf f;
    dp::PacketMeta meta;
    explicit Routed(const Bytes& frame, uint32_t mtu = 1500) {
        f.set(frame);
        dp::IfaceView in;
        in.port = 0;
        in.up = true;
        in.mac = kOurMac;
        dp::parse_packet(f.mbuf(), meta, in, 2);
        EXPECT_EQ(meta.next, Next::kRoute) << dp::drop_reason_name(meta.drop);
        meta.next = Next::kForward;
        meta.mtu = mtu;
        meta.out_port = 1;
        meta.out_ifindex = 3;
    }
    uint8_t* iph() { return f.data() + 14; }
    void forward() { dp::ForwardStage::process_one(f.mbuf(), meta); }
};

Bytes udp4(uint8_t ttl, size_t len = 20, uint16_t frag = 0) {
    Ip4 h;
    h.ttl = ttl;
    h.frag = frag;
    return udp4_frame(kOurMac, h, 1000, 2000, len);
}
Bytes udp6(uint8_t hlim, size_t len = 20) {
    Ip6 h;
    h.hlim = hlim;
    return udp6_frame(kOurMac, h, 1000, 2000, len);
}

// ---------------------------------------------------------------------------------------------
// Invalid input first: what is not forwarded.

TEST(ForwardInvalid, Ttl1And0BecomeTimeExceeded) {
    for (uint8_t ttl : {uint8_t(1), uint8_t(0)}) {
        Routed r(udp4(ttl));
        const Bytes before = r.f.bytes();
        r.forward();
        EXPECT_EQ(r.meta.next, Next::kIcmpError) << int(ttl);
        EXPECT_EQ(r.meta.drop, DropReason::kTtlExceeded);
        EXPECT_EQ(r.meta.icmp_type, 11);
        EXPECT_EQ(r.meta.icmp_code, 0);
        EXPECT_EQ(r.f.bytes(), before) << "the packet is quoted as received";
    }
}

TEST(ForwardInvalid, TtlCheckedBeforeMtu) {
    Routed r(udp4(1, 1400, 0x4000), 576);
    r.forward();
    EXPECT_EQ(r.meta.icmp_type, 11);
    EXPECT_EQ(r.meta.drop, DropReason::kTtlExceeded);
}

TEST(ForwardInvalid, Ipv6HopLimit1And0BecomeTimeExceeded) {
    for (uint8_t h : {uint8_t(1), uint8_t(0)}) {
        Routed r(udp6(h));
        const Bytes before = r.f.bytes();
        r.forward();
        EXPECT_EQ(r.meta.next, Next::kIcmpError);
        EXPECT_EQ(r.meta.drop, DropReason::kTtlExceeded);
        EXPECT_EQ(r.meta.icmp_type, 3);
        EXPECT_EQ(r.meta.icmp_code, 0);
        EXPECT_EQ(r.f.bytes(), before);
    }
}

TEST(ForwardInvalid, MtuExceededWithDfIsFragNeeded) {
    Routed r(udp4(64, 1472, 0x4000), 1400);  // 1500 bytes of IP
    const Bytes before = r.f.bytes();
    r.forward();
    EXPECT_EQ(r.meta.next, Next::kIcmpError);
    EXPECT_EQ(r.meta.drop, DropReason::kFragNeeded);
    EXPECT_EQ(r.meta.icmp_type, 3);
    EXPECT_EQ(r.meta.icmp_code, 4);
    EXPECT_EQ(r.meta.icmp_info, 1400u);
    EXPECT_EQ(r.f.bytes(), before);
}

TEST(ForwardInvalid, MtuExceededWithoutDfIsDroppedNotFragmented) {
    Routed r(udp4(64, 1472), 1400);
    r.forward();
    EXPECT_EQ(r.meta.next, Next::kDrop);
    EXPECT_EQ(r.meta.drop, DropReason::kFragNeeded);
}

TEST(ForwardInvalid, Ipv6PacketTooBig) {
    Routed r(udp6(64, 1452), 1280);  // 1500 bytes of IP
    r.forward();
    EXPECT_EQ(r.meta.next, Next::kIcmpError);
    EXPECT_EQ(r.meta.drop, DropReason::kFragNeeded);
    EXPECT_EQ(r.meta.icmp_type, 2);
    EXPECT_EQ(r.meta.icmp_code, 0);
    EXPECT_EQ(r.meta.icmp_info, 1280u);
}

TEST(ForwardInvalid, LinkLayerBroadcastNotForwarded) {
    Ip4 h;
    FakeMbuf f;
    f.set(udp4_frame(kBroadcastMac, h, 1, 2, 10));
    dp::IfaceView in;
    in.up = true;
    in.mac = kOurMac;
    dp::PacketMeta meta;
    dp::parse_packet(f.mbuf(), meta, in, 2);
    ASSERT_FALSE(meta.l2_unicast);
    meta.next = Next::kForward;
    meta.mtu = 1500;
    const Bytes before = f.bytes();
    dp::ForwardStage::process_one(f.mbuf(), meta);
    EXPECT_EQ(meta.next, Next::kDrop);
    EXPECT_EQ(meta.drop, DropReason::kNotForwardable);
    EXPECT_EQ(f.bytes(), before);
    // Even with TTL 1: no ICMP error about a link-layer broadcast.
    h.ttl = 1;
    f.set(udp4_frame(kBroadcastMac, h, 1, 2, 10));
    dp::parse_packet(f.mbuf(), meta, in, 2);
    meta.next = Next::kForward;
    dp::ForwardStage::process_one(f.mbuf(), meta);
    EXPECT_EQ(meta.next, Next::kDrop);
    EXPECT_EQ(meta.drop, DropReason::kNotForwardable);
}

TEST(ForwardInvalid, FromHostUntouched) {
    for (uint8_t ttl : {uint8_t(1), uint8_t(64)}) {
        Routed r(udp4(ttl, 1472, 0x4000), 1280);
        r.meta.from_host = true;
        r.meta.l2_unicast = false;
        const Bytes before = r.f.bytes();
        r.forward();
        EXPECT_EQ(r.meta.next, Next::kForward);
        EXPECT_EQ(r.meta.drop, DropReason::kNone);
        EXPECT_EQ(r.f.bytes(), before);
    }
}

// ---------------------------------------------------------------------------------------------
// Forwarded packets.

TEST(Forward, Ttl64Becomes63AndChecksumVerifies) {
    Routed r(udp4(64));
    Bytes before = r.f.bytes();
    r.forward();
    EXPECT_EQ(r.meta.next, Next::kForward);
    EXPECT_EQ(r.meta.drop, DropReason::kNone);
    EXPECT_EQ(r.iph()[8], 63);
    EXPECT_TRUE(checksum_verifies(r.iph(), 20));
    EXPECT_EQ(get16(r.iph() + 10), ip4_header_checksum(r.iph()));
    // Only TTL and checksum changed.
    Bytes after = r.f.bytes();
    before[14 + 8] = after[14 + 8];
    before[14 + 10] = after[14 + 10];
    before[14 + 11] = after[14 + 11];
    EXPECT_EQ(after, before);
}

TEST(Forward, Ttl2Becomes1AndMtuEqualPasses) {
    Routed r(udp4(2, 1472, 0x4000), 1500);
    r.forward();
    EXPECT_EQ(r.meta.next, Next::kForward);
    EXPECT_EQ(r.iph()[8], 1);
    EXPECT_TRUE(checksum_verifies(r.iph(), 20));
}

TEST(Forward, Ipv6HopLimitDecremented) {
    Routed r(udp6(64, 1452), 1500);
    Bytes before = r.f.bytes();
    r.forward();
    EXPECT_EQ(r.meta.next, Next::kForward);
    EXPECT_EQ(r.iph()[7], 63);
    before[14 + 7] = 63;
    EXPECT_EQ(r.f.bytes(), before);
    EXPECT_TRUE(l4_checksum_verifies(r.iph()));  // the hop limit is not in the pseudo-header
}

// A random valid IPv4 header (IHL 5), TTL >= 2, in a fake frame; the meta as parse sets it.
void random_header(std::mt19937_64& rng, uint8_t* ip) {
    for (int i = 0; i < 20; ++i) ip[i] = uint8_t(rng());
    ip[0] = 0x45;
    ip[2] = 0, ip[3] = 20;
    ip[6] &= 0x40, ip[7] = 0;  // DF or nothing
    if (ip[8] < 2) ip[8] = uint8_t(2 + (rng() % 254));
    put16(ip + 10, 0);
    put16(ip + 10, inet_checksum(ip, 20));
}

// Decrements the TTL of `ip` through process_one; returns the new checksum field.
uint16_t decrement(const uint8_t* ip20) {
    FakeMbuf f;
    Bytes frame(14 + 20);
    frame[12] = 0x08;
    std::memcpy(&frame[14], ip20, 20);
    f.set(frame);
    dp::PacketMeta meta;
    meta.dst.family = ws::Family::kInet;
    meta.ttl = ip20[8];
    meta.l3_offset = 14;
    meta.l3_len = 20;
    meta.mtu = 1500;
    meta.next = Next::kForward;
    dp::ForwardStage::process_one(f.mbuf(), meta);
    EXPECT_EQ(meta.next, Next::kForward);
    EXPECT_EQ(f.data()[14 + 8], uint8_t(ip20[8] - 1));
    return get16(f.data() + 14 + 10);
}

TEST(ForwardChecksum, IncrementalEqualsFullRecomputeOnRandomHeaders) {
    std::mt19937_64 rng(1624);
    int minus_zero = 0;
    for (int n = 0; n < 200000; ++n) {
        uint8_t ip[20];
        random_header(rng, ip);
        const uint16_t inc = decrement(ip);
        uint8_t after[20];
        std::memcpy(after, ip, 20);
        after[8] = uint8_t(ip[8] - 1);
        const uint16_t full = ip4_header_checksum(after);
        put16(after + 10, inc);
        ASSERT_TRUE(checksum_verifies(after, 20)) << "header " << n;
        // The one case where the two may differ is +0 vs -0 (see MinusZeroCorner below).
        if (full == 0x0000 && inc == 0xffff) {
            ++minus_zero;
            continue;
        }
        ASSERT_EQ(inc, full) << "header " << n << " old checksum " << get16(ip + 10);
    }
    RecordProperty("minus_zero_results", minus_zero);
}

// Every old checksum value that can occur (all but 0xffff) for a fixed header, with the ID
// chosen to produce it: the incremental result equals the full recompute.
TEST(ForwardChecksum, EveryOldChecksumValue) {
    int mismatches = 0;
    uint16_t first_bad = 0;
    for (uint32_t want = 0; want < 0xffff; ++want) {
        uint8_t ip[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 1, 50, 192, 0, 2, 77};
        // Choose the ID so that the checksum is `want`: sum(others) + id == ~want.
        const uint16_t others = fold(sum16(ip, 20));
        const uint16_t need = uint16_t(~want);
        uint16_t id = fold(uint32_t(need) + uint16_t(~others));  // need - others, one's complement
        put16(ip + 4, id);
        put16(ip + 10, inet_checksum(ip, 20));
        if (get16(ip + 10) != want) continue;  // unreachable value for this header
        const uint16_t inc = decrement(ip);
        uint8_t after[20];
        std::memcpy(after, ip, 20);
        after[8] = 63;
        if (inc != ip4_header_checksum(after)) {
            if (!mismatches) first_bad = uint16_t(want);
            ++mismatches;
        }
    }
    EXPECT_EQ(mismatches, 0) << "first old checksum whose update differs from a recompute: 0x" << std::hex << first_bad;
}

// RFC 1624 section 3: the update must not turn a checksum into -0 (0xffff). The header below
// has checksum 0xfeff before the decrement; the recompute after it is 0x0000.
TEST(ForwardChecksum, MinusZeroCorner) {
    uint8_t ip[20] = {0x45, 0, 0x00, 0x14, 0x7b, 0xea, 0, 0, 64, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    put16(ip + 10, inet_checksum(ip, 20));
    ASSERT_EQ(get16(ip + 10), 0xfeff);
    uint8_t after[20];
    std::memcpy(after, ip, 20);
    after[8] = 63;
    ASSERT_EQ(ip4_header_checksum(after), 0x0000);
    const uint16_t inc = decrement(ip);
    EXPECT_EQ(inc, 0x0000);
}

TEST(ForwardStage, RunTouchesOnlyForwardPackets) {
    Routed a(udp4(64)), b(udp4(64));
    b.meta.next = Next::kLocal;
    dp::Burst burst;
    burst.pkt[0] = a.f.mbuf();
    burst.meta[0] = a.meta;
    burst.pkt[1] = b.f.mbuf();
    burst.meta[1] = b.meta;
    burst.n = 2;
    dp::Snapshot s;
    dp::NeighbourTable neigh;
    dp::WorkerCounters counters{};
    dp::ForwardStage().run(burst, dp::StageContext{s, neigh, counters});
    EXPECT_EQ(a.iph()[8], 63);
    EXPECT_EQ(b.iph()[8], 64);
    EXPECT_EQ(burst.meta[1].next, Next::kLocal);
}

}  // namespace
