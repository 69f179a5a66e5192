#include "crypto/secure_key.h"

#include <sodium.h>

#include <cstring>

namespace crypto {

std::shared_ptr<const SecureKey> SecureKey::make(std::span<const uint8_t> cipher, std::span<const uint8_t> auth) {
    static const bool ready = sodium_init() >= 0;
    if (!ready) return nullptr;
    const size_t n = cipher.size() + auth.size();
    auto* mem = static_cast<uint8_t*>(sodium_malloc(n ? n : 1));
    if (!mem) return nullptr;
    if (!cipher.empty()) std::memcpy(mem, cipher.data(), cipher.size());
    if (!auth.empty()) std::memcpy(mem + cipher.size(), auth.data(), auth.size());
    sodium_mprotect_readonly(mem);
    std::shared_ptr<SecureKey> k(new SecureKey());
    k->mem_ = mem;
    k->cipher_len_ = cipher.size();
    k->auth_len_ = auth.size();
    return k;
}

SecureKey::~SecureKey() {
    if (mem_) sodium_free(mem_);  // makes it writable, zeroes it, frees it and its guard pages
}

}  // namespace crypto
