#include "dataplane/tables/interfaces.h"

#include <algorithm>
#include <array>

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

namespace {

// The IPv6 scope of an address as source selection ranks it (IPV6_ADDR_SCOPE_*).
int scope6(const ws::InetAddr& a) {
    if (a.is_zero()) return 0;  // :: has no scope: like a link-local destination, the smallest wins
    if (a.is_multicast()) return a.b[1] & 0x0f;
    if (a.is_loopback()) return 0x1;
    if (a.is_link_local6()) return 0x2;
    if (a.b[0] == 0xfe && (a.b[1] & 0xc0) == 0xc0) return 0x5;  // site-local fec0::/10
    return 0xe;
}

// RFC 6724 §2.1 default policy table labels (ip6addrlbl.c), longest match.
int label6(const ws::InetAddr& a) {
    struct Row {
        const char* prefix;
        int label;
    };
    static const Row kRows[] = {
        {"::1/128", 0}, {"::ffff:0:0/96", 4}, {"::/96", 3}, {"2001::/32", 6}, {"2001:10::/28", 7},
        {"2002::/16", 2}, {"3ffe::/16", 12}, {"fec0::/10", 11}, {"fc00::/7", 5}, {"::/0", 1},
    };
    int best_len = -1, label = 1;
    for (const auto& row : kRows) {
        auto p = ws::InetPrefix::parse(row.prefix, ws::Family::kInet6);
        if (p && p->contains(a) && int(p->len) > best_len) best_len = p->len, label = row.label;
    }
    return label;
}

unsigned common_bits(const ws::InetAddr& x, const ws::InetAddr& y) {
    unsigned n = 0;
    while (n < 128 && x.bit(n) == y.bit(n)) ++n;
    return n;
}

}  // namespace

ws::InetAddr Interfaces::select_source6(uint32_t out_dev, const ws::InetAddr& dst) const {
    const int dst_scope = scope6(dst);
    const bool oif_only = dst.is_multicast() || dst_scope <= 0x2;
    const int dst_label = label6(dst);
    std::array<int, 5> best{};
    ws::InetAddr chosen = ws::InetAddr::zero(ws::Family::kInet6);
    bool have = false;
    for (const auto& l : links) {
        if (oif_only && l.ifindex != out_dev) continue;
        for (const auto& ad : l.addrs) {
            if (!ad.local.is_v6()) continue;
            const int s = scope6(ad.local);
            const int bits = int(std::min<unsigned>(common_bits(ad.local, dst), ad.prefixlen));
            std::array<int, 5> score{ad.local == dst, s >= dst_scope ? -s : s - 128, !out_dev || l.ifindex == out_dev,
                                     label6(ad.local) == dst_label, bits};
            if (!have || score > best) {
                best = score;
                chosen = ad.local;
                have = true;
            }
        }
    }
    return chosen;
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
