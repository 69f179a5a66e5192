#include "crypto/ipsec_mb/mb_keys.h"

#include <sodium.h>

#include <mutex>
#include <new>
#include <span>

#include "crypto/secure_key.h"

namespace crypto {

namespace {

// The control path's manager: key expansion needs one for its function table.
IMB_MGR* setup_mgr() {
    static IMB_MGR* mgr = [] {
        IMB_MGR* m = alloc_mb_mgr(0);
        if (m) init_mb_mgr_auto(m, nullptr);
        return m;
    }();
    return mgr;
}

// HMAC (RFC 2104) partial hashes: one compression of (key ^ 0x36..) and of (key ^ 0x5c..).
// check_sa_params keeps keys within one 64-byte block.
void hmac_pads(IMB_MGR* m, Algorithm alg, std::span<const uint8_t> key, uint8_t* ipad, uint8_t* opad) {
    alignas(16) uint8_t in[64], out[64];
    for (size_t i = 0; i < 64; ++i) {
        const uint8_t k = i < key.size() ? key[i] : 0;
        in[i] = k ^ 0x36;
        out[i] = k ^ 0x5c;
    }
    if (alg == Algorithm::kAesCbcHmacSha256) {
        IMB_SHA256_ONE_BLOCK(m, in, ipad);
        IMB_SHA256_ONE_BLOCK(m, out, opad);
    } else {
        IMB_SHA1_ONE_BLOCK(m, in, ipad);
        IMB_SHA1_ONE_BLOCK(m, out, opad);
    }
    sodium_memzero(in, sizeof in);
    sodium_memzero(out, sizeof out);
}

void cbc_keys(IMB_MGR* m, MbKeys& k, const SaParams& p) {
    const auto key = p.key->cipher();
    if (key.size() == 16) IMB_AES_KEYEXP_128(m, key.data(), k.cbc.enc, k.cbc.dec);
    else IMB_AES_KEYEXP_256(m, key.data(), k.cbc.enc, k.cbc.dec);
    hmac_pads(m, p.alg, p.key->auth(), k.cbc.ipad, k.cbc.opad);
    alignas(16) uint8_t iv_key[16];
    alignas(16) uint32_t unused_dec[44];
    randombytes_buf(iv_key, sizeof iv_key);
    IMB_AES_KEYEXP_128(m, iv_key, k.iv_key, unused_dec);
    sodium_memzero(iv_key, sizeof iv_key);
    sodium_memzero(unused_dec, sizeof unused_dec);
}

}  // namespace

ws::Status mb_prepare_keys(SaCrypto& sa, const SaParams& p) {
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    IMB_MGR* m = setup_mgr();
    if (!m) return ws::make_error(ws::Errc::kUnsupported, "ipsec-mb: cannot allocate a manager");
    MbKeys& k = *new (sa.backend) MbKeys{};
    const uint8_t* key = p.key->cipher().data();
    switch (p.alg) {
    case Algorithm::kAesGcm128: IMB_AES128_GCM_PRE(m, key, &k.gcm); break;
    case Algorithm::kAesGcm256: IMB_AES256_GCM_PRE(m, key, &k.gcm); break;
    case Algorithm::kChaCha20Poly1305: break;
    case Algorithm::kAesCbcHmacSha256:
    case Algorithm::kAesCbcHmacSha1: cbc_keys(m, k, p); break;
    case Algorithm::kCount: return ws::make_error(ws::Errc::kInvalid, "no such algorithm");
    }
    return {};
}

}  // namespace crypto
