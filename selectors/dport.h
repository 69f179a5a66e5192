#pragma once
// dport — matches the destination port range (ip rule add ipproto tcp dport 22 ...).
#include "selectors/port_selector.h"

namespace sel {

struct Dport : PortSelector<Dport> {
    static constexpr std::string_view kKeywords[] = {"dport"};
    bool matches(const FlowKey& k) const { return range.contains(k.dport); }
};

}  // namespace sel
