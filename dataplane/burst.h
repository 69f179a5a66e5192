#pragma once
// Burst — up to kBurstMax packets and their metadata, as a structure of arrays (STYLE 7).
//
// Only the parse stage reads header bytes; later stages read and write `meta`. A stage never
// frees, transmits or reorders packets: it sets meta[i].next (and drop) and the worker acts.
#include <rte_mbuf.h>

#include <cstdint>
#include <type_traits>

#include "common/inet.h"
#include "dataplane/drop_reasons.h"

namespace dp {

inline constexpr uint16_t kBurstMax = 32;
inline constexpr uint16_t kNoPort = 0xffff;
// A set of a burst's packets: bit i is packet i.
using BurstMask = uint32_t;
inline constexpr BurstMask kAllPackets = ~BurstMask(0);
static_assert(kBurstMax <= sizeof(BurstMask) * 8, "one bit per packet");

// What happens to a packet next. The worker dispatches on it after the stages.
enum class Next : uint8_t {
    kRoute,       // parsed IP packet waiting for the routing decision
    kArp,         // ARP: answered or learned from by the worker
    kNd,          // ICMPv6 neighbour discovery: answered or learned from by the worker
    kForward,     // to out_port, after the neighbour stage fills the MACs
    kLocal,       // to the host interface
    kIcmpError,   // turn into an ICMP error (icmp_type/icmp_code) back to the source
    kTx,          // headers complete: transmit on out_port
    kPending,     // neighbour unresolved: the worker queues it and probes
    kDrop,
};

struct PacketMeta {
    // Set by the parse stage.
    ws::InetAddr src;
    ws::InetAddr dst;
    uint32_t iif = 0;          // ingress ifindex (kLoopbackIfindex for the host interface)
    uint16_t l3_offset = 0;    // bytes from the frame start to the IP header
    uint16_t l3_len = 0;       // the IP packet's length (total length / 40 + payload length)
    uint16_t sport = 0, dport = 0;  // TCP/UDP/SCTP ports, 0 for other protocols
    uint32_t fwmark = 0;
    uint8_t tos = 0;           // TOS / traffic class byte
    uint8_t proto = 0;         // IP protocol / IPv6 next header
    uint8_t ttl = 0;           // TTL / hop limit as received
    bool l2_unicast = true;    // destination MAC was the port's own (PACKET_HOST)
    bool from_host = false;    // entered through the host interface: output routing (iif lo)
    bool df = false;           // IPv4 don't-fragment
    // IPsec (dataplane/stages/ipsec_stage.h).
    bool ike = false;          // IKE in UDP to the NAT-T port (Non-ESP Marker): bypasses the SPD
    bool xfrm_done = false;    // the out policy was applied (bypassed or encrypted)
    uint32_t xfrm_sa = 0;      // the SA that decrypted it + 1 (Linux's secpath), 0: plaintext
    // iptables (dataplane/stages/firewall_stage.h): the hooks this packet has been through.
    uint8_t fw = 0;
    // Set by routing.
    uint16_t out_port = kNoPort;
    uint32_t out_ifindex = 0;
    uint32_t mtu = 0;
    ws::InetAddr nexthop;      // gateway, or the destination itself when on-link
    uint32_t neigh_slot = 0;   // the next hop's neighbour table slot (0: none)
    bool neigh_probe = false;  // the neighbour is STALE: probe it while using it
    uint8_t icmp_type = 0, icmp_code = 0;
    uint32_t icmp_info = 0;    // next-hop MTU for fragmentation needed / packet too big
    Next next = Next::kRoute;
    DropReason drop = DropReason::kNone;
};

struct Burst {
    rte_mbuf* pkt[kBurstMax];
    PacketMeta meta[kBurstMax];
    uint16_t n = 0;
    uint16_t in_port = 0;

    void drop(uint16_t i, DropReason r) {
        meta[i].next = Next::kDrop;
        meta[i].drop = r;
    }
};
static_assert(std::is_trivially_destructible_v<PacketMeta>, "a burst is plain data");

}  // namespace dp
