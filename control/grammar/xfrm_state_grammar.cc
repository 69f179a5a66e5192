#include "control/grammar/xfrm_grammar.h"

#include <array>
#include <cstring>
#include <span>

#include "control/grammar/xfrm_words.h"
#include "crypto/secure_key.h"

namespace ctl {

using ws::Errc;
using namespace xfrm_words;

// ---------------------------------------------------------------------------------------------
// ip xfrm state add|update

namespace {

// Key bytes on their way into a SecureKey: a fixed buffer (XFRM_ALGO_KEY_BUF_SIZE), wiped
// when it goes. The key text itself is never copied.
class KeyBuffer {
public:
    KeyBuffer() = default;
    KeyBuffer(const KeyBuffer&) = delete;
    KeyBuffer& operator=(const KeyBuffer&) = delete;
    ~KeyBuffer() { explicit_bzero(b_.data(), b_.size()); }
    std::span<const uint8_t> bytes() const { return {b_.data(), n_}; }
    size_t size() const { return n_; }

    // xfrm_algo_parse(): "0xHEX" (an odd digit count gets a leading 0), else the text's bytes.
    ws::Status parse(std::string_view text) {
        const bool hex = text.size() > 2 && text.substr(0, 2) == "0x";
        const std::string_view digits = hex ? text.substr(2) : text;
        const size_t n = hex ? (digits.size() + 1) / 2 : digits.size();
        if (n > b_.size()) return invarg("ALGO-KEYMAT value makes buffer overflow", "<key>");
        if (!hex) {
            std::memcpy(b_.data(), digits.data(), n);
            n_ = n;
            return {};
        }
        const size_t odd = digits.size() % 2;
        for (size_t j = 0; j < n; ++j) {
            const int hi = j == 0 && odd ? 0 : nibble(digits[2 * j - odd]);
            const int lo = nibble(digits[2 * j + 1 - odd]);
            if (hi < 0 || lo < 0) return invarg("ALGO-KEYMAT value is invalid", "<key>");
            b_[j] = uint8_t(hi << 4 | lo);
        }
        n_ = n;
        return {};
    }

private:
    static int nibble(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    std::array<uint8_t, 512> b_{};
    size_t n_ = 0;
};

// One ALGO as given: its type word, name, key and ICV/truncation bits.
struct AlgoWords {
    std::string_view type, name;
    KeyBuffer key;
    uint32_t bits = 0;
    bool given() const { return !type.empty(); }
};

struct StateDraft {
    XfrmState s;
    std::optional<IdWords> id;
    AlgoWords aead, enc, auth;
    bool comp = false;
    ws::Family preferred = ws::Family::kNone;
};

// ALGO := TYPE NAME [KEYMAT [ICV-LEN|TRUNC-LEN]]: aead takes the enc and auth slots, auth and
// auth-trunc share one (ip's duparg("ALGO-TYPE") rules).
ws::Status parse_algo(ws::Tokens& t, std::string_view type, StateDraft& d) {
    const bool aead = type == "aead", enc = type == "enc", trunc = type == "auth-trunc";
    if ((aead && (d.enc.given() || d.auth.given() || d.aead.given())) || (enc && (d.enc.given() || d.aead.given())) ||
        ((type == "auth" || trunc) && (d.auth.given() || d.aead.given())) || (type == "comp" && d.comp))
        return duparg("ALGO-TYPE", type);
    if (t.done()) return missarg("ALGO-NAME");
    const std::string_view name = t.next();
    if (type == "comp") {
        d.comp = true;
        return {};
    }
    AlgoWords& a = aead ? d.aead : enc ? d.enc : d.auth;
    a.type = type;
    a.name = name;
    if (t.done()) return missarg("ALGO-KEYMAT");
    WS_TRY(a.key.parse(t.next()));
    if (!aead && !trunc) return {};
    const std::string_view len_name = aead ? "ALGO-ICV-LEN" : "ALGO-TRUNC-LEN";
    if (t.done()) return missarg(len_name);
    WS_TRY(assign(a.bits, get_u32(t.next(), ~0u, std::string(len_name) + " value is invalid")));
    return {};
}

ws::Status parse_limit(ws::Tokens& t, crypto::Lifetime& l) {
    auto w = next_arg(t, "limit");
    if (!w) return w.error();
    uint64_t* slot = *w == "byte-soft" ? &l.soft_bytes : *w == "byte-hard" ? &l.hard_bytes
                   : *w == "packet-soft" ? &l.soft_packets : *w == "packet-hard" ? &l.hard_packets : nullptr;
    if (*w == "time-soft" || *w == "time-hard" || *w == "time-use-soft" || *w == "time-use-hard")
        return unsupported("a time limit (" + quoted(*w) + ")", *w);
    if (!slot) return invarg("LIMIT value is invalid", *w);
    auto v = next_arg(t, *w);
    if (!v) return v.error();
    auto n = ws::parse_u64(*v, *w);
    if (!n) return invarg("value after \"" + std::string(*w) + "\" is invalid", *v);
    *slot = *n;
    return {};
}

ws::Status parse_encap(ws::Tokens& t, XfrmState& s) {
    auto type = next_arg(t, "encap");
    if (!type) return type.error();
    if (*type == "espinudp-nonike" || *type == "espintcp") return unsupported("encap \"" + std::string(*type) + "\"", *type);
    if (*type != "espinudp") return invarg("ENCAP-TYPE value is invalid", *type);
    auto sport = value_u32(t, "encap", "SPORT value after \"encap\" is invalid", 0xffff);
    if (!sport) return sport.error();
    auto dport = value_u32(t, "encap", "DPORT value after \"encap\" is invalid", 0xffff);
    if (!dport) return dport.error();
    auto oa = next_arg(t, "encap");
    if (!oa) return oa.error();
    auto a = get_prefix(*oa, ws::Family::kNone, "encap", "address");
    if (!a) return a.error();
    s.sa.natt = true;
    s.sa.natt_sport = uint16_t(*sport);
    s.sa.natt_dport = uint16_t(*dport);
    s.encap_oa = a->addr;
    return {};
}

ws::Status parse_engine(ws::Tokens& t, XfrmState& s) {
    auto w = next_arg(t, "engine");
    if (!w) return w.error();
    if (*w == "ipsec-mb") s.sa.engine = crypto::EngineKind::kIpsecMb;
    else if (*w == "sodium") s.sa.engine = crypto::EngineKind::kSodium;
    else return invarg("ENGINE value is invalid (ipsec-mb or sodium)", *w);
    return {};
}

bool is_algo_type(std::string_view w) {
    return w == "enc" || w == "auth" || w == "comp" || w == "aead" || w == "auth-trunc";
}

// The words whose value is state wildside does not keep: refused by name.
bool is_unsupported_state_word(std::string_view w) {
    return w == "seq" || w == "coa" || w == "ctx" || w == "offload" || w == "output-mark" || w == "tfcpad";
}

ws::Status parse_state_word(ws::Tokens& t, std::string_view w, StateDraft& d) {
    XfrmState& s = d.s;
    if (w == "mode") {
        WS_TRY(assign(s.sa.mode, parse_mode(t)));
    } else if (w == "mark") {
        auto m = parse_mark(t);
        if (!m) return m.error();
        s.sa.mark = m->v;
        s.sa.mark_mask = m->m;
    } else if (w == "reqid" || w == "replay-window" || w == "if_id") {
        auto v = value_u32(t, w, w == "reqid" ? "REQID value is invalid" : "");
        if (!v) return v.error();
        (w == "reqid" ? s.sa.reqid : w == "if_id" ? s.sa.if_id : s.sa.replay_window) = *v;
    } else if (w == "replay-seq" || w == "replay-oseq" || w == "replay-seq-hi" || w == "replay-oseq-hi") {
        // Where an SA carried over a restart resumes: the 64-bit numbers in 32-bit halves.
        auto v = value_u32(t, w, "");
        if (!v) return v.error();
        uint64_t& n = w.starts_with("replay-oseq") ? s.sa.replay_oseq : s.sa.replay_seq;
        n = w.ends_with("-hi") ? (n & 0xffffffffu) | uint64_t(*v) << 32 : (n & ~uint64_t(0xffffffffu)) | *v;
    } else if (w == "flag") {
        WS_TRY(parse_flags(t, w, kStateFlagNames, "FLAG value is invalid", s.flags));
    } else if (w == "extra-flag") {
        WS_TRY(parse_flags(t, w, kExtraFlagNames, ~0u, "\"EXTRA-FLAG\" is invalid", s.extra_flags));
    } else if (w == "sel") {
        if (t.done()) return plain(Errc::kInvalid, "Command line is not complete. Try option \"help\"", w);
        const size_t start = t.position();
        auto sel = parse_selector(t, d.preferred);
        if (!sel) return sel.error();
        if (t.position() == start) return missarg("SELECTOR");
        s.sel = *sel;
    } else if (w == "limit") {
        WS_TRY(parse_limit(t, s.sa.limits));
    } else if (w == "encap") {
        WS_TRY(parse_encap(t, s));
    } else if (w == "engine") {
        WS_TRY(parse_engine(t, s));
    } else if (is_unsupported_state_word(w)) {
        return unsupported(quoted(w), w);
    } else if (is_algo_type(w)) {
        WS_TRY(parse_algo(t, w, d));
    } else {
        if (d.id) return invarg("unknown", w);
        t.rewind(t.position() - 1);
        WS_TRY(assign(d.id, parse_id(t, d.preferred, IdProto::kRequired)));
    }
    return {};
}

// iproute2's checks after the words: an ID, ESP's algorithm types, the replay window.
ws::Status check_state_words(const StateDraft& d) {
    if (!d.id) return plain(Errc::kInvalid, "Not enough information: ID is required");
    WS_TRY(require_esp(d.id->proto));
    if (d.comp) return plain(Errc::kInvalid, "ALGO-TYPE value \"comp\" is invalid with XFRM-PROTO value \"esp\"", "comp");
    if (!d.aead.given() && !d.enc.given())
        return plain(Errc::kInvalid, "ALGO-TYPE value \"enc\" or \"aead\" is required with XFRM-PROTO value \"esp\"", "esp");
    const uint32_t window = d.s.sa.replay_window;
    if ((d.s.flags & kStateEsn) && window == 0) return plain(Errc::kInvalid, "Error: esn flag set without replay-window.", "esn");
    if (window > kReplayWindowMax)
        return plain(Errc::kInvalid, "Error: replay-window (" + std::to_string(window) + ") > XFRMA_REPLAY_ESN_MAX (" +
                                         std::to_string(kReplayWindowMax) + ").", std::to_string(window));
    if (d.id->spi.value_or(0) == 0) return plain(Errc::kInvalid, "SPI 0 is reserved (RFC 4303 §2.1)", "spi");
    return {};
}

constexpr std::string_view kGcm = "rfc4106(gcm(aes))";
constexpr std::string_view kChaCha = "rfc7539esp(chacha20,poly1305)";
constexpr std::string_view kCbc = "cbc(aes)";

// What esp_init_aead()/esp_init_authenc() say when the crypto API refuses a key or ICV length.
ws::Error crypto_refused(std::string_view alg, const std::string& why) {
    return kernel_says(Errc::kInvalid, "Kernel was unable to initialize cryptographic operations", alg, why);
}

// rfc4106(gcm(aes)) KEY||SALT 64|96|128 and rfc7539esp(chacha20,poly1305) KEY||SALT 128.
ws::Status settle_aead(const AlgoWords& a, crypto::SaParams& sa) {
    const size_t n = a.key.size();
    if (a.name == kGcm) {
        if (n == 28) return unsupported("AES-192 (a 28-byte KEYMAT)", a.name);
        if (n != 20 && n != 36) return crypto_refused(a.name, "its KEYMAT is key || 4-byte salt: 20 or 36 bytes here, not " + std::to_string(n));
        if (a.bits != 64 && a.bits != 96 && a.bits != 128) return crypto_refused(a.name, "ICV 64, 96 or 128 bits, not " + std::to_string(a.bits));
        sa.alg = n == 20 ? crypto::Algorithm::kAesGcm128 : crypto::Algorithm::kAesGcm256;
    } else if (a.name == kChaCha) {
        if (n != 36) return crypto_refused(a.name, "its KEYMAT is a 32-byte key || 4-byte salt: 36 bytes, not " + std::to_string(n));
        if (a.bits != 128) return crypto_refused(a.name, "ICV 128 bits, not " + std::to_string(a.bits));
        sa.alg = crypto::Algorithm::kChaCha20Poly1305;
    } else {
        return kernel_says(Errc::kUnsupported, "Requested AEAD algorithm not found", a.name);
    }
    sa.icv_bytes = uint8_t(a.bits / 8);
    return {};
}

// enc cbc(aes) with auth-trunc hmac(sha256) 128 or hmac(sha1) 96 (RFC 4868, RFC 2404).
ws::Status settle_cbc(const AlgoWords& enc, const AlgoWords& auth, crypto::SaParams& sa) {
    if (enc.name != kCbc) return kernel_says(Errc::kUnsupported, "Requested CRYPT algorithm not found", enc.name);
    if (!auth.given()) return unsupported("ESP without integrity (enc without auth-trunc)", enc.name);
    const bool sha256 = auth.name == "hmac(sha256)", sha1 = auth.name == "hmac(sha1)";
    if (!sha256 && !sha1)
        return kernel_says(Errc::kUnsupported, auth.type == "auth" ? "Requested AUTH algorithm not found" : "Requested AUTH_TRUNC algorithm not found", auth.name);
    const uint32_t bits = auth.type == "auth" ? 96 : auth.bits;  // xfrm_algo.c icv_truncbits
    if (bits > (sha256 ? 256u : 160u)) return kernel_says(Errc::kInvalid, "Invalid length requested for truncated ICV", auth.name);
    if (bits != (sha256 ? 128u : 96u))
        return unsupported(std::string(auth.name) + " truncated to " + std::to_string(bits) + " bits (" + (sha256 ? "128, RFC 4868" : "96, RFC 2404") + " here)", auth.name);
    if (auth.key.size() != (sha256 ? 32u : 20u))
        return unsupported(std::string(auth.name) + " with a " + std::to_string(auth.key.size()) + "-byte key (" + (sha256 ? "32" : "20") + " here)", auth.name);
    const size_t n = enc.key.size();
    if (n == 24) return unsupported("AES-192 (a 24-byte cbc(aes) key)", enc.name);
    if (n != 16 && n != 32) return crypto_refused(enc.name, "cbc(aes) keys are 16 or 32 bytes here, not " + std::to_string(n));
    sa.alg = sha256 ? crypto::Algorithm::kAesCbcHmacSha256 : crypto::Algorithm::kAesCbcHmacSha1;
    sa.icv_bytes = uint8_t(bits / 8);
    return {};
}

// The kernel's half: algorithms, key and ICV lengths, the engine; then the key goes into
// guarded memory and the ID and selector settle into SaParams.
ws::Status settle_state(StateDraft& d) {
    crypto::SaParams& sa = d.s.sa;
    WS_TRY(d.aead.given() ? settle_aead(d.aead, sa) : settle_cbc(d.enc, d.auth, sa));
    if (sa.engine == crypto::EngineKind::kSodium && sa.alg != crypto::Algorithm::kChaCha20Poly1305)
        return plain(Errc::kInvalid, "engine sodium implements rfc7539esp(chacha20,poly1305) only", "sodium");
    sa.key = d.aead.given() ? crypto::SecureKey::make(d.aead.key.bytes()) : crypto::SecureKey::make(d.enc.key.bytes(), d.auth.key.bytes());
    if (!sa.key) return plain(Errc::kIo, "Cannot allocate memory (guarded key memory)");
    const ws::Family f = d.id->family() != ws::Family::kNone ? d.id->family()
                       : d.preferred != ws::Family::kNone   ? d.preferred
                                                            : ws::Family::kInet;
    sa.src = d.id->src ? d.id->src->addr : ws::InetAddr::zero(f);
    sa.dst = d.id->dst ? d.id->dst->addr : ws::InetAddr::zero(f);
    sa.spi = *d.id->spi;
    sa.esn = d.s.flags & kStateEsn;
    // copy_from_user_state(): a selector without a family takes the SA's, unless af-unspec.
    if (!(d.s.flags & kStateAfUnspec)) settle_selector_family(d.s.sel, f);
    const XfrmSelector& s = d.s.sel;
    sa.sel.src = s.src;
    sa.sel.dst = s.dst;
    sa.sel.proto = s.proto;
    if (s.sport_mask) sa.sel.sport_lo = sa.sel.sport_hi = s.sport;  // ICMP: the type, as Linux keeps it
    if (s.dport_mask) sa.sel.dport_lo = sa.sel.dport_hi = s.dport;  // ICMP: the code
    return {};
}

}  // namespace

ws::Result<XfrmState> parse_state(ws::Tokens& t, ws::Family preferred) {
    StateDraft d;
    d.preferred = preferred;
    d.s.sa.replay_window = 0;  // Linux's default: no anti-replay unless told
    d.s.sel = XfrmSelector::any(ws::Family::kNone);
    while (!t.done()) WS_TRY(parse_state_word(t, t.next(), d));
    WS_TRY(check_state_words(d));
    WS_TRY(settle_state(d));
    return std::move(d.s);
}

ws::Result<SaId> parse_state_id(ws::Tokens& t, ws::Family preferred) {
    std::optional<IdWords> id;
    XfrmMark mark;
    while (!t.done()) {
        if (t.accept("mark")) {
            WS_TRY(assign(mark, parse_mark(t)));
            continue;
        }
        if (id) return invarg("unknown", t.peek());
        WS_TRY(assign(id, parse_id(t, preferred, IdProto::kRequired)));
    }
    if (!id) return plain(Errc::kInvalid, "Not enough information: ID is required");
    const ws::Family f = id->family() != ws::Family::kNone ? id->family() : preferred != ws::Family::kNone ? preferred : ws::Family::kInet;
    return SaId{id->dst ? id->dst->addr : ws::InetAddr::zero(f), id->proto, id->spi.value_or(0), mark.v & mark.m};
}

}  // namespace ctl
