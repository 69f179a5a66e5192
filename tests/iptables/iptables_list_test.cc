// control/iptables_query.cc: `iptables -S` and `-L` byte for byte as iptables 1.8.9 (nf_tables)
// printed them for the same rules in a network namespace here (the expected texts below are its
// output), every match and target included; counters from a counter source with the K/M/G
// suffixes and -x; a missing chain; -L without -n refused.
#include "ipt_test_util.h"

namespace {

constexpr std::string_view kConfig = R"(iptables -t mangle -A PREROUTING -s 10.0.0.0/8 -d 1.2.3.4 -p udp --sport 5:6 --dport 7 -j MARK --set-mark 0x1/0xff
iptables -t mangle -A PREROUTING ! -s 10.0.0.1/255.255.0.0 ! -d 1.2.3.4/255.0.255.0 ! -p tcp -j MARK --and-mark 0xfe
iptables -t mangle -A PREROUTING -p tcp ! --sport 5 ! --dport 1:1000 -j MARK --or-mark 4
iptables -t mangle -A PREROUTING -p 6 -m multiport --sports 1,2:3 -j MARK --xor-mark 4
iptables -t mangle -A PREROUTING -p udp -m multiport ! --dports 1,2:3 -j MARK --set-xmark 4
iptables -t mangle -A PREROUTING -p sctp -m multiport --ports 1,2:3 -j MARK --set-xmark 4/5
iptables -t mangle -A PREROUTING -i eth+ -p icmp --icmp-type 8 -j DSCP --set-dscp 10
iptables -t mangle -A PREROUTING ! -i eth0 -p icmp ! --icmp-type echo-reply -j DSCP --set-dscp-class AF41
iptables -t mangle -A PREROUTING -m dscp --dscp 10 -j RETURN
iptables -t mangle -A PREROUTING -m dscp ! --dscp-class EF -j ACCEPT
iptables -t mangle -A PREROUTING -m tos --tos 0x10 -j DROP
iptables -t mangle -A PREROUTING -m tos ! --tos Minimize-Delay -j DROP
iptables -t mangle -A PREROUTING -m mark ! --mark 0x1/0xff -j DROP
iptables -t mangle -A PREROUTING -m length --length 100:200 -j DROP
iptables -t mangle -A PREROUTING -m length ! --length 100 -j DROP
iptables -t mangle -A PREROUTING -m string --string foo --algo bm -j DROP
iptables -t mangle -A PREROUTING -m string ! --string "foo bar" --algo kmp --from 10 --to 100 --icase -j DROP
iptables -t mangle -A PREROUTING -m string --hex-string "|00 ff|" --algo bm
iptables -t mangle -A OUTPUT -o lo -p icmp --icmp-type 3/1 -j ACCEPT
iptables -t mangle -A OUTPUT -p 47 -f -j ACCEPT
iptables -N FOO
iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset
iptables -A INPUT -g FOO
iptables -A FOO -p sctp --sport 7 -j RETURN
iptables -A FORWARD -i eth0 -o eth1+ -j FOO
ip6tables -t mangle -A PREROUTING -s 2001:db8::/32 -d 2001:db8::1 -p tcp --dport 22 -j MARK --set-mark 1
ip6tables -t mangle -A PREROUTING ! -s 2001:db8::1/64 ! -d fe80::/ffff:ffff:: ! -p udp -i eth0 -j DSCP --set-dscp 3
ip6tables -t mangle -A PREROUTING -p icmpv6 ! --icmpv6-type 1/3 -j ACCEPT
ip6tables -t mangle -A PREROUTING -s 2001:db8::/ffff:0:ffff:: -j ACCEPT
ip6tables -A INPUT -j REJECT --reject-with adm-prohibited
)";

struct Golden {
    const char* query;
    const char* text;
};

const Golden kGolden[] = {
    {"iptables -t mangle -S",
     R"(-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-A PREROUTING -s 10.0.0.0/8 -d 1.2.3.4/32 -p udp -m udp --sport 5:6 --dport 7 -j MARK --set-xmark 0x1/0xff
-A PREROUTING ! -s 10.0.0.0/16 ! -d 1.0.3.0/255.0.255.0 ! -p tcp -j MARK --set-xmark 0x0/0xffffff01
-A PREROUTING -p tcp -m tcp ! --sport 5 ! --dport 1:1000 -j MARK --set-xmark 0x4/0x4
-A PREROUTING -p tcp -m multiport --sports 1,2:3 -j MARK --set-xmark 0x4/0x0
-A PREROUTING -p udp -m multiport ! --dports 1,2:3 -j MARK --set-xmark 0x4/0xffffffff
-A PREROUTING -p sctp -m multiport --ports 1,2:3 -j MARK --set-xmark 0x4/0x5
-A PREROUTING -i eth+ -p icmp -m icmp --icmp-type 8 -j DSCP --set-dscp 0x0a
-A PREROUTING ! -i eth0 -p icmp -m icmp ! --icmp-type 0 -j DSCP --set-dscp 0x22
-A PREROUTING -m dscp --dscp 0x0a -j RETURN
-A PREROUTING -m dscp ! --dscp 0x2e -j ACCEPT
-A PREROUTING -m tos --tos 0x10/0xff -j DROP
-A PREROUTING -m tos ! --tos 0x10/0x3f -j DROP
-A PREROUTING -m mark ! --mark 0x1/0xff -j DROP
-A PREROUTING -m length --length 100:200 -j DROP
-A PREROUTING -m length ! --length 100 -j DROP
-A PREROUTING -m string --string "foo" --algo bm -j DROP
-A PREROUTING -m string ! --string "foo bar" --algo kmp --from 10 --to 100 --icase -j DROP
-A PREROUTING -m string --hex-string "|00ff|" --algo bm
-A OUTPUT -o lo -p icmp -m icmp --icmp-type 3/1 -j ACCEPT
-A OUTPUT -p gre -f -j ACCEPT
)"},
    {"iptables -t mangle -L -n -v",
     R"(Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 MARK       17   --  *      *       10.0.0.0/8           1.2.3.4              udp spts:5:6 dpt:7 MARK xset 0x1/0xff
    0     0 MARK      !6    --  *      *      !10.0.0.0/16         !1.0.3.0/255.0.255.0  MARK and 0xfe
    0     0 MARK       6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpts:!1:1000 MARK or 0x4
    0     0 MARK       6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports 1,2:3 MARK xor 0x4
    0     0 MARK       17   --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports  !1,2:3 MARK set 0x4
    0     0 MARK       132  --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 1,2:3 MARK xset 0x4/0x5
    0     0 DSCP       1    --  eth+   *       0.0.0.0/0            0.0.0.0/0            icmptype 8 DSCP set 0x0a
    0     0 DSCP       1    --  !eth0  *       0.0.0.0/0            0.0.0.0/0            icmp !type 0 DSCP set 0x22
    0     0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0            DSCP match 0x0a
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            DSCP match !0x2e
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            tos match0x10/0xff
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            tos match!0x10/0x3f
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x1/0xff
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            length 100:200
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            length !100
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            STRING match  "foo" ALGO name bm
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            STRING match ! "foo bar" ALGO name kmp FROM 10 TO 100 ICASE
    0     0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            STRING match  "|00ff|" ALGO name bm

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     1    --  *      lo      0.0.0.0/0            0.0.0.0/0            icmptype 3 code 1
    0     0 ACCEPT     47   -f  *      *       0.0.0.0/0            0.0.0.0/0           

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
)"},
    {"iptables -S",
     R"(-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N FOO
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A INPUT -g FOO
-A FORWARD -i eth0 -o eth1+ -j FOO
-A FOO -p sctp -m sctp --sport 7 -j RETURN
)"},
    {"iptables -L -n --line-numbers",
     R"(Chain INPUT (policy ACCEPT)
num  target     prot opt source               destination         
1    REJECT     6    --  0.0.0.0/0            0.0.0.0/0            reject-with tcp-reset
2    FOO        0    --  0.0.0.0/0            0.0.0.0/0           [goto] 

Chain FORWARD (policy ACCEPT)
num  target     prot opt source               destination         
1    FOO        0    --  0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT)
num  target     prot opt source               destination         

Chain FOO (2 references)
num  target     prot opt source               destination         
1    RETURN     132  --  0.0.0.0/0            0.0.0.0/0            sctp spt:7
)"},
    {"ip6tables -t mangle -S",
     R"(-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-A PREROUTING -s 2001:db8::/32 -d 2001:db8::1/128 -p tcp -m tcp --dport 22 -j MARK --set-xmark 0x1/0xffffffff
-A PREROUTING ! -s 2001:db8::/64 ! -d fe80::/32 -i eth0 ! -p udp -j DSCP --set-dscp 0x03
-A PREROUTING -p ipv6-icmp -m icmp6 ! --icmpv6-type 1/3 -j ACCEPT
-A PREROUTING -s 2001::/ffff:0:ffff:: -j ACCEPT
)"},
    {"ip6tables -t mangle -L -n -v -x",
     R"(Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 MARK       6    --  *      *       2001:db8::/32        2001:db8::1          tcp dpt:22 MARK set 0x1
       0        0 DSCP      !17   --  eth0   *      !2001:db8::/64       !fe80::/32            DSCP set 0x03
       0        0 ACCEPT     58   --  *      *       ::/0                 ::/0                 ipv6-icmp !type 1 code 3
       0        0 ACCEPT     0    --  *      *       2001::/ffff:0:ffff::  ::/0                

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
)"},
    {"ip6tables -S INPUT",
     R"(-P INPUT ACCEPT
-A INPUT -j REJECT --reject-with icmp6-adm-prohibited
)"},
    {"iptables -L FORWARD 1 -n -v",
     R"(    0     0 FOO        0    --  eth0   eth1+   0.0.0.0/0            0.0.0.0/0           
)"},
    {"iptables -S -v",
     R"(-P INPUT ACCEPT -c 0 0
-P FORWARD ACCEPT -c 0 0
-P OUTPUT ACCEPT -c 0 0
-N FOO
-A INPUT -p tcp -c 0 0 -j REJECT --reject-with tcp-reset
-A INPUT -c 0 0 -g FOO
-A FORWARD -i eth0 -o eth1+ -c 0 0 -j FOO
-A FOO -p sctp -m sctp --sport 7 -c 0 0 -j RETURN
)"},
};

TEST(IptablesList, AsIptablesPrintsThem) {
    ctl::Model m;
    it::must_apply(m, kConfig);
    for (const auto& g : kGolden) EXPECT_EQ(it::query(m, g.query), g.text) << g.query;
}

TEST(IptablesList, CountersFromTheSource) {
    ctl::Model m;
    it::must_apply(m, "iptables -A INPUT -j ACCEPT\niptables -A INPUT -s 10.0.0.1 -j DROP\niptables -N X\niptables -A INPUT -j X");
    const auto& rules = m.firewall.table(ws::Family::kInet, ctl::IptTable::kFilter).find("INPUT")->rules;
    const uint64_t first = rules[0].id, second = rules[1].id;
    ctl::IptCounterSource src;
    src.rule = [&](uint64_t id) {
        if (id == first) return ctl::IptCounters{99999, 100000};
        if (id == second) return ctl::IptCounters{123456789, 9999999999ull};
        return ctl::IptCounters{};
    };
    src.policy = [](ws::Family, ctl::IptTable, ctl::IptHook h) {
        return h == ctl::IptHook::kInput ? ctl::IptCounters{1500, 2500000} : ctl::IptCounters{};
    };
    EXPECT_EQ(it::query(m, "iptables -L INPUT -n -v", src),
              "Chain INPUT (policy ACCEPT 1500 packets, 2500K bytes)\n"
              " pkts bytes target     prot opt in     out     source               destination         \n"
              "99999  100K ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           \n"
              " 123M   10G DROP       0    --  *      *       10.0.0.1             0.0.0.0/0           \n"
              "    0     0 X          0    --  *      *       0.0.0.0/0            0.0.0.0/0           \n");
    EXPECT_EQ(it::query(m, "iptables -L INPUT -n -v -x --line-numbers", src),
              "Chain INPUT (policy ACCEPT 1500 packets, 2500000 bytes)\n"
              "num      pkts      bytes target     prot opt in     out     source               destination         \n"
              "1       99999   100000 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           \n"
              "2    123456789 9999999999 DROP       0    --  *      *       10.0.0.1             0.0.0.0/0           \n"
              "3           0        0 X          0    --  *      *       0.0.0.0/0            0.0.0.0/0           \n");
    EXPECT_EQ(it::query(m, "iptables -S INPUT -v", src),
              "-P INPUT ACCEPT -c 1500 2500000\n"
              "-A INPUT -c 99999 100000 -j ACCEPT\n"
              "-A INPUT -s 10.0.0.1/32 -c 123456789 9999999999 -j DROP\n"
              "-A INPUT -c 0 0 -j X\n");
    EXPECT_EQ(ctl::ipt_number(9999499, false, false), "9999K ");
    EXPECT_EQ(ctl::ipt_number(9999500, false, false), "  10M ");
    EXPECT_EQ(ctl::ipt_number(20000000000000000ull, false, true), "20000T ");
}

TEST(IptablesList, MissingChainsAndNames) {
    ctl::Model m;
    EXPECT_EQ(it::query(m, "iptables -L NOPE -n"), "ERR(1): chain `NOPE' in table `filter' is incompatible, use 'nft' tool.");
    EXPECT_EQ(it::query(m, "iptables -t mangle -S NOPE"), "ERR(1): chain `NOPE' in table `mangle' is incompatible, use 'nft' tool.");
    EXPECT_EQ(it::query(m, "iptables -S INPUT 3"), "");
    EXPECT_EQ(it::query(m, "iptables -L"), "ERR(2): wildside lists numerically only (it does not resolve names): add -n, as in `iptables -L -n'");
    EXPECT_EQ(it::query(m, "iptables -S -n"), "ERR(2): Illegal option `-n' with this command");
    EXPECT_EQ(it::query(m, "iptables -C INPUT -j ACCEPT"), "ERR(1): Bad rule (does a matching rule exist in that chain?).");
    EXPECT_EQ(it::query(m, "iptables -A INPUT -j ACCEPT"),
              "ERR(2): iptables changes are not queries: apply them to a running wildside");
}

}  // namespace
