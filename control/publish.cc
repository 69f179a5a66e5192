#include "control/publish.h"

#include <rte_rcu_qsbr.h>

#include <unordered_map>

namespace ctl {

void Publisher::publish(std::unique_ptr<dp::Snapshot> next) {
    std::unique_ptr<dp::Snapshot> old = std::move(current_);
    current_ = std::move(next);
    slot_.current.store(current_.get(), std::memory_order_release);
    if (!old) return;
    // Every worker that could still read `old` passes a quiescent state within one poll round.
    if (slot_.qs) rte_rcu_qsbr_synchronize(slot_.qs, RTE_QSBR_THRID_INVALID);
    // The old counters are final now: carry them over to the same rules in the new snapshot.
    std::unordered_map<std::string, uint64_t> totals;
    for (size_t i = 0; i < old->rule_names.size(); ++i) totals[old->rule_names[i]] += old->rule_hits_total(i);
    for (size_t i = 0; i < current_->rule_names.size(); ++i) {
        auto it = totals.find(current_->rule_names[i]);
        if (it != totals.end()) {
            current_->rule_hits_base[i] += it->second;
            totals.erase(it);  // a duplicate rule gets its own count once
        }
    }
}

}  // namespace ctl
