// dataplane/tables/route.h, route_decision.h, control/model (routes): route types and their
// errnos, add/append/prepend/replace/del, the lookup inside one table, multipath, oif and source
// selection (reference §2 and §3). Invalid input first.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

using wstest::cmd_error;
using wstest::output;
using wstest::out_flow;
using wstest::route_get;
using wstest::topology;
using wstest::v4;

// The aliases of one prefix in a table of the model, in Linux order.
std::vector<const dp::Route*> aliases(const ctl::Model& m, uint32_t table, std::string_view prefix) {
    std::vector<const dp::Route*> out;
    auto p = wstest::pfx(prefix);
    auto it = m.v4.tables.find(table);
    if (it == m.v4.tables.end()) return out;
    auto h = it->second.first(p.addr);
    while (it->second.valid(h) && it->second.prefixlen(h) > p.len) h = it->second.next(p.addr, h);
    if (!it->second.valid(h) || it->second.prefixlen(h) != p.len) return out;
    for (const auto& r : it->second.routes(h)) out.push_back(&r);
    return out;
}

std::vector<std::string> gateways(const ctl::Model& m, uint32_t table, std::string_view prefix) {
    std::vector<std::string> out;
    for (const auto* r : aliases(m, table, prefix)) out.push_back(r->nh.empty() ? "-" : r->nh[0].gw.format());
    return out;
}

std::string gateway_for(const ctl::Model& m, sel::FlowKey k) {
    auto d = output(m, k);
    if (d.error) return "errno " + std::to_string(d.error);
    return d.gateway.valid() ? d.gateway.format() : "direct";
}

sel::FlowKey tos_flow(std::string_view dst, uint8_t tos) {
    auto k = out_flow(dst);
    k.tos = tos;
    return k;
}

// ---------------------------------------------------------------------------------------------
// Invalid input.

TEST(RouteInvalid, PrefixWithHostBits) {
    auto m = topology();
    EXPECT_NE(cmd_error(m, "ip route add 10.1.2.3/16 dev dummy0").find("Invalid prefix for given prefix length"),
              std::string::npos);
    EXPECT_NE(cmd_error(m, "ip route add 10.60.0.1/0 via 10.1.0.254").find("Invalid prefix"), std::string::npos);
    EXPECT_EQ(cmd_error(m, "ip route add 10.1.2.3/32 dev dummy0"), "");
}

TEST(RouteInvalid, ParseErrors) {
    auto m = topology();
    for (const char* bad : {"ip route add", "ip route add dev dummy0", "ip route add 10.5.0.0/33 dev dummy0",
                            "ip route add 10.5.0.0/16 frobnicate", "ip route add 10.5.0.0/16 10.6.0.0/16",
                            "ip route add 10.5.0.0/16 via", "ip route add 10.5.0.0/16 via 10.1.0.300",
                            "ip route add 10.5.0.0/16 dev dummy0 metric x", "ip route add 10.5.0.0/16 dev dummy0 table x",
                            "ip route add 10.5.0.0/16 dev dummy0 table 4294967296",
                            "ip route add 10.5.0.0/16 dev dummy0 scope universe",
                            "ip route add 10.5.0.0/16 via 10.1.0.254 nexthop via 10.3.0.2",
                            "ip route add 10.5.0.0/16 nexthop via 10.1.0.254 frob 1",
                            "ip route frobnicate 10.5.0.0/16 dev dummy0"})
        EXPECT_NE(cmd_error(m, bad), "") << "accepted: " << bad;
    EXPECT_TRUE(aliases(m, 254, "10.5.0.0/16").empty());
}

TEST(RouteInvalid, UnknownDevice) {
    auto m = topology();
    auto st = ctl::apply_command(m, "ip route add 10.5.0.0/16 dev nosuch");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ws::Errc::kNoDevice);
    EXPECT_EQ(st.error().message, "Cannot find device \"nosuch\"");
}

TEST(RouteInvalid, GatewayMustBeOnLink) {
    auto m = topology("ip route add 10.60.0.0/16 via 10.3.0.2");
    const std::string err = "Nexthop has invalid gateway";
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 via 10.99.0.1").find(err), std::string::npos);
    // On-link, but not on the given device.
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 via 10.3.0.2 dev dummy0").find(err), std::string::npos);
    // Reachable only through another gateway.
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 via 10.60.1.1").find(err), std::string::npos);
    // A local address is no gateway for an onlink nexthop; neither is a multicast one.
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 via 10.1.0.1 dev dummy0 onlink").find(err), std::string::npos);
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 via 224.0.0.1 dev dummy0 onlink").find(err), std::string::npos);
    // The connected gateway works, with or without the device named.
    EXPECT_EQ(cmd_error(m, "ip route add 10.5.0.0/16 via 10.3.0.2 dev dummy2"), "");
    EXPECT_EQ(cmd_error(m, "ip route add 10.6.0.0/16 via 192.0.2.254"), "");
    auto six = aliases(m, 254, "10.6.0.0/16");
    ASSERT_EQ(six.size(), 1u);
    ASSERT_EQ(six[0]->nh.size(), 1u);
    EXPECT_EQ(six[0]->nh[0].ifindex, wstest::ifindex(m, "dummy1"));
}

TEST(RouteInvalid, Ipv6GatewayOnAConnectedPrefixIsValid) {
    // Regression: an IPv6 gateway on a connected /64 was once rejected with "Nexthop has invalid gateway".
    // Reference §3.3 (IPv6): with dummy2 2001:db8:3::1/64, the route `2001:db8:50::/48 via
    // 2001:db8:3::2 [dev dummy2] table 100` exists and answers `ip -6 route get ... mark 1`.
    // check_gateway() asks for a route of at least link scope, but IPv6 connected routes have
    // scope global (the IPv4 fib_check_nh_v4_gw rule applied to IPv6).
    auto m = topology("ip -6 addr add 2001:db8:3::1/64 dev dummy2");
    EXPECT_EQ(cmd_error(m, "ip -6 route add 2001:db8:50::/48 via 2001:db8:3::2 dev dummy2 table 100"), "");
    EXPECT_EQ(cmd_error(m, "ip -6 route add 2001:db8:51::/48 via 2001:db8:3::2 table 100"), "");
}

TEST(RouteInvalid, Prefsrc) {
    auto m = topology();
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 dev dummy0 src 10.9.9.9").find("Invalid prefsrc address"),
              std::string::npos);
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 dev dummy0 src 10.1.0.254").find("Invalid prefsrc address"),
              std::string::npos);
    // Any local address will do, on any device.
    EXPECT_EQ(cmd_error(m, "ip route add 10.5.0.0/16 dev dummy0 src 192.0.2.1"), "");
    EXPECT_EQ(cmd_error(m, "ip route add 10.5.0.0/16 dev dummy1 table 7 src 10.3.0.1"), "");
}

TEST(RouteInvalid, TosAndScopeAndTypes) {
    auto m = topology();
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 dev dummy0 tos 0x01").find("ECN bits must be 0"), std::string::npos);
    EXPECT_NE(cmd_error(m, "ip -6 route add 2001:db8:5::/48 dev dummy0 tos 0x20").find("not available for IPv6"),
              std::string::npos);
    EXPECT_NE(cmd_error(m, "ip route add local 172.16.7.0/24 dev lo scope global").find("Invalid scope"), std::string::npos);
    EXPECT_NE(cmd_error(m, "ip route add blackhole 172.16.3.0/24 dev dummy0").find("can not be specified"),
              std::string::npos);
    EXPECT_NE(cmd_error(m, "ip route add unreachable 172.16.3.0/24 via 10.1.0.254").find("can not be specified"),
              std::string::npos);
    // High tos bits are accepted for routes (they just never match, §2.2).
    EXPECT_EQ(cmd_error(m, "ip route add 10.5.0.0/16 dev dummy0 tos 0x20"), "");
}

TEST(RouteInvalid, DevicesMustBeUp) {
    auto m = topology("ip link add dummy5 type dummy");
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 dev dummy5").find("not up"), std::string::npos);
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 via 10.99.0.1 dev dummy5 onlink").find("not up"), std::string::npos);
    EXPECT_NE(cmd_error(m, "ip route add 10.5.0.0/16 via 10.99.0.1 onlink"), "");  // onlink needs a device
}

TEST(RouteInvalid, MultipathWeightBounds) {
    auto m = topology();
    EXPECT_NE(cmd_error(m, "ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight 257 nexthop via 10.3.0.2"), "");
    EXPECT_NE(cmd_error(m, "ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight 0 nexthop via 10.3.0.2"), "");
    EXPECT_NE(cmd_error(m, "ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight x"), "");
    EXPECT_NE(cmd_error(m, "ip route add 10.80.0.0/16 nexthop via 10.1.0.254 nexthop via 10.99.0.1"), "");  // bad gw
    EXPECT_TRUE(aliases(m, 254, "10.80.0.0/16").empty());
    EXPECT_EQ(cmd_error(m, "ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight 256 nexthop via 10.3.0.2 weight 1"), "");
}

// ---------------------------------------------------------------------------------------------
// Route types (§2.1).

TEST(RouteType, EveryTypeResultAndErrno) {
    auto m = topology(R"(
ip route add 10.50.0.0/16 via 10.3.0.2
ip route add unreachable 172.16.1.0/24
ip route add prohibit 172.16.2.0/24
ip route add blackhole 172.16.3.0/24
ip route add throw 172.16.4.0/24 table 200
ip route add 172.16.4.0/24 via 10.3.0.2
ip route add local 172.16.7.0/24 dev lo table 200
ip rule add pref 100 lookup 200
)");
    auto d = output(m, out_flow("10.50.1.1"));
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.type, dp::RouteType::kUnicast);
    EXPECT_EQ(d.gateway, v4("10.3.0.2"));
    EXPECT_EQ(d.dev, wstest::ifindex(m, "dummy2"));

    EXPECT_EQ(output(m, out_flow("172.16.1.1")).error, EHOSTUNREACH);  // route unreachable: EHOSTUNREACH
    EXPECT_EQ(output(m, out_flow("172.16.2.1")).error, EACCES);
    EXPECT_EQ(output(m, out_flow("172.16.3.1")).error, EINVAL);
    EXPECT_EQ(route_get(m, "172.16.1.1"), "RTNETLINK answers: No route to host\n");
    EXPECT_EQ(route_get(m, "172.16.2.1"), "RTNETLINK answers: Permission denied\n");
    EXPECT_EQ(route_get(m, "172.16.3.1"), "RTNETLINK answers: Invalid argument\n");

    d = output(m, out_flow("172.16.4.1"));  // throw: the rule walk goes on to main
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.table, 254u);
    EXPECT_EQ(d.gateway, v4("10.3.0.2"));

    d = output(m, out_flow("172.16.7.9"));
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.type, dp::RouteType::kLocal);
    EXPECT_EQ(d.table, 200u);
    EXPECT_EQ(d.dev, 1u);
    EXPECT_EQ(route_get(m, "172.16.7.9"), "local 172.16.7.9 dev lo table 200 src 172.16.7.9 uid 0 \n    cache <local> \n");
}

TEST(RouteType, ThrowWithoutAnyOtherRouteIsNetworkUnreachable) {
    auto m = topology(R"(
ip route add throw 172.16.5.0/24 table 200
ip rule add pref 100 lookup 200
ip route del default
)");
    EXPECT_EQ(output(m, out_flow("172.16.5.1")).error, ENETUNREACH);
    EXPECT_EQ(route_get(m, "172.16.5.1"), "RTNETLINK answers: Network is unreachable\n");
    EXPECT_EQ(output(m, out_flow("8.8.8.8")).error, ENETUNREACH);
}

TEST(RouteType, ErrorRoutesTerminateTheRuleWalk) {
    auto m = topology(R"(
ip route add unreachable 172.16.8.0/24 table 200
ip route add 172.16.8.0/24 via 10.3.0.2
ip rule add pref 100 lookup 200
)");
    EXPECT_EQ(output(m, out_flow("172.16.8.1")).error, EHOSTUNREACH);
}

TEST(RouteType, ErrorAliasWithLowerMetricBeatsUnicast) {
    auto m = topology(R"(
ip route add unreachable 172.16.9.0/24 metric 10
ip route add 172.16.9.0/24 via 10.3.0.2 metric 20
ip route add 172.16.10.0/24 via 10.3.0.2 metric 10
ip route add prohibit 172.16.10.0/24 metric 20
)");
    EXPECT_EQ(output(m, out_flow("172.16.9.1")).error, EHOSTUNREACH);
    auto d = output(m, out_flow("172.16.10.1"));
    EXPECT_EQ(d.error, 0);
    EXPECT_EQ(d.gateway, v4("10.3.0.2"));
}

// ---------------------------------------------------------------------------------------------
// add / append / prepend / replace / del (§2.3).

TEST(RouteModify, AddOfAnExistingKeyIsEexist) {
    auto m = topology("ip route add 10.60.0.0/16 via 10.3.0.2");
    auto st = ctl::apply_command(m, "ip route add 10.60.0.0/16 via 10.3.0.3");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ws::Errc::kExists);
    EXPECT_NE(cmd_error(m, "ip route add 0.0.0.0/0 via 10.3.0.2"), "");  // the same key as `default`
    EXPECT_NE(cmd_error(m, "ip route add 10.60.0.0/16 via 10.3.0.2"), "");
    // Another metric or tos is another key.
    EXPECT_EQ(cmd_error(m, "ip route add 10.60.0.0/16 via 10.3.0.3 metric 5"), "");
    EXPECT_EQ(cmd_error(m, "ip route add 10.60.0.0/16 via 10.3.0.3 tos 0x10"), "");
    EXPECT_EQ(cmd_error(m, "ip route add 10.60.0.0/16 via 10.3.0.3 table 5"), "");  // another table
    EXPECT_EQ(gateways(m, 254, "10.60.0.0/16"), (std::vector<std::string>{"10.3.0.3", "10.3.0.2", "10.3.0.3"}));
}

TEST(RouteModify, AppendPrependReplace) {
    auto m = topology(R"(
ip route add 10.60.0.0/16 via 10.3.0.2
ip route add 10.60.0.0/16 via 10.3.0.3 metric 5
ip route append 10.60.0.0/16 via 10.3.0.4
)");
    EXPECT_EQ(gateways(m, 254, "10.60.0.0/16"), (std::vector<std::string>{"10.3.0.2", "10.3.0.4", "10.3.0.3"}));
    EXPECT_EQ(gateway_for(m, out_flow("10.60.1.1")), "10.3.0.2");  // an appended alias is a backup
    EXPECT_NE(cmd_error(m, "ip route append 10.60.0.0/16 via 10.3.0.4"), "");  // an exact duplicate
    ASSERT_EQ(cmd_error(m, "ip route prepend 10.60.0.0/16 via 10.3.0.5"), "");
    EXPECT_EQ(gateways(m, 254, "10.60.0.0/16"),
              (std::vector<std::string>{"10.3.0.5", "10.3.0.2", "10.3.0.4", "10.3.0.3"}));
    EXPECT_EQ(gateway_for(m, out_flow("10.60.1.1")), "10.3.0.5");
    // replace: the first alias of the key.
    ASSERT_EQ(cmd_error(m, "ip route replace 10.60.0.0/16 via 10.3.0.6"), "");
    EXPECT_EQ(gateways(m, 254, "10.60.0.0/16"),
              (std::vector<std::string>{"10.3.0.6", "10.3.0.2", "10.3.0.4", "10.3.0.3"}));
    EXPECT_EQ(gateway_for(m, out_flow("10.60.1.1")), "10.3.0.6");
    // replace with the first alias itself: nothing to do; with a later identical alias: EEXIST.
    EXPECT_EQ(cmd_error(m, "ip route replace 10.60.0.0/16 via 10.3.0.6"), "");
    EXPECT_NE(cmd_error(m, "ip route replace 10.60.0.0/16 via 10.3.0.4"), "");
    ASSERT_EQ(cmd_error(m, "ip route replace 10.60.0.0/16 via 10.3.0.7 metric 5"), "");
    EXPECT_EQ(gateways(m, 254, "10.60.0.0/16"),
              (std::vector<std::string>{"10.3.0.6", "10.3.0.2", "10.3.0.4", "10.3.0.7"}));
    // replace of a missing key adds it.
    ASSERT_EQ(cmd_error(m, "ip route replace 10.61.0.0/16 via 10.3.0.2"), "");
    EXPECT_EQ(gateways(m, 254, "10.61.0.0/16"), (std::vector<std::string>{"10.3.0.2"}));
}

TEST(RouteModify, Delete) {
    auto m = topology(R"(
ip route add 10.60.0.0/16 via 10.3.0.2
ip route append 10.60.0.0/16 via 10.3.0.4
ip route add 10.60.0.0/16 via 10.3.0.3 metric 5
ip route add 10.60.0.0/16 via 10.3.0.8 tos 0x10
)");
    auto st = ctl::apply_command(m, "ip route del 10.60.0.0/16 via 10.3.0.9");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ws::Errc::kNotFound);
    EXPECT_NE(cmd_error(m, "ip route del 10.60.0.0/16 metric 6"), "");
    EXPECT_NE(cmd_error(m, "ip route del 10.60.0.0/16 tos 0x08"), "");
    EXPECT_NE(cmd_error(m, "ip route del 10.60.0.0/16 table 5"), "");
    EXPECT_NE(cmd_error(m, "ip route del 10.60.0.0/16 type unreachable"), "");
    EXPECT_EQ(aliases(m, 254, "10.60.0.0/16").size(), 4u);
    EXPECT_EQ(cmd_error(m, "ip route del 10.60.0.0/16 via 10.3.0.4"), "");  // the given nexthop
    EXPECT_EQ(cmd_error(m, "ip route del 10.60.0.0/16 metric 5"), "");
    EXPECT_EQ(cmd_error(m, "ip route del 10.60.0.0/16 tos 0x10"), "");
    EXPECT_EQ(gateways(m, 254, "10.60.0.0/16"), (std::vector<std::string>{"10.3.0.2"}));
    EXPECT_EQ(cmd_error(m, "ip route del 10.60.0.0/16"), "");  // tos 0, any metric
    EXPECT_TRUE(aliases(m, 254, "10.60.0.0/16").empty());
    EXPECT_NE(cmd_error(m, "ip route del 10.60.0.0/16"), "");
    EXPECT_EQ(gateway_for(m, out_flow("10.60.1.1")), "10.1.0.254");
}

// ---------------------------------------------------------------------------------------------
// The lookup inside one table (§2.4).

const char* kTosTable = R"(
ip route add 10.70.0.0/16 via 10.3.0.2 metric 100
ip route add 10.70.0.0/16 via 10.3.0.3 metric 50
ip route add 10.70.0.0/16 tos 0x10 via 192.0.2.254 metric 200
ip route add 10.70.0.0/16 tos CS1 via 192.0.2.253 metric 300
)";

TEST(RouteLookup, AliasOrderIsTosDescendingThenMetric) {
    auto m = topology(kTosTable);
    std::vector<int> tos, metric;
    for (const auto* r : aliases(m, 254, "10.70.0.0/16")) {
        tos.push_back(r->tos);
        metric.push_back(int(r->metric));
    }
    EXPECT_EQ(tos, (std::vector<int>{0x20, 0x10, 0, 0}));
    EXPECT_EQ(metric, (std::vector<int>{300, 200, 50, 100}));
    // The compiled table keeps the order.
    auto r = ctl::compile_routing(m);
    const dp::Fib* fib = r->v4.table(254);
    ASSERT_NE(fib, nullptr);
    auto h = fib->lpm(v4("10.70.1.1"));
    ASSERT_TRUE(fib->valid(h));
    std::vector<int> ctos;
    for (const auto& a : fib->routes(h)) ctos.push_back(a.tos);
    EXPECT_EQ(ctos, tos);
}

TEST(RouteLookup, TosSpecificRouteBeatsTosZero) {
    auto m = topology(kTosTable);
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.1.1", 0x10)), "192.0.2.254");
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.1.1", 0x30)), "192.0.2.254");  // masked with 0x1C
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.1.1", 0x12)), "192.0.2.254");
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.1.1", 0x14)), "10.3.0.3");
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.1.1", 0x20)), "10.3.0.3");  // the CS1 route never matches
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.1.1", 0x00)), "10.3.0.3");  // lowest metric of tos 0
    // The echoed tos is the matched route's.
    EXPECT_EQ(route_get(m, "10.70.1.1 tos 0x30"),
              "10.70.1.1 tos 0x10 via 192.0.2.254 dev dummy1 src 192.0.2.1 uid 0 \n    cache \n");
    EXPECT_EQ(route_get(m, "10.70.1.1 tos 0x14"), "10.70.1.1 via 10.3.0.3 dev dummy2 src 10.3.0.1 uid 0 \n    cache \n");
}

TEST(RouteLookup, MoreSpecificPrefixWinsAndBacktracks) {
    auto m = topology(std::string(kTosTable) + R"(
ip route add 10.70.1.0/24 via 10.1.0.253 metric 1000
ip route add 10.70.2.0/24 tos 0x08 via 10.1.0.252
)");
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.1.1", 0x10)), "10.1.0.253");  // longer prefix beats tos match
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.2.1", 0x08)), "10.1.0.252");
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.2.1", 0x00)), "10.3.0.3");     // /24 fails tos: back to /16
    EXPECT_EQ(gateway_for(m, tos_flow("10.70.2.1", 0x10)), "192.0.2.254");
    EXPECT_EQ(gateway_for(m, tos_flow("10.71.0.1", 0x08)), "10.1.0.254");   // down to the default
    // oif: a prefix whose nexthops are all on other devices is skipped too.
    auto k = out_flow("10.70.1.1");
    k.oif = wstest::ifindex(m, "dummy2");
    EXPECT_EQ(gateway_for(m, k), "10.3.0.3");
}

TEST(RouteLookup, DeadNexthopsFallThrough) {
    auto m = topology(R"(
ip route add 10.71.0.0/16 nexthop via 10.3.0.2 nexthop via 10.3.0.3
ip route add 10.71.0.0/16 via 10.1.0.253 metric 10
)");
    EXPECT_EQ(output(m, out_flow("10.71.0.1")).dev, wstest::ifindex(m, "dummy2"));
    wstest::must_apply(m, "ip link set dummy2 down");
    auto d = output(m, out_flow("10.71.0.1"));  // both nexthops dead: the next alias
    ASSERT_EQ(d.error, 0);
    EXPECT_EQ(d.gateway, v4("10.1.0.253"));
}

// ---------------------------------------------------------------------------------------------
// Multipath (§2.6).

TEST(Multipath, RebalanceUpperBounds) {
    auto bounds = [](std::vector<std::pair<uint16_t, bool>> nhs) {
        dp::Route r;
        for (auto [w, dead] : nhs) {
            dp::Nexthop nh;
            nh.weight = w;
            nh.flags = dead ? dp::kNhDead : 0;
            r.nh.push_back(nh);
        }
        dp::rebalance(r);
        std::vector<int64_t> out;
        for (const auto& nh : r.nh) out.push_back(nh.upper_bound);
        return out;
    };
    using V = std::vector<int64_t>;
    EXPECT_EQ(bounds({{1, false}}), (V{2147483647}));
    EXPECT_EQ(bounds({{256, false}}), (V{2147483647}));
    EXPECT_EQ(bounds({{1, false}, {1, false}}), (V{1073741823, 2147483647}));
    EXPECT_EQ(bounds({{2, false}, {1, false}}), (V{1431655764, 2147483647}));
    EXPECT_EQ(bounds({{1, false}, {1, false}, {1, false}}), (V{715827882, 1431655764, 2147483647}));
    EXPECT_EQ(bounds({{1, false}, {2, false}, {3, false}}), (V{357913940, 1073741823, 2147483647}));
    EXPECT_EQ(bounds({{256, false}, {256, false}, {1, false}}), (V{1071648759, 2143297519, 2147483647}));
    EXPECT_EQ(bounds({{1, true}, {1, false}}), (V{-1, 2147483647}));
    EXPECT_EQ(bounds({{3, false}, {5, true}, {1, false}}), (V{1610612735, -1, 2147483647}));
    EXPECT_EQ(bounds({{1, true}, {1, true}}), (V{-1, -1}));
}

TEST(Multipath, ModelComputesBoundsAndOutputPicksByWeight) {
    auto m = topology("ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight 2 nexthop via 10.3.0.2 weight 1");
    auto a = aliases(m, 254, "10.80.0.0/16");
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(a[0]->nh.size(), 2u);
    EXPECT_TRUE(a[0]->multipath);
    EXPECT_EQ(a[0]->nh[0].upper_bound, 1431655764);
    EXPECT_EQ(a[0]->nh[1].upper_bound, 2147483647);
    const uint32_t d0 = wstest::ifindex(m, "dummy0"), d2 = wstest::ifindex(m, "dummy2");
    auto r = ctl::compile_routing(m);
    std::map<uint32_t, int> count;
    for (uint32_t i = 0; i < 3000; ++i) {
        sel::FlowKey k = out_flow("10.80.0.0");
        k.daddr = ws::InetAddr::v4(0x0a500000u + i * 7);
        auto d = dp::route_output(*r, k);
        ASSERT_EQ(d.error, 0);
        ++count[d.dev];
        if (d.dev == d0) {
            EXPECT_EQ(d.gateway, v4("10.1.0.254"));
        } else {
            EXPECT_EQ(d.gateway, v4("10.3.0.2"));
        }
        // The choice is the first live nexthop whose bound holds the hash.
        uint32_t h = dp::multipath_hash(k);
        EXPECT_EQ(d.dev, int64_t(h) <= 1431655764 ? d0 : d2);
    }
    EXPECT_EQ(count.size(), 2u);
    ASSERT_GT(count[d2], 0);
    const double ratio = double(count[d0]) / count[d2];
    EXPECT_GT(ratio, 1.6);
    EXPECT_LT(ratio, 2.5);
}

TEST(Multipath, SourceAddressPrefersItsNexthop) {
    auto m = topology("ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight 2 nexthop via 10.3.0.2 weight 1");
    auto r = ctl::compile_routing(m);
    for (uint32_t i = 0; i < 60; ++i) {
        sel::FlowKey k = out_flow("10.80.0.0");
        k.daddr = ws::InetAddr::v4(0x0a500000u + i * 131);
        k.saddr = v4("10.3.0.1");
        EXPECT_EQ(dp::route_output(*r, k).dev, wstest::ifindex(m, "dummy2"));
        k.saddr = v4("10.1.0.1");
        EXPECT_EQ(dp::route_output(*r, k).dev, wstest::ifindex(m, "dummy0"));
    }
}

// The egress devices of 1,000 flows to 10.80.0.0/16 (destinations spread over the prefix).
std::map<uint32_t, int> multipath_spread(const ctl::Model& m) {
    auto r = ctl::compile_routing(m);
    std::map<uint32_t, int> count;
    for (uint32_t i = 0; i < 1000; ++i) {
        sel::FlowKey k = out_flow("10.80.0.0");
        k.daddr = ws::InetAddr::v4(0x0a500000u + i * 13);
        auto d = dp::route_output(*r, k);
        EXPECT_EQ(d.error, 0);
        ++count[d.dev];
    }
    return count;
}

TEST(Multipath, OnlyLiveNexthopsArePicked) {
    auto m = topology("ip route add 10.80.0.0/16 nexthop via 10.1.0.254 nexthop via 10.3.0.2 nexthop via 192.0.2.254");
    wstest::must_apply(m, "ip link set dummy2 down");
    auto a = aliases(m, 254, "10.80.0.0/16");
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0]->nh[1].upper_bound, -1);
    EXPECT_TRUE(a[0]->nh[1].flags & dp::kNhDead);
    EXPECT_EQ(a[0]->nh[0].upper_bound, 1073741823);
    EXPECT_EQ(a[0]->nh[2].upper_bound, 2147483647);
    auto count = multipath_spread(m);
    EXPECT_EQ(count.count(wstest::ifindex(m, "dummy2")), 0u);
    EXPECT_GT(count[wstest::ifindex(m, "dummy0")], 0);
    EXPECT_GT(count[wstest::ifindex(m, "dummy1")], 0);
}

// Carrier loss (reference §2.7): nexthops flagged linkdown and still used, unless
// ignore_routes_with_linkdown is set for the device (or all) before the loss.

TEST(Carrier, LinkdownNexthopsStayInUseByDefault) {
    auto m = topology("ip route add 10.80.0.0/16 nexthop via 10.1.0.254 nexthop via 10.3.0.2");
    ASSERT_TRUE(m.link_set_carrier("dummy2", false).ok());
    auto a = aliases(m, 254, "10.80.0.0/16");
    ASSERT_EQ(a.size(), 1u);
    EXPECT_TRUE(a[0]->nh[1].flags & dp::kNhLinkdown);
    EXPECT_FALSE(a[0]->nh[1].flags & dp::kNhUnusable);
    EXPECT_EQ(a[0]->nh[1].upper_bound, 2147483647);
    EXPECT_GT(multipath_spread(m)[wstest::ifindex(m, "dummy2")], 0);
    EXPECT_EQ(route_get(m, "10.3.0.9"), "10.3.0.9 dev dummy2 src 10.3.0.1 uid 0 \n    cache \n");
}

TEST(Carrier, IgnoredLinkdownFailsOverAndComesBack) {
    auto m = topology("sysctl -w net.ipv4.conf.dummy2.ignore_routes_with_linkdown=1\n"
                      "ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight 3 nexthop via 10.3.0.2 weight 1");
    const uint32_t d0 = wstest::ifindex(m, "dummy0"), d2 = wstest::ifindex(m, "dummy2");
    auto before = multipath_spread(m);
    EXPECT_GT(before[d2], 150);  // about a quarter
    EXPECT_GT(before[d0], 600);
    ASSERT_TRUE(m.link_set_carrier("dummy2", false).ok());
    auto a = aliases(m, 254, "10.80.0.0/16");
    EXPECT_EQ(a[0]->nh[1].upper_bound, -1);
    EXPECT_EQ(a[0]->nh[0].upper_bound, 2147483647);
    auto after = multipath_spread(m);
    EXPECT_EQ(after.count(d2), 0u);
    EXPECT_EQ(after[d0], 1000);
    // A single route through the link is passed over: the lookup falls through to the default.
    EXPECT_EQ(route_get(m, "10.3.0.9"), "10.3.0.9 via 10.1.0.254 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n");
    EXPECT_NE(wstest::query(m, "ip route show 10.80.0.0/16").out.find("nexthop via 10.3.0.2 dev dummy2 weight 1 dead linkdown"), std::string::npos)
        << wstest::query(m, "ip route show 10.80.0.0/16").out;
    ASSERT_TRUE(m.link_set_carrier("dummy2", true).ok());
    EXPECT_EQ(multipath_spread(m), before);
    EXPECT_EQ(route_get(m, "10.3.0.9"), "10.3.0.9 dev dummy2 src 10.3.0.1 uid 0 \n    cache \n");
}

TEST(Carrier, SysctlAfterTheLossSkipsSingleRoutesButKeepsTheBounds) {
    auto m = topology("ip route add 10.80.0.0/16 nexthop via 10.1.0.254 nexthop via 10.3.0.2");
    ASSERT_TRUE(m.link_set_carrier("dummy2", false).ok());
    wstest::must_apply(m, "sysctl -w net.ipv4.conf.all.ignore_routes_with_linkdown=1");
    EXPECT_EQ(route_get(m, "10.3.0.9"), "10.3.0.9 via 10.1.0.254 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n");
    EXPECT_EQ(aliases(m, 254, "10.80.0.0/16")[0]->nh[1].upper_bound, 2147483647);  // fib_rebalance() not rerun
}

TEST(Carrier, AdminUpRevivesDeadNexthops) {
    auto m = topology("ip route add 10.80.0.0/16 nexthop via 10.1.0.254 nexthop via 10.3.0.2");
    wstest::must_apply(m, "ip link set dummy2 down");
    EXPECT_EQ(aliases(m, 254, "10.80.0.0/16")[0]->nh[1].upper_bound, -1);
    wstest::must_apply(m, "ip link set dummy2 up");
    auto a = aliases(m, 254, "10.80.0.0/16");
    EXPECT_FALSE(a[0]->nh[1].flags & (dp::kNhDead | dp::kNhLinkdown));
    EXPECT_EQ(a[0]->nh[1].upper_bound, 2147483647);
}

TEST(Carrier, Ipv6SiblingsRebalanceAsOneGroup) {
    auto m = topology("sysctl -w net.ipv6.conf.all.ignore_routes_with_linkdown=1\n"
                      "ip -6 addr add 2001:db8:1::1/64 dev dummy0\n"
                      "ip -6 addr add 2001:db8:2::1/64 dev dummy1\n"
                      "ip -6 addr add 2001:db8:3::1/64 dev dummy2\n"
                      "ip -6 route add 2001:db8:80::/48 via 2001:db8:1::fe\n"
                      "ip -6 route append 2001:db8:80::/48 via 2001:db8:3::fe\n"
                      "ip -6 route append 2001:db8:80::/48 via 2001:db8:2::fe");
    const uint32_t d0 = wstest::ifindex(m, "dummy0"), d1 = wstest::ifindex(m, "dummy1"), d2 = wstest::ifindex(m, "dummy2");
    auto spread = [&] {
        auto r = ctl::compile_routing(m);
        std::map<uint32_t, int> count;
        for (uint32_t i = 0; i < 400; ++i) {
            sel::FlowKey k;
            k.daddr = wstest::v6("2001:db8:80::1");
            k.daddr.b[15] = uint8_t(i);
            k.daddr.b[14] = uint8_t(i >> 8);
            k.saddr = ws::InetAddr::zero(ws::Family::kInet6);
            k.proto = 17;
            auto d = dp::route_output(*r, k);
            EXPECT_EQ(d.error, 0);
            ++count[d.dev];
        }
        return count;
    };
    auto before = spread();  // a third each
    for (uint32_t d : {d0, d1, d2}) EXPECT_GT(before[d], 90) << d;
    ASSERT_TRUE(m.link_set_carrier("dummy2", false).ok());
    auto after = spread();  // the two live siblings share the whole hash range
    EXPECT_EQ(after.count(d2), 0u);
    EXPECT_GT(after[d0], 160);
    EXPECT_GT(after[d1], 160);
    ASSERT_TRUE(m.link_set_carrier("dummy2", true).ok());
    EXPECT_EQ(spread(), before);
}

TEST(Carrier, RoutesAddedWithoutCarrierStartLinkdown) {
    // Checked against Linux (a veth whose peer is down): the connected route of a new address
    // and a route added through the link both show linkdown; with the sysctl, dead linkdown.
    auto m = topology();
    ASSERT_TRUE(m.link_set_carrier("dummy2", false).ok());
    wstest::must_apply(m, "ip route add 10.81.0.0/16 via 10.3.0.2\nip addr add 10.4.0.1/24 dev dummy2");
    EXPECT_EQ(wstest::query(m, "ip route show 10.81.0.0/16").out, "10.81.0.0/16 via 10.3.0.2 dev dummy2 linkdown \n");
    EXPECT_EQ(wstest::query(m, "ip route show 10.4.0.0/24").out,
              "10.4.0.0/24 dev dummy2 proto kernel scope link src 10.4.0.1 linkdown \n");
    wstest::must_apply(m, "sysctl -w net.ipv4.conf.dummy2.ignore_routes_with_linkdown=1\nip route add 10.82.0.0/16 via 10.3.0.2");
    EXPECT_EQ(wstest::query(m, "ip route show 10.82.0.0/16").out, "10.82.0.0/16 via 10.3.0.2 dev dummy2 dead linkdown \n");
    EXPECT_EQ(route_get(m, "10.82.0.1"), "10.82.0.1 via 10.1.0.254 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n");
}

TEST(Carrier, SysctlErrors) {
    auto m = topology();
    EXPECT_NE(cmd_error(m, "sysctl -w net.ipv4.ip_forward=1").find("not supported"), std::string::npos);
    EXPECT_NE(cmd_error(m, "sysctl -w net.ipv4.conf.eth9.ignore_routes_with_linkdown=1").find("No such file"), std::string::npos);
    EXPECT_NE(cmd_error(m, "sysctl -w net.ipv4.conf.all.ignore_routes_with_linkdown=yes").find("Invalid argument"), std::string::npos);
    EXPECT_NE(cmd_error(m, "sysctl net.ipv4.conf.all.ignore_routes_with_linkdown").find("KEY=VALUE"), std::string::npos);
    EXPECT_EQ(cmd_error(m, "sysctl net/ipv4/conf/default/ignore_routes_with_linkdown=1"), "");
    wstest::must_apply(m, "ip link add dummy3 type dummy");
    EXPECT_TRUE(m.ignore_linkdown(ws::Family::kInet, wstest::ifindex(m, "dummy3")));  // copied from default
    EXPECT_FALSE(m.ignore_linkdown(ws::Family::kInet, wstest::ifindex(m, "dummy2")));
    EXPECT_FALSE(m.ignore_linkdown(ws::Family::kInet6, wstest::ifindex(m, "dummy3")));
}

// ---------------------------------------------------------------------------------------------
// onlink, oif (§2.4 item 3), source selection (§2.5).

TEST(RouteOif, OnlinkGateway) {
    auto m = topology("ip route add 10.7.0.0/16 via 10.99.0.1 dev dummy0 onlink");
    auto a = aliases(m, 254, "10.7.0.0/16");
    ASSERT_EQ(a.size(), 1u);
    EXPECT_TRUE(a[0]->nh[0].flags & dp::kNhOnlink);
    EXPECT_EQ(route_get(m, "10.7.0.1"), "10.7.0.1 via 10.99.0.1 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n");
}

TEST(RouteOif, OnlinkFallbackWhenNoRouteMatches) {
    auto m = topology("ip route del default");
    EXPECT_EQ(route_get(m, "8.8.8.8"), "RTNETLINK answers: Network is unreachable\n");
    EXPECT_EQ(route_get(m, "8.8.8.8 oif dummy2"), "8.8.8.8 dev dummy2 src 10.3.0.1 uid 0 \n    cache \n");
    auto k = out_flow("8.8.8.8");
    k.oif = wstest::ifindex(m, "dummy2");
    auto d = output(m, k);
    ASSERT_EQ(d.error, 0);
    EXPECT_FALSE(d.has_table);
    EXPECT_FALSE(d.gateway.valid());
    // It bypasses an unreachable rule as well.
    wstest::must_apply(m, "ip rule add pref 10 to 8.8.0.0/16 unreachable");
    EXPECT_EQ(output(m, out_flow("8.8.8.8")).error, ENETUNREACH);
    EXPECT_EQ(route_get(m, "8.8.8.8 oif dummy2"), "8.8.8.8 dev dummy2 src 10.3.0.1 uid 0 \n    cache \n");
}

TEST(RouteOif, OifRestrictsNexthopsAndDeviceErrors) {
    auto m = topology("ip route add 10.90.0.0/16 via 10.3.0.2\nip link add dummy5 type dummy");
    EXPECT_EQ(route_get(m, "10.90.1.1"), "10.90.1.1 via 10.3.0.2 dev dummy2 src 10.3.0.1 uid 0 \n    cache \n");
    EXPECT_EQ(route_get(m, "10.90.1.1 oif dummy0"), "10.90.1.1 via 10.1.0.254 dev dummy0 src 10.1.0.1 uid 0 \n    cache \n");
    EXPECT_EQ(route_get(m, "10.90.1.1 oif nosuch"), "Cannot find device \"nosuch\"\n");
    auto k = out_flow("10.90.1.1");
    k.oif = wstest::ifindex(m, "dummy5");  // down
    EXPECT_EQ(output(m, k).error, ENETUNREACH);
}

TEST(RouteSource, Selection) {
    auto m = topology(R"(
ip addr add 172.20.0.1/24 dev dummy0
ip addr add 10.1.0.2/24 dev dummy0
ip route add 10.2.0.0/16 dev dummy1 src 10.1.0.1
ip route add 10.45.0.0/16 via 172.20.0.254
ip route add 10.46.0.0/16 via 10.1.0.253
)");
    // The route's prefsrc, even from another device.
    EXPECT_EQ(output(m, out_flow("10.2.0.5")).saddr, v4("10.1.0.1"));
    // Else the egress device's primary address in the gateway's subnet; never a secondary.
    EXPECT_EQ(output(m, out_flow("10.45.0.1")).saddr, v4("172.20.0.1"));
    EXPECT_EQ(output(m, out_flow("10.46.0.1")).saddr, v4("10.1.0.1"));
    EXPECT_EQ(output(m, out_flow("10.1.0.77")).saddr, v4("10.1.0.1"));
    // A device route picks the device's address.
    EXPECT_EQ(output(m, out_flow("192.0.2.77")).saddr, v4("192.0.2.1"));
    // A local destination: the address itself. (No rule was ever added, so local is still
    // merged into main and no table is printed: fib_has_custom_rules is false.)
    EXPECT_EQ(route_get(m, "192.0.2.1"), "local 192.0.2.1 dev lo src 192.0.2.1 uid 0 \n    cache <local> \n");
    wstest::must_apply(m, "ip rule add pref 100 to 203.0.113.0/24 lookup 5");
    EXPECT_EQ(route_get(m, "192.0.2.1"), "local 192.0.2.1 dev lo table local src 192.0.2.1 uid 0 \n    cache <local> \n");
    // `from` a local address: echoed, no src; from a foreign address: ENETUNREACH.
    EXPECT_EQ(route_get(m, "10.46.0.1 from 10.3.0.1"), "10.46.0.1 from 10.3.0.1 via 10.1.0.253 dev dummy0 uid 0 \n    cache \n");
    EXPECT_EQ(route_get(m, "10.46.0.1 from 10.9.9.9"), "RTNETLINK answers: Network is unreachable\n");
    // Input lookups never print src.
    EXPECT_EQ(route_get(m, "10.46.0.1 from 192.0.2.99 iif dummy1"),
              "10.46.0.1 from 192.0.2.99 via 10.1.0.253 dev dummy0 \n    cache iif dummy1 \n");
}

TEST(RouteInput, Martians) {
    auto m = topology();
    EXPECT_EQ(route_get(m, "10.3.0.9 iif dummy0"), "RTNETLINK answers: Invalid argument\n");  // no source
    EXPECT_EQ(route_get(m, "10.3.0.9 from 10.1.0.1 iif dummy0"), "RTNETLINK answers: Invalid argument\n");  // own
    EXPECT_EQ(route_get(m, "10.3.0.9 from 224.0.0.1 iif dummy0"), "RTNETLINK answers: Invalid argument\n");
    EXPECT_EQ(route_get(m, "10.3.0.9 from 127.0.0.1 iif dummy0"), "RTNETLINK answers: Invalid argument\n");
    EXPECT_EQ(route_get(m, "10.3.0.9 from 10.1.0.99 iif dummy0"), "10.3.0.9 from 10.1.0.99 dev dummy2 \n    cache iif dummy0 \n");
}

}  // namespace
