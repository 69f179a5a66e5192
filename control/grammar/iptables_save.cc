// The input form of a rule: what `iptables -S` prints (iptables-nft's rule save: addresses,
// interfaces, protocol, each match's save(), the target's save()); it reads back as the rule.
#include <cstdio>
#include <string>
#include <utility>

#include "control/grammar/iptables_grammar.h"
#include "control/grammar/iptables_words.h"

namespace ctl {

using ipt_words::cat;

namespace {

void save_addr(std::string& out, char letter, const ws::InetAddr& a, const ws::InetAddr& m, bool inv) {
    if (m.is_zero() && !inv && a.is_zero()) return;
    out += inv ? " ! -" : " -";
    out += letter;
    out += cat({" ", a.format(), ipt_words::mask_suffix_save(m)});
}

void save_ports(std::string& out, const char* opt, const IptPortRange& r, bool inv, bool given, bool sctp) {
    if (sctp ? !given : r.is_any()) return;
    if (inv) out += " !";
    out += cat({" --", opt, " ", std::to_string(r.min)});
    if (r.min != r.max) out += cat({":", std::to_string(r.max)});
}

std::string hex_u32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

std::string hex02(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", v);
    return buf;
}

void save_match(std::string& out, const IptMatch& m) {
    out += " -m ";
    out += ipt_match_name(m);
    if (const auto* p = std::get_if<IptPortsMatch>(&m)) {
        save_ports(out, "sport", p->sport, p->inv_sport, p->sport_given, p->proto == 132);
        save_ports(out, "dport", p->dport, p->inv_dport, p->dport_given, p->proto == 132);
    } else if (const auto* i = std::get_if<IptIcmpMatch>(&m)) {
        if (i->invert) out += " !";
        if (!i->v6 && i->type == 0xff) {
            out += " --icmp-type any";
        } else {
            out += std::string(i->v6 ? " --icmpv6-type " : " --icmp-type ") + std::to_string(i->type);
            if (i->code_min != 0 || i->code_max != 0xff) out += cat({"/", std::to_string(i->code_min)});
        }
    } else if (const auto* mp = std::get_if<IptMultiportMatch>(&m)) {
        if (mp->invert) out += " !";
        out += mp->dir == IptMultiportMatch::Dir::kSource ? " --sports " : mp->dir == IptMultiportMatch::Dir::kDestination ? " --dports " : " --ports ";
        for (size_t k = 0; k < mp->ports.size(); ++k) {
            if (k) out += ',';
            out += std::to_string(mp->ports[k].min);
            if (mp->ports[k].max != mp->ports[k].min) out += cat({":", std::to_string(mp->ports[k].max)});
        }
    } else if (const auto* mk = std::get_if<IptMarkMatch>(&m)) {
        if (mk->invert) out += " !";
        out += cat({" --mark ", hex_u32(mk->mark)});
        if (mk->mask != 0xffffffffu) out += cat({"/", hex_u32(mk->mask)});
    } else if (const auto* ds = std::get_if<IptDscpMatch>(&m)) {
        out += cat({ds->invert ? " !" : "", " --dscp ", hex02(ds->dscp)});
    } else if (const auto* tos = std::get_if<IptTosMatch>(&m)) {
        if (tos->invert) out += " !";
        out += cat({" --tos ", hex02(tos->value), "/", hex02(tos->mask)});
    } else if (const auto* len = std::get_if<IptLengthMatch>(&m)) {
        out += cat({len->invert ? " !" : "", " --length ", std::to_string(len->min)});
        if (len->min != len->max) out += cat({":", std::to_string(len->max)});
    } else {
        const auto& s = std::get<IptStringMatch>(m);
        auto [text, hex] = ipt_words::string_pattern_text(s.pattern);
        out += std::string(s.invert ? " !" : "") + (hex ? " --hex-string " : " --string ") + text;
        out += " --algo " + s.algo;
        if (s.from != 0) out += cat({" --from ", std::to_string(s.from)});
        if (s.to != 0xffff) out += cat({" --to ", std::to_string(s.to)});
        if (s.icase) out += " --icase";
    }
}

void save_target(std::string& out, const IptTarget& t) {
    switch (t.kind) {
    case IptTargetKind::kNone: return;
    case IptTargetKind::kAccept: out += " -j ACCEPT"; return;
    case IptTargetKind::kDrop: out += " -j DROP"; return;
    case IptTargetKind::kReturn: out += " -j RETURN"; return;
    case IptTargetKind::kJump: out += " -j " + t.chain; return;
    case IptTargetKind::kGoto: out += " -g " + t.chain; return;
    case IptTargetKind::kMark: out += cat({" -j MARK --set-xmark ", hex_u32(t.mark_value), "/", hex_u32(t.mark_mask)}); return;
    case IptTargetKind::kDscp: out += cat({" -j DSCP --set-dscp ", hex02(t.dscp)}); return;
    case IptTargetKind::kReject: out += cat({" -j REJECT --reject-with ", ipt_words::reject_name(t.reject)}); return;
    }
}

// The spec in two parts: addresses, interfaces, protocol and matches; then the target.
std::pair<std::string, std::string> rule_parts(const IptRule& r) {
    std::string out;
    save_addr(out, 's', r.src, r.smsk, r.inv & kInvSrc);
    save_addr(out, 'd', r.dst, r.dmsk, r.inv & kInvDst);
    if (!r.iif.empty()) out += std::string(r.inv & kInvIif ? " ! -i " : " -i ") + r.iif;
    if (!r.oif.empty()) out += std::string(r.inv & kInvOif ? " ! -o " : " -o ") + r.oif;
    if (r.proto) {
        auto name = ipt_words::protocol_name(r.proto);
        out += std::string(r.inv & kInvProto ? " ! -p " : " -p ") + (name ? *name : std::to_string(r.proto));
    }
    if (r.frag) out += r.inv & kInvFrag ? " ! -f" : " -f";
    for (const auto& m : r.match_list) save_match(out, m);
    std::string target;
    save_target(target, r.target);
    return {out, target};
}

}  // namespace

std::string format_rule_spec(const IptRule& r) {
    auto [head, target] = rule_parts(r);
    std::string out = head + target;
    if (!out.empty()) out.erase(0, 1);
    return out;
}

std::string format_rule_save(std::string_view chain, const IptRule& r) {
    auto [head, target] = rule_parts(r);
    return cat({"-A ", chain, head, target});
}

std::string format_rule_save(std::string_view chain, const IptRule& r, uint64_t packets, uint64_t bytes) {
    auto [head, target] = rule_parts(r);
    return cat({"-A ", chain, head, " -c ", std::to_string(packets), " ", std::to_string(bytes), target});
}

}  // namespace ctl
