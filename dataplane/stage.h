#pragma once
// StageContext — what a stage may read besides the burst: the snapshot (loaded once per burst),
// the shared neighbour table, this worker's counters and the time of the burst.
#include <cstdint>

#include "dataplane/counters.h"
#include "dataplane/snapshot.h"
#include "dataplane/tables/neighbour_table.h"

namespace dp {

struct StageContext {
    const Snapshot& snap;
    NeighbourTable& neigh;
    WorkerCounters& counters;
    unsigned worker = 0;
    uint64_t now_tsc = 0;
    uint64_t tsc_hz = 1;
};

}  // namespace dp
