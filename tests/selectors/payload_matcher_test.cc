// selectors/payload_matcher — iptables -m string: the --hex-string grammar and compile()'s
// errors first, then the window and --icase semantics measured on the kernel, then the
// Hyperscan scan against naive_match() on random packets and pattern sets.
#include "selectors/payload_matcher.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using sel::PayloadMatcher;
using sel::PayloadPattern;
using sel::PayloadScratch;
using Bytes = std::vector<uint8_t>;

PayloadPattern pat(std::string bytes, uint16_t from = 0, uint16_t to = sel::kDefaultTo, bool icase = false,
                   uint32_t id = 0) {
    return PayloadPattern{std::move(bytes), from, to, icase, id};
}

// An IPv4/UDP packet 10.99.0.1:4000 -> 10.99.0.2:9999 (checksums zero) with `payload` at
// offset 28, as the kernel tests sent them.
Bytes ipv4_udp(const std::string& payload) {
    static const uint8_t hdr[28] = {0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2,
                                    0x0f, 0xa0, 0x27, 0x0f, 0, 0, 0, 0};
    Bytes p(sizeof hdr + payload.size());
    std::memcpy(p.data(), hdr, sizeof hdr);
    std::memcpy(p.data() + sizeof hdr, payload.data(), payload.size());
    p[2] = uint8_t(p.size() >> 8), p[3] = uint8_t(p.size());
    p[24] = uint8_t((p.size() - 20) >> 8), p[25] = uint8_t(p.size() - 20);
    return p;
}

// IPv6/UDP fd99::1 -> fd99::2 port 9999, payload at offset 48.
Bytes ipv6_udp(const std::string& payload) {
    static const uint8_t hdr[48] = {0x60, 0, 0, 0, 0, 0, 17, 64,
                                    0xfd, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,   // source
                                    0xfd, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,   // destination
                                    0x0f, 0xa0, 0x27, 0x0f, 0, 0, 0, 0};                  // UDP
    Bytes p(sizeof hdr + payload.size());
    std::memcpy(p.data(), hdr, sizeof hdr);
    std::memcpy(p.data() + sizeof hdr, payload.data(), payload.size());
    p[4] = uint8_t((p.size() - 40) >> 8), p[5] = uint8_t(p.size() - 40);
    return p;
}

std::string hex(const std::string& h) {  // "|..|" through the grammar under test
    auto r = sel::parse_hex_string(h);
    EXPECT_TRUE(r.ok()) << h;
    return r.ok() ? *r : std::string();
}

// One pattern, one packet: the Hyperscan result, checked against naive_match() on the way.
bool matches(const PayloadPattern& p, const Bytes& pkt) {
    auto m = PayloadMatcher::compile(std::span(&p, 1));
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    if (!m.ok()) return false;
    auto scratch = m->make_scratch();
    EXPECT_TRUE(scratch.ok());
    uint64_t bits[1] = {~uint64_t(0)};
    EXPECT_TRUE(m->scan(pkt, *scratch, bits));
    const bool hs = bits[0] & 1;
    EXPECT_EQ(hs, sel::naive_match(p, pkt)) << "Hyperscan and naive_match disagree";
    return hs;
}

// --- the --hex-string grammar: errors, with iptables 1.8.9's texts (checked against the real
// binary: `iptables -A INPUT -m string --hex-string X --algo bm` in a namespace) ---

TEST(HexString, Errors) {
    const std::string a127(127, 'a'), a128(128, 'a'), a129(129, 'a');
    struct Case {
        std::string in, message;
    } cases[] = {
        {"", "STRING must contain at least one char"},
        {"|41", "Invalid hex block"},  // no closing '|'
        {"|4142", "Invalid hex block"},
        {"|414", "Odd number of hex digits"},
        {"||", "Odd number of hex digits"},
        {"|||", "Invalid hex block"},
        {"|4g|", "Invalid hex char 'g'"},
        {"|g4|", "Invalid hex char 'g'"},
        {"|41  42|", "Invalid hex char ' '"},  // one blank after a pair, not two
        {"|4\xe9|", "Invalid hex char '\xe9'"},
        {"a\\", "Bad literal placement at end of string"},
        {"|41\\|", "Cannot include literals in hex data"},
        {a129, "STRING too long \"" + a129 + "\""},
        // The length check runs before each character, so a closing '|' after 128 bytes fails.
        {a127 + "|41|", "STRING too long \"" + a127 + "|41|\""},
        {a128 + "|41|", "STRING too long \"" + a128 + "|41|\""},
        {a128 + "|", "STRING too long \"" + a128 + "|\""},
    };
    for (const Case& c : cases) {
        auto r = sel::parse_hex_string(c.in);
        ASSERT_FALSE(r.ok()) << "accepted: " << c.in;
        EXPECT_EQ(r.error().message, c.message) << c.in;
        EXPECT_EQ(r.error().code, ws::Errc::kInvalid);
    }
}

TEST(HexString, Valid) {
    const std::string a128(128, 'a');
    struct Case {
        std::string in, out;
    } cases[] = {
        {"GET |20|/", "GET  /"},
        {"|41|", "A"},
        {"|41 42|", "AB"},
        {"| 41|", "A"},     // blanks after the opening '|'
        {"|41 |", "A"},     // one blank after a pair
        {"a|41 42 |b", "aABb"},
        {"abc|", "abc"},    // an unclosed final '|' is allowed
        {"|", ""},          // parses; compile() rejects the empty pattern, as the kernel does
        {"| ", ""},
        {"a\\|", "a|"},
        {"\\|41|", "|41"},  // the escaped '|' opens no block; the final '|' opens one at the end
        {"|41|\\", "A\\"},  // the character after a closing '|' is taken as it is
        {"|41||42|", "A|42"},
        {"|41 |42|", "A42"},
        {"a\"b", "a\"b"},
        {"|00 00 01|", std::string("\0\0\1", 3)},
        {"|Ff|", "\xff"},
        {a128, a128},
        {"\xe9", "\xe9"},
    };
    for (const Case& c : cases) {
        auto r = sel::parse_hex_string(c.in);
        ASSERT_TRUE(r.ok()) << c.in << ": " << r.error().message;
        EXPECT_EQ(*r, c.out) << c.in;
    }
}

TEST(HexString, FormatRoundTrips) {
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::string b(1 + rng() % sel::kMaxPatternBytes, '\0');
        for (char& c : b) c = char(rng());
        auto r = sel::parse_hex_string(sel::format_hex_string(b));
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(*r, b);
    }
    EXPECT_EQ(sel::format_hex_string("A\n"), "|410a|");
    std::string pairs;  // 128 bytes: a closing '|' would be refused ("STRING too long")
    for (int i = 0; i < 128; ++i) pairs += "01";
    EXPECT_EQ(sel::format_hex_string(std::string(128, '\1')), "|" + pairs + " ");
    EXPECT_FALSE(sel::parse_hex_string("|" + pairs + "|").ok());
    EXPECT_FALSE(sel::needs_hex_string("GET /index.html"));
    EXPECT_TRUE(sel::needs_hex_string("a\\"));  // iptables-save prints "|615c|"
    EXPECT_TRUE(sel::needs_hex_string(std::string("a\0", 2)));
    EXPECT_TRUE(sel::needs_hex_string("\x7f"));
}

// --- compile(): invalid input ---

TEST(PayloadMatcherCompile, Errors) {
    auto err = [](PayloadPattern p) {
        auto m = PayloadMatcher::compile(std::span(&p, 1));
        EXPECT_FALSE(m.ok()) << "accepted";
        return m.ok() ? std::string() : m.error().message;
    };
    EXPECT_NE(err(pat("")).find("empty pattern"), std::string::npos);
    EXPECT_EQ(err(pat(std::string(129, 'x'))), "STRING too long \"" + std::string(129, 'x') + "\"");
    EXPECT_NE(err(pat("x", 10, 5)).find("--from 10 is greater than --to 5"), std::string::npos);
    EXPECT_NE(err(pat("x", 0, 100, false, sel::kMaxPatternId)).find("pattern id"), std::string::npos);

    // One bad pattern fails the whole set.
    std::vector<PayloadPattern> set = {pat("ok", 0, 100, false, 0), pat("", 0, 100, false, 1)};
    EXPECT_FALSE(PayloadMatcher::compile(set).ok());

    // Accepted: 128 bytes, from == to (never matches), a window shorter than the pattern.
    std::vector<PayloadPattern> fine = {pat(std::string(128, 'x')), pat("x", 5, 5, false, 1), pat("abc", 0, 2, false, 2)};
    auto m = PayloadMatcher::compile(fine);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->pattern_count(), 3u);
    EXPECT_EQ(m->never_matching(), 2u);
}

TEST(PayloadMatcherCompile, EmptySetCostsNothing) {
    auto m = PayloadMatcher::compile({});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->bitmap_words(), 0u);
    auto s = m->make_scratch();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->size_bytes(), 0u);
    const Bytes pkt = ipv4_udp("anything");
    EXPECT_TRUE(m->scan(pkt, *s, nullptr));
    PayloadMatcher none;  // default-constructed: the same
    EXPECT_TRUE(none.scan(pkt, *s, nullptr));
}

// --- the window and --icase semantics measured on Linux 6.18: each case was one rule
// (`iptables -A INPUT -p udp --dport 9999 -m string ...`, bm and kmp alike) and one UDP packet
// over a veth pair between two namespaces, the rule's packet counter read back ---

TEST(KernelWindow, OffsetsStartAtTheIpHeaderAndBoundTheWholeMatch) {
    const std::string P = "foo bar baz";  // 11 bytes
    const Bytes pkt = ipv4_udp(std::string(100, '.') + P + std::string(100, '.'));  // P at [128, 139)
    EXPECT_TRUE(matches(pat(P, 128, 139), pkt));    // starts at from, ends at to
    EXPECT_FALSE(matches(pat(P, 129, 149), pkt));   // starts one byte before from
    EXPECT_FALSE(matches(pat(P, 128, 138), pkt));   // ends one byte after to: straddles to
    EXPECT_FALSE(matches(pat(P, 128, 129), pkt));   // only its first byte before to
    EXPECT_FALSE(matches(pat(P, 128, 128), pkt));   // from == to
    EXPECT_TRUE(matches(pat(P), pkt));              // default window [0, 65535)

    // Offset 0 is the first byte of the IP header, and headers are searched.
    EXPECT_TRUE(matches(pat(hex("|0a 63 00 02|"), 16, 20), pkt));   // IPv4 destination
    EXPECT_FALSE(matches(pat(hex("|0a 63 00 02|"), 17, 40), pkt));
    EXPECT_FALSE(matches(pat(hex("|0a 63 00 02|"), 0, 19), pkt));
    EXPECT_TRUE(matches(pat(hex("|45|"), 0, 1), ipv4_udp("zz")));    // version/IHL
    EXPECT_TRUE(matches(pat(hex("|27 0f|"), 22, 24), ipv4_udp("zz")));  // UDP dport 9999

    const std::string d6 = hex("|fd 99 00 00 00 00 00 00 00 00 00 00 00 00 00 02|");
    const Bytes pkt6 = ipv6_udp(std::string(100, '.') + P + std::string(100, '.'));  // P at [148, 159)
    EXPECT_TRUE(matches(pat(d6, 24, 40), pkt6));    // IPv6 destination
    EXPECT_FALSE(matches(pat(d6, 24, 39), pkt6));
    EXPECT_TRUE(matches(pat(P, 148, 159), pkt6));
    EXPECT_FALSE(matches(pat(P, 148, 158), pkt6));
}

TEST(KernelWindow, AnyOccurrenceInsideTheWindowCounts) {
    const std::string P = "foo bar baz";
    const Bytes two = ipv4_udp(P + std::string(50, '.') + P);  // at [28, 39) and [89, 100)
    EXPECT_TRUE(matches(pat(P, 89, 100), two));   // the second occurrence
    EXPECT_TRUE(matches(pat(P, 28, 39), two));    // the first; the second lies past to
    EXPECT_TRUE(matches(pat("aaa", 29, 32), ipv4_udp("aaaa")));       // overlapping occurrences
    EXPECT_TRUE(matches(pat(P, 28), ipv4_udp(std::string(10, 'x') + P)));  // to past the packet's end
    EXPECT_TRUE(matches(pat(hex("|00 00 01|"), 28), ipv4_udp(std::string("ab\0\0\1cd", 7))));
}

TEST(KernelWindow, IcaseFoldsLatin1AsTheKernelsCtype) {
    EXPECT_TRUE(matches(pat("FoO BaR", 0, sel::kDefaultTo, true), ipv4_udp("xxfoo barxx")));
    EXPECT_FALSE(matches(pat("FoO BaR"), ipv4_udp("xxfoo barxx")));
    // (pattern byte, text byte, counted by the kmp rule), the pattern's byte first, in the
    // middle and last of a 3-byte pattern ("kk" around it). bm agreed except where noted.
    struct Case {
        uint8_t pat, text;
        bool kernel;
    } cases[] = {
        {0xe0, 0xc0, true}, {0xc0, 0xe0, true}, {0xe9, 0xc9, true}, {0xfe, 0xde, true},
        {0xf7, 0xd7, false},  // ÷ and × are no letters
        {0xff, 0xdf, false}, {0xdf, 0xff, false},  // ÿ folds onto 0xdf, ß onto 0xbf
        {0xdf, 0xbf, true},
        {0xbf, 0xdf, true},   // bm missed it with the byte first: its bad-character table
        {0xff, 0xff, true},   // bm missed these first too (tolower(toupper(c)) != c)
        {0xdf, 0xdf, true},
        {0x5b, 0x7b, false},  // [ and { are not letters
        {0xb5, 0x9c, false},
    };
    for (const Case& c : cases) {
        for (int where = 0; where < 3; ++where) {
            const std::string pre(size_t(where), 'k'), post(size_t(2 - where), 'k');
            const PayloadPattern p = pat(pre + char(c.pat) + post, 0, sel::kDefaultTo, true);
            EXPECT_EQ(matches(p, ipv4_udp("qqqq" + pre + char(c.text) + post + "qqqq")), c.kernel)
                << std::hex << "pattern byte 0x" << int(c.pat) << " text byte 0x" << int(c.text) << " at " << where;
        }
    }
    for (int c = 0; c < 256; ++c) {  // the fold is the ISO 8859-1 one
        const bool lower = (c >= 'a' && c <= 'z') || (c >= 0xdf && c != 0xf7);
        EXPECT_EQ(sel::xt_toupper(uint8_t(c)), lower ? c - 0x20 : c) << c;
    }
}

// --- scratch handling ---

TEST(PayloadScratch, OnePerWorkerAndOneForSeveralMatchers) {
    std::vector<PayloadPattern> a = {pat("alpha", 0, sel::kDefaultTo, false, 3)};
    std::vector<PayloadPattern> b;
    for (uint32_t i = 0; i < 200; ++i) b.push_back(pat("pattern-" + std::to_string(i * 7919), 28, 1000, i % 3 == 0, i));
    auto ma = PayloadMatcher::compile(a);
    auto mb = PayloadMatcher::compile(b);
    ASSERT_TRUE(ma.ok() && mb.ok());
    const Bytes pkt = ipv4_udp("..alpha..PATTERN-15838..");  // i = 2: not icase; i = 0, 3, ... icase

    PayloadScratch none;
    uint64_t bits[4];
    EXPECT_FALSE(ma->scan(pkt, none, bits));  // a scratch made for nothing
    EXPECT_EQ(bits[0], 0u);

    auto s1 = ma->make_scratch();
    ASSERT_TRUE(s1.ok());
    ASSERT_TRUE(ma->scan(pkt, *s1, bits));
    EXPECT_EQ(bits[0], uint64_t(1) << 3);
    ASSERT_TRUE(s1->reserve(*mb).ok());  // now for both
    ASSERT_TRUE(mb->scan(pkt, *s1, bits));
    EXPECT_EQ(bits[0] & 7u, 0u);          // pattern-15838 is id 2, case-sensitive: no
    ASSERT_TRUE(ma->scan(pkt, *s1, bits));
    EXPECT_EQ(bits[0], uint64_t(1) << 3);

    auto s2 = s1->clone();  // another worker
    ASSERT_TRUE(s2.ok());
    const Bytes pkt2 = ipv4_udp("..pattern-15838..PATTERN-0..");
    ASSERT_TRUE(mb->scan(pkt2, *s2, bits));
    EXPECT_EQ(bits[0] & 7u, 5u);  // id 2 exact, id 0 icase
    EXPECT_EQ(mb->bitmap_words(), 4u);
    EXPECT_NE(mb->describe().find("200 patterns"), std::string::npos);
}

TEST(PayloadMatcherScan, ClearsTheBitmapAndSharesIds) {
    std::vector<PayloadPattern> set = {pat("abc", 0, 40, false, 130), pat("xyz", 0, sel::kDefaultTo, false, 130),
                                       pat("abc", 40, 100, false, 1)};
    auto m = PayloadMatcher::compile(set);
    ASSERT_TRUE(m.ok());
    ASSERT_EQ(m->bitmap_words(), 3u);
    auto s = m->make_scratch();
    uint64_t bits[3] = {~uint64_t(0), ~uint64_t(0), ~uint64_t(0)};
    ASSERT_TRUE(m->scan(ipv4_udp(std::string(20, '.') + "abc"), *s, bits));  // abc at [48, 51)
    EXPECT_EQ(bits[0], uint64_t(1) << 1);
    EXPECT_EQ(bits[1], 0u);
    EXPECT_EQ(bits[2], 0u);
    ASSERT_TRUE(m->scan(ipv4_udp("xyz"), *s, bits));  // the other pattern of id 130
    EXPECT_EQ(bits[0], 0u);
    EXPECT_EQ(bits[2], uint64_t(1) << 2);
}

// --- differential: one Hyperscan scan against naive_match() per pattern ---

// Bytes that make collisions, case pairs (ASCII and the kernel's Latin-1 ones) and NULs common.
const uint8_t kAlphabet[] = {'a', 'A', 'b', 'B', 'z', '|', 0x00, 0x01, 0xe0, 0xc0, 0xdf, 0xbf, 0xff, 0xf7, 0xd7, 0x80};

struct Differ {
    std::mt19937_64 rng;
    explicit Differ(uint64_t seed) : rng(seed) {}
    size_t below(size_t n) { return n ? size_t(rng() % n) : 0; }
    uint8_t byte(size_t alphabet) { return alphabet ? kAlphabet[below(alphabet)] : uint8_t(rng()); }

    Bytes packet(size_t len, size_t alphabet) {
        Bytes p(len);
        for (auto& c : p) c = byte(alphabet);
        return p;
    }

    // Patterns taken from the packets themselves (so they occur), or random; windows put
    // around an occurrence +-1 (straddling from/to), random, or the default; the same bytes
    // again under another window and id; every fourth --icase.
    std::vector<PayloadPattern> patterns(const std::vector<Bytes>& pkts, size_t n, size_t alphabet) {
        std::vector<PayloadPattern> v;
        for (size_t i = 0; i < n; ++i) {
            PayloadPattern p;
            p.id = uint32_t(i);
            p.icase = below(4) == 0;
            const size_t len = 1 + below(below(3) == 0 ? sel::kMaxPatternBytes : 8);
            const Bytes& src = pkts[below(pkts.size())];
            size_t at = 0;
            if (below(3) != 0 && src.size() >= len) {
                at = below(src.size() - len + 1);
                p.bytes.assign(src.begin() + long(at), src.begin() + long(at + len));
                if (p.icase && below(2))
                    for (char& c : p.bytes) c = char(below(2) ? sel::xt_toupper(uint8_t(c)) : uint8_t(c));
            } else {
                for (size_t k = 0; k < len; ++k) p.bytes += char(byte(alphabet));
                at = below(src.size() + 1);
            }
            switch (below(4)) {
                case 0: break;  // the default window
                case 1: {       // around the occurrence, off by -1, 0 or +1 at each end
                    const long f = long(at) + long(below(3)) - 1, t = long(at + len) + long(below(3)) - 1;
                    p.from = uint16_t(std::max(0L, f));
                    p.to = uint16_t(std::max(long(p.from), t));
                    break;
                }
                case 2:
                    p.from = uint16_t(below(src.size() + 2));
                    p.to = uint16_t(p.from + below(src.size() + 2));
                    break;
                default:
                    p.to = uint16_t(below(src.size() + 2));
            }
            v.push_back(p);
            if (below(5) == 0 && i + 1 < n) {  // the same pattern twice, another window
                PayloadPattern q = p;
                q.id = uint32_t(++i);
                q.from = uint16_t(below(src.size() + 1));
                q.to = uint16_t(q.from + below(src.size() + 2));
                v.push_back(q);
            }
        }
        return v;
    }
};

void differential(uint64_t seed, int sets, size_t patterns_per_set, int packets_per_set, size_t max_len,
                  PayloadMatcher::WindowCheck check = PayloadMatcher::WindowCheck::kCallback) {
    Differ d(seed);
    size_t checked = 0, hits = 0;
    for (int set = 0; set < sets; ++set) {
        const size_t alphabet = d.below(3) == 0 ? 0 : 2 + d.below(std::size(kAlphabet) - 1);  // 0: all bytes
        std::vector<Bytes> pkts;
        for (int k = 0; k < packets_per_set; ++k) pkts.push_back(d.packet(d.below(max_len + 1), alphabet));
        const auto pats = d.patterns(pkts, 1 + d.below(patterns_per_set), alphabet);
        auto m = PayloadMatcher::compile(pats, check);
        ASSERT_TRUE(m.ok()) << m.error().message;
        auto s = m->make_scratch();
        ASSERT_TRUE(s.ok());
        std::vector<uint64_t> bits(m->bitmap_words());
        for (const Bytes& pkt : pkts) {
            ASSERT_TRUE(m->scan(pkt, *s, bits.data()));
            std::vector<uint64_t> want(bits.size());
            for (const PayloadPattern& p : pats)
                if (sel::naive_match(p, pkt)) want[p.id >> 6] |= uint64_t(1) << (p.id & 63);
            for (size_t w = 0; w < bits.size(); ++w) {
                if (bits[w] != want[w]) {
                    for (unsigned b = 0; b < 64; ++b)
                        if (((bits[w] ^ want[w]) >> b) & 1) {
                            const PayloadPattern& p = pats[w * 64 + b];
                            ADD_FAILURE() << "seed " << seed << " set " << set << " id " << p.id << " window [" << p.from
                                          << ", " << p.to << ") icase " << p.icase << " len " << p.bytes.size()
                                          << " packet " << pkt.size() << " B: hyperscan " << ((bits[w] >> b) & 1);
                        }
                    return;
                }
                hits += size_t(__builtin_popcountll(want[w]));
            }
            checked += pats.size();
        }
    }
    // The generator must exercise both outcomes.
    EXPECT_GT(hits, checked / 20);
    EXPECT_LT(hits, checked - checked / 20);
}

// About 20 s on the 2-core VM, most of it compiling 2,600 databases.
TEST(PayloadMatcherDifferential, SmallPacketsManySets) { differential(1, 1500, 12, 20, 96); }
TEST(PayloadMatcherDifferential, FullSizePackets) { differential(2, 150, 40, 20, 1500); }
TEST(PayloadMatcherDifferential, ThousandPatterns) { differential(3, 4, 1000, 200, 1500); }
// The offsets enforced by Hyperscan (hs_expr_ext): slower to compile, so fewer sets.
TEST(PayloadMatcherDifferential, HyperscanBoundsSmall) {
    differential(4, 300, 12, 20, 96, PayloadMatcher::WindowCheck::kHyperscanBounds);
}
TEST(PayloadMatcherDifferential, HyperscanBoundsFullSize) {
    differential(5, 25, 40, 20, 1500, PayloadMatcher::WindowCheck::kHyperscanBounds);
}

}  // namespace
