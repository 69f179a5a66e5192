#pragma once
// Worker — one poll-mode lcore: receives bursts from its rx queues, runs the stage pipeline,
// answers ARP/ND, sends ICMP errors, holds packets for unresolved neighbours, and transmits.
// Run to completion: a burst is finished before the next is received.
//
// The pipeline (process_burst):
//   parse -> [mangle PREROUTING] -> route -> [mangle OUTPUT, INPUT, filter OUTPUT] -> ipsec
//   inbound (decrypt; the inner packets take the same steps again) -> ipsec check
//   (in/fwd policies) -> [gre decap (the inner packets: routing and the ipsec check again)]
//   -> forward -> [FORWARD, mangle POSTROUTING] -> [gre encap (outer header, outer route)]
//   -> ipsec outbound (out policies, encrypt, outer route)
//   -> slow path (ARP/ND, ICMP errors; their packets take the encap and outbound steps too)
//   -> neighbour -> tx
// Stages only set verdicts; the worker alone frees, counts and transmits (STYLE 8). It loads
// the snapshot once per poll round and reports a quiescent state after it (rte_rcu_qsbr).
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/burst.h"
#include "dataplane/counters.h"
#include "dataplane/icmp_error.h"
#include "dataplane/stages/firewall_stage.h"
#include "dataplane/stages/forward_stage.h"
#include "dataplane/stages/gre_stage.h"
#include "dataplane/stages/ipsec_stage.h"
#include "dataplane/stages/neighbour_stage.h"
#include "dataplane/stages/parse_stage.h"
#include "dataplane/stages/route_stage.h"

namespace dp {

struct StageClock;

// Where the current snapshot is published (control/publish.h writes it).
struct SnapshotSlot {
    std::atomic<const Snapshot*> current{nullptr};
    rte_rcu_qsbr* qs = nullptr;
};

struct TxQueue {
    uint16_t queue = 0;
    rte_spinlock_t* lock = nullptr;  // set when workers share this queue
};

struct WorkerConfig {
    unsigned id = 0;
    std::vector<std::pair<uint16_t, uint16_t>> rx;   // (port, queue) pairs this worker polls
    std::vector<TxQueue> tx;                         // by port id
    rte_mempool* pool = nullptr;
    unsigned idle_backoff_us = 0;
    bool route_cache = true;   // false: every packet takes the whole decision (benchmarks)
};

class Worker {
public:
    Worker(WorkerConfig cfg, SnapshotSlot& slot, NeighbourTable& neigh, WorkerCounters& counters,
           std::atomic<bool>& stop, std::atomic<uint64_t>& last_rx_tsc);
    void loop();  // until stop; then flushes and frees what it holds

    // One burst through the pipeline (tests drive it directly).
    void process_burst(Burst& b, const StageContext& ctx);
    void flush_tx(const StageContext& ctx);

private:
    static constexpr unsigned kTxBuf = 64;
    static constexpr unsigned kPendingMax = 256;
    static constexpr unsigned kPendingPerNeighbour = 3;

    struct TxBuffer {
        rte_mbuf* pkt[kTxBuf];
        uint16_t n = 0;
    };
    struct Pending {
        rte_mbuf* m;
        PacketMeta meta;
        uint64_t since;
    };

    void run_pipeline(Burst& b, const StageContext& ctx, StageClock& clock);
    // mangle PREROUTING, routing, mangle OUTPUT (routing again when it changed a mark), the
    // INPUT and filter OUTPUT hooks: for the packets of a burst that wait for routing.
    void route(Burst& b, const StageContext& ctx, StageClock& clock);
    void tx_enqueue(uint16_t port, rte_mbuf* m, const StageContext& ctx);
    void flush_port(uint16_t port, const StageContext& ctx);
    void handle_arp(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx);
    void handle_nd(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx);
    void handle_icmp_error(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx);
    void hold_for_neighbour(rte_mbuf* m, const PacketMeta& meta, const StageContext& ctx);
    void service_pending(const StageContext& ctx);
    void probe(const PacketMeta& meta, const StageContext& ctx);
    void finish(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx);  // after the slow path

    WorkerConfig cfg_;
    SnapshotSlot& slot_;
    NeighbourTable& neigh_;
    WorkerCounters& counters_;
    std::atomic<bool>& stop_;
    std::atomic<uint64_t>& last_rx_tsc_;
    ParseStage parse_;
    RouteStage route_;
    FirewallStage firewall_;
    ForwardStage forward_;
    IpsecStage ipsec_;
    GreStage gre_;
    NeighbourStage neighbour_;
    IcmpRateLimiter icmp_limit_;
    std::vector<TxBuffer> tx_;
    std::vector<Pending> pending_;
    uint64_t next_pending_check_ = 0;
    uint16_t ip_id_ = 1;
};

}  // namespace dp
