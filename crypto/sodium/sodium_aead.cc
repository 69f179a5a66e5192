#include "crypto/sodium/sodium_aead.h"

#include <sodium.h>

#include <cstring>

namespace crypto {

void sodium_run(CryptoOp& op, Direction d) noexcept {
    const SaCrypto& sa = *op.sa;
    if (sa.alg != Algorithm::kChaCha20Poly1305 || !op.in || !op.out || !op.icv || !op.iv) {
        op.status = OpStatus::kFailed;
        return;
    }
    uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    std::memcpy(nonce, sa.salt, 4);
    std::memcpy(nonce + 4, op.iv, 8);
    if (d == Direction::kEncrypt) {
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(op.out, op.icv, nullptr, op.in, op.len, op.aad.data(),
                                                           op.aad.size(), nullptr, nonce, sa.chacha_key);
        op.status = OpStatus::kOk;
        return;
    }
    const int rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(op.out, nullptr, op.in, op.len, op.icv,
                                                                      op.aad.data(), op.aad.size(), nonce,
                                                                      sa.chacha_key);
    op.status = rc == 0 ? OpStatus::kOk : OpStatus::kAuthFailed;
}

}  // namespace crypto
