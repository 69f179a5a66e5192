#pragma once
// GreStage — GRE links (RFC 2784, with RFC 2890's key) as Linux's ip_gre runs them with
// default parameters, in two calls the worker makes (DESIGN "Data flow in a worker"):
//
//   encap()  after forwarding and the FORWARD hook, before IPsec outbound: a packet routed to a
//            GRE link gets an outer IPv4 header and a GRE header (ip_tunnel_xmit()): source =
//            the link's `local` (unset: what the outer route chooses), destination = `remote`,
//            protocol 47, TTL inherited from the inner packet (ttl 0 = inherit; the hop limit
//            of an IPv6 one), TOS 0 with the inner ECN bits (CE sent as ECT(0),
//            INET_ECN_encapsulate), DF set (pmtudisc), ID counted per worker; GRE flags K when
//            keyed, protocol 0x0800 / 0x86DD, the key; no checksum, no sequence number. The
//            outer packet is routed (output lookup: saddr local, daddr remote, proto gre, the
//            key's halves as ports, mark 0 = the tunnel's fwmark, tos 0), cached per link for
//            the snapshot, and then is the gateway's own packet (from_host): IPsec outbound
//            applies the out SPD to it, so a transport-mode policy for `proto gre` encrypts it.
//   decap()  after the IPsec check of packets delivered locally: IPv4 protocol 47 from a
//            configured peer. The header is checked (gre_parse_header(): version 0; RFC 2784
//            2.3: routing, strict source route and the first recursion bit zero; a checksum
//            present must verify; a sequence number is skipped, as Linux does without iseq),
//            the link found as ip_tunnel_lookup() finds it (remote = outer source; local =
//            outer destination, else a link with no local; a keyed link needs that key, a
//            keyless one no key), the outer headers stripped and the inner packet re-parsed
//            with iif = the link, its mark kept and its secpath cleared (skb_scrub_packet());
//            an outer CE marks an ECN-capable inner packet CE and drops a not-ECT one
//            (RFC 6040, IP_ECN_decapsulate). It waits for routing again (next = kRoute).
//            GRE that no link takes (another peer, another key) stays local: the host kernel
//            may have GRE of its own.
//
// Needs:   snapshot.gre_links and the links' IfaceView.gre*; meta from parse and routing.
// Sets:    encap: next = kForward (the outer packet: src, dst, proto, ttl, tos, df, l3_len,
//          sport/dport = the key's halves, out_port, out_ifindex, mtu, nexthop, neigh_slot of
//          the outer route; from_host, xfrm_done = false, fwmark 0) | kIcmpError (too big with
//          DF, or IPv6: fragmentation needed / packet too big with MTU = the outer packet's
//          limit - 24 or 28; that limit is the outer route's MTU, less what ESP adds when the
//          out SPD protects the tunnel's flow, as the xfrm bundle's MTU is on Linux)
//          | kDrop. decap: next = kRoute (the inner packet, iif = the link) | kDrop.
//          Inner packets' tx (encap) and rx (decap) packets and bytes in counters.virt[link].
// Drops:   gre-no-route, gre-loop (local or port-less outer route), gre-no-room, frag-needed
//          (too big: with an ICMP error as above, silently for IPv4 without DF), link-down,
//          gre-malformed, gre-bad-checksum, gre-unsupported-protocol, gre-ecn-not-ect; inner
//          packets that fail the parse stage's checks by its reasons.
// Config:  ip link add gre1 type gre local 172.16.0.1 remote 172.16.0.2 key 5
//          ip link set gre1 up ; ip route add 10.0.2.0/24 dev gre1
//          ip xfrm policy add src 172.16.0.1 dst 172.16.0.2 proto gre dir out
//            tmpl src 172.16.0.1 dst 172.16.0.2 proto esp reqid 11 mode transport
// Not:     GRE over an xfrm interface or another GRE link (gre-loop), IPv6 outer headers
//          (ip6gre), gretap, NBMA (remote any), checksums and sequence numbers on output; the
//          outer packet skips iptables OUTPUT/POSTROUTING (as IPsec's ESP packets do); GRE
//          inside GRE or ESP inside GRE for the gateway is not opened a second time (it goes
//          to the host kernel); inner packets count in `ip -s link` only below ifindex 64.
// Cost:    not benchmarked yet (TODO(perf): a GRE workload in perf/). Per packet: one cached
//          outer route, 24-28 bytes written into headroom; decap scans the GRE links linearly;
//          nothing at all while the snapshot has no GRE link.
#include <string_view>
#include <vector>

#include "dataplane/burst.h"
#include "dataplane/stage.h"

namespace dp {

class GreStage {
public:
    static constexpr std::string_view kName = "gre";
    static constexpr uint8_t kProtoGre = 47;

    void encap(Burst& b, const StageContext& ctx) noexcept;
    // The packets that were turned into their inner packets (to route and policy-check again).
    BurstMask decap(Burst& b, const StageContext& ctx) noexcept;

private:
    // The outer route of one GRE link, per worker, valid for one snapshot.
    struct OuterRoute {
        bool made = false;
        uint64_t generation = 0;
        DropReason drop = DropReason::kNone;
        ws::InetAddr src;  // the outer source: the link's local, or the outer route's choice
        uint16_t out_port = kNoPort;
        uint32_t out_ifindex = 0;
        uint32_t mtu = 0;         // the egress link's
        uint32_t packet_mtu = 0;  // the outer packet's limit: mtu, less ESP when the SPD protects it
        uint32_t neigh_slot = 0;
        ws::InetAddr nexthop;
    };
    const OuterRoute& outer_route(uint32_t ifindex, const IfaceView& link, const StageContext& ctx) noexcept;
    // One packet's decapsulation; true when it became its inner packet.
    bool decap_one(Burst& b, uint16_t i, const StageContext& ctx) noexcept;

    std::vector<OuterRoute> outer_;  // by ifindex
    uint16_t ip_id_ = 1;
};

}  // namespace dp
