// dataplane/tables/rule.h, control/model (rules), control/grammar parse_rule: the routing
// policy database as reference §1 describes it. Invalid input first.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

using wstest::cmd_error;
using wstest::output;
using wstest::out_flow;
using wstest::prefs;
using wstest::route_get;
using wstest::topology;

ws::Result<ctl::RuleRequest> parse(const ctl::Model& m, const std::string& line, ws::Family f = ws::Family::kInet) {
    static std::vector<std::string> keep;
    keep.push_back(line);
    ws::Tokens t(ws::split_words(keep.back()));
    return ctl::parse_rule(t, sel::ParseContext{f, &m.names});
}

std::vector<uint32_t> tables(const ctl::Model& m) {
    std::vector<uint32_t> out;
    for (const auto& r : m.v4.rules) out.push_back(r.table);
    return out;
}

const dp::Rule* rule_at(const ctl::Model& m, uint32_t pref, size_t nth = 0) {
    for (const auto& r : m.v4.rules)
        if (r.priority == pref && nth-- == 0) return &r;
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Invalid input.

TEST(RuleParse, Errors) {
    ctl::Model m;
    auto r = parse(m, "fwmak 1 table 5");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("fwmak"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().token, "fwmak");
    for (const char* bad : {"pref abc", "pref", "priority -1", "pref 4294967296", "table", "lookup nosuchname",
                            "lookup 4294967296", "goto x", "goto", "suppress_prefixlength 129",
                            "suppress_prefixlength x", "suppress_ifgroup 2147483648", "type local", "type",
                            "protocol nosuchproto", "from 10.0.0.0/8 tos 0x20", "dport 0"}) {
        EXPECT_FALSE(parse(m, bad).ok()) << "accepted: " << bad;
    }
}

TEST(RuleModel, BackwardGotoIsRejected) {
    ctl::Model m;
    const auto before = prefs(m);
    EXPECT_NE(cmd_error(m, "ip rule add pref 100 goto 50").find("Backward goto not supported"), std::string::npos);
    EXPECT_NE(cmd_error(m, "ip rule add pref 100 goto 100").find("Backward goto not supported"), std::string::npos);
    EXPECT_EQ(prefs(m), before);
    // Without a pref the rule gets 32765, so a goto to 32766 is forward.
    EXPECT_EQ(cmd_error(m, "ip rule add goto 32766"), "");
    EXPECT_EQ(rule_at(m, 32765)->goto_target, 32766u);
}

TEST(RuleModel, ExactDuplicateIsEexist) {
    ctl::Model m;
    ASSERT_TRUE(ctl::apply_command(m, "ip rule add pref 100 from 10.0.0.0/8 table 5").ok());
    auto st = ctl::apply_command(m, "ip rule add pref 100 from 10.0.0.0/8 table 5");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ws::Errc::kExists);
    EXPECT_NE(st.error().message.find("File exists"), std::string::npos);
    // Any differing attribute makes it a new rule.
    EXPECT_EQ(cmd_error(m, "ip rule add pref 100 from 10.0.0.0/8 table 6"), "");
    EXPECT_EQ(cmd_error(m, "ip rule add pref 100 from 10.0.0.0/8 fwmark 1 table 5"), "");
    EXPECT_EQ(cmd_error(m, "ip rule add pref 101 from 10.0.0.0/8 table 5"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 100, 100, 100, 101, 32766, 32767}));
}

TEST(RuleModel, DuplicateWithoutPrefGetsTheNextFreePref) {
    // The priority is chosen before rule_exists() runs, so the second add is not identical.
    ctl::Model m;
    EXPECT_EQ(cmd_error(m, "ip rule add from 10.0.0.0/8 table 5"), "");
    EXPECT_EQ(cmd_error(m, "ip rule add from 10.0.0.0/8 table 5"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 32764, 32765, 32766, 32767}));
}

TEST(RuleModel, DeleteOfMissingRuleIsNotFound) {
    ctl::Model m;
    auto st = ctl::apply_command(m, "ip rule del from 9.9.9.9");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ws::Errc::kNotFound);
    st = ctl::apply_command(m, "ip rule del pref 5");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 32766, 32767}));
}

// ---------------------------------------------------------------------------------------------
// Defaults and priorities (§1.1, §1.2).

TEST(RuleModel, DefaultRules) {
    ctl::Model m;
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 32766, 32767}));
    EXPECT_EQ(tables(m), (std::vector<uint32_t>{255, 254, 253}));
    for (const auto& r : m.v4.rules) {
        EXPECT_EQ(r.protocol, 2) << r.priority;  // proto kernel
        EXPECT_EQ(r.action, dp::RuleAction::kToTable);
    }
    EXPECT_EQ(prefs(m, ws::Family::kInet6), (std::vector<uint32_t>{0, 32766}));  // no 32767 for IPv6
    auto q = wstest::query(m, "ip rule show");
    EXPECT_EQ(q.out, "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n");
}

TEST(RuleModel, NoTableMeansMain) {
    ctl::Model m;
    ASSERT_EQ(cmd_error(m, "ip rule add to 1.1.1.8"), "");
    EXPECT_EQ(rule_at(m, 32765)->table, 254u);
    EXPECT_EQ(rule_at(m, 32765)->action, dp::RuleAction::kToTable);
}

TEST(RulePriority, DefaultListGives32765Then32764) {
    ctl::Model m;
    ASSERT_EQ(cmd_error(m, "ip rule add from 10.1.0.0/16 table 5"), "");
    ASSERT_EQ(cmd_error(m, "ip rule add from 10.2.0.0/16 table 5"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 32764, 32765, 32766, 32767}));
    EXPECT_EQ(rule_at(m, 32764)->sel.get<sel::From>()->prefix.addr, wstest::v4("10.2.0.0"));
}

TEST(RulePriority, BelowAnExplicitPref) {
    ctl::Model m;
    ASSERT_EQ(cmd_error(m, "ip rule add pref 500 table 5"), "");
    ASSERT_EQ(cmd_error(m, "ip rule add table 6"), "");
    ASSERT_EQ(cmd_error(m, "ip rule add table 7"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 498, 499, 500, 32766, 32767}));
    EXPECT_EQ(tables(m), (std::vector<uint32_t>{255, 7, 6, 5, 254, 253}));
}

TEST(RulePriority, SecondRuleAtZeroGivesZeroAppended) {
    ctl::Model m;
    for (int t = 1; t <= 3; ++t) ASSERT_EQ(cmd_error(m, "ip rule add pref 0 table " + std::to_string(t)), "");
    ASSERT_EQ(cmd_error(m, "ip rule add table 9"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 0, 0, 0, 0, 32766, 32767}));
    EXPECT_EQ(tables(m), (std::vector<uint32_t>{255, 1, 2, 3, 9, 254, 253}));
}

TEST(RulePriority, UsesTheSecondRuleLiterally) {
    // 32764, 32765, 32766, ... with the local rule deleted: 32765 - 1 = 32764, equal to the first.
    ctl::Model m;
    ASSERT_EQ(cmd_error(m, "ip rule add table 5"), "");  // 32765
    ASSERT_EQ(cmd_error(m, "ip rule add table 6"), "");  // 32764
    ASSERT_EQ(cmd_error(m, "ip rule del pref 0 table local"), "");
    ASSERT_EQ(prefs(m), (std::vector<uint32_t>{32764, 32765, 32766, 32767}));
    ASSERT_EQ(cmd_error(m, "ip rule add table 7"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{32764, 32764, 32765, 32766, 32767}));
    EXPECT_EQ(tables(m), (std::vector<uint32_t>{6, 7, 5, 254, 253}));  // after the existing 32764
}

TEST(RulePriority, Ipv6UsesTheSameFunction) {
    ctl::Model m;
    ASSERT_EQ(cmd_error(m, "ip -6 rule add from 2001:db8::/32 table 5"), "");
    EXPECT_EQ(prefs(m, ws::Family::kInet6), (std::vector<uint32_t>{0, 32765, 32766}));
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 32766, 32767}));  // IPv4 untouched
}

TEST(RuleOrder, EqualPrefKeepsInsertionOrder) {
    auto m = topology(R"(
ip route add 10.40.0.0/16 via 10.3.0.2 table 41
ip route add 10.40.0.0/16 via 192.0.2.254 table 42
ip rule add pref 100 to 10.40.0.0/16 table 42
ip rule add pref 100 to 10.40.0.0/16 table 41
)");
    EXPECT_EQ(rule_at(m, 100, 0)->table, 42u);
    EXPECT_EQ(rule_at(m, 100, 1)->table, 41u);
    auto d = output(m, out_flow("10.40.1.1"));
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 42u);
    EXPECT_EQ(d.gateway, wstest::v4("192.0.2.254"));
}

// ---------------------------------------------------------------------------------------------
// Actions (§1.4).

TEST(RuleAction, ErrorActionsReturnTheirErrno) {
    auto m = topology(R"(
ip rule add to 198.51.100.1 unreachable
ip rule add to 198.51.100.2 prohibit
ip rule add to 198.51.100.3 blackhole
ip rule add to 198.51.100.4 type prohibit
)");
    EXPECT_EQ(output(m, out_flow("198.51.100.1")).error, ENETUNREACH);  // rule unreachable: ENETUNREACH
    EXPECT_EQ(output(m, out_flow("198.51.100.2")).error, EACCES);
    EXPECT_EQ(output(m, out_flow("198.51.100.3")).error, EINVAL);
    EXPECT_EQ(output(m, out_flow("198.51.100.4")).error, EACCES);
    EXPECT_EQ(output(m, out_flow("198.51.100.5")).error, 0);  // main's default
    EXPECT_EQ(route_get(m, "198.51.100.1"), "RTNETLINK answers: Network is unreachable\n");
    EXPECT_EQ(route_get(m, "198.51.100.2"), "RTNETLINK answers: Permission denied\n");
    EXPECT_EQ(route_get(m, "198.51.100.3"), "RTNETLINK answers: Invalid argument\n");
    EXPECT_EQ(wstest::query(m, "ip route get 198.51.100.3").status, 2);
    // The same rules on the input path.
    EXPECT_EQ(route_get(m, "198.51.100.2 from 10.1.0.99 iif dummy0"), "RTNETLINK answers: Permission denied\n");
}

TEST(RuleAction, NopContinues) {
    auto m = topology(R"(
ip rule add pref 100 to 10.40.0.0/16 nop
ip route add 10.40.0.0/16 via 10.3.0.2 table 41
ip rule add pref 200 to 10.40.0.0/16 table 41
)");
    EXPECT_EQ(rule_at(m, 100)->action, dp::RuleAction::kNop);
    auto d = output(m, out_flow("10.40.1.1"));
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 41u);
    EXPECT_EQ(d.rule_priority, 200u);
}

TEST(RuleGoto, UnresolvedIsSkippedAndResolvesWhenTheTargetIsAdded) {
    auto m = topology(R"(
ip route add 10.20.0.0/16 via 10.3.0.2 table 20
ip route add 10.20.0.0/16 via 192.0.2.254 table 30
ip rule add pref 100 to 10.20.0.0/16 goto 200
ip rule add pref 150 prohibit
)");
    EXPECT_EQ(rule_at(m, 100)->goto_index, dp::kNoGoto);
    EXPECT_EQ(ctl::format_rule_line(*rule_at(m, 100), wstest::pc(m)), "100:\tfrom all to 10.20.0.0/16 goto 200 [unresolved]");
    EXPECT_EQ(output(m, out_flow("10.20.1.1")).error, EACCES);  // skipped: the prohibit rule decides
    wstest::must_apply(m, "ip rule add pref 200 lookup 30");
    ASSERT_NE(rule_at(m, 100)->goto_index, dp::kNoGoto);
    EXPECT_EQ(m.v4.rules[size_t(rule_at(m, 100)->goto_index)].priority, 200u);
    EXPECT_EQ(ctl::format_rule_line(*rule_at(m, 100), wstest::pc(m)), "100:\tfrom all to 10.20.0.0/16 goto 200");
    auto d = output(m, out_flow("10.20.1.1"));
    ASSERT_EQ(d.error, 0);  // the prohibit rule at 150 was jumped over
    EXPECT_EQ(d.table, 30u);
    EXPECT_EQ(output(m, out_flow("10.21.1.1")).error, EACCES);  // the goto rule did not match
}

TEST(RuleGoto, TargetSelectorsAreCheckedAndTheScanGoesOnFromThere) {
    auto m = topology(R"(
ip route add 10.20.0.0/16 via 192.0.2.254 table 30
ip rule add pref 100 goto 200
ip rule add pref 150 prohibit
ip rule add pref 200 to 10.20.5.0/24 lookup 30
)");
    auto d = output(m, out_flow("10.20.5.1"));
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 30u);
    d = output(m, out_flow("10.20.9.9"));  // target does not match: continue after 200, not at 101
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 254u);
    EXPECT_EQ(d.gateway, wstest::v4("10.1.0.254"));
}

TEST(RuleGoto, RepointedOnDeleteThenUnresolved) {
    auto m = topology(R"(
ip route add 10.20.0.0/16 via 10.3.0.2 table 20
ip route add 10.20.0.0/16 via 192.0.2.254 table 30
ip rule add pref 100 goto 200
ip rule add pref 150 prohibit
ip rule add pref 200 lookup 30
ip rule add pref 200 lookup 20
)");
    EXPECT_EQ(output(m, out_flow("10.20.1.1")).table, 30u);
    wstest::must_apply(m, "ip rule del pref 200 table 30");
    ASSERT_NE(rule_at(m, 100)->goto_index, dp::kNoGoto);
    auto d = output(m, out_flow("10.20.1.1"));
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 20u);
    wstest::must_apply(m, "ip rule del pref 200");
    EXPECT_EQ(rule_at(m, 100)->goto_index, dp::kNoGoto);
    EXPECT_EQ(output(m, out_flow("10.20.1.1")).error, EACCES);
}

TEST(RuleAction, SuppressPrefixlength) {
    const char* tables = R"(
ip route add 10.86.0.0/16 via 10.3.0.2 table 600
ip route add default via 192.0.2.254 table 600
)";
    auto plain = topology(tables);
    wstest::must_apply(plain, "ip rule add to 10.86.0.0/15 lookup 600");
    EXPECT_EQ(output(plain, out_flow("10.87.1.1")).gateway, wstest::v4("192.0.2.254"));  // control

    auto m = topology(tables);
    wstest::must_apply(m, "ip rule add to 10.86.0.0/15 lookup 600 suppress_prefixlength 0");
    auto d = output(m, out_flow("10.86.1.1"));
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 600u);
    EXPECT_EQ(d.gateway, wstest::v4("10.3.0.2"));
    d = output(m, out_flow("10.87.1.1"));  // the default route is suppressed: main decides
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 254u);
    EXPECT_EQ(d.gateway, wstest::v4("10.1.0.254"));

    auto n = topology(tables);
    wstest::must_apply(n, "ip rule add to 10.86.0.0/15 lookup 600 suppress_prefixlength 16");
    EXPECT_EQ(output(n, out_flow("10.86.1.1")).table, 254u);  // /16 <= 16: suppressed too
}

TEST(RuleAction, ErrorResultsAreNeverSuppressed) {
    auto m = topology(R"(
ip route add unreachable default table 601
ip rule add lookup 601 suppress_prefixlength 0
)");
    EXPECT_EQ(output(m, out_flow("8.8.8.8")).error, EHOSTUNREACH);
}

TEST(RuleAction, SuppressIfgroup) {
    auto m = topology(R"(
ip route add 10.86.0.0/16 via 10.3.0.2 table 600
ip rule add to 10.86.0.0/15 lookup 600 suppress_ifgroup 7
)");
    EXPECT_EQ(output(m, out_flow("10.86.1.1")).table, 600u);
    wstest::must_apply(m, "ip link set dummy2 group 7");
    auto d = output(m, out_flow("10.86.1.1"));
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 254u);
    wstest::must_apply(m, "ip link set dummy2 group 0");
    EXPECT_EQ(output(m, out_flow("10.86.1.1")).table, 600u);
}

TEST(RuleAction, LookupZeroAllocatesTheLowestUnusedTable) {
    auto m = topology();
    ASSERT_EQ(cmd_error(m, "ip rule add from 1.2.3.4 lookup 0"), "");
    EXPECT_EQ(rule_at(m, 32765)->table, 1u);
    wstest::must_apply(m, "ip route add 10.0.0.0/8 via 10.1.0.254 table 2");
    ASSERT_EQ(cmd_error(m, "ip rule add from 1.2.3.5 lookup unspec"), "");
    EXPECT_EQ(rule_at(m, 32764)->table, 3u);  // 1 was allocated, 2 exists
    EXPECT_EQ(ctl::format_rule_line(*rule_at(m, 32764), wstest::pc(m)), "32764:\tfrom 1.2.3.5 lookup 3");
}

TEST(RuleSelect, NotInvertsTheWholeRule) {
    auto m = topology(R"(
ip route add 10.55.0.0/16 via 10.3.0.2 table 5
ip rule add pref 100 not from 10.0.0.0/8 lookup 5
)");
    // `ip route get` without `from` has saddr 0: `from 10/8` fails, `not` makes it match.
    EXPECT_EQ(output(m, out_flow("10.55.1.1")).table, 5u);
    auto k = out_flow("10.55.1.1");
    k.saddr = wstest::v4("10.1.0.1");
    EXPECT_EQ(output(m, k).table, 254u);
    EXPECT_EQ(route_get(m, "10.55.1.1 from 10.1.0.1"), "10.55.1.1 from 10.1.0.1 via 10.1.0.254 dev dummy0 uid 0 \n    cache \n");
    EXPECT_EQ(ctl::format_rule_line(*rule_at(m, 100), wstest::pc(m)), "100:\tnot from 10.0.0.0/8 lookup 5");

    auto n = topology(R"(
ip route add 10.55.0.0/16 via 10.3.0.2 table 5
ip rule add pref 100 not iif lo lookup 5
)");
    EXPECT_EQ(output(n, out_flow("10.55.1.1")).table, 254u);  // output lookups carry iif lo
    EXPECT_EQ(route_get(n, "10.55.1.1 from 10.1.0.99 iif dummy0"),
              "10.55.1.1 from 10.1.0.99 via 10.3.0.2 dev dummy2 table 5 \n    cache iif dummy0 \n");
}

TEST(RuleSelect, DetachedIifNeverMatchesUntilTheDeviceAppears) {
    auto m = topology(R"(
ip route add 10.55.0.0/16 via 10.3.0.2 table 5
ip rule add pref 100 iif dummy9 lookup 5
ip rule add pref 101 oif dummy8 lookup 5
)");
    EXPECT_EQ(ctl::format_rule_line(*rule_at(m, 100), wstest::pc(m)), "100:\tfrom all iif dummy9 [detached] lookup 5");
    EXPECT_TRUE(rule_at(m, 100)->sel.get<sel::Iif>()->detached());
    wstest::must_apply(m, "ip link add dummy9 type dummy\nip link set dummy9 up");
    EXPECT_FALSE(rule_at(m, 100)->sel.get<sel::Iif>()->detached());
    EXPECT_EQ(rule_at(m, 100)->sel.get<sel::Iif>()->ifindex, wstest::ifindex(m, "dummy9"));
    EXPECT_EQ(ctl::format_rule_line(*rule_at(m, 100), wstest::pc(m)), "100:\tfrom all iif dummy9 lookup 5");
    EXPECT_EQ(route_get(m, "10.55.1.1 from 10.9.0.1 iif dummy9"),
              "10.55.1.1 from 10.9.0.1 via 10.3.0.2 dev dummy2 table 5 \n    cache iif dummy9 \n");
    EXPECT_TRUE(rule_at(m, 101)->sel.get<sel::Oif>()->detached());
}

TEST(RuleSelect, IifLoMatchesOutputLookupsOnly) {
    auto m = topology(R"(
ip rule add iif lo table 2 priority 500
ip route add 10.2.0.0/16 table 2 dev dummy1 src 10.1.0.1
)");
    EXPECT_EQ(output(m, out_flow("10.2.0.5")).table, 2u);
    EXPECT_EQ(route_get(m, "10.2.0.5 from 10.1.0.99 iif dummy0"),
              "10.2.0.5 from 10.1.0.99 via 10.1.0.254 dev dummy0 \n    cache <redirect> iif dummy0 \n");
}

TEST(RuleSelect, Ipv4RouteGetDefaultsToUdp) {
    auto m = topology(R"(
ip route add 10.98.0.0/16 via 10.3.0.2 table 7
ip rule add to 10.98.0.0/16 ipproto udp lookup 7
)");
    EXPECT_EQ(route_get(m, "10.98.0.1"), "10.98.0.1 via 10.3.0.2 dev dummy2 table 7 src 10.3.0.1 uid 0 \n    cache \n");
    EXPECT_EQ(route_get(m, "10.98.0.1 ipproto tcp"), "10.98.0.1 via 10.1.0.254 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n");
}

TEST(RuleSelect, UidrangeAndForwardedUidZero) {
    auto m = topology(R"(
ip route add 10.55.0.0/16 via 10.3.0.2 table 5
ip rule add uidrange 0-0 lookup 5
)");
    EXPECT_EQ(output(m, out_flow("10.55.1.1")).table, 5u);  // `ip route get` as root: uid 0
    EXPECT_NE(route_get(m, "10.55.1.1 uid 5").find("via 10.1.0.254"), std::string::npos);
    EXPECT_NE(route_get(m, "10.55.1.1 from 10.1.0.99 iif dummy0").find("table 5"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Delete and flush.

TEST(RuleModel, DeleteRemovesTheFirstMatchInListOrder) {
    ctl::Model m;
    wstest::must_apply(m, "ip rule add pref 200 from 10.2.0.0/16 table 5\nip rule add pref 100 from 10.1.0.0/16 table 5");
    ASSERT_EQ(cmd_error(m, "ip rule del table 5"), "");
    ASSERT_EQ(prefs(m), (std::vector<uint32_t>{0, 200, 32766, 32767}));
    // Given attributes must all match; the rest are wildcards.
    EXPECT_NE(cmd_error(m, "ip rule del pref 200 from 10.3.0.0/16"), "");
    EXPECT_EQ(cmd_error(m, "ip rule del from 10.2.0.0/16"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 32766, 32767}));
}

TEST(RuleModel, LocalRuleIsDeletable) {
    auto m = topology("ip rule add pref 100 to 203.0.113.0/24 lookup 5");
    EXPECT_EQ(route_get(m, "10.1.0.1").rfind("local ", 0), 0u);
    ASSERT_EQ(cmd_error(m, "ip rule del pref 0 table local"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{100, 32766, 32767}));
    // The local table is no longer consulted: main's connected route answers.
    EXPECT_EQ(route_get(m, "10.1.0.1"), "10.1.0.1 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n");
}

TEST(RuleModel, DeletingTheLocalRuleOfAFreshModelStopsLocalLookups) {
    // Regression: Model::rule_del (and rule_flush) once left FamilyModel::custom_rules unset, so while no rule
    // was ever *added* fib_lookup() keeps the merged local+main lookup and still answers from
    // the deleted local rule's table. The kernel's fib4_rule_delete() unmerges local/main and
    // sets fib_has_custom_rules = true; reference §1.1 ("every rule is deletable, including
    // pref 0 local") with the rule walk of §1.6.
    auto m = topology();
    ASSERT_EQ(cmd_error(m, "ip rule del pref 0 table local"), "");
    EXPECT_EQ(route_get(m, "10.1.0.1"), "10.1.0.1 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n");
}

TEST(RuleModel, FlushOfAFreshModelLeavesOnlyLocal) {
    // Regression, same cause as above. Reference §1.1 [OBS]: after `ip rule flush` only
    // `0: from all lookup local` is left and main/default are gone, so `ip route get 8.8.8.8`
    // is "Network is unreachable"; the model still routes it through main's default route.
    auto m = topology();
    ASSERT_EQ(cmd_error(m, "ip rule flush"), "");
    ASSERT_EQ(prefs(m), (std::vector<uint32_t>{0}));
    EXPECT_EQ(route_get(m, "8.8.8.8"), "RTNETLINK answers: Network is unreachable\n");
}

TEST(RuleModel, FlushKeepsOnlyPrefZero) {
    auto m = topology(R"(
ip rule add pref 0 from 1.1.1.1 lookup 7
ip rule add pref 100 lookup 8
ip -6 rule add pref 100 lookup 8
)");
    EXPECT_EQ(output(m, out_flow("8.8.8.8")).error, 0);
    ASSERT_EQ(cmd_error(m, "ip rule flush"), "");
    EXPECT_EQ(prefs(m), (std::vector<uint32_t>{0, 0}));
    EXPECT_EQ(tables(m), (std::vector<uint32_t>{255, 7}));
    // main and default are gone: nothing decides.
    EXPECT_EQ(output(m, out_flow("8.8.8.8")).error, ENETUNREACH);
    EXPECT_EQ(route_get(m, "10.1.0.1").rfind("local 10.1.0.1 dev lo table local", 0), 0u);
    EXPECT_EQ(prefs(m, ws::Family::kInet6), (std::vector<uint32_t>{0, 100, 32766}));  // other family untouched
    ASSERT_EQ(cmd_error(m, "ip -6 rule flush"), "");
    EXPECT_EQ(prefs(m, ws::Family::kInet6), (std::vector<uint32_t>{0}));
    EXPECT_NE(cmd_error(m, "ip rule flush table 5"), "");  // takes no arguments
}

}  // namespace
