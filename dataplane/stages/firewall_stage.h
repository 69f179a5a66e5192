#pragma once
// FirewallStage — iptables' mangle and filter tables at netfilter's hooks, where Linux runs
// them (mangle before filter at each hook):
//   from a port:       mangle PREROUTING -> route -> INPUT (mangle, filter) for local delivery;
//                      forwarded packets pass ip_forward()'s checks first (the fwd policy, TTL,
//                      MTU: ForwardStage), then FORWARD (mangle, filter) and mangle POSTROUTING
//   from the host:     route -> mangle OUTPUT (a changed mark or TOS routes it again, as
//                      ip_route_me_harder()) -> filter OUTPUT -> mangle POSTROUTING
//   decrypted by IPsec: the inner packet enters PREROUTING again (with the ESP packet's mark)
// MARK sets meta.fwmark, which routing (ip rule fwmark) and the SPD read; DSCP rewrites the
// packet's DS field (IPv4 checksum updated). DROP, a DROP policy and REJECT end the packet
// (REJECT through the worker's ICMP error path: an ICMP error or a TCP RST).
//
// Needs:   parsed packets (meta.{src,dst,proto,tos,l3_len,fwmark,iif,from_host}), the L3
//          header at l3_offset; after routing, out_ifindex.
// Sets:    meta.fwmark, meta.tos (and the header), meta.fw (hooks done); verdicts kDrop
//          (fw-drop, fw-policy-drop) or kIcmpError (fw-reject).
// Config:  iptables -t mangle -A PREROUTING -p tcp --dport 23 -j MARK --set-mark 1
//          iptables -A FORWARD -i wild0 -m string --string "GET /admin" --algo bm -j DROP
// Shape:   per hook, the burst's packets that reach it gathered into FwKeys and classified in
//          one FwTable::run() (dataplane/tables/fw_table.h): one rte_acl call for the burst.
// Cost:    perf/RESULTS.md, "Firewall classification".
// Not:     the ESP packets IPsec makes (Linux runs OUTPUT and POSTROUTING on them) and the
//          gateway's own ICMP errors do not traverse the tables; IPv6 extension headers are
//          not skipped to find -p (the next header is the protocol).
#include <string_view>

#include "dataplane/burst.h"
#include "dataplane/stage.h"

namespace dp {

class FirewallStage {
public:
    static constexpr std::string_view kName = "firewall";
    // PacketMeta::fw bits: the hooks a packet has been through.
    static constexpr uint8_t kPre = 1, kOut = 2, kLocal = 4, kFwd = 8;

    // mangle PREROUTING for packets from a port that wait for routing.
    void prerouting(Burst& b, const StageContext& ctx) noexcept;
    // mangle OUTPUT for the host's routed packets. True when some packet's mark or TOS changed:
    // its next is kRoute again and the worker routes it once more.
    bool output(Burst& b, const StageContext& ctx) noexcept;
    // After routing: INPUT (mangle, filter) for local delivery, filter OUTPUT for the host's
    // packets.
    void local(Burst& b, const StageContext& ctx) noexcept;
    // After ForwardStage: FORWARD (mangle, filter) for forwarded packets, then mangle
    // POSTROUTING for every packet leaving a port.
    void forward(Burst& b, const StageContext& ctx) noexcept;

private:
    enum class Want : uint8_t { kPre, kOut, kInput, kForward, kHostOut, kPost };
    // One hook of one table for the packets `want` selects; true when a mark or TOS changed.
    bool hook(Burst& b, const StageContext& ctx, bool mangle, FwHook h, Want want) noexcept;
};

}  // namespace dp
