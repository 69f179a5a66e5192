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

}  // namespace ctl
