#include "control/xfrm_query.h"

#include <cstdio>
#include <span>

#include "control/grammar/xfrm_grammar.h"
#include "crypto/secure_key.h"

namespace ctl {

namespace {

std::string fmt(const char* f, uint32_t v) {
    char b[24];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

// printf's "%#x": 0 is "0".
std::string alt_hex(uint32_t v) { return v ? fmt("0x%x", v) : "0"; }

// XFRM_FLAG_PRINT(): names separated by single spaces, then what no name covers, in hex.
std::string flag_words(uint32_t flags, std::span<const XfrmFlagName> names) {
    std::string out;
    for (const auto& n : names) {
        if (!(flags & n.bit)) continue;
        flags &= ~n.bit;
        out += std::string(n.name) + (flags ? " " : "");
    }
    if (flags) out += fmt("%x", flags);
    return out;
}

std::string key_text(std::span<const uint8_t> key, KeyText keys) {
    if (keys == KeyText::kHidden) return "<<Keys hidden>>";
    std::string out = "0x";
    for (uint8_t b : key) out += fmt("%02x", b);
    return out;
}

// xfrm_selector_print(): "src A/L dst A/L [proto P] [sport N] [dport N] | [type N] [code N] "
// with ip's trailing space; a selector of no family prints in the fallback one.
std::string selector_show(const XfrmSelector& s, ws::Family fallback) {
    const XfrmSelector& a = s.family == ws::Family::kNone ? XfrmSelector::any(fallback) : s;
    std::string out = "src " + a.src.addr.format() + "/" + std::to_string(a.src.len) + " dst " + a.dst.addr.format() +
                      "/" + std::to_string(a.dst.len) + " ";
    if (s.proto) out += "proto " + ws::ip_proto_name(s.proto) + " ";
    const bool icmp = s.proto == 1 || s.proto == 58 || s.proto == 135;  // 135: mobility header
    if (s.sport_mask) out += (icmp ? "type " : "sport ") + std::to_string(s.sport) + " ";
    if (s.dport_mask && s.proto != 135) out += (icmp ? "code " : "dport ") + std::to_string(s.dport) + " ";
    return out;
}

void append_algorithms(std::string& out, const crypto::SaParams& sa, KeyText keys) {
    const crypto::AlgorithmInfo& info = crypto::algorithm_info(sa.alg);
    const std::span<const uint8_t> none;
    const std::string bits = std::to_string(sa.icv_bytes * 8);
    if (info.aead) {
        out += "\taead " + std::string(info.linux_name) + " " + key_text(sa.key ? sa.key->cipher() : none, keys) + " " + bits + "\n";
        return;
    }
    out += "\tauth-trunc " + std::string(info.auth_name) + " " + key_text(sa.key ? sa.key->auth() : none, keys) + " " + bits + "\n";
    out += "\tenc " + std::string(info.linux_name) + " " + key_text(sa.key ? sa.key->cipher() : none, keys) + "\n";
}

// The kernel keeps a window over 32 packets, or any ESN one, as replay_esn (iproute2 sends
// XFRMA_REPLAY_ESN_VAL and a legacy window of 0); else the 32-bit legacy state.
bool esn_context(const XfrmState& s) { return s.sa.esn || s.sa.replay_window > 32; }

void append_replay(std::string& out, const XfrmState& s, const SaReplayView& r) {
    if (!esn_context(s)) {
        out += "\tanti-replay context: seq " + fmt("0x%x", r.seq) + ", oseq " + fmt("0x%x", r.oseq) + ", bitmap " +
               fmt("0x%08x", r.bitmap.empty() ? 0 : r.bitmap[0]) + "\n";
        return;
    }
    const uint32_t words = (s.sa.replay_window + 31) / 32;
    out += "\tanti-replay esn context:\n\t seq-hi " + fmt("0x%x", r.seq_hi) + ", seq " + fmt("0x%x", r.seq) + ", oseq-hi " +
           fmt("0x%x", r.oseq_hi) + ", oseq " + fmt("0x%x", r.oseq) + "\n";
    out += "\t replay_window " + std::to_string(s.sa.replay_window) + ", bitmap-length " + std::to_string(words);
    for (uint32_t i = words, j = 0; i; --i, ++j) {
        if (j % 8 == 0) out += "\n\t ";
        out += fmt("%08x ", i - 1 < r.bitmap.size() ? r.bitmap[i - 1] : 0);
    }
    out += "\n";
}

void append_mark(std::string& out, uint32_t v, uint32_t m) {
    if (v | m) out += "\tmark " + alt_hex(v) + "/" + alt_hex(m) + " \n";
}

}  // namespace

std::string format_state_show(const XfrmState& s, KeyText keys, const SaReplayView& replay) {
    const crypto::SaParams& sa = s.sa;
    std::string out = "src " + sa.src.format() + " dst " + sa.dst.format() + "\n";
    out += "\tproto esp spi " + fmt("0x%08x", sa.spi) + " reqid " + std::to_string(sa.reqid) + " mode " +
           std::string(mode_name(sa.mode)) + "\n";
    out += "\treplay-window " + std::to_string(esn_context(s) ? 0 : sa.replay_window) + " ";
    if (s.flags) out += "flag " + flag_words(s.flags, kStateFlagNames);
    out += "\n";
    if (s.extra_flags) out += "\textra_flag " + flag_words(s.extra_flags, kExtraFlagNames) + "\n";
    append_mark(out, sa.mark, sa.mark_mask);
    append_algorithms(out, sa, keys);
    if (sa.natt)
        out += "\tencap type espinudp sport " + std::to_string(sa.natt_sport) + " dport " + std::to_string(sa.natt_dport) +
               " addr " + s.encap_oa.format() + "\n";
    append_replay(out, s, replay);
    if (sa.if_id) out += "\tif_id " + alt_hex(sa.if_id) + "\n";
    if (!s.sel.is_zero()) out += "\tsel " + selector_show(s.sel, s.family()) + "\n";
    if (sa.engine == crypto::EngineKind::kSodium) out += "\tengine sodium\n";  // wildside's own line
    return out;
}

std::string format_policy_show(const XfrmPolicy& p) {
    std::string out = selector_show(p.sel, p.sel.family) + "\n";
    out += "\tdir " + std::string(dir_name(p.dir)) + " ";
    if (p.action == XfrmAction::kBlock) out += "action block ";
    out += "priority " + std::to_string(p.priority) + " ptype main ";
    if (p.flags) out += "flag " + flag_words(p.flags, kPolicyFlagNames);
    out += "\n";
    append_mark(out, p.mark.v, p.mark.m);
    for (const XfrmTmpl& tm : p.tmpls) {
        out += "\ttmpl src " + tm.src.format() + " dst " + tm.dst.format() + "\n\t\tproto esp ";
        if (tm.spi) out += "spi " + fmt("0x%08x", tm.spi) + " ";
        out += "reqid " + std::to_string(tm.reqid) + " mode " + std::string(mode_name(tm.mode)) + "\n";
        if (tm.optional) out += "\t\tlevel use \n";
    }
    if (p.if_id) out += "\tif_id " + alt_hex(p.if_id) + "\n";
    return out;
}

namespace {

// One policy on one line, for `show compiled spd`.
std::string policy_brief(const XfrmPolicy& p) {
    std::string out = format_selector_args(p.sel) + " priority " + std::to_string(p.priority);
    if (p.mark.v | p.mark.m) out += " mark " + alt_hex(p.mark.v) + "/" + alt_hex(p.mark.m);
    if (p.if_id) out += " if_id " + std::to_string(p.if_id);
    switch (p.disposition()) {
        case SpdDisposition::kBypass: return out + ": bypass";
        case SpdDisposition::kDiscard: return out + ": discard";
        case SpdDisposition::kProtect: break;
    }
    out += ": protect";
    for (const XfrmTmpl& tm : p.tmpls) {
        out += " [esp reqid " + std::to_string(tm.reqid) + (tm.spi ? " spi " + fmt("0x%08x", tm.spi) : "") + " " +
               std::string(mode_name(tm.mode));
        if (tm.mode == crypto::Mode::kTunnel) out += " " + tm.src.format() + " -> " + tm.dst.format();
        out += std::string(tm.optional ? " level use" : "") + "]";
    }
    return out;
}

}  // namespace

std::string describe_spd(const Spd& spd) {
    std::string out;
    for (XfrmDir d : {XfrmDir::kIn, XfrmDir::kOut, XfrmDir::kFwd}) {
        const auto list = spd.ordered(d);
        out += "spd " + std::string(dir_name(d)) + ": " + std::to_string(list.size()) + " policies, default " +
               (spd.default_action(d) == XfrmAction::kBlock ? "block" : "accept") + "\n";
        for (size_t i = 0; i < list.size(); ++i) out += "  " + std::to_string(i + 1) + ". " + policy_brief(*list[i]) + "\n";
        if (list.size() > kShadowCheckMax) {
            out += "  (shadow check skipped: more than " + std::to_string(kShadowCheckMax) + " policies)\n";
            continue;
        }
        for (const auto& [later, earlier] : shadowed_policies(spd, d))
            out += "  warning: \"" + format_selector_args(later->sel) + "\" (priority " + std::to_string(later->priority) +
                   ") is never reached: \"" + format_selector_args(earlier->sel) + "\" (priority " +
                   std::to_string(earlier->priority) + ") matches all its traffic first\n";
    }
    return out;
}

QueryOutput show_compiled_spd(const Model& m) {
    QueryOutput q;
    q.out = describe_spd(m.spd);
    return q;
}

// ---------------------------------------------------------------------------------------------

namespace {

QueryOutput failed(int status, const std::string& msg) {
    QueryOutput q;
    q.status = status;
    q.err_text = msg;
    q.err = msg + "\n";
    return q;
}

// A model answer: "RTNETLINK answers: X" on stderr, status 2, err_text X.
QueryOutput kernel_failed(const ws::Error& e) {
    QueryOutput q = failed(2, e.message);
    const std::string prefix = "RTNETLINK answers: ";
    if (e.message.rfind(prefix, 0) == 0) q.err_text = e.message.substr(prefix.size());
    return q;
}

QueryOutput answer(std::string text) {
    QueryOutput q;
    q.out = std::move(text);
    return q;
}

// `keys` / `nokeys` anywhere in a get: taken out before the ID is read.
KeyText take_keys_word(ws::Tokens& t) {
    std::vector<std::string_view> rest;
    KeyText keys = KeyText::kHidden;
    for (auto w : t.words()) {
        if (w == "keys" || w == "nokeys") keys = w == "keys" ? KeyText::kShown : KeyText::kHidden;
        else rest.push_back(w);
    }
    t = ws::Tokens(std::move(rest));
    return keys;
}

QueryOutput state_query(const Sad& sad, XfrmCommand& c, const SaRuntimeLookup& runtime) {
    auto replay = [&](const XfrmState& s) { return runtime ? runtime(s) : SaReplayView{}; };
    if (c.verb == "count") return answer("\t SAD count " + std::to_string(sad.size()) + "\n");
    if (c.verb == "get") {
        const KeyText keys = take_keys_word(c.args);
        auto id = parse_state_id(c.args, c.preferred);
        if (!id) return failed(255, id.error().message);
        const XfrmState* s = sad.get(*id);
        if (!s) return kernel_failed(ws::make_error(ws::Errc::kNotFound, "RTNETLINK answers: No such process"));
        return answer(format_state_show(*s, keys, replay(*s)));
    }
    auto f = parse_state_filter(c.args, c.preferred);
    if (!f) return failed(255, f.error().message);
    std::string out;
    for (const XfrmState* s : sad.dump())
        if (f->matches(*s)) out += format_state_show(*s, f->keys ? KeyText::kShown : KeyText::kHidden, replay(*s));
    return answer(out);
}

QueryOutput policy_query(const Spd& spd, XfrmCommand& c) {
    if (c.verb == "count")
        return answer("\t SPD IN  " + std::to_string(spd.size(XfrmDir::kIn)) + " OUT " + std::to_string(spd.size(XfrmDir::kOut)) +
                      " FWD " + std::to_string(spd.size(XfrmDir::kFwd)) + "\n");
    if (c.verb == "getdefault") {
        auto word = [&](XfrmDir d) { return spd.default_action(d) == XfrmAction::kBlock ? "block" : "accept"; };
        return answer(std::string("Default policies:\n in:  ") + word(XfrmDir::kIn) + "\n fwd: " + word(XfrmDir::kFwd) +
                      "\n out: " + word(XfrmDir::kOut) + "\n");
    }
    if (c.verb == "get") {
        auto key = parse_policy_id(c.args, c.preferred);
        if (!key) return failed(255, key.error().message);
        const XfrmPolicy* p = spd.get(*key);
        if (!p) return kernel_failed(ws::make_error(ws::Errc::kNotFound, "RTNETLINK answers: No such file or directory"));
        return answer(format_policy_show(*p));
    }
    auto f = parse_policy_filter(c.args, c.preferred);
    if (!f) return failed(255, f.error().message);
    std::string out;
    for (const XfrmPolicy* p : spd.dump())
        if (f->matches(*p)) out += format_policy_show(*p);
    return answer(out);
}

}  // namespace

QueryOutput xfrm_query(const Model& m, const std::vector<std::string_view>& words, const QueryOptions&,
                       const SaRuntimeLookup& runtime) {
    auto c = split_xfrm_command(words);
    if (!c) return failed(255, c.error().message);
    if (!is_xfrm_query_verb(c->verb)) return failed(255, "Error: \"ip xfrm ... " + c->verb + "\" is a change, not a query");
    return c->object == XfrmObject::kState ? state_query(m.sad, *c, runtime) : policy_query(m.spd, *c);
}

bool is_xfrm_query(const std::vector<std::string_view>& words) {
    auto c = split_xfrm_command(words);
    return c && is_xfrm_query_verb(c->verb);
}

}  // namespace ctl
