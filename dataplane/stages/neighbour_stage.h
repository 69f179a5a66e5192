#pragma once
// NeighbourStage — the link-layer header of every packet about to leave: the egress port's MAC
// as source, the neighbour's MAC (or the host kernel's, for local delivery) as destination.
//
// Needs:   next == kForward (out_port, out_ifindex, neigh_slot) or kLocal.
// Sets:    next = kTx (out_port set; neigh_probe when the neighbour is STALE: the worker
//          probes it) | kPending (the worker queues it and probes) | kDrop.
// Drops:   link-down (egress link down), no-host-interface (local delivery without one),
//          not-forwardable (an egress without a port that no tunnel stage took: never sent),
//          neigh-failed (the neighbour is FAILED: the worker sends ICMP host unreachable).
// Cost:    one 64-bit load per packet through the slot the route cache keeps: ~18 cycles/packet
//          with the MAC writes at 64 B (perf/RESULTS.md, "Whole pipeline").
#include <cstring>
#include <string_view>

#include "dataplane/burst.h"
#include "dataplane/stage.h"

namespace dp {

class NeighbourStage {
public:
    static constexpr std::string_view kName = "neighbour";
    void run(Burst& burst, const StageContext& ctx) noexcept;
    // One packet (the worker's slow path uses it for ICMP errors and released packets).
    static void process_one(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx) noexcept;
};

// Writes the Ethernet addresses of a frame.
inline void write_macs(rte_mbuf* m, const MacAddr& dst, const MacAddr& src) noexcept {
    uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
    std::memcpy(eth, dst.data(), 6);
    std::memcpy(eth + 6, src.data(), 6);
}

}  // namespace dp
