#pragma once
// NAT traversal (RFC 3948): ESP inside UDP, normally port 4500 both ways.
//
//   natt_write_udp4 / natt_write_udp6   put the 8-byte UDP header in front of an ESP packet
//       (outbound, after esp_encap: the caller leaves 8 more bytes of headroom and sets the
//       outer IP protocol to 17 and its lengths). IPv4: checksum 0, as §2.1 says to send it
//       (receivers must not depend on it). IPv6 has no zero checksum (RFC 8200 §8.1): computed.
//   natt_strip                           validates a received UDP datagram's header and sorts
//       its payload: ESP (first 4 bytes, the SPI, non-zero), IKE (the 4-byte Non-ESP Marker
//       0 0 0 0, §2.2: hand to the host), NAT-keepalive (the single byte 0xFF, §2.3: drop
//       silently), or malformed (too short for any of them, or a bad UDP length).
// Transport mode behind a NAT leaves the inner TCP/UDP checksum wrong (§3.1.2): that fix-up
// belongs to the dataplane, which has the original addresses (NAT-OA).
// Config:  ip xfrm state add ... encap espinudp 4500 4500 0.0.0.0
// Cost:    a few stores (IPv4); IPv6 one pass over the packet for the checksum.
#include <cstdint>
#include <span>

namespace crypto {

inline constexpr uint16_t kNattPort = 4500;
inline constexpr uint32_t kUdpHeaderBytes = 8;

enum class NattKind : uint8_t { kEsp, kIke, kKeepalive, kMalformed };

struct NattPayload {
    NattKind kind = NattKind::kMalformed;
    uint16_t sport = 0, dport = 0;
    std::span<uint8_t> payload;  // after the UDP header (the ESP packet, or the IKE message
                                 // after the Non-ESP Marker)
};

// `udp` points at 8 writable bytes directly before the esp_len bytes of ESP.
void natt_write_udp4(uint8_t* udp, uint16_t sport, uint16_t dport, uint32_t esp_len);
// The same for IPv6, with the checksum over the pseudo-header (src, dst: 16 bytes each).
void natt_write_udp6(uint8_t* udp, uint16_t sport, uint16_t dport, uint32_t esp_len, const uint8_t* src,
                     const uint8_t* dst);

// `datagram`: the UDP header and payload as received (IP header stripped).
NattPayload natt_strip(std::span<uint8_t> datagram);

}  // namespace crypto
