#include "dataplane/tables/route.h"

namespace dp {

void rebalance(Route& r) {
    uint64_t total = 0;
    for (const auto& nh : r.nh)
        if (!(nh.flags & kNhDead)) total += nh.weight;
    uint64_t w = 0;
    for (auto& nh : r.nh) {
        if ((nh.flags & kNhDead) || total == 0) {
            nh.upper_bound = -1;
            continue;
        }
        w += nh.weight;
        // DIV_ROUND_CLOSEST_ULL(w << 31, total) - 1
        nh.upper_bound = int32_t(int64_t(((w << 31) + total / 2) / total) - 1);
    }
}

}  // namespace dp
