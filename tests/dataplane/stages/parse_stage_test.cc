// dataplane/stages/parse_stage.h: parse_packet() over fake mbufs — every drop reason of the parse
// stage (invalid input first), then the fields of good IPv4 and IPv6 packets, Ethernet padding,
// ARP and neighbour discovery, and packets from the host interface.
#include <gtest/gtest.h>

#include <algorithm>

#include "dataplane/stages/parse_stage.h"
#include "selectors/flow_key.h"
#include "tests/dataplane/packet_builder.h"

namespace {

using namespace dptest;
using dp::DropReason;
using dp::Next;

constexpr uint32_t kIfindex = 2;
const MacAddr kOurMac = mac(0x02, 0, 0, 0, 0, 2);

dp::IfaceView port_iface(bool up = true) {
    dp::IfaceView v;
    v.port = 0;
    v.up = up;
    v.mac = kOurMac;
    return v;
}

struct Parsed {
    dp::PacketMeta meta;
    Bytes after;  // the frame after parsing (padding trimmed)
};

Parsed parse(const Bytes& frame, const dp::IfaceView& in = port_iface()) {
    FakeMbuf f;
    EXPECT_TRUE(f.set(frame));
    Parsed p;
    p.meta.next = Next::kTx;  // parse_packet must overwrite whatever was there
    p.meta.drop = DropReason::kTxFull;
    dp::parse_packet(f.mbuf(), p.meta, in, kIfindex);
    EXPECT_EQ(f.m.pkt_len, f.m.data_len);
    p.after = f.bytes();
    return p;
}

DropReason drop_of(const Bytes& frame) {
    auto p = parse(frame);
    if (p.meta.drop != DropReason::kNone) {
        EXPECT_EQ(p.meta.next, Next::kDrop) << dp::drop_reason_name(p.meta.drop);
    }
    return p.meta.drop;
}

#define EXPECT_DROP(frame, reason) \
    EXPECT_EQ(dp::drop_reason_name(drop_of(frame)), dp::drop_reason_name(DropReason::reason))

Bytes good_udp4(Ip4 h = {}) { return udp4_frame(kOurMac, h, 4000, 53, 32); }

// An IPv4 frame whose header bytes are edited after building; the checksum is redone unless
// `keep_checksum`.
Bytes edit_ip4(Bytes f, size_t off, uint8_t v, bool keep_checksum = false) {
    f[14 + off] = v;
    if (!keep_checksum) {
        const size_t hlen = std::min<size_t>((f[14] & 0x0f) * 4u, f.size() - 14);
        f[24] = f[25] = 0;
        put16(&f[24], inet_checksum(&f[14], hlen));
    }
    return f;
}

// ---------------------------------------------------------------------------------------------
// Invalid input: every drop reason of the parse stage.

TEST(ParseInvalid, LinkDown) {
    auto p = parse(good_udp4(), port_iface(false));
    EXPECT_EQ(p.meta.next, Next::kDrop);
    EXPECT_EQ(p.meta.drop, DropReason::kLinkDown);
}

TEST(ParseInvalid, L2TooShort) {
    EXPECT_DROP(Bytes{}, kL2TooShort);
    EXPECT_DROP(Bytes(13, 0x00), kL2TooShort);
    Bytes f = good_udp4();
    f.resize(13);
    EXPECT_DROP(f, kL2TooShort);
}

TEST(ParseInvalid, L2NotForUs) {
    Bytes f = udp4_frame(mac(0x02, 0, 0, 0, 0, 9), {}, 1, 2);
    EXPECT_DROP(f, kL2NotForUs);
    // Multicast and broadcast destinations are accepted, marked not unicast.
    auto b = parse(udp4_frame(kBroadcastMac, {}, 1, 2));
    EXPECT_EQ(b.meta.next, Next::kRoute);
    EXPECT_FALSE(b.meta.l2_unicast);
    auto mc = parse(udp4_frame(mac(0x01, 0x00, 0x5e, 0, 0, 5), {}, 1, 2));
    EXPECT_EQ(mc.meta.next, Next::kRoute);
    EXPECT_FALSE(mc.meta.l2_unicast);
    EXPECT_TRUE(parse(good_udp4()).meta.l2_unicast);
}

TEST(ParseInvalid, UnknownEthertype) {
    EXPECT_DROP(pad60(ethernet(kOurMac, kPeerMac, 0x88cc, payload(30))), kUnknownEthertype);  // LLDP
    EXPECT_DROP(pad60(ethernet(kOurMac, kPeerMac, 0x0000, payload(30))), kUnknownEthertype);
    EXPECT_DROP(ethernet(kOurMac, kPeerMac, 0x1234, {}), kUnknownEthertype);  // exactly an Ethernet header
}

TEST(ParseInvalid, VlanTagged) {
    EXPECT_DROP(ethernet(kOurMac, kPeerMac, 0x8100, cat({0x00, 0x05, 0x08, 0x00}, ipv4({}, udp(ip("10.0.1.50"), ip("192.0.2.77"), 1, 2, {})))),
                kVlanTagged);
    EXPECT_DROP(pad60(ethernet(kOurMac, kPeerMac, 0x88a8, payload(30))), kVlanTagged);  // QinQ
}

TEST(ParseInvalid, ArpMalformed) {
    const Bytes good = arp(1, kPeerMac, ip("10.0.1.50"), {}, ip("10.0.1.1"));
    // Truncated: fewer than 28 ARP bytes.
    Bytes shortf(good.begin(), good.begin() + 14 + 27);
    EXPECT_DROP(shortf, kArpMalformed);
    // Not Ethernet/IPv4: hardware type, protocol type, hlen, plen.
    for (size_t off : {0u, 1u, 2u, 3u, 4u, 5u}) {
        Bytes f = good;
        f[14 + off] ^= 0x40;
        EXPECT_DROP(f, kArpMalformed) << "byte " << off;
    }
    auto p = parse(good);
    EXPECT_EQ(p.meta.next, Next::kArp);
    EXPECT_EQ(p.meta.drop, DropReason::kNone);
    EXPECT_FALSE(p.meta.l2_unicast);  // a broadcast request
}

TEST(ParseInvalid, Ip4TooShort) {
    Bytes f = good_udp4();
    f.resize(14 + 19);
    EXPECT_DROP(f, kIp4TooShort);
    EXPECT_DROP(ethernet(kOurMac, kPeerMac, 0x0800, {}), kIp4TooShort);
}

TEST(ParseInvalid, Ip4BadVersion) {
    EXPECT_DROP(edit_ip4(good_udp4(), 0, 0x65), kIp4BadVersion);
    EXPECT_DROP(edit_ip4(good_udp4(), 0, 0x05), kIp4BadVersion);
    // An IPv6 packet behind the IPv4 EtherType.
    Bytes f = udp6_frame(kOurMac, {}, 1, 2);
    f[12] = 0x08, f[13] = 0x00;
    EXPECT_DROP(f, kIp4BadVersion);
}

TEST(ParseInvalid, Ip4BadIhlBelowFive) {
    for (uint8_t ihl = 0; ihl < 5; ++ihl) EXPECT_DROP(edit_ip4(good_udp4(), 0, uint8_t(0x40 | ihl)), kIp4BadIhl) << int(ihl);
}

TEST(ParseInvalid, Ip4BadIhlBeyondPacket) {
    // IHL 15 (60 bytes) in a frame holding 40 bytes of IP.
    Ip4 h;
    Bytes f = ethernet(kOurMac, kPeerMac, 0x0800, ipv4(h, udp(h.src, h.dst, 1, 2, payload(12))));
    ASSERT_EQ(f.size(), 14u + 40u);
    EXPECT_DROP(edit_ip4(f, 0, 0x4f), kIp4BadIhl);
}

TEST(ParseInvalid, Ip4BadLengthBelowHeader) {
    Bytes f = good_udp4();
    f = edit_ip4(f, 2, 0);
    f = edit_ip4(f, 3, 19);
    EXPECT_DROP(f, kIp4BadLength);
    f = edit_ip4(f, 3, 0);
    EXPECT_DROP(f, kIp4BadLength);
}

TEST(ParseInvalid, Ip4BadLengthBeyondFrame) {
    Bytes f = good_udp4();
    const uint16_t tot = get16(&f[16]);
    f = edit_ip4(f, 2, uint8_t((tot + 1) >> 8));
    f = edit_ip4(f, 3, uint8_t(tot + 1));
    EXPECT_DROP(f, kIp4BadLength);
    // The frame one byte short of the total length.
    Bytes g = good_udp4();
    g.pop_back();
    EXPECT_DROP(g, kIp4BadLength);
}

TEST(ParseInvalid, Ip4BadChecksum) {
    Bytes f = good_udp4();
    f[24] ^= 0x01;
    EXPECT_DROP(f, kIp4BadChecksum);
    // A header field changed under the old checksum.
    EXPECT_DROP(edit_ip4(good_udp4(), 8, 63, true), kIp4BadChecksum);
}

TEST(ParseInvalid, Ip4Options) {
    Ip4 h;
    h.options = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
    EXPECT_DROP(good_udp4(h), kIp4Options);
    h.options = {0x94, 0x04, 0x00, 0x00};  // router alert
    EXPECT_DROP(good_udp4(h), kIp4Options);
}

TEST(ParseInvalid, Ip4Fragment) {
    Ip4 h;
    h.frag = 0x2000;  // MF, offset 0: the first fragment
    EXPECT_DROP(good_udp4(h), kIp4Fragment);
    h.frag = 0x0001;  // offset 8, last fragment
    EXPECT_DROP(good_udp4(h), kIp4Fragment);
    h.frag = 0x6000 | 0x00b9;  // DF+MF and an offset
    EXPECT_DROP(good_udp4(h), kIp4Fragment);
    h.frag = 0x4000;  // DF alone passes
    auto p = parse(good_udp4(h));
    EXPECT_EQ(p.meta.next, Next::kRoute);
    EXPECT_TRUE(p.meta.df);
    h.frag = 0x8000;  // the reserved (evil) bit is no fragment either
    EXPECT_EQ(parse(good_udp4(h)).meta.next, Next::kRoute);
    EXPECT_FALSE(parse(good_udp4()).meta.df);
}

TEST(ParseInvalid, Ip6TooShort) {
    Bytes f = udp6_frame(kOurMac, {}, 1, 2);
    f.resize(14 + 39);
    EXPECT_DROP(f, kIp6TooShort);
    EXPECT_DROP(ethernet(kOurMac, kPeerMac, 0x86dd, {0x60}), kIp6TooShort);
    // A padded minimum frame holds 46 bytes, enough for the 40-byte header: the padding is
    // parsed as header (next header 0 here: hop-by-hop).
    EXPECT_DROP(pad60(ethernet(kOurMac, kPeerMac, 0x86dd, {0x60})), kIp6ExtensionHeader);
}

TEST(ParseInvalid, Ip6BadVersion) {
    Bytes f = udp6_frame(kOurMac, {}, 1, 2);
    f[14] = 0x40;
    EXPECT_DROP(f, kIp6BadVersion);
    // An IPv4 packet behind the IPv6 EtherType.
    Bytes g = udp4_frame(kOurMac, {}, 1, 2, 40);
    g[12] = 0x86, g[13] = 0xdd;
    EXPECT_DROP(g, kIp6BadVersion);
}

TEST(ParseInvalid, Ip6BadLength) {
    Bytes f = udp6_frame(kOurMac, {}, 1, 2, 10);
    put16(&f[18], uint16_t(get16(&f[18]) + 1));
    EXPECT_DROP(f, kIp6BadLength);
    Bytes g = udp6_frame(kOurMac, {}, 1, 2, 10);
    g.pop_back();
    EXPECT_DROP(g, kIp6BadLength);
    put16(&g[18], 0xffff);
    EXPECT_DROP(g, kIp6BadLength);
}

TEST(ParseInvalid, Ip6ExtensionHeader) {
    Ip6 h;
    h.nh = 0;  // hop-by-hop
    EXPECT_DROP(ethernet(kOurMac, kPeerMac, 0x86dd, ipv6(h, payload(16))), kIp6ExtensionHeader);
    h.nh = 44;  // fragment
    EXPECT_DROP(ethernet(kOurMac, kPeerMac, 0x86dd, ipv6(h, payload(16))), kIp6ExtensionHeader);
}

// Every drop reason the parse stage's contract lists is produced by some test above; this checks
// the list against drop_reasons.h so a new parse reason cannot go untested silently.
TEST(ParseInvalid, ContractReasonsExist) {
    for (auto name : {"l2-too-short", "l2-not-for-us", "vlan-tagged", "unknown-ethertype", "link-down", "arp-malformed",
                      "ip4-too-short", "ip4-bad-version", "ip4-bad-ihl", "ip4-bad-length", "ip4-bad-checksum",
                      "ip4-options", "ip4-fragment", "ip6-too-short", "ip6-bad-version", "ip6-bad-length",
                      "ip6-extension-header"}) {
        bool found = false;
        for (const auto& r : dp::kDropReasons) found |= r.name == name;
        EXPECT_TRUE(found) << name;
    }
}

// ---------------------------------------------------------------------------------------------
// Good packets.

TEST(ParseIpv4, UdpFields) {
    Ip4 h;
    h.src = ip("10.0.1.50");
    h.dst = ip("192.0.2.77");
    h.tos = 0xb8;
    h.ttl = 17;
    auto p = parse(udp4_frame(kOurMac, h, 4000, 53, 100));
    EXPECT_EQ(p.meta.next, Next::kRoute);
    EXPECT_EQ(p.meta.drop, DropReason::kNone);
    EXPECT_EQ(p.meta.src, h.src);
    EXPECT_EQ(p.meta.dst, h.dst);
    EXPECT_EQ(p.meta.tos, 0xb8);
    EXPECT_EQ(p.meta.ttl, 17);
    EXPECT_EQ(p.meta.proto, kProtoUdp);
    EXPECT_EQ(p.meta.sport, 4000);
    EXPECT_EQ(p.meta.dport, 53);
    EXPECT_EQ(p.meta.l3_len, 20 + 8 + 100);
    EXPECT_EQ(p.meta.l3_offset, 14);
    EXPECT_EQ(p.meta.iif, kIfindex);
    EXPECT_FALSE(p.meta.from_host);
    EXPECT_TRUE(p.meta.l2_unicast);
    EXPECT_EQ(p.after.size(), 14u + 128u);
}

TEST(ParseIpv4, TcpPortsAndIcmpHasNone) {
    auto t = parse(tcp4_frame(kOurMac, {}, 33000, 443));
    EXPECT_EQ(t.meta.proto, kProtoTcp);
    EXPECT_EQ(t.meta.sport, 33000);
    EXPECT_EQ(t.meta.dport, 443);
    auto i = parse(icmp4_frame(kOurMac, {}, 8, 0, payload(8)));
    EXPECT_EQ(i.meta.next, Next::kRoute);
    EXPECT_EQ(i.meta.proto, kProtoIcmp);
    EXPECT_EQ(i.meta.sport, 0);
    EXPECT_EQ(i.meta.dport, 0);
    // A UDP header cut short by the total length gives no ports.
    Ip4 h;
    Bytes f = ethernet(kOurMac, kPeerMac, 0x0800, ipv4(h, {0x0f, 0xa0, 0x00}));
    auto s = parse(pad60(f));
    EXPECT_EQ(s.meta.next, Next::kRoute);
    EXPECT_EQ(s.meta.sport, 0);
    EXPECT_EQ(s.meta.dport, 0);
}

// The worker reuses a burst's meta array without clearing it: whatever a previous packet left
// must not leak into the next one's parse results.
TEST(ParseIpv4, StaleMetaOverwritten) {
    FakeMbuf f;
    f.set(icmp4_frame(kOurMac, {}, 8, 0, payload(8)));
    dp::PacketMeta meta;
    meta.src = ip("2001:db8::dead:beef");
    meta.dst = ip("ff02::1");
    meta.iif = 99;
    meta.sport = 1;
    meta.dport = 2;
    meta.fwmark = 0x16;
    meta.l2_unicast = false;
    meta.from_host = true;
    meta.df = true;
    meta.icmp_info = 1400;
    meta.next = Next::kPending;
    meta.drop = DropReason::kNeighFailed;
    dp::parse_packet(f.mbuf(), meta, port_iface(), kIfindex);
    EXPECT_EQ(meta.next, Next::kRoute);
    EXPECT_EQ(meta.drop, DropReason::kNone);
    EXPECT_EQ(meta.src, ip("10.0.1.50")) << "all 16 address bytes rewritten";
    EXPECT_EQ(meta.dst, ip("192.0.2.77"));
    EXPECT_EQ(meta.iif, kIfindex);
    EXPECT_EQ(meta.sport, 0);
    EXPECT_EQ(meta.dport, 0);
    EXPECT_EQ(meta.fwmark, 0u);
    EXPECT_TRUE(meta.l2_unicast);
    EXPECT_FALSE(meta.from_host);
    EXPECT_FALSE(meta.df);
    EXPECT_EQ(meta.icmp_info, 0u);
    // And IPv6 after IPv4.
    f.set(icmp6_frame(kOurMac, {}, 128, 0, payload(8)));
    dp::parse_packet(f.mbuf(), meta, port_iface(), kIfindex);
    EXPECT_EQ(meta.src, ip("2001:db8:1::50"));
    EXPECT_EQ(meta.sport, 0);
}

TEST(ParseIpv4, EthernetPaddingTrimmed) {
    Ip4 h;
    Bytes f = udp4_frame(kOurMac, h, 1, 2, 2);  // 14 + 30 bytes
    ASSERT_EQ(f.size(), 44u);
    auto p = parse(pad60(f));
    EXPECT_EQ(p.meta.next, Next::kRoute);
    EXPECT_EQ(p.meta.l3_len, 30);
    EXPECT_EQ(p.after, f);  // data_len and pkt_len back to 44
}

TEST(ParseIpv4, MinimumHeaderOnly) {
    Ip4 h;
    h.proto = 253;  // experimental, no payload
    auto p = parse(pad60(ethernet(kOurMac, kPeerMac, 0x0800, ipv4(h, {}))));
    EXPECT_EQ(p.meta.next, Next::kRoute);
    EXPECT_EQ(p.meta.l3_len, 20);
    EXPECT_EQ(p.after.size(), 34u);
}

TEST(ParseIpv6, TcpFields) {
    Ip6 h;
    h.src = ip("2001:db8:1::50");
    h.dst = ip("2001:db8:2::77");
    h.tclass = 0x2e;
    h.hlim = 9;
    h.flow = 0xabcde;
    auto p = parse(tcp6_frame(kOurMac, h, 1234, 22, 40));
    EXPECT_EQ(p.meta.next, Next::kRoute);
    EXPECT_EQ(p.meta.src, h.src);
    EXPECT_EQ(p.meta.dst, h.dst);
    EXPECT_EQ(p.meta.tos, 0x2e);
    EXPECT_EQ(p.meta.ttl, 9);
    EXPECT_EQ(p.meta.proto, kProtoTcp);
    EXPECT_EQ(p.meta.sport, 1234);
    EXPECT_EQ(p.meta.dport, 22);
    EXPECT_EQ(p.meta.l3_len, 40 + 20 + 40);
    EXPECT_FALSE(p.meta.df);
}

TEST(ParseIpv6, PaddingTrimmedAndZeroPayload) {
    Ip6 h;
    h.nh = 59;  // no next header
    Bytes f = ethernet(kOurMac, kPeerMac, 0x86dd, ipv6(h, {}));
    auto p = parse(cat(f, Bytes(6, 0xee)));
    EXPECT_EQ(p.meta.next, Next::kRoute);
    EXPECT_EQ(p.meta.l3_len, 40);
    EXPECT_EQ(p.after, f);
}

TEST(ParseIpv6, NeighbourDiscoveryNeedsHopLimit255) {
    const auto src = ip("2001:db8:1::50"), target = ip("2001:db8:1::1");
    const MacAddr to = multicast_mac(solicited_node(target));
    auto ns = parse(nd_solicit(to, kPeerMac, src, target, nd_lladdr_option(1, kPeerMac)));
    EXPECT_EQ(ns.meta.next, Next::kNd);
    EXPECT_FALSE(ns.meta.l2_unicast);
    auto na = parse(nd_advert(kOurMac, kPeerMac, src, ip("2001:db8:1::1"), src, 0x60, nd_lladdr_option(2, kPeerMac)));
    EXPECT_EQ(na.meta.next, Next::kNd);
    // RFC 4861 7.1.1: a hop limit other than 255 means it was forwarded: not ND, routed.
    auto fwd = parse(nd_solicit(to, kPeerMac, src, target, nd_lladdr_option(1, kPeerMac), 254));
    EXPECT_EQ(fwd.meta.next, Next::kRoute);
    // Other ICMPv6 (echo request) is routed.
    Ip6 h;
    auto echo = parse(icmp6_frame(kOurMac, h, 128, 0, payload(20)));
    EXPECT_EQ(echo.meta.next, Next::kRoute);
    EXPECT_EQ(echo.meta.proto, kProtoIcmp6);
}

TEST(ParseHost, FromHostInterfaceIsIifLo) {
    dp::IfaceView tap = port_iface();
    tap.host = true;
    auto p = parse(good_udp4(), tap);
    EXPECT_EQ(p.meta.next, Next::kRoute);
    EXPECT_TRUE(p.meta.from_host);
    EXPECT_EQ(p.meta.iif, sel::kLoopbackIfindex);
}

TEST(ParseStage, RunUsesPortMapAndUnknownPortIsDown) {
    dp::Snapshot s;
    s.ifaces.resize(3);
    s.ifaces[2] = port_iface();
    s.ifindex_of_port.assign(dp::kMaxPorts, 0);
    s.ifindex_of_port[0] = 2;
    dp::NeighbourTable neigh;
    dp::WorkerCounters counters{};
    dp::StageContext ctx{s, neigh, counters, 0, 1, 1};
    FakeMbuf a, b;
    a.set(good_udp4());
    b.set(pad60(ethernet(kOurMac, kPeerMac, 0x88cc, payload(30))));
    dp::Burst burst;
    burst.pkt[0] = a.mbuf();
    burst.pkt[1] = b.mbuf();
    burst.n = 2;
    burst.in_port = 0;
    dp::ParseStage().run(burst, ctx);
    EXPECT_EQ(burst.meta[0].next, Next::kRoute);
    EXPECT_EQ(burst.meta[0].iif, 2u);
    EXPECT_EQ(burst.meta[1].drop, DropReason::kUnknownEthertype);
    burst.in_port = 5;  // not mapped to an interface
    dp::ParseStage().run(burst, ctx);
    EXPECT_EQ(burst.meta[0].drop, DropReason::kLinkDown);
    EXPECT_EQ(burst.meta[1].drop, DropReason::kLinkDown);
}

}  // namespace
