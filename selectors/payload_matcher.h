#pragma once
// PayloadMatcher — iptables' `-m string` (xt_string) for every pattern of a chain at once: all
// patterns compiled into ONE Hyperscan block-mode database, so a packet is scanned once
// whatever the number of patterns (the kernel runs one textsearch per rule).
//
// Needs:   the L3 packet: offset 0 is the first byte of the IPv4 or IPv6 header, as skb->data
//          at the netfilter hooks (headers are searched too); a PayloadScratch made for this
//          matcher (one per worker: make_scratch(), or reserve() one scratch for several).
// Gives:   scan() writes bitmap_words() words: bit `id` is set iff some pattern with that id
//          occurs inside its window. Inversion (`! --string`) and the rule walk are the
//          caller's: a bit is the match result before `!`.
// Window:  measured on Linux 6.18 with real rules and counters (veth between two namespaces,
//          bm and kmp, IPv4 and IPv6; tests/selectors/payload_matcher_test.cc KernelWindow):
//          a pattern of L bytes occurring at offset s matches iff from <= s && s + L <= to,
//          i.e. it must START at or after --from and END at or before --to (skb_find_text()
//          since the 2023 fix "Ignore patterns extending past 'to'"); a pattern straddling
//          either bound does not match; the window is cut at the packet's end; from == to
//          never matches. Defaults from 0, to 65535 (libxt_string's UINT16_MAX). The packet
//          is one contiguous span: the kernel's bm misses matches spanning skb fragments (its
//          selftest xt_string.sh), kmp does not; a segmented mbuf must be linearised first.
// icase:   --icase compares toupper(text) == toupper(pattern) with the kernel's lib/ctype.c,
//          which is ISO 8859-1: a-z and 0xE0-0xFE (not 0xF7) fold onto A-Z and 0xC0-0xDE,
//          0xDF folds onto 0xBF (so 0xBF ~ 0xDF), 0xFF folds onto 0xDF (which matches nothing
//          but 0xFF). kmp gives exactly this; bm's bad-character table misses some
//          occurrences with text bytes 0xDF/0xFF under --icase (measured), which is not copied.
// Errors:  compile(): empty pattern and from > to (the kernel's string_mt_check: "Invalid
//          argument"), patterns over 128 bytes (iptables' "STRING too long"), id too large.
// Config:  iptables -A FORWARD -m string --hex-string "GET |20|/admin" --algo bm
//            --from 40 --to 200 --icase -j DROP
//          → PayloadPattern{*parse_hex_string("GET |20|/admin"), 40, 200, true, id}
// Cost:    build/perf/payload_bench --benchmark_filter=BM_Scan --benchmark_repetitions=5
//          2-core Zen 4 VM (TSC 2.596 GHz, load ~4 from other jobs); random 4-16 byte
//          literals, 70% unbounded, 30% in a window; 1 packet in 8 holds one; TSC cycles per
//          packet, median 32-packet burst; memmem = the kernel's way, one search per rule
//          (perf/RESULTS.md "Payload matching (-m string)").
//            patterns  L3 size  scan()  kHyperscanBounds  memmem per pattern  ratio
//                   0   any          4                 4                   —      —
//                  10   64 B        92                93                 513   5.6x
//                  10   1420 B     590               589               4,007   6.8x
//               1,000   64 B       446               436              62,820   145x
//               1,000   1420 B   4,808             4,573             428,025    92x
//          compile(): 10 patterns 0.2 ms, 1,000 patterns 18.5 ms (kHyperscanBounds: 10 ms,
//          1.2 s); database 185 KiB and scratch 2.4 KiB for 1,000 patterns.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

// Hyperscan's opaque types, so that this header needs no Hyperscan include path.
struct hs_database;
struct hs_scratch;

namespace sel {

inline constexpr size_t kMaxPatternBytes = 128;      // XT_STRING_MAX_PATTERN_SIZE
inline constexpr uint16_t kDefaultTo = 0xffff;        // libxt_string: to_offset = UINT16_MAX
inline constexpr uint32_t kMaxPatternId = 1u << 20;   // ids are bit numbers: < 2^20

struct PayloadPattern {
    std::string bytes;               // raw bytes (parse_hex_string or the --string argument)
    uint16_t from = 0;               // first offset a match may start at
    uint16_t to = kDefaultTo;        // offset a match must end at or before
    bool icase = false;              // --icase
    uint32_t id = 0;                 // the bit scan() sets; several patterns may share one
};

class PayloadMatcher;

// Hyperscan scratch space: one per worker (hs_scan may not share one between threads).
// Allocated on the control path; scan() allocates nothing.
class PayloadScratch {
public:
    PayloadScratch() = default;
    // Grows this scratch so that it also serves `m` (hs_alloc_scratch on an existing scratch):
    // one scratch per worker for all chains. Not while a scan with it is running.
    ws::Status reserve(const PayloadMatcher& m);
    ws::Result<PayloadScratch> clone() const;  // hs_clone_scratch: one more worker
    size_t size_bytes() const;

private:
    friend class PayloadMatcher;
    struct Free {
        void operator()(hs_scratch* s) const noexcept;
    };
    std::unique_ptr<hs_scratch, Free> s_;
};

class PayloadMatcher {
public:
    PayloadMatcher() = default;  // no patterns: scan() writes nothing and costs nothing

    // Who enforces the windows (both exact; perf/payload_bench.cc measures both):
    //  kCallback: every pattern a plain literal; the match callback compares each
    //    occurrence's end offset with its window (unbounded patterns are SINGLEMATCH, bounded
    //    ones report every occurrence, ~10 cycles each). 1,000 patterns compile in 18.5 ms.
    //  kHyperscanBounds: hs_expr_ext min_offset/max_offset, every pattern SINGLEMATCH. Bounded
    //    patterns leave Hyperscan's pure-literal compile path: 1,000 patterns, 30% in a
    //    window, compile in 1.2 s and scan 0-8% faster.
    enum class WindowCheck : uint8_t { kCallback, kHyperscanBounds };

    static ws::Result<PayloadMatcher> compile(std::span<const PayloadPattern> patterns,
                                              WindowCheck check = WindowCheck::kCallback);

    // A scratch for one worker (a clone of the prototype compile() allocated).
    ws::Result<PayloadScratch> make_scratch() const;

    // One hs_scan over the packet bytes any window covers. Clears bitmap[0, bitmap_words()),
    // then sets bit `id` of every pattern found inside its window. Returns false only when
    // Hyperscan refuses the scratch (not made or reserved for this matcher, or in use by
    // another thread); the bitmap is then all zero.
    bool scan(std::span<const uint8_t> l3_packet, PayloadScratch& scratch, uint64_t* bitmap) const noexcept;

    size_t bitmap_words() const { return words_; }
    size_t pattern_count() const { return patterns_; }
    size_t never_matching() const { return never_; }  // windows shorter than their pattern
    size_t database_bytes() const;
    std::string describe() const;  // one line, for `show compiled`

    // Internal (the match callback's table): one per compiled pattern, indexed by the id
    // Hyperscan reports: the bit to set, and the end offsets (relative to the scanned bytes)
    // an occurrence may have to count.
    struct Window {
        uint32_t min_end = 0;
        uint32_t max_end = UINT32_MAX;
        uint32_t bit = 0;
    };

private:
    friend class PayloadScratch;
    struct FreeDb {
        void operator()(hs_database* d) const noexcept;
    };
    std::unique_ptr<hs_database, FreeDb> db_;
    std::vector<Window> windows_;
    PayloadScratch proto_;     // sized for db_; only cloned, never scanned with
    size_t words_ = 0;
    size_t patterns_ = 0;
    size_t never_ = 0;
    uint32_t scan_from_ = 0;   // the smallest --from of a pattern that can match
    uint32_t scan_to_ = 0;     // the largest --to of a pattern that can match
    WindowCheck check_ = WindowCheck::kCallback;
};

// iptables 1.8.9's --hex-string grammar (libxt_string.c parse_hex_string), quirks included:
// text and |hex| blocks ("GET |20|/"), one optional blank after each hex pair, blanks after an
// opening '|', '\' escaping the next character outside hex blocks, an unclosed final '|'
// allowed. Errors carry iptables' texts: "STRING must contain at least one char",
// "STRING too long \"S\"", "Cannot include literals in hex data", "Bad literal placement at
// end of string", "Odd number of hex digits", "Invalid hex block", "Invalid hex char 'C'".
// "|" alone parses to the empty pattern, which compile() then rejects (as the kernel does).
ws::Result<std::string> parse_hex_string(std::string_view text);

// What iptables-save prints for a pattern: true when it uses --hex-string (a byte outside
// 0x20-0x7e, or a final '\'); format_hex_string() writes that form ("|0a0d|"), which
// parse_hex_string() reads back, 128 bytes too ("|..hh " without the closing '|' that would
// make iptables' parser report "STRING too long").
bool needs_hex_string(std::string_view bytes);
std::string format_hex_string(std::string_view bytes);

// The kernel's toupper() (lib/ctype.c, ISO 8859-1), which --icase compares through.
uint8_t xt_toupper(uint8_t c);

// The reference: a memmem of one pattern in its window, honouring --icase. Used by the tests
// and by perf/payload_bench.cc as the per-rule baseline.
bool naive_match(const PayloadPattern& p, std::span<const uint8_t> l3_packet);

}  // namespace sel
