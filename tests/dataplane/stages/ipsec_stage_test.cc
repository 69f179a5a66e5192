// dataplane/stages/ipsec_stage.h: the SPD's semantics and ESP through the stages, on fake
// mbufs between two gateways compiled from `ip xfrm` lines (control/compile/compile_ipsec.h):
// A (10.0.1.0/24 behind 192.0.2.1) and B (10.9.0.0/16 behind 192.0.2.2). A packet A encrypts
// is fed to B, which must decrypt it back to the packet A was given (TTL - 2). Then each SPD
// action, policy order, setdefault, the inbound check (SA selector, templates, plaintext that
// must be protected), IKE bypass, xfrm interfaces, tampered/replayed/unknown ESP and the MTU.
#include <gtest/gtest.h>

#include <string>

#include "control/compile/compile_ipsec.h"
#include "dataplane/stages/forward_stage.h"
#include "dataplane/stages/ipsec_stage.h"
#include "dataplane/stages/parse_stage.h"
#include "dataplane/stages/route_stage.h"
#include "tests/dataplane/eal_env.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/snapshot_builder.h"
#include "tests/dataplane/stage_gateway.h"

namespace {

using namespace dptest;
using dp::DropReason;
using dp::Next;


std::string sa(const char* src, const char* dst, const char* spi, const char* key, const std::string& extra = "") {
    return std::string("ip xfrm state add src ") + src + " dst " + dst + " proto esp spi " + spi +
           " reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' " + key + " 128 " + extra + "\n";
}

// Gateway A: kGatewayBase (eth0 10.0.1.1 ifindex 2, eth1 192.0.2.1 ifindex 3 MTU 1400,
// ipsec0 if_id 1 ifindex 4, host0 ifindex 5) and a tunnel to B for 10.9.0.0/16.
std::string gw_a(const std::string& extra = "", const std::string& sa_extra = "") {
    return std::string(kGatewayBase) + "ip route add 10.9.0.0/16 via 192.0.2.2 dev eth1\n" +
           sa("192.0.2.1", "192.0.2.2", "0x1001", kKeyOut, sa_extra) + sa("192.0.2.2", "192.0.2.1", "0x1002", kKeyIn, sa_extra) +
           "ip xfrm policy add src 10.0.1.0/24 dst 10.9.0.0/16 dir out tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel\n"
           "ip xfrm policy add src 10.9.0.0/16 dst 10.0.1.0/24 dir fwd tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel\n" +
           extra;
}

// Gateway B, its mirror: eth0 10.9.0.1/16 (ifindex 2), eth1 192.0.2.2/24 (ifindex 3).
std::string gw_b(const std::string& extra = "", const std::string& sa_extra = "") {
    return std::string(R"(
ip link add eth0 type dpdk devargs net_null0
ip link add eth1 type dpdk devargs net_null1
ip link set eth0 up
ip link set eth1 up
ip addr add 10.9.0.1/16 dev eth0
ip addr add 192.0.2.2/24 dev eth1
ip route add 10.0.1.0/24 via 192.0.2.1 dev eth1
)") + sa("192.0.2.1", "192.0.2.2", "0x1001", kKeyOut, sa_extra) +
           sa("192.0.2.2", "192.0.2.1", "0x1002", kKeyIn, sa_extra) +
           "ip xfrm policy add src 10.9.0.0/16 dst 10.0.1.0/24 dir out tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel\n"
           "ip xfrm policy add src 10.0.1.0/24 dst 10.9.0.0/16 dir fwd tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel\n" +
           extra;
}

// One gateway: its snapshot with the compiled SAD/SPD and a worker's stages.
using Gw = StageGateway;

Bytes inner4(const Gw& a, const char* src, const char* dst, uint16_t dport = 2000, size_t len = 40, uint8_t tos = 0,
             uint16_t frag = 0x4000) {
    return udp_in(a, src, dst, dport, len, tos, frag);
}

// The IP packet of a frame (without the Ethernet header).
Bytes l3(const Bytes& frame) { return Bytes(frame.begin() + 14, frame.end()); }

// A's output frame readdressed to B's eth1.
void to_b(FakeMbuf& f, const Gw& b) {
    Bytes fr = f.bytes();
    std::copy(b.mac(3).begin(), b.mac(3).end(), fr.begin());
    f.set(fr);
}

class IpsecStageTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(eal_up()) << "EAL (rte_acl needs it)"; }
};

// ---------------------------------------------------------------------------------------------
// Bad ESP first.

TEST_F(IpsecStageTest, UnknownSpiTamperedReplayedAndEncapMismatchAreDroppedByReason) {
    // (Without replay-window, as in Linux, an SA has no anti-replay.)
    Gw a(gw_a("", "replay-window 32")), b(gw_b("", "replay-window 32"));
    FakeMbuf f;
    f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
    ASSERT_EQ(a.run(f, 2).next, Next::kForward);
    to_b(f, b);
    const Bytes esp = f.bytes();

    Bytes bad = esp;
    bad[bad.size() - 3] ^= 0x40;  // in the ICV
    f.set(bad);
    auto m = b.run(f, 3);
    EXPECT_EQ(m.drop, DropReason::kEspIcvFailed);

    f.set(esp);
    EXPECT_EQ(b.run(f, 3).next, Next::kForward) << "the window was not moved by the forgery";
    f.set(esp);
    EXPECT_EQ(b.run(f, 3).drop, DropReason::kEspReplayed);

    bad = esp;
    bad[14 + 20 + 3] ^= 0x01;  // the SPI
    f.set(bad);
    EXPECT_EQ(b.run(f, 3).drop, DropReason::kEspNoSa);

    bad = Bytes(esp.begin(), esp.begin() + 14 + 20 + 12);  // SPI, seq and 4 bytes
    bad[14 + 3] = 32;                                       // IPv4 total length
    bad[14 + 10] = bad[14 + 11] = 0;
    const uint16_t c = ip4_header_checksum(bad.data() + 14);
    bad[14 + 10] = uint8_t(c >> 8);
    bad[14 + 11] = uint8_t(c);
    f.set(bad);
    EXPECT_EQ(b.run(f, 3).drop, DropReason::kEspTooShort);

    // The same ESP inside UDP 4500: B's SA has no encap.
    Ip4 h;
    h.src = ip("192.0.2.1");
    h.dst = ip("192.0.2.2");
    f.set(ethernet(b.mac(3), kPeerMac, 0x0800, ipv4(h, udp(h.src, h.dst, 4500, 4500, Bytes(esp.begin() + 34, esp.end())))));
    EXPECT_EQ(b.run(f, 3).drop, DropReason::kEspEncapMismatch);
}

// ---------------------------------------------------------------------------------------------
// Round trips.

TEST_F(IpsecStageTest, TunnelRoundTripDecryptsToTheOriginalWithTtlDecrementedTwice) {
    Gw a(gw_a()), b(gw_b());
    for (size_t len : {0u, 1u, 100u, 1300u}) {
        FakeMbuf f;
        const Bytes orig = inner4(a, "10.0.1.5", "10.9.0.7", 2000, len, 0x03 /* CE */);
        f.set(orig);
        auto m = a.run(f, 2);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        EXPECT_EQ(m.out_ifindex, 3u);
        EXPECT_EQ(m.nexthop, ip("192.0.2.2"));
        const Bytes out = f.bytes();
        const uint8_t* o = out.data() + 14;
        EXPECT_EQ(get16(out.data() + 12), 0x0800);
        EXPECT_EQ(o[9], 50);
        EXPECT_EQ(o[8], 64);
        EXPECT_EQ(o[1], 0x02) << "CE goes out as ECT(0)";
        EXPECT_EQ(get16(o + 6), 0x4000) << "DF copied from the inner packet";
        EXPECT_TRUE(checksum_verifies(o, 20));
        EXPECT_EQ(get32(o + 20), 0x1001u);
        to_b(f, b);
        m = b.run(f, 3);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        EXPECT_EQ(m.out_ifindex, 2u);
        Bytes want = l3(orig), got = l3(f.bytes());
        want[8] -= 2;
        ASSERT_EQ(got.size(), want.size());
        EXPECT_EQ(got[8], want[8]);
        EXPECT_TRUE(checksum_verifies(got.data(), 20));
        got[10] = got[11] = want[10] = want[11] = 0;
        EXPECT_EQ(got, want);
    }
}

TEST_F(IpsecStageTest, Ipv6InnerAndOuterIncluding4in6And6in4) {
    // A tunnel whose outer family differs from the inner one, both ways. As in Linux, such an
    // SA needs `flag af-unspec` (or a `sel` of the inner family): without it its selector has
    // the outer family and no flow of the other matches it.
    const std::string a6 = std::string(kGatewayBase) +
        "ip -6 route add 2001:db8:99::/48 via 2001:db8:2::2 dev eth1\n"
        "ip route add 10.9.0.0/16 via 192.0.2.2 dev eth1\n"
        "ip xfrm state add src 2001:db8:2::1 dst 2001:db8:2::2 proto esp spi 0x3001 reqid 3 mode tunnel aead 'rfc4106(gcm(aes))' " +
        std::string(kKeyOut) + " 128 flag af-unspec\n" + sa("192.0.2.1", "192.0.2.2", "0x3002", kKeyIn, "flag af-unspec") +
        "ip xfrm policy add src 10.0.1.0/24 dst 10.9.0.0/16 dir out tmpl src 2001:db8:2::1 dst 2001:db8:2::2 proto esp reqid 3 mode tunnel\n"
        "ip xfrm policy add src 2001:db8:1::/64 dst 2001:db8:99::/48 dir out tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel\n";
    Gw a(a6);
    {
        Gw strict(std::string(kGatewayBase) + "ip route add 10.9.0.0/16 via 192.0.2.2 dev eth1\n"
                  "ip xfrm state add src 2001:db8:2::1 dst 2001:db8:2::2 proto esp spi 0x3001 reqid 3 mode tunnel aead "
                  "'rfc4106(gcm(aes))' " + std::string(kKeyOut) + " 128\n"
                  "ip xfrm policy add src 10.0.1.0/24 dst 10.9.0.0/16 dir out tmpl src 2001:db8:2::1 dst 2001:db8:2::2 proto esp reqid 3 mode tunnel\n");
        FakeMbuf f;
        f.set(inner4(strict, "10.0.1.5", "10.9.0.7"));
        EXPECT_EQ(strict.run(f, 2).drop, DropReason::kXfrmOutNoState);
    }
    {  // 4 in 6
        FakeMbuf f;
        f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
        auto m = a.run(f, 2);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        const Bytes out = f.bytes();
        EXPECT_EQ(get16(out.data() + 12), 0x86dd);
        EXPECT_EQ(out[14 + 6], 50);
        EXPECT_EQ(out[14 + 7], 64);
        EXPECT_EQ(get32(out.data() + 14 + 40), 0x3001u);
        EXPECT_EQ(get16(out.data() + 14 + 4), out.size() - 14 - 40);
    }
    {  // 6 in 4
        FakeMbuf f;
        Ip6 h;
        h.src = ip("2001:db8:1::5");
        h.dst = ip("2001:db8:99::7");
        f.set(udp6_frame(a.mac(2), h, 1000, 2000, 30));
        auto m = a.run(f, 2);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        const Bytes out = f.bytes();
        EXPECT_EQ(get16(out.data() + 12), 0x0800);
        EXPECT_EQ(out[14 + 9], 50);
        EXPECT_EQ(get32(out.data() + 14 + 20), 0x3002u);
        EXPECT_EQ(get16(out.data() + 14 + 6), 0x4000) << "IPv6 inner: DF";
    }
    {  // 6 in 6 keeps the inner flow label
        const std::string c6 = std::string(kGatewayBase) + "ip -6 route add 2001:db8:99::/48 via 2001:db8:2::2 dev eth1\n"
            "ip xfrm state add src 2001:db8:2::1 dst 2001:db8:2::2 proto esp spi 0x3003 reqid 3 mode tunnel aead 'rfc4106(gcm(aes))' " +
            std::string(kKeyOut) + " 128\n"
            "ip xfrm policy add src 2001:db8:1::/64 dst 2001:db8:99::/48 dir out tmpl src 2001:db8:2::1 dst 2001:db8:2::2 proto esp reqid 3 mode tunnel\n";
        Gw g(c6);
        FakeMbuf f;
        Ip6 h;
        h.src = ip("2001:db8:1::5");
        h.dst = ip("2001:db8:99::7");
        Bytes fr = udp6_frame(g.mac(2), h, 1000, 2000, 30);
        fr[14 + 1] |= 0x0a;  // flow label 0xa1234
        fr[14 + 2] = 0x12;
        fr[14 + 3] = 0x34;
        f.set(fr);
        auto m = g.run(f, 2);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        const Bytes out = f.bytes();
        EXPECT_EQ(get32(out.data() + 14) & 0xfffff, 0xa1234u);
    }
}

TEST_F(IpsecStageTest, NattAndEsnRoundTrip) {
    const std::string x = "flag esn replay-window 128 encap espinudp 4500 4500 0.0.0.0";
    Gw a(gw_a("", x)), b(gw_b("", x));
    for (int i = 0; i < 3; ++i) {
        FakeMbuf f;
        const Bytes orig = inner4(a, "10.0.1.5", "10.9.0.7", 2000, 64);
        f.set(orig);
        auto m = a.run(f, 2);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
        const Bytes out = f.bytes();
        EXPECT_EQ(out[14 + 9], 17);
        EXPECT_EQ(get16(out.data() + 34), 4500);
        EXPECT_EQ(get16(out.data() + 36), 4500);
        EXPECT_EQ(get16(out.data() + 40), 0) << "IPv4 UDP checksum 0 (RFC 3948)";
        EXPECT_EQ(get32(out.data() + 42 + 4), uint32_t(i + 1)) << "sequence numbers 1, 2, 3";
        to_b(f, b);
        m = b.run(f, 3);
        ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    }
    // A keepalive and an IKE message on 4500 to B.
    FakeMbuf f;
    Ip4 h;
    h.src = ip("192.0.2.1");
    h.dst = ip("192.0.2.2");
    f.set(ethernet(b.mac(3), kPeerMac, 0x0800, ipv4(h, udp(h.src, h.dst, 4500, 4500, Bytes{0xff}))));
    EXPECT_EQ(b.run(f, 3).drop, DropReason::kNattKeepalive);
    f.set(ethernet(b.mac(3), kPeerMac, 0x0800, ipv4(h, udp(h.src, h.dst, 4500, 4500, Bytes(40, 0)))));
    auto m = b.run(f, 3);
    EXPECT_EQ(m.next, Next::kLocal) << "IKE with the Non-ESP Marker goes to the host";
}

TEST_F(IpsecStageTest, TransportModeForForwardedTraffic) {
    const std::string conf = std::string(kGatewayBase) +
        "ip route add 10.0.9.0/24 via 192.0.2.2 dev eth1\n"
        "ip xfrm state add src 10.0.1.5 dst 10.0.9.5 proto esp spi 0x5001 reqid 5 mode transport aead 'rfc4106(gcm(aes))' " +
        std::string(kKeyOut) + " 128\n"
        "ip xfrm policy add src 10.0.1.5/32 dst 10.0.9.5/32 dir out tmpl proto esp reqid 5 mode transport\n";
    Gw a(conf);
    FakeMbuf f;
    const Bytes orig = inner4(a, "10.0.1.5", "10.0.9.5", 2000, 33);
    f.set(orig);
    auto m = a.run(f, 2);
    ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    const Bytes out = f.bytes();
    const uint8_t* o = out.data() + 14;
    EXPECT_EQ(o[9], 50);
    EXPECT_EQ(o[8], 63);
    EXPECT_EQ(get16(o + 2), out.size() - 14);
    EXPECT_TRUE(checksum_verifies(o, 20));
    EXPECT_EQ(get32(o + 20), 0x5001u);
    // Another flow of the same policy's template has no SA.
    f.set(inner4(a, "10.0.1.5", "10.0.9.6"));
    EXPECT_EQ(a.run(f, 2).next, Next::kForward) << "10.0.9.6 is outside the /32 policy";
}

// ---------------------------------------------------------------------------------------------
// SPD semantics.

TEST_F(IpsecStageTest, EachOutActionAndPolicyOrder) {
    Gw a(gw_a(
        "ip route add 10.8.0.0/16 via 192.0.2.2 dev eth1\n"
        // lower priority value first: the block at 10 beats the allow at 20 for 10.8.1.0/24
        "ip xfrm policy add src 0.0.0.0/0 dst 10.8.1.0/24 dir out priority 20\n"
        "ip xfrm policy add src 0.0.0.0/0 dst 10.8.1.0/24 proto udp dir out priority 10 action block\n"
        // equal priority: the older wins
        "ip xfrm policy add src 0.0.0.0/0 dst 10.8.2.0/24 dir out priority 30\n"
        "ip xfrm policy add src 10.0.1.0/24 dst 10.8.2.0/24 dir out priority 30 action block\n"
        // a template without an SA
        "ip xfrm policy add src 0.0.0.0/0 dst 10.8.3.0/24 dir out tmpl src 192.0.2.1 dst 192.0.2.9 proto esp reqid 9 mode tunnel\n"));
    FakeMbuf f;
    f.set(inner4(a, "10.0.1.5", "10.8.1.1"));
    EXPECT_EQ(a.run(f, 2).drop, DropReason::kXfrmOutPolicyBlock);
    f.set(inner4(a, "10.0.1.5", "10.8.2.1"));
    auto m = a.run(f, 2);
    EXPECT_EQ(m.next, Next::kForward);
    EXPECT_EQ(f.bytes()[14 + 9], 17) << "bypass: sent in the clear";
    f.set(inner4(a, "10.0.1.5", "10.8.3.1"));
    EXPECT_EQ(a.run(f, 2).drop, DropReason::kXfrmOutNoState);
    f.set(inner4(a, "10.0.1.5", "10.8.4.1"));
    EXPECT_EQ(a.run(f, 2).next, Next::kForward) << "no policy: Linux's default accept";
}

TEST_F(IpsecStageTest, SetdefaultBlockDropsWhatNoPolicyMatches) {
    Gw a(gw_a("ip route add 10.8.0.0/16 via 192.0.2.2 dev eth1\nip xfrm policy setdefault out block fwd block\n"));
    FakeMbuf f;
    f.set(inner4(a, "10.0.1.5", "10.8.4.1"));
    EXPECT_EQ(a.run(f, 2).drop, DropReason::kXfrmInNoPolicy) << "fwd is checked first";
    Gw a2(gw_a("ip route add 10.8.0.0/16 via 192.0.2.2 dev eth1\nip xfrm policy setdefault out block\n"));
    f.set(inner4(a2, "10.0.1.5", "10.8.4.1"));
    EXPECT_EQ(a2.run(f, 2).drop, DropReason::kXfrmOutNoPolicy);
    f.set(inner4(a2, "10.0.1.5", "10.9.4.1"));
    EXPECT_EQ(a2.run(f, 2).next, Next::kForward) << "the PROTECT policy still matches";
}

TEST_F(IpsecStageTest, InboundCheckPlaintextThatMustBeProtectedAndSelectorMismatch) {
    Gw a(gw_a()), b(gw_b());
    // Plaintext from 10.9/16 to 10.0.1/24 arriving at A: the fwd policy requires ESP.
    FakeMbuf f;
    Bytes plain = inner4(a, "10.9.0.7", "10.0.1.5");
    std::copy(a.mac(3).begin(), a.mac(3).end(), plain.begin());
    f.set(plain);
    EXPECT_EQ(a.run(f, 3).drop, DropReason::kXfrmInTmplMismatch);

    // A decrypted packet outside the SA's selector: B's inbound SA with `sel`.
    Gw bs(gw_b("", "sel src 10.0.1.0/25 dst 10.9.0.0/16"));
    Gw as(gw_a());  // A's out SA has no `sel`: it may carry 10.0.1.200
    f.set(inner4(as, "10.0.1.200", "10.9.0.7"));
    ASSERT_EQ(as.run(f, 2).next, Next::kForward);
    to_b(f, bs);
    EXPECT_EQ(bs.run(f, 3).drop, DropReason::kXfrmInStateMismatch);

    // A decrypted tunnel packet for which no fwd policy exists.
    Gw bn(gw_b().substr(0, gw_b().find("ip xfrm policy add src 10.0.1.0/24 dst 10.9.0.0/16 dir fwd")));
    f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
    ASSERT_EQ(a.run(f, 2).next, Next::kForward);
    to_b(f, bn);
    EXPECT_EQ(bn.run(f, 3).drop, DropReason::kXfrmInNoPolicy);
}

TEST_F(IpsecStageTest, IkeBypassesInAndOutPolicies) {
    Gw a(gw_a(
        "ip xfrm policy add src 0.0.0.0/0 dst 192.0.2.1/32 dir in tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode transport\n"
        "ip xfrm policy add src 192.0.2.1/32 dst 0.0.0.0/0 dir out action block\n"));
    FakeMbuf f;
    Ip4 h;
    h.src = ip("192.0.2.2");
    h.dst = ip("192.0.2.1");
    f.set(ethernet(a.mac(3), kPeerMac, 0x0800, ipv4(h, udp(h.src, h.dst, 500, 500, payload(60)))));
    EXPECT_EQ(a.run(f, 3).next, Next::kLocal) << "IKE in";
    f.set(ethernet(a.mac(3), kPeerMac, 0x0800, ipv4(h, udp(h.src, h.dst, 1234, 9999, payload(60)))));
    EXPECT_EQ(a.run(f, 3).drop, DropReason::kXfrmInTmplMismatch) << "the rest must come protected";
    // From the gateway's own kernel (the host interface, ifindex 5): IKE out, other UDP blocked.
    Ip4 o;
    o.src = ip("192.0.2.1");
    o.dst = ip("192.0.2.2");
    f.set(ethernet(a.mac(5), kHostKernelMac, 0x0800, ipv4(o, udp(o.src, o.dst, 500, 500, payload(60)))));
    EXPECT_EQ(a.run(f, 5).next, Next::kForward) << "IKE out";
    f.set(ethernet(a.mac(5), kHostKernelMac, 0x0800, ipv4(o, udp(o.src, o.dst, 1234, 9999, payload(60)))));
    EXPECT_EQ(a.run(f, 5).drop, DropReason::kXfrmOutPolicyBlock);
}

TEST_F(IpsecStageTest, XfrmInterfaceNeedsAPolicyWithItsIfIdAndDecryptedPacketsEnterThroughIt) {
    // kGatewayBase routes 10.0.2.0/24 to ipsec0 (if_id 1).
    const std::string conf = std::string(kGatewayBase) +
        "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7001 reqid 7 mode tunnel if_id 1 aead 'rfc4106(gcm(aes))' " +
        std::string(kKeyOut) + " 128\n";
    {
        Gw a(conf);
        FakeMbuf f;
        f.set(inner4(a, "10.0.1.5", "10.0.2.7"));
        EXPECT_EQ(a.run(f, 2).drop, DropReason::kXfrmOutNoPolicy);
    }
    Gw a(conf + "ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out if_id 1 tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 7 mode tunnel\n"
                "ip route add 192.0.2.2/32 dev eth1\n");
    FakeMbuf f;
    f.set(inner4(a, "10.0.1.5", "10.0.2.7"));
    auto m = a.run(f, 2);
    ASSERT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    EXPECT_EQ(m.out_ifindex, 3u);
    EXPECT_EQ(get32(f.bytes().data() + 34), 0x7001u);
    EXPECT_EQ(a.env.counters.virt[4].tx_packets, 1u) << "ipsec0 counts what it carried";
    EXPECT_EQ(a.env.counters.virt[4].tx_bytes, 14u + 20 + 8 + 40 - 14);
    // The peer: an SA with if_id 1 delivers into its ipsec0, where the fwd policy of if_id 1
    // lets it pass.
    const std::string peer = std::string(R"(
ip link add eth0 type dpdk devargs net_null0
ip link add eth1 type dpdk devargs net_null1
ip link add ipsec0 type xfrm if_id 1
ip link set eth0 up
ip link set eth1 up
ip link set ipsec0 up
ip addr add 10.0.2.1/24 dev eth0
ip addr add 192.0.2.2/24 dev eth1
ip route add 10.0.1.0/24 dev ipsec0
ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7001 reqid 7 mode tunnel if_id 1 aead 'rfc4106(gcm(aes))' )") +
                             kKeyOut + " 128\n";
    Gw p(peer + "ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir fwd if_id 1 tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 7 mode tunnel\n");
    Bytes fr = f.bytes();
    std::copy(p.mac(3).begin(), p.mac(3).end(), fr.begin());
    f.set(fr);
    m = p.run(f, 3);
    EXPECT_EQ(m.iif, 4u) << "iif is the xfrm interface";
    EXPECT_EQ(p.env.counters.virt[4].rx_packets, 1u);
    EXPECT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    EXPECT_EQ(m.out_ifindex, 2u);
    Gw q(peer);  // no fwd policy of if_id 1
    f.set(fr);
    EXPECT_EQ(q.run(f, 3).drop, DropReason::kXfrmInNoPolicy);
}

TEST_F(IpsecStageTest, TooBigOnceEncryptedSendsFragNeededWithTheInnerMtu) {
    Gw a(gw_a());
    FakeMbuf f;
    // eth1 has MTU 1400: 20 outer + 8 ESP + 8 IV + 16 ICV + 2 trailer, padded to 4.
    // The largest inner packet: 1400 - 36 in front - 16 ICV = 1348 for packet + trailer, so
    // 1346 bytes and 2 of trailer, no padding.
    f.set(inner4(a, "10.0.1.5", "10.9.0.7", 2000, 1347 - 28));
    auto m = a.run(f, 2);
    EXPECT_EQ(m.next, Next::kIcmpError);
    EXPECT_EQ(m.drop, DropReason::kFragNeeded);
    EXPECT_EQ(m.icmp_info, 1346u);
    f.set(inner4(a, "10.0.1.5", "10.9.0.7", 2000, 1346 - 28));
    EXPECT_EQ(a.run(f, 2).next, Next::kForward) << "exactly the reported MTU fits";
}

TEST_F(IpsecStageTest, SequenceNumbersRunOutWithoutWrapping) {
    Gw a(gw_a("", "replay-oseq 0xfffffffe"));
    FakeMbuf f;
    f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
    ASSERT_EQ(a.run(f, 2).next, Next::kForward);
    EXPECT_EQ(get32(f.bytes().data() + 38), 0xffffffffu);
    f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
    EXPECT_EQ(a.run(f, 2).drop, DropReason::kEspSeqExhausted);
}

}  // namespace

namespace {

TEST_F(IpsecStageTest, HardLifetimeStopsTheSaAndSoftIsReported) {
    Gw a(gw_a("", "limit packet-soft 2 limit packet-hard 3"));
    const dp::IpsecTables& t = *a.env.snap->ipsec;
    const dp::SaEntry& out = t.sas[t.sas[0].spi == 0x1001 ? 0 : 1];
    ASSERT_EQ(out.spi, 0x1001u);
    FakeMbuf f;
    for (int i = 0; i < 3; ++i) {
        f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
        ASSERT_EQ(a.run(f, 2).next, Next::kForward) << i;
        EXPECT_EQ(out.rt->soft_expired(), i >= 1) << i;
    }
    EXPECT_TRUE(out.rt->hard_expired());
    f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
    EXPECT_EQ(a.run(f, 2).drop, DropReason::kEspLifetimeExpired);
}

TEST_F(IpsecStageTest, SaStateSurvivesRecompilesAndARecreatedSaStartsAfresh) {
    Gw a(gw_a());
    FakeMbuf f;
    auto send = [&]() {
        f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
        EXPECT_EQ(a.run(f, 2).next, Next::kForward);
        return get32(f.bytes().data() + 38);
    };
    EXPECT_EQ(send(), 1u);
    EXPECT_EQ(send(), 2u);
    // Another change, another snapshot: the SA goes on where it was.
    auto recompile = [&](const std::string& lines) {
        std::string err;
        ASSERT_TRUE(ctl::apply_batch(a.model, ctl::split_script(lines), "test").ok());
        auto t = ctl::compile_ipsec(a.model, a.reg);
        ASSERT_TRUE(t.ok());
        a.env.snap->ipsec = std::move(*t);
        a.env.snap->generation++;
    };
    recompile("ip route add 10.7.0.0/16 via 192.0.2.2 dev eth1\n");
    EXPECT_EQ(send(), 3u);
    recompile("ip xfrm state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' " +
              std::string(kKeyOut) + " 128 limit packet-hard 100\n");
    EXPECT_EQ(send(), 4u) << "update keeps the SA";
    recompile("ip xfrm state del src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001\n" + sa("192.0.2.1", "192.0.2.2", "0x1001", kKeyOut));
    EXPECT_EQ(send(), 1u) << "a new SA of the same SPI starts at 1";
}

}  // namespace

namespace {

TEST_F(IpsecStageTest, ABurstOfInterleavedSasIsEncryptedInRunsWithEachSasOwnNumbers) {
    Gw a(gw_a("ip route add 10.8.0.0/16 via 192.0.2.2 dev eth1\n" + sa("192.0.2.1", "192.0.2.3", "0x1003", kKeyIn) +
              "ip route add 192.0.2.3/32 dev eth1\n"
              "ip xfrm policy add src 10.0.1.0/24 dst 10.8.0.0/16 dir out tmpl src 192.0.2.1 dst 192.0.2.3 proto esp reqid 1 mode tunnel\n"));
    FakeMbuf f[6];
    dp::Burst b;
    b.n = 6;
    b.in_port = a.env.iface(2).port;
    for (int i = 0; i < 6; ++i) {
        f[i].set(inner4(a, "10.0.1.5", i % 2 ? "10.8.0.7" : "10.9.0.7", uint16_t(2000 + i)));
        b.pkt[i] = f[i].mbuf();
    }
    auto ctx = a.env.ctx();
    a.parse.run(b, ctx);
    a.route.run(b, ctx);
    a.ipsec.check(b, ctx);
    a.forward.run(b, ctx);
    a.ipsec.outbound(b, ctx);
    for (int i = 0; i < 6; ++i) {
        ASSERT_EQ(b.meta[i].next, Next::kForward) << i << " " << dp::drop_reason_name(b.meta[i].drop);
        const Bytes out = f[i].bytes();
        EXPECT_EQ(get32(out.data() + 34), i % 2 ? 0x1003u : 0x1001u) << i;
        EXPECT_EQ(get32(out.data() + 38), uint32_t(i / 2 + 1)) << i;
        EXPECT_EQ(b.meta[i].dst, ip(i % 2 ? "192.0.2.3" : "192.0.2.2")) << i;
    }
}

}  // namespace

namespace {

// ---------------------------------------------------------------------------------------------
// Roaming (`extra-flag roam`, wildside's own): the peer's address learnt from authenticated
// packets only.

// B's ESP for A (SA 0x1002), its outer source rewritten to `from` (a NAT or a move), readdressed
// to A's eth1.
Bytes esp_from_b(Gw& a, Gw& b, const char* from) {
    FakeMbuf f;
    Ip4 h;
    h.src = ip("10.9.0.7");
    h.dst = ip("10.0.1.5");
    f.set(udp4_frame(b.mac(2), h, 1000, 2000, 40));
    EXPECT_EQ(b.run(f, 2).next, Next::kForward);
    Bytes fr = f.bytes();
    std::copy(a.mac(3).begin(), a.mac(3).end(), fr.begin());
    const ws::InetAddr s = ip(from);
    std::memcpy(&fr[14 + 12], s.b.data(), 4);
    fr[14 + 10] = fr[14 + 11] = 0;
    const uint16_t c = ip4_header_checksum(fr.data() + 14);
    fr[14 + 10] = uint8_t(c >> 8);
    fr[14 + 11] = uint8_t(c);
    return fr;
}

// Where A's next packet to B's network goes: the outer destination of its ESP.
ws::InetAddr a_sends_to(Gw& a) {
    FakeMbuf f;
    f.set(inner4(a, "10.0.1.5", "10.9.0.7"));
    const auto m = a.run(f, 2);
    EXPECT_EQ(m.next, Next::kForward) << dp::drop_reason_name(m.drop);
    ws::InetAddr d = ws::InetAddr::zero(ws::Family::kInet);
    std::memcpy(d.b.data(), f.data() + 14 + 16, 4);
    EXPECT_EQ(m.dst, d);
    return d;
}

std::string with_roam(std::string conf) {
    const size_t at = conf.find("spi 0x1002");
    conf.insert(conf.find('\n', at), " extra-flag roam");
    return conf;
}

TEST_F(IpsecStageTest, RoamingLearnsThePeersAddressFromAuthenticatedPacketsOnly) {
    Gw a(with_roam(gw_a())), b(gw_b());
    EXPECT_EQ(a_sends_to(a), ip("192.0.2.2"));
    // An authenticated packet from a new address: A's tunnel follows it (outer route included).
    FakeMbuf f;
    f.set(esp_from_b(a, b, "192.0.2.77"));
    ASSERT_EQ(a.run(f, 3).next, Next::kForward);
    EXPECT_EQ(a_sends_to(a), ip("192.0.2.77"));
    // A forgery from elsewhere (bad ICV) teaches nothing.
    Bytes bad = esp_from_b(a, b, "192.0.2.99");
    bad[bad.size() - 2] ^= 0x01;
    f.set(bad);
    EXPECT_EQ(a.run(f, 3).drop, DropReason::kEspIcvFailed);
    EXPECT_EQ(a_sends_to(a), ip("192.0.2.77"));
    // Back home: the configured address again.
    f.set(esp_from_b(a, b, "192.0.2.2"));
    ASSERT_EQ(a.run(f, 3).next, Next::kForward);
    EXPECT_EQ(a_sends_to(a), ip("192.0.2.2"));
    // `ip xfrm state show` lists the flag.
    EXPECT_NE(with_roam(gw_a()).find("extra-flag roam"), std::string::npos);
}

TEST_F(IpsecStageTest, WithoutTheRoamFlagThePeerStaysWhereConfigured) {
    Gw a(gw_a()), b(gw_b());
    FakeMbuf f;
    f.set(esp_from_b(a, b, "192.0.2.77"));
    ASSERT_EQ(a.run(f, 3).next, Next::kForward);
    EXPECT_EQ(a_sends_to(a), ip("192.0.2.2"));
}

}  // namespace
