#pragma once
// Publisher — the last step of the control path: a compiled Snapshot becomes the workers'
// current one with one atomic store (release); the previous one is freed once every worker
// has reported a quiescent state since (rte_rcu_qsbr_synchronize), so no worker ever stops.
// Rule hit counters of rules that survive the change are carried into the new snapshot.
#include <memory>

#include "dataplane/snapshot.h"
#include "dataplane/worker.h"

namespace ctl {

class Publisher {
public:
    explicit Publisher(dp::SnapshotSlot& slot) : slot_(slot) {}
    // Blocks for one grace period when a snapshot was already published.
    void publish(std::unique_ptr<dp::Snapshot> next);
    const dp::Snapshot* current() const { return current_.get(); }
    uint64_t next_generation() const { return current_ ? current_->generation + 1 : 1; }

private:
    dp::SnapshotSlot& slot_;
    std::unique_ptr<dp::Snapshot> current_;
};

// A route's identity across snapshots (hit counters carry over by it).
uint64_t route_identity(ws::Family f, const dp::Route& r);
// Calls f(family, route, counter slot) for every route of every table of a snapshot.
template <class F>
void for_each_route_slot(const dp::Snapshot& s, F&& f) {
    for (ws::Family fam : {ws::Family::kInet, ws::Family::kInet6})
        for (const auto& [id, fib] : s.routing->family(fam).tables)
            for (size_t i = 0; i < fib->route_count(); ++i) f(fam, fib->route_data()[i], size_t(fib->counter_base()) + i);
}

}  // namespace ctl
