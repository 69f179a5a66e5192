#pragma once
// The hash of the per-worker flow caches (the route cache, dataplane/stages/route_stage.h; the
// SPD cache, dataplane/tables/spd_cache.h): both addresses mixed into 64 bits, the caller's other
// key fields xored in, then one multiply. Plain values; no DPDK.
#include <cstdint>
#include <cstring>

#include "common/inet.h"

namespace dp {

inline uint64_t flow_addr_mix(const ws::InetAddr& src, const ws::InetAddr& dst) {
    uint64_t a, b, c, d;
    std::memcpy(&a, src.b.data(), 8);
    std::memcpy(&b, src.b.data() + 8, 8);
    std::memcpy(&c, dst.b.data(), 8);
    std::memcpy(&d, dst.b.data() + 8, 8);
    return (a * 0x9e3779b97f4a7c15ull) ^ (c * 0xc2b2ae3d27d4eb4full) ^ b ^ (d << 1);
}

// The 32-bit tag of a mixed key (the set index is taken from its low bits).
inline uint32_t flow_hash_finish(uint64_t h) {
    h *= 0xff51afd7ed558ccdull;
    return uint32_t(h >> 32);
}

}  // namespace dp
