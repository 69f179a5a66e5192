#pragma once
// ForwardStage — what ip_forward() / ip6_forward() do to a routed packet before it leaves:
// link-layer broadcasts are not forwarded, an expiring TTL (hop limit) becomes ICMP time
// exceeded, a packet over the egress MTU becomes fragmentation needed / packet too big, and the
// TTL is decremented with the IPv4 checksum updated incrementally (RFC 1624, as Click's DecIPTTL).
//
// Needs:   next == kForward, meta.{ttl,l3_len,df,mtu,l2_unicast,from_host}.
// Sets:    next = kForward (TTL decremented) | kIcmpError (type 11/3, IPv6 3/2) | kDrop.
// Drops:   ttl-exceeded, frag-needed, not-forwardable (a link-layer broadcast frame),
//          martian-source and beyond-scope (IPv6 sources ip6_forward() refuses).
// Packets from the host interface are the gateway's own: no TTL decrement, no MTU check here.
// Cost:    ~10 cycles/packet at 64 B (perf/RESULTS.md, "Whole pipeline").
#include <string_view>

#include "dataplane/burst.h"
#include "dataplane/stage.h"

namespace dp {

class ForwardStage {
public:
    static constexpr std::string_view kName = "forward";

    // ip6_forward(): an unspecified, multicast or loopback source is never forwarded; a
    // link-local one must not leave its link (ICMPv6 destination unreachable, beyond scope).
    static bool scoped_source_ok(PacketMeta& meta) noexcept {
        const ws::InetAddr& s = meta.src;
        if (s.is_zero() || s.is_multicast() || s.is_loopback()) {
            meta.next = Next::kDrop;
            meta.drop = DropReason::kMartianSource;
            return false;
        }
        if (s.is_link_local6()) {
            meta.next = Next::kIcmpError;
            meta.drop = DropReason::kBeyondScope;
            meta.icmp_type = 1;
            meta.icmp_code = 2;
            return false;
        }
        return true;
    }

    static void process_one(rte_mbuf* m, PacketMeta& meta) noexcept {
        if (meta.from_host) return;
        const bool v6 = meta.dst.is_v6();
        if (!meta.l2_unicast) {  // ip_forward(): skb->pkt_type != PACKET_HOST
            meta.next = Next::kDrop;
            meta.drop = DropReason::kNotForwardable;
            return;
        }
        if (v6 && !scoped_source_ok(meta)) return;
        if (meta.ttl <= 1) {
            meta.next = Next::kIcmpError;
            meta.drop = DropReason::kTtlExceeded;
            meta.icmp_type = v6 ? 3 : 11;
            meta.icmp_code = 0;
            return;
        }
        if (meta.l3_len > meta.mtu) {
            meta.drop = DropReason::kFragNeeded;
            meta.icmp_info = meta.mtu;
            if (v6 || meta.df) {
                meta.next = Next::kIcmpError;
                meta.icmp_type = v6 ? 2 : 3;
                meta.icmp_code = v6 ? 0 : 4;
            } else {
                meta.next = Next::kDrop;  // no fragmentation (documented in README)
            }
            return;
        }
        uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, meta.l3_offset);
        if (v6) {
            ip[7] = uint8_t(meta.ttl - 1);
            return;
        }
        ip[8] = uint8_t(meta.ttl - 1);
        // RFC 1624 eqn. 3 for the TTL byte of the TTL/protocol word, as Linux's
        // ip_decrease_ttl(): HC' = HC + 0x0100 with the end-around carry, which also turns a
        // result of 0xffff into 0x0000 as a full recompute gives it.
        uint32_t sum = (uint32_t(ip[10]) << 8 | ip[11]) + 0x0100u;
        sum = (sum + (sum >= 0xffff)) & 0xffff;
        ip[10] = uint8_t(sum >> 8);
        ip[11] = uint8_t(sum);
    }

    void run(Burst& burst, const StageContext&) noexcept {
        for (uint16_t i = 0; i < burst.n; ++i)
            if (burst.meta[i].next == Next::kForward) process_one(burst.pkt[i], burst.meta[i]);
    }
};

}  // namespace dp
