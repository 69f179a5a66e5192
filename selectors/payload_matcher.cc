#include "selectors/payload_matcher.h"

#include <hs.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace sel {

// --- the kernel's case folding ---

uint8_t xt_toupper(uint8_t c) {
    // lib/ctype.c marks a-z, 0xDF-0xF6 and 0xF8-0xFF lower case; __toupper() subtracts 0x20.
    const bool lower = (c >= 'a' && c <= 'z') || (c >= 0xdf && c != 0xf7);
    return lower ? uint8_t(c - 0x20) : c;
}

namespace {

ws::Error invalid(std::string message, std::string token = {}) {
    return ws::make_error(ws::Errc::kInvalid, std::move(message), std::move(token));
}

// The bytes other than c that --icase lets stand for c: those with the same xt_toupper().
// At most one exists (the table folds pairs), so the result is that byte, or -1.
int fold_partner(uint8_t c) {
    for (int o = 0; o < 256; ++o)
        if (o != c && xt_toupper(uint8_t(o)) == xt_toupper(c)) return o;
    return -1;
}

bool is_ascii_letter(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

// The pattern as a Hyperscan expression: every byte escaped (\xHH), so NUL and regex
// metacharacters are plain bytes. Under --icase ASCII letters fold through HS_FLAG_CASELESS
// (ASCII-only in Hyperscan's non-UTF-8 mode) and the kernel's Latin-1 pairs become classes.
std::string expression(const PayloadPattern& p, bool* caseless) {
    std::string e;
    e.reserve(p.bytes.size() * 4);
    char buf[16];
    *caseless = false;
    for (unsigned char c : p.bytes) {
        const int partner = p.icase ? fold_partner(c) : -1;
        if (partner >= 0 && is_ascii_letter(c)) {
            *caseless = true;
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
        } else if (partner >= 0) {
            std::snprintf(buf, sizeof buf, "[\\x%02x\\x%02x]", c, unsigned(partner));
        } else {
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
        }
        e += buf;
    }
    return e;
}

ws::Status check(const PayloadPattern& p) {
    if (p.bytes.empty())
        return invalid("string match: empty pattern (the kernel's string_mt_check rejects it: Invalid argument)");
    if (p.bytes.size() > kMaxPatternBytes) return invalid("STRING too long \"" + p.bytes + "\"", p.bytes);
    if (p.from > p.to)
        return invalid("string match: --from " + std::to_string(p.from) + " is greater than --to " +
                           std::to_string(p.to) + " (the kernel's string_mt_check rejects it: Invalid argument)",
                       std::to_string(p.from));
    if (p.id >= kMaxPatternId)
        return invalid("string match: pattern id " + std::to_string(p.id) + " is not below " +
                           std::to_string(kMaxPatternId),
                       std::to_string(p.id));
    return {};
}

bool can_match(const PayloadPattern& p) { return size_t(p.to) - p.from >= p.bytes.size(); }

}  // namespace

// --- PayloadScratch ---

void PayloadScratch::Free::operator()(hs_scratch* s) const noexcept { hs_free_scratch(s); }

ws::Status PayloadScratch::reserve(const PayloadMatcher& m) {
    if (!m.db_) return {};
    hs_scratch_t* s = s_.release();
    if (hs_alloc_scratch(m.db_.get(), &s) != HS_SUCCESS) {
        s_.reset(s);
        return ws::make_error(ws::Errc::kIo, "string match: cannot allocate Hyperscan scratch space");
    }
    s_.reset(s);
    return {};
}

ws::Result<PayloadScratch> PayloadScratch::clone() const {
    PayloadScratch out;
    if (!s_) return out;
    hs_scratch_t* s = nullptr;
    if (hs_clone_scratch(s_.get(), &s) != HS_SUCCESS)
        return ws::make_error(ws::Errc::kIo, "string match: cannot clone Hyperscan scratch space");
    out.s_.reset(s);
    return out;
}

size_t PayloadScratch::size_bytes() const {
    size_t n = 0;
    if (s_) hs_scratch_size(s_.get(), &n);
    return n;
}

// --- PayloadMatcher ---

void PayloadMatcher::FreeDb::operator()(hs_database* d) const noexcept { hs_free_database(d); }

ws::Result<PayloadMatcher> PayloadMatcher::compile(std::span<const PayloadPattern> patterns, WindowCheck check_by) {
    PayloadMatcher m;
    uint32_t max_id = 0;
    std::vector<const PayloadPattern*> live;  // patterns whose window can hold them
    for (const PayloadPattern& p : patterns) {
        WS_TRY(check(p));
        max_id = std::max(max_id, p.id);
        if (can_match(p)) live.push_back(&p);
    }
    m.patterns_ = patterns.size();
    m.never_ = patterns.size() - live.size();
    m.words_ = patterns.empty() ? 0 : max_id / 64 + 1;
    m.check_ = check_by;
    if (live.empty()) return m;

    // Scan only [scan_from_, min(len, scan_to_)): no window reaches outside it.
    m.scan_from_ = 0xffff;
    for (const PayloadPattern* p : live) {
        m.scan_from_ = std::min<uint32_t>(m.scan_from_, p->from);
        m.scan_to_ = std::max<uint32_t>(m.scan_to_, p->to);
    }
    const size_t n = live.size();
    std::vector<std::string> exprs(n);
    std::vector<const char*> expr_ptrs(n);
    std::vector<unsigned> flags(n), hs_ids(n);
    std::vector<hs_expr_ext_t> exts(n);
    std::vector<const hs_expr_ext_t*> ext_ptrs(n, nullptr);
    m.windows_.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const PayloadPattern& p = *live[i];
        bool caseless = false;
        exprs[i] = expression(p, &caseless);
        expr_ptrs[i] = exprs[i].c_str();
        hs_ids[i] = unsigned(i);  // Hyperscan reports the index; windows_[i] has the bit
        // A match ends at offset E of the scanned bytes (Hyperscan's "to"); in the packet it
        // spans [E + scan_from_ - L, E + scan_from_), so from <= start && end <= to reads
        // E >= from + L - scan_from_ && E <= to - scan_from_. Bounds the scanned range
        // already enforces are left out.
        const uint32_t min_end = p.from + uint32_t(p.bytes.size()) - m.scan_from_;
        const uint32_t max_end = p.to - m.scan_from_;
        const bool lower = p.from > m.scan_from_, upper = p.to < m.scan_to_;
        Window& w = m.windows_[i];
        w.bit = p.id;
        if (check_by == WindowCheck::kHyperscanBounds) {
            exts[i].flags = (lower ? HS_EXT_FLAG_MIN_OFFSET : 0u) | (upper ? HS_EXT_FLAG_MAX_OFFSET : 0u);
            exts[i].min_offset = min_end;
            exts[i].max_offset = max_end;
            if (exts[i].flags) ext_ptrs[i] = &exts[i];
        } else {
            w.min_end = lower ? min_end : 0;
            w.max_end = upper ? max_end : UINT32_MAX;
        }
        // SINGLEMATCH (one report per scan) only where the first occurrence is sure to count:
        // under the callback check a later occurrence may be the one inside the window.
        const bool first_counts = check_by == WindowCheck::kHyperscanBounds || (!lower && !upper);
        flags[i] = (first_counts ? HS_FLAG_SINGLEMATCH : 0u) | (caseless ? HS_FLAG_CASELESS : 0u);
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_ext_multi(expr_ptrs.data(), flags.data(), hs_ids.data(), ext_ptrs.data(), unsigned(n),
                             HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
        std::string msg = "string match: Hyperscan cannot compile the patterns";
        if (err) {
            msg += ": ";
            msg += err->message;
            if (err->expression >= 0) msg += " (pattern id " + std::to_string(live[size_t(err->expression)]->id) + ")";
        }
        hs_free_compile_error(err);
        return ws::make_error(ws::Errc::kUnsupported, std::move(msg));
    }
    m.db_.reset(db);
    WS_TRY(m.proto_.reserve(m));
    return m;
}

ws::Result<PayloadScratch> PayloadMatcher::make_scratch() const { return proto_.clone(); }

namespace {

struct ScanContext {
    const PayloadMatcher::Window* windows;
    uint64_t* bitmap;
};

int on_match(unsigned int index, unsigned long long, unsigned long long end, unsigned int, void* ctx) {
    auto* c = static_cast<ScanContext*>(ctx);
    const PayloadMatcher::Window& w = c->windows[index];
    if (end >= w.min_end && end <= w.max_end) c->bitmap[w.bit >> 6] |= uint64_t(1) << (w.bit & 63);
    return 0;  // go on: other patterns may still match
}

}  // namespace

bool PayloadMatcher::scan(std::span<const uint8_t> l3_packet, PayloadScratch& scratch,
                          uint64_t* bitmap) const noexcept {
    for (size_t w = 0; w < words_; ++w) bitmap[w] = 0;
    if (!db_ || l3_packet.size() <= scan_from_) return true;
    const size_t end = std::min<size_t>(l3_packet.size(), scan_to_);
    ScanContext ctx{windows_.data(), bitmap};
    const hs_error_t rc = hs_scan(db_.get(), reinterpret_cast<const char*>(l3_packet.data()) + scan_from_,
                                  unsigned(end - scan_from_), 0, scratch.s_.get(), on_match, &ctx);
    if (rc == HS_SUCCESS) return true;
    for (size_t w = 0; w < words_; ++w) bitmap[w] = 0;
    return false;
}

size_t PayloadMatcher::database_bytes() const {
    size_t n = 0;
    if (db_) hs_database_size(db_.get(), &n);
    return n;
}

std::string PayloadMatcher::describe() const {
    std::string out = "string: " + std::to_string(patterns_) + " patterns";
    if (never_) out += " (" + std::to_string(never_) + " never match: window shorter than the pattern)";
    if (!db_) return out + ", nothing to scan";
    out += check_ == WindowCheck::kCallback ? ", windows checked per occurrence" : ", windows bounded in Hyperscan";
    out += ", one Hyperscan scan of [" + std::to_string(scan_from_) + ", min(len, " + std::to_string(scan_to_) +
           ")), database " + std::to_string(database_bytes()) + " B, scratch " +
           std::to_string(proto_.size_bytes()) + " B";
    return out;
}

// --- the --hex-string grammar ---

ws::Result<std::string> parse_hex_string(std::string_view text) {
    // A transliteration of libxt_string.c's parse_hex_string() (iptables 1.8.9), which works on
    // a NUL-terminated argv string: at() reads the terminator where the C code reads s[slen].
    const std::string_view s = text.substr(0, text.find('\0'));
    const size_t slen = s.size();
    auto at = [&](size_t k) { return k < slen ? s[k] : '\0'; };
    auto xdigit = [](char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); };
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    auto too_long = [&] { return invalid("STRING too long \"" + std::string(s) + "\"", std::string(s)); };
    if (slen == 0) return invalid("STRING must contain at least one char");
    std::string out;
    size_t i = 0;
    bool hex = false, literal = false;
    while (i < slen) {
        if (out.size() >= kMaxPatternBytes) return too_long();
        if (s[i] == '\\' && !hex) {
            literal = true;
        } else if (s[i] == '\\') {
            return invalid("Cannot include literals in hex data", std::string(s));
        } else if (s[i] == '|') {
            if (hex) {
                hex = false;
            } else {
                hex = true;
                while (at(i + 1) == ' ') ++i;  // blanks just after the opening '|'
            }
            if (i + 1 >= slen) break;
            ++i;  // and the next character is taken below as it is, even a '|' or '\'
        }
        if (literal) {
            if (i + 1 >= slen) return invalid("Bad literal placement at end of string", std::string(s));
            out += s[i + 1];
            i += 2;
            literal = false;
        } else if (hex) {
            if (i + 1 >= slen) return invalid("Odd number of hex digits", std::string(s));
            if (i + 2 >= slen) return invalid("Invalid hex block", std::string(s));  // no closing '|'
            for (size_t k = i; k < i + 2; ++k)
                if (!xdigit(s[k])) return invalid(std::string("Invalid hex char '") + s[k] + "'", std::string(s));
            out += char(nibble(s[i]) << 4 | nibble(s[i + 1]));
            i += at(i + 2) == ' ' ? 3 : 2;  // one blank may follow a pair
        } else {
            out += s[i];
            ++i;
        }
    }
    return out;
}

bool needs_hex_string(std::string_view bytes) {
    // libxt_string.c is_hex_string(): isprint() in the C locale, or a final '\'.
    for (unsigned char c : bytes)
        if (c < 0x20 || c > 0x7e) return true;
    return !bytes.empty() && bytes.back() == '\\';
}

std::string format_hex_string(std::string_view bytes) {
    static const char kHex[] = "0123456789abcdef";
    std::string out = "|";
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    // parse_hex_string() checks the length before every character, the closing '|' included,
    // so 128 bytes end with the blank a pair may carry instead (iptables-save's own "|...|" for
    // them is refused by iptables-restore 1.8.9: "STRING too long").
    return out + (bytes.size() >= kMaxPatternBytes ? " " : "|");
}

// --- the reference ---

bool naive_match(const PayloadPattern& p, std::span<const uint8_t> l3_packet) {
    const size_t len = p.bytes.size();
    const size_t end = std::min<size_t>(p.to, l3_packet.size());
    if (len == 0 || p.from >= end || end - p.from < len) return false;
    const uint8_t* w = l3_packet.data() + p.from;
    const size_t wlen = end - p.from;
    if (!p.icase) return memmem(w, wlen, p.bytes.data(), len) != nullptr;
    for (size_t s = 0; s + len <= wlen; ++s) {
        size_t k = 0;
        while (k < len && xt_toupper(w[s + k]) == xt_toupper(uint8_t(p.bytes[k]))) ++k;
        if (k == len) return true;
    }
    return false;
}

}  // namespace sel
