#pragma once
// Big-endian loads and stores on unaligned byte pointers, and a constant-time comparison: the
// few byte helpers the ESP code shares. memcpy + bswap compiles to one mov and one bswap (or
// movbe); the comparison's time does not depend on where the bytes differ (ICV checks).
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace crypto {

inline uint32_t load_be32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}

inline void store_be32(uint8_t* p, uint32_t v) {
    v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
}

inline void store_be64(uint8_t* p, uint64_t v) {
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
}

inline void store_be16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}

inline uint16_t load_be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }

// True when a[0..n) == b[0..n), in time independent of the contents.
inline bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n) {
    uint8_t d = 0;
    for (size_t i = 0; i < n; ++i) d |= uint8_t(a[i] ^ b[i]);
    return d == 0;
}

}  // namespace crypto
