#pragma once
// Daemon — the control plane of a running wildside: the live model, the ports, the publisher.
// Every request of `wildsidectl -s SOCKET` ends here: queries answer from the current snapshot
// (exactly as `wildsidectl -c FILE` answers offline), changes are applied to a copy of the
// model as one all-or-nothing batch, compiled into a new snapshot and published without
// stopping the workers; `show counters`, `ip -s link show` and `ip neigh show` read the live
// counters and neighbour table.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/model/model.h"
#include "control/compile/compile_ipsec.h"
#include "control/publish.h"
#include "dataplane/counters.h"
#include "dataplane/host_kernel.h"
#include "dataplane/port.h"
#include "dataplane/tables/neighbour_table.h"

namespace ctl {

struct Request {
    bool json = false;
    bool batch = false;                // one answer per line (queries) / one atomic batch (changes)
    std::vector<std::string> lines;
};

struct Reply {
    int status = 0;
    std::string out;
    std::string err;
};

class Daemon {
public:
    Daemon(Model model, dp::PortSet& ports, dp::NeighbourTable& neigh, std::vector<dp::WorkerCounters>& counters,
           dp::SnapshotSlot& slot, unsigned workers);
    // Publishes the first snapshot and configures the host interface.
    ws::Status start();
    Reply execute(const Request& req);
    // Reads every port's carrier; a change goes into the model (linkdown nexthops, multipath
    // rebalanced) and a new snapshot is published. True when something changed.
    bool poll_carrier();
    const Publisher& publisher() const { return pub_; }

    // The port specs of a model's `type dpdk` and `type host` links (startup).
    static ws::Result<std::vector<dp::PortSpec>> port_specs(const Model& m);

private:
    Reply apply(const std::vector<std::string>& lines, bool batch);
    Reply query(const std::string& line, bool json, bool batch);
    ws::Status commit(std::unique_ptr<dp::Snapshot> snap);  // neighbours, publish, host kernel
    ws::Result<std::unique_ptr<dp::Snapshot>> build_snapshot();
    dp::KernelView kernel_view() const;
    std::string show_counters(bool json) const;
    std::string sa_counters(const dp::Snapshot& s, bool json) const;
    std::string link_stats(const std::string& dev, bool json) const;
    std::string neigh_show(bool json) const;

    Model model_;
    dp::PortSet& ports_;
    dp::NeighbourTable& neigh_;
    std::vector<dp::WorkerCounters>& counters_;
    Publisher pub_;
    SaRegistry sa_registry_;  // SA runtime state and key schedules across snapshots
    unsigned workers_;
    std::optional<dp::HostKernel> host_;
};

// Whether a command line only reads (show/list/get): queries never change the model.
bool is_query(const std::string& line);

}  // namespace ctl
