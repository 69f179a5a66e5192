// NAT traversal helpers (crypto/natt.h, RFC 3948): malformed datagrams first, then the demux of
// port 4500 (ESP, IKE behind the Non-ESP Marker, keepalive), the UDP headers written for IPv4
// (checksum 0) and IPv6 (a checksum that verifies), and ESP through UDP and back.
#include "crypto/bytes.h"
#include "crypto/natt.h"
#include "tests/crypto/crypto_test_util.h"

namespace crypto::test {
namespace {

Bytes udp(uint16_t len_field, const Bytes& payload) {
    Bytes d(kUdpHeaderBytes + payload.size());
    store_be16(d.data(), kNattPort);
    store_be16(d.data() + 2, kNattPort);
    store_be16(d.data() + 4, len_field);
    std::copy(payload.begin(), payload.end(), d.begin() + kUdpHeaderBytes);
    return d;
}

NattKind kind(Bytes d) { return natt_strip(d).kind; }

TEST(NattStrip, MalformedDatagrams) {
    EXPECT_EQ(kind({}), NattKind::kMalformed);
    EXPECT_EQ(kind(Bytes(7)), NattKind::kMalformed);
    EXPECT_EQ(kind(udp(7, {})), NattKind::kMalformed);                     // length below the header
    EXPECT_EQ(kind(udp(20, {1, 2, 3, 4})), NattKind::kMalformed);          // length past the buffer
    EXPECT_EQ(kind(udp(8 + 5, {1, 2, 3, 4, 5})), NattKind::kMalformed);    // too short for SPI + seq
    EXPECT_EQ(kind(udp(8 + 2, {0xff, 0xff})), NattKind::kMalformed);       // not a keepalive
}

TEST(NattStrip, SortsPort4500Traffic) {
    EXPECT_EQ(kind(udp(9, {0xff})), NattKind::kKeepalive);
    Bytes ike = udp(8 + 6, {0, 0, 0, 0, 0xaa, 0xbb});
    NattPayload p = natt_strip(ike);
    EXPECT_EQ(p.kind, NattKind::kIke);
    EXPECT_EQ(Bytes(p.payload.begin(), p.payload.end()), Bytes({0xaa, 0xbb}));  // marker removed
    Bytes esp = udp(8 + 8, {0, 0, 0x10, 0x01, 0, 0, 0, 1});
    p = natt_strip(esp);
    EXPECT_EQ(p.kind, NattKind::kEsp);
    EXPECT_EQ(p.sport, kNattPort);
    EXPECT_EQ(p.dport, kNattPort);
    EXPECT_EQ(p.payload.size(), 8u);
    Bytes trailing = udp(8 + 8, {0, 0, 0x10, 0x01, 0, 0, 0, 1, 0xee, 0xee});  // Ethernet padding
    EXPECT_EQ(natt_strip(trailing).payload.size(), 8u);                        // the UDP length wins
}

TEST(NattWrite, Ipv4HeaderHasZeroChecksum) {
    Bytes d(8 + 100);
    natt_write_udp4(d.data(), 4500, 4501, 100);
    EXPECT_EQ(to_hex(d.data(), 8), "1194119500" "6c" "0000");
}

// The checksum makes the one's complement sum over pseudo-header and datagram 0xffff.
TEST(NattWrite, Ipv6ChecksumVerifies) {
    const Bytes src = random_bytes(16, 1), dst = random_bytes(16, 2);
    for (uint32_t n : {0u, 1u, 57u, 1400u}) {
        Bytes d = random_bytes(8 + n, n);
        natt_write_udp6(d.data(), 4500, 4500, n, src.data(), dst.data());
        uint64_t sum = 8 + n + 17;
        for (const Bytes* b : std::initializer_list<const Bytes*>{&src, &dst, &d})
            for (size_t i = 0; i < b->size(); i += 2) sum += uint32_t((*b)[i] << 8 | (i + 1 < b->size() ? (*b)[i + 1] : 0));
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        EXPECT_EQ(sum, 0xffffu) << n;
        EXPECT_NE(load_be16(d.data() + 6), 0u);
    }
}

TEST(NattRoundTrip, EspThroughUdpAndBack) {
    TestSa tx = make_sa({}), rx = make_sa({});
    const Bytes inner = random_bytes(300, 3);
    Packet pkt(inner);
    EspOut o = pkt.out(4);
    esp_encap(engine(), *tx.crypto, *tx.rt, {&o, 1});
    ASSERT_EQ(o.error, EspError::kOk);
    uint8_t* u = o.esp - kUdpHeaderBytes;  // Packet leaves 64 bytes of headroom: ESP took 16
    natt_write_udp4(u, kNattPort, kNattPort, o.esp_len);
    const NattPayload p = natt_strip({u, kUdpHeaderBytes + o.esp_len});
    ASSERT_EQ(p.kind, NattKind::kEsp);
    EspIn in{.esp = p.payload.data(), .len = uint32_t(p.payload.size())};
    esp_decap(engine(), *rx.crypto, *rx.rt, {&in, 1});
    ASSERT_EQ(in.error, EspError::kOk);
    EXPECT_EQ(Bytes(in.payload, in.payload + in.payload_len), inner);
}

}  // namespace
}  // namespace crypto::test
