#include "control/model/firewall_model.h"

#include <algorithm>
#include <functional>
#include <set>

namespace ctl {

using ws::Errc;
using ws::make_error;

namespace {

constexpr IptHook kFilterChains[] = {IptHook::kInput, IptHook::kForward, IptHook::kOutput};
constexpr IptHook kMangleChains[] = {IptHook::kPrerouting, IptHook::kInput, IptHook::kForward, IptHook::kOutput,
                                     IptHook::kPostrouting};

// The kernel's errors as iptables prints them (nft_strerror(), "iptables: " left off).
ws::Error no_chain(std::string_view chain) {
    return make_error(Errc::kNotFound, "No chain/target/match by that name.", std::string(chain));
}

// "RULE_APPEND failed (Invalid argument): rule in chain INPUT", then wildside's reason.
ws::Error rule_failed(Errc code, std::string_view op, std::string_view err, std::string_view chain,
                      std::string_view why, std::string_view token) {
    std::string msg = std::string(op) + " failed (" + std::string(err) + "): rule in chain " + std::string(chain);
    if (!why.empty()) msg += " (" + std::string(why) + ")";
    return make_error(code, std::move(msg), std::string(token));
}

bool masked_equal(const ws::InetAddr& a, const ws::InetAddr& mask, const ws::InetAddr& want) {
    if (a.family != want.family) return false;
    for (unsigned i = 0; i < a.bytes(); ++i)
        if ((a.b[i] & mask.b[i]) != want.b[i]) return false;
    return true;
}

// The kernel's lib/ctype.c: Latin-1 lower case letters are lower too (ts_bm/ts_kmp's toupper()).
uint8_t kernel_toupper(uint8_t c) {
    const bool lower = (c >= 'a' && c <= 'z') || (c >= 0xdf && c <= 0xf6) || c >= 0xf8;
    return lower ? uint8_t(c - ('a' - 'A')) : c;
}

// skb_find_text(): the first occurrence at or after `from` must end at or before `to`; that is
// the same as some occurrence lying wholly in [from, min(to, len)).
bool string_found(const IptStringMatch& s, std::span<const uint8_t> data) {
    const size_t len = data.size();
    const size_t n = s.pattern.size();
    const size_t end = std::min<size_t>(s.to, len);
    if (n == 0 || s.from > end || end - s.from < n) return false;
    for (size_t p = s.from; p + n <= end; ++p) {
        size_t k = 0;
        for (; k < n; ++k) {
            uint8_t a = data[p + k], b = uint8_t(s.pattern[k]);
            if (s.icase) a = kernel_toupper(a), b = kernel_toupper(b);
            if (a != b) break;
        }
        if (k == n) return true;
    }
    return false;
}

bool multiport_hit(const IptMultiportMatch& m, uint16_t src, uint16_t dst) {
    for (const auto& r : m.ports) {
        const bool s = r.contains(src), d = r.contains(dst);
        switch (m.dir) {
        case IptMultiportMatch::Dir::kSource:
            if (s) return true;
            break;
        case IptMultiportMatch::Dir::kDestination:
            if (d) return true;
            break;
        case IptMultiportMatch::Dir::kEither:
            if (s || d) return true;
            break;
        }
    }
    return false;
}

}  // namespace

std::string_view ipt_table_name(IptTable t) { return t == IptTable::kMangle ? "mangle" : "filter"; }

std::string_view ipt_hook_name(IptHook h) {
    switch (h) {
    case IptHook::kPrerouting: return "PREROUTING";
    case IptHook::kInput: return "INPUT";
    case IptHook::kForward: return "FORWARD";
    case IptHook::kOutput: return "OUTPUT";
    case IptHook::kPostrouting: return "POSTROUTING";
    }
    return "";
}

std::span<const IptHook> ipt_builtin_chains(IptTable t) {
    if (t == IptTable::kMangle) return kMangleChains;
    return kFilterChains;
}

std::string_view ipt_match_name(const IptMatch& m) {
    if (const auto* p = std::get_if<IptPortsMatch>(&m)) return p->proto == 17 ? "udp" : p->proto == 132 ? "sctp" : "tcp";
    if (const auto* i = std::get_if<IptIcmpMatch>(&m)) return i->v6 ? "icmp6" : "icmp";
    if (std::holds_alternative<IptMultiportMatch>(m)) return "multiport";
    if (std::holds_alternative<IptMarkMatch>(m)) return "mark";
    if (std::holds_alternative<IptDscpMatch>(m)) return "dscp";
    if (std::holds_alternative<IptTosMatch>(m)) return "tos";
    if (std::holds_alternative<IptLengthMatch>(m)) return "length";
    return "string";
}

bool match_packet(const IptMatch& m, const IptPacket& p) {
    // The xt matches that read the transport header never match a later fragment, inverted or
    // not (xt_tcpudp, xt_sctp, xt_multiport, xt_icmp return false).
    const bool l4 = !p.fragment && p.has_l4;
    if (const auto* x = std::get_if<IptPortsMatch>(&m)) {
        // iptables-nft compiles tcp/udp ports that say something to nft payload compares, and the
        // kernel's fast payload path does not look at the fragment offset: a later fragment's
        // first four bytes are compared as ports. A bare -m tcp/udp (or sctp) stays an xt match.
        const bool native = x->proto != 132 && (!x->sport.is_any() || !x->dport.is_any() || x->inv_sport || x->inv_dport);
        if (!(native ? p.has_l4 : l4)) return false;
        // iptables-nft 1.8.9 compiles a single non-zero source and destination port, both
        // inverted or neither, into one 4-byte compare: `! --sport S ! --dport D` is then
        // "not (S and D)", not "neither S nor D" (fixed after 1.8.9; the kernel runs what
        // 1.8.9 wrote).
        const bool combined = x->proto != 132 && x->sport.min && x->sport.min == x->sport.max && x->dport.min &&
                              x->dport.min == x->dport.max && x->inv_sport == x->inv_dport;
        if (combined) return (p.sport == x->sport.min && p.dport == x->dport.min) != x->inv_sport;
        return (x->sport.contains(p.sport) != x->inv_sport) && (x->dport.contains(p.dport) != x->inv_dport);
    }
    if (const auto* x = std::get_if<IptIcmpMatch>(&m)) {
        if (!l4) return false;
        const bool any = !x->v6 && x->type == 0xff;  // icmp_type_code_match(): 0xff is any type
        const bool hit = any || (p.icmp_type == x->type && p.icmp_code >= x->code_min && p.icmp_code <= x->code_max);
        return hit != x->invert;
    }
    if (const auto* x = std::get_if<IptMultiportMatch>(&m)) return l4 && (multiport_hit(*x, p.sport, p.dport) != x->invert);
    if (const auto* x = std::get_if<IptMarkMatch>(&m)) return ((p.mark & x->mask) == x->mark) != x->invert;
    if (const auto* x = std::get_if<IptDscpMatch>(&m)) return ((p.tos >> 2) == x->dscp) != x->invert;
    if (const auto* x = std::get_if<IptTosMatch>(&m)) return ((p.tos & x->mask) == x->value) != x->invert;
    if (const auto* x = std::get_if<IptLengthMatch>(&m)) return (p.length >= x->min && p.length <= x->max) != x->invert;
    const auto& s = std::get<IptStringMatch>(m);
    return string_found(s, p.data) != s.invert;
}

IptTarget mark_set_xmark(uint32_t value, uint32_t mask) {
    IptTarget t;
    t.kind = IptTargetKind::kMark;
    t.mark_value = value;
    t.mark_mask = mask;
    return t;
}
IptTarget mark_set_mark(uint32_t value, uint32_t mask) { return mark_set_xmark(value, mask | value); }
IptTarget mark_and(uint32_t bits) { return mark_set_xmark(0, ~bits); }
IptTarget mark_or(uint32_t bits) { return mark_set_xmark(bits, bits); }
IptTarget mark_xor(uint32_t bits) { return mark_set_xmark(bits, 0); }

uint32_t apply_mark(const IptTarget& t, uint32_t mark) {
    if (t.kind != IptTargetKind::kMark) return mark;
    return (mark & ~t.mark_mask) ^ t.mark_value;
}

void apply_target(const IptTarget& t, IptPacket& p) {
    if (t.kind == IptTargetKind::kMark) p.mark = apply_mark(t, p.mark);
    // xt_DSCP: ipv4_change_dsfield(iph, XT_DSCP_ECN_MASK... keeps the two ECN bits.
    if (t.kind == IptTargetKind::kDscp) p.tos = uint8_t((p.tos & 0x03) | (t.dscp << 2));
}

bool iface_matches(std::string_view rule_iface, std::string_view name) {
    if (rule_iface.empty()) return true;
    if (rule_iface.back() == '+') {
        rule_iface.remove_suffix(1);
        return name.substr(0, rule_iface.size()) == rule_iface;
    }
    return name == rule_iface;
}

bool IptRule::same_spec(const IptRule& o) const {
    return family == o.family && src == o.src && smsk == o.smsk && dst == o.dst && dmsk == o.dmsk && iif == o.iif &&
           oif == o.oif && proto == o.proto && frag == o.frag && inv == o.inv && match_list == o.match_list &&
           target == o.target;
}

bool IptRule::matches(const IptPacket& p) const {
    if (!smsk.is_zero() || (inv & kInvSrc))
        if (masked_equal(p.src, smsk, src) == bool(inv & kInvSrc)) return false;
    if (!dmsk.is_zero() || (inv & kInvDst))
        if (masked_equal(p.dst, dmsk, dst) == bool(inv & kInvDst)) return false;
    if (!iif.empty() && iface_matches(iif, p.iif) == bool(inv & kInvIif)) return false;
    if (!oif.empty() && iface_matches(oif, p.oif) == bool(inv & kInvOif)) return false;
    if (proto && (p.proto == proto) == bool(inv & kInvProto)) return false;
    if (frag && p.fragment == bool(inv & kInvFrag)) return false;
    for (const auto& m : match_list)
        if (!match_packet(m, p)) return false;
    return true;
}

IptChain* IptTableState::find(std::string_view name) {
    for (auto& c : builtin)
        if (c.name == name) return &c;
    auto it = user.find(std::string(name));
    return it == user.end() ? nullptr : &it->second;
}

const IptChain* IptTableState::find(std::string_view name) const {
    return const_cast<IptTableState*>(this)->find(name);
}

std::vector<const IptChain*> IptTableState::chains() const {
    std::vector<const IptChain*> out;
    for (const auto& c : builtin) out.push_back(&c);
    for (const auto& [name, c] : user) out.push_back(&c);
    return out;
}

size_t IptTableState::references(std::string_view name) const {
    size_t n = 0;
    for (const IptChain* c : chains())
        for (const auto& r : c->rules)
            if ((r.target.kind == IptTargetKind::kJump || r.target.kind == IptTargetKind::kGoto) && r.target.chain == name)
                ++n;
    return n;
}

Firewall::Firewall() {
    for (ws::Family f : {ws::Family::kInet, ws::Family::kInet6})
        for (IptTable t : {IptTable::kFilter, IptTable::kMangle})
            for (IptHook h : ipt_builtin_chains(t)) {
                IptChain c;
                c.name = std::string(ipt_hook_name(h));
                c.builtin = true;
                table(f, t).builtin.push_back(std::move(c));
            }
}

IptChain* Firewall::chain_mut(ws::Family f, IptTable t, std::string_view name) { return table(f, t).find(name); }

// What the kernel refuses when the rule is added (xt_check_match()/xt_check_target(), each
// extension's checkentry, nft's verdict and payload checks), as iptables reports it.
ws::Status Firewall::check_rule(ws::Family f, IptTable t, const IptChain& c, const IptRule& r, std::string_view op) const {
    auto einval = [&](std::string_view why, std::string_view token) {
        return rule_failed(Errc::kInvalid, op, "Invalid argument", c.name, why, token);
    };
    if (((r.inv & kInvSrc) && r.smsk.is_zero()) || ((r.inv & kInvDst) && r.dmsk.is_zero()))
        return einval("an inverted address with a zero mask", "!");
    const bool proto_is = !(r.inv & kInvProto);  // `! -p X` is not X for the kernel's checks
    for (const auto& m : r.match_list) {
        if (const auto* i = std::get_if<IptIcmpMatch>(&m)) {
            const uint8_t want = i->v6 ? 58 : 1;
            if (r.proto != want || !proto_is)
                return einval(std::string(ipt_match_name(m)) + " match needs -p " + (i->v6 ? "icmpv6" : "icmp"), ipt_match_name(m));
        }
        if (const auto* p = std::get_if<IptPortsMatch>(&m); p && p->proto == 132 && (r.proto != 132 || !proto_is))
            return einval("sctp match needs -p sctp", "sctp");
        if (const auto* s = std::get_if<IptStringMatch>(&m)) {
            if (s->algo != "bm" && s->algo != "kmp")
                return rule_failed(Errc::kInvalid, op, "No such file or directory", c.name,
                                   "no textsearch algorithm \"" + s->algo + "\": bm or kmp", s->algo);
            if (s->from > s->to) return einval("--from is past --to", "--from");
            if (s->pattern.empty()) return einval("an empty string", "--string");
        }
    }
    const IptTarget& g = r.target;
    if (g.kind == IptTargetKind::kReject) {
        if (t != IptTable::kFilter) return einval("REJECT is valid only in the filter table", "REJECT");
        const bool reset = g.reject == IptReject::kTcpReset || g.reject == IptReject::kTcpReset6;
        if (reset && (r.proto != 6 || !proto_is)) return einval("tcp-reset needs -p tcp", "tcp-reset");
    }
    if (g.kind == IptTargetKind::kDscp && t != IptTable::kMangle)
        return einval("DSCP is valid only in the mangle table", "DSCP");
    if (g.kind == IptTargetKind::kJump || g.kind == IptTargetKind::kGoto) {
        const IptChain* to = table(f, t).find(g.chain);
        if (!to) return no_chain(g.chain);
        if (to->builtin)
            return rule_failed(Errc::kInvalid, op, "Operation not supported", c.name,
                               "a jump to a built-in chain", g.chain);
    }
    return {};
}

// nft_chain_validate(): from every built-in chain, jumps and gotos may nest 15 deep (the jump
// stack holds 16); a loop reachable from a built-in chain never ends, so it fails the same way.
ws::Status Firewall::check_depth(ws::Family f, IptTable t, std::string_view op, std::string_view chain) const {
    const IptTableState& ts = table(f, t);
    std::map<std::string, size_t> height;  // memo: how deep the jumps below a chain go
    std::set<std::string> on_path;
    constexpr size_t kTooDeep = kIptJumpStackMax;
    std::function<size_t(const IptChain&)> walk = [&](const IptChain& c) -> size_t {
        if (auto it = height.find(c.name); it != height.end()) return it->second;
        if (!on_path.insert(c.name).second) return kTooDeep;  // a loop
        size_t h = 0;
        for (const auto& r : c.rules) {
            if (r.target.kind != IptTargetKind::kJump && r.target.kind != IptTargetKind::kGoto) continue;
            const IptChain* to = ts.find(r.target.chain);
            if (!to) continue;
            h = std::max(h, std::min(kTooDeep, 1 + walk(*to)));
            if (h >= kTooDeep) break;
        }
        on_path.erase(c.name);
        height[c.name] = h;
        return h;
    };
    for (const auto& b : ts.builtin)
        if (walk(b) >= kTooDeep)
            return rule_failed(Errc::kInvalid, op, "Too many links", chain, "jumps nest deeper than 16 chains or loop", chain);
    return {};
}

namespace {

bool jumps(const IptRule& r) { return r.target.kind == IptTargetKind::kJump || r.target.kind == IptTargetKind::kGoto; }

}  // namespace

ws::Status Firewall::append(ws::Family f, IptTable t, std::string_view chain, IptRule r) {
    IptChain* c = chain_mut(f, t, chain);
    if (!c) return no_chain(chain);
    WS_TRY(check_rule(f, t, *c, r, "RULE_APPEND"));
    r.id = next_id_++;
    c->rules.push_back(std::move(r));
    if (jumps(c->rules.back())) {
        auto st = check_depth(f, t, "RULE_APPEND", chain);
        if (!st) {
            c->rules.pop_back();
            return st;
        }
    }
    return {};
}

ws::Status Firewall::insert(ws::Family f, IptTable t, std::string_view chain, size_t pos, IptRule r) {
    IptChain* c = chain_mut(f, t, chain);
    if (!c) return no_chain(chain);
    if (pos < 1 || pos > c->rules.size() + 1)
        return make_error(Errc::kInvalid, "Index of insertion too big.", std::to_string(pos));
    // iptables-nft inserts at N past the last rule by appending (and reports it so).
    const char* op = pos > 1 && pos == c->rules.size() + 1 ? "RULE_APPEND" : "RULE_INSERT";
    WS_TRY(check_rule(f, t, *c, r, op));
    r.id = next_id_++;
    const bool jump = jumps(r);
    c->rules.insert(c->rules.begin() + long(pos - 1), std::move(r));
    if (jump) {
        auto st = check_depth(f, t, op, chain);
        if (!st) {
            c->rules.erase(c->rules.begin() + long(pos - 1));
            return st;
        }
    }
    return {};
}

ws::Status Firewall::replace(ws::Family f, IptTable t, std::string_view chain, size_t pos, IptRule r) {
    IptChain* c = chain_mut(f, t, chain);
    if (!c) return no_chain(chain);
    if (pos < 1 || pos > c->rules.size())
        return make_error(Errc::kInvalid, "Index of replacement too big.", std::to_string(pos));
    WS_TRY(check_rule(f, t, *c, r, "RULE_REPLACE"));
    r.id = next_id_++;
    IptRule old = std::move(c->rules[pos - 1]);
    c->rules[pos - 1] = std::move(r);
    if (jumps(c->rules[pos - 1])) {
        auto st = check_depth(f, t, "RULE_REPLACE", chain);
        if (!st) {
            c->rules[pos - 1] = std::move(old);
            return st;
        }
    }
    return {};
}

ws::Status Firewall::del(ws::Family f, IptTable t, std::string_view chain, const IptRule& spec) {
    IptChain* c = chain_mut(f, t, chain);
    if (c)
        for (auto it = c->rules.begin(); it != c->rules.end(); ++it)
            if (it->same_spec(spec)) {
                c->rules.erase(it);
                return {};
            }
    return make_error(Errc::kNotFound, "Bad rule (does a matching rule exist in that chain?).", std::string(chain));
}

ws::Status Firewall::del_num(ws::Family f, IptTable t, std::string_view chain, size_t pos) {
    IptChain* c = chain_mut(f, t, chain);
    if (!c) return no_chain(chain);
    if (pos < 1 || pos > c->rules.size())
        return make_error(Errc::kNotFound, "Index of deletion too big.", std::to_string(pos));
    c->rules.erase(c->rules.begin() + long(pos - 1));
    return {};
}

ws::Status Firewall::check(ws::Family f, IptTable t, std::string_view chain, const IptRule& spec) const {
    if (const IptChain* c = table(f, t).find(chain))
        for (const auto& r : c->rules)
            if (r.same_spec(spec)) return {};
    return make_error(Errc::kNotFound, "Bad rule (does a matching rule exist in that chain?).", std::string(chain));
}

ws::Status Firewall::flush(ws::Family f, IptTable t, std::optional<std::string_view> chain) {
    IptTableState& ts = table(f, t);
    if (!chain) {
        for (auto& c : ts.builtin) c.rules.clear();
        for (auto& [n, c] : ts.user) c.rules.clear();
        return {};
    }
    IptChain* c = ts.find(*chain);
    if (!c) return no_chain(*chain);
    c->rules.clear();
    return {};
}

ws::Status Firewall::set_policy(ws::Family f, IptTable t, std::string_view chain, IptPolicy p) {
    IptChain* c = chain_mut(f, t, chain);
    if (!c || !c->builtin) return make_error(Errc::kNotFound, "Bad built-in chain name.", std::string(chain));
    c->policy = p;
    return {};
}

ws::Status Firewall::new_chain(ws::Family f, IptTable t, std::string_view chain) {
    IptTableState& ts = table(f, t);
    if (ts.find(chain)) return make_error(Errc::kExists, "Chain already exists.", std::string(chain));
    IptChain c;
    c.name = std::string(chain);
    ts.user.emplace(c.name, std::move(c));
    return {};
}

ws::Status Firewall::delete_chain(ws::Family f, IptTable t, std::optional<std::string_view> chain) {
    IptTableState& ts = table(f, t);
    auto busy = [](std::string_view name) {
        return make_error(Errc::kInvalid, "CHAIN_DEL failed (Device or resource busy): chain " + std::string(name),
                          std::string(name));
    };
    if (!chain) {
        // One nft transaction: every user chain, or none.
        for (const auto& [name, c] : ts.user)
            if (!c.rules.empty() || ts.references(name)) return busy(name);
        ts.user.clear();
        return {};
    }
    auto it = ts.user.find(std::string(*chain));
    if (it == ts.user.end()) {
        // iptables-nft's base chains exist once they hold rules, and cannot go then.
        if (const IptChain* c = ts.find(*chain); c && !c->rules.empty()) return busy(*chain);
        return no_chain(*chain);
    }
    if (!it->second.rules.empty() || ts.references(*chain)) return busy(*chain);
    ts.user.erase(it);
    return {};
}

ws::Status Firewall::rename_chain(ws::Family f, IptTable t, std::string_view from, std::string_view to) {
    IptTableState& ts = table(f, t);
    if (ts.find(to)) return make_error(Errc::kExists, "File exists.", std::string(to));
    const IptChain* c = ts.find(from);
    if (!c) return no_chain(from);
    if (c->builtin) return make_error(Errc::kUnsupported, "renaming a built-in chain is not supported", std::string(from));
    auto node = ts.user.extract(std::string(from));
    node.key() = std::string(to);
    node.mapped().name = std::string(to);
    ts.user.insert(std::move(node));
    // nft references chains by handle: the rules that jump there now name the new chain.
    for (auto& b : ts.builtin)
        for (auto& r : b.rules)
            if (jumps(r) && r.target.chain == from) r.target.chain = std::string(to);
    for (auto& [n, uc] : ts.user)
        for (auto& r : uc.rules)
            if (jumps(r) && r.target.chain == from) r.target.chain = std::string(to);
    return {};
}

IptVerdict Firewall::traverse(ws::Family f, IptTable t, IptHook hook, IptPacket& p, std::vector<uint64_t>* hits) const {
    const IptTableState& ts = table(f, t);
    const IptChain* base = ts.find(ipt_hook_name(hook));
    IptVerdict v;
    if (!base) return v;  // the table has no such hook: nothing to do
    auto policy = [&] {
        IptVerdict pv;
        pv.kind = base->policy == IptPolicy::kDrop ? IptVerdict::Kind::kDrop : IptVerdict::Kind::kAccept;
        pv.policy = true;
        return pv;
    };
    struct Frame {
        const IptChain* chain;
        size_t next;
    };
    std::vector<Frame> stack;  // return points of -j only: -g leaves none
    const IptChain* cur = base;
    size_t i = 0;
    for (;;) {
        if (i >= cur->rules.size()) {
            // The end of a chain: the policy for the built-in one, else back to the caller.
            if (cur == base || stack.empty()) return policy();
            cur = stack.back().chain;
            i = stack.back().next;
            stack.pop_back();
            continue;
        }
        const IptRule& r = cur->rules[i];
        if (!r.matches(p)) {
            ++i;
            continue;
        }
        if (hits) hits->push_back(r.id);
        switch (r.target.kind) {
        case IptTargetKind::kNone: ++i; break;
        case IptTargetKind::kMark:
        case IptTargetKind::kDscp:
            apply_target(r.target, p);
            ++i;
            break;
        case IptTargetKind::kAccept: v.kind = IptVerdict::Kind::kAccept; return v;
        case IptTargetKind::kDrop: v.kind = IptVerdict::Kind::kDrop; return v;
        case IptTargetKind::kReject:
            v.kind = IptVerdict::Kind::kReject;
            v.reject = r.target.reject;
            return v;
        case IptTargetKind::kReturn: i = cur->rules.size(); break;
        case IptTargetKind::kJump:
        case IptTargetKind::kGoto: {
            const IptChain* to = ts.find(r.target.chain);
            if (!to || stack.size() >= kIptJumpStackMax) {  // cannot happen: checked when added
                v.kind = IptVerdict::Kind::kDrop;
                return v;
            }
            if (r.target.kind == IptTargetKind::kJump) stack.push_back({cur, i + 1});
            cur = to;
            i = 0;
            break;
        }
        }
    }
}

std::string Firewall::describe() const {
    std::string out;
    for (ws::Family f : {ws::Family::kInet, ws::Family::kInet6}) {
        out += f == ws::Family::kInet ? "iptables:" : "; ip6tables:";
        for (IptTable t : {IptTable::kFilter, IptTable::kMangle}) {
            size_t n = 0;
            for (const IptChain* c : table(f, t).chains()) n += c->rules.size();
            out += std::string(t == IptTable::kFilter ? " " : ", ") + std::string(ipt_table_name(t)) + " " +
                   std::to_string(n) + " rules";
        }
    }
    return out;
}

}  // namespace ctl
