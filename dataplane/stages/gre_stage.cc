#include "dataplane/stages/gre_stage.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

#include "crypto/esp.h"
#include "crypto/natt.h"
#include "dataplane/stages/parse_stage.h"
#include "dataplane/stages/route_stage.h"
#include "dataplane/tables/route_decision.h"
#include "dataplane/wire.h"

namespace dp {
namespace {

// GRE flags and version, the first 16 bits of the header (RFC 2784 2.1, RFC 2890 2).
constexpr uint16_t kGreChecksum = 0x8000, kGreRouting = 0x4000, kGreKey = 0x2000, kGreSeq = 0x1000;
constexpr uint16_t kGreStrictRoute = 0x0800, kGreRecursion5 = 0x0400, kGreVersion = 0x0007;
constexpr uint32_t kOuterIpBytes = 20;
constexpr uint32_t kIpv6MinMtu = 1280;

inline uint16_t load16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t load32(const uint8_t* p) { return uint32_t(load16(p)) << 16 | load16(p + 2); }
inline void put32(uint8_t* p, uint32_t v) {
    put16(p, uint16_t(v >> 16));
    put16(p + 2, uint16_t(v));
}

inline uint32_t gre_header_bytes(const IfaceView& link) { return link.gre_keyed ? 8u : 4u; }
inline bool local_any(const IfaceView& link) { return !link.gre_local.valid() || link.gre_local.is_zero(); }

// ip_tunnel_key_match(): a keyed link takes only its key, a keyless one only keyless packets.
inline bool key_matches(const IfaceView& link, bool keyed, uint32_t key) {
    return link.gre_keyed ? keyed && key == link.gre_key : !keyed;
}

// ip_tunnel_lookup() for GRE links: remote = the outer source; the link bound to the outer
// destination first, then one with no local. Null when none.
uint32_t find_link(const Snapshot& s, const PacketMeta& m, bool keyed, uint32_t key) {
    uint32_t any = 0;
    for (uint32_t x : s.gre_links) {
        const IfaceView& v = s.ifaces[x];
        if (!(v.gre_remote == m.src) || !key_matches(v, keyed, key)) continue;
        if (v.gre_local == m.dst) return x;
        if (local_any(v) && !any) any = x;
    }
    return any;
}

// Whether any GRE link has this peer (the outer source) and may have this local address.
bool is_peer(const Snapshot& s, const PacketMeta& m) {
    for (uint32_t x : s.gre_links) {
        const IfaceView& v = s.ifaces[x];
        if (v.gre_remote == m.src && (local_any(v) || v.gre_local == m.dst)) return true;
    }
    return false;
}

// RFC 6040 4.2 (Linux's IP_ECN_decapsulate) on the parsed inner packet: an outer CE marks an
// ECN-capable inner packet CE; a not-ECT one is dropped. False: drop it.
bool decap_ecn(rte_mbuf* p, PacketMeta& m, uint8_t outer_tos) {
    if ((outer_tos & 3) != 3 || (m.tos & 3) == 3) return true;
    if ((m.tos & 3) == 0) return false;
    m.tos |= 3;
    uint8_t* ip = rte_pktmbuf_mtod_offset(p, uint8_t*, m.l3_offset);
    if (m.dst.is_v6()) {
        ip[1] |= 0x30;
    } else {
        ip[1] = m.tos;
        ip[10] = ip[11] = 0;
        put_cksum(ip + 10, rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip)));
    }
    return true;
}

// ip_route_output_key() hands ip_tunnel_xmit() the xfrm bundle when the out SPD protects the
// tunnel's flow, and the bundle's MTU leaves room for ESP (xfrm_state_mtu()): the MTU the outer
// GRE packet may have, so that tnl_update_pmtu() tells the inner sender what really fits.
uint32_t protected_mtu(const Snapshot& s, const ws::InetAddr& src, const IfaceView& link, uint32_t mtu) {
    if (!s.ipsec) return mtu;
    const SpdDirection& out = s.ipsec->dir(SpdDir::kOut);
    const SpdTable* t = out.table(false);
    if (!t || out.empty()) return mtu;
    SpdKey k;
    k.src = src;
    k.dst = link.gre_remote;
    k.proto = GreStage::kProtoGre;
    k.sport = link.gre_keyed ? uint16_t(link.gre_key >> 16) : 0;
    k.dport = link.gre_keyed ? uint16_t(link.gre_key) : 0;
    const uint32_t res = t->lookup_one(k);
    if (res == SpdTable::kNoMatch) return mtu;
    const PolicyEntry& p = out.policies[res];
    if (p.action != PolicyAction::kProtect || p.sa == kNoSa) return mtu;
    const SaEntry& sa = s.ipsec->sas[p.sa];
    const bool tunnel = sa.mode == crypto::Mode::kTunnel;
    const uint32_t hl = kOuterIpBytes;
    const uint32_t front = (tunnel ? (sa.dst.is_v6() ? 40u : 20u) : hl) + (sa.natt ? crypto::kUdpHeaderBytes : 0) +
                           crypto::esp_headroom(*sa.crypto);
    const uint32_t fit = crypto::esp_payload_fit(*sa.crypto, mtu, front);
    return tunnel ? fit : fit + hl;
}

}  // namespace

const GreStage::OuterRoute& GreStage::outer_route(uint32_t ifindex, const IfaceView& link, const StageContext& ctx) noexcept {
    const Snapshot& s = ctx.snap;
    if (outer_.size() < s.ifaces.size()) outer_.resize(s.ifaces.size());  // once per larger link table
    OuterRoute& r = outer_[ifindex];
    if (r.made && r.generation == s.generation) return r;
    r = OuterRoute{};
    r.made = true;
    r.generation = s.generation;
    // ip_tunnel_init_flow(): the tunnel's addresses, protocol and key (fl4_gre_key shares the
    // ports' place), its fwmark (0) and TOS (0), no bound device.
    sel::FlowKey k;
    k.saddr = local_any(link) ? ws::InetAddr::zero(ws::Family::kInet) : link.gre_local;
    k.daddr = link.gre_remote;
    k.proto = kProtoGre;
    if (link.gre_keyed) {
        k.sport = uint16_t(link.gre_key >> 16);
        k.dport = uint16_t(link.gre_key);
    }
    const RouteDecision d = route_output(*s.routing, k);
    if (d.error) r.drop = DropReason::kGreNoRoute;
    else if (is_local(d)) r.drop = DropReason::kGreLoop;
    else if (!resolve_egress(d, link.gre_remote, ctx, r)) r.drop = DropReason::kGreNoRoute;
    else if (r.out_port == kNoPort) r.drop = DropReason::kGreLoop;  // into a tunnel again
    if (r.drop != DropReason::kNone) return r;
    r.src = local_any(link) ? d.saddr : link.gre_local;
    if (!r.src.valid() || r.src.is_zero()) r.drop = DropReason::kGreNoRoute;
    else r.packet_mtu = protected_mtu(s, r.src, link, r.mtu);
    return r;
}

void GreStage::encap(Burst& b, const StageContext& ctx) noexcept {
    const Snapshot& s = ctx.snap;
    if (s.gre_links.empty()) return;
    for (uint16_t i = 0; i < b.n; ++i) {
        PacketMeta& m = b.meta[i];
        if (m.next != Next::kForward) continue;
        const IfaceView* link = s.iface(m.out_ifindex);
        if (!link || !link->gre) continue;
        const uint32_t ifindex = m.out_ifindex;
        if (!link->up) {
            b.drop(i, DropReason::kLinkDown);
            continue;
        }
        const OuterRoute& r = outer_route(ifindex, *link, ctx);
        if (r.drop != DropReason::kNone) {
            b.drop(i, r.drop);
            continue;
        }
        rte_mbuf* p = b.pkt[i];
        const bool v6 = m.dst.is_v6();
        uint8_t* ip = rte_pktmbuf_mtod_offset(p, uint8_t*, m.l3_offset);
        const uint32_t gre = gre_header_bytes(*link);
        const uint32_t overhead = kOuterIpBytes + gre;
        const uint32_t inner_len = m.l3_len;
        // tnl_update_pmtu() with DF on the outer header: the room the outer route leaves.
        if (inner_len + overhead > r.packet_mtu) {
            const uint32_t room = r.packet_mtu > overhead ? r.packet_mtu - overhead : 0;
            const bool inner_df = !v6 && (ip[6] & 0x40);
            m.drop = DropReason::kFragNeeded;
            m.icmp_info = room;
            if (v6 ? room >= kIpv6MinMtu : inner_df) {
                m.next = Next::kIcmpError;
                m.icmp_type = v6 ? 2 : 3;
                m.icmp_code = v6 ? 0 : 4;
            } else {
                m.next = Next::kDrop;  // sent with DF, ip_fragment() would refuse it
            }
            continue;
        }
        // The inner TTL as it leaves (after ForwardStage's decrement) and its ECN bits.
        const uint8_t ttl = v6 ? ip[7] : ip[8];
        const uint8_t inner_tos = v6 ? uint8_t(ip[0] << 4 | ip[1] >> 4) : ip[1];
        const uint8_t ecn = inner_tos & 3;
        const uint8_t tos = ecn == 3 ? 2 : ecn;  // INET_ECN_encapsulate: CE goes out as ECT(0)
        const uint32_t front = kEthHdrBytes + overhead;  // a new Ethernet header, outer IPv4, GRE
        if (m.l3_offset > front || rte_pktmbuf_headroom(p) + m.l3_offset < front) {
            b.drop(i, DropReason::kGreNoRoom);
            continue;
        }
        uint8_t* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(p, uint16_t(front - m.l3_offset)));
        uint8_t* o = frame + kEthHdrBytes;
        o[0] = 0x45;
        o[1] = tos;
        put16(o + 2, uint16_t(overhead + inner_len));
        put16(o + 4, ip_id_++);
        put16(o + 6, 0x4000);  // DF: pmtudisc, the default
        o[8] = ttl;
        o[9] = kProtoGre;
        std::memcpy(o + 12, r.src.b.data(), 4);
        std::memcpy(o + 16, link->gre_remote.b.data(), 4);
        o[10] = o[11] = 0;
        put_cksum(o + 10, rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(o)));
        uint8_t* g = o + kOuterIpBytes;
        put16(g, link->gre_keyed ? kGreKey : 0);
        put16(g + 2, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
        if (link->gre_keyed) put32(g + 4, link->gre_key);
        put16(frame + 12, RTE_ETHER_TYPE_IPV4);
        if (ifindex < kMaxVirtualIfindex) {
            bump(ctx.counters.virt[ifindex].tx_packets);
            bump(ctx.counters.virt[ifindex].tx_bytes, inner_len);
        }
        // From here the meta describes the outer packet, the gateway's own (iptunnel_xmit()
        // scrubs the secpath; the SPD sees the tunnel's flow, mark 0).
        m.src = r.src;
        m.dst = link->gre_remote;
        m.proto = kProtoGre;
        m.ttl = ttl;
        m.tos = tos;
        m.df = true;
        m.l3_offset = kEthHdrBytes;
        m.l3_len = uint16_t(overhead + inner_len);
        m.sport = link->gre_keyed ? uint16_t(link->gre_key >> 16) : 0;
        m.dport = link->gre_keyed ? uint16_t(link->gre_key) : 0;
        m.fwmark = 0;
        m.ike = false;
        m.from_host = true;
        m.xfrm_done = false;
        m.xfrm_sa = 0;
        m.l2_unicast = true;
        m.out_port = r.out_port;
        m.out_ifindex = r.out_ifindex;
        m.mtu = r.mtu;
        m.nexthop = r.nexthop;
        m.neigh_slot = r.neigh_slot;
        m.neigh_probe = false;
    }
}

bool GreStage::decap_one(Burst& b, uint16_t i, const StageContext& ctx) noexcept {
    const Snapshot& s = ctx.snap;
    PacketMeta& m = b.meta[i];
    rte_mbuf* p = b.pkt[i];
    // gre_parse_header(); the outer IPv4 header has no options (the parse stage drops those).
    const uint32_t len = m.l3_len > kOuterIpBytes ? m.l3_len - kOuterIpBytes : 0;
    if (len < 4 || rte_pktmbuf_data_len(p) < uint32_t(m.l3_offset) + m.l3_len) {
        b.drop(i, DropReason::kGreMalformed);
        return false;
    }
    uint8_t* g = rte_pktmbuf_mtod_offset(p, uint8_t*, m.l3_offset + kOuterIpBytes);
    const uint16_t flags = load16(g);
    if (flags & (kGreVersion | kGreRouting | kGreStrictRoute | kGreRecursion5)) {
        b.drop(i, DropReason::kGreMalformed);
        return false;
    }
    const bool csum = flags & kGreChecksum, keyed = flags & kGreKey;
    const uint32_t hlen = 4 + (csum ? 4 : 0) + (keyed ? 4 : 0) + (flags & kGreSeq ? 4 : 0);
    if (len < hlen) {
        b.drop(i, DropReason::kGreMalformed);
        return false;
    }
    // RFC 2784 2.5: the checksum covers the GRE header and the payload.
    if (csum && rte_raw_cksum(g, len) != 0xffff) {
        b.drop(i, DropReason::kGreBadChecksum);
        return false;
    }
    const uint32_t key = keyed ? load32(g + 4 + (csum ? 4 : 0)) : 0;
    const uint32_t ifindex = find_link(s, m, keyed, key);
    if (!ifindex) return false;  // not one of ours: the host kernel's
    const IfaceView& link = s.ifaces[ifindex];
    if (!link.up) {
        b.drop(i, DropReason::kLinkDown);
        return false;
    }
    const uint16_t proto = load16(g + 2);
    if (proto != RTE_ETHER_TYPE_IPV4 && proto != RTE_ETHER_TYPE_IPV6) {
        b.drop(i, DropReason::kGreUnsupportedProtocol);
        return false;
    }
    // The inner packet with the received Ethernet header in front (its MACs), re-parsed as if
    // it came in on the link.
    uint8_t* frame = rte_pktmbuf_mtod(p, uint8_t*);
    uint8_t* start = g + hlen - kEthHdrBytes;
    std::memmove(start, frame, 12);
    put16(start + 12, proto);
    rte_pktmbuf_adj(p, uint16_t(start - frame));
    const uint32_t mark = m.fwmark;
    const uint8_t outer_tos = m.tos;
    IfaceView in = link;
    std::memcpy(in.mac.data(), start, 6);
    in.host = false;
    parse_packet(p, m, in, ifindex);
    if (m.next == Next::kDrop) return false;
    m.next = Next::kRoute;  // neighbour discovery inside a tunnel is just a packet
    m.l2_unicast = true;
    m.fwmark = mark;
    m.xfrm_sa = 0;  // skb_scrub_packet(): the secpath of the outer packet is gone
    if (!decap_ecn(p, m, outer_tos)) {
        b.drop(i, DropReason::kGreEcnNotEct);
        return false;
    }
    if (ifindex < kMaxVirtualIfindex) {
        bump(ctx.counters.virt[ifindex].rx_packets);
        bump(ctx.counters.virt[ifindex].rx_bytes, m.l3_len);
    }
    return true;
}

BurstMask GreStage::decap(Burst& b, const StageContext& ctx) noexcept {
    const Snapshot& s = ctx.snap;
    if (s.gre_links.empty()) return 0;
    BurstMask done = 0;
    for (uint16_t i = 0; i < b.n; ++i) {
        const PacketMeta& m = b.meta[i];
        if (m.next != Next::kLocal || m.from_host || m.proto != kProtoGre || !m.dst.is_v4()) continue;
        // Only GRE from a configured peer is looked into: the rest belongs to the host kernel.
        if (!is_peer(s, m)) continue;
        if (decap_one(b, i, ctx)) done |= BurstMask(1) << i;
    }
    return done;
}

}  // namespace dp
