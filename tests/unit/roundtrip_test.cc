// STYLE 18: parse(format(x)) == x for every configuration object, checked on many seeded
// random rules (printer::format_rule_args -> parse_rule) and routes (format_route_args ->
// `ip route add` on a fresh model).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

class Gen {
public:
    explicit Gen(uint32_t seed) : rng_(seed) {}
    uint32_t u32() { return rng_(); }
    uint32_t below(uint32_t n) { return n ? rng_() % n : 0; }
    uint32_t range(uint32_t lo, uint32_t hi) { return lo + uint32_t(uint64_t(rng_()) % (uint64_t(hi) - lo + 1)); }
    bool coin(unsigned one_in = 2) { return below(one_in) == 0; }
    template <class T>
    const T& pick(const std::vector<T>& v) { return v[below(uint32_t(v.size()))]; }

private:
    std::mt19937 rng_;
};

// ---------------------------------------------------------------------------------------------
// Rules.

ws::InetPrefix random_prefix(Gen& g, ws::Family f) {
    ws::InetPrefix p;
    if (f == ws::Family::kInet) {
        p.addr = ws::InetAddr::v4(g.u32());
        p.len = uint8_t(g.range(1, 32));
    } else {
        p.addr = ws::InetAddr::zero(ws::Family::kInet6);
        for (auto& b : p.addr.b) b = uint8_t(g.coin(3) ? g.u32() : 0);
        p.len = uint8_t(g.range(1, 128));
    }
    return p;  // host bits kept: they are shown, so they must survive
}

sel::PortRange random_ports(Gen& g) {
    uint16_t a = uint16_t(g.range(1, 65534));
    uint16_t b = g.coin() ? a : uint16_t(g.range(a, 65534));
    return {a, b};
}

dp::Rule random_rule(Gen& g, ws::Family f) {
    dp::Rule r;
    auto& s = r.sel;
    if (g.coin()) s.get<sel::From>() = sel::From{{random_prefix(g, f)}};
    if (g.coin()) s.get<sel::To>() = sel::To{{random_prefix(g, f)}};
    if (g.coin(3)) {
        sel::Tos t;
        t.v6 = f == ws::Family::kInet6;
        t.tos = t.v6 ? uint8_t(g.range(1, 63) << 2) : uint8_t(g.range(1, 7) << 2);
        s.get<sel::Tos>() = t;
    }
    if (g.coin(3)) {
        sel::Fwmark m;
        do {
            m.value = g.coin() ? g.below(16) : g.u32();
            m.mask = g.coin() ? 0xffffffffu : g.u32();
            // fwmark 0/0xffffffff is printed as "fwmark 0": see FwmarkZeroWithFullMask below.
        } while ((m.value == 0 && m.mask == 0) || (m.value == 0 && m.mask == 0xffffffffu));
        s.get<sel::Fwmark>() = m;
    }
    static const std::vector<std::string> kNames = {"lo", "dummy0", "eth1", "x", "abcdefghijklmno", "wg-0.1"};
    if (g.coin(4)) s.get<sel::Iif>() = sel::Iif{{g.pick(kNames)}};
    if (g.coin(4)) s.get<sel::Oif>() = sel::Oif{{g.pick(kNames)}};
    if (g.coin(4)) {
        uint32_t a = g.coin() ? g.below(2000) : g.u32();
        uint32_t b = g.coin() ? a : g.range(a, 0xffffffffu);
        s.get<sel::Uidrange>() = sel::Uidrange{a, b};
    }
    if (g.coin(3)) s.get<sel::IpProto>() = sel::IpProto{uint8_t(g.coin() ? g.pick(std::vector<uint32_t>{1, 6, 17, 50, 58}) : g.range(1, 255))};
    if (g.coin(4)) s.get<sel::Sport>() = sel::Sport{{random_ports(g)}};
    if (g.coin(4)) s.get<sel::Dport>() = sel::Dport{{random_ports(g)}};
    r.invert = g.coin(4);
    r.priority = g.coin() ? g.below(40000) : g.u32();
    if (g.coin(4)) r.protocol = uint8_t(g.range(1, 255));
    switch (g.below(6)) {
        case 0:
            if (r.priority == 0xffffffffu) r.priority = 7;
            r.action = dp::RuleAction::kGoto;
            r.goto_target = g.range(r.priority + 1, g.coin() ? uint32_t(std::min<uint64_t>(uint64_t(r.priority) + 100, 0xffffffffu))
                                                            : 0xffffffffu);
            break;
        case 1: r.action = dp::RuleAction::kNop; break;
        case 2: r.action = dp::RuleAction::kBlackhole; break;
        case 3: r.action = dp::RuleAction::kUnreachable; break;
        case 4: r.action = dp::RuleAction::kProhibit; break;
        default:
            r.action = dp::RuleAction::kToTable;
            r.table = g.coin() ? g.pick(std::vector<uint32_t>{1, 100, 253, 254, 255}) : g.range(1, 0xffffffffu);
            if (g.coin(3)) r.suppress_prefixlen = int32_t(g.range(0, f == ws::Family::kInet ? 32 : 128));
            if (g.coin(4)) r.suppress_ifgroup = int32_t(g.range(0, 0x7fffffff));
            break;
    }
    return r;
}

// Every attribute of the object (rule_identical() is the kernel's looser rule_exists()).
bool rules_equal(const dp::Rule& a, const dp::Rule& b) {
    return a.priority == b.priority && a.action == b.action && a.table == b.table && a.goto_target == b.goto_target &&
           a.invert == b.invert && a.sel == b.sel && a.suppress_prefixlen == b.suppress_prefixlen &&
           a.suppress_ifgroup == b.suppress_ifgroup && a.protocol == b.protocol;
}

ws::Result<dp::Rule> reparse_rule(const std::string& args, ws::Family f, const ws::Names& names) {
    ws::Tokens t(ws::split_words(args));
    auto req = ctl::parse_rule(t, sel::ParseContext{f, &names});
    if (!req) return req.error();
    EXPECT_TRUE(req->has_priority) << args;
    return req->rule;
}

void rule_roundtrip(ws::Family f, uint32_t seed, int n) {
    ctl::Model m;  // names and interfaces for the printer
    auto pc = wstest::pc(m);
    Gen g(seed);
    int failures = 0;
    for (int i = 0; i < n && failures < 10; ++i) {
        const dp::Rule r = random_rule(g, f);
        const std::string args = ctl::format_rule_args(r, pc);
        auto back = reparse_rule(args, f, m.names);
        if (!back.ok()) {
            ++failures;
            ADD_FAILURE() << "does not parse: \"" << args << "\": " << back.error().message;
            continue;
        }
        if (!rules_equal(*back, r)) {
            ++failures;
            ADD_FAILURE() << "not equal after the round trip: \"" << args << "\" -> \"" << ctl::format_rule_args(*back, pc)
                          << "\"";
            continue;
        }
        EXPECT_EQ(ctl::format_rule_args(*back, pc), args);
    }
}

TEST(RoundTrip, RulesIpv4) { rule_roundtrip(ws::Family::kInet, 1, 3000); }
TEST(RoundTrip, RulesIpv6) { rule_roundtrip(ws::Family::kInet6, 2, 1500); }

TEST(RoundTrip, RulesThroughTheModel) {
    // Add generated rules to a model with `ip rule add ARGS`, then re-create the model from its
    // own `format_rule_args`: the rule lists are equal.
    Gen g(3);
    ctl::Model a;
    int added = 0;
    for (int i = 0; i < 300; ++i) {
        const std::string args = ctl::format_rule_args(random_rule(g, ws::Family::kInet), wstest::pc(a));
        if (ctl::apply_command(a, "ip rule add " + args).ok()) ++added;
    }
    EXPECT_GT(added, 250);
    ctl::Model b;
    wstest::must_apply(b, "ip rule flush\nip rule del pref 0");
    ASSERT_TRUE(b.v4.rules.empty());
    for (const auto& r : a.v4.rules) {
        const std::string args = ctl::format_rule_args(r, wstest::pc(a));
        ASSERT_EQ(wstest::cmd_error(b, "ip rule add " + args), "") << args;
    }
    ASSERT_EQ(a.v4.rules.size(), b.v4.rules.size());
    for (size_t i = 0; i < a.v4.rules.size(); ++i) {
        EXPECT_TRUE(rules_equal(a.v4.rules[i], b.v4.rules[i])) << ctl::format_rule_args(a.v4.rules[i], wstest::pc(a));
        EXPECT_EQ(a.v4.rules[i].goto_index, b.v4.rules[i].goto_index);
    }
}

TEST(RoundTrip, FwmarkZeroWithFullMask) {
    // Regression: format_rule_args printed `fwmark 0/0xffffffff` (mark must be exactly 0) as "fwmark 0",
    // which parses back as no fwmark selector at all (mask 0 matches every mark, reference §1.3),
    // so the re-created rule matches more than the original. STYLE 18 requires parse(format(x))
    // == x. (iproute2's own `ip rule show` prints it the same way; args need "fwmark 0/0xffffffff".)
    ctl::Model m;
    ASSERT_EQ(wstest::cmd_error(m, "ip rule add pref 100 fwmark 0/0xffffffff lookup 5"), "");
    const dp::Rule& r = m.v4.rules[1];
    ASSERT_TRUE(r.sel.get<sel::Fwmark>().has_value());
    auto back = reparse_rule(ctl::format_rule_args(r, wstest::pc(m)), ws::Family::kInet, m.names);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(rules_equal(*back, r)) << ctl::format_rule_args(r, wstest::pc(m));
}

// ---------------------------------------------------------------------------------------------
// Routes.

struct Dev {
    const char* name;
    uint32_t net;  // the connected /24
};
const Dev kDevs[] = {{"dummy0", 0x0a010000u}, {"dummy1", 0xc0000200u}, {"dummy2", 0x0a030000u}};

ws::InetAddr gateway_on(Gen& g, const Dev& d) { return ws::InetAddr::v4(d.net | g.range(2, 254)); }

dp::Route random_route(Gen& g, const ctl::Model& m) {
    dp::Route r;
    const unsigned len = g.coin(8) ? 32 : g.range(1, 32);
    const uint32_t a = (g.range(20, 99) << 24) | (g.u32() & 0x00ffffffu);
    r.dst = ws::InetPrefix{ws::InetAddr::v4(a), uint8_t(len)}.masked();
    r.table = g.coin() ? g.pick(std::vector<uint32_t>{254, 255, 253, 100, 1}) : g.range(1, 0xffffffffu);
    r.metric = g.coin() ? 0 : (g.coin() ? g.below(1000) : g.u32());
    r.tos = g.coin(3) ? uint8_t(g.range(1, 63) << 2) : 0;
    r.protocol = g.coin() ? 3 : uint8_t(g.range(0, 255));
    auto dev = [&](const char* name) { return wstest::ifindex(m, name); };
    auto set_nh = [&](ws::InetAddr gw, uint32_t ifindex, uint16_t weight, uint8_t flags) {
        dp::Nexthop nh;
        nh.gw = gw;
        nh.ifindex = ifindex;
        nh.weight = weight;
        nh.flags = flags;
        r.nh.push_back(nh);
    };
    switch (g.below(9)) {
        case 0: {  // device route
            const Dev& d = kDevs[g.below(3)];
            r.scope = g.coin() ? dp::kScopeLink : dp::kScopeUniverse;
            set_nh({}, dev(d.name), 1, 0);
            break;
        }
        case 1:
        case 2: {  // gateway
            const Dev& d = kDevs[g.below(3)];
            set_nh(gateway_on(g, d), dev(d.name), 1, 0);
            break;
        }
        case 3: {  // onlink gateway anywhere
            const Dev& d = kDevs[g.below(3)];
            set_nh(ws::InetAddr::v4((g.range(20, 99) << 24) | g.range(1, 0xfffffe)), dev(d.name), 1, dp::kNhOnlink);
            break;
        }
        case 4: {  // multipath
            r.multipath = true;
            const unsigned n = g.range(1, 4);
            for (unsigned i = 0; i < n; ++i) {
                const Dev& d = kDevs[g.below(3)];
                set_nh(gateway_on(g, d), dev(d.name), uint16_t(g.range(1, 256)), 0);
            }
            break;
        }
        case 5:  // local
            r.type = dp::RouteType::kLocal;
            r.scope = dp::kScopeHost;
            set_nh({}, g.coin() ? 1 : dev(kDevs[g.below(3)].name), 1, 0);
            break;
        case 6:  // broadcast / multicast
            r.type = g.coin() ? dp::RouteType::kBroadcast : dp::RouteType::kMulticast;
            r.scope = dp::kScopeLink;
            set_nh({}, dev(kDevs[g.below(3)].name), 1, 0);
            break;
        default:  // error and throw routes
            r.type = g.pick(std::vector<dp::RouteType>{dp::RouteType::kBlackhole, dp::RouteType::kUnreachable,
                                                       dp::RouteType::kProhibit, dp::RouteType::kThrow});
            r.scope = g.coin(4) ? dp::kScopeLink : dp::kScopeUniverse;
            break;
    }
    if (r.type == dp::RouteType::kUnicast && g.coin(4))
        r.prefsrc = g.pick(std::vector<ws::InetAddr>{wstest::v4("10.1.0.1"), wstest::v4("192.0.2.1"), wstest::v4("10.3.0.1")});
    return r;
}

std::string route_diff(const dp::Route& a, const dp::Route& b) {
    std::string d;
    if (a.dst != b.dst) d += " dst";
    if (a.table != b.table) d += " table";
    if (a.metric != b.metric) d += " metric";
    if (a.type != b.type) d += " type";
    if (a.tos != b.tos) d += " tos";
    if (a.scope != b.scope) d += " scope";
    if (a.protocol != b.protocol) d += " protocol";
    if (a.multipath != b.multipath) d += " multipath";
    if (a.prefsrc != b.prefsrc) d += " prefsrc";
    if (a.nh != b.nh) d += " nexthops";
    return d;
}

TEST(RoundTrip, Routes) {
    const ctl::Model base = wstest::topology();
    Gen g(4);
    int failures = 0, checked = 0;
    for (int i = 0; i < 2000 && failures < 10; ++i) {
        const dp::Route r = random_route(g, base);
        // Skip the few that collide with a kernel route of the topology.
        auto tit = base.v4.tables.find(r.table);
        if (tit != base.v4.tables.end()) {
            auto h = tit->second.first(r.dst.addr);
            if (tit->second.valid(h) && tit->second.prefixlen(h) == r.dst.len) continue;
        }
        const std::string args = ctl::format_route_args(r, wstest::pc(base));
        ctl::Model m = base;
        auto st = ctl::apply_command(m, "ip route add " + args);
        if (!st.ok()) {
            ++failures;
            ADD_FAILURE() << "ip route add " << args << ": " << st.error().message;
            continue;
        }
        const auto& t = m.v4.tables.at(r.table);
        auto h = t.first(r.dst.addr);
        ASSERT_TRUE(t.valid(h)) << args;
        ASSERT_EQ(t.prefixlen(h), r.dst.len) << args;
        ASSERT_EQ(t.routes(h).size(), 1u) << args;
        const dp::Route& back = t.routes(h)[0];
        const std::string diff = route_diff(back, r);
        if (!diff.empty()) {
            ++failures;
            ADD_FAILURE() << "differs in" << diff << ": \"" << args << "\" -> \"" << ctl::format_route_args(back, wstest::pc(m))
                          << "\"";
            continue;
        }
        EXPECT_EQ(ctl::format_route_args(back, wstest::pc(m)), args);
        ++checked;
    }
    EXPECT_GT(checked, 1900);
}

TEST(RoundTrip, TopologyRoutesRecreateThemselves) {
    // Every route the topology holds (kernel local, broadcast and connected routes included)
    // re-created from its args on a model that lacks it.
    const ctl::Model base = wstest::topology("ip route add 10.80.0.0/16 nexthop via 10.1.0.254 weight 3 nexthop via 10.3.0.2");
    for (const auto& [id, t] : base.v4.tables) {
        for (const dp::Route* r : t.sorted()) {
            const std::string args = ctl::format_route_args(*r, wstest::pc(base));
            ctl::Model m = base;
            ASSERT_EQ(wstest::cmd_error(m, "ip route del " + args), "") << args;
            ASSERT_EQ(wstest::cmd_error(m, "ip route add " + args), "") << args;
            const auto& t2 = m.v4.tables.at(id);
            auto h = t2.first(r->dst.addr);
            ASSERT_TRUE(t2.valid(h));
            bool found = false;
            for (const auto& x : t2.routes(h)) found |= route_diff(x, *r).empty();
            EXPECT_TRUE(found) << args;
        }
    }
}

}  // namespace
