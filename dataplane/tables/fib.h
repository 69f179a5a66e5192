#pragma once
// Fib — one compiled routing table: longest-prefix match plus Linux's alias order.
//
// Choice (STYLE 22): our own compact per-snapshot structure, not rte_fib. rte_fib's DIR24_8
// costs 64+ MiB per table whatever its size, and policy routing uses many small tables; and
// Linux semantics need every matching prefix, longest first (a prefix whose aliases all fail
// the tos/nexthop checks falls back to the next shorter one, reference §2.4), which rte_fib's
// single next-hop answer cannot give.
//
// Structure: a multibit trie with controlled prefix expansion. The first level indexes the top
// 8 bits (small tables) or 16 bits (over kWideThreshold prefixes); every further level one byte,
// in chunks of 256 uint32 entries, allocated only under prefixes longer than the level above.
// An entry is 0 (no route), a node index + 1, or kChunk | chunk number. Each node (one distinct
// prefix) records its parent: the longest shorter prefix of the table that covers it, so the
// fall-back walk is a pointer chase. IPv4 lookups read at most 3 entries, IPv6 at most 15.
//
// Built in one pass from the whole prefix list (sorted by length, so no entry is ever pushed
// down) and read-only afterwards: snapshots rebuild tables, they are not updated in place.
// Cost (perf/fib_bench.cc; perf/RESULTS.md has the run and the command):
//   1,000,001 prefixes, BGP-like mix: lpm_bulk_v4 ~50 cycles/lookup random, ~61 in-table
//     (burst 32, 2-core EPYC VM); built in ~0.56 s; 273 MiB (286 B/prefix, of which routes 120 B).
//   1,000 prefixes: ~7-10 cycles/lookup, 2.1 MiB. 1 prefix: 2-7 cycles, 5 KiB.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/inet.h"
#include "dataplane/tables/route.h"

namespace dp {

class Fib {
public:
    using Handle = uint32_t;
    static constexpr Handle kNone = 0xffffffffu;
    static constexpr size_t kWideThreshold = 4096;

    struct Node {
        ws::InetPrefix prefix;
        uint32_t parent = kNone;
        uint32_t first = 0;  // into routes_
        uint32_t count = 0;
    };

    // groups: one span per distinct prefix, each holding that prefix's aliases in Linux order;
    // groups may come in any order. Every route is copied once, into the table's own array.
    static Fib build_groups(uint32_t id, ws::Family family, const std::vector<std::span<const Route>>& groups);
    // routes: every alias of the table, grouped by prefix (consecutive equal prefixes form one
    // group, their order kept).
    static Fib build(uint32_t id, ws::Family family, const std::vector<Route>& routes);

    Handle first(const ws::InetAddr& a) const { return lpm(a); }
    Handle next(const ws::InetAddr&, Handle h) const { return nodes_[h].parent; }
    bool valid(Handle h) const { return h != kNone; }
    uint8_t prefixlen(Handle h) const { return nodes_[h].prefix.len; }
    std::span<const Route> routes(Handle h) const {
        return {routes_.data() + nodes_[h].first, nodes_[h].count};
    }

    const Node& node(Handle h) const { return nodes_[h]; }

    Handle lpm(const ws::InetAddr& a) const;
    // Bulk IPv4 longest-prefix match (host-order addresses), the fast path's entry point.
    void lpm_bulk_v4(const uint32_t* addrs, Handle* out, unsigned n) const;

    uint32_t id() const { return id_; }
    ws::Family family() const { return family_; }
    size_t prefix_count() const { return nodes_.size(); }
    size_t route_count() const { return routes_.size(); }
    // Route hit counters: the snapshot numbers every table's routes from a base.
    const Route* route_data() const { return routes_.data(); }
    uint32_t counter_base() const { return counter_base_; }
    void set_counter_base(uint32_t b) { counter_base_ = b; }
    // The counter slot of one of this table's routes, or -1.
    int64_t counter_slot(const Route* r) const {
        if (r < routes_.data() || r >= routes_.data() + routes_.size()) return -1;
        return int64_t(counter_base_) + (r - routes_.data());
    }
    size_t memory_bytes() const;
    std::string describe() const;

private:
    static constexpr uint32_t kChunk = 0x80000000u;
    void insert(const ws::InetPrefix& p, uint32_t node);
    uint32_t new_chunk(uint32_t fill);

    std::vector<uint32_t> root_;
    std::vector<uint32_t> chunks_;  // 256 entries per chunk
    std::vector<Node> nodes_;
    std::vector<Route> routes_;
    uint32_t id_ = 0;
    uint32_t counter_base_ = 0;
    ws::Family family_ = ws::Family::kInet;
    uint8_t stride0_ = 8;
};

}  // namespace dp
