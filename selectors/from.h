#pragma once
// from — matches the flow's source address against a prefix (ip rule add from 10.0.0.0/8 ...).
// Needs: FlowKey.saddr (zero for unbound output lookups, which only `from all` matches).
#include "selectors/prefix_selector.h"

namespace sel {

struct From : PrefixSelector<From> {
    static constexpr std::string_view kKeywords[] = {"from"};
    static constexpr std::string_view kJsonKey = "src";
    bool matches(const FlowKey& k) const {
        if (prefix.addr.is_v6() && k.saddr.is_zero()) return false;
        return prefix.contains(k.saddr);
    }
};

}  // namespace sel
