#pragma once
// to — matches the flow's destination address against a prefix (ip rule add to 10.1.0.0/16 ...).
#include "selectors/prefix_selector.h"

namespace sel {

struct To : PrefixSelector<To> {
    static constexpr std::string_view kKeywords[] = {"to"};
    static constexpr std::string_view kJsonKey = "dst";
    bool matches(const FlowKey& k) const { return prefix.contains(k.daddr); }
};

}  // namespace sel
