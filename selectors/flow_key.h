#pragma once
// FlowKey — what a routing lookup matches on: Linux's struct flowi4/flowi6 fields
// (reference §0). Filled by the parse stage for packets and by `ip route get` for queries.
#include <cstdint>

#include "common/inet.h"

namespace sel {

// Linux's LOOPBACK_IFINDEX: output lookups carry iif = lo, so `iif lo` matches host traffic.
inline constexpr uint32_t kLoopbackIfindex = 1;

struct FlowKey {
    ws::InetAddr daddr;
    ws::InetAddr saddr;   // zero for an unbound output lookup
    uint32_t iif = 0;     // ingress ifindex; kLoopbackIfindex for host-originated traffic
    uint32_t oif = 0;     // bound device, or 0
    uint32_t mark = 0;    // fwmark (skb->mark)
    uint32_t uid = 0;
    uint16_t sport = 0;
    uint16_t dport = 0;
    uint8_t tos = 0;      // the whole TOS/traffic-class byte, ECN included
    uint8_t proto = 0;    // IP protocol number
    uint8_t scope = 0;    // flowi4_scope: routes with a narrower scope are skipped
    uint32_t route_oif = 0;  // IPv6: the device route selection prefers (output: oif, input: iif)
};

}  // namespace sel
