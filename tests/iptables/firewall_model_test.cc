// control/model/firewall_model.cc: the reference semantics — MARK's formula for every option
// (reference §4.2, mark = (mark & ~mask) ^ value), DSCP keeping ECN, each match against packets
// (the kernel's xt_* and iptables-nft payload tests), and ipt_do_table()'s walk: jumps, gotos,
// RETURN, policies, the first terminal verdict, and the ids of the rules that matched.
#include "ipt_test_util.h"

namespace {

using ctl::IptPacket;
using ctl::IptTable;
using ctl::IptHook;
using ws::Family;

TEST(FirewallModel, MarkFormulaForEveryOption) {
    struct Case {
        const char* opt;
        uint32_t before, after;
    };
    constexpr Case kCases[] = {
        {"--set-mark 0x1", 0xabcd, 0x1},
        {"--set-mark 0x1/0xff", 0xabcd, 0xab01},           // (mark & ~0xff) ^ 0x1
        {"--set-mark 0x100/0xff", 0xabcd, 0xab00},           // the mask is M | V = 0x1ff
        {"--set-xmark 0x1/0xff", 0xabcd, 0xab01},
        {"--set-xmark 0x3/0x1", 0xabcd, 0xabcf},             // V's bits outside M flip
        {"--set-xmark 0x5", 0xffffffff, 0x5},
        {"--and-mark 0xfe", 0xff, 0xfe},
        {"--or-mark 0x4", 0x1, 0x5},
        {"--xor-mark 0x4", 0x5, 0x1},
        {"--xor-mark 0x4", 0x1, 0x5},
        {"--set-mark 0", 0x77, 0x0},
    };
    for (const auto& c : kCases) {
        auto t = it::rule_of(std::string("iptables -t mangle -A PREROUTING -j MARK ") + c.opt).target;
        const uint32_t want = (c.before & ~t.mark_mask) ^ t.mark_value;  // the kernel's formula
        EXPECT_EQ(ctl::apply_mark(t, c.before), want) << c.opt;
        EXPECT_EQ(ctl::apply_mark(t, c.before), c.after) << c.opt;
        IptPacket p;
        p.mark = c.before;
        ctl::apply_target(t, p);
        EXPECT_EQ(p.mark, want) << c.opt;
    }
    EXPECT_EQ(ctl::apply_mark(ctl::mark_set_mark(0x100, 0xff), 0xabcd), 0xab00u);
    EXPECT_EQ(ctl::apply_mark(ctl::mark_and(0xfe), 0x1ff), 0xfeu);
    EXPECT_EQ(ctl::apply_mark(ctl::mark_or(0x4), 0x1), 0x5u);
    EXPECT_EQ(ctl::apply_mark(ctl::mark_xor(0x4), 0x5), 0x1u);
    // Other targets leave the mark alone.
    EXPECT_EQ(ctl::apply_mark(it::rule_of("iptables -A INPUT -j ACCEPT").target, 7), 7u);
}

TEST(FirewallModel, DscpKeepsEcn) {
    auto t = it::rule_of("iptables -t mangle -A PREROUTING -j DSCP --set-dscp 0x2e").target;
    IptPacket p;
    p.tos = 0x03;
    ctl::apply_target(t, p);
    EXPECT_EQ(p.tos, 0xbb);
}

bool hit(const char* line, const IptPacket& p) { return it::rule_of(line).matches(p); }

TEST(FirewallModel, AddressesInterfacesProtocol) {
    auto p = it::tcp4("10.1.2.3", "192.0.2.9", 1234, 22);
    p.iif = "eth0";
    EXPECT_TRUE(hit("iptables -A INPUT -s 10.0.0.0/8 -d 192.0.2.0/24", p));
    EXPECT_FALSE(hit("iptables -A INPUT ! -s 10.0.0.0/8", p));
    EXPECT_TRUE(hit("iptables -A INPUT -s 10.0.2.0/255.0.255.0", p));   // 10.x.2.x
    EXPECT_FALSE(hit("iptables -A INPUT -s 10.0.3.0/255.0.255.0", p));
    EXPECT_TRUE(hit("iptables -A INPUT -i eth+", p));
    EXPECT_TRUE(hit("iptables -A INPUT -i eth0", p));
    EXPECT_FALSE(hit("iptables -A INPUT -i eth", p));
    EXPECT_FALSE(hit("iptables -A INPUT ! -i eth+", p));
    EXPECT_FALSE(hit("iptables -A INPUT ! -i +", p));
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp", p));
    EXPECT_TRUE(hit("iptables -A INPUT ! -p udp", p));
    EXPECT_FALSE(hit("iptables -A INPUT -p 17", p));
    p.fragment = true;
    EXPECT_TRUE(hit("iptables -A INPUT -f", p));
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp", p));
    // A later fragment: iptables-nft's port compares read its first bytes (sport/dport here)...
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp --dport 22", p));
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp ! --dport 23", p));
    // ...while the xt matches never match it.
    EXPECT_FALSE(hit("iptables -A INPUT -p tcp -m tcp", p));
    EXPECT_FALSE(hit("iptables -A INPUT -p tcp -m multiport --dports 22", p));
    EXPECT_FALSE(hit("iptables -A INPUT -p sctp --dport 22", p));
    p.fragment = false;
    EXPECT_FALSE(hit("iptables -A INPUT -f", p));
    EXPECT_TRUE(hit("iptables -A INPUT ! -f", p));
    ctl::IptPacket v6;
    v6.src = *ws::InetAddr::parse("2001:db8::5");
    v6.dst = *ws::InetAddr::parse("fd00::1");
    EXPECT_TRUE(hit("ip6tables -A INPUT -s 2001:db8::/32 ! -d 2001:db8::/32", v6));
    EXPECT_FALSE(hit("ip6tables -A INPUT -s 2001:db8:1::/48", v6));
}

TEST(FirewallModel, PortsIcmpMultiport) {
    auto p = it::tcp4("10.0.0.1", "10.0.0.2", 5000, 22);
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp --dport 22 --sport 1024:", p));
    EXPECT_FALSE(hit("iptables -A INPUT -p tcp ! --dport 22", p));
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp ! --dport :21", p));   // 22:65535 after nft's rewrite
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp -m multiport --ports 80,5000", p));
    EXPECT_FALSE(hit("iptables -A INPUT -p tcp -m multiport --dports 80,5000", p));
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp -m multiport --dports 20:25", p));
    EXPECT_FALSE(hit("iptables -A INPUT -p tcp -m multiport ! --sports 4000:6000", p));
    // iptables-nft 1.8.9's combined compare: ! --sport S ! --dport D is "not both".
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp ! --sport 80 ! --dport 22", p));   // sport differs
    EXPECT_FALSE(hit("iptables -A INPUT -p tcp ! --sport 5000 ! --dport 22", p));
    EXPECT_TRUE(hit("iptables -A INPUT -p tcp ! --sport 5000 ! --dport 23", p));
    EXPECT_FALSE(hit("iptables -A INPUT -p tcp ! --sport 80:81 ! --dport 22", p));  // a range: two compares
    // The udp match allows a falling range; it never matches.
    p.proto = 17;
    EXPECT_FALSE(hit("iptables -A INPUT -p udp --dport 30:10", p));
    EXPECT_TRUE(hit("iptables -A INPUT -p udp ! --dport 30:10", p));
    ctl::IptPacket icmp = it::tcp4("10.0.0.1", "10.0.0.2", 0, 0);
    icmp.proto = 1;
    icmp.icmp_type = 3;
    icmp.icmp_code = 1;
    EXPECT_TRUE(hit("iptables -A INPUT -p icmp --icmp-type destination-unreachable", icmp));
    EXPECT_TRUE(hit("iptables -A INPUT -p icmp --icmp-type host-unreachable", icmp));
    EXPECT_FALSE(hit("iptables -A INPUT -p icmp --icmp-type port-unreachable", icmp));
    EXPECT_TRUE(hit("iptables -A INPUT -p icmp --icmp-type 3/0:2", icmp));
    EXPECT_TRUE(hit("iptables -A INPUT -p icmp --icmp-type any", icmp));
    EXPECT_FALSE(hit("iptables -A INPUT -p icmp ! --icmp-type any", icmp));
    icmp.proto = 58;
    icmp.icmp_type = 128;
    icmp.src = *ws::InetAddr::parse("::1");
    icmp.dst = *ws::InetAddr::parse("::2");
    EXPECT_TRUE(hit("ip6tables -A INPUT -p icmpv6 --icmpv6-type echo-request", icmp));
    EXPECT_FALSE(hit("ip6tables -A INPUT -p icmpv6 ! --icmpv6-type 128", icmp));
}

TEST(FirewallModel, MarkDscpTosLengthString) {
    auto p = it::tcp4("10.0.0.1", "10.0.0.2", 5000, 80);
    p.mark = 0x1234;
    p.tos = 0xb9;  // DSCP 0x2e (EF), ECN 1
    p.length = 120;
    EXPECT_TRUE(hit("iptables -A INPUT -m mark --mark 0x34/0xff", p));
    EXPECT_FALSE(hit("iptables -A INPUT -m mark --mark 0x34", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m mark ! --mark 0x34", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m dscp --dscp-class EF", p));
    EXPECT_FALSE(hit("iptables -A INPUT -m dscp ! --dscp 0x2e", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m tos --tos 0xb9", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m tos --tos 0x39/0x3f", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m length --length 100:200", p));
    EXPECT_FALSE(hit("iptables -A INPUT -m length --length 121:", p));
    EXPECT_FALSE(hit("iptables -A INPUT -m length --length 200:100", p));
    // -m string: offsets count from the IP header; the pattern must lie in [from, to).
    std::string data(20, '\0');
    data += std::string(20, '\0') + "GET /index.html HTTP/1.1";  // "GET" at 40
    p.data = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    EXPECT_TRUE(hit("iptables -A INPUT -m string --string GET --algo bm", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m string --string GET --algo kmp --from 40 --to 43", p));
    EXPECT_FALSE(hit("iptables -A INPUT -m string --string GET --algo bm --from 41", p));
    EXPECT_FALSE(hit("iptables -A INPUT -m string --string GET --algo bm --to 42", p));
    EXPECT_FALSE(hit("iptables -A INPUT -m string --string get --algo bm", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m string --string get --algo bm --icase", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m string ! --string POST --algo bm", p));
    EXPECT_TRUE(hit("iptables -A INPUT -m string --hex-string |2f696e646578| --algo bm", p));
}

TEST(FirewallModel, ChainWalk) {
    ctl::Model m;
    it::must_apply(m, R"(
iptables -t mangle -N WEB
iptables -t mangle -N SSH
iptables -t mangle -A PREROUTING -j MARK --set-mark 0x1
iptables -t mangle -A PREROUTING -p tcp --dport 80 -j WEB
iptables -t mangle -A PREROUTING -p tcp --dport 22 -g SSH
iptables -t mangle -A PREROUTING -j MARK --or-mark 0x100
iptables -t mangle -A WEB -j MARK --or-mark 0x10
iptables -t mangle -A WEB -s 10.0.0.9 -j RETURN
iptables -t mangle -A WEB -j MARK --or-mark 0x20
iptables -t mangle -A SSH -j MARK --or-mark 0x2
iptables -t mangle -A SSH -s 10.0.0.9 -j DROP
iptables -t mangle -P PREROUTING ACCEPT
iptables -P INPUT DROP
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset
)");
    const auto& fw = m.firewall;
    auto walk = [&](IptPacket p, IptTable t, IptHook h, std::vector<uint64_t>* hits = nullptr) {
        auto v = fw.traverse(Family::kInet, t, h, p, hits);
        return std::pair{v, p.mark};
    };
    std::vector<uint64_t> hits;
    auto [v1, m1] = walk(it::tcp4("10.0.0.1", "10.0.0.2", 999, 80), IptTable::kMangle, IptHook::kPrerouting, &hits);
    EXPECT_EQ(v1.kind, ctl::IptVerdict::Kind::kAccept);
    EXPECT_TRUE(v1.policy);
    EXPECT_EQ(m1, 0x131u);
    EXPECT_EQ(hits.size(), 5u);  // MARK, -j WEB, two in WEB, the last MARK
    auto [v2, m2] = walk(it::tcp4("10.0.0.9", "10.0.0.2", 999, 80), IptTable::kMangle, IptHook::kPrerouting);
    EXPECT_EQ(m2, 0x111u);  // RETURN skipped 0x20
    auto [v3, m3] = walk(it::tcp4("10.0.0.1", "10.0.0.2", 999, 22), IptTable::kMangle, IptHook::kPrerouting);
    EXPECT_EQ(m3, 0x3u);    // -g: the end of SSH ends PREROUTING (no 0x100)
    EXPECT_TRUE(v3.policy);
    auto [v4, m4] = walk(it::tcp4("10.0.0.9", "10.0.0.2", 999, 22), IptTable::kMangle, IptHook::kPrerouting);
    EXPECT_EQ(v4.kind, ctl::IptVerdict::Kind::kDrop);
    EXPECT_FALSE(v4.policy);
    EXPECT_EQ(walk(it::tcp4("1.1.1.1", "2.2.2.2", 1, 22), IptTable::kFilter, IptHook::kInput).first.kind,
              ctl::IptVerdict::Kind::kAccept);
    auto rej = walk(it::tcp4("1.1.1.1", "2.2.2.2", 1, 23), IptTable::kFilter, IptHook::kInput).first;
    EXPECT_EQ(rej.kind, ctl::IptVerdict::Kind::kReject);
    EXPECT_EQ(rej.reject, ctl::IptReject::kTcpReset);
    auto pol = walk(it::tcp4("1.1.1.1", "2.2.2.2", 1, 24), IptTable::kFilter, IptHook::kInput).first;
    EXPECT_EQ(pol.kind, ctl::IptVerdict::Kind::kDrop);
    EXPECT_TRUE(pol.policy);
    // The filter table has no PREROUTING: nothing to do.
    EXPECT_EQ(walk(it::tcp4("1.1.1.1", "2.2.2.2", 1, 24), IptTable::kFilter, IptHook::kPrerouting).first.kind,
              ctl::IptVerdict::Kind::kAccept);
}

}  // namespace
