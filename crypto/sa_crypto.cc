#include "crypto/sa_crypto.h"

#include <sodium.h>

#include <cstring>
#include <new>

#include "crypto/ipsec_mb/mb_keys.h"
#include "crypto/secure_key.h"

namespace crypto {

namespace {

ws::Error invalid(std::string msg) { return ws::make_error(ws::Errc::kInvalid, std::move(msg)); }

// Key and ICV lengths per algorithm (RFC 4106 §8.1, RFC 7634 §2, RFC 4868 §2.6, RFC 2404 §2).
ws::Status check_keys(const SaParams& p) {
    const size_t ck = p.key->cipher().size(), ak = p.key->auth().size();
    const unsigned icv = p.icv_bytes;
    switch (p.alg) {
    case Algorithm::kAesGcm128:
    case Algorithm::kAesGcm256: {
        const size_t want = p.alg == Algorithm::kAesGcm128 ? 20 : 36;
        if (ck != want || ak != 0)
            return invalid("rfc4106(gcm(aes)): key must be " + std::to_string(want) + " bytes (key || 4-byte salt)");
        if (icv != 8 && icv != 12 && icv != 16) return invalid("rfc4106(gcm(aes)): ICV must be 64, 96 or 128 bits");
        return {};
    }
    case Algorithm::kChaCha20Poly1305:
        if (ck != 36 || ak != 0) return invalid("rfc7539esp(chacha20,poly1305): key must be 36 bytes (key || 4-byte salt)");
        if (icv != 16) return invalid("rfc7539esp(chacha20,poly1305): ICV must be 128 bits");
        return {};
    case Algorithm::kAesCbcHmacSha256:
    case Algorithm::kAesCbcHmacSha1: {
        const bool sha256 = p.alg == Algorithm::kAesCbcHmacSha256;
        if (ck != 16 && ck != 32) return invalid("cbc(aes): key must be 128 or 256 bits");
        if (ak == 0 || ak > 64) return ws::make_error(ws::Errc::kUnsupported, "hmac: key must be 1 to 64 bytes");
        if (icv != (sha256 ? 16 : 12))
            return invalid(sha256 ? "hmac(sha256): truncation must be 128 bits" : "hmac(sha1): truncation must be 96 bits");
        return {};
    }
    case Algorithm::kCount: break;
    }
    return invalid("no such algorithm");
}

}  // namespace

ws::Status check_sa_params(const SaParams& p) {
    if (p.spi == 0) return invalid("spi 0 is not valid (RFC 4303 §2.1)");
    if (!p.key) return invalid("the SA has no key");
    if (p.replay_window > kMaxReplayWindow)
        return ws::make_error(ws::Errc::kUnsupported, "replay-window is at most 4096");
    if (p.esn && p.replay_window == 0) return invalid("flag esn needs a replay-window (as Linux)");
    if (p.engine == EngineKind::kSodium && p.alg != Algorithm::kChaCha20Poly1305)
        return ws::make_error(ws::Errc::kUnsupported, "the libsodium engine runs only rfc7539esp(chacha20,poly1305)");
    return check_keys(p);
}

ws::Result<std::shared_ptr<const SaCrypto>> SaCrypto::make(const SaParams& p) {
    WS_TRY(check_sa_params(p));
    static_assert(sizeof(SaCrypto) % 64 == 0, "sodium_malloc aligns only multiples of the alignment");
    if (sodium_init() < 0) return ws::make_error(ws::Errc::kUnsupported, "libsodium cannot start");
    void* mem = sodium_malloc(sizeof(SaCrypto));
    if (!mem) return ws::make_error(ws::Errc::kIo, "cannot allocate guarded key memory");
    const AlgorithmInfo& info = algorithm_info(p.alg);
    const auto key = p.key->cipher();
    auto* sa = new (mem) SaCrypto{.spi = p.spi,
                                  .alg = p.alg,
                                  .engine = p.engine,
                                  .mode = p.mode,
                                  .esn = p.esn,
                                  .icv_bytes = p.icv_bytes,
                                  .iv_bytes = info.iv_bytes,
                                  .block_bytes = info.block_bytes,
                                  .key_bytes = uint8_t(key.size() - info.salt_bytes)};
    std::shared_ptr<const SaCrypto> out(sa, [](const SaCrypto* s) { sodium_free(const_cast<SaCrypto*>(s)); });
    if (info.salt_bytes) std::memcpy(sa->salt, key.data() + sa->key_bytes, 4);
    if (p.alg == Algorithm::kChaCha20Poly1305) std::memcpy(sa->chacha_key, key.data(), 32);
    if (p.engine == EngineKind::kIpsecMb) WS_TRY(mb_prepare_keys(*sa, p));
    sodium_mprotect_readonly(mem);
    return out;
}

}  // namespace crypto
