#pragma once
// sport — matches the source port range (ip rule add ipproto tcp sport 1024-65534 ...).
#include "selectors/port_selector.h"

namespace sel {

struct Sport : PortSelector<Sport> {
    static constexpr std::string_view kKeywords[] = {"sport"};
    bool matches(const FlowKey& k) const { return range.contains(k.sport); }
};

}  // namespace sel
