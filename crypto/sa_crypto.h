#pragma once
// SaCrypto — one SA's prepared crypto context: what the ESP fast path reads about the SA (SPI,
// algorithm, sizes, ESN) and its key schedules, built once from SaParams + SecureKey on the
// control path and read-only afterwards (a snapshot object, STYLE 14/21).
//
// Key schedules: AES-GCM's expanded keys and GHASH tables (IMB_AES128/256_GCM_PRE), AES-CBC's
// encrypt and decrypt round keys with the HMAC ipad/opad partial hashes (as DPDK's aesni_mb
// computes them), the ChaCha20 key, the 4-byte salt, and, for AES-CBC, a random per-SA AES-128
// key that turns sequence numbers into unpredictable IVs (NIST SP 800-38A App. C; RFC 3602 §2.3
// forbids predictable CBC IVs). The object lives in libsodium-guarded memory (sodium_malloc:
// guard pages, mlock where the limit allows, read-only after construction, zeroed on free),
// like the SecureKey it is derived from.
//
// Config:  ip xfrm state add ... proto esp spi 0x1001 mode tunnel
//            aead 'rfc4106(gcm(aes))' 0x<key><salt> 128 [flag esn]
//          (SaParams::engine picks ipsec-mb or libsodium; its keyword is the xfrm grammar's)
// Errors:  check_sa_params() names the first parameter wildside cannot run (key length, ICV
//          length, engine/algorithm pair, window, SPI) as ws::Errc::kInvalid / kUnsupported.
// Cost:    control path only: make() is one sodium_malloc (4 pages) and one key expansion
//          (about 2 us for AES-GCM's tables).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/result.h"
#include "crypto/sa.h"

namespace crypto {

// Bytes reserved in SaCrypto for the ipsec-mb key schedules (crypto/ipsec_mb/mb_keys.h checks
// that they fit).
inline constexpr size_t kBackendKeyBytes = 1280;

struct alignas(64) SaCrypto {
    // Read per packet, first (STYLE 31).
    uint32_t spi = 0;             // host order
    Algorithm alg = Algorithm::kAesGcm128;
    EngineKind engine = EngineKind::kIpsecMb;
    Mode mode = Mode::kTransport;
    bool esn = false;
    uint8_t icv_bytes = 16;
    uint8_t iv_bytes = 8;         // explicit IV on the wire
    uint8_t block_bytes = 4;      // padding unit of payload + trailer (RFC 4303 §2.4)
    uint8_t key_bytes = 16;       // cipher key without the salt
    uint8_t salt[4] = {};         // AEAD: nonce = salt || IV (RFC 4106 §4, RFC 7634 §2)
    alignas(16) uint8_t chacha_key[32] = {};
    alignas(64) std::byte backend[kBackendKeyBytes] = {};  // ipsec-mb schedules (mb_keys.h)

    // Validates `p` (check_sa_params) and builds the context from p.key. The returned object
    // is immutable; it is freed (and zeroed) with the last reference.
    static ws::Result<std::shared_ptr<const SaCrypto>> make(const SaParams& p);
};

// Whether wildside can run this SA: key lengths (AES-GCM 16/32 + 4-byte salt, ChaCha20 32 + 4,
// AES-CBC 16/32 with an HMAC key of 1..64 bytes), ICV length (GCM 8/12/16, ChaCha20 16,
// SHA-256 16, SHA-1 12), engine sodium only with ChaCha20-Poly1305, replay window <= 4096 and
// not 0 with ESN (Linux refuses that too), SPI != 0.
ws::Status check_sa_params(const SaParams& p);

}  // namespace crypto
