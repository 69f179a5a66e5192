#pragma once
// Wire helpers shared by the code that reads and builds frames (parse stage, ARP/ND, ICMP
// errors): the Ethernet header length and the two ways a 16-bit field is stored.
#include <cstdint>
#include <cstring>

namespace dp {

inline constexpr uint16_t kEthHdrBytes = 14;

// A 16-bit field in network byte order.
inline void put16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}

// DPDK's checksum helpers (rte_raw_cksum, rte_ipv6_udptcp_cksum) sum 16-bit words as loaded
// from memory, so their result is stored as it is, not converted to network order.
inline void put_cksum(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

}  // namespace dp
