#pragma once
// Security Association parameters — what `ip xfrm state add` says, immutable once the SA is in a
// snapshot (STYLE 14), and the algorithm table both the control plane (names, key lengths) and
// the engines (crypto/engine.h) use.
//
// Config:  ip xfrm state add src 192.0.2.1 dst 198.51.100.2 proto esp spi 0x1001 reqid 1
//            mode tunnel aead 'rfc4106(gcm(aes))' 0x<16-byte key><4-byte salt> 128
//            [replay-window N] [flag esn] [encap espinudp 4500 4500 0.0.0.0] [if_id N]
//            [limit packet-soft N packet-hard N byte-soft N byte-hard N] [sel src A dst B ...]
// Mutable runtime state (sequence numbers, the replay window, lifetime counters) is not here:
// it lives in SaRuntime (crypto/sa_runtime.h), outside the snapshot, and survives reloads.
#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string_view>

#include "common/inet.h"

namespace crypto {

class SecureKey;

// The transforms wildside implements, one row each in kAlgorithms.
enum class Algorithm : uint8_t {
    kAesGcm128,         // aead 'rfc4106(gcm(aes))', 16-byte key + 4-byte salt, ICV 8/12/16
    kAesGcm256,         // aead 'rfc4106(gcm(aes))', 32-byte key + 4-byte salt
    kChaCha20Poly1305,  // aead 'rfc7539esp(chacha20,poly1305)', 32-byte key + 4-byte salt, ICV 16
    kAesCbcHmacSha256,  // enc 'cbc(aes)' 16/32-byte key + auth-trunc 'hmac(sha256)' 32-byte key 128
    kAesCbcHmacSha1,    // enc 'cbc(aes)' + auth-trunc 'hmac(sha1)' 20-byte key 96
    kCount
};

struct AlgorithmInfo {
    Algorithm alg;
    std::string_view linux_name;   // the name ip xfrm uses (aead NAME / enc NAME)
    std::string_view auth_name;    // auth-trunc NAME for the non-AEAD pairs, else ""
    bool aead;
    uint8_t iv_bytes;              // explicit IV on the wire
    uint8_t block_bytes;           // padding unit of the plaintext (4 for stream/AEAD ciphers)
    uint8_t salt_bytes;            // AEAD: the KEYMAT's trailing salt
};

inline constexpr AlgorithmInfo kAlgorithms[] = {
    {Algorithm::kAesGcm128, "rfc4106(gcm(aes))", "", true, 8, 4, 4},
    {Algorithm::kAesGcm256, "rfc4106(gcm(aes))", "", true, 8, 4, 4},
    {Algorithm::kChaCha20Poly1305, "rfc7539esp(chacha20,poly1305)", "", true, 8, 4, 4},
    {Algorithm::kAesCbcHmacSha256, "cbc(aes)", "hmac(sha256)", false, 16, 16, 0},
    {Algorithm::kAesCbcHmacSha1, "cbc(aes)", "hmac(sha1)", false, 16, 16, 0},
};
static_assert(std::size(kAlgorithms) == static_cast<size_t>(Algorithm::kCount), "one row per Algorithm");
constexpr const AlgorithmInfo& algorithm_info(Algorithm a) { return kAlgorithms[static_cast<unsigned>(a)]; }

enum class Mode : uint8_t { kTransport, kTunnel };
enum class EngineKind : uint8_t { kIpsecMb, kSodium };  // kSodium: ChaCha20-Poly1305 only


struct Lifetime {
    uint64_t soft_bytes = UINT64_MAX, hard_bytes = UINT64_MAX;
    uint64_t soft_packets = UINT64_MAX, hard_packets = UINT64_MAX;
};

// Traffic selector of an SA (`sel ...`) or a policy: prefixes, protocol and ports; 0 = any.
struct Selector {
    ws::InetPrefix src, dst;
    uint8_t proto = 0;
    uint16_t sport_lo = 0, sport_hi = 0xffff;
    uint16_t dport_lo = 0, dport_hi = 0xffff;
};

struct SaParams {
    // identity (ip xfrm state's key: dst, proto, spi)
    ws::InetAddr src, dst;        // outer addresses: tunnel endpoints / transport peers
    uint32_t spi = 0;             // host order; 0 is never valid on the wire
    uint32_t reqid = 0;
    Mode mode = Mode::kTransport;
    Algorithm alg = Algorithm::kAesGcm128;
    EngineKind engine = EngineKind::kIpsecMb;
    uint8_t icv_bytes = 16;
    // Key material in libsodium-guarded memory (crypto/secure_key.h): the cipher key || salt
    // (AEAD) and the integrity key of the CBC+HMAC pairs. Shared by the model and the
    // snapshots that hold the SA; zeroed and freed with the last of them.
    std::shared_ptr<const SecureKey> key;
    uint32_t replay_window = 32;  // packets; 0 disables anti-replay (0..4096)
    bool esn = false;             // flag esn: 64-bit sequence numbers, high half in the AAD
    bool natt = false;            // encap espinudp SPORT DPORT OA (RFC 3948)
    uint16_t natt_sport = 4500, natt_dport = 4500;
    uint32_t if_id = 0;           // the xfrm interface this SA belongs to (0: none)
    uint32_t mark = 0, mark_mask = 0;
    Lifetime limits;
    Selector sel;                 // `sel`: what may travel inside (inbound policy check)
    // Where the sequence numbers start, as `replay-oseq N replay-oseq-hi H` and `replay-seq N
    // replay-seq-hi H` of ip xfrm state add (an SA carried over a restart): read once, when the
    // SA's SaRuntime (crypto/sa_runtime.h) is created. 0 for a fresh SA, whose first packet
    // carries 1.
    uint64_t replay_oseq = 0;     // outbound: the last sequence number sent
    uint64_t replay_seq = 0;      // inbound: the highest authenticated sequence number (T)
};

inline constexpr uint32_t kMaxReplayWindow = 4096;  // replay-window's upper bound (packets)

}  // namespace crypto
