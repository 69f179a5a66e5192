#pragma once
// sodium_run — the libsodium backend of crypto::Engine: ChaCha20-Poly1305 IETF (RFC 8439) with
// the detached calls (crypto_aead_chacha20poly1305_ietf_encrypt/decrypt_detached), one call per
// op, nonce = salt || IV as RFC 7634 §2 builds it. In place is allowed (libsodium MACs the
// ciphertext before it decrypts, and after it encrypts).
//
// Chosen per SA by SaParams::engine = EngineKind::kSodium; the tests cross-check it against the
// ipsec-mb backend packet for packet. No state: safe from any thread.
// Cost:    perf/crypto_bench.cc, BM_Esp*/chacha-sodium.
#include "crypto/engine.h"

namespace crypto {

// One op whose SA is ChaCha20-Poly1305 (check_sa_params allows nothing else on this engine).
void sodium_run(CryptoOp& op, Direction d) noexcept;

}  // namespace crypto
