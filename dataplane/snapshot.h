#pragma once
// Snapshot — everything the workers read, immutable once published (DESIGN "Configuration
// reaches the fast path by snapshot"): the compiled routing, the ports by ifindex, and the hit
// counters of this snapshot's rules. Workers load it once per burst; control publishes a new
// one with one atomic store and frees the old after an RCU grace period (dataplane/publish.h).
//
// Mutable state that must survive reloads lives outside: neighbours (NeighbourTable), per-worker
// counters (WorkerCounters), ports (PortSet).
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/burst.h"
#include "dataplane/tables/fw_table.h"
#include "dataplane/tables/ipsec_tables.h"
#include "dataplane/tables/neighbour_table.h"
#include "dataplane/tables/routing.h"

namespace dp {

// Relaxed counter updates: one writer per counter, readers tolerate a stale value.
inline void bump(uint64_t& c, uint64_t n = 1) {
    std::atomic_ref<uint64_t> a(c);
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline uint64_t read_counter(const uint64_t& c) {
    return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(c)).load(std::memory_order_relaxed);
}

// One interface as the fast path needs it, indexed by ifindex.
struct IfaceView {
    uint16_t port = kNoPort;   // the DPDK port, kNoPort for lo, xfrm, gre, dummy
    bool up = false;           // administratively (ip link set up): it receives
    bool carrier = true;       // the port's link, polled by control: without it nothing is sent
    bool host = false;         // the host (TAP) interface
    uint32_t mtu = 1500;
    MacAddr mac{};             // the port's MAC (source of what it sends)
    ws::InetAddr addr4;        // first IPv4 address (ARP probe sender), family kNone if none
    uint32_t xfrm_if_id = 0;   // an xfrm interface (`type xfrm if_id N`): its if_id
    bool can_send() const { return up && carrier; }
    // A GRE link (`type gre local A remote B [key K]`, dataplane/stages/gre_stage.h).
    bool gre = false;
    bool gre_keyed = false;    // `key K` given: GRE headers carry it (RFC 2890), both ways
    uint32_t gre_key = 0;
    ws::InetAddr gre_local;    // family kNone (or 0.0.0.0): any, the outer route picks the source
    ws::InetAddr gre_remote;
};

struct Snapshot {
    uint64_t generation = 0;
    std::unique_ptr<Routing> routing;
    std::unique_ptr<IpsecTables> ipsec;      // SAD and SPD (null: no IPsec configured)
    // iptables: [family (inet 0, inet6 2) + table (filter 0, mangle 1)], null where the table
    // does nothing; one FwScratch per worker (Hyperscan scratch, -m string bitmaps).
    std::array<std::unique_ptr<FwTable>, 4> fw;
    std::unique_ptr<FwScratch[]> fw_scratch;
    bool fw_any = false;
    // The ifindexes of the GRE links (few: decapsulation scans them). Empty: the worker skips
    // the GRE stage altogether.
    std::vector<uint32_t> gre_links;
    const FwTable* fw_table(ws::Family f, bool mangle) const { return fw[(f == ws::Family::kInet6 ? 2 : 0) + mangle].get(); }
    std::vector<IfaceView> ifaces;           // by ifindex
    std::vector<uint32_t> ifindex_of_port;   // DPDK port id -> ifindex (0: not ours)
    uint16_t host_port = kNoPort;
    uint32_t host_ifindex = 0;
    MacAddr host_kernel_mac{};               // the TAP's own MAC in the kernel
    bool forwarding_v6 = true;

    // Rule hit counters: rules_v4.size() + rules_v6.size() per worker, each worker's row
    // padded to a cache line. Written by the worker that owns the row; summed by control.
    unsigned workers = 1;
    size_t rule_stride = 0;
    std::unique_ptr<uint64_t[]> rule_hits;
    std::vector<uint64_t> rule_hits_base;    // carried over from earlier snapshots
    std::vector<std::string> rule_names;     // per counter slot: "inet 500 from all iif lo lookup 100"

    const IfaceView* iface(uint32_t ifindex) const {
        return ifindex < ifaces.size() ? &ifaces[ifindex] : nullptr;
    }
    uint64_t* rule_row(unsigned worker) const { return rule_hits.get() + worker * rule_stride; }
    size_t rule_slot(ws::Family f, int32_t index) const {
        return (f == ws::Family::kInet6 ? routing->v4.rules.size() : 0) + size_t(index);
    }
    // Route hit counters, the same way: one slot per route of every table (Fib::counter_slot).
    size_t route_stride = 0;
    std::unique_ptr<uint64_t[]> route_hits;
    std::vector<uint64_t> route_hits_base;
    uint64_t* route_row(unsigned worker) const { return route_hits.get() + worker * route_stride; }
    uint64_t route_hits_total(size_t slot) const {
        uint64_t n = route_hits_base[slot];
        for (unsigned w = 0; w < workers; ++w) n += read_counter(route_row(w)[slot]);
        return n;
    }

    // The total hits of one rule counter slot, over every worker and earlier snapshots.
    uint64_t rule_hits_total(size_t slot) const {
        uint64_t n = rule_hits_base[slot];
        for (unsigned w = 0; w < workers; ++w) n += read_counter(rule_row(w)[slot]);
        return n;
    }
    void alloc_counters(unsigned nworkers) {
        workers = nworkers;
        const size_t n = routing->v4.rules.size() + routing->v6.rules.size();
        rule_stride = (n + 7) / 8 * 8;
        rule_hits.reset(new uint64_t[workers * rule_stride]());
        rule_hits_base.assign(n, 0);
        size_t routes = 0;
        for (FamilyRouting* fr : {&routing->v4, &routing->v6})
            for (auto& [id, fib] : fr->tables) {
                fib->set_counter_base(uint32_t(routes));
                routes += fib->route_count();
            }
        route_stride = (routes + 7) / 8 * 8;
        route_hits.reset(new uint64_t[workers * route_stride]());
        route_hits_base.assign(routes, 0);
    }
};

}  // namespace dp
