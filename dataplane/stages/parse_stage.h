#pragma once
// ParseStage — validates Ethernet, ARP, IPv4 and IPv6 headers and fills the packet metadata.
//
// Needs:   burst.in_port; the snapshot's port -> ifindex map.
// Sets:    meta.{src,dst,iif,l3_offset,l3_len,tos,proto,ttl,sport,dport,df,l2_unicast,from_host}
//          and next = kRoute (IP), kArp, kNd (ICMPv6 neighbour solicitation/advertisement).
// Drops:   l2-too-short, l2-not-for-us, vlan-tagged, unknown-ethertype, link-down,
//          arp-malformed, ip4-too-short, ip4-bad-version, ip4-bad-ihl, ip4-bad-length,
//          ip4-bad-checksum, ip4-options, ip4-fragment, ip6-too-short, ip6-bad-version,
//          ip6-bad-length, ip6-extension-header (RFC 1812 5.2.2; RFC 8200).
// Frame padding beyond the IP length is trimmed. Ports are read for TCP, UDP and SCTP only.
// Cost:    ~34 cycles/packet at 64 B on the standard rig (perf/RESULTS.md, "Whole pipeline").
#include <string_view>

#include "dataplane/burst.h"
#include "dataplane/stage.h"

namespace dp {

class ParseStage {
public:
    static constexpr std::string_view kName = "parse";
    void run(Burst& burst, const StageContext& ctx) noexcept;
};

// One packet's parse, for tests and the host path.
void parse_packet(rte_mbuf* m, PacketMeta& meta, const IfaceView& in, uint32_t iif) noexcept;

}  // namespace dp
