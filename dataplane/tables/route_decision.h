#pragma once
// route_output() / route_input() — the whole routing decision for one flow, as Linux's
// ip_route_output_key_hash_rcu() and ip_route_input_slow() make it: martian checks, the rule
// walk, multipath choice, preferred-source selection, and the flags `ip route get` reports.
//
// Needs:   a Routing view and a FlowKey. Output lookups: iif = lo (set here), saddr = the bound
//          source or zero. Input lookups: iif = the ingress device, saddr = the packet source.
// Returns: RouteDecision; error != 0 is the errno `ip route get` prints (strerror text).
// Forwarding is on (wildside is a gateway): the "forwarding off gives EHOSTUNREACH" rule of the
// input path never applies.
// Cost (perf/route_decision_bench.cc): one cache-cold route_input() in a 1M-route table,
// ~1,900 cycles with no user rule, ~2,300 with 16 rules, ~5,500 with 256 (perf/RESULTS.md).
#include <cstdint>

#include "dataplane/tables/fib_lookup.h"
#include "dataplane/tables/routing.h"

namespace dp {

// The kernel's RTCF_* cache flags that `ip route get` prints, in iproute2's print order.
enum CacheFlags : uint32_t {
    kRtcfLocal = 0x80000000u,
    kRtcfMulticast = 0x20000000u,
    kRtcfBroadcast = 0x10000000u,
    kRtcfDoRedirect = 0x01000000u,
};

// Which address made route_input() refuse a packet as martian (the kernel's martian source and
// martian destination paths, both EINVAL).
enum class Martian : uint8_t { kNone, kSource, kDestination };

struct RouteDecision {
    int error = 0;
    RouteType type = RouteType::kUnicast;
    bool has_table = false;         // false when no table decided (oif on-link fallback)
    uint32_t table = 0;
    uint32_t rule_priority = 0;
    uint32_t dev = 0;               // output ifindex
    ws::InetAddr gateway;           // family kNone: no gateway
    ws::InetAddr saddr;             // the chosen source (fl4->saddr)
    uint8_t tos = 0;                // the matched route's tos
    uint32_t cache_flags = 0;
    const Route* route = nullptr;
    uint8_t prefixlen = 0;
    std::span<const Route> aliases;  // the matched prefix's aliases (IPv6 sibling groups)
    int32_t rule_index = -1;        // the deciding rule's index in the family's rule list
    Martian martian = Martian::kNone;  // why an EINVAL input decision refused the packet
};

RouteDecision route_output(const Routing& r, sel::FlowKey k);
RouteDecision route_input(const Routing& r, sel::FlowKey k);
// The IPv6 decisions (route_decision6.cc); route_output/route_input dispatch to them.
RouteDecision route_output6(const Routing& r, sel::FlowKey k);
RouteDecision route_input6(const Routing& r, sel::FlowKey k);

// The source address an output lookup that ends on route r (its first nexthop) gives a flow
// without a bound source: r's `src`, else the nexthop's cached source (IPv4,
// fib_info_update_nhc_saddr) or RFC 6724's choice on the nexthop device (IPv6). Zero when the
// route cannot carry traffic.
ws::InetAddr route_source(const Interfaces& ifs, const Route& r);

// The multipath hash of a flow (L3: source and destination, as fib_multipath_hash_policy 0),
// 31 bits as fib_select_multipath() compares it.
uint32_t multipath_hash(const sel::FlowKey& k);

}  // namespace dp
