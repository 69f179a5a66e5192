#include "dataplane/tables/interfaces.h"

#include <algorithm>

#include "dataplane/tables/route_type.h"

namespace dp {

const Link* Interfaces::find(uint32_t ifindex) const {
    auto it = std::lower_bound(links.begin(), links.end(), ifindex,
                               [](const Link& l, uint32_t i) { return l.ifindex < i; });
    return it != links.end() && it->ifindex == ifindex ? &*it : nullptr;
}

const Link* Interfaces::find(std::string_view name) const {
    for (const auto& l : links)
        if (l.name == name) return &l;
    return nullptr;
}

const Link* Interfaces::owner_of(const ws::InetAddr& a) const {
    for (const auto& l : links)
        for (const auto& ad : l.addrs)
            if (ad.local == a) return &l;
    return nullptr;
}

ws::InetAddr Interfaces::select_source(uint32_t ifindex, const ws::InetAddr& dst, uint8_t scope, ws::Family f) const {
    // The loopback "localnet" scope: 127/8 addresses count as host scope unless route_localnet.
    if (const Link* l = find(ifindex)) {
        const ws::InetAddr* first = nullptr;
        for (const auto& ad : l->addrs) {
            if (ad.local.family != f || ad.secondary) continue;
            if (ad.scope > scope) continue;
            if (!dst.valid() || dst.is_zero() || ad.contains(dst)) return ad.local;
            if (!first) first = &ad.local;
        }
        if (first) return *first;
    }
    // in_dev_select_addr() over every device, lo first: no link-scope addresses here.
    for (const auto& l : links) {
        for (const auto& ad : l.addrs) {
            if (ad.local.family != f || ad.secondary) continue;
            if (ad.scope != kScopeLink && ad.scope <= scope) return ad.local;
        }
    }
    return ws::InetAddr::zero(f);
}

bool Interfaces::onlink(uint32_t ifindex, const ws::InetAddr& a, const ws::InetAddr& b) const {
    const Link* l = find(ifindex);
    if (!l) return false;
    for (const auto& ad : l->addrs) {
        if (ad.local.family != a.family) continue;
        if (ad.contains(a) && (!b.valid() || b.is_zero() || ad.contains(b))) return true;
    }
    return false;
}

}  // namespace dp
