#pragma once
// oif — matches the bound output interface (ip rule add oif eth1 ...). Only lookups that carry
// an oif (sockets bound to a device, `ip route get ... oif X`) can match; forwarded packets never.
#include "selectors/device_selector.h"

namespace sel {

struct Oif : DeviceSelector<Oif> {
    static constexpr std::string_view kKeywords[] = {"oif"};
    bool matches(const FlowKey& k) const { return ifindex == k.oif; }
};

}  // namespace sel
