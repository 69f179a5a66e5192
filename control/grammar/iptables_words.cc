#include "control/grammar/iptables_words.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>

namespace ctl::ipt_words {

using ws::Errc;
using ws::make_error;

std::string cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts) out.append(p);
    return out;
}

ws::Error problem(std::string msg, std::string_view token) { return make_error(Errc::kInvalid, std::move(msg), std::string(token)); }

ws::Error unsupported(std::string what, std::string_view token) {
    return make_error(Errc::kUnsupported, std::move(what) + " is not supported by wildside", std::string(token));
}

std::string backquoted(std::string_view w) {
    std::string out(1, '`');
    out.append(w);
    out += '\'';
    return out;
}

std::string quoted(std::string_view w) {
    std::string out(1, '"');
    out.append(w);
    out += '"';
    return out;
}

// ---------------------------------------------------------------------------------------------
// Numbers

namespace {

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string lower(std::string_view w) {
    std::string s(w);
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool iequal_prefix(std::string_view full, std::string_view prefix) {
    if (prefix.size() > full.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(full[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    return true;
}

}  // namespace

std::optional<Number> strtoumax_like(std::string_view s, int base) {
    size_t i = 0;
    while (i < s.size() && is_space(s[i])) ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if ((base == 0 || base == 16) && i + 2 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
        digit_value(s[i + 2]) < 16) {
        base = 16;
        i += 2;
    } else if (base == 0) {
        base = (i < s.size() && s[i] == '0') ? 8 : 10;
    }
    const size_t start = i;
    uint64_t v = 0;
    bool overflow = false;
    for (; i < s.size() && digit_value(s[i]) < base; ++i) {
        const uint64_t d = uint64_t(digit_value(s[i]));
        if (v > (UINT64_MAX - d) / uint64_t(base)) overflow = true;
        v = v * uint64_t(base) + d;
    }
    if (i == start || overflow) return std::nullopt;
    return Number{neg ? uint64_t(0) - v : v, i};
}

std::optional<uint64_t> whole_number(std::string_view s, uint64_t min, uint64_t max, int base) {
    auto n = strtoumax_like(s, base);
    if (!n || n->end != s.size() || n->value < min || n->value > max) return std::nullopt;
    return n->value;
}

// ---------------------------------------------------------------------------------------------
// Ports and protocols

namespace {

std::optional<uint16_t> service_port(std::string_view name, const char* proto) {
    std::string n(name);
    servent se{}, *res = nullptr;
    char buf[4096];
    if (getservbyname_r(n.c_str(), proto, &se, buf, sizeof buf, &res) != 0 || !res) return std::nullopt;
    return ntohs(uint16_t(res->s_port));
}

}  // namespace

ws::Result<uint16_t> parse_port(std::string_view w, std::string_view proto) {
    if (auto v = whole_number(w, 0, 65535)) return uint16_t(*v);
    if (auto p = service_port(w, std::string(proto).c_str())) return *p;
    return problem("invalid port/service " + backquoted(w) + " specified", w);
}

ws::Result<IptPortRange> parse_port_range(std::string_view w, std::string_view proto) {
    IptPortRange r;
    const size_t colon = w.find(':');
    if (colon == std::string_view::npos) {
        auto p = parse_port(w, proto);
        if (!p) return p.error();
        r.min = r.max = *p;
        return r;
    }
    std::string_view lo = w.substr(0, colon), hi = w.substr(colon + 1);
    if (!lo.empty()) {
        auto p = parse_port(lo, proto);
        if (!p) return p.error();
        r.min = *p;
    }
    if (!hi.empty()) {
        auto p = parse_port(hi, proto);
        if (!p) return p.error();
        r.max = *p;
    }
    if (r.min > r.max) return problem("invalid portrange (min > max)", w);
    return r;
}

ws::Result<IptPortRange> parse_udp_ports(std::string_view w, std::string_view option) {
    uint16_t vals[2] = {0, 0xffff};
    size_t n = 0, pos = 0;
    for (;;) {
        if (n == 2)
            return problem("udp: Too many components for option \"--" + std::string(option) + "\" (max: 2)", w);
        const size_t colon = w.find(':', pos);
        std::string_view part = w.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos);
        if (part.empty()) {
            vals[n] = n == 0 ? 0 : 0xffff;
        } else if (std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            // getaddrinfo() reads a numeric service with strtoul() and keeps 16 bits of it.
            uint64_t v = 0;
            for (char c : part) v = std::min<uint64_t>(v * 10 + uint64_t(c - '0'), ULONG_MAX);
            vals[n] = uint16_t(v);
        } else if (auto p = service_port(part, nullptr)) {
            vals[n] = *p;
        } else {
            return problem("Port \"" + std::string(part) + "\" does not resolve to anything.", part);
        }
        ++n;
        if (colon == std::string_view::npos) break;
        pos = colon + 1;
    }
    IptPortRange r{vals[0], n == 1 ? vals[0] : vals[1]};
    return r;
}

namespace {

// xtables_chain_protos: the names iptables knows without /etc/protocols.
struct ProtoName {
    std::string_view name;
    uint8_t num;
};
constexpr ProtoName kChainProtos[] = {
    {"tcp", 6},  {"sctp", 132}, {"udp", 17},  {"udplite", 136}, {"icmp", 1}, {"icmpv6", 58},
    {"ipv6-icmp", 58}, {"esp", 50}, {"ah", 51}, {"ipv6-mh", 135}, {"mh", 135}, {"all", 0},
};

}  // namespace

ws::Result<uint8_t> parse_protocol(std::string_view w) {
    const std::string s = lower(w);
    if (auto v = whole_number(s, 0, 255)) return uint8_t(*v);
    if (s == "all") return uint8_t(0);
    protoent pe{}, *res = nullptr;
    char buf[4096];
    if (getprotobyname_r(s.c_str(), &pe, buf, sizeof buf, &res) == 0 && res && res->p_proto >= 0 && res->p_proto <= 255)
        return uint8_t(res->p_proto);
    for (const auto& p : kChainProtos)
        if (p.name == s) return p.num;
    return problem("unknown protocol " + quoted(s) + " specified", w);
}

std::optional<std::string> protocol_name(uint8_t proto) {
    protoent pe{}, *res = nullptr;
    char buf[4096];
    if (getprotobynumber_r(proto, &pe, buf, sizeof buf, &res) == 0 && res) return std::string(res->p_name);
    return std::nullopt;
}

std::optional<std::string> proto_match_name(uint8_t proto, ws::Family f) {
    std::optional<std::string> name = protocol_name(proto);
    if (!name)
        for (const auto& p : kChainProtos)
            if (p.num == proto && p.num) {
                name = std::string(p.name);
                break;
            }
    if (!name) return std::nullopt;
    // xtables_find_match(): every spelling of ICMPv6 loads icmp6 (an IPv6 match only).
    if (*name == "icmpv6" || *name == "ipv6-icmp" || *name == "icmp6") return f == ws::Family::kInet6 ? "icmp6" : "ipv6-icmp";
    return name;
}

// ---------------------------------------------------------------------------------------------
// Addresses

namespace {

// __numeric_to_ipaddr(): up to four base-0 bytes; fewer complete a network address (not a mask).
std::optional<ws::InetAddr> numeric_to_ipaddr(std::string_view s, bool is_mask) {
    std::string buf(s.substr(0, 19));  // strncpy(buf, dotted, 19)
    uint8_t b[4] = {0, 0, 0, 0};
    size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
        const size_t dot = buf.find('.', pos);
        if (dot == std::string::npos) {
            if (is_mask) return std::nullopt;
            auto v = whole_number(std::string_view(buf).substr(pos), 0, 255);
            if (!v) return std::nullopt;
            b[i] = uint8_t(*v);
            return ws::InetAddr::v4((uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3]);
        }
        auto v = whole_number(std::string_view(buf).substr(pos, dot - pos), 0, 255);
        if (!v) return std::nullopt;
        b[i] = uint8_t(*v);
        pos = dot + 1;
    }
    auto v = whole_number(std::string_view(buf).substr(pos), 0, 255);
    if (!v) return std::nullopt;
    b[3] = uint8_t(*v);
    return ws::InetAddr::v4((uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3]);
}

std::optional<ws::InetAddr> numeric_to_ip6addr(std::string_view s) {
    std::string buf(s);
    in6_addr a{};
    if (inet_pton(AF_INET6, buf.c_str(), &a) != 1) return std::nullopt;
    ws::InetAddr out = ws::InetAddr::zero(ws::Family::kInet6);
    std::memcpy(out.b.data(), &a, 16);
    return out;
}

ws::InetAddr prefix_mask(ws::Family f, unsigned bits) {
    ws::InetAddr m = ws::InetAddr::zero(f);
    for (unsigned i = 0; i < bits; ++i) m.b[i >> 3] |= uint8_t(0x80 >> (i & 7));
    return m;
}

ws::Result<ws::InetAddr> parse_mask(std::optional<std::string_view> m, ws::Family f) {
    const unsigned bits = f == ws::Family::kInet6 ? 128 : 32;
    if (!m) return prefix_mask(f, bits);
    if (f == ws::Family::kInet6) {
        if (auto a = numeric_to_ip6addr(*m)) return *a;
    } else if (auto a = numeric_to_ipaddr(*m, true)) {
        return *a;
    }
    auto v = whole_number(*m, 0, bits);
    if (!v) return problem("invalid mask " + backquoted(*m) + " specified", *m);
    return prefix_mask(f, unsigned(*v));
}

}  // namespace

ws::Result<std::vector<AddrMask>> parse_addresses(std::string_view w, ws::Family f) {
    std::vector<AddrMask> out;
    size_t pos = 0;
    for (;;) {
        const size_t comma = w.find(',', pos);
        std::string_view item = w.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        const size_t slash = item.rfind('/');
        std::string_view host = slash == std::string_view::npos ? item : item.substr(0, slash);
        auto mask = parse_mask(slash == std::string_view::npos ? std::nullopt : std::optional(item.substr(slash + 1)), f);
        if (!mask) return mask.error();
        AddrMask am;
        am.mask = *mask;
        // "if a null mask is given, the name is ignored, like in any/0"
        if (mask->is_zero()) host = f == ws::Family::kInet6 ? "::" : "0.0.0.0";
        auto a = f == ws::Family::kInet6 ? numeric_to_ip6addr(host) : numeric_to_ipaddr(host, false);
        if (!a) return problem("host/network " + backquoted(host) + " not found", host);
        am.addr = *a;
        for (unsigned i = 0; i < 16; ++i) am.addr.b[i] &= am.mask.b[i];
        out.push_back(am);
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

int mask_prefix_len(const ws::InetAddr& mask) {
    const unsigned bits = mask.bits();
    unsigned n = 0;
    while (n < bits && mask.bit(n)) ++n;
    for (unsigned i = n; i < bits; ++i)
        if (mask.bit(i)) return -1;
    return int(n);
}

std::string mask_suffix(const ws::InetAddr& mask) {
    if (mask_prefix_len(mask) == int(mask.bits())) return "";
    return mask_suffix_save(mask);
}

std::string mask_suffix_save(const ws::InetAddr& mask) {
    const int n = mask_prefix_len(mask);
    std::string out(1, '/');
    out += n < 0 ? mask.format() : std::to_string(n);
    return out;
}

ws::Result<std::string> parse_interface(std::string_view w) {
    if (w.size() + 1 > 16)
        return problem("interface name " + backquoted(w) + " must be shorter than IFNAMSIZ (15)", w);
    return std::string(w);
}

// ---------------------------------------------------------------------------------------------
// Chains and extension names

namespace {

// The extensions of iptables 1.8.9 (/usr/lib/xtables): matches, then targets, per family.
constexpr std::string_view kMatches[] = {
    "addrtype", "bpf", "cgroup", "cluster", "comment", "connbytes", "connlabel", "connlimit", "connmark",
    "conntrack", "cpu", "dccp", "devgroup", "dscp", "ecn", "esp", "hashlimit", "helper", "ipcomp", "iprange",
    "ipvs", "length", "limit", "mac", "mark", "multiport", "nfacct", "osf", "owner", "physdev", "pkttype",
    "policy", "quota", "rateest", "recent", "rpfilter", "sctp", "set", "socket", "state", "statistic", "string",
    "tcp", "tcpmss", "time", "tos", "u32", "udp",
};
constexpr std::string_view kMatches4[] = {"ah", "icmp", "realm", "ttl"};
constexpr std::string_view kMatches6[] = {"ah", "dst", "eui64", "frag", "hbh", "hl", "icmp6", "ipv6header", "mh", "rt", "srh"};
constexpr std::string_view kTargets[] = {
    "ACCEPT", "DROP", "QUEUE", "RETURN", "AUDIT", "CHECKSUM", "CLASSIFY", "CONNMARK", "CONNSECMARK", "CT", "DNAT",
    "DSCP", "HMARK", "IDLETIMER", "LED", "LOG", "MARK", "MASQUERADE", "NETMAP", "NFLOG", "NFQUEUE", "NOTRACK",
    "RATEEST", "REDIRECT", "REJECT", "SECMARK", "SET", "SNAT", "SYNPROXY", "TCPMSS", "TCPOPTSTRIP", "TEE", "TOS",
    "TPROXY", "TRACE",
};
constexpr std::string_view kTargets4[] = {"CLUSTERIP", "ECN", "TTL", "ULOG"};
constexpr std::string_view kTargets6[] = {"DNPT", "HL", "SNPT"};

template <size_t N>
bool listed(const std::string_view (&list)[N], std::string_view name) {
    return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

}  // namespace

bool is_known_match(std::string_view name, ws::Family f) {
    return listed(kMatches, name) || (f == ws::Family::kInet6 ? listed(kMatches6, name) : listed(kMatches4, name));
}

bool is_known_target(std::string_view name, ws::Family f) {
    return listed(kTargets, name) || (f == ws::Family::kInet6 ? listed(kTargets6, name) : listed(kTargets4, name));
}

ws::Status check_new_chain_name(std::string_view w) {
    if (w.size() >= kExtensionNameMax)
        return problem("chain name " + backquoted(w) + " too long (must be under 29 chars)", w);
    if (!w.empty() && (w[0] == '-' || w[0] == '!'))
        return problem("chain name not allowed to start with " + backquoted(w.substr(0, 1)), w);
    if (is_known_target(w, ws::Family::kInet) || is_known_target(w, ws::Family::kInet6))
        return problem("chain name may not clash with target name", w);
    for (char c : w)
        if (is_space(c)) return problem("Invalid chain name " + backquoted(w), w);
    return {};
}

ws::Status check_target_name(std::string_view w) {
    if (w.empty()) return problem("Invalid target name (too short)", w);
    if (w.size() >= kExtensionNameMax) return problem("Invalid target name " + backquoted(w) + " (28 chars max)", w);
    for (char c : w)
        if (is_space(c)) return problem("Invalid target name " + backquoted(w), w);
    return {};
}

// ---------------------------------------------------------------------------------------------
// ICMP

namespace {

struct IcmpName {
    std::string_view name;
    uint8_t type, code_min, code_max;
};
// libxtables' icmp_codes and icmpv6_codes, in their order (aliases follow their type).
constexpr IcmpName kIcmp4[] = {
    {"any", 0xff, 0, 0xff},
    {"echo-reply", 0, 0, 0xff},
    {"pong", 0, 0, 0xff},
    {"destination-unreachable", 3, 0, 0xff},
    {"network-unreachable", 3, 0, 0},
    {"host-unreachable", 3, 1, 1},
    {"protocol-unreachable", 3, 2, 2},
    {"port-unreachable", 3, 3, 3},
    {"fragmentation-needed", 3, 4, 4},
    {"source-route-failed", 3, 5, 5},
    {"network-unknown", 3, 6, 6},
    {"host-unknown", 3, 7, 7},
    {"network-prohibited", 3, 9, 9},
    {"host-prohibited", 3, 10, 10},
    {"TOS-network-unreachable", 3, 11, 11},
    {"TOS-host-unreachable", 3, 12, 12},
    {"communication-prohibited", 3, 13, 13},
    {"host-precedence-violation", 3, 14, 14},
    {"precedence-cutoff", 3, 15, 15},
    {"source-quench", 4, 0, 0xff},
    {"redirect", 5, 0, 0xff},
    {"network-redirect", 5, 0, 0},
    {"host-redirect", 5, 1, 1},
    {"TOS-network-redirect", 5, 2, 2},
    {"TOS-host-redirect", 5, 3, 3},
    {"echo-request", 8, 0, 0xff},
    {"ping", 8, 0, 0xff},
    {"router-advertisement", 9, 0, 0xff},
    {"router-solicitation", 10, 0, 0xff},
    {"time-exceeded", 11, 0, 0xff},
    {"ttl-exceeded", 11, 0, 0xff},
    {"ttl-zero-during-transit", 11, 0, 0},
    {"ttl-zero-during-reassembly", 11, 1, 1},
    {"parameter-problem", 12, 0, 0xff},
    {"ip-header-bad", 12, 0, 0},
    {"required-option-missing", 12, 1, 1},
    {"timestamp-request", 13, 0, 0xff},
    {"timestamp-reply", 14, 0, 0xff},
    {"address-mask-request", 17, 0, 0xff},
    {"address-mask-reply", 18, 0, 0xff},
};
constexpr IcmpName kIcmp6[] = {
    {"destination-unreachable", 1, 0, 0xff},
    {"no-route", 1, 0, 0},
    {"communication-prohibited", 1, 1, 1},
    {"beyond-scope", 1, 2, 2},
    {"address-unreachable", 1, 3, 3},
    {"port-unreachable", 1, 4, 4},
    {"failed-policy", 1, 5, 5},
    {"reject-route", 1, 6, 6},
    {"packet-too-big", 2, 0, 0xff},
    {"time-exceeded", 3, 0, 0xff},
    {"ttl-exceeded", 3, 0, 0xff},
    {"ttl-zero-during-transit", 3, 0, 0},
    {"ttl-zero-during-reassembly", 3, 1, 1},
    {"parameter-problem", 4, 0, 0xff},
    {"bad-header", 4, 0, 0},
    {"unknown-header-type", 4, 1, 1},
    {"unknown-option", 4, 2, 2},
    {"echo-request", 128, 0, 0xff},
    {"ping", 128, 0, 0xff},
    {"echo-reply", 129, 0, 0xff},
    {"pong", 129, 0, 0xff},
    {"router-solicitation", 133, 0, 0xff},
    {"router-advertisement", 134, 0, 0xff},
    {"neighbour-solicitation", 135, 0, 0xff},
    {"neighbor-solicitation", 135, 0, 0xff},
    {"neighbour-advertisement", 136, 0, 0xff},
    {"neighbor-advertisement", 136, 0, 0xff},
    {"redirect", 137, 0, 0xff},
};

// parse_range(): N or N:M, each 0-255 (base 0); returns where it stopped.
std::optional<size_t> icmp_range(std::string_view s, unsigned (&res)[2]) {
    auto a = strtoumax_like(s);
    if (!a || a->value > 255) return std::nullopt;
    res[0] = res[1] = unsigned(a->value);
    size_t end = a->end;
    if (end < s.size() && s[end] == ':') {
        auto b = strtoumax_like(s.substr(end + 1));
        if (!b || b->value > 255) return std::nullopt;
        res[1] = unsigned(b->value);
        end += 1 + b->end;
    }
    return end;
}

}  // namespace

ws::Result<IptIcmpMatch> parse_icmp_type(std::string_view w, bool v6) {
    const std::span<const IcmpName> names = v6 ? std::span<const IcmpName>(kIcmp6) : std::span<const IcmpName>(kIcmp4);
    const std::string what = v6 ? "ICMPv6" : "ICMP";
    IptIcmpMatch m;
    m.v6 = v6;
    const IcmpName* found = nullptr;
    for (const auto& n : names) {
        if (!iequal_prefix(n.name, w)) continue;
        if (found)
            return problem("Ambiguous " + what + " type " + backquoted(w) + ": " + backquoted(found->name) + " or " +
                               backquoted(n.name) + "?",
                           w);
        found = &n;
    }
    if (found) {
        m.type = found->type;
        m.code_min = found->code_min;
        m.code_max = found->code_max;
        return m;
    }
    unsigned num[2];
    auto end = icmp_range(w, num);
    if (!end) return problem("Unknown " + what + " type " + backquoted(w), w);
    if (num[0] != num[1]) return problem(what + " type range not supported", w);
    m.type = uint8_t(num[0]);
    if (*end == w.size()) {
        m.code_min = 0;
        m.code_max = 0xff;
        return m;
    }
    if (w[*end] == '/') {
        auto cend = icmp_range(w.substr(*end + 1), num);
        if (!cend) return problem("Unknown " + what + " code " + backquoted(w), w);
        m.code_min = uint8_t(num[0]);
        m.code_max = uint8_t(num[1]);
        const size_t at = *end + 1 + *cend;
        if (at == w.size()) return m;
        return problem(std::string("unknown character ") + w[at], w);
    }
    return problem(std::string("unknown character ") + w[*end], w);
}

// ---------------------------------------------------------------------------------------------
// DSCP, TOS, REJECT

ws::Result<uint8_t> parse_dscp_class(std::string_view w) {
    struct DsClass {
        std::string_view name;
        uint8_t dscp;
    };
    static constexpr DsClass kClasses[] = {
        {"CS0", 0x00},  {"CS1", 0x08},  {"CS2", 0x10},  {"CS3", 0x18},  {"CS4", 0x20},  {"CS5", 0x28},
        {"CS6", 0x30},  {"CS7", 0x38},  {"BE", 0x00},   {"AF11", 0x0a}, {"AF12", 0x0c}, {"AF13", 0x0e},
        {"AF21", 0x12}, {"AF22", 0x14}, {"AF23", 0x16}, {"AF31", 0x1a}, {"AF32", 0x1c}, {"AF33", 0x1e},
        {"AF41", 0x22}, {"AF42", 0x24}, {"AF43", 0x26}, {"EF", 0x2e},
    };
    for (const auto& c : kClasses)
        if (iequal_prefix(w, c.name)) return c.dscp;  // strncasecmp(name, class, strlen(class))
    return problem("Invalid DSCP value " + backquoted(w), w);
}

ws::Result<IptTosMatch> parse_tos(std::string_view w) {
    IptTosMatch m;
    if (auto n = strtoumax_like(w); n && n->value <= 255) {
        m.value = uint8_t(n->value);
        m.mask = 0xff;
        size_t end = n->end;
        if (end < w.size() && w[end] == '/') {
            auto k = strtoumax_like(w.substr(end + 1));
            if (!k || k->value > 255) return problem("Illegal value: " + quoted(w), w);
            m.mask = uint8_t(k->value);
            end += 1 + k->end;
        }
        if (end != w.size()) return problem("Illegal value: " + quoted(w), w);
        return m;
    }
    struct TosName {
        std::string_view name;
        uint8_t value;
    };
    static constexpr TosName kNames[] = {{"Minimize-Delay", 0x10}, {"Maximize-Throughput", 0x08},
                                         {"Maximize-Reliability", 0x04}, {"Minimize-Cost", 0x02},
                                         {"Normal-Service", 0x00}};
    m.mask = 0x3f;
    for (const auto& n : kNames)
        if (n.name.size() == w.size() && iequal_prefix(n.name, w)) {
            m.value = n.value;
            return m;
        }
    return problem("Symbolic name " + quoted(w) + " is unknown", w);
}

namespace {

struct RejectName {
    std::string_view name, alias;
    IptReject with;
};
constexpr RejectName kReject4[] = {
    {"icmp-net-unreachable", "net-unreach", IptReject::kNetUnreachable},
    {"icmp-host-unreachable", "host-unreach", IptReject::kHostUnreachable},
    {"icmp-proto-unreachable", "proto-unreach", IptReject::kProtoUnreachable},
    {"icmp-port-unreachable", "port-unreach", IptReject::kPortUnreachable},
    {"icmp-net-prohibited", "net-prohib", IptReject::kNetProhibited},
    {"icmp-host-prohibited", "host-prohib", IptReject::kHostProhibited},
    {"tcp-reset", "tcp-rst", IptReject::kTcpReset},
    {"icmp-admin-prohibited", "admin-prohib", IptReject::kAdminProhibited},
};
constexpr RejectName kReject6[] = {
    {"icmp6-no-route", "no-route", IptReject::kIcmp6NoRoute},
    {"icmp6-adm-prohibited", "adm-prohibited", IptReject::kIcmp6AdmProhibited},
    {"icmp6-addr-unreachable", "addr-unreach", IptReject::kIcmp6AddrUnreachable},
    {"icmp6-port-unreachable", "port-unreach", IptReject::kIcmp6PortUnreachable},
    {"tcp-reset", "tcp-reset", IptReject::kTcpReset6},
    {"icmp6-policy-fail", "policy-fail", IptReject::kIcmp6PolicyFail},
    {"icmp6-reject-route", "reject-route", IptReject::kIcmp6RejectRoute},
};

}  // namespace

ws::Result<IptReject> parse_reject(std::string_view w, ws::Family f) {
    const std::span<const RejectName> table =
        f == ws::Family::kInet6 ? std::span<const RejectName>(kReject6) : std::span<const RejectName>(kReject4);
    for (const auto& r : table)
        if (iequal_prefix(r.name, w) || iequal_prefix(r.alias, w)) return r.with;
    return problem("unknown reject type " + quoted(w), w);
}

std::string_view reject_name(IptReject r) {
    for (const auto& n : kReject4)
        if (n.with == r) return n.name;
    for (const auto& n : kReject6)
        if (n.with == r) return n.name;
    return "";
}

IptReject default_reject(ws::Family f) {
    return f == ws::Family::kInet6 ? IptReject::kIcmp6PortUnreachable : IptReject::kPortUnreachable;
}

// ---------------------------------------------------------------------------------------------
// -m string patterns

ws::Result<std::string> parse_string_pattern(std::string_view w) {
    if (w.size() > kStringMax) return problem("STRING too long " + quoted(w), w);
    return std::string(w);
}

// parse_hex_string(), step for step (including that a byte after a closing '|' is copied in the
// same round).
ws::Result<std::string> parse_hex_pattern(std::string_view s) {
    const size_t slen = s.size();
    if (slen == 0) return problem("STRING must contain at least one char", s);
    std::string out;
    size_t i = 0;
    bool hex = false, literal = false;
    auto at = [&](size_t k) { return k < slen ? s[k] : '\0'; };
    while (i < slen) {
        if (out.size() >= kStringMax) return problem("STRING too long " + quoted(s), s);
        if (s[i] == '\\' && !hex) {
            literal = true;
        } else if (s[i] == '\\') {
            return problem("Cannot include literals in hex data", s);
        } else if (s[i] == '|') {
            if (hex) {
                hex = false;
            } else {
                hex = true;
                while (at(i + 1) == ' ') ++i;  // blanks just after the '|'
            }
            if (i + 1 >= slen) break;
            ++i;
        }
        if (literal) {
            if (i + 1 >= slen) return problem("Bad literal placement at end of string", s);
            out += s[i + 1];
            i += 2;
            literal = false;
        } else if (hex) {
            if (i + 1 >= slen) return problem("Odd number of hex digits", s);
            if (i + 2 >= slen) return problem("Invalid hex block", s);
            if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return problem(std::string("Invalid hex char '") + s[i] + "'", s);
            if (!std::isxdigit(static_cast<unsigned char>(s[i + 1])))
                return problem(std::string("Invalid hex char '") + s[i + 1] + "'", s);
            out += char(digit_value(s[i]) * 16 + digit_value(s[i + 1]));
            i += at(i + 2) == ' ' ? 3 : 2;
        } else {
            out += s[i];
            ++i;
        }
    }
    if (out.size() > kStringMax) return problem("STRING too long " + quoted(s), s);
    return out;
}

std::pair<std::string, bool> string_pattern_text(std::string_view p) {
    bool hex = !p.empty() && p.back() == '\\';
    for (char c : p)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) hex = true;
    std::string out = "\"";
    if (hex) {
        static constexpr char kDigits[] = "0123456789abcdef";
        out += '|';
        for (char c : p) {
            const auto b = static_cast<unsigned char>(c);
            out += kDigits[b >> 4];
            out += kDigits[b & 15];
        }
        out += '|';
    } else {
        for (char c : p) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
    }
    out += '"';
    return {out, hex};
}

}  // namespace ctl::ipt_words
