#pragma once
// Engine — one burst API over both crypto backends: a worker hands it an array of CryptoOps
// (each naming its SA's prepared SaCrypto) and gets a status per op back.
//
//   ipsec-mb (crypto/ipsec_mb/): AES-128/256-GCM (ICV 8/12/16), ChaCha20-Poly1305, AES-CBC +
//     HMAC-SHA-256-128 / HMAC-SHA1-96 (encrypt-then-MAC, as ESP does it), as a stream of
//     ipsec-mb jobs on one IMB_MGR (init_mb_mgr_auto picks AVX-512/VAES, AVX2, AVX or SSE).
//   libsodium (crypto/sodium/): ChaCha20-Poly1305 IETF, one call per op.
// SaParams::engine picks the backend per SA; ops of both kinds may share one call.
//
// Ownership: one Engine per worker thread (an IMB_MGR is not thread-safe); create() allocates,
// the calls never do. Ops are processed in place when in == out; the buffers, IVs and AADs an op
// points to must stay valid until the call returns, and nothing is kept after it.
//
// Outputs: op.status = kOk, kAuthFailed (decrypt: the ICV did not verify; the output then holds
// unauthenticated bytes the caller must drop), kFailed (the backend refused the op: a length or
// layout outside the contract below: ESP counts it as kCryptoFailed), kSkipped (op.sa null).
// Config:  none of its own: each op's SA (crypto/sa.h) names algorithm, engine and ICV length.
// Cost:    perf/crypto_bench.cc: the raw columns of crypto/esp.h's table are the ciphers alone;
//          the Engine's job set-up and dispatch are inside the ESP columns.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "crypto/sa_crypto.h"

namespace crypto {

enum class OpStatus : uint8_t {
    kOk,
    kAuthFailed,  // decrypt: ICV mismatch
    kFailed,      // refused by the backend (length/layout) or an ipsec-mb job error
    kSkipped,     // op.sa == nullptr: dropped before the engine
};

enum class Direction : uint8_t { kEncrypt, kDecrypt };

struct CryptoOp {
    const SaCrypto* sa = nullptr;  // null: skipped
    // AEAD: the 8-byte explicit IV (nonce = salt || IV). AES-CBC: the 16-byte IV.
    const uint8_t* iv = nullptr;
    // AEAD: the AAD. AES-CBC + HMAC: the bytes MACed before the ciphertext (ESP: SPI || seq ||
    // IV), which must end exactly at `in` (ipsec-mb hashes one contiguous region).
    std::span<const uint8_t> aad;
    const uint8_t* in = nullptr;
    uint8_t* out = nullptr;  // may equal `in`; AES-CBC + HMAC: must equal it
    uint32_t len = 0;        // bytes to cipher; AES-CBC: a non-zero multiple of 16
    // sa->icv_bytes: written by encrypt, compared (constant time) by decrypt. AES-CBC + HMAC with
    // ESN: must sit at out + len, where the engine writes esn_hi for the MAC (RFC 4303 §2.2.1:
    // the high half is MACed after the Next Header, not sent) before it writes or checks the ICV.
    uint8_t* icv = nullptr;
    uint32_t esn_hi = 0;     // AES-CBC + HMAC with ESN only
    OpStatus status = OpStatus::kSkipped;
};

class MbEngine;

class Engine {
public:
    // nullptr when ipsec-mb cannot set up a manager (no memory, or a CPU without SSE4.1 and
    // AES-NI): the worker DP_CHECKs it at start-up (STYLE 26).
    static std::unique_ptr<Engine> create();
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    void encrypt(CryptoOp* ops, size_t n) noexcept;
    void decrypt(CryptoOp* ops, size_t n) noexcept;

    // AES-CBC SAs: the IV for sequence number `seq`, AES-128 under the SA's random IV key of
    // (seq || 0^64): unique per key and unpredictable without that key (RFC 3602 §2.3).
    void cbc_iv(const SaCrypto& sa, uint64_t seq, uint8_t out[16]) noexcept;

    std::string_view arch() const;  // "avx512", "avx2", "avx", "sse"

    // A per-worker op array for callers that need one per call (esp_encap / esp_decap run in
    // chunks of its size): built once here, not on the stack per call.
    static constexpr size_t kScratchOps = 64;
    std::span<CryptoOp> scratch_ops() { return scratch_; }

private:
    Engine();
    void run(CryptoOp* ops, size_t n, Direction d) noexcept;
    std::unique_ptr<MbEngine> mb_;
    CryptoOp scratch_[kScratchOps];
};

}  // namespace crypto
