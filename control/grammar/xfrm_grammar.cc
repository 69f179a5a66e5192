#include "control/grammar/xfrm_grammar.h"

#include <array>
#include <cstdio>
#include <span>

#include "control/grammar/xfrm_words.h"
#include "crypto/secure_key.h"

namespace ctl {

using ws::Errc;
using namespace xfrm_words;

// ---------------------------------------------------------------------------------------------
// Names and commands

std::string_view dir_name(XfrmDir d) {
    switch (d) {
        case XfrmDir::kIn: return "in";
        case XfrmDir::kOut: return "out";
        case XfrmDir::kFwd: return "fwd";
    }
    return "out";
}

std::string_view mode_name(crypto::Mode m) { return m == crypto::Mode::kTunnel ? "tunnel" : "transport"; }

bool is_xfrm_object(std::string_view word) { return matches(word, "xfrm"); }

bool is_xfrm_query_verb(std::string_view verb) {
    return verb == "list" || verb == "get" || verb == "count" || verb == "getdefault";
}

namespace {

// do_xfrm_state() / do_xfrm_policy(): the verbs in ip's order, each with its spellings.
struct VerbRow {
    std::string_view name;
    std::string_view also[2];
};
constexpr VerbRow kStateVerbs[] = {{"add", {}}, {"update", {}}, {"allocspi", {}}, {"delete", {}},
                                   {"deleteall", {"delall"}}, {"list", {"show", "lst"}}, {"get", {}},
                                   {"flush", {}}, {"count", {}}};
constexpr VerbRow kPolicyVerbs[] = {{"add", {}}, {"update", {}}, {"delete", {}}, {"deleteall", {"delall"}},
                                    {"list", {"show", "lst"}}, {"get", {}}, {"flush", {}}, {"count", {}},
                                    {"set", {}}, {"setdefault", {}}, {"getdefault", {}}};

ws::Result<std::string> resolve_verb(std::string_view w, std::span<const VerbRow> rows, std::string_view object) {
    for (const auto& r : rows)
        if (matches(w, r.name) || matches(w, r.also[0]) || matches(w, r.also[1])) return std::string(r.name);
    return plain(Errc::kInvalid, "Command \"" + std::string(w) + "\" is unknown, try \"ip xfrm " + std::string(object) + " help\".", w);
}

ws::Family option_family(std::string_view opt, std::string_view value) {
    if (opt == "-4") return ws::Family::kInet;
    if (opt == "-6") return ws::Family::kInet6;
    if (opt == "-family") return value == "inet6" ? ws::Family::kInet6 : value == "inet" ? ws::Family::kInet : ws::Family::kNone;
    return ws::Family::kNone;
}

}  // namespace

ws::Result<XfrmCommand> split_xfrm_command(const std::vector<std::string_view>& w) {
    XfrmCommand c;
    size_t i = 1;
    for (; i < w.size() && w[i].size() > 1 && w[i][0] == '-'; ++i) {
        const ws::Family f = option_family(w[i], i + 1 < w.size() ? w[i + 1] : std::string_view());
        if (f != ws::Family::kNone) c.preferred = f;
        if (w[i] == "-family") ++i;
    }
    if (i >= w.size() || !is_xfrm_object(w[i])) return plain(Errc::kInvalid, "not an \"ip xfrm\" command");
    if (++i >= w.size()) return plain(Errc::kInvalid, "Usage: ip xfrm XFRM-OBJECT { COMMAND | help }");
    const std::string_view object = w[i++];
    if (matches(object, "state") || matches(object, "sa")) c.object = XfrmObject::kState;
    else if (matches(object, "policy")) c.object = XfrmObject::kPolicy;
    else if (matches(object, "monitor")) return unsupported("\"ip xfrm monitor\"", object);
    else return plain(Errc::kInvalid, "Usage: ip xfrm XFRM-OBJECT { COMMAND | help }", object);
    const bool state = c.object == XfrmObject::kState;
    if (i < w.size()) {
        WS_TRY(assign(c.verb, state ? resolve_verb(w[i], kStateVerbs, "state") : resolve_verb(w[i], kPolicyVerbs, "policy")));
        ++i;
    } else {
        c.verb = "list";  // `ip xfrm state` alone lists
    }
    c.args = ws::Tokens(std::vector<std::string_view>(w.begin() + long(i), w.end()));
    return c;
}

// ---------------------------------------------------------------------------------------------
// list / deleteall / flush selections

bool StateFilter::matches(const XfrmState& s) const {
    // xfrm_state_filter_match(): the address under the prefix given; /0 matches everything.
    return (!src || !src->len || src->contains(s.sa.src)) && (!dst || !dst->len || dst->contains(s.sa.dst)) &&
           (!proto || *proto == kXfrmProtoEsp) && (!spi || *spi == s.sa.spi) && (!mode || *mode == s.sa.mode) &&
           (!reqid || *reqid == s.sa.reqid) && (!flags || (s.flags & flags));
}

ws::Result<StateFilter> parse_state_filter(ws::Tokens& t, ws::Family preferred) {
    StateFilter f;
    bool id = false;
    while (!t.done()) {
        std::string_view w = t.next();
        if (w == "nokeys" || w == "keys") {
            f.keys = w == "keys";
        } else if (w == "mode") {
            WS_TRY(assign(f.mode, parse_mode(t)));
        } else if (w == "reqid") {
            WS_TRY(assign(f.reqid, value_u32(t, w, "REQID value is invalid")));
        } else if (w == "flag") {
            WS_TRY(parse_flags(t, w, kStateFlagNames, "FLAG value is invalid", f.flags));
        } else {
            if (id) return invarg("unknown", w);
            id = true;
            t.rewind(t.position() - 1);
            auto words = parse_id(t, preferred, IdProto::kLoose);
            if (!words) return words.error();
            f.src = words->src;
            f.dst = words->dst;
            if (words->proto) f.proto = words->proto;
            f.spi = words->spi;
        }
    }
    return f;
}

bool PolicyFilter::matches(const XfrmPolicy& p) const {
    // xfrm_policy_filter_match(): a prefix given matches the same length with the same bits;
    // a /0 one (ip's mask is the prefix length) only the family.
    if (sel) {
        const XfrmSelector& s = *sel;
        if ((src || dst) && s.family != p.sel.family) return false;
        if (src && s.src.len && (p.sel.src.len != s.src.len || !s.src.contains(p.sel.src.addr))) return false;
        if (dst && s.dst.len && (p.sel.dst.len != s.dst.len || !s.dst.contains(p.sel.dst.addr))) return false;
        if (proto && p.sel.proto != s.proto) return false;
        if ((s.sport_mask && p.sel.sport != s.sport) || (s.dport_mask && p.sel.dport != s.dport)) return false;
    }
    return (!dir || *dir == p.dir) && (!action || *action == p.action) && (!priority || *priority == p.priority) &&
           (!flags || (p.flags & flags));
}

namespace {

ws::Status parse_policy_filter_word(ws::Tokens& t, std::string_view w, PolicyFilter& f) {
    if (w == "dir") {
        WS_TRY(assign(f.dir, parse_dir(t)));
    } else if (w == "action") {
        WS_TRY(assign(f.action, parse_action(t)));
    } else if (w == "priority") {
        WS_TRY(assign(f.priority, value_u32(t, w, "PRIORITY value is invalid")));
    } else if (w == "flag") {
        WS_TRY(parse_flags(t, w, kPolicyFlagNames, "FLAG value is invalid", f.flags));
    } else if (w == "ptype") {
        return parse_ptype(t);
    } else if (w == "index") {
        return unsupported("\"index\"", w);
    }
    return {};  // "nosock": wildside has no socket policies
}

bool is_policy_filter_word(std::string_view w) {
    return w == "dir" || w == "action" || w == "priority" || w == "flag" || w == "ptype" || w == "index" || w == "nosock";
}

}  // namespace

ws::Result<PolicyFilter> parse_policy_filter(ws::Tokens& t, ws::Family preferred) {
    PolicyFilter f;
    while (!t.done()) {
        std::string_view w = t.next();
        if (is_policy_filter_word(w)) {
            WS_TRY(parse_policy_filter_word(t, w, f));
            continue;
        }
        if (f.sel) return invarg("unknown", w);
        t.rewind(t.position() - 1);
        const size_t start = t.position();
        SelectorGiven given;
        auto s = parse_selector(t, preferred, &given);
        if (!s) return s.error();
        if (t.position() == start) return invarg("unknown", w);
        f.sel = *s;
        f.src = given.src;
        f.dst = given.dst;
        f.proto = given.proto;
    }
    return f;
}

// ---------------------------------------------------------------------------------------------
// Input forms

namespace {

std::string hex(uint32_t v, const char* fmt = "0x%x") {
    char b[16];
    std::snprintf(b, sizeof b, fmt, v);
    return b;
}

std::string key_hex(std::span<const uint8_t> key) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out = "0x";
    for (uint8_t b : key) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

std::string prefix_text(const ws::InetPrefix& p) { return p.addr.format() + "/" + std::to_string(p.len); }

// " KEYWORD name name", or " KEYWORD 0xHEX" where a bit has no name.
void append_flags(std::string& out, std::string_view keyword, uint32_t flags, std::span<const XfrmFlagName> names) {
    if (!flags) return;
    uint32_t named = 0;
    for (const auto& n : names) named |= n.bit;
    out += " " + std::string(keyword);
    if (flags & ~named) {
        out += " " + hex(flags);
        return;
    }
    for (const auto& n : names)
        if (flags & n.bit) {
            out += ' ';
            out += n.name;
        }
}

void append_mark(std::string& out, uint32_t v, uint32_t m) {
    if (v | m) out += " mark " + hex(v) + " mask " + hex(m);
}

void append_algo(std::string& out, const crypto::SaParams& sa) {
    const crypto::AlgorithmInfo& info = crypto::algorithm_info(sa.alg);
    const std::string bits = std::to_string(sa.icv_bytes * 8);
    const std::span<const uint8_t> none;
    const auto cipher = sa.key ? sa.key->cipher() : none;
    if (info.aead) {
        out += " aead '" + std::string(info.linux_name) + "' " + key_hex(cipher) + " " + bits;
        return;
    }
    out += " enc '" + std::string(info.linux_name) + "' " + key_hex(cipher);
    out += " auth-trunc '" + std::string(info.auth_name) + "' " + key_hex(sa.key ? sa.key->auth() : none) + " " + bits;
}

void append_limits(std::string& out, const crypto::Lifetime& l) {
    const std::pair<const char*, uint64_t> limits[] = {{"byte-soft", l.soft_bytes}, {"byte-hard", l.hard_bytes},
                                                       {"packet-soft", l.soft_packets}, {"packet-hard", l.hard_packets}};
    for (const auto& [name, v] : limits)
        if (v != UINT64_MAX) out += " limit " + std::string(name) + " " + std::to_string(v);
}

}  // namespace

std::string format_selector_args(const XfrmSelector& s) {
    std::string out;
    if (s.family != ws::Family::kNone) out = " src " + prefix_text(s.src) + " dst " + prefix_text(s.dst);
    if (s.proto) out += " proto " + ws::ip_proto_name(s.proto);
    const bool icmp = is_icmp_proto(s.proto);
    if (s.sport_mask) out += (icmp ? " type " : " sport ") + std::to_string(s.sport);
    if (s.dport_mask) out += (icmp ? " code " : " dport ") + std::to_string(s.dport);
    return out.empty() ? out : out.substr(1);
}

std::string format_state_args(const XfrmState& s) {
    const crypto::SaParams& sa = s.sa;
    std::string out = "src " + sa.src.format() + " dst " + sa.dst.format() + " proto esp spi " + hex(sa.spi, "0x%08x") +
                      " reqid " + std::to_string(sa.reqid) + " mode " + std::string(mode_name(sa.mode));
    if (sa.replay_window) out += " replay-window " + std::to_string(sa.replay_window);
    append_flags(out, "flag", s.flags, kStateFlagNames);
    append_flags(out, "extra-flag", s.extra_flags, kExtraFlagNames);
    append_mark(out, sa.mark, sa.mark_mask);
    if (sa.if_id) out += " if_id " + std::to_string(sa.if_id);
    append_algo(out, sa);
    if (sa.natt)
        out += " encap espinudp " + std::to_string(sa.natt_sport) + " " + std::to_string(sa.natt_dport) + " " + s.encap_oa.format();
    append_limits(out, sa.limits);
    const bool unspec = s.flags & kStateAfUnspec;
    if (!(s.sel == XfrmSelector::any(unspec ? ws::Family::kNone : s.family()))) out += " sel " + format_selector_args(s.sel);
    if (sa.engine == crypto::EngineKind::kSodium) out += " engine sodium";
    return out;
}

std::string format_policy_args(const XfrmPolicy& p) {
    std::string out = format_selector_args(p.sel) + " dir " + std::string(dir_name(p.dir));
    if (p.action == XfrmAction::kBlock) out += " action block";
    if (p.priority) out += " priority " + std::to_string(p.priority);
    append_flags(out, "flag", p.flags, kPolicyFlagNames);
    append_mark(out, p.mark.v, p.mark.m);
    if (p.if_id) out += " if_id " + std::to_string(p.if_id);
    for (const XfrmTmpl& tm : p.tmpls) {
        out += " tmpl src " + tm.src.format() + " dst " + tm.dst.format() + " proto esp";
        if (tm.spi) out += " spi " + hex(tm.spi, "0x%08x");
        out += " reqid " + std::to_string(tm.reqid) + " mode " + std::string(mode_name(tm.mode));
        if (tm.optional) out += " level use";
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Changes

namespace {

ws::Result<StateFilter> parse_state_flush(ws::Tokens& t) {
    StateFilter f;
    while (!t.done()) {
        std::string_view w = t.next();
        if (w != "proto") return invarg("unknown", w);
        auto v = next_arg(t, w);
        if (!v) return v.error();
        WS_TRY(assign(f.proto, xfrm_proto(*v)));
    }
    return f;
}

ws::Status apply_state(Sad& sad, XfrmCommand& c) {
    ws::Tokens& t = c.args;
    if (c.verb == "add" || c.verb == "update") {
        auto s = parse_state(t, c.preferred);
        if (!s) return s.error();
        return c.verb == "add" ? sad.add(std::move(*s)) : sad.update(*s);
    }
    if (c.verb == "delete") {
        auto id = parse_state_id(t, c.preferred);
        if (!id) return id.error();
        return sad.del(*id);
    }
    if (c.verb == "deleteall" || c.verb == "flush") {
        auto f = c.verb == "flush" ? parse_state_flush(t) : parse_state_filter(t, c.preferred);
        if (!f) return f.error();
        sad.remove_if([&](const XfrmState& s) { return f->matches(s); });
        return {};
    }
    return unsupported("\"ip xfrm state " + c.verb + "\"", c.verb);
}

// setdefault DIR accept|block [DIR accept|block]...; a direction not named keeps its default.
ws::Status apply_setdefault(Spd& spd, ws::Tokens& t) {
    std::array<std::optional<XfrmAction>, kXfrmDirs> set;
    while (!t.done()) {
        std::string_view w = t.next();
        const XfrmDir d = w == "in" ? XfrmDir::kIn : w == "fwd" ? XfrmDir::kFwd : XfrmDir::kOut;
        if (w != "in" && w != "fwd" && w != "out") return invarg("unknown direction", w);
        if (set[size_t(d)]) return duparg(w, w);
        auto v = next_arg(t, w);
        if (!v) return v.error();
        if (*v != "accept" && *v != "block") return invarg(std::string(w) + " policy value is invalid", *v);
        set[size_t(d)] = *v == "block" ? XfrmAction::kBlock : XfrmAction::kAllow;
    }
    for (size_t d = 0; d < kXfrmDirs; ++d)
        if (set[d]) spd.set_default(XfrmDir(d), *set[d]);
    return {};
}

ws::Status apply_policy(Spd& spd, XfrmCommand& c) {
    ws::Tokens& t = c.args;
    if (c.verb == "add" || c.verb == "update") {
        auto p = parse_policy(t, c.preferred);
        if (!p) return p.error();
        if (c.verb == "add") return spd.add(std::move(*p));
        spd.update(std::move(*p));
        return {};
    }
    if (c.verb == "delete") {
        auto p = parse_policy_id(t, c.preferred);
        if (!p) return p.error();
        return spd.del(*p);
    }
    if (c.verb == "deleteall" || c.verb == "flush") {
        auto f = parse_policy_filter(t, c.preferred);
        if (!f) return f.error();
        spd.remove_if([&](const XfrmPolicy& p) { return f->matches(p); });
        return {};
    }
    if (c.verb == "setdefault") return apply_setdefault(spd, t);
    return unsupported("\"ip xfrm policy " + c.verb + "\"", c.verb);
}

}  // namespace

ws::Status apply_xfrm(Model& m, const std::vector<std::string_view>& words) {
    auto c = split_xfrm_command(words);
    if (!c) return c.error();
    const char* object = c->object == XfrmObject::kState ? "state" : "policy";
    if (is_xfrm_query_verb(c->verb))
        return plain(Errc::kInvalid, "\"ip xfrm " + std::string(object) + " " + c->verb + "\" is a query, not a change", c->verb);
    return c->object == XfrmObject::kState ? apply_state(m.sad, *c) : apply_policy(m.spd, *c);
}

}  // namespace ctl
