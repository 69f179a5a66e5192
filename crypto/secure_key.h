#pragma once
// SecureKey — an SA's key material in libsodium-guarded memory: allocated with sodium_malloc()
// (guard pages, locked into RAM), read-only after construction (sodium_mprotect_readonly), and
// zeroed and freed by sodium_free() when the last SA holding it goes.
//
// Layout: the cipher key followed by its salt for the AEADs (KEYMAT = key || salt, RFC 4106 §8.1,
// RFC 7634 §2), then the integrity key of the CBC+HMAC pairs.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace crypto {

class SecureKey {
public:
    // Copies `cipher` (key || salt) and `auth` into guarded memory; nullptr when libsodium cannot
    // allocate (sodium_init() failed or memory is exhausted).
    static std::shared_ptr<const SecureKey> make(std::span<const uint8_t> cipher, std::span<const uint8_t> auth = {});
    ~SecureKey();
    SecureKey(const SecureKey&) = delete;
    SecureKey& operator=(const SecureKey&) = delete;

    std::span<const uint8_t> cipher() const { return {mem_, cipher_len_}; }  // key || salt
    std::span<const uint8_t> auth() const { return {mem_ + cipher_len_, auth_len_}; }

private:
    SecureKey() = default;
    uint8_t* mem_ = nullptr;
    size_t cipher_len_ = 0, auth_len_ = 0;
};

}  // namespace crypto
