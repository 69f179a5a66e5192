#pragma once
// RouteStage — the routing decision of every IP packet: Linux's ip_route_input() for packets
// from a port, ip_route_output() with `iif lo` semantics for packets the gateway's own kernel
// sent through the host interface (dataplane/tables/route_decision.h does both).
//
// Needs:   meta.{src,dst,iif,tos,proto,sport,dport,fwmark,from_host}, next == kRoute.
// Sets:    next = kForward (out_port, out_ifindex, nexthop, mtu, neigh_slot) | kLocal |
//          kIcmpError (icmp_type/code; the drop reason is counted too) | kDrop.
// Drops:   no-route, unreachable, prohibit (each also sends the ICMP error Linux sends),
//          blackhole, martian-source, martian-destination, route-error, not-forwardable.
// Config:  ip rule add from 10.0.1.128/25 table 100 ; ip route add 10.9.0.0/16 via 10.0.2.2
// Shape:   per packet: probe the route cache, decide a miss, apply. The cache (per worker,
//          four-way set associative) holds decisions of the current snapshot only: an entry is valid when its generation is the snapshot's, so a publish flushes
//          it at no cost. A decision is a pure function of the flow key and the snapshot
//          (rules, tables, links), so a hit answers exactly what route_input() would — the
//          route cache Linux had before 3.6, keyed here on the whole flow.
// Cost:    ~46 cycles/packet on a cache hit (1,024 flows, 16 rules, 1M routes, 64 B); a miss
//          takes the whole decision, ~1,300-1,600 cycles (perf/RESULTS.md, "Whole pipeline").
#include <string_view>
#include <vector>

#include "dataplane/burst.h"
#include "dataplane/stage.h"
#include "dataplane/tables/route_decision.h"

namespace dp {

// One cached decision; the key fits the first cache line.
struct alignas(64) RouteCacheEntry {
    uint64_t generation = 0;  // the snapshot the decision belongs to
    // key
    ws::InetAddr src, dst;
    uint32_t iif = 0, mark = 0;
    uint16_t sport = 0, dport = 0;
    uint8_t tos = 0, proto = 0;
    // decision
    Next next = Next::kDrop;
    DropReason drop = DropReason::kNone;
    uint8_t icmp_type = 0, icmp_code = 0;
    uint16_t out_port = kNoPort;
    uint32_t out_ifindex = 0;
    uint32_t mtu = 0;
    uint32_t neigh_slot = 0;
    int32_t rule_slot = -1;   // rule hit counter index, -1 when no rule decided
    int64_t route_slot = -1;  // route hit counter index, -1 when no route decided
    ws::InetAddr nexthop;
};

class RouteStage {
public:
    static constexpr std::string_view kName = "route";
    // Four ways per set: 1,024 flows thrash a direct-mapped 4,096-entry cache on one key in five
    // (birthday collisions: 20% misses measured); 2,048 sets of four still held one set of five
    // (0.49% misses, every one a miss under cyclic order); 4,096 sets make that rare.
    static constexpr uint32_t kSets = 4096;  // power of two
    static constexpr uint32_t kWays = 4;

    RouteStage() : cache_(kSets * kWays), tags_(kSets), victim_(kSets, 0) {}
    // Without the cache every packet takes decide() (benchmarks: the cost the cache hides).
    void set_cache_enabled(bool on) { cache_enabled_ = on; }
    void run(Burst& burst, const StageContext& ctx) noexcept;

    // The decision for one packet without the cache (tests, the ICMP error path).
    static void decide(const PacketMeta& m, const StageContext& ctx, RouteCacheEntry& e) noexcept;

private:
    // A set's tags (the key hash, 0 when empty) share a cache line with three other sets', so a
    // probe reads one line of tags and then the one entry whose tag matches. The tags are
    // cleared when a new snapshot is seen: no entry outlives its snapshot.
    struct SetTags {
        uint32_t tag[kWays];
    };
    std::vector<RouteCacheEntry> cache_;
    std::vector<SetTags> tags_;
    std::vector<uint8_t> victim_;  // round-robin replacement per set
    uint64_t generation_ = 0;
    bool cache_enabled_ = true;
};


// Whether a decision delivers to the gateway itself.
bool is_local(const RouteDecision& d);

// Where a forwarding decision sends a packet to dst, written into `to` (a RouteCacheEntry or a
// PacketMeta: both carry out_port, out_ifindex, mtu, nexthop, neigh_slot): the egress port, its
// MTU, the next hop and its neighbour slot (created INCOMPLETE when new). An xfrm interface
// and a GRE link are egresses without a port (out_port kNoPort, neigh_slot 0): the IPsec stage
// encrypts, the GRE stage encapsulates, and each routes the outer packet. False, `to`
// untouched, when the egress device has no port otherwise (dummy): not forwardable here.
template <class Target>
bool resolve_egress(const RouteDecision& d, const ws::InetAddr& dst, const StageContext& ctx, Target& to) {
    const IfaceView* dev = ctx.snap.iface(d.dev);
    if (!dev) return false;
    const bool tunnel = dev->xfrm_if_id || dev->gre;
    if (dev->port == kNoPort && !tunnel) return false;
    to.out_ifindex = d.dev;
    to.out_port = dev->port;
    to.mtu = dev->mtu;
    to.nexthop = d.gateway.valid() ? d.gateway : dst;
    to.neigh_slot = dev->host || tunnel ? 0 : ctx.neigh.find_or_create(d.dev, to.nexthop, ctx.now_tsc);
    return true;
}

// The flow key of a packet as the routing lookup sees it.
sel::FlowKey flow_key(const PacketMeta& m);

}  // namespace dp
