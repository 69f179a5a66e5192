#pragma once
// WorkerCounters — one worker's counters: drops by reason, packets and bytes per port, and
// cycles per stage. Only the owning worker writes them (bump()); the control thread sums
// workers for `show counters`, `ip -s link` and telemetry.
#include <cstdint>

#include "dataplane/drop_reasons.h"

namespace dp {

inline constexpr unsigned kMaxPorts = 32;
inline constexpr unsigned kMaxWorkers = 16;
// Interfaces without a port (xfrm, gre) count by ifindex below this; `ip -s link show` reads them.
inline constexpr unsigned kMaxVirtualIfindex = 64;

// The stages the worker times, in pipeline order (names for `show counters`).
enum class StageId : uint8_t { kRx, kParse, kRoute, kIpsecIn, kForward, kIpsecOut, kNeighbour, kTx, kSlowPath, kFirewall, kGre, kCount };
inline constexpr const char* kStageNames[] = {"rx", "parse", "route", "ipsec-in", "forward", "ipsec-out", "neighbour", "tx", "slow-path", "firewall", "gre"};
static_assert(sizeof(kStageNames) / sizeof(kStageNames[0]) == static_cast<size_t>(StageId::kCount));

struct PortCounters {
    uint64_t rx_packets = 0, rx_bytes = 0;
    uint64_t tx_packets = 0, tx_bytes = 0;
    uint64_t tx_dropped = 0;
};

struct alignas(64) WorkerCounters {
    uint64_t drops[static_cast<size_t>(DropReason::kCount)] = {};
    PortCounters port[kMaxPorts] = {};
    PortCounters virt[kMaxVirtualIfindex] = {};  // xfrm and GRE links: inner packets in and out
    uint64_t stage_packets[static_cast<size_t>(StageId::kCount)] = {};
    uint64_t stage_cycles[static_cast<size_t>(StageId::kCount)] = {};
    uint64_t busy_cycles = 0;   // cycles spent on bursts that carried packets
    uint64_t idle_polls = 0;
    uint64_t rx_packets = 0;
    uint64_t route_cache_misses = 0;
    uint64_t icmp_sent = 0;
    uint64_t arp_sent = 0;
    unsigned lcore = 0;         // set once before the worker starts
};

}  // namespace dp
