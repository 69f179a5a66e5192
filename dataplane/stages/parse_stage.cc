#include "dataplane/stages/parse_stage.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include <cstring>

#include "dataplane/wire.h"
#include "selectors/flow_key.h"

namespace dp {
namespace {

// The one's complement sum of a 20-byte header is 0xffff when its checksum verifies (RFC 1071):
// five 32-bit words summed in 64 bits and folded, instead of a loop over ten 16-bit words.
inline bool header20_checksum_ok(const uint8_t* ip) {
    uint32_t w[5];
    std::memcpy(w, ip, 20);
    uint64_t sum = uint64_t(w[0]) + w[1] + w[2] + w[3] + w[4];
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    uint32_t s32 = uint32_t(sum);
    s32 = (s32 & 0xffff) + (s32 >> 16);
    s32 = (s32 & 0xffff) + (s32 >> 16);
    return s32 == 0xffff;
}

// The whole 16-byte array is written: PacketMeta is not cleared per packet.
inline void set_addr(ws::InetAddr& a, ws::Family f, const uint8_t* p, unsigned n) {
    uint64_t w[2] = {0, 0};
    std::memcpy(w, p, n);
    std::memcpy(a.b.data(), w, 16);
    a.family = f;
}

inline void read_ports(const uint8_t* l4, uint32_t l4_len, uint8_t proto, PacketMeta& meta) {
    if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) && l4_len >= 4) {
        meta.sport = uint16_t(l4[0] << 8 | l4[1]);
        meta.dport = uint16_t(l4[2] << 8 | l4[3]);
    } else {
        meta.sport = meta.dport = 0;
    }
}

DropReason parse_ipv4(rte_mbuf* m, PacketMeta& meta, uint32_t len) {
    if (len < kEthHdrBytes + 20u) return DropReason::kIp4TooShort;
    const uint8_t* ip = rte_pktmbuf_mtod_offset(m, const uint8_t*, kEthHdrBytes);
    if ((ip[0] >> 4) != 4) return DropReason::kIp4BadVersion;
    const uint32_t hlen = (ip[0] & 0x0f) * 4u;
    if (hlen < 20 || kEthHdrBytes + hlen > len) return DropReason::kIp4BadIhl;
    const uint32_t tot = uint32_t(ip[2]) << 8 | ip[3];
    if (tot < hlen || kEthHdrBytes + tot > len) return DropReason::kIp4BadLength;
    if (hlen > 20) return rte_raw_cksum(ip, hlen) != 0xffff ? DropReason::kIp4BadChecksum : DropReason::kIp4Options;
    if (!header20_checksum_ok(ip)) return DropReason::kIp4BadChecksum;
    const uint16_t frag = uint16_t(ip[6] << 8 | ip[7]);
    if (frag & 0x3fff) return DropReason::kIp4Fragment;  // MF or an offset
    if (kEthHdrBytes + tot < len) rte_pktmbuf_trim(m, uint16_t(len - kEthHdrBytes - tot));
    set_addr(meta.src, ws::Family::kInet, ip + 12, 4);
    set_addr(meta.dst, ws::Family::kInet, ip + 16, 4);
    meta.tos = ip[1];
    meta.ttl = ip[8];
    meta.proto = ip[9];
    meta.df = frag & 0x4000;
    meta.l3_len = uint16_t(tot);
    read_ports(ip + hlen, tot - hlen, meta.proto, meta);
    meta.next = Next::kRoute;
    return DropReason::kNone;
}

DropReason parse_ipv6(rte_mbuf* m, PacketMeta& meta, uint32_t len) {
    if (len < kEthHdrBytes + 40u) return DropReason::kIp6TooShort;
    const uint8_t* ip = rte_pktmbuf_mtod_offset(m, const uint8_t*, kEthHdrBytes);
    if ((ip[0] >> 4) != 6) return DropReason::kIp6BadVersion;
    const uint32_t plen = uint32_t(ip[4]) << 8 | ip[5];
    if (kEthHdrBytes + 40 + plen > len) return DropReason::kIp6BadLength;
    const uint8_t nh = ip[6];
    if (nh == 0 || nh == 44) return DropReason::kIp6ExtensionHeader;  // hop-by-hop, fragment
    if (kEthHdrBytes + 40 + plen < len) rte_pktmbuf_trim(m, uint16_t(len - kEthHdrBytes - 40 - plen));
    set_addr(meta.src, ws::Family::kInet6, ip + 8, 16);
    set_addr(meta.dst, ws::Family::kInet6, ip + 24, 16);
    meta.tos = uint8_t((ip[0] << 4) | (ip[1] >> 4));
    meta.ttl = ip[7];
    meta.proto = nh;
    meta.l3_len = uint16_t(40 + plen);
    read_ports(ip + 40, plen, nh, meta);
    meta.next = Next::kRoute;
    // Neighbour discovery (RFC 4861 7.1: hop limit 255) is answered by the worker.
    if (nh == IPPROTO_ICMPV6 && plen >= 24 && (ip[40] == 135 || ip[40] == 136) && ip[7] == 255) meta.next = Next::kNd;
    return DropReason::kNone;
}

DropReason parse_arp(const rte_mbuf* m, uint32_t len) {
    if (len < kEthHdrBytes + 28u) return DropReason::kArpMalformed;
    const uint8_t* a = rte_pktmbuf_mtod_offset(m, const uint8_t*, kEthHdrBytes);
    // Ethernet (1), IPv4 (0x0800), hlen 6, plen 4.
    if (a[0] != 0 || a[1] != 1 || a[2] != 0x08 || a[3] != 0 || a[4] != 6 || a[5] != 4) return DropReason::kArpMalformed;
    return DropReason::kNone;
}

}  // namespace

void parse_packet(rte_mbuf* m, PacketMeta& meta, const IfaceView& in, uint32_t iif) noexcept {
    // Every field a later stage reads before writing it (PacketMeta is not cleared: too costly
    // per packet; the fields below and the parse results are all it needs).
    meta.iif = in.host ? sel::kLoopbackIfindex : iif;
    meta.from_host = in.host;
    meta.l3_offset = kEthHdrBytes;
    meta.fwmark = 0;
    meta.l2_unicast = true;
    meta.df = false;
    meta.ike = false;
    meta.xfrm_done = false;
    meta.xfrm_sa = 0;
    meta.fw = 0;
    meta.icmp_info = 0;
    meta.neigh_probe = false;
    meta.drop = DropReason::kNone;
    const uint32_t len = rte_pktmbuf_data_len(m);
    DropReason r = DropReason::kNone;
    if (!in.up) {
        r = DropReason::kLinkDown;
    } else if (len < kEthHdrBytes) {
        r = DropReason::kL2TooShort;
    } else {
        const uint8_t* eth = rte_pktmbuf_mtod(m, const uint8_t*);
        if (std::memcmp(eth, in.mac.data(), 6) != 0) {
            if (eth[0] & 1) meta.l2_unicast = false;  // broadcast or multicast
            else r = DropReason::kL2NotForUs;
        }
        if (r == DropReason::kNone) {
            const uint16_t type = uint16_t(eth[12] << 8 | eth[13]);
            switch (type) {
                case RTE_ETHER_TYPE_IPV4: r = parse_ipv4(m, meta, len); break;
                case RTE_ETHER_TYPE_IPV6: r = parse_ipv6(m, meta, len); break;
                case RTE_ETHER_TYPE_ARP:
                    r = parse_arp(m, len);
                    meta.next = Next::kArp;
                    break;
                case RTE_ETHER_TYPE_VLAN:
                case RTE_ETHER_TYPE_QINQ: r = DropReason::kVlanTagged; break;
                default: r = DropReason::kUnknownEthertype; break;
            }
        }
    }
    if (r != DropReason::kNone) {
        meta.next = Next::kDrop;
        meta.drop = r;
    }
}

void ParseStage::run(Burst& burst, const StageContext& ctx) noexcept {
    const Snapshot& s = ctx.snap;
    const uint32_t iif = burst.in_port < s.ifindex_of_port.size() ? s.ifindex_of_port[burst.in_port] : 0;
    static const IfaceView kNoIface{};
    const IfaceView* in = s.iface(iif);
    if (!in || !iif) in = &kNoIface;  // a port the snapshot does not know yet: down
    for (uint16_t i = 0; i < burst.n; ++i) parse_packet(burst.pkt[i], burst.meta[i], *in, iif);
}

}  // namespace dp
