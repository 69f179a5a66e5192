#include "dataplane/icmp_error.h"

#include <rte_ip.h>

#include <algorithm>
#include <cstring>

#include "dataplane/wire.h"

namespace dp {
namespace {

bool is_icmp_error_type(const rte_mbuf* m, const PacketMeta& meta) {
    const uint8_t* ip = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta.l3_offset);
    if (meta.dst.is_v6()) {
        // Skip the extension headers Linux skips (ipv6_skip_exthdr) to find an ICMPv6 header.
        uint8_t nh = ip[6];
        uint32_t off = 40;
        for (int hops = 0; (nh == 0 || nh == 43 || nh == 60) && hops < 8; ++hops) {
            if (off + 2 > meta.l3_len) return false;
            const uint8_t next = ip[off];
            off += (uint32_t(ip[off + 1]) + 1) * 8;
            nh = next;
        }
        if (nh != IPPROTO_ICMPV6 || off >= meta.l3_len) return false;
        return ip[off] < 128;  // RFC 4443 2.1: types 0-127 are errors
    }
    if (meta.proto != IPPROTO_ICMP) return false;
    const uint32_t hlen = (ip[0] & 0x0f) * 4u;
    if (meta.l3_len <= hlen) return false;
    const uint8_t t = ip[hlen];
    // icmp_pointers[].error: destination unreachable, source quench, redirect, time exceeded,
    // parameter problem.
    return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

}  // namespace

bool icmp_error_allowed(const rte_mbuf* m, const PacketMeta& meta) noexcept {
    const ws::InetAddr& s = meta.src;
    const ws::InetAddr& d = meta.dst;
    if (d.is_v6()) {
        if (s.is_zero() || s.is_multicast()) return false;
        if (d.is_multicast() && meta.icmp_type != 2) return false;
    } else {
        if (!meta.l2_unicast && !meta.from_host) return false;
        if (d.is_multicast() || d.is_lbcast() || s.is_zeronet() || s.is_multicast() || s.is_lbcast() || s.is_loopback())
            return false;
    }
    return !is_icmp_error_type(m, meta);
}

bool make_icmp_error(rte_mbuf* m, PacketMeta& meta, const ws::InetAddr& src, uint16_t ip_id) noexcept {
    if (!rte_pktmbuf_is_contiguous(m)) return false;
    const bool v6 = meta.dst.is_v6();
    const uint16_t hdr = v6 ? 40 + 8 : 20 + 8;
    const uint16_t max_total = v6 ? 1280 : 576;
    const uint16_t quote = std::min<uint16_t>(meta.l3_len, uint16_t(max_total - hdr));
    // The original IP packet becomes the payload: drop the L2 header, cut the quote, prepend.
    if (!rte_pktmbuf_adj(m, meta.l3_offset)) return false;
    if (rte_pktmbuf_data_len(m) > quote) rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_data_len(m) - quote));
    uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, uint16_t(kEthHdrBytes + hdr)));
    if (!p) return false;
    const uint16_t total = uint16_t(hdr + quote);
    const ws::InetAddr to = meta.src;
    uint8_t* ip = p + kEthHdrBytes;
    uint8_t* icmp = ip + (v6 ? 40 : 20);
    std::memset(p, 0, kEthHdrBytes + hdr);
    icmp[0] = meta.icmp_type;
    icmp[1] = meta.icmp_code;
    if (v6) {
        p[12] = 0x86, p[13] = 0xdd;
        ip[0] = 0x60;
        put16(ip + 4, uint16_t(total - 40));
        ip[6] = IPPROTO_ICMPV6;
        ip[7] = 64;
        std::memcpy(ip + 8, src.b.data(), 16);
        std::memcpy(ip + 24, to.b.data(), 16);
        if (meta.icmp_type == 2) {  // packet too big: the MTU
            icmp[4] = uint8_t(meta.icmp_info >> 24), icmp[5] = uint8_t(meta.icmp_info >> 16);
            put16(icmp + 6, uint16_t(meta.icmp_info));
        }
        const uint16_t ck = rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), icmp);
        put_cksum(icmp + 2, ck);
    } else {
        p[12] = 0x08, p[13] = 0x00;
        ip[0] = 0x45;
        ip[1] = uint8_t((meta.tos & 0x1e) | 0xc0);
        put16(ip + 2, total);
        put16(ip + 4, ip_id);
        ip[8] = 64;
        ip[9] = IPPROTO_ICMP;
        std::memcpy(ip + 12, src.b.data(), 4);
        std::memcpy(ip + 16, to.b.data(), 4);
        put_cksum(ip + 10, uint16_t(~rte_raw_cksum(ip, 20)));
        if (meta.icmp_type == 3 && meta.icmp_code == 4) put16(icmp + 6, uint16_t(meta.icmp_info));
        put_cksum(icmp + 2, uint16_t(~rte_raw_cksum(icmp, size_t(total - 20))));
    }
    meta.dst = to;
    meta.src = src;
    meta.l3_offset = kEthHdrBytes;
    meta.l3_len = total;
    meta.proto = v6 ? uint8_t(IPPROTO_ICMPV6) : uint8_t(IPPROTO_ICMP);
    meta.tos = v6 ? 0 : ip[1];
    meta.ttl = 64;
    meta.sport = meta.dport = 0;
    return true;
}

bool make_tcp_reset(rte_mbuf* m, PacketMeta& meta, uint16_t ip_id) noexcept {
    if (!rte_pktmbuf_is_contiguous(m) || meta.proto != IPPROTO_TCP) return false;
    const bool v6 = meta.dst.is_v6();
    uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, meta.l3_offset);
    const uint16_t hl = v6 ? 40 : uint16_t((ip[0] & 0x0f) * 4);
    if (meta.l3_len < hl + 20u) return false;
    const uint8_t* oth = ip + hl;
    const uint8_t flags = oth[13];
    if (flags & 0x04) return false;  // never a RST for a RST
    const uint32_t seq = uint32_t(oth[4]) << 24 | uint32_t(oth[5]) << 16 | uint32_t(oth[6]) << 8 | oth[7];
    const uint32_t ack = uint32_t(oth[8]) << 24 | uint32_t(oth[9]) << 16 | uint32_t(oth[10]) << 8 | oth[11];
    const uint32_t doff = uint32_t(oth[12] >> 4) * 4;
    if (doff < 20 || hl + doff > meta.l3_len) return false;
    const uint32_t payload = meta.l3_len - hl - doff;
    const uint16_t sport = uint16_t(oth[0] << 8 | oth[1]), dport = uint16_t(oth[2] << 8 | oth[3]);
    const ws::InetAddr from = meta.dst, to = meta.src;
    // The new packet: Ethernet + IP + 20 bytes of TCP, written over the old one.
    const uint16_t total = uint16_t((v6 ? 40 : 20) + 20);
    if (!rte_pktmbuf_adj(m, meta.l3_offset)) return false;
    if (rte_pktmbuf_data_len(m) > total) rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_data_len(m) - total));
    else if (rte_pktmbuf_data_len(m) < total && !rte_pktmbuf_append(m, uint16_t(total - rte_pktmbuf_data_len(m)))) return false;
    uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kEthHdrBytes));
    if (!p) return false;
    std::memset(p, 0, kEthHdrBytes + total);
    ip = p + kEthHdrBytes;
    uint8_t* th = ip + (v6 ? 40 : 20);
    put16(th, dport);
    put16(th + 2, sport);
    uint32_t rseq = 0, rack = 0;
    uint8_t rflags = 0x04;  // RST
    if (flags & 0x10) {
        rseq = ack;  // the peer's acknowledgement is where it expects us
    } else {
        rack = seq + ((flags & 0x02) ? 1 : 0) + ((flags & 0x01) ? 1 : 0) + payload;
        rflags |= 0x10;
    }
    put16(th + 4, uint16_t(rseq >> 16)), put16(th + 6, uint16_t(rseq));
    put16(th + 8, uint16_t(rack >> 16)), put16(th + 10, uint16_t(rack));
    th[12] = 5 << 4;
    th[13] = rflags;
    if (v6) {
        p[12] = 0x86, p[13] = 0xdd;
        ip[0] = 0x60;
        put16(ip + 4, 20);
        ip[6] = IPPROTO_TCP;
        ip[7] = 64;
        std::memcpy(ip + 8, from.b.data(), 16);
        std::memcpy(ip + 24, to.b.data(), 16);
        put_cksum(th + 16, rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), th));
    } else {
        p[12] = 0x08, p[13] = 0x00;
        ip[0] = 0x45;
        put16(ip + 2, total);
        put16(ip + 4, ip_id);
        ip[6] = 0x40;  // DF
        ip[8] = 64;
        ip[9] = IPPROTO_TCP;
        std::memcpy(ip + 12, from.b.data(), 4);
        std::memcpy(ip + 16, to.b.data(), 4);
        put_cksum(ip + 10, uint16_t(~rte_raw_cksum(ip, 20)));
        put_cksum(th + 16, rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip), th));
    }
    meta.src = from;
    meta.dst = to;
    meta.l3_offset = kEthHdrBytes;
    meta.l3_len = total;
    meta.tos = 0;
    meta.ttl = 64;
    meta.df = !v6;
    meta.sport = dport;
    meta.dport = sport;
    return true;
}

bool IcmpRateLimiter::allow(const ws::InetAddr& dst, uint64_t now, uint64_t hz) noexcept {
    // icmp_global_allow(): 1000 tokens per second, at most 50 banked.
    const uint64_t per_msg = hz / 1000 ? hz / 1000 : 1;
    if (global_last_ == 0) global_last_ = now;
    global_tokens_ = std::min<uint64_t>(50, global_tokens_ + (now - global_last_) / per_msg);
    if ((now - global_last_) >= per_msg) global_last_ = now;
    if (global_tokens_ == 0) return false;
    uint64_t h = 0;
    for (unsigned i = 0; i < 16; ++i) h = h * 131 + dst.b[i];
    Peer& p = peers_[h % kPeers];
    if (!(p.addr == dst)) {
        p.addr = dst;
        p.tokens = kBurst * hz;  // a new peer starts with a full bucket
        p.last = now;
    }
    p.tokens = std::min(kBurst * hz, p.tokens + (now - p.last));
    p.last = now;
    if (p.tokens < hz) return false;
    p.tokens -= hz;
    --global_tokens_;
    return true;
}

}  // namespace dp
