// dataplane/arp_nd.h: reading ARP (RFC 826) and neighbour discovery (RFC 4861), answering in
// place, and building probes. Invalid input first.
#include <gtest/gtest.h>

#include "dataplane/arp_nd.h"
#include "dataplane/stages/parse_stage.h"
#include "tests/dataplane/packet_builder.h"

namespace {

using namespace dptest;
using dp::Next;

const MacAddr kOurMac = mac(0x02, 0, 0, 0, 0, 2);

dp::IfaceView port() {
    dp::IfaceView v;
    v.port = 0;
    v.up = true;
    v.mac = kOurMac;
    return v;
}

// Parses an ND frame; the meta read_nd() needs.
dp::PacketMeta parse_nd(FakeMbuf& f, const Bytes& frame, const MacAddr& receiver = kOurMac) {
    f.set(frame);
    dp::PacketMeta meta;
    dp::IfaceView in = port();
    in.mac = receiver;
    dp::parse_packet(f.mbuf(), meta, in, 2);
    EXPECT_EQ(meta.next, Next::kNd) << dp::drop_reason_name(meta.drop);
    return meta;
}

// ---------------------------------------------------------------------------------------------
// Invalid input.

TEST(ArpInvalid, UnknownOperation) {
    for (uint16_t op : {0, 3, 4, 0x0101}) {
        FakeMbuf f;
        f.set(arp(op, kPeerMac, ip("10.0.1.50"), {}, ip("10.0.1.1")));
        EXPECT_FALSE(dp::read_arp(f.mbuf()).has_value()) << op;
    }
}

TEST(NdInvalid, MalformedOptionsRejected) {
    const auto src = ip("2001:db8:1::50"), target = ip("2001:db8:1::1");
    const MacAddr to = multicast_mac(solicited_node(target));
    FakeMbuf f;
    // RFC 4861 7.1.1: an option of length 0 makes the whole message invalid.
    Bytes zero_len = nd_lladdr_option(1, kPeerMac);
    zero_len[1] = 0;
    auto m = parse_nd(f, nd_solicit(to, kPeerMac, src, target, zero_len));
    EXPECT_FALSE(dp::read_nd(f.mbuf(), m).has_value());
    // A good option followed by a zero-length one.
    m = parse_nd(f, nd_solicit(to, kPeerMac, src, target, cat(nd_lladdr_option(1, kPeerMac), zero_len)));
    EXPECT_FALSE(dp::read_nd(f.mbuf(), m).has_value());
    // An option running past the end of the message.
    Bytes too_long = nd_lladdr_option(1, kPeerMac);
    too_long[1] = 2;
    m = parse_nd(f, nd_solicit(to, kPeerMac, src, target, too_long));
    EXPECT_FALSE(dp::read_nd(f.mbuf(), m).has_value());
}

TEST(NdInvalid, NonZeroCodeRejected) {
    const auto src = ip("2001:db8:1::50"), target = ip("2001:db8:1::1");
    FakeMbuf f;
    Bytes frame = nd_solicit(multicast_mac(solicited_node(target)), kPeerMac, src, target, {});
    frame[14 + 41] = 1;  // code
    auto m = parse_nd(f, frame);
    EXPECT_FALSE(dp::read_nd(f.mbuf(), m).has_value());
}

// ---------------------------------------------------------------------------------------------
// ARP.

TEST(Arp, ReadRequestAndReply) {
    FakeMbuf f;
    f.set(arp(1, kPeerMac, ip("10.0.1.50"), {}, ip("10.0.1.1")));
    auto v = dp::read_arp(f.mbuf());
    ASSERT_TRUE(v.has_value());
    EXPECT_TRUE(v->request);
    EXPECT_EQ(v->sender_mac, kPeerMac);
    EXPECT_EQ(v->sender_ip, ip("10.0.1.50"));
    EXPECT_EQ(v->target_ip, ip("10.0.1.1"));
    f.set(arp(2, kPeerMac, ip("10.0.1.50"), kOurMac, ip("10.0.1.1"), kOurMac));
    v = dp::read_arp(f.mbuf());
    ASSERT_TRUE(v.has_value());
    EXPECT_FALSE(v->request);
    EXPECT_EQ(v->sender_mac, kPeerMac);
}

TEST(Arp, ReplyInPlace) {
    FakeMbuf f;
    f.set(arp(1, kPeerMac, ip("10.0.1.50"), {}, ip("10.0.1.1")));
    const uint16_t len = f.len();
    dp::arp_reply_in_place(f.mbuf(), kOurMac);
    const uint8_t* e = f.data();
    const uint8_t* a = e + 14;
    EXPECT_EQ(f.len(), len);
    EXPECT_EQ(std::memcmp(e, kPeerMac.data(), 6), 0) << "to the requester";
    EXPECT_EQ(std::memcmp(e + 6, kOurMac.data(), 6), 0);
    EXPECT_EQ(get16(e + 12), 0x0806);
    EXPECT_EQ(get16(a), 1);
    EXPECT_EQ(get16(a + 2), 0x0800);
    EXPECT_EQ(a[4], 6);
    EXPECT_EQ(a[5], 4);
    EXPECT_EQ(get16(a + 6), 2) << "op reply";
    EXPECT_EQ(std::memcmp(a + 8, kOurMac.data(), 6), 0) << "sender MAC: ours";
    EXPECT_EQ(std::memcmp(a + 14, ip("10.0.1.1").b.data(), 4), 0) << "sender IP: the asked address";
    EXPECT_EQ(std::memcmp(a + 18, kPeerMac.data(), 6), 0) << "target MAC: the requester";
    EXPECT_EQ(std::memcmp(a + 24, ip("10.0.1.50").b.data(), 4), 0) << "target IP: the requester";
    // It reads back as the reply.
    auto v = dp::read_arp(f.mbuf());
    ASSERT_TRUE(v.has_value());
    EXPECT_FALSE(v->request);
    EXPECT_EQ(v->sender_mac, kOurMac);
    EXPECT_EQ(v->sender_ip, ip("10.0.1.1"));
    EXPECT_EQ(v->target_ip, ip("10.0.1.50"));
}

TEST(Arp, BuildRequest) {
    FakeMbuf f;
    ASSERT_TRUE(dp::build_arp_request(f.mbuf(), kOurMac, ip("10.0.1.1"), ip("10.0.1.254")));
    ASSERT_EQ(f.len(), 60);
    EXPECT_EQ(f.m.pkt_len, 60u);
    const uint8_t* e = f.data();
    const uint8_t* a = e + 14;
    for (int i = 0; i < 6; ++i) EXPECT_EQ(e[i], 0xff);
    EXPECT_EQ(std::memcmp(e + 6, kOurMac.data(), 6), 0);
    EXPECT_EQ(get16(e + 12), 0x0806);
    EXPECT_EQ(get16(a + 6), 1);
    EXPECT_EQ(std::memcmp(a + 8, kOurMac.data(), 6), 0);
    EXPECT_EQ(std::memcmp(a + 14, ip("10.0.1.1").b.data(), 4), 0);
    for (int i = 18; i < 24; ++i) EXPECT_EQ(a[i], 0) << "target MAC unknown";
    EXPECT_EQ(std::memcmp(a + 24, ip("10.0.1.254").b.data(), 4), 0);
    for (int i = 42; i < 60; ++i) EXPECT_EQ(e[i], 0) << "padding";
    // It parses as ARP and reads back.
    dp::PacketMeta meta;
    dp::parse_packet(f.mbuf(), meta, port(), 2);
    EXPECT_EQ(meta.next, Next::kArp);
    auto v = dp::read_arp(f.mbuf());
    ASSERT_TRUE(v.has_value());
    EXPECT_TRUE(v->request);
    EXPECT_EQ(v->target_ip, ip("10.0.1.254"));
}

TEST(Arp, BuildRequestNeedsTailroom) {
    FakeMbuf f;
    f.m.data_off = uint16_t(FakeMbuf::kBufLen - 59);
    EXPECT_FALSE(dp::build_arp_request(f.mbuf(), kOurMac, ip("10.0.1.1"), ip("10.0.1.254")));
    EXPECT_EQ(f.len(), 0);
}

// ---------------------------------------------------------------------------------------------
// Neighbour discovery.

TEST(Nd, ReadSolicitWithSourceLinkLayerAddress) {
    const auto src = ip("2001:db8:1::50"), target = ip("2001:db8:1::1");
    FakeMbuf f;
    // An unknown option (nonce, type 14) before the SLLA one is skipped.
    Bytes nonce = {14, 1, 1, 2, 3, 4, 5, 6};
    auto m = parse_nd(f, nd_solicit(multicast_mac(solicited_node(target)), kPeerMac, src, target,
                                    cat(nonce, nd_lladdr_option(1, kPeerMac))));
    auto v = dp::read_nd(f.mbuf(), m);
    ASSERT_TRUE(v.has_value());
    EXPECT_TRUE(v->solicit);
    EXPECT_EQ(v->src, src);
    EXPECT_EQ(v->target, target);
    ASSERT_TRUE(v->lladdr.has_value());
    EXPECT_EQ(*v->lladdr, kPeerMac);
    // Without options: no link-layer address. A target option (type 2) in an NS is not it.
    m = parse_nd(f, nd_solicit(multicast_mac(solicited_node(target)), kPeerMac, src, target, {}));
    v = dp::read_nd(f.mbuf(), m);
    ASSERT_TRUE(v.has_value());
    EXPECT_FALSE(v->lladdr.has_value());
    m = parse_nd(f, nd_solicit(multicast_mac(solicited_node(target)), kPeerMac, src, target, nd_lladdr_option(2, kPeerMac)));
    v = dp::read_nd(f.mbuf(), m);
    ASSERT_TRUE(v.has_value());
    EXPECT_FALSE(v->lladdr.has_value());
}

TEST(Nd, ReadAdvertWithTargetLinkLayerAddress) {
    const auto peer = ip("2001:db8:1::50");
    FakeMbuf f;
    auto m = parse_nd(f, nd_advert(kOurMac, kPeerMac, peer, ip("2001:db8:1::1"), peer, 0x60, nd_lladdr_option(2, kPeerMac)));
    auto v = dp::read_nd(f.mbuf(), m);
    ASSERT_TRUE(v.has_value());
    EXPECT_FALSE(v->solicit);
    EXPECT_EQ(v->target, peer);
    ASSERT_TRUE(v->lladdr.has_value());
    EXPECT_EQ(*v->lladdr, kPeerMac);
}

void check_advert(FakeMbuf& f, const MacAddr& eth_dst, const ws::InetAddr& ip_dst, const ws::InetAddr& target,
                  uint8_t flags) {
    ASSERT_EQ(f.len(), 14 + 40 + 32);
    EXPECT_EQ(f.m.pkt_len, f.m.data_len);
    const uint8_t* e = f.data();
    const uint8_t* h = e + 14;
    const uint8_t* icmp = h + 40;
    EXPECT_EQ(std::memcmp(e, eth_dst.data(), 6), 0);
    EXPECT_EQ(std::memcmp(e + 6, kOurMac.data(), 6), 0);
    EXPECT_EQ(get16(e + 12), 0x86dd);
    EXPECT_EQ(h[0] >> 4, 6);
    EXPECT_EQ(get16(h + 4), 32);
    EXPECT_EQ(h[6], kProtoIcmp6);
    EXPECT_EQ(h[7], 255);
    EXPECT_EQ(std::memcmp(h + 8, target.b.data(), 16), 0) << "from the target address";
    EXPECT_EQ(std::memcmp(h + 24, ip_dst.b.data(), 16), 0);
    EXPECT_EQ(icmp[0], 136);
    EXPECT_EQ(icmp[1], 0);
    EXPECT_EQ(icmp[4], flags);
    EXPECT_EQ(icmp[5] | icmp[6] | icmp[7], 0);
    EXPECT_EQ(std::memcmp(icmp + 8, target.b.data(), 16), 0);
    EXPECT_EQ(icmp[24], 2) << "target link-layer address option";
    EXPECT_EQ(icmp[25], 1);
    EXPECT_EQ(std::memcmp(icmp + 26, kOurMac.data(), 6), 0);
    EXPECT_TRUE(l4_checksum_verifies(h));
}

TEST(Nd, AdvertInPlaceToSolicitor) {
    const auto src = ip("2001:db8:1::50"), target = ip("2001:db8:1::1");
    FakeMbuf f;
    auto m = parse_nd(f, nd_solicit(multicast_mac(solicited_node(target)), kPeerMac, src, target, nd_lladdr_option(1, kPeerMac)));
    auto v = dp::read_nd(f.mbuf(), m);
    ASSERT_TRUE(v.has_value());
    dp::nd_advert_in_place(f.mbuf(), *v, kOurMac);
    check_advert(f, kPeerMac, src, target, 0xe0);  // router, solicited, override
    // It reads back as an advertisement at the solicitor.
    auto m2 = parse_nd(f, f.bytes(), kPeerMac);
    auto na = dp::read_nd(f.mbuf(), m2);
    ASSERT_TRUE(na.has_value());
    EXPECT_FALSE(na->solicit);
    EXPECT_EQ(na->target, target);
    ASSERT_TRUE(na->lladdr.has_value());
    EXPECT_EQ(*na->lladdr, kOurMac);
}

TEST(Nd, AdvertInPlaceShorterAndLongerSolicits) {
    const auto src = ip("2001:db8:1::50"), target = ip("2001:db8:1::1");
    FakeMbuf f;
    // No option: the frame grows to hold the target option.
    auto m = parse_nd(f, nd_solicit(multicast_mac(solicited_node(target)), kPeerMac, src, target, {}));
    auto v = dp::read_nd(f.mbuf(), m);
    ASSERT_TRUE(v.has_value());
    dp::nd_advert_in_place(f.mbuf(), *v, kOurMac);
    check_advert(f, kPeerMac, src, target, 0xe0);
    // Several options (SLLA and a 16-byte nonce): the frame shrinks.
    m = parse_nd(f, nd_solicit(multicast_mac(solicited_node(target)), kPeerMac, src, target,
                               cat(nd_lladdr_option(1, kPeerMac), {14, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})));
    v = dp::read_nd(f.mbuf(), m);
    ASSERT_TRUE(v.has_value());
    dp::nd_advert_in_place(f.mbuf(), *v, kOurMac);
    check_advert(f, kPeerMac, src, target, 0xe0);
}

TEST(Nd, AdvertToAllNodesForDad) {
    const auto target = ip("2001:db8:1::1");
    FakeMbuf f;
    auto m = parse_nd(f, nd_solicit(multicast_mac(solicited_node(target)), kPeerMac, ip("::"), target, {}));
    auto v = dp::read_nd(f.mbuf(), m);
    ASSERT_TRUE(v.has_value());
    dp::nd_advert_in_place(f.mbuf(), *v, kOurMac);
    // RFC 4861 7.2.4: to all-nodes, solicited flag clear.
    check_advert(f, mac(0x33, 0x33, 0, 0, 0, 1), ip("ff02::1"), target, 0xa0);
}

TEST(Nd, BuildSolicit) {
    const auto src = ip("fe80::2"), target = ip("2001:db8:1::abcd:ef12");
    FakeMbuf f;
    ASSERT_TRUE(dp::build_nd_solicit(f.mbuf(), kOurMac, src, target));
    ASSERT_EQ(f.len(), 14 + 40 + 32);
    const uint8_t* e = f.data();
    const uint8_t* h = e + 14;
    const uint8_t* icmp = h + 40;
    const MacAddr want_mac = mac(0x33, 0x33, 0xff, 0xcd, 0xef, 0x12);
    EXPECT_EQ(std::memcmp(e, want_mac.data(), 6), 0);
    EXPECT_EQ(std::memcmp(e + 6, kOurMac.data(), 6), 0);
    EXPECT_EQ(get16(e + 12), 0x86dd);
    EXPECT_EQ(h[7], 255);
    EXPECT_EQ(std::memcmp(h + 8, src.b.data(), 16), 0);
    const auto snm = ip("ff02::1:ffcd:ef12");
    EXPECT_EQ(std::memcmp(h + 24, snm.b.data(), 16), 0);
    EXPECT_EQ(solicited_node(target), snm);
    EXPECT_EQ(icmp[0], 135);
    EXPECT_EQ(icmp[1], 0);
    EXPECT_EQ(get32(icmp + 4), 0u);
    EXPECT_EQ(std::memcmp(icmp + 8, target.b.data(), 16), 0);
    EXPECT_EQ(icmp[24], 1) << "source link-layer address option";
    EXPECT_EQ(icmp[25], 1);
    EXPECT_EQ(std::memcmp(icmp + 26, kOurMac.data(), 6), 0);
    EXPECT_TRUE(l4_checksum_verifies(h));
    // It parses as ND and reads back.
    dp::IfaceView in = port();
    dp::PacketMeta meta;
    dp::parse_packet(f.mbuf(), meta, in, 2);
    ASSERT_EQ(meta.next, Next::kNd);
    auto v = dp::read_nd(f.mbuf(), meta);
    ASSERT_TRUE(v.has_value());
    EXPECT_TRUE(v->solicit);
    EXPECT_EQ(v->target, target);
    ASSERT_TRUE(v->lladdr.has_value());
    EXPECT_EQ(*v->lladdr, kOurMac);
}

TEST(Nd, BuildSolicitNeedsTailroom) {
    FakeMbuf f;
    f.m.data_off = uint16_t(FakeMbuf::kBufLen - 50);
    EXPECT_FALSE(dp::build_nd_solicit(f.mbuf(), kOurMac, ip("fe80::2"), ip("fe80::1")));
}

}  // namespace
