#pragma once
// Packets for the dataplane tests and the packet fuzzer, without EAL, hugepages or NICs.
//
// FakeMbuf is a zeroed rte_mbuf over a plain byte buffer whose buf_addr, buf_len, data_off
// (RTE_PKTMBUF_HEADROOM), data_len, pkt_len and nb_segs = 1 are set by hand: the rte_pktmbuf_*
// inline helpers the stages use (mtod, adj, trim, prepend, append, is_contiguous, headroom,
// tailroom) touch nothing else. It must never reach rte_pktmbuf_free().
//
// The frame builders make Ethernet + IPv4/IPv6 + UDP/TCP/ICMP/ICMPv6 with correct checksums,
// ARP and neighbour discovery. Checksums are computed here independently of DPDK's rte_ip.h, so
// the tests check the dataplane against a second implementation. No gtest: the fuzzer uses it.
#include <rte_mbuf.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "common/inet.h"
#include "dataplane/tables/neighbour_table.h"

namespace dptest {

using Bytes = std::vector<uint8_t>;
using dp::MacAddr;

// ---------------------------------------------------------------------------------------------
// The fake mbuf.

template <uint32_t kDataRoom = 2048>
struct BasicFakeMbuf {
    static constexpr uint32_t kBufLen = RTE_PKTMBUF_HEADROOM + kDataRoom;
    static_assert(kBufLen <= 0xffff, "buf_len is 16 bits");
    rte_mbuf m;
    alignas(64) uint8_t buf[kBufLen];

    BasicFakeMbuf() { reset(); }
    BasicFakeMbuf(const BasicFakeMbuf&) = delete;
    BasicFakeMbuf& operator=(const BasicFakeMbuf&) = delete;

    // Empty, with the standard headroom.
    void reset() {
        std::memset(&m, 0, sizeof m);
        std::memset(buf, 0, sizeof buf);
        m.buf_addr = buf;
        m.buf_len = uint16_t(kBufLen);
        m.data_off = RTE_PKTMBUF_HEADROOM;
        m.nb_segs = 1;
        m.next = nullptr;
        m.data_len = 0;
        m.pkt_len = 0;
    }
    // The frame copied in after the headroom; false when it does not fit.
    bool set(const uint8_t* p, size_t n) {
        reset();
        if (n > kDataRoom) return false;
        if (n) std::memcpy(buf + RTE_PKTMBUF_HEADROOM, p, n);
        m.data_len = uint16_t(n);
        m.pkt_len = uint32_t(n);
        return true;
    }
    bool set(const Bytes& b) { return set(b.data(), b.size()); }

    rte_mbuf* mbuf() { return &m; }
    uint8_t* data() { return rte_pktmbuf_mtod(&m, uint8_t*); }
    uint16_t len() const { return m.data_len; }
    Bytes bytes() const {
        const uint8_t* p = static_cast<const uint8_t*>(m.buf_addr) + m.data_off;
        return Bytes(p, p + m.data_len);
    }
};
using FakeMbuf = BasicFakeMbuf<>;

// Heap-allocated (rte_mbuf is cache-line aligned; aligned new handles it).
template <uint32_t kDataRoom = 2048>
inline std::unique_ptr<BasicFakeMbuf<kDataRoom>> make_fake(const Bytes& frame) {
    auto f = std::make_unique<BasicFakeMbuf<kDataRoom>>();
    f->set(frame);
    return f;
}

// ---------------------------------------------------------------------------------------------
// Byte helpers and checksums.

inline void put16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
inline void put32(uint8_t* p, uint32_t v) {
    put16(p, uint16_t(v >> 16));
    put16(p + 2, uint16_t(v));
}
inline uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t get32(const uint8_t* p) { return uint32_t(get16(p)) << 16 | get16(p + 2); }

// The one's complement sum (RFC 1071) of big-endian 16-bit words, not complemented; an odd
// trailing byte is padded with zero. `acc` continues an earlier sum.
inline uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) acc += uint32_t(p[i] << 8 | p[i + 1]);
    if (n & 1) acc += uint32_t(p[n - 1]) << 8;
    return acc;
}
inline uint16_t fold(uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return uint16_t(acc);
}
// The checksum to store: ~sum. A full computation never yields 0xffff (-0) for non-zero data.
inline uint16_t inet_checksum(const uint8_t* p, size_t n, uint32_t acc = 0) { return uint16_t(~fold(sum16(p, n, acc))); }
// Whether data including its checksum field verifies (sums to -0).
inline bool checksum_verifies(const uint8_t* p, size_t n, uint32_t acc = 0) { return fold(sum16(p, n, acc)) == 0xffff; }

// The IPv4 header checksum recomputed with the field taken as zero.
inline uint16_t ip4_header_checksum(const uint8_t* ip) {
    const size_t hlen = (ip[0] & 0x0f) * 4u;
    uint8_t h[60];
    std::memcpy(h, ip, hlen);
    h[10] = h[11] = 0;
    return inet_checksum(h, hlen);
}

// The pseudo-header sums (RFC 768 / RFC 793 for IPv4, RFC 8200 8.1 for IPv6).
inline uint32_t pseudo4(const uint8_t* src, const uint8_t* dst, uint8_t proto, uint32_t l4_len) {
    return sum16(src, 4) + sum16(dst, 4) + proto + l4_len;
}
inline uint32_t pseudo6(const uint8_t* src, const uint8_t* dst, uint8_t nh, uint32_t l4_len) {
    return sum16(src, 16) + sum16(dst, 16) + (l4_len >> 16) + (l4_len & 0xffff) + nh;
}

// Whether the L4 checksum of the IP packet at `ip` (IPv4 without options or IPv6 without
// extension headers) verifies with the pseudo-header.
inline bool l4_checksum_verifies(const uint8_t* ip) {
    if ((ip[0] >> 4) == 6) {
        const uint32_t plen = get16(ip + 4);
        return checksum_verifies(ip + 40, plen, pseudo6(ip + 8, ip + 24, ip[6], plen));
    }
    const uint32_t hlen = (ip[0] & 0x0f) * 4u, tot = get16(ip + 2);
    if (ip[9] == 1) return checksum_verifies(ip + hlen, tot - hlen);  // ICMP: no pseudo-header
    return checksum_verifies(ip + hlen, tot - hlen, pseudo4(ip + 12, ip + 16, ip[9], tot - hlen));
}

// ---------------------------------------------------------------------------------------------
// Addresses.

inline constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmp6 = 58;

inline ws::InetAddr ip(const char* s) {
    auto a = ws::InetAddr::parse(s);
    return a.ok() ? *a : ws::InetAddr();
}
inline MacAddr mac(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e, uint8_t f) { return {a, b, c, d, e, f}; }
inline constexpr MacAddr kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr MacAddr kPeerMac = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01};

// ---------------------------------------------------------------------------------------------
// Frames.

inline Bytes cat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

inline Bytes ethernet(const MacAddr& dst, const MacAddr& src, uint16_t type, const Bytes& payload) {
    Bytes f(14);
    std::memcpy(f.data(), dst.data(), 6);
    std::memcpy(f.data() + 6, src.data(), 6);
    put16(f.data() + 12, type);
    return cat(f, payload);
}
// Padded to the 60-byte Ethernet minimum (without FCS), as a NIC delivers short frames.
inline Bytes pad60(Bytes f) {
    if (f.size() < 60) f.resize(60, 0);
    return f;
}

struct Ip4 {
    ws::InetAddr src = ip("10.0.1.50"), dst = ip("192.0.2.77");
    uint8_t tos = 0, ttl = 64, proto = kProtoUdp;
    uint16_t id = 0x1234, frag = 0;  // flags and fragment offset (0x4000 DF, 0x2000 MF)
    Bytes options;                   // a multiple of 4 bytes
};

// An IPv4 packet around an L4 payload, header checksum correct.
inline Bytes ipv4(const Ip4& h, const Bytes& l4) {
    const size_t hlen = 20 + h.options.size();
    Bytes p(hlen);
    p[0] = uint8_t(0x40 | (hlen / 4));
    p[1] = h.tos;
    put16(&p[2], uint16_t(hlen + l4.size()));
    put16(&p[4], h.id);
    put16(&p[6], h.frag);
    p[8] = h.ttl;
    p[9] = h.proto;
    std::memcpy(&p[12], h.src.b.data(), 4);
    std::memcpy(&p[16], h.dst.b.data(), 4);
    if (!h.options.empty()) std::memcpy(&p[20], h.options.data(), h.options.size());
    put16(&p[10], inet_checksum(p.data(), hlen));
    return cat(p, l4);
}

struct Ip6 {
    ws::InetAddr src = ip("2001:db8:1::50"), dst = ip("2001:db8:2::77");
    uint8_t tclass = 0, hlim = 64, nh = kProtoUdp;
    uint32_t flow = 0;
};

inline Bytes ipv6(const Ip6& h, const Bytes& payload) {
    Bytes p(40);
    put32(&p[0], 0x60000000u | uint32_t(h.tclass) << 20 | (h.flow & 0xfffff));
    put16(&p[4], uint16_t(payload.size()));
    p[6] = h.nh;
    p[7] = h.hlim;
    std::memcpy(&p[8], h.src.b.data(), 16);
    std::memcpy(&p[24], h.dst.b.data(), 16);
    return cat(p, payload);
}

// L4 headers; the checksum needs the addresses (pseudo-header).
inline uint32_t pseudo(const ws::InetAddr& s, const ws::InetAddr& d, uint8_t proto, uint32_t len) {
    return s.is_v6() ? pseudo6(s.b.data(), d.b.data(), proto, len) : pseudo4(s.b.data(), d.b.data(), proto, len);
}

inline Bytes udp(const ws::InetAddr& s, const ws::InetAddr& d, uint16_t sport, uint16_t dport, const Bytes& payload) {
    Bytes u(8);
    put16(&u[0], sport);
    put16(&u[2], dport);
    put16(&u[4], uint16_t(8 + payload.size()));
    u = cat(u, payload);
    uint16_t ck = inet_checksum(u.data(), u.size(), pseudo(s, d, kProtoUdp, uint32_t(u.size())));
    put16(&u[6], ck ? ck : 0xffff);
    return u;
}

inline Bytes tcp(const ws::InetAddr& s, const ws::InetAddr& d, uint16_t sport, uint16_t dport, const Bytes& payload,
                 uint8_t flags = 0x02) {
    Bytes t(20);
    put16(&t[0], sport);
    put16(&t[2], dport);
    put32(&t[4], 1000);
    t[12] = 5 << 4;
    t[13] = flags;
    put16(&t[14], 65535);
    t = cat(t, payload);
    put16(&t[16], inet_checksum(t.data(), t.size(), pseudo(s, d, kProtoTcp, uint32_t(t.size()))));
    return t;
}

// ICMP (IPv4): type, code, the 4 bytes after the checksum, then data.
inline Bytes icmp4(uint8_t type, uint8_t code, uint32_t rest, const Bytes& data) {
    Bytes c(8);
    c[0] = type;
    c[1] = code;
    put32(&c[4], rest);
    c = cat(c, data);
    put16(&c[2], inet_checksum(c.data(), c.size()));
    return c;
}

// ICMPv6: type, code, then the body after the checksum (4 bytes of "rest" included).
inline Bytes icmp6(const ws::InetAddr& s, const ws::InetAddr& d, uint8_t type, uint8_t code, const Bytes& body) {
    Bytes c(4);
    c[0] = type;
    c[1] = code;
    c = cat(c, body);
    put16(&c[2], inet_checksum(c.data(), c.size(), pseudo(s, d, kProtoIcmp6, uint32_t(c.size()))));
    return c;
}

inline Bytes payload(size_t n, uint8_t seed = 0) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
    return b;
}

// Whole frames: Ethernet to `to` from kPeerMac.
inline Bytes udp4_frame(const MacAddr& to, const Ip4& h, uint16_t sport, uint16_t dport, size_t len = 0) {
    Ip4 x = h;
    x.proto = kProtoUdp;
    return ethernet(to, kPeerMac, 0x0800, ipv4(x, udp(h.src, h.dst, sport, dport, payload(len))));
}
inline Bytes tcp4_frame(const MacAddr& to, const Ip4& h, uint16_t sport, uint16_t dport, size_t len = 0) {
    Ip4 x = h;
    x.proto = kProtoTcp;
    return ethernet(to, kPeerMac, 0x0800, ipv4(x, tcp(h.src, h.dst, sport, dport, payload(len))));
}
inline Bytes icmp4_frame(const MacAddr& to, const Ip4& h, uint8_t type, uint8_t code, const Bytes& data) {
    Ip4 x = h;
    x.proto = kProtoIcmp;
    return ethernet(to, kPeerMac, 0x0800, ipv4(x, icmp4(type, code, 0, data)));
}
inline Bytes udp6_frame(const MacAddr& to, const Ip6& h, uint16_t sport, uint16_t dport, size_t len = 0) {
    Ip6 x = h;
    x.nh = kProtoUdp;
    return ethernet(to, kPeerMac, 0x86dd, ipv6(x, udp(h.src, h.dst, sport, dport, payload(len))));
}
inline Bytes tcp6_frame(const MacAddr& to, const Ip6& h, uint16_t sport, uint16_t dport, size_t len = 0) {
    Ip6 x = h;
    x.nh = kProtoTcp;
    return ethernet(to, kPeerMac, 0x86dd, ipv6(x, tcp(h.src, h.dst, sport, dport, payload(len))));
}
inline Bytes icmp6_frame(const MacAddr& to, const Ip6& h, uint8_t type, uint8_t code, const Bytes& body) {
    Ip6 x = h;
    x.nh = kProtoIcmp6;
    return ethernet(to, kPeerMac, 0x86dd, ipv6(x, icmp6(h.src, h.dst, type, code, body)));
}

// ARP (RFC 826), Ethernet/IPv4, padded to 60 bytes.
inline Bytes arp(uint16_t op, const MacAddr& sha, const ws::InetAddr& spa, const MacAddr& tha, const ws::InetAddr& tpa,
                 const MacAddr& eth_dst = kBroadcastMac) {
    Bytes a(28);
    put16(&a[0], 1);
    put16(&a[2], 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(&a[6], op);
    std::memcpy(&a[8], sha.data(), 6);
    std::memcpy(&a[14], spa.b.data(), 4);
    std::memcpy(&a[18], tha.data(), 6);
    std::memcpy(&a[24], tpa.b.data(), 4);
    return pad60(ethernet(eth_dst, sha, 0x0806, a));
}

// The solicited-node multicast address of `a` (RFC 4291 2.7.1) and its MAC (RFC 2464 7).
inline ws::InetAddr solicited_node(const ws::InetAddr& a) {
    ws::InetAddr s = ip("ff02::1:ff00:0");
    s.b[13] = a.b[13], s.b[14] = a.b[14], s.b[15] = a.b[15];
    return s;
}
inline MacAddr multicast_mac(const ws::InetAddr& a) { return {0x33, 0x33, a.b[12], a.b[13], a.b[14], a.b[15]}; }

// An ND option: type, length in units of 8 bytes, then a MAC (length 1).
inline Bytes nd_lladdr_option(uint8_t type, const MacAddr& m) {
    Bytes o(8);
    o[0] = type;
    o[1] = 1;
    std::memcpy(&o[2], m.data(), 6);
    return o;
}

// Neighbour solicitation (RFC 4861 4.3) from `src` (:: for DAD) for `target`, hop limit 255,
// with a source link-layer address option unless `options` says otherwise.
inline Bytes nd_solicit(const MacAddr& to, const MacAddr& from, const ws::InetAddr& src, const ws::InetAddr& target,
                        const Bytes& options, uint8_t hlim = 255) {
    Bytes body(20);  // reserved (4) + target (16)
    std::memcpy(&body[4], target.b.data(), 16);
    body = cat(body, options);
    Ip6 h;
    h.src = src;
    h.dst = solicited_node(target);
    h.hlim = hlim;
    h.nh = kProtoIcmp6;
    return ethernet(to, from, 0x86dd, ipv6(h, icmp6(h.src, h.dst, 135, 0, body)));
}

// Neighbour advertisement (RFC 4861 4.4) with flags (0x80 R, 0x40 S, 0x20 O) and options.
inline Bytes nd_advert(const MacAddr& to, const MacAddr& from, const ws::InetAddr& src, const ws::InetAddr& dst,
                       const ws::InetAddr& target, uint8_t flags, const Bytes& options) {
    Bytes body(20);
    body[0] = flags;
    std::memcpy(&body[4], target.b.data(), 16);
    body = cat(body, options);
    Ip6 h;
    h.src = src;
    h.dst = dst;
    h.hlim = 255;
    h.nh = kProtoIcmp6;
    return ethernet(to, from, 0x86dd, ipv6(h, icmp6(h.src, h.dst, 136, 0, body)));
}

}  // namespace dptest
