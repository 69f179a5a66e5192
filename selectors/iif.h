#pragma once
// iif — matches the input interface (ip rule add iif eth0 ...). `iif lo` matches exactly the
// host's own traffic, whose lookups carry iif = lo (reference §1.3).
#include "selectors/device_selector.h"

namespace sel {

struct Iif : DeviceSelector<Iif> {
    static constexpr std::string_view kKeywords[] = {"iif", "dev"};
    bool matches(const FlowKey& k) const { return ifindex == k.iif; }
};

}  // namespace sel
