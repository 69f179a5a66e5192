#pragma once
// InetAddr / InetPrefix — IPv4 and IPv6 addresses in one value type, bytes in network order.
//
// IPv4 lives in b[0..3]; the remaining bytes stay zero so that equality and hashing work on the
// whole array. Parsing follows iproute2's get_addr(): IPv4 accepts 1 to 4 dotted parts
// ("10/8" is 10.0.0.0/8), IPv6 uses inet_pton().
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ws {

enum class Family : uint8_t { kNone = 0, kInet = 4, kInet6 = 6 };

struct InetAddr {
    std::array<uint8_t, 16> b{};
    Family family = Family::kNone;

    static InetAddr v4(uint32_t host_order) {
        InetAddr a;
        a.family = Family::kInet;
        a.b[0] = uint8_t(host_order >> 24);
        a.b[1] = uint8_t(host_order >> 16);
        a.b[2] = uint8_t(host_order >> 8);
        a.b[3] = uint8_t(host_order);
        return a;
    }
    static InetAddr zero(Family f) {
        InetAddr a;
        a.family = f;
        return a;
    }
    uint32_t v4() const {
        return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
    }
    bool is_v4() const { return family == Family::kInet; }
    bool is_v6() const { return family == Family::kInet6; }
    bool valid() const { return family != Family::kNone; }
    unsigned bits() const { return family == Family::kInet6 ? 128 : 32; }
    unsigned bytes() const { return family == Family::kInet6 ? 16 : 4; }
    bool is_zero() const {
        for (unsigned i = 0; i < 16; ++i)
            if (b[i]) return false;
        return true;
    }
    bool bit(unsigned i) const { return (b[i >> 3] >> (7 - (i & 7))) & 1; }

    // Address classes (RFC 1122/5735 for IPv4, RFC 4291 for IPv6).
    bool is_multicast() const { return is_v4() ? (b[0] & 0xf0) == 0xe0 : b[0] == 0xff; }
    bool is_lbcast() const { return is_v4() && v4() == 0xffffffffu; }
    bool is_loopback() const {
        if (is_v4()) return b[0] == 127;
        for (unsigned i = 0; i < 15; ++i)
            if (b[i]) return false;
        return b[15] == 1;
    }
    bool is_zeronet() const { return is_v4() && b[0] == 0; }
    bool is_local_multicast() const { return is_v4() && (v4() & 0xffffff00u) == 0xe0000000u; }
    bool is_link_local6() const { return is_v6() && b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }

    // Parses an address of the given family, or of either family when f is kNone.
    static Result<InetAddr> parse(std::string_view s, Family f = Family::kNone);
    std::string format() const;

    friend bool operator==(const InetAddr& x, const InetAddr& y) {
        return x.family == y.family && x.b == y.b;
    }
    friend bool operator!=(const InetAddr& x, const InetAddr& y) { return !(x == y); }
    friend bool operator<(const InetAddr& x, const InetAddr& y) {
        if (x.family != y.family) return x.family < y.family;
        return std::memcmp(x.b.data(), y.b.data(), 16) < 0;
    }
};

struct InetPrefix {
    InetAddr addr;
    uint8_t len = 0;

    static InetPrefix host(const InetAddr& a) { return {a, uint8_t(a.bits())}; }
    // Compares the first len bits only, so host bits in the prefix are ignored.
    bool contains(const InetAddr& a) const {
        if (a.family != addr.family) return false;
        if (a.family == Family::kInet) {
            const uint32_t mask = len ? ~uint32_t(0) << (32 - len) : 0;
            return ((a.v4() ^ addr.v4()) & mask) == 0;
        }
        return contains_slow(a);
    }
    // The prefix with every bit past len cleared.
    InetPrefix masked() const;
    bool has_host_bits() const { return !(masked().addr == addr); }
    bool is_host() const { return len == addr.bits(); }
    // "A/len" ("A" for a host prefix, "default" for /0 when default_word is set).
    std::string format(bool default_word = false) const;
    // Parses "A[/len]"; "default", "all" and "any" are the zero prefix of family f.
    static Result<InetPrefix> parse(std::string_view s, Family f = Family::kNone);

    bool contains_slow(const InetAddr& a) const;

    friend bool operator==(const InetPrefix& x, const InetPrefix& y) {
        return x.len == y.len && x.addr == y.addr;
    }
    friend bool operator!=(const InetPrefix& x, const InetPrefix& y) { return !(x == y); }
};

const char* family_name(Family f);

}  // namespace ws
