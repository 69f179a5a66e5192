#pragma once
// Helpers shared by the iptables tests: apply lines to a model, ask it iptables queries, the
// error message of one line, and packets for the reference matcher.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/tokens.h"
#include "control/config.h"
#include "control/grammar/iptables_grammar.h"
#include "control/iptables_query.h"
#include "control/model/model.h"
#include "tests/model_test_util.h"

namespace it {

using modeltest::apply;
using modeltest::error_of;
using modeltest::must_apply;

// A query's stdout, or "ERR: message" (the status after it).
inline std::string query(const ctl::Model& m, std::string_view line, const ctl::IptCounterSource& c = {}) {
    auto words = ws::split_words(line);
    auto q = ctl::iptables_query(m, words, c);
    if (q.status) return "ERR(" + std::to_string(q.status) + "): " + q.err_text;
    return q.out;
}

// The rules of a chain as `iptables -S CHAIN` prints them, one string each.
inline std::vector<std::string> saved(const ctl::Model& m, ws::Family f, ctl::IptTable t, std::string_view chain) {
    std::vector<std::string> out;
    const ctl::IptChain* c = m.firewall.table(f, t).find(chain);
    if (c)
        for (const auto& r : c->rules) out.push_back(ctl::format_rule_save(chain, r));
    return out;
}

// The single rule a line makes, parsed against an empty firewall.
inline ctl::IptRule rule_of(std::string_view line) {
    ctl::Firewall fw;
    auto words = ws::split_words(line);
    auto c = ctl::parse_iptables(fw, words);
    EXPECT_TRUE(c.ok()) << line << ": " << (c.ok() ? "" : c.error().message);
    if (!c.ok() || c->rules.empty()) return {};
    return c->rules.front();
}

inline ctl::IptPacket tcp4(const char* src, const char* dst, uint16_t sport, uint16_t dport) {
    ctl::IptPacket p;
    p.src = *ws::InetAddr::parse(src);
    p.dst = *ws::InetAddr::parse(dst);
    p.proto = 6;
    p.sport = sport;
    p.dport = dport;
    p.length = 60;
    return p;
}

}  // namespace it
