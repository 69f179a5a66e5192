#pragma once
// ICMP errors as Linux's icmp_send() / icmp6_send() make them, built in place of the packet that
// caused them (no allocation on the fast path), and their rate limit.
//
// IPv4 (RFC 792, RFC 1812 4.3.2): TOS (orig & 0x1e) | 0xc0, TTL 64, DF clear, the original
// packet quoted as received until the error is 576 bytes. Never about an ICMP error, a
// non-first fragment, a broadcast or multicast destination, or a martian source (4.3.2.7).
// IPv6 (RFC 4443 2.4): hop limit 64, the original quoted until the error is 1280 bytes; never
// about an ICMPv6 error or a multicast destination (except packet too big), nor to an
// unspecified or multicast source.
#include <cstdint>

#include "common/inet.h"
#include "dataplane/burst.h"

namespace dp {

// Whether an error may be sent about this packet at all (the RFC 1812 / 4443 exclusions).
bool icmp_error_allowed(const rte_mbuf* m, const PacketMeta& meta) noexcept;

// Rewrites m into the error from `src` back to the packet's source. meta.{src,dst,l3_len,
// proto,tos,ttl} describe the new packet afterwards. False when the mbuf cannot hold it.
bool make_icmp_error(rte_mbuf* m, PacketMeta& meta, const ws::InetAddr& src, uint16_t ip_id) noexcept;

// REJECT --reject-with tcp-reset: marks a packet for make_tcp_reset() in meta.icmp_type (no
// ICMP type is 255).
inline constexpr uint8_t kTcpResetType = 255;

// Rewrites the TCP segment in m into the RST Linux's nf_send_reset()/nf_send_reset6() answer
// it with: addresses and ports swapped, the ack's sequence number (or an ACK of everything the
// segment carried), no payload, TTL/hop limit 64, DF set. False for a segment that gets no RST
// (itself a RST, truncated, not TCP) or an mbuf that cannot hold it.
bool make_tcp_reset(rte_mbuf* m, PacketMeta& meta, uint16_t ip_id) noexcept;

// Linux's two limits: per destination (inet_peer_xrlim_allow: a token per icmp_ratelimit
// = 1 s, bursts of 6) and global (icmp_global_allow: 1000/s, bursts of 50). Per worker.
class IcmpRateLimiter {
public:
    static constexpr uint32_t kPeers = 1024;  // direct-mapped; a collision restarts the bucket
    static constexpr uint64_t kBurst = 6;
    bool allow(const ws::InetAddr& dst, uint64_t now, uint64_t hz) noexcept;

private:
    struct Peer {
        ws::InetAddr addr;
        uint64_t tokens = 0;   // in TSC ticks, capped at kBurst seconds
        uint64_t last = 0;
    };
    Peer peers_[kPeers];
    uint64_t global_tokens_ = 50;
    uint64_t global_last_ = 0;
};

}  // namespace dp
