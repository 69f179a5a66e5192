// control/grammar/printer.h — exact text of `ip rule show`, `ip route show` and `ip route get`
// for the verbatim transcripts of reference §3.3 (and the forms §1-§2 quote), on the same
// topology built with dummy links. IPv4 lines end with one trailing space, as iproute2 prints
// them (the reference trimmed them). Invalid queries first.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace {

using wstest::query;
using wstest::route_get;

// §3.3: the topology plus the transcript's own commands.
const ctl::Model& transcript_model() {
    static const ctl::Model m = wstest::topology(R"(
ip rule add iif lo table 2 priority 500
ip route add 10.2.0.0/16 table 2 dev dummy1 src 10.1.0.1
ip rule add fwmark 0x1/0xff table 100
ip rule add ipproto tcp dport 22 table 101
ip route add 10.50.0.0/16 via 10.3.0.2 table 100
ip route add 10.60.0.0/16 via 10.3.0.3 table 101
)");
    return m;
}

// ---------------------------------------------------------------------------------------------
// Invalid queries.

TEST(PrinterQuery, ArgumentErrorsExit255AndPrintNothing) {
    const auto& m = transcript_model();
    for (const char* q : {"ip route get", "ip route get 10.2.0.300", "ip route get 10.2.0.5 10.2.0.6",
                          "ip route get 10.2.0.5 mark x", "ip route get 10.2.0.5 tos zz", "ip route get 10.2.0.5 dport 65536",
                          "ip route get 10.2.0.5 ipproto nosuch", "ip route get 10.2.0.5 from",
                          "ip route get 10.2.0.5 uid -1"}) {
        auto out = query(m, q);
        EXPECT_EQ(out.status, 255) << q;
        EXPECT_EQ(out.out, "") << q;
        EXPECT_EQ(out.err.rfind("Error: ", 0), 0u) << q << " -> " << out.err;
    }
    auto dev = query(m, "ip route get 10.2.0.5 iif nosuch");
    EXPECT_NE(dev.status, 0);
    EXPECT_EQ(dev.out, "");
    EXPECT_EQ(dev.err, "Cannot find device \"nosuch\"\n");
}

TEST(PrinterQuery, RtnetlinkErrorsExit2OnStderr) {
    const auto& m = transcript_model();
    auto out = query(m, "ip route get 10.2.0.5 from 10.9.9.9");
    EXPECT_EQ(out.status, 2);
    EXPECT_EQ(out.out, "");
    EXPECT_EQ(out.err, "RTNETLINK answers: Network is unreachable\n");
    EXPECT_EQ(out.err_text, "Network is unreachable");
}

// ---------------------------------------------------------------------------------------------
// §3.3 transcripts.

TEST(PrinterTranscript, RuleShow) {
    const auto& m = transcript_model();
    EXPECT_EQ(query(m, "ip rule show").out,
              "0:\tfrom all lookup local\n"
              "498:\tfrom all ipproto tcp dport 22 lookup 101\n"
              "499:\tfrom all fwmark 0x1/0xff lookup 100\n"
              "500:\tfrom all iif lo lookup 2\n"
              "32766:\tfrom all lookup main\n"
              "32767:\tfrom all lookup default\n");
    EXPECT_EQ(ctl::format_rule_line(m.v4.rules[3], wstest::pc(m)), "500:\tfrom all iif lo lookup 2");
}

TEST(PrinterTranscript, RouteShowTable2AndFibmatch) {
    const auto& m = transcript_model();
    EXPECT_EQ(query(m, "ip route show table 2").out, "10.2.0.0/16 dev dummy1 scope link src 10.1.0.1 \n");
    const auto& t = m.v4.tables.at(2);
    auto h = t.first(wstest::v4("10.2.0.5"));
    ASSERT_TRUE(t.valid(h));
    EXPECT_EQ(ctl::format_route_line(t.routes(h)[0], wstest::pc(m), false), "10.2.0.0/16 dev dummy1 scope link src 10.1.0.1 ");
    EXPECT_EQ(ctl::format_route_line(t.routes(h)[0], wstest::pc(m), true),
              "10.2.0.0/16 dev dummy1 table 2 scope link src 10.1.0.1 ");
    EXPECT_EQ(route_get(m, "10.2.0.5 fibmatch"), "10.2.0.0/16 dev dummy1 table 2 scope link src 10.1.0.1 \n");
}

struct Transcript {
    const char* args;
    const char* out;
};

TEST(PrinterTranscript, RouteGet) {
    const auto& m = transcript_model();
    const Transcript cases[] = {
        {"10.2.0.5", "10.2.0.5 dev dummy1 table 2 src 10.1.0.1 uid 0 \n    cache \n"},
        {"10.2.0.5 from 192.0.2.1", "10.2.0.5 from 192.0.2.1 dev dummy1 table 2 uid 0 \n    cache \n"},
        {"10.2.0.5 iif dummy0", "RTNETLINK answers: Invalid argument\n"},
        {"10.2.0.5 from 10.1.0.99 iif dummy0", "10.2.0.5 from 10.1.0.99 via 10.1.0.254 dev dummy0 \n    cache <redirect> iif dummy0 \n"},
        {"10.2.0.5 from 10.1.0.99 iif lo", "10.2.0.5 from 10.1.0.99 dev dummy1 table 2 \n    cache iif lo \n"},
        {"10.50.1.1", "10.50.1.1 via 10.1.0.254 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n"},
        {"10.50.1.1 mark 1", "10.50.1.1 via 10.3.0.2 dev dummy2 table 100 src 10.3.0.1 mark 1 uid 0 \n    cache \n"},
        {"10.50.1.1 mark 0x101", "10.50.1.1 via 10.3.0.2 dev dummy2 table 100 src 10.3.0.1 mark 0x101 uid 0 \n    cache \n"},
        {"10.60.1.1 ipproto tcp dport 22", "10.60.1.1 via 10.3.0.3 dev dummy2 table 101 src 10.3.0.1 uid 0 \n    cache \n"},
        {"10.60.1.1 dport 22", "10.60.1.1 via 10.1.0.254 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n"},
        {"10.60.1.1 from 10.1.0.99 iif dummy0 ipproto tcp dport 22",
         "10.60.1.1 from 10.1.0.99 via 10.3.0.3 dev dummy2 table 101 \n    cache iif dummy0 \n"},
        {"10.1.0.1", "local 10.1.0.1 dev lo table local src 10.1.0.1 uid 0 \n    cache <local> \n"},
        {"10.1.0.1 from 10.1.0.99 iif dummy0", "local 10.1.0.1 from 10.1.0.99 dev lo table local \n    cache <local> iif dummy0 \n"},
        {"10.1.0.255", "broadcast 10.1.0.255 dev dummy0 table local src 10.1.0.1 uid 0 \n    cache <local,brd> \n"},
        {"255.255.255.255", "broadcast 255.255.255.255 dev dummy0 src 10.1.0.1 uid 0 \n    cache <local,brd> \n"},
        {"224.0.0.5", "multicast 224.0.0.5 dev dummy0 src 10.1.0.1 rt_offload_failed uid 0 \n    cache <mc> \n"},
        {"10.1.0.7 from 10.1.0.1", "10.1.0.7 from 10.1.0.1 dev dummy0 uid 0 \n    cache \n"},
        {"8.8.8.8 oif dummy2", "8.8.8.8 dev dummy2 src 10.3.0.1 uid 0 \n    cache \n"},
        {"10.2.0.5 from 10.9.9.9", "RTNETLINK answers: Network is unreachable\n"},
    };
    for (const auto& c : cases) EXPECT_EQ(route_get(m, c.args), c.out) << "ip route get " << c.args;
}

TEST(PrinterTranscript, ErrorRoutesAndRules) {
    auto m = wstest::topology(R"(
ip route add unreachable 172.16.1.0/24
ip route add prohibit 172.16.2.0/24
ip route add blackhole 172.16.3.0/24
ip rule add to 198.51.100.1 unreachable
ip rule add to 198.51.100.2 prohibit
ip rule add to 198.51.100.3 blackhole
)");
    const Transcript cases[] = {
        {"172.16.1.1", "RTNETLINK answers: No route to host\n"},
        {"172.16.2.1", "RTNETLINK answers: Permission denied\n"},
        {"172.16.3.1", "RTNETLINK answers: Invalid argument\n"},
        {"198.51.100.1", "RTNETLINK answers: Network is unreachable\n"},
        {"198.51.100.2", "RTNETLINK answers: Permission denied\n"},
        {"198.51.100.3", "RTNETLINK answers: Invalid argument\n"},
        // The same from the input path, and with fibmatch.
        {"172.16.1.1 from 10.1.0.99 iif dummy0", "RTNETLINK answers: No route to host\n"},
        {"198.51.100.2 from 10.1.0.99 iif dummy0", "RTNETLINK answers: Permission denied\n"},
        {"172.16.2.1 fibmatch", "RTNETLINK answers: Permission denied\n"},
        {"198.51.100.3 fibmatch", "RTNETLINK answers: Invalid argument\n"},
    };
    for (const auto& c : cases) EXPECT_EQ(route_get(m, c.args), c.out) << "ip route get " << c.args;
    wstest::must_apply(m, "ip route del default");
    EXPECT_EQ(route_get(m, "8.8.8.8"), "RTNETLINK answers: Network is unreachable\n");
    EXPECT_EQ(route_get(m, "8.8.8.8 from 10.1.0.99 iif dummy0"), "RTNETLINK answers: Network is unreachable\n");
}

// ---------------------------------------------------------------------------------------------
// Other forms the reference quotes.

TEST(PrinterForms, MarkIsDecimalBelow16AndHexAbove) {
    const auto& m = transcript_model();
    EXPECT_EQ(route_get(m, "10.50.1.1 mark 15"), "10.50.1.1 via 10.1.0.254 dev dummy0 src 10.1.0.1 mark 15 uid 0 \n    cache \n");
    EXPECT_EQ(route_get(m, "10.50.1.1 mark 16"), "10.50.1.1 via 10.1.0.254 dev dummy0 src 10.1.0.1 mark 0x10 uid 0 \n    cache \n");
    EXPECT_EQ(route_get(m, "10.50.1.1 mark 0x1"), "10.50.1.1 via 10.3.0.2 dev dummy2 table 100 src 10.3.0.1 mark 1 uid 0 \n    cache \n");
}

TEST(PrinterForms, UidAndTos) {
    auto m = wstest::topology(R"(
ip route add 10.70.0.0/16 tos 0x10 via 192.0.2.254 metric 200
ip route add 10.70.0.0/16 via 10.3.0.3 metric 50
)");
    EXPECT_EQ(route_get(m, "10.70.1.1 uid 5"), "10.70.1.1 via 10.3.0.3 dev dummy2 src 10.3.0.1 uid 5 \n    cache \n");
    EXPECT_EQ(route_get(m, "10.70.1.1 tos 0x30"), "10.70.1.1 tos 0x10 via 192.0.2.254 dev dummy1 src 192.0.2.1 uid 0 \n    cache \n");
    EXPECT_EQ(query(m, "ip route show").out,
              "default via 10.1.0.254 dev dummy0 \n"
              "10.1.0.0/24 dev dummy0 proto kernel scope link src 10.1.0.1 \n"
              "10.3.0.0/24 dev dummy2 proto kernel scope link src 10.3.0.1 \n"
              "10.70.0.0/16 tos 0x10 via 192.0.2.254 dev dummy1 metric 200 \n"
              "10.70.0.0/16 via 10.3.0.3 dev dummy2 metric 50 \n"
              "192.0.2.0/24 dev dummy1 proto kernel scope link src 192.0.2.1 \n");
}

TEST(PrinterForms, LocalRouteInAnotherTable) {
    auto m = wstest::topology(R"(
ip route add local 172.16.7.0/24 dev lo table 200
ip rule add pref 100 lookup 200
)");
    EXPECT_EQ(route_get(m, "172.16.7.9"), "local 172.16.7.9 dev lo table 200 src 172.16.7.9 uid 0 \n    cache <local> \n");
}

TEST(PrinterForms, RuleSelectorsAndActions) {
    auto m = wstest::topology(R"(
ip rule add pref 10 from 10.9.0.5/24 lookup 5
ip rule add pref 11 not from 10.0.0.0/8 to 192.0.2.0/24 lookup 5
ip rule add pref 12 fwmark 0x10 lookup 5
ip rule add pref 13 fwmark 0/0x1 lookup 5
ip rule add pref 14 tos 0x10 ipproto 17 sport 1024-65534 lookup 5
ip rule add pref 15 uidrange 1000-1999 oif dummy0 lookup main suppress_prefixlength 0
ip rule add pref 16 iif dummy9 goto 100
ip rule add pref 17 to 1.1.1.8
ip rule add pref 18 blackhole
ip rule add pref 19 unreachable
ip rule add pref 20 prohibit
ip rule add pref 21 nop
ip rule add pref 22 lookup 0
ip rule add pref 23 fwmark 0 lookup 5
)");
    const std::vector<std::string> want = {
        "0:\tfrom all lookup local",
        "10:\tfrom 10.9.0.5/24 lookup 5",
        "11:\tnot from 10.0.0.0/8 to 192.0.2.0/24 lookup 5",
        "12:\tfrom all fwmark 0x10 lookup 5",
        "13:\tfrom all fwmark 0/0x1 lookup 5",
        "14:\tfrom all tos 0x10 ipproto udp sport 1024-65534 lookup 5",
        "15:\tfrom all oif dummy0 uidrange 1000-1999 lookup main suppress_prefixlength 0",
        "16:\tfrom all iif dummy9 [detached] goto 100 [unresolved]",
        "17:\tfrom all to 1.1.1.8 lookup main",
        "18:\tfrom all blackhole",
        "19:\tfrom all unreachable",
        "20:\tfrom all prohibit",
        "21:\tfrom all nop",
        "22:\tfrom all lookup 1",
        "23:\tfrom all lookup 5",
        "32766:\tfrom all lookup main",
        "32767:\tfrom all lookup default",
    };
    std::vector<std::string> got;
    for (const auto& r : m.v4.rules) got.push_back(ctl::format_rule_line(r, wstest::pc(m)));
    EXPECT_EQ(got, want);
}

TEST(PrinterForms, MultipathAndOnlinkRouteLines) {
    auto m = wstest::topology(R"(
ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight 2 nexthop via 10.3.0.2
ip route add 10.7.0.0/16 via 10.99.0.1 dev dummy0 onlink metric 7
ip route add blackhole 172.16.3.0/24
ip route add 10.81.0.0/16 dev dummy1 table 7 proto static
)");
    auto line = [&](uint32_t table, const char* addr, bool show_table) {
        const auto& t = m.v4.tables.at(table);
        auto h = t.first(wstest::v4(addr));
        EXPECT_TRUE(t.valid(h)) << addr;
        return t.valid(h) ? ctl::format_route_line(t.routes(h)[0], wstest::pc(m), show_table) : std::string();
    };
    EXPECT_EQ(line(254, "10.80.0.1", false),
              "10.80.0.0/16 \n\tnexthop via 10.1.0.254 dev dummy0 weight 2 \n\tnexthop via 10.3.0.2 dev dummy2 weight 1 ");
    EXPECT_EQ(line(254, "10.7.0.1", false), "10.7.0.0/16 via 10.99.0.1 dev dummy0 metric 7 onlink ");
    EXPECT_EQ(line(254, "172.16.3.1", false), "blackhole 172.16.3.0/24 ");
    EXPECT_EQ(line(7, "10.81.0.1", true), "10.81.0.0/16 dev dummy1 table 7 proto static scope link ");
}

TEST(PrinterForms, JsonCarriesTheReferenceKeys) {
    const auto& m = transcript_model();
    auto r = ctl::compile_routing(m);
    auto q = ctl::run_query(m, *r, "ip -j route get 10.2.0.5", {});
    ASSERT_EQ(q.status, 0);
    const std::string want = R"([{"dst":"10.2.0.5","dev":"dummy1","table":"2","prefsrc":"10.1.0.1","flags":[],"uid":0,"cache":[])";
    EXPECT_EQ(q.out.substr(0, want.size()), want) << q.out;
}

}  // namespace
