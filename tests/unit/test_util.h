#pragma once
// Helpers shared by the unit tests: build a Model from command lines, compile it, and ask it
// `ip route get` questions the way wildsidectl -c does.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "control/compile/compiler.h"
#include "control/config.h"
#include "control/grammar/ip_grammar.h"
#include "control/grammar/printer.h"
#include "control/model/model.h"
#include "control/query.h"
#include "dataplane/tables/route_decision.h"

namespace wstest {

// The reference §3.3 topology: dummy0 10.1.0.1/24, dummy1 192.0.2.1/24, dummy2 10.3.0.1/24,
// `default via 10.1.0.254`.
inline constexpr std::string_view kTopology = R"(
ip link add dummy0 type dummy
ip link add dummy1 type dummy
ip link add dummy2 type dummy
ip link set dummy0 up
ip link set dummy1 up
ip link set dummy2 up
ip addr add 10.1.0.1/24 dev dummy0
ip addr add 192.0.2.1/24 dev dummy1
ip addr add 10.3.0.1/24 dev dummy2
ip route add default via 10.1.0.254
)";

// Applies a script as one batch; the test fails (not aborts) when it does not apply.
inline ws::Status apply(ctl::Model& m, std::string_view script) {
    return ctl::apply_batch(m, ctl::split_script(script), "test");
}

inline void must_apply(ctl::Model& m, std::string_view script) {
    auto st = apply(m, script);
    ASSERT_TRUE(st.ok()) << st.error().format() << "\nscript:\n" << script;
}

inline ctl::Model topology(std::string_view extra = {}) {
    ctl::Model m;
    must_apply(m, kTopology);
    if (!extra.empty()) must_apply(m, extra);
    return m;
}

// One command, the error message when it fails ("" on success).
inline std::string cmd_error(ctl::Model& m, std::string_view line) {
    auto st = ctl::apply_command(m, line);
    return st.ok() ? std::string() : st.error().message;
}

// `ip route get ARGS` on the compiled model: stdout text on success, stderr text on error.
inline std::string route_get(const ctl::Model& m, std::string_view args) {
    auto r = ctl::compile_routing(m);
    auto q = ctl::run_query(m, *r, "ip route get " + std::string(args), {});
    return q.status ? q.err : q.out;
}

inline ctl::QueryOutput query(const ctl::Model& m, std::string_view line) {
    auto r = ctl::compile_routing(m);
    return ctl::run_query(m, *r, line, {});
}

inline uint32_t ifindex(const ctl::Model& m, const std::string& name) {
    const dp::Link* l = m.link(name);
    EXPECT_NE(l, nullptr) << name;
    return l ? l->ifindex : 0;
}

inline ws::InetAddr v4(std::string_view s) {
    auto a = ws::InetAddr::parse(s, ws::Family::kInet);
    EXPECT_TRUE(a.ok()) << s;
    return a.ok() ? *a : ws::InetAddr();
}

inline ws::InetAddr v6(std::string_view s) {
    auto a = ws::InetAddr::parse(s, ws::Family::kInet6);
    EXPECT_TRUE(a.ok()) << s;
    return a.ok() ? *a : ws::InetAddr();
}

inline ws::InetPrefix pfx(std::string_view s) {
    auto p = ws::InetPrefix::parse(s);
    EXPECT_TRUE(p.ok()) << s;
    return p.ok() ? *p : ws::InetPrefix();
}

// An output flow (`ip route get D` without iif): saddr zero of the family, proto UDP.
inline sel::FlowKey out_flow(std::string_view dst) {
    sel::FlowKey k;
    k.daddr = v4(dst);
    k.saddr = ws::InetAddr::zero(ws::Family::kInet);
    k.proto = 17;
    return k;
}

inline dp::RouteDecision output(const ctl::Model& m, const sel::FlowKey& k) {
    auto r = ctl::compile_routing(m);
    return dp::route_output(*r, k);
}

inline std::vector<uint32_t> prefs(const ctl::Model& m, ws::Family f = ws::Family::kInet) {
    std::vector<uint32_t> out;
    for (const auto& r : m.family(f).rules) out.push_back(r.priority);
    return out;
}

inline ctl::PrintContext pc(const ctl::Model& m) { return ctl::PrintContext{&m.names, &m.ifs}; }

}  // namespace wstest
