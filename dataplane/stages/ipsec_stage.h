#pragma once
// IpsecStage — the SPD's power over all traffic and ESP (RFC 4301, RFC 4303), in three calls
// the worker makes around routing and forwarding (DESIGN "Data flow in a worker"):
//
//   inbound()  after routing: ESP and ESP-in-UDP (RFC 3948) addressed to the gateway. SA by
//              (destination, SPI) → anti-replay → decrypt → the inner packet (tunnel) or the
//              payload behind the IP header (transport) is re-parsed with `iif` = the xfrm
//              interface of the SA's if_id (else the port it came in on), keeps the SA as its
//              "secpath" and goes back to routing (next = kRoute). IKE (UDP 500, and the
//              Non-ESP Marker on 4500) stays local; NAT-T keepalives are consumed.
//   check()    after the second routing: Linux's __xfrm_policy_check() for packets delivered
//              locally (dir in) or forwarded (dir fwd): the SA's selector, then the first
//              matching policy: block drops; a template needs the packet to have come
//              through a fitting SA (else plaintext that must be protected: dropped); no
//              policy takes the direction's default, and a tunnel-mode secpath with no
//              policy or a template-less one is dropped. IKE to the gateway bypasses.
//              GRE's key is the flow's ports, as Linux's decode_session gives it (its halves
//              are what xfrm_flowi_sport/dport read), in every direction.
//   (SPD lookups go through a per-worker exact flow cache, dataplane/tables/spd_cache.h, and the
//   misses of a burst to the compiled table in one bulk call per direction and family.)
//   outbound() after forwarding (TTL, MTU): every packet routed to an xfrm interface looks up
//              `dir out` with that interface's if_id; any other packet leaving through a port
//              looks up `dir out` with if_id 0 (the gateway's own IKE, UDP from port 500 or a
//              NAT-T port, bypasses). PROTECT encrypts in runs of one SA (sequence numbers
//              reserved per run, one engine call for the whole burst), builds the outer
//              header (tunnel) or inserts ESP behind the IP header (transport), and the outer
//              packet is routed (cached per SA) to its port and next hop.
//
// Needs:   snapshot.ipsec (IpsecTables); meta from parse and routing; one crypto::Engine per
//          worker (owned here).
// Sets:    next = kRoute (decrypted, to route again) | kForward (encrypted: out_port, nexthop,
//          neigh_slot of the outer route) | kIcmpError (too big once encrypted) | kDrop.
// Drops:   esp-* (crypto/esp_error.h, one to one), esp-no-sa, esp-encap-mismatch,
//          esp-multi-segment, natt-keepalive, natt-malformed, xfrm-in-*, xfrm-out-*,
//          frag-needed; inner packets that fail the parse stage's checks by its reasons.
// Config:  ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 mode tunnel
//            aead 'rfc4106(gcm(aes))' 0x<key><salt> 128
//          ip xfrm policy add src 10.0.1.0/24 dst 10.9.0.0/16 dir out
//            tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
//          ip link add ipsec0 type xfrm if_id 7 ; ip route add 10.9.0.0/16 dev ipsec0
// Outer header (tunnel), as Linux's xfrm4/6 tunnel output: TTL/hop limit 64; DF copied from
//          an IPv4 inner packet (set for IPv6 inner); TOS/traffic class = the inner one with
//          ECN CE sent as ECT(0), DSCP cleared by extra-flag dont-encap-dscp, ECN by flag
//          noecn. NAT-T: UDP SPORT → DPORT of the SA, checksum 0 over IPv4.
// Cost:    perf/RESULTS.md, "ESP through the pipeline".
#include <memory>
#include <string_view>
#include <vector>

#include "crypto/engine.h"
#include "dataplane/burst.h"
#include "dataplane/stage.h"
#include "dataplane/tables/spd_cache.h"

namespace dp {

class IpsecStage {
public:
    static constexpr std::string_view kName = "ipsec";
    IpsecStage();
    ~IpsecStage();

    // True when a packet was decrypted and waits for routing again.
    bool inbound(Burst& b, const StageContext& ctx) noexcept;
    // Only the packets in `only` (the inner packets of GRE decapsulation: the rest were checked).
    void check(Burst& b, const StageContext& ctx, BurstMask only = kAllPackets) noexcept;
    void outbound(Burst& b, const StageContext& ctx) noexcept;

    crypto::Engine& engine() { return *engine_; }

private:
    // The outer route of one SA (tunnel mode), per worker, valid for one snapshot and mark.
    struct OuterRoute {
        uint64_t generation = 0;
        uint32_t mark = 0;
        uint32_t peer_gen = 0;  // the SA runtime's roamed-peer generation it was made for
        ws::InetAddr dst;       // the outer destination: the SA's, or where its peer roamed to
        DropReason drop = DropReason::kNone;
        uint16_t out_port = kNoPort;
        uint32_t out_ifindex = 0;
        uint32_t mtu = 0;
        uint32_t neigh_slot = 0;
        ws::InetAddr nexthop;
    };
    const OuterRoute& outer_route(uint32_t sa, const PacketMeta& m, const StageContext& ctx);
    // Roaming: an authenticated packet of an SA with `extra-flag roam` came from `from`.
    static void learn_peer(const SaEntry& out, const ws::InetAddr& from) noexcept;

    std::unique_ptr<crypto::Engine> engine_;
    SpdCache spd_cache_;  // SPD decisions per flow, this snapshot's (dataplane/tables/spd_cache.h)
    std::vector<OuterRoute> outer_;
    uint16_t ip_id_ = 1;
};

}  // namespace dp
