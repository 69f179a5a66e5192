#pragma once
// SpdRule / SpdKey — one SPD policy's match and one packet's flow, in dataplane terms: what
// dp::SpdTable (spd_table.h) is built from and looked up with. Plain values without DPDK, so
// the control plane (control/compile/compile_spd.h) fills them without linking rte_acl.
//
// Match (Linux's xfrm_policy_match() = __xfrm4/6_selector_match() + mark + if_id): src and dst
// in their prefixes, ((key.sport ^ sport) & sport_mask) == 0 and the same for dport, proto 0 or
// equal, (key.mark & mark_m) == mark_v, if_id equal (0 matches only 0). The flow's family must
// be the table's. ICMP/ICMPv6 flows carry the type in sport and the code in dport
// (xfrm_flowi_sport/dport); flows of protocols without ports carry 0 in both. The reference
// implementation is ctl::XfrmPolicy::matches() (control/model/xfrm_model.h).
#include <cstdint>

#include "common/inet.h"

namespace dp {

struct SpdRule {
    ws::InetPrefix src, dst;  // host bits are ignored, as Linux ignores them
    uint8_t proto = 0;        // 0: any
    uint16_t sport = 0, sport_mask = 0, dport = 0, dport_mask = 0;  // host order
    uint32_t mark_v = 0, mark_m = 0;  // a rule whose mark_v has bits outside mark_m never matches
    uint32_t if_id = 0;
    uint32_t result = 0;  // what a lookup returns (e.g. an index into the caller's policy array)
};

struct SpdKey {
    ws::InetAddr src, dst;
    uint8_t proto = 0;
    uint16_t sport = 0, dport = 0;  // host order; ICMP type / code
    uint32_t mark = 0, if_id = 0;
};

}  // namespace dp
