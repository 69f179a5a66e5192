// dataplane/stages/firewall_stage.h: iptables at netfilter's hooks, on fake mbufs through the
// stages of a worker (parse, mangle PREROUTING, route, mangle OUTPUT and the reroute, INPUT and
// filter OUTPUT, forward, FORWARD and mangle POSTROUTING), for the gateway of tests/dataplane/snapshot_builder.h
// (eth0 ifindex 2, eth1 3, host0 5; table 100 default via 10.0.1.254 dev eth0).
#include <gtest/gtest.h>

#include <string>

#include "control/compile/compile_firewall.h"
#include "dataplane/icmp_error.h"
#include "dataplane/stages/firewall_stage.h"
#include "dataplane/stages/forward_stage.h"
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

constexpr uint32_t kEth0 = 2, kEth1 = 3, kHost = 5;

struct Gw : StageGateway {
    explicit Gw(const std::string& extra)
        : StageGateway(std::string(kGatewayBase) + "ip route add default via 192.0.2.254 dev eth1\n" + extra) {
        for (const char* nh : {"10.0.1.254", "192.0.2.254", "10.0.1.50"}) {
            const bool e0 = std::string(nh).rfind("10.", 0) == 0;
            env.neigh->set_permanent(e0 ? kEth0 : kEth1, ip(nh), kPeerMac);
        }
    }
    ctl::IptCounters counters(uint64_t rule_id) const { return ctl::counter_source(env.snap->fw).rule(rule_id); }
};

Bytes tcp_frame(const MacAddr& to, const char* src, const char* dst, uint16_t dport, uint8_t flags = 0x02, uint8_t tos = 0) {
    Ip4 h;
    h.src = ip(src);
    h.dst = ip(dst);
    h.tos = tos;
    h.proto = kProtoTcp;
    return ethernet(to, kPeerMac, 0x0800, ipv4(h, tcp(h.src, h.dst, 40000, dport, payload(5), flags)));
}

TEST(FirewallStage, HostTrafficMarkedInOutputIsRoutedAgain) {
    // The gateway's own telnet leaves through table 100 (eth0), its ssh through main (eth1):
    // the route chosen first is changed by the mark, as ip_route_me_harder() does.
    Gw g("ip rule add fwmark 0x7 table 100 priority 50\n"
         "iptables -t mangle -A OUTPUT -p tcp --dport 23 -j MARK --set-mark 0x7\n");
    FakeMbuf tel, ssh;
    tel.set(tcp_frame(g.mac(kHost), "192.0.2.1", "198.51.100.9", 23));
    ssh.set(tcp_frame(g.mac(kHost), "192.0.2.1", "198.51.100.9", 22));
    const auto mt = g.run(tel, kHost), ms = g.run(ssh, kHost);
    EXPECT_EQ(mt.next, Next::kForward);
    EXPECT_EQ(mt.out_ifindex, kEth0);
    EXPECT_EQ(mt.fwmark, 0x7u);
    EXPECT_EQ(ms.next, Next::kForward);
    EXPECT_EQ(ms.out_ifindex, kEth1);
    EXPECT_EQ(ms.fwmark, 0u);
}

TEST(FirewallStage, FilterOutputDropsHostTrafficAndCounts) {
    Gw g("iptables -A OUTPUT -p tcp --dport 25 -j DROP\n");
    FakeMbuf smtp, web;
    smtp.set(tcp_frame(g.mac(kHost), "192.0.2.1", "198.51.100.9", 25));
    web.set(tcp_frame(g.mac(kHost), "192.0.2.1", "198.51.100.9", 80));
    const auto a = g.run(smtp, kHost), b = g.run(web, kHost);
    EXPECT_EQ(a.next, Next::kDrop);
    EXPECT_EQ(a.drop, DropReason::kFwDrop);
    EXPECT_EQ(b.next, Next::kForward);
    const uint64_t id = g.model.firewall.table(ws::Family::kInet, ctl::IptTable::kFilter).find("OUTPUT")->rules[0].id;
    EXPECT_EQ(g.counters(id).packets, 1u);
    EXPECT_EQ(g.counters(id).bytes, uint64_t(smtp.len() - 14));
}

TEST(FirewallStage, InputRejectWithTcpResetBuildsTheRst) {
    Gw g("iptables -A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset\n");
    FakeMbuf f;
    f.set(tcp_frame(g.mac(kEth0), "10.0.1.50", "10.0.1.1", 23, 0x02));
    auto m = g.run(f, kEth0);
    ASSERT_EQ(m.next, Next::kIcmpError);
    EXPECT_EQ(m.drop, DropReason::kFwReject);
    EXPECT_EQ(m.icmp_type, dp::kTcpResetType);
    // What the worker then sends (nf_send_reset): SYN seq 1000 + 5 bytes -> RST|ACK seq 0 ack 1006.
    ASSERT_TRUE(dp::make_tcp_reset(f.mbuf(), m, 7));
    const uint8_t* p = f.data() + 14;
    EXPECT_EQ(m.src, ip("10.0.1.1"));
    EXPECT_EQ(m.dst, ip("10.0.1.50"));
    EXPECT_TRUE(checksum_verifies(p, 20));
    EXPECT_TRUE(l4_checksum_verifies(p));
    EXPECT_EQ(p[6] & 0x40, 0x40);  // DF
    EXPECT_EQ(get16(p + 20), 23);
    EXPECT_EQ(get16(p + 22), 40000);
    EXPECT_EQ(get32(p + 24), 0u);
    EXPECT_EQ(get32(p + 28), 1006u);
    EXPECT_EQ(p[33], 0x14);
    // An ACK segment: the RST takes its ack number as sequence number, no ACK flag.
    FakeMbuf a;
    a.set(tcp_frame(g.mac(kEth0), "10.0.1.50", "10.0.1.1", 23, 0x10));
    auto ma = g.run(a, kEth0);
    ASSERT_TRUE(dp::make_tcp_reset(a.mbuf(), ma, 8));
    EXPECT_EQ(get32(a.data() + 14 + 24), 0u);  // the test segment's ack field is 0
    EXPECT_EQ(a.data()[14 + 33], 0x04);
    // Never a RST for a RST.
    FakeMbuf r;
    r.set(tcp_frame(g.mac(kEth0), "10.0.1.50", "10.0.1.1", 23, 0x04));
    auto mr = g.run(r, kEth0);
    EXPECT_FALSE(dp::make_tcp_reset(r.mbuf(), mr, 9));
}

TEST(FirewallStage, DscpRewritesTheHeaderInPreroutingAndPostrouting) {
    Gw g("iptables -t mangle -A PREROUTING -p tcp --dport 80 -j DSCP --set-dscp 10\n"
         "iptables -t mangle -A POSTROUTING -o eth1 -p tcp --dport 443 -j DSCP --set-dscp 46\n"
         "ip6tables -t mangle -A PREROUTING -p udp -j DSCP --set-dscp-class AF41\n");
    FakeMbuf web, tls;
    web.set(tcp_frame(g.mac(kEth0), "10.0.1.50", "198.51.100.9", 80, 0x02, 0x03));
    tls.set(tcp_frame(g.mac(kEth0), "10.0.1.50", "198.51.100.9", 443, 0x02, 0x01));
    const auto mw = g.run(web, kEth0), mt = g.run(tls, kEth0);
    ASSERT_EQ(mw.next, Next::kForward);
    EXPECT_EQ(web.data()[15], 0x28 | 0x03);  // ECN kept
    EXPECT_TRUE(checksum_verifies(web.data() + 14, 20));
    ASSERT_EQ(mt.next, Next::kForward);
    EXPECT_EQ(tls.data()[15], 0xb8 | 0x01);
    EXPECT_TRUE(checksum_verifies(tls.data() + 14, 20));
    Ip6 h;
    h.src = ip("2001:db8:1::50");
    h.dst = ip("2001:db8:2::77");
    h.tclass = 0x02;
    h.flow = 0x12345;
    FakeMbuf v6;
    v6.set(ethernet(g.mac(kEth0), kPeerMac, 0x86dd, ipv6(h, udp(h.src, h.dst, 1, 2, payload(8)))));
    g.env.neigh->set_permanent(kEth1, ip("2001:db8:2::77"), kPeerMac);
    const auto m6 = g.run(v6, kEth0);
    EXPECT_EQ(m6.next, Next::kForward);
    const uint8_t* p = v6.data() + 14;
    EXPECT_EQ(p[0], 0x60 | (0x88 >> 4));  // AF41 = 34 -> tclass 0x88 | ECN 0x02 = 0x8a
    EXPECT_EQ(p[1] >> 4, 0x0a);
    EXPECT_EQ(get32(p) & 0xfffff, 0x12345u);  // the flow label untouched
}

TEST(FirewallStage, ForwardPolicyDropAndMangleInputMark) {
    Gw g("iptables -P FORWARD DROP\n"
         "iptables -A FORWARD -i eth0 -o eth1 -j ACCEPT\n"
         "iptables -t mangle -A INPUT -p tcp -j MARK --set-mark 0x5\n");
    FakeMbuf out, back, local;
    out.set(tcp_frame(g.mac(kEth0), "10.0.1.50", "198.51.100.9", 80));
    back.set(tcp_frame(g.mac(kEth1), "198.51.100.9", "10.0.1.50", 80));
    local.set(tcp_frame(g.mac(kEth0), "10.0.1.50", "10.0.1.1", 22));
    EXPECT_EQ(g.run(out, kEth0).next, Next::kForward);
    const auto mb = g.run(back, kEth1);
    EXPECT_EQ(mb.next, Next::kDrop);
    EXPECT_EQ(mb.drop, DropReason::kFwPolicyDrop);
    const auto ml = g.run(local, kEth0);
    EXPECT_EQ(ml.fwmark, 0x5u);
    EXPECT_NE(ml.next, Next::kDrop);
}

}  // namespace
