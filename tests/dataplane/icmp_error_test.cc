// dataplane/icmp_error.h: which packets may cause an ICMP error (RFC 1812 4.3.2.7, RFC 4443
// 2.4), the layout of the errors make_icmp_error() builds in place, and the rate limiter.
// Invalid input first: the packets that must never cause an error.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/icmp_error.h"
#include "dataplane/stages/parse_stage.h"
#include "tests/dataplane/packet_builder.h"

namespace {

using namespace dptest;
using dp::Next;

const MacAddr kOurMac = mac(0x02, 0, 0, 0, 0, 2);

// A frame parsed as arriving on a port, with the error type and code set as a stage would.
struct Pkt {
    std::unique_ptr<FakeMbuf> f = std::make_unique<FakeMbuf>();
    dp::PacketMeta meta;
    Bytes original;  // the frame as received (after padding was trimmed)
    Pkt(const Bytes& frame, uint8_t type, uint8_t code, bool from_host = false) {
        f->set(frame);
        dp::IfaceView in;
        in.port = 0;
        in.up = true;
        in.mac = kOurMac;
        in.host = from_host;
        dp::parse_packet(f->mbuf(), meta, in, 2);
        EXPECT_NE(meta.next, Next::kDrop) << dp::drop_reason_name(meta.drop);
        meta.next = Next::kIcmpError;
        meta.icmp_type = type;
        meta.icmp_code = code;
        original = f->bytes();
    }
    bool allowed() const { return dp::icmp_error_allowed(f->mbuf(), meta); }
    const uint8_t* ip() { return f->data() + 14; }
};

Bytes udp4_to(const char* src, const char* dst, const MacAddr& to = kOurMac, size_t len = 20) {
    Ip4 h;
    h.src = ip(src);
    h.dst = ip(dst);
    return udp4_frame(to, h, 5000, 6000, len);
}
Bytes udp6_to(const char* src, const char* dst, size_t len = 20) {
    Ip6 h;
    h.src = ip(src);
    h.dst = ip(dst);
    return udp6_frame(kOurMac, h, 5000, 6000, len);
}

// ---------------------------------------------------------------------------------------------
// Invalid input: no error about these.

TEST(IcmpErrorAllowed, NotAboutAnIcmpError) {
    for (uint8_t type : {3, 4, 5, 11, 12}) {
        Ip4 h;
        Pkt p(icmp4_frame(kOurMac, h, type, 0, payload(28)), 11, 0);
        EXPECT_FALSE(p.allowed()) << "ICMP type " << int(type);
    }
    for (uint8_t type : {0, 8, 13, 14}) {  // echo reply/request, timestamp: queries get errors
        Ip4 h;
        Pkt p(icmp4_frame(kOurMac, h, type, 0, payload(28)), 11, 0);
        EXPECT_TRUE(p.allowed()) << "ICMP type " << int(type);
    }
}

TEST(IcmpErrorAllowed, NotToMulticastOrBroadcastDestination) {
    EXPECT_FALSE(Pkt(udp4_to("10.0.1.50", "224.0.0.5"), 3, 0).allowed());
    EXPECT_FALSE(Pkt(udp4_to("10.0.1.50", "239.1.2.3"), 3, 0).allowed());
    EXPECT_FALSE(Pkt(udp4_to("10.0.1.50", "255.255.255.255"), 3, 0).allowed());
    // Link-layer broadcast or multicast frame (not PACKET_HOST) from a port.
    EXPECT_FALSE(Pkt(udp4_to("10.0.1.50", "192.0.2.77", kBroadcastMac), 11, 0).allowed());
    EXPECT_FALSE(Pkt(udp4_to("10.0.1.50", "192.0.2.77", mac(0x01, 0, 0x5e, 0, 0, 1)), 11, 0).allowed());
}

TEST(IcmpErrorAllowed, NotFromMartianSource) {
    for (const char* src : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "255.255.255.255"})
        EXPECT_FALSE(Pkt(udp4_to(src, "192.0.2.77"), 3, 0).allowed()) << src;
    EXPECT_TRUE(Pkt(udp4_to("10.0.1.50", "192.0.2.77"), 3, 0).allowed());
}

TEST(IcmpErrorAllowed, Ipv6Exclusions) {
    // About an ICMPv6 error (types 0-127).
    for (uint8_t type : {1, 2, 3, 4}) {
        Ip6 h;
        Pkt p(icmp6_frame(kOurMac, h, type, 0, payload(44)), 3, 0);
        EXPECT_FALSE(p.allowed()) << "ICMPv6 type " << int(type);
    }
    Ip6 h;
    EXPECT_TRUE(Pkt(icmp6_frame(kOurMac, h, 128, 0, payload(12)), 3, 0).allowed());  // echo request
    // To a multicast destination: only packet too big.
    EXPECT_FALSE(Pkt(udp6_to("2001:db8:1::50", "ff0e::1"), 3, 0).allowed());
    EXPECT_FALSE(Pkt(udp6_to("2001:db8:1::50", "ff0e::1"), 1, 0).allowed());
    EXPECT_TRUE(Pkt(udp6_to("2001:db8:1::50", "ff0e::1"), 2, 0).allowed());
    // From the unspecified or a multicast source.
    EXPECT_FALSE(Pkt(udp6_to("::", "2001:db8:2::77"), 1, 0).allowed());
    EXPECT_FALSE(Pkt(udp6_to("ff02::1", "2001:db8:2::77"), 1, 0).allowed());
    EXPECT_TRUE(Pkt(udp6_to("2001:db8:1::50", "2001:db8:2::77"), 3, 0).allowed());
}

// RFC 4443 2.4 (e.1): an ICMPv6 error behind an extension header the parser lets through
// (destination options, routing) is still an ICMPv6 error.
TEST(IcmpErrorAllowed, Ipv6ErrorBehindDestinationOptions) {
    Ip6 h;
    h.nh = 60;  // destination options
    const Bytes dest_opts = {58, 0, 1, 4, 0, 0, 0, 0};  // next header ICMPv6, PadN
    const Bytes err = icmp6(h.src, h.dst, 1, 0, payload(44));
    Pkt p(ethernet(kOurMac, kPeerMac, 0x86dd, ipv6(h, cat(dest_opts, err))), 3, 0);
    ASSERT_EQ(p.meta.next, Next::kIcmpError);
    EXPECT_FALSE(p.allowed());
}

// ---------------------------------------------------------------------------------------------
// IPv4 errors.

TEST(IcmpError4, LayoutWithFullSizeOriginal) {
    Ip4 h;
    h.src = ip("10.0.1.50");
    h.dst = ip("192.0.2.77");
    h.tos = 0xbb;  // precedence 5, TOS bits 0x1a, ECN 0b11
    h.ttl = 1;
    h.frag = 0x4000;
    Pkt p(udp4_frame(kOurMac, h, 4000, 53, 1500 - 28), 11, 0);
    ASSERT_EQ(p.meta.l3_len, 1500);
    ASSERT_TRUE(p.allowed());
    ASSERT_TRUE(dp::make_icmp_error(p.f->mbuf(), p.meta, ip("10.0.1.1"), 0x4242));
    const uint8_t* e = p.ip();
    const uint16_t total = get16(e + 2);
    EXPECT_EQ(total, 576);  // RFC 1812 4.3.2.3: at most 576 bytes
    EXPECT_EQ(p.f->len(), 14 + total);
    EXPECT_EQ(p.f->m.pkt_len, p.f->m.data_len);
    EXPECT_EQ(get16(p.f->data() + 12), 0x0800);
    EXPECT_EQ(e[0], 0x45);
    EXPECT_EQ(e[1], (0xbb & 0x1e) | 0xc0);  // RT_TOS | IPTOS_PREC_INTERNETCONTROL
    EXPECT_EQ(get16(e + 4), 0x4242);
    EXPECT_EQ(get16(e + 6), 0) << "DF and offset clear";
    EXPECT_EQ(e[8], 64);
    EXPECT_EQ(e[9], kProtoIcmp);
    EXPECT_TRUE(checksum_verifies(e, 20));
    EXPECT_EQ(std::memcmp(e + 12, ip("10.0.1.1").b.data(), 4), 0);
    EXPECT_EQ(std::memcmp(e + 16, ip("10.0.1.50").b.data(), 4), 0);
    const uint8_t* icmp = e + 20;
    EXPECT_EQ(icmp[0], 11);
    EXPECT_EQ(icmp[1], 0);
    EXPECT_EQ(get32(icmp + 4), 0u);
    EXPECT_TRUE(checksum_verifies(icmp, total - 20u));
    // The quote is the original IP packet as received, cut to fit.
    const Bytes orig_ip(p.original.begin() + 14, p.original.end());
    EXPECT_EQ(Bytes(icmp + 8, icmp + 8 + (total - 28)), Bytes(orig_ip.begin(), orig_ip.begin() + (total - 28)));
    // The meta describes the new packet.
    EXPECT_EQ(p.meta.src, ip("10.0.1.1"));
    EXPECT_EQ(p.meta.dst, ip("10.0.1.50"));
    EXPECT_EQ(p.meta.l3_offset, 14);
    EXPECT_EQ(p.meta.l3_len, 576);
    EXPECT_EQ(p.meta.proto, kProtoIcmp);
    EXPECT_EQ(p.meta.ttl, 64);
    EXPECT_EQ(p.meta.tos, e[1]);
    EXPECT_EQ(p.meta.sport, 0);
    EXPECT_EQ(p.meta.dport, 0);
    // And it parses as a good packet.
    dp::PacketMeta again;
    dp::IfaceView in;
    in.up = true;
    std::memset(p.f->data(), 0, 6);  // destination MAC still zero; parse it as for "us"
    dp::parse_packet(p.f->mbuf(), again, in, 2);
    EXPECT_EQ(again.next, Next::kRoute) << dp::drop_reason_name(again.drop);
    EXPECT_EQ(again.l3_len, 576);
}

TEST(IcmpError4, SmallOriginalQuotedWhole) {
    Pkt p(udp4_to("10.0.1.50", "192.0.2.77", kOurMac, 4), 3, 1);
    ASSERT_EQ(p.meta.l3_len, 32);
    ASSERT_TRUE(dp::make_icmp_error(p.f->mbuf(), p.meta, ip("192.0.2.1"), 7));
    const uint8_t* e = p.ip();
    EXPECT_EQ(get16(e + 2), 20 + 8 + 32);
    EXPECT_EQ(p.f->len(), 14 + 60);
    EXPECT_EQ(Bytes(e + 28, e + 60), Bytes(p.original.begin() + 14, p.original.end()));
    EXPECT_TRUE(checksum_verifies(e, 20));
    EXPECT_TRUE(checksum_verifies(e + 20, 40));
    EXPECT_EQ(e[20], 3);
    EXPECT_EQ(e[21], 1);
}

TEST(IcmpError4, FragNeededCarriesMtu) {
    Ip4 h;
    h.frag = 0x4000;
    Pkt p(udp4_frame(kOurMac, h, 1, 2, 1400), 3, 4);
    p.meta.icmp_info = 1280;
    ASSERT_TRUE(dp::make_icmp_error(p.f->mbuf(), p.meta, ip("10.0.1.1"), 1));
    const uint8_t* icmp = p.ip() + 20;
    EXPECT_EQ(icmp[0], 3);
    EXPECT_EQ(icmp[1], 4);
    EXPECT_EQ(get16(icmp + 4), 0);  // unused
    EXPECT_EQ(get16(icmp + 6), 1280);  // RFC 1191 next-hop MTU
    EXPECT_TRUE(checksum_verifies(icmp, get16(p.ip() + 2) - 20u));
}

TEST(IcmpError4, FailsWithoutHeadroom) {
    Pkt p(udp4_to("10.0.1.50", "192.0.2.77"), 3, 1);
    // Move the data to the start of the buffer: no room for the 28 extra header bytes.
    auto& m = p.f->m;
    std::memmove(p.f->buf, p.f->data(), m.data_len);
    m.data_off = 0;
    EXPECT_FALSE(dp::make_icmp_error(&m, p.meta, ip("10.0.1.1"), 1));
}

// ---------------------------------------------------------------------------------------------
// IPv6 errors.

TEST(IcmpError6, LayoutWithFullSizeOriginal) {
    Pkt p(udp6_to("2001:db8:1::50", "2001:db8:2::77", 1500 - 48), 3, 0);
    ASSERT_EQ(p.meta.l3_len, 1500);
    ASSERT_TRUE(p.allowed());
    ASSERT_TRUE(dp::make_icmp_error(p.f->mbuf(), p.meta, ip("2001:db8:1::1"), 0));
    const uint8_t* e = p.ip();
    const uint32_t total = 40u + get16(e + 4);
    EXPECT_EQ(total, 1280u);  // RFC 4443 2.4 (c): at most the minimum MTU
    EXPECT_EQ(p.f->len(), 14 + total);
    EXPECT_EQ(get16(p.f->data() + 12), 0x86dd);
    EXPECT_EQ(e[0] >> 4, 6);
    EXPECT_EQ(e[6], kProtoIcmp6);
    EXPECT_EQ(e[7], 64);
    EXPECT_EQ(std::memcmp(e + 8, ip("2001:db8:1::1").b.data(), 16), 0);
    EXPECT_EQ(std::memcmp(e + 24, ip("2001:db8:1::50").b.data(), 16), 0);
    const uint8_t* icmp = e + 40;
    EXPECT_EQ(icmp[0], 3);
    EXPECT_EQ(icmp[1], 0);
    EXPECT_EQ(get32(icmp + 4), 0u);
    EXPECT_TRUE(l4_checksum_verifies(e)) << "ICMPv6 checksum with the pseudo-header";
    const Bytes orig_ip(p.original.begin() + 14, p.original.end());
    EXPECT_EQ(Bytes(icmp + 8, icmp + 8 + (total - 48)), Bytes(orig_ip.begin(), orig_ip.begin() + (total - 48)));
    EXPECT_EQ(p.meta.l3_len, 1280);
    EXPECT_EQ(p.meta.proto, kProtoIcmp6);
    EXPECT_EQ(p.meta.src, ip("2001:db8:1::1"));
    EXPECT_EQ(p.meta.dst, ip("2001:db8:1::50"));
}

TEST(IcmpError6, PacketTooBigCarriesMtu) {
    Pkt p(udp6_to("2001:db8:1::50", "2001:db8:2::77", 1452), 2, 0);
    p.meta.icmp_info = 1400;
    ASSERT_TRUE(dp::make_icmp_error(p.f->mbuf(), p.meta, ip("2001:db8:1::1"), 0));
    const uint8_t* icmp = p.ip() + 40;
    EXPECT_EQ(icmp[0], 2);
    EXPECT_EQ(icmp[1], 0);
    EXPECT_EQ(get32(icmp + 4), 1400u);
    EXPECT_TRUE(l4_checksum_verifies(p.ip()));
}

TEST(IcmpError6, SmallOriginalAndOddLength) {
    Pkt p(udp6_to("2001:db8:1::50", "2001:db8:2::77", 3), 1, 3);
    ASSERT_EQ(p.meta.l3_len, 51);
    ASSERT_TRUE(dp::make_icmp_error(p.f->mbuf(), p.meta, ip("2001:db8:1::1"), 0));
    EXPECT_EQ(get16(p.ip() + 4), 8 + 51);
    EXPECT_EQ(p.f->len(), 14 + 40 + 8 + 51);
    EXPECT_TRUE(l4_checksum_verifies(p.ip()));
}

// ---------------------------------------------------------------------------------------------
// The rate limiter: hz = 1,000,000 ticks per second, `now` driven by hand.

constexpr uint64_t kHz = 1'000'000;

TEST(IcmpRateLimiter, SixBurstThenOnePerSecondPerDestination) {
    auto rl = std::make_unique<dp::IcmpRateLimiter>();
    const auto d = ip("10.0.1.50");
    uint64_t now = 5 * kHz;
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(rl->allow(d, now, kHz)) << i;
    EXPECT_FALSE(rl->allow(d, now, kHz));
    EXPECT_FALSE(rl->allow(d, now + kHz / 2, kHz));
    now += kHz;
    EXPECT_TRUE(rl->allow(d, now, kHz));
    EXPECT_FALSE(rl->allow(d, now, kHz));
    EXPECT_FALSE(rl->allow(d, now + kHz - 1, kHz));
    now += kHz;
    EXPECT_TRUE(rl->allow(d, now, kHz));
    EXPECT_FALSE(rl->allow(d, now, kHz));
    // Steady state over ten seconds, asked every 100 ms: one per second.
    int sent = 0;
    for (int i = 1; i <= 100; ++i) sent += rl->allow(d, now + uint64_t(i) * kHz / 10, kHz);
    EXPECT_EQ(sent, 10);
    // A long silence refills the bucket to the burst, no more.
    now += 1000 * kHz;
    sent = 0;
    for (int i = 0; i < 20; ++i) sent += rl->allow(d, now, kHz);
    EXPECT_EQ(sent, 6);
}

TEST(IcmpRateLimiter, DestinationsAreIndependent) {
    auto rl = std::make_unique<dp::IcmpRateLimiter>();
    const auto a = ip("10.0.1.50"), b = ip("10.0.1.51"), c = ip("2001:db8::50");
    const uint64_t now = 7 * kHz;
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(rl->allow(a, now, kHz));
    EXPECT_FALSE(rl->allow(a, now, kHz));
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(rl->allow(b, now, kHz)) << i;
    EXPECT_FALSE(rl->allow(b, now, kHz));
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(rl->allow(c, now, kHz)) << i;
    EXPECT_FALSE(rl->allow(c, now, kHz));
    EXPECT_FALSE(rl->allow(a, now, kHz)) << "b and c did not refill a";
}

TEST(IcmpRateLimiter, GlobalBurstOf50) {
    auto rl = std::make_unique<dp::IcmpRateLimiter>();
    const uint64_t now = 9 * kHz;
    int sent = 0;
    for (uint32_t i = 0; i < 80; ++i) sent += rl->allow(ws::InetAddr::v4(0x0a000100u + i), now, kHz);
    EXPECT_EQ(sent, 50);
    // 1000 per second: one more token each millisecond.
    EXPECT_FALSE(rl->allow(ws::InetAddr::v4(0x0a000200u), now + kHz / 1000 - 1, kHz));
    EXPECT_TRUE(rl->allow(ws::InetAddr::v4(0x0a000201u), now + kHz / 1000, kHz));
    EXPECT_FALSE(rl->allow(ws::InetAddr::v4(0x0a000202u), now + kHz / 1000, kHz));
    // After a second the global bucket holds 50 again, not 1000.
    sent = 0;
    for (uint32_t i = 0; i < 80; ++i) sent += rl->allow(ws::InetAddr::v4(0x0a000300u + i), now + 2 * kHz, kHz);
    EXPECT_EQ(sent, 50);
}

}  // namespace
