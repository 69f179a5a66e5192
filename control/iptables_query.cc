#include "control/iptables_query.h"

#include <cstdio>

#include "common/tokens.h"
#include "control/grammar/iptables_grammar.h"
#include "control/grammar/iptables_words.h"

namespace ctl {

using ipt_words::cat;

namespace {

QueryOutput fail(int status, const std::string& msg) {
    QueryOutput q;
    q.status = status;
    q.err_text = msg;
    q.err = msg + "\n";
    return q;
}

// printf("%-Ns") and printf("%Ns").
std::string left(std::string_view s, size_t w) {
    std::string out(s);
    if (out.size() < w) out.append(w - out.size(), ' ');
    return out;
}

std::string hex(const char* fmt, unsigned v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

// --- the extensions' print() functions (numeric) ---------------------------------------------

// print_ports() of libxt_tcp/udp/sctp: "spt:N", "spts:N:M", "!" after the colon when inverted.
void print_ports(std::string& out, const char* name, const IptPortRange& r, bool inv) {
    if (r.is_any() && !inv) return;
    out += std::string(" ") + name;
    if (r.min == r.max) out += std::string(":") + (inv ? "!" : "") + std::to_string(r.min);
    else out += std::string("s:") + (inv ? "!" : "") + std::to_string(r.min) + ":" + std::to_string(r.max);
}

void print_match(std::string& out, const IptMatch& m) {
    if (const auto* p = std::get_if<IptPortsMatch>(&m)) {
        out += std::string(" ") + std::string(ipt_match_name(m));
        const bool sctp = p->proto == 132;
        if (!sctp || p->sport_given) print_ports(out, "spt", p->sport, p->inv_sport);
        if (!sctp || p->dport_given) print_ports(out, "dpt", p->dport, p->inv_dport);
    } else if (const auto* i = std::get_if<IptIcmpMatch>(&m)) {
        out += i->v6 ? " ipv6-icmp" : " icmp";
        if (i->invert) out += " !";
        out += cat({"type ", std::to_string(i->type)});
        if (i->code_min == i->code_max) out += cat({" code ", std::to_string(i->code_min)});
        else if (i->code_min != 0 || i->code_max != 0xff)
            out += cat({" codes ", std::to_string(i->code_min), "-", std::to_string(i->code_max)});
    } else if (const auto* mp = std::get_if<IptMultiportMatch>(&m)) {
        out += " multiport ";
        out += mp->dir == IptMultiportMatch::Dir::kSource ? "sports " : mp->dir == IptMultiportMatch::Dir::kDestination ? "dports " : "ports ";
        if (mp->invert) out += " !";
        for (size_t k = 0; k < mp->ports.size(); ++k) {
            if (k) out += ',';
            out += std::to_string(mp->ports[k].min);
            if (mp->ports[k].max != mp->ports[k].min) out += cat({":", std::to_string(mp->ports[k].max)});
        }
    } else if (const auto* mk = std::get_if<IptMarkMatch>(&m)) {
        out += " mark match";
        if (mk->invert) out += " !";
        out += hex(" 0x%x", mk->mark);
        if (mk->mask != 0xffffffffu) out += hex("/0x%x", mk->mask);
    } else if (const auto* ds = std::get_if<IptDscpMatch>(&m)) {
        out += std::string(" DSCP match ") + (ds->invert ? "!" : "") + hex("0x%02x", ds->dscp);
    } else if (const auto* tos = std::get_if<IptTosMatch>(&m)) {
        out += std::string(" tos match") + (tos->invert ? "!" : "") + hex("0x%02x", tos->value) + hex("/0x%02x", tos->mask);
    } else if (const auto* len = std::get_if<IptLengthMatch>(&m)) {
        out += std::string(" length ") + (len->invert ? "!" : "") + std::to_string(len->min);
        if (len->min != len->max) out += cat({":", std::to_string(len->max)});
    } else {
        const auto& s = std::get<IptStringMatch>(m);
        // print_string()/print_hex_string() open with a blank of their own: "match  \"foo\"".
        out += cat({" STRING match ", s.invert ? "!" : "", " ", ipt_words::string_pattern_text(s.pattern).first});
        out += " ALGO name " + s.algo;
        if (s.from != 0) out += cat({" FROM ", std::to_string(s.from)});
        if (s.to != 0xffff) out += cat({" TO ", std::to_string(s.to)});
        if (s.icase) out += " ICASE";
    }
}

void print_target(std::string& out, const IptTarget& t) {
    switch (t.kind) {
    case IptTargetKind::kMark:
        // mark_tg_print(): the mnemonic form of (value, mask).
        if (t.mark_value == 0) out += hex(" MARK and 0x%x", ~t.mark_mask);
        else if (t.mark_value == t.mark_mask) out += hex(" MARK or 0x%x", t.mark_value);
        else if (t.mark_mask == 0) out += hex(" MARK xor 0x%x", t.mark_value);
        else if (t.mark_mask == 0xffffffffu) out += hex(" MARK set 0x%x", t.mark_value);
        else out += hex(" MARK xset 0x%x", t.mark_value) + hex("/0x%x", t.mark_mask);
        return;
    case IptTargetKind::kDscp: out += hex(" DSCP set 0x%02x", t.dscp); return;
    case IptTargetKind::kReject: out += " reject-with " + std::string(ipt_words::reject_name(t.reject)); return;
    case IptTargetKind::kNone:
    case IptTargetKind::kAccept:
    case IptTargetKind::kDrop:
    case IptTargetKind::kReturn:
    case IptTargetKind::kJump:
    case IptTargetKind::kGoto: return;  // the target column says it all
    }
}

std::string target_name(const IptTarget& t) {
    switch (t.kind) {
    case IptTargetKind::kNone: return "";
    case IptTargetKind::kAccept: return "ACCEPT";
    case IptTargetKind::kDrop: return "DROP";
    case IptTargetKind::kReturn: return "RETURN";
    case IptTargetKind::kJump:
    case IptTargetKind::kGoto: return t.chain;
    case IptTargetKind::kMark: return "MARK";
    case IptTargetKind::kDscp: return "DSCP";
    case IptTargetKind::kReject: return "REJECT";
    }
    return "";
}

std::string list_header(const IptChain& c, const IptTableState& ts, const IptListFormat& f, IptCounters policy) {
    std::string out = "Chain " + c.name;
    if (c.builtin) {
        out += std::string(" (policy ") + (c.policy == IptPolicy::kDrop ? "DROP" : "ACCEPT");
        if (f.verbose)
            out += cat({" ", ipt_number(policy.packets, f.exact, true), "packets, ", ipt_number(policy.bytes, f.exact, true), "bytes"});
        out += ")\n";
    } else {
        out += cat({" (", std::to_string(ts.references(c.name)), " references)\n"});
    }
    if (f.line_numbers) out += "num  ";
    if (f.verbose) out += f.exact ? "    pkts      bytes " : " pkts bytes ";
    out += "target    ";
    out += " prot opt";
    if (f.verbose) out += " in     out    ";
    out += " source              ";
    out += " destination         \n";
    return out;
}

IptCounters rule_counters(const IptCounterSource& src, const IptRule& r) { return src.rule ? src.rule(r.id) : IptCounters{}; }

std::string ipt_prog(ws::Family f) { return f == ws::Family::kInet6 ? "ip6tables" : "iptables"; }

QueryOutput list_rules(const Model& m, const IptCommand& c, const IptCounterSource& counters) {
    const IptTableState& ts = m.firewall.table(c.family, c.table);
    QueryOutput q;
    auto save = [&](std::string_view chain, const IptRule& r) {
        if (!c.verbose) return format_rule_save(chain, r) + "\n";
        const IptCounters k = rule_counters(counters, r);
        return format_rule_save(chain, r, k.packets, k.bytes) + "\n";
    };
    auto policy_line = [&](const IptChain& ch) {
        std::string line = "-P " + ch.name + (ch.policy == IptPolicy::kDrop ? " DROP" : " ACCEPT");
        if (c.verbose) {
            IptCounters k;
            for (IptHook h : ipt_builtin_chains(c.table))
                if (ipt_hook_name(h) == ch.name && counters.policy) k = counters.policy(c.family, c.table, h);
            line += cat({" -c ", std::to_string(k.packets), " ", std::to_string(k.bytes)});
        }
        return line + "\n";
    };
    if (!c.chain.empty()) {
        const IptChain* ch = ts.find(c.chain);
        if (!ch)
            return fail(1, "chain `" + c.chain + "' in table `" + std::string(ipt_table_name(c.table)) +
                               "' is incompatible, use 'nft' tool.");
        if (c.rulenum) {
            if (c.rulenum <= ch->rules.size()) q.out = save(ch->name, ch->rules[c.rulenum - 1]);
            return q;
        }
        q.out = ch->builtin ? policy_line(*ch) : "-N " + ch->name + "\n";
        for (const auto& r : ch->rules) q.out += save(ch->name, r);
        return q;
    }
    for (const auto& ch : ts.builtin) q.out += policy_line(ch);
    for (const auto& [name, ch] : ts.user) q.out += "-N " + name + "\n";
    for (const IptChain* ch : ts.chains())
        for (const auto& r : ch->rules) q.out += save(ch->name, r);
    return q;
}

QueryOutput list_entries(const Model& m, const IptCommand& c, const IptCounterSource& counters) {
    const IptTableState& ts = m.firewall.table(c.family, c.table);
    if (!c.numeric && (c.chain.empty() || ts.find(c.chain)))
        return fail(2, "wildside lists numerically only (it does not resolve names): add -n, as in `" + ipt_prog(c.family) +
                           " -L -n'");
    const IptListFormat f{c.verbose, c.exact, c.line_numbers};
    auto policy_of = [&](const IptChain& ch) {
        IptCounters k;
        if (ch.builtin && counters.policy)
            for (IptHook h : ipt_builtin_chains(c.table))
                if (ipt_hook_name(h) == ch.name) k = counters.policy(c.family, c.table, h);
        return k;
    };
    QueryOutput q;
    std::vector<const IptChain*> chains;
    if (!c.chain.empty()) {
        const IptChain* ch = ts.find(c.chain);
        if (!ch)
            return fail(1, "chain `" + c.chain + "' in table `" + std::string(ipt_table_name(c.table)) +
                               "' is incompatible, use 'nft' tool.");
        if (c.rulenum) {
            if (c.rulenum <= ch->rules.size())
                q.out = format_rule_list(ch->rules[c.rulenum - 1], c.rulenum, f, rule_counters(counters, ch->rules[c.rulenum - 1]));
            return q;
        }
        chains.push_back(ch);
    } else {
        chains = ts.chains();
    }
    for (size_t k = 0; k < chains.size(); ++k) {
        if (k) q.out += "\n";
        q.out += list_header(*chains[k], ts, f, policy_of(*chains[k]));
        for (size_t i = 0; i < chains[k]->rules.size(); ++i)
            q.out += format_rule_list(chains[k]->rules[i], i + 1, f, rule_counters(counters, chains[k]->rules[i]));
    }
    return q;
}

}  // namespace

std::string ipt_number(uint64_t n, bool exact, bool notable) {
    char buf[32];
    if (exact) {
        std::snprintf(buf, sizeof buf, notable ? "%llu " : "%8llu ", static_cast<unsigned long long>(n));
        return buf;
    }
    if (n <= 99999) {
        std::snprintf(buf, sizeof buf, notable ? "%llu " : "%5llu ", static_cast<unsigned long long>(n));
        return buf;
    }
    const char* suffix = "KMGT";
    n = (n + 500) / 1000;
    int s = 0;
    while (n > 9999 && s < 3) {
        n = (n + 500) / 1000;
        ++s;
    }
    std::snprintf(buf, sizeof buf, notable ? "%llu%c " : "%4llu%c ", static_cast<unsigned long long>(n), suffix[s]);
    return buf;
}

std::string format_rule_list(const IptRule& r, size_t num, const IptListFormat& f, IptCounters c) {
    std::string out;
    if (f.line_numbers) out += left(std::to_string(num), 4) + " ";
    if (f.verbose) out += ipt_number(c.packets, f.exact, false) + ipt_number(c.bytes, f.exact, false);
    out += left(target_name(r.target), 9) + " ";
    out += (r.inv & kInvProto) ? '!' : ' ';
    out += left(std::to_string(r.proto), 5);
    out += (r.inv & kInvFrag) ? '!' : '-';
    out += r.frag ? 'f' : '-';
    out += ' ';
    if (f.verbose) {
        auto iface = [](const std::string& name, bool inv) { return std::string(inv ? "!" : "") + (name.empty() ? "*" : name); };
        out += cat({" ", left(iface(r.iif, r.inv & kInvIif), 6), " "});
        out += left(iface(r.oif, r.inv & kInvOif), 6) + " ";
    }
    out += (r.inv & kInvSrc) ? '!' : ' ';
    out += left(r.src.format() + ipt_words::mask_suffix(r.smsk), 19) + " ";
    out += (r.inv & kInvDst) ? '!' : ' ';
    out += left(r.dst.format() + ipt_words::mask_suffix(r.dmsk), 19) + " ";
    if (r.target.kind == IptTargetKind::kGoto) out += "[goto] ";
    for (const auto& m : r.match_list) print_match(out, m);
    print_target(out, r.target);
    return out + "\n";
}

QueryOutput iptables_query(const Model& m, const std::vector<std::string_view>& words, const IptCounterSource& counters) {
    auto c = parse_iptables(m.firewall, words);
    if (!c) return fail(c.error().code == ws::Errc::kNotFound ? 1 : 2, c.error().message);
    switch (c->kind) {
    case IptCommandKind::kListRules: return list_rules(m, *c, counters);
    case IptCommandKind::kList: return list_entries(m, *c, counters);
    case IptCommandKind::kCheck:
        for (const auto& r : c->rules) {
            auto st = m.firewall.check(c->family, c->table, c->chain, r);
            if (!st) return fail(1, st.error().message);
        }
        return {};
    case IptCommandKind::kAppend:
    case IptCommandKind::kDelete:
    case IptCommandKind::kDeleteNum:
    case IptCommandKind::kInsert:
    case IptCommandKind::kReplace:
    case IptCommandKind::kFlush:
    case IptCommandKind::kNewChain:
    case IptCommandKind::kDeleteChain:
    case IptCommandKind::kRenameChain:
    case IptCommandKind::kSetPolicy: break;
    }
    return fail(2, ipt_prog(c->family) + " changes are not queries: apply them to a running wildside");
}

}  // namespace ctl
