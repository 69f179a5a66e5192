#include "crypto/natt.h"

#include "crypto/bytes.h"

namespace crypto {

namespace {

void write_header(uint8_t* udp, uint16_t sport, uint16_t dport, uint32_t esp_len) {
    store_be16(udp, sport);
    store_be16(udp + 2, dport);
    store_be16(udp + 4, uint16_t(kUdpHeaderBytes + esp_len));
    store_be16(udp + 6, 0);
}

// One's complement sum of 16-bit big-endian words (RFC 1071); an odd last byte is padded.
uint64_t sum16(const uint8_t* p, uint32_t n, uint64_t acc) {
    for (; n >= 2; p += 2, n -= 2) acc += load_be16(p);
    if (n) acc += uint32_t(p[0]) << 8;
    return acc;
}

}  // namespace

void natt_write_udp4(uint8_t* udp, uint16_t sport, uint16_t dport, uint32_t esp_len) {
    write_header(udp, sport, dport, esp_len);
}

void natt_write_udp6(uint8_t* udp, uint16_t sport, uint16_t dport, uint32_t esp_len, const uint8_t* src,
                     const uint8_t* dst) {
    write_header(udp, sport, dport, esp_len);
    const uint32_t len = kUdpHeaderBytes + esp_len;
    uint64_t acc = sum16(src, 16, 0);
    acc = sum16(dst, 16, acc);
    acc += len + 17;  // pseudo-header: upper-layer length, next header (RFC 8200 §8.1)
    acc = sum16(udp, len, acc);
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    const uint16_t c = uint16_t(~acc);
    store_be16(udp + 6, c ? c : 0xffff);  // 0 would mean "no checksum"
}

NattPayload natt_strip(std::span<uint8_t> datagram) {
    NattPayload out;
    if (datagram.size() < kUdpHeaderBytes) return out;
    const uint16_t len = load_be16(datagram.data() + 4);
    if (len < kUdpHeaderBytes || len > datagram.size()) return out;
    out.sport = load_be16(datagram.data());
    out.dport = load_be16(datagram.data() + 2);
    out.payload = datagram.subspan(kUdpHeaderBytes, len - kUdpHeaderBytes);
    const auto& p = out.payload;
    if (p.size() == 1 && p[0] == 0xff) out.kind = NattKind::kKeepalive;
    else if (p.size() >= 4 && !p[0] && !p[1] && !p[2] && !p[3]) {
        out.kind = NattKind::kIke;
        out.payload = p.subspan(4);
    } else if (p.size() >= 8) {
        out.kind = NattKind::kEsp;  // SPI and sequence number at least
    }
    return out;
}

}  // namespace crypto
