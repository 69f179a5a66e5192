#pragma once
// MbKeys — the ipsec-mb key schedules of one SA, stored inside SaCrypto::backend (so they share
// its guarded, read-only memory), and mb_prepare_keys(), which computes them on the control path.
//
//   AES-GCM:           gcm_key_data from IMB_AES128/256_GCM_PRE (round keys + GHASH tables).
//   AES-CBC + HMAC:    encrypt/decrypt round keys (IMB_AES_KEYEXP_128/256) and the HMAC inner and
//                      outer partial hashes, SHA(key ^ ipad) and SHA(key ^ opad) of one block
//                      (IMB_SHA256/SHA1_ONE_BLOCK, as DPDK's aesni_mb does), plus the round keys of
//                      a random AES-128 key that derives the CBC IVs (Engine::cbc_iv).
//   ChaCha20-Poly1305: nothing here: the raw key is SaCrypto::chacha_key.
// Key setup uses one process-wide IMB_MGR behind a mutex (control path only).
#include <intel-ipsec-mb.h>

#include <cstdint>
#include <new>

#include "common/result.h"
#include "crypto/sa_crypto.h"

namespace crypto {

struct MbKeys {
    union {
        struct gcm_key_data gcm;
        struct {
            alignas(16) uint32_t enc[60];  // 15 round keys (AES-256; AES-128 uses 11)
            alignas(16) uint32_t dec[60];
            alignas(16) uint8_t ipad[32];  // SHA-256: 32 bytes; SHA-1: 20
            alignas(16) uint8_t opad[32];
        } cbc;
    };
    alignas(16) uint32_t iv_key[44];  // AES-128 round keys of the CBC IV key
};
static_assert(sizeof(MbKeys) <= kBackendKeyBytes, "SaCrypto::backend is too small for MbKeys");
static_assert(alignof(MbKeys) <= 64, "SaCrypto::backend is 64-byte aligned");

inline const MbKeys& mb_keys(const SaCrypto& sa) {
    return *std::launder(reinterpret_cast<const MbKeys*>(sa.backend));
}

// Fills sa.backend for p (already validated by check_sa_params).
ws::Status mb_prepare_keys(SaCrypto& sa, const SaParams& p);

}  // namespace crypto
