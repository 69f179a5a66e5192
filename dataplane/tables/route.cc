#include "dataplane/tables/route.h"

#include <algorithm>

namespace dp {

namespace {

// fib_rebalance()'s bound for the cumulative weight w of total: DIV_ROUND_CLOSEST_ULL(w << 31,
// total) - 1, computed in 64 bits (the last one is 2^31 - 1).
int32_t upper_bound(uint64_t w, uint64_t total) { return int32_t(int64_t(((w << 31) + total / 2) / total) - 1); }

}  // namespace

void rebalance(Route& r) {
    uint64_t total = 0;
    for (const auto& nh : r.nh)
        if (!(nh.flags & kNhUnusable)) total += nh.weight;
    uint64_t w = 0;
    for (auto& nh : r.nh) {
        if ((nh.flags & kNhUnusable) || total == 0) {
            nh.upper_bound = -1;
            continue;
        }
        w += nh.weight;
        nh.upper_bound = upper_bound(w, total);
    }
}

std::vector<uint32_t> siblings_from(std::span<const Route> aliases, size_t i) {
    const uint32_t g = aliases[i].sibling_group;
    if (!g) return {uint32_t(i)};
    std::vector<uint32_t> group;
    for (size_t k = 0; k < aliases.size(); ++k)
        if (aliases[k].sibling_group == g) group.push_back(uint32_t(k));
    const size_t at = size_t(std::find(group.begin(), group.end(), uint32_t(i)) - group.begin());
    std::rotate(group.begin(), group.begin() + long(at), group.end());
    return group;
}

void rebalance_siblings(std::span<Route> aliases, uint32_t group) {
    uint64_t total = 0;
    for (const auto& r : aliases)
        if (r.sibling_group == group && !r.nh.empty() && !(r.nh[0].flags & kNhUnusable)) total += r.nh[0].weight;
    uint64_t w = 0;
    for (auto& r : aliases) {
        if (r.sibling_group != group || r.nh.empty()) continue;
        Nexthop& nh = r.nh[0];
        if ((nh.flags & kNhUnusable) || total == 0) {
            nh.upper_bound = -1;
            continue;
        }
        w += nh.weight;
        nh.upper_bound = upper_bound(w, total);
    }
}

}  // namespace dp
