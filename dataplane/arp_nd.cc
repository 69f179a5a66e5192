#include "dataplane/arp_nd.h"

#include <rte_ip.h>

#include <cstring>

#include "dataplane/wire.h"

namespace dp {
namespace {

ws::InetAddr v4_at(const uint8_t* p) {
    ws::InetAddr a;
    a.family = ws::Family::kInet;
    std::memcpy(a.b.data(), p, 4);
    return a;
}
ws::InetAddr v6_at(const uint8_t* p) {
    ws::InetAddr a;
    a.family = ws::Family::kInet6;
    std::memcpy(a.b.data(), p, 16);
    return a;
}

void icmp6_checksum(uint8_t* ip) {
    uint8_t* icmp = ip + 40;
    put16(icmp + 2, 0);
    put_cksum(icmp + 2, rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), icmp));
}

}  // namespace

std::optional<ArpView> read_arp(const rte_mbuf* m) noexcept {
    const uint8_t* a = rte_pktmbuf_mtod_offset(m, const uint8_t*, kEthHdrBytes);
    const uint16_t op = uint16_t(a[6] << 8 | a[7]);
    if (op != 1 && op != 2) return std::nullopt;
    ArpView v;
    v.request = op == 1;
    std::memcpy(v.sender_mac.data(), a + 8, 6);
    v.sender_ip = v4_at(a + 14);
    v.target_ip = v4_at(a + 24);
    return v;
}

void arp_reply_in_place(rte_mbuf* m, const MacAddr& our_mac) noexcept {
    uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
    uint8_t* a = eth + kEthHdrBytes;
    uint8_t sender_ip[4], target_ip[4], sender_mac[6];
    std::memcpy(sender_mac, a + 8, 6);
    std::memcpy(sender_ip, a + 14, 4);
    std::memcpy(target_ip, a + 24, 4);
    std::memcpy(eth, sender_mac, 6);
    std::memcpy(eth + 6, our_mac.data(), 6);
    put16(a + 6, 2);
    std::memcpy(a + 8, our_mac.data(), 6);
    std::memcpy(a + 14, target_ip, 4);
    std::memcpy(a + 18, sender_mac, 6);
    std::memcpy(a + 24, sender_ip, 4);
}

bool build_arp_request(rte_mbuf* m, const MacAddr& src_mac, const ws::InetAddr& sender, const ws::InetAddr& target) noexcept {
    uint8_t* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 60));  // minimum frame, padded
    if (!eth) return false;
    std::memset(eth, 0, 60);
    std::memset(eth, 0xff, 6);
    std::memcpy(eth + 6, src_mac.data(), 6);
    put16(eth + 12, 0x0806);
    uint8_t* a = eth + kEthHdrBytes;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);
    std::memcpy(a + 8, src_mac.data(), 6);
    std::memcpy(a + 14, sender.b.data(), 4);
    std::memcpy(a + 24, target.b.data(), 4);
    return true;
}

std::optional<NdView> read_nd(const rte_mbuf* m, const PacketMeta& meta) noexcept {
    const uint8_t* ip = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta.l3_offset);
    const uint8_t* icmp = ip + 40;
    const uint32_t len = meta.l3_len - 40u;
    if (len < 24 || icmp[1] != 0) return std::nullopt;
    NdView v;
    v.solicit = icmp[0] == 135;
    v.src = v6_at(ip + 8);
    v.target = v6_at(icmp + 8);
    const uint8_t want = v.solicit ? 1 : 2;  // source / target link-layer address option
    for (uint32_t off = 24; off + 8 <= len;) {
        const uint32_t olen = icmp[off + 1] * 8u;
        if (olen == 0 || off + olen > len) return std::nullopt;  // RFC 4861 7.1.1: malformed
        if (icmp[off] == want && olen >= 8) {
            MacAddr mac;
            std::memcpy(mac.data(), icmp + off + 2, 6);
            v.lladdr = mac;
        }
        off += olen;
    }
    return v;
}

void nd_advert_in_place(rte_mbuf* m, const NdView& ns, const MacAddr& our_mac) noexcept {
    uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
    const uint16_t want = kEthHdrBytes + 40 + 32;
    if (rte_pktmbuf_data_len(m) > want) rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_data_len(m) - want));
    else if (rte_pktmbuf_data_len(m) < want) rte_pktmbuf_append(m, uint16_t(want - rte_pktmbuf_data_len(m)));
    uint8_t* ip = eth + kEthHdrBytes;
    uint8_t* icmp = ip + 40;
    const bool unspecified = ns.src.is_zero();
    // To the solicitor (its MAC is the frame's source), or all-nodes when it had no address.
    uint8_t solicitor_mac[6];
    std::memcpy(solicitor_mac, eth + 6, 6);
    if (unspecified) {
        const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
        std::memcpy(eth, all_nodes_mac, 6);
    } else {
        std::memcpy(eth, solicitor_mac, 6);
    }
    std::memcpy(eth + 6, our_mac.data(), 6);
    ip[0] = 0x60, ip[1] = 0, ip[2] = 0, ip[3] = 0;
    put16(ip + 4, 32);
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = 255;
    std::memcpy(ip + 8, ns.target.b.data(), 16);
    if (unspecified) {
        static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        std::memcpy(ip + 24, all_nodes, 16);
    } else {
        std::memcpy(ip + 24, ns.src.b.data(), 16);
    }
    std::memset(icmp, 0, 32);
    icmp[0] = 136;
    icmp[4] = unspecified ? 0xa0 : 0xe0;  // router, solicited (not to all-nodes), override
    std::memcpy(icmp + 8, ns.target.b.data(), 16);
    icmp[24] = 2;
    icmp[25] = 1;
    std::memcpy(icmp + 26, our_mac.data(), 6);
    icmp6_checksum(ip);
}

bool build_nd_solicit(rte_mbuf* m, const MacAddr& src_mac, const ws::InetAddr& src, const ws::InetAddr& target) noexcept {
    const uint16_t len = kEthHdrBytes + 40 + 32;
    uint8_t* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len));
    if (!eth) return false;
    std::memset(eth, 0, len);
    const uint8_t dst_mac[6] = {0x33, 0x33, 0xff, target.b[13], target.b[14], target.b[15]};
    std::memcpy(eth, dst_mac, 6);
    std::memcpy(eth + 6, src_mac.data(), 6);
    put16(eth + 12, 0x86dd);
    uint8_t* ip = eth + kEthHdrBytes;
    ip[0] = 0x60;
    put16(ip + 4, 32);
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = 255;
    std::memcpy(ip + 8, src.b.data(), 16);
    const uint8_t snm[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, target.b[13], target.b[14], target.b[15]};
    std::memcpy(ip + 24, snm, 16);
    uint8_t* icmp = ip + 40;
    icmp[0] = 135;
    std::memcpy(icmp + 8, target.b.data(), 16);
    icmp[24] = 1;
    icmp[25] = 1;
    std::memcpy(icmp + 26, src_mac.data(), 6);
    icmp6_checksum(ip);
    return true;
}

}  // namespace dp
