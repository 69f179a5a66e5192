#pragma once
// ESP (RFC 4303) on contiguous buffers, one run of packets of one SA at a time, in the three
// phases of STYLE 13: prepare → Engine::encrypt / decrypt → finish.
//
// Outbound (esp_encap_prepare / Engine::encrypt / esp_encap_finish, or esp_encap for all three):
//   Needs:   per packet the payload (tunnel: the inner IP packet; transport: the L4 header and
//            data, whose IP header the caller fixes up), its next header (tunnel 4 or 41,
//            transport the L4 protocol), and the writable room around it: esp_headroom(sa)
//            before, esp_tailroom(sa, len) after.
//   Does:    reserves the run's sequence numbers with one atomic operation (SaRuntime), writes
//            SPI || seq (low 32) || IV in front, padding 1, 2, 3, ... to the cipher block and
//            4-byte alignment (RFC 4303 §2.4: AEADs 0-3 bytes, AES-CBC 0-15), pad length and
//            next header behind, then the ICV. IV: AES-GCM/ChaCha20 the 64-bit sequence number
//            (unique per key, RFC 4106 §3.1, as Linux seqiv); AES-CBC AES_k'(seq) under a
//            random per-SA key (unpredictable, RFC 3602 §2.3). AAD: SPI || seq, or with ESN
//            SPI || seq-high || seq-low (RFC 4106 §5); AES-CBC + HMAC MACs SPI..ciphertext
//            [|| seq-high] (RFC 4303 §2.2.1).
//   Sets:    esp / esp_len (the ESP packet from SPI to ICV: the caller prepends the outer IP
//            header, and for NAT-T the UDP header of crypto/natt.h), seq, error.
//   Errors:  kNoRoom (takes no sequence number), kSeqExhausted (numbers run out: never
//            wraps), kLifetimeExpired, kCryptoFailed.
// Inbound (esp_decap_prepare / Engine::decrypt / esp_decap_finish, or esp_decap), in RFC 4303
// §3.4's order:
//   Needs:   per packet the ESP bytes from SPI to the end of the ICV (outer IP header and any
//            NAT-T UDP header stripped; reassembled: the caller drops fragments, §3.4.1) and
//            the SA found by SPI (the caller's lookup).
//   Does:    length and SPI checks; the anti-replay check (before the ICV, window untouched);
//            decrypt + ICV verify; the window update (only for verified packets); padding;
//            next header.
//   Sets:    payload / payload_len (tunnel: the inner packet, which the caller re-parses, its
//            own length field ending any TFC padding; transport: the L4 payload), next_header,
//            seq (the 64-bit number, ESN high half inferred), error.
//   Errors:  kTooShort, kBadLength, kBadSpi, kReplayed, kTooOld, kIcvFailed, kBadPadding,
//            kBadNextHeader, kDummyPacket (next header 59: discarded without error, after it
//            consumed its sequence number), kLifetimeExpired, kCryptoFailed.
//   Padding: checked. RFC 4303 §2.4 says receivers SHOULD check the default 1, 2, 3, ... (which
//            every algorithm here uses); Linux does not. A mismatch on an authenticated packet
//            is a broken or hostile peer, counted as kBadPadding of its own.
//   Not done: ESN re-synchronisation (RFC 4303 A3): a wrong high-half guess stays kIcvFailed.
//
// Config:  ip xfrm state add src A dst B proto esp spi 0x1001 mode tunnel
//            aead 'rfc4106(gcm(aes))' 0x<key><salt> 128 replay-window 64 flag esn
// Cost:    build/perf/crypto_bench --benchmark_filter=BM_Esp --benchmark_repetitions=3
//          2-core Zen 4 VM (TSC 2.596 GHz, load ~4.9 from other jobs), ipsec-mb 1.3 AVX-512,
//          libsodium 1.0.18; one SA, tunnel, burst 32, SIZE = inner packet; median burst.
//          ratio = raw engine cycles / ESP cycles on the same buffers in the same run (raw =
//          ipsec-mb jobs or libsodium calls alone over the same bytes: ESP's overhead only).
//            ALG            DIR  64 B: Mpps   cyc ratio  1420 B: Mpps  Gbps   cyc ratio  IMIX ratio
//            gcm128         enc    14.39   180  0.83      5.83  66.2   445  0.92     0.87
//            gcm128         dec    13.95   186  0.79      5.70  64.7   456  0.90     0.82
//            gcm256         enc    13.37   194  0.85      5.15  58.5   505  0.93     0.87
//            gcm256         dec    13.60   191  0.78      5.11  58.1   508  0.91     0.83
//            chacha         enc     5.64   461  0.95      1.88  21.3  1384  0.98     0.97
//            chacha         dec     5.33   487  0.91      1.83  20.8  1418  0.97     0.93
//            chacha-sodium  enc     2.34  1110  0.97      0.70   7.9  3731  0.99     0.98
//            chacha-sodium  dec     2.32  1120  0.96      0.69   7.8  3764  0.98     0.97
//            cbc-sha256     enc     5.34   486  0.85      1.58  17.9  1644  0.95     0.93
//            cbc-sha256     dec     6.23   417  0.84      1.75  19.9  1485  0.96     0.93
//            cbc-sha1       enc     6.52   398  0.79      2.37  26.9  1095  0.92     0.91
//            cbc-sha1       dec     7.66   339  0.76      2.77  31.5   938  0.92     0.87
//          The ESP overhead is 20-45 cycles a packet (sequence reservation, header, trailer
//          and padding, op set-up, status mapping, counters; inbound also the two locked
//          window passes, about 11 cycles, and the trailer checks). The project's goal, ESP
//          >= 0.8x raw ipsec-mb at 1420 B, holds for every algorithm in both directions.
#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/engine.h"
#include "crypto/esp_error.h"
#include "crypto/sa_crypto.h"
#include "crypto/sa_runtime.h"

namespace crypto {

inline constexpr uint32_t kEspHeaderBytes = 8;  // SPI + sequence number (low 32 bits)
inline constexpr uint8_t kNextHeaderIpv4 = 4, kNextHeaderIpv6 = 41, kNextHeaderNone = 59;

// Bytes ESP writes before the payload: SPI, seq, IV.
inline uint32_t esp_headroom(const SaCrypto& sa) { return kEspHeaderBytes + sa.iv_bytes; }
// Padding for a payload of len bytes (RFC 4303 §2.4): payload + 2 up to the padding unit, a
// power of two (4 or 16), so a mask instead of two divisions.
inline uint32_t esp_pad_bytes(const SaCrypto& sa, uint32_t len) { return (0u - (len + 2)) & (sa.block_bytes - 1u); }
// Bytes ESP writes after the payload: padding, pad length, next header, ICV.
inline uint32_t esp_tailroom(const SaCrypto& sa, uint32_t len) { return esp_pad_bytes(sa, len) + 2 + sa.icv_bytes; }
// The largest payload (the inner packet in tunnel mode, what follows the IP header in
// transport) that still fits `mtu` once `front` bytes (outer or own IP header, NAT-T UDP, ESP
// header and IV) and the trailer are added: xfrm_state_mtu()'s arithmetic.
inline uint32_t esp_payload_fit(const SaCrypto& sa, uint32_t mtu, uint32_t front) {
    const uint32_t room = mtu > front + sa.icv_bytes ? mtu - front - sa.icv_bytes : 0;
    const uint32_t aligned = room & ~uint32_t(sa.block_bytes - 1u);
    return aligned >= 2 ? aligned - 2 : 0;
}

struct EspOut {
    // in
    uint8_t* payload = nullptr;
    uint32_t len = 0;
    uint32_t headroom = 0;        // writable bytes before payload
    uint32_t tailroom = 0;        // writable bytes after payload + len
    uint8_t next_header = 0;
    const uint8_t* iv = nullptr;  // tests (known answers) only: this IV, not the derived one
    // out
    EspError error = EspError::kOk;
    uint8_t* esp = nullptr;       // SPI .. ICV
    uint32_t esp_len = 0;
    uint64_t seq = 0;
    uint8_t aad[12];              // scratch: the ESN AAD lives here during the engine call
};

struct EspIn {
    // in
    uint8_t* esp = nullptr;       // SPI .. ICV
    uint32_t len = 0;
    // out
    EspError error = EspError::kOk;
    uint8_t next_header = 0;
    uint8_t* payload = nullptr;   // decrypted in place, inside esp
    uint32_t payload_len = 0;
    uint64_t seq = 0;
    uint8_t aad[12];

    std::span<uint8_t> payload_span() const { return {payload, payload_len}; }
};

// Outbound. ops[i] belongs to pkts[i]; packets refused here get ops[i].sa = nullptr.
SaEvents esp_encap_prepare(Engine& engine, const SaCrypto& sa, SaRuntime& rt, std::span<EspOut> pkts,
                           CryptoOp* ops) noexcept;
SaEvents esp_encap_finish(const SaCrypto& sa, SaRuntime& rt, std::span<EspOut> pkts, const CryptoOp* ops) noexcept;
SaEvents esp_encap(Engine& engine, const SaCrypto& sa, SaRuntime& rt, std::span<EspOut> pkts) noexcept;

// Inbound, likewise.
void esp_decap_prepare(const SaCrypto& sa, SaRuntime& rt, std::span<EspIn> pkts, CryptoOp* ops) noexcept;
SaEvents esp_decap_finish(const SaCrypto& sa, SaRuntime& rt, std::span<EspIn> pkts, const CryptoOp* ops) noexcept;
SaEvents esp_decap(Engine& engine, const SaCrypto& sa, SaRuntime& rt, std::span<EspIn> pkts) noexcept;

inline SaEvents& operator|=(SaEvents& a, const SaEvents& b) {
    a.soft_limit |= b.soft_limit;
    a.hard_limit |= b.hard_limit;
    a.seq_exhausted |= b.seq_exhausted;
    return a;
}

}  // namespace crypto
