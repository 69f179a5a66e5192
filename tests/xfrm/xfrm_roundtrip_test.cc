// STYLE 18: parse(format(x)) == x for SAs and policies, on many seeded random `ip xfrm` lines
// (format_state_args / format_policy_args -> parse_state / parse_policy), and a whole SAD and
// SPD re-created from their printed form.
#include <random>

#include "xfrm_test_util.h"

namespace {

// Seeded choices for the generators: uniform draws from one mt19937.
struct Gen {
    explicit Gen(uint32_t seed) : rng(seed) {}
    uint32_t range(uint32_t lo, uint32_t hi) { return std::uniform_int_distribution<uint32_t>(lo, hi)(rng); }
    uint32_t u32() { return range(0, ~0u); }
    uint32_t below(uint32_t n) { return n ? range(0, n - 1) : 0; }
    bool coin(unsigned one_in = 2) { return below(one_in) == 0; }
    template <class T>
    const T& pick(const std::vector<T>& v) { return v[below(uint32_t(v.size()))]; }
    std::string hex(size_t bytes) {
        static constexpr char kDigits[] = "0123456789abcdef";
        std::string out = "0x";
        for (size_t i = 0; i < bytes * 2; ++i) out += kDigits[below(16)];
        return out;
    }
    ws::Family family() { return coin() ? ws::Family::kInet : ws::Family::kInet6; }
    std::string addr(ws::Family f) {
        ws::InetAddr a = ws::InetAddr::zero(f);
        for (unsigned i = 0; i < a.bytes(); ++i) a.b[i] = uint8_t(coin(3) ? u32() : 0);
        return a.format();
    }
    std::string prefix(ws::Family f) { return addr(f) + "/" + std::to_string(range(0, f == ws::Family::kInet ? 32 : 128)); }

    std::mt19937 rng;
};

// " sel ..." / a policy SELECTOR: prefixes of family f (or none) and an UPSPEC.
std::string random_selector(Gen& g, ws::Family f, bool addresses) {
    std::string out;
    if (addresses) {
        if (g.coin(4)) out += " src " + g.prefix(f);
        else if (g.coin(3)) out += " dst " + g.prefix(f);
        else out += " src " + g.prefix(f) + " dst " + g.prefix(f);
    }
    switch (g.below(5)) {
        case 0: break;
        case 1: out += std::string(" proto ") + (g.coin() ? "tcp" : "udp") + (g.coin() ? " sport " + std::to_string(g.range(0, 65535)) : "") +
                       (g.coin() ? " dport " + std::to_string(g.range(1, 65535)) : "");
            break;
        case 2: out += std::string(" proto ") + (f == ws::Family::kInet6 ? "ipv6-icmp" : "icmp") +
                       (g.coin() ? " type " + std::to_string(g.range(0, 255)) : "") + (g.coin() ? " code " + std::to_string(g.range(0, 255)) : "");
            break;
        case 3: out += " proto " + std::to_string(g.pick(std::vector<uint32_t>{47, 50, 132, 4, 200})); break;
        default: out += " dport " + std::to_string(g.range(1, 65535)); break;  // proto 0 with a port
    }
    return out;
}

std::string random_mark(Gen& g) {
    switch (g.below(4)) {
        case 0: return " mark " + std::to_string(g.u32());
        case 1: return " mark 0x" + std::to_string(g.below(100)) + " mask " + std::to_string(g.u32());
        case 2: return " mark " + std::to_string(g.below(16)) + "/0xf";
        default: return "";
    }
}

std::string random_algorithm(Gen& g) {
    switch (g.below(5)) {
        case 0: return " aead 'rfc4106(gcm(aes))' " + g.hex(20) + " " + g.pick(std::vector<std::string>{"64", "96", "128"});
        case 1: return " aead 'rfc4106(gcm(aes))' " + g.hex(36) + " 128";
        case 2: return " aead 'rfc7539esp(chacha20,poly1305)' " + g.hex(36) + " 128" + (g.coin() ? " engine sodium" : "");
        case 3: return " enc 'cbc(aes)' " + g.hex(g.coin() ? 16 : 32) + " auth-trunc 'hmac(sha256)' " + g.hex(32) + " 128";
        default: return " enc 'cbc(aes)' " + g.hex(g.coin() ? 16 : 32) + (g.coin() ? " auth-trunc 'hmac(sha1)' " + g.hex(20) + " 96" : " auth 'hmac(sha1)' " + g.hex(20));
    }
}

std::string random_flags(Gen& g, uint32_t window) {
    std::string out;
    if (g.coin(3)) {
        out += " flag";
        for (const auto& n : ctl::kStateFlagNames)
            if ((n.name != "esn" || window) && g.coin(3)) out += " " + std::string(n.name);
        out += " noecn";
    }
    if (g.coin(4)) out += g.coin() ? " extra-flag oseq-may-wrap dont-encap-dscp" : " extra-flag 0x" + std::to_string(g.range(1, 99));
    return out;
}

std::string random_state_args(Gen& g, uint32_t spi) {
    const ws::Family f = g.family();
    std::string out = (g.coin(6) ? "" : "src " + g.addr(f) + " ") + "dst " + g.addr(f) + " proto esp spi " + std::to_string(spi);
    if (g.coin()) out += " reqid " + std::to_string(g.u32());
    if (g.coin()) out += std::string(" mode ") + (g.coin() ? "tunnel" : "transport");
    const uint32_t window = g.coin() ? 0 : g.pick(std::vector<uint32_t>{1, 32, 33, 64, 1000, 4096});
    if (window || g.coin()) out += " replay-window " + std::to_string(window);
    out += random_flags(g, window) + random_mark(g) + random_algorithm(g);
    if (g.coin(3)) out += " if_id " + std::to_string(g.u32());
    if (g.coin(3)) out += " encap espinudp " + std::to_string(g.range(0, 65535)) + " " + std::to_string(g.range(0, 65535)) + " " + g.addr(g.family());
    for (const char* l : {"byte-soft", "byte-hard", "packet-soft", "packet-hard"})
        if (g.coin(4)) out += std::string(" limit ") + l + " " + std::to_string(uint64_t(g.u32()) << g.below(32));
    if (g.coin(3)) out += " sel" + random_selector(g, f, true);
    else if (g.coin(4)) {
        const std::string sel = random_selector(g, f, g.coin());
        out += " flag af-unspec sel" + (sel.empty() ? " proto tcp" : sel);
    }
    return out;
}

std::string random_tmpls(Gen& g, ws::Family family, bool out_dir) {
    std::string out;
    ws::Family prev = family;
    for (uint32_t n = g.below(4); n; --n) {
        out += " tmpl";
        // The ID words come together (ip ends a template's ID at the first other word).
        const std::string spi = g.coin() ? " spi " + std::to_string(g.u32()) : "";
        const bool tunnel = g.coin();
        if (tunnel) {  // tunnel: endpoints of either family
            const ws::Family f = g.family();
            out += (g.coin(4) ? "" : " src " + g.addr(f)) + " dst " + g.addr(f) + " proto esp" + spi + " mode tunnel";
            prev = f;
        } else {  // transport: the family stays
            out += (g.coin() ? " src " + g.addr(prev) + " dst " + g.addr(prev) : "") + " proto esp" + spi + (g.coin() ? " mode transport" : "");
        }
        if (g.coin()) out += " reqid " + std::to_string(g.u32());
        // The kernel refuses an optional tunnel template in an outbound policy.
        if (g.coin(3)) out += std::string(" level ") + (g.coin() && !(tunnel && out_dir) ? "use" : "required");
    }
    return out;
}

// A policy with a selector unique by its index, so that a whole SPD applies without collisions.
std::string random_policy_args(Gen& g, uint32_t index, ws::Family* family) {
    const ws::Family f = g.family();
    *family = f;
    const std::string unique = f == ws::Family::kInet ? "10." + std::to_string(index / 256) + "." + std::to_string(index % 256) + ".0/24"
                                                      : "fd00:" + std::to_string(index) + "::/64";
    std::string out = "src " + unique + (g.coin() ? " dst " + g.prefix(f) : "") + random_selector(g, f, false);
    const std::string dir = g.pick(std::vector<std::string>{"in", "out", "fwd"});
    out += " dir " + dir;
    if (g.coin(3)) out += " action " + std::string(g.coin() ? "block" : "allow");
    if (g.coin()) out += " priority " + std::to_string(g.coin() ? g.below(5) : g.u32());
    if (g.coin(4)) out += g.coin() ? " flag localok icmp" : " flag 0x" + std::to_string(g.range(1, 99));
    if (g.coin(3)) out += " if_id " + std::to_string(g.u32());
    return out + random_mark(g) + random_tmpls(g, f, dir == "out");
}

TEST(XfrmRoundTrip, States) {
    Gen g(20240611);
    for (uint32_t i = 0; i < 600; ++i) {
        const std::string args = random_state_args(g, i + 1);
        const ctl::XfrmState x = xt::parse_state_line(args);
        const std::string text = ctl::format_state_args(x);
        const ctl::XfrmState y = xt::parse_state_line(text);
        ASSERT_TRUE(xt::same_state(x, y)) << args << "\n" << text;
        ASSERT_EQ(ctl::format_state_args(y), text);
        ASSERT_EQ(ctl::format_state_show(x, ctl::KeyText::kShown), ctl::format_state_show(y, ctl::KeyText::kShown));
    }
}

TEST(XfrmRoundTrip, Policies) {
    Gen g(7);
    for (uint32_t i = 0; i < 1500; ++i) {
        ws::Family f;
        const std::string args = random_policy_args(g, i, &f);
        const ctl::XfrmPolicy x = xt::parse_policy_line(args);
        const std::string text = ctl::format_policy_args(x);
        const ctl::XfrmPolicy y = xt::parse_policy_line(text);
        ASSERT_TRUE(xt::same_policy(x, y)) << args << "\n" << text;
        ASSERT_EQ(ctl::format_policy_args(y), text);
        ASSERT_EQ(ctl::format_policy_show(x), ctl::format_policy_show(y));
    }
}

// A whole SAD and SPD written out as `ip xfrm` lines (oldest first) and read back: the same
// show output, keys included, the same lookup order and defaults.
TEST(XfrmRoundTrip, WholeDatabases) {
    Gen g(99);
    ctl::Model a;
    std::string script;
    for (uint32_t i = 0; i < 300; ++i) {
        ws::Family f;
        script += "ip xfrm state add " + random_state_args(g, 0x1000 + i) + "\n";
        script += "ip xfrm policy add " + random_policy_args(g, i, &f) + "\n";
    }
    script += "ip xfrm policy setdefault fwd block\n";
    xt::must_apply(a, script);
    std::string again = "ip xfrm policy setdefault fwd block\n";
    auto states = a.sad.dump();
    for (auto it = states.rbegin(); it != states.rend(); ++it) again += "ip xfrm state add " + ctl::format_state_args(**it) + "\n";
    auto policies = a.spd.dump();
    for (auto it = policies.rbegin(); it != policies.rend(); ++it) again += "ip xfrm policy add " + ctl::format_policy_args(**it) + "\n";
    ctl::Model b;
    xt::must_apply(b, again);
    for (const char* q : {"ip xfrm state list keys", "ip xfrm policy list", "ip xfrm policy getdefault"})
        EXPECT_EQ(xt::query(a, q), xt::query(b, q)) << q;
    EXPECT_EQ(ctl::describe_spd(a.spd), ctl::describe_spd(b.spd));
}

}  // namespace
