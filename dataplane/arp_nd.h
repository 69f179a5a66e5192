#pragma once
// ARP (RFC 826) and IPv6 neighbour discovery (RFC 4861) frames: reading requests and
// replies, answering in place, and building probes. Plain functions over mbufs; the worker
// decides what to answer and learn (dataplane/worker.cc).
#include <cstdint>
#include <optional>

#include "common/inet.h"
#include "dataplane/burst.h"
#include "dataplane/tables/neighbour_table.h"

namespace dp {

struct ArpView {
    bool request = false;     // op 1; false: reply (op 2)
    MacAddr sender_mac{};
    ws::InetAddr sender_ip;
    ws::InetAddr target_ip;
};
// Reads an ARP frame the parse stage accepted (Ethernet/IPv4, >= 28 bytes).
std::optional<ArpView> read_arp(const rte_mbuf* m) noexcept;
// Turns a request into the reply "target_ip is at our_mac".
void arp_reply_in_place(rte_mbuf* m, const MacAddr& our_mac) noexcept;
// A broadcast "who has target? tell sender" into an empty mbuf.
bool build_arp_request(rte_mbuf* m, const MacAddr& src_mac, const ws::InetAddr& sender, const ws::InetAddr& target) noexcept;

struct NdView {
    bool solicit = false;         // NS (135); false: NA (136)
    ws::InetAddr src;             // the IPv6 source
    ws::InetAddr target;
    std::optional<MacAddr> lladdr;  // source (NS) or target (NA) link-layer address option
};
std::optional<NdView> read_nd(const rte_mbuf* m, const PacketMeta& meta) noexcept;
// Turns a solicitation into the advertisement "target is at our_mac" (router, solicited,
// override), sent back to the solicitor (all-nodes when it had no address).
void nd_advert_in_place(rte_mbuf* m, const NdView& ns, const MacAddr& our_mac) noexcept;
// A solicitation for target to its solicited-node multicast address.
bool build_nd_solicit(rte_mbuf* m, const MacAddr& src_mac, const ws::InetAddr& src, const ws::InetAddr& target) noexcept;

}  // namespace dp
