#include "control/grammar/xfrm_grammar.h"

#include "control/grammar/xfrm_words.h"

namespace ctl {

using ws::Errc;
using namespace xfrm_words;

// ---------------------------------------------------------------------------------------------
// ip xfrm policy add|update|delete|get

namespace {

struct PolicyDraft {
    XfrmPolicy p;
    bool dir = false, sel = false, action = false, ptype = false;
    ws::Family preferred = ws::Family::kNone;  // -4/-6
    ws::Family tmpl_family = ws::Family::kNone;  // ip's preferred_family as templates set it
    std::vector<ws::Family> tmpl_families;  // per template, kNone: the policy's
};

ws::Status parse_dir(ws::Tokens& t, PolicyDraft& d) {
    if (d.dir) return duparg("dir", "dir");
    WS_TRY(assign(d.p.dir, xfrm_words::parse_dir(t)));
    d.dir = true;
    return {};
}

ws::Status parse_ptype(ws::Tokens& t, PolicyDraft& d) {
    if (d.ptype) return duparg("ptype", "ptype");
    WS_TRY(xfrm_words::parse_ptype(t));
    d.ptype = true;
    return {};
}

// TMPL := ID [mode MODE] [reqid REQID] [level required|use]   (xfrm_tmpl_parse())
ws::Status parse_tmpl(ws::Tokens& t, PolicyDraft& d) {
    XfrmTmpl tm;
    ws::Family family = d.tmpl_family;
    bool id = false;
    const size_t start = t.position();
    while (!t.done()) {
        std::string_view w = t.peek();
        if (w == "mode" || w == "reqid" || w == "level") {
            t.next();
            if (w == "mode") {
                WS_TRY(assign(tm.mode, parse_mode(t)));
            } else if (w == "reqid") {
                WS_TRY(assign(tm.reqid, value_u32(t, w, "REQID value is invalid")));
            } else {
                auto l = next_arg(t, w);
                if (!l) return l.error();
                if (*l != "required" && *l != "use") return invarg("LEVEL value is invalid", *l);
                tm.optional = *l == "use";
            }
            continue;
        }
        if (id) break;
        id = true;
        auto words = parse_id(t, ws::Family::kNone, IdProto::kRequired);
        if (!words) return words.error();
        WS_TRY(require_esp(words->proto));
        if (words->family() != ws::Family::kNone) family = words->family();
        d.tmpl_family = family;
        tm.proto = words->proto;
        tm.spi = words->spi.value_or(0);
        if (words->src) tm.src = words->src->addr;
        if (words->dst) tm.dst = words->dst->addr;
    }
    if (t.position() == start) return plain(Errc::kInvalid, "Command line is not complete. Try option \"help\"", "tmpl");
    if (!id) return missarg("XFRM-PROTO");
    d.p.tmpls.push_back(tm);
    d.tmpl_families.push_back(family);
    return {};
}

// ip reads any other word as the SELECTOR, once; a word that says nothing of a selector, or
// a second selector, is refused as ip refuses it (duparg() in add, invarg() in delete and get).
enum class Repeat : uint8_t { kDuparg, kInvarg };

ws::Status parse_policy_selector(ws::Tokens& t, std::string_view w, PolicyDraft& d, Repeat repeat) {
    auto again = [&] { return repeat == Repeat::kDuparg ? duparg("unknown", w) : invarg("unknown", w); };
    if (d.sel) return again();
    t.rewind(t.position() - 1);
    const size_t start = t.position();
    auto s = parse_selector(t, d.preferred);
    if (!s) return s.error();
    if (t.position() == start) return again();
    d.p.sel = *s;
    d.sel = true;
    return {};
}

ws::Status parse_policy_word(ws::Tokens& t, std::string_view w, PolicyDraft& d) {
    if (w == "dir") return parse_dir(t, d);
    if (w == "ptype") return parse_ptype(t, d);
    if (w == "tmpl") return parse_tmpl(t, d);
    if (w == "ctx" || w == "index" || w == "limit") return unsupported(quoted(w) + " in a policy", w);
    if (w == "mark") {
        WS_TRY(assign(d.p.mark, parse_mark(t)));
    } else if (w == "action") {
        if (d.action) return duparg("action", w);
        WS_TRY(assign(d.p.action, parse_action(t)));
        d.action = true;
    } else if (w == "priority" || w == "if_id") {
        auto v = value_u32(t, w, w == "priority" ? "PRIORITY value is invalid" : "IF_ID value is invalid");
        if (!v) return v.error();
        (w == "priority" ? d.p.priority : d.p.if_id) = *v;
    } else if (w == "flag") {
        WS_TRY(parse_flags(t, w, kPolicyFlagNames, "FLAG value is invalid", d.p.flags));
    } else {
        return parse_policy_selector(t, w, d, Repeat::kDuparg);
    }
    return {};
}

// The selector's family (its addresses, else -4/-6, else IPv4), the templates' (their
// addresses, else the one before them, else the policy's), then validate_tmpl().
ws::Status settle_policy(PolicyDraft& d) {
    if (!d.dir) return plain(Errc::kInvalid, "Not enough information: DIR is required.");
    const ws::Family f = d.preferred != ws::Family::kNone ? d.preferred : ws::Family::kInet;
    settle_selector_family(d.p.sel, f);
    d.p.mark.v &= d.p.mark.m;  // the kernel keeps a policy's mark value under its mask (seen: 0x15/0xf is 0x5/0xf)
    if (d.p.tmpls.size() > kXfrmMaxDepth)
        return kernel_says(Errc::kInvalid, "Template count must be <= XFRM_MAX_DEPTH (6)", "tmpl");
    ws::Family prev = d.p.sel.family;
    for (size_t i = 0; i < d.p.tmpls.size(); ++i) {
        XfrmTmpl& tm = d.p.tmpls[i];
        const ws::Family tf = d.tmpl_families[i] != ws::Family::kNone ? d.tmpl_families[i] : d.p.sel.family;
        if (tm.mode == crypto::Mode::kTunnel && tm.optional && d.p.dir == XfrmDir::kOut)
            return kernel_says(Errc::kInvalid, "Mode in optional template not allowed in outbound policy", "tmpl");
        if (tm.mode != crypto::Mode::kTunnel && tf != prev)
            return kernel_says(Errc::kInvalid, "Mode in template doesn't support a family change", "tmpl");
        prev = tf;
        if (!tm.src.valid()) tm.src = ws::InetAddr::zero(tf);
        if (!tm.dst.valid()) tm.dst = ws::InetAddr::zero(tf);
    }
    return {};
}

}  // namespace

ws::Result<XfrmPolicy> parse_policy(ws::Tokens& t, ws::Family preferred) {
    PolicyDraft d;
    d.preferred = d.tmpl_family = preferred;
    while (!t.done()) WS_TRY(parse_policy_word(t, t.next(), d));
    WS_TRY(settle_policy(d));
    return std::move(d.p);
}

ws::Result<XfrmPolicy> parse_policy_id(ws::Tokens& t, ws::Family preferred) {
    PolicyDraft d;
    d.preferred = preferred;
    while (!t.done()) {
        std::string_view w = t.next();
        if (w == "dir" || w == "ptype" || w == "mark" || w == "if_id" || w == "ctx" || w == "index")
            WS_TRY(parse_policy_word(t, w, d));
        else
            WS_TRY(parse_policy_selector(t, w, d, Repeat::kInvarg));
    }
    if (!d.dir) return plain(Errc::kInvalid, "Not enough information: DIR is required.");
    if (!d.sel) return plain(Errc::kInvalid, "Not enough information: selector or INDEX is required.");
    // ip sends a mark with delete and get only when value & mask is non-zero; the kernel then
    // wants value and mask as stored (so "mark 0 mask 0xf0" never names a policy).
    if (!(d.p.mark.v & d.p.mark.m)) d.p.mark = {};
    settle_selector_family(d.p.sel, d.preferred != ws::Family::kNone ? d.preferred : ws::Family::kInet);
    return std::move(d.p);
}

}  // namespace ctl
