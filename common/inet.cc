#include "common/inet.h"

#include <arpa/inet.h>

#include <charconv>

namespace ws {

namespace {

Result<InetAddr> parse_v4(std::string_view s) {
    // iproute2 get_addr_ipv4(): up to four dotted decimal parts, missing ones are zero.
    InetAddr a;
    a.family = Family::kInet;
    unsigned part = 0;
    size_t i = 0;
    if (s.empty()) return make_error(Errc::kInvalid, "invalid address", std::string(s));
    while (true) {
        if (part == 4 || i >= s.size()) return make_error(Errc::kInvalid, "invalid address", std::string(s));
        unsigned v = 0;
        auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
        size_t used = size_t(p - (s.data() + i));
        if (ec != std::errc() || used == 0 || used > 3 || v > 255)
            return make_error(Errc::kInvalid, "invalid address", std::string(s));
        a.b[part++] = uint8_t(v);
        i += used;
        if (i == s.size()) break;
        if (s[i] != '.') return make_error(Errc::kInvalid, "invalid address", std::string(s));
        ++i;
    }
    return a;
}

Result<InetAddr> parse_v6(std::string_view s) {
    char buf[64];
    if (s.size() >= sizeof(buf)) return make_error(Errc::kInvalid, "invalid address", std::string(s));
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    InetAddr a;
    a.family = Family::kInet6;
    if (inet_pton(AF_INET6, buf, a.b.data()) != 1)
        return make_error(Errc::kInvalid, "invalid address", std::string(s));
    return a;
}

}  // namespace

Result<InetAddr> InetAddr::parse(std::string_view s, Family f) {
    bool v6 = s.find(':') != std::string_view::npos;
    if (f == Family::kInet && v6) return make_error(Errc::kInvalid, "an IPv6 address where IPv4 is expected", std::string(s));
    if (f == Family::kInet6 && !v6) return make_error(Errc::kInvalid, "an IPv4 address where IPv6 is expected", std::string(s));
    return v6 ? parse_v6(s) : parse_v4(s);
}

std::string InetAddr::format() const {
    char buf[INET6_ADDRSTRLEN];
    if (family == Family::kInet6) {
        inet_ntop(AF_INET6, b.data(), buf, sizeof(buf));
    } else {
        inet_ntop(AF_INET, b.data(), buf, sizeof(buf));
    }
    return buf;
}

bool InetPrefix::contains_slow(const InetAddr& a) const {
    unsigned full = len / 8, rem = len % 8;
    if (std::memcmp(a.b.data(), addr.b.data(), full) != 0) return false;
    if (rem == 0) return true;
    uint8_t mask = uint8_t(0xff << (8 - rem));
    return ((a.b[full] ^ addr.b[full]) & mask) == 0;
}

InetPrefix InetPrefix::masked() const {
    InetPrefix p = *this;
    unsigned full = len / 8, rem = len % 8;
    if (rem) {
        p.addr.b[full] &= uint8_t(0xff << (8 - rem));
        ++full;
    }
    for (unsigned i = full; i < 16; ++i) p.addr.b[i] = 0;
    return p;
}

std::string InetPrefix::format(bool default_word) const {
    if (default_word && len == 0) return "default";
    if (is_host()) return addr.format();
    return addr.format() + "/" + std::to_string(len);
}

Result<InetPrefix> InetPrefix::parse(std::string_view s, Family f) {
    if (s == "default" || s == "all" || s == "any") {
        if (f == Family::kNone) f = Family::kInet;
        return InetPrefix{InetAddr::zero(f), 0};
    }
    auto slash = s.find('/');
    auto a = InetAddr::parse(s.substr(0, slash), f);
    if (!a) return a.error();
    InetPrefix p{*a, uint8_t(a->bits())};
    if (slash != std::string_view::npos) {
        auto ls = s.substr(slash + 1);
        unsigned v = 0;
        auto [ptr, ec] = std::from_chars(ls.data(), ls.data() + ls.size(), v);
        if (ec != std::errc() || ptr != ls.data() + ls.size() || ls.empty() || v > a->bits())
            return make_error(Errc::kInvalid, "invalid prefix length", std::string(s));
        p.len = uint8_t(v);
    }
    return p;
}

const char* family_name(Family f) {
    switch (f) {
        case Family::kInet: return "inet";
        case Family::kInet6: return "inet6";
        case Family::kNone: break;
    }
    return "none";
}

}  // namespace ws
