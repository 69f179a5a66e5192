#include "control/compile/compile_firewall.h"

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>

namespace ctl {

namespace {

std::vector<uint32_t> ifindices(std::string_view pattern, const std::vector<dp::Link>& links) {
    std::vector<uint32_t> out;
    if (iface_matches(pattern, "")) out.push_back(0);  // "+" also matches "no device"
    for (const auto& l : links)
        if (iface_matches(pattern, l.name)) out.push_back(l.ifindex);
    std::sort(out.begin(), out.end());
    return out;
}

// REJECT --reject-with as the ICMP error it sends (net/ipv4/netfilter/ipt_REJECT.c,
// net/ipv6/netfilter/ip6t_REJECT.c).
void reject_of(IptReject r, bool v6, dp::FwRule& out) {
    struct Code {
        uint8_t type, code;
    };
    Code c = v6 ? Code{1, 4} : Code{3, 3};
    switch (r) {
    case IptReject::kNetUnreachable: c = {3, 0}; break;
    case IptReject::kHostUnreachable: c = {3, 1}; break;
    case IptReject::kProtoUnreachable: c = {3, 2}; break;
    case IptReject::kPortUnreachable: c = v6 ? Code{1, 4} : Code{3, 3}; break;
    case IptReject::kNetProhibited: c = {3, 9}; break;
    case IptReject::kHostProhibited: c = {3, 10}; break;
    case IptReject::kAdminProhibited: c = {3, 13}; break;
    case IptReject::kIcmp6NoRoute: c = {1, 0}; break;
    case IptReject::kIcmp6AdmProhibited: c = {1, 1}; break;
    case IptReject::kIcmp6AddrUnreachable: c = {1, 3}; break;
    case IptReject::kIcmp6PortUnreachable: c = {1, 4}; break;
    case IptReject::kIcmp6PolicyFail: c = {1, 5}; break;
    case IptReject::kIcmp6RejectRoute: c = {1, 6}; break;
    case IptReject::kTcpReset:
    case IptReject::kTcpReset6: out.reject_tcp_reset = true; break;
    }
    out.reject_type = c.type;
    out.reject_code = c.code;
}

dp::FwMatch match_of(const IptMatch& m, dp::FwTableSpec& spec) {
    dp::FwMatch o;
    if (const auto* x = std::get_if<IptPortsMatch>(&m)) {
        // As match_packet(): iptables-nft's payload compares, and 1.8.9's one 4-byte compare.
        o.kind = dp::FwMatchKind::kPorts;
        o.native = x->proto != 132 && (!x->sport.is_any() || !x->dport.is_any() || x->inv_sport || x->inv_dport);
        o.combined = x->proto != 132 && x->sport.min && x->sport.min == x->sport.max && x->dport.min &&
                     x->dport.min == x->dport.max && x->inv_sport == x->inv_dport;
        o.lo = x->sport.min, o.hi = x->sport.max, o.lo2 = x->dport.min, o.hi2 = x->dport.max;
        o.invert = x->inv_sport, o.invert2 = x->inv_dport;
    } else if (const auto* x = std::get_if<IptIcmpMatch>(&m)) {
        o.kind = dp::FwMatchKind::kIcmp;
        o.any = !x->v6 && x->type == 0xff;
        o.lo = x->type, o.lo2 = x->code_min, o.hi2 = x->code_max;
        o.invert = x->invert;
    } else if (const auto* x = std::get_if<IptMultiportMatch>(&m)) {
        o.kind = dp::FwMatchKind::kMultiport;
        o.dir = x->dir == IptMultiportMatch::Dir::kSource ? 0 : x->dir == IptMultiportMatch::Dir::kDestination ? 1 : 2;
        for (const auto& r : x->ports)
            if (o.nports < o.ports.size()) o.ports[o.nports++] = {r.min, r.max};
        o.invert = x->invert;
    } else if (const auto* x = std::get_if<IptMarkMatch>(&m)) {
        o.kind = dp::FwMatchKind::kMark;
        o.value = x->mark, o.mask = x->mask, o.invert = x->invert;
    } else if (const auto* x = std::get_if<IptDscpMatch>(&m)) {
        o.kind = dp::FwMatchKind::kDscp;
        o.value = x->dscp, o.invert = x->invert;
    } else if (const auto* x = std::get_if<IptTosMatch>(&m)) {
        o.kind = dp::FwMatchKind::kTos;
        o.value = x->value, o.mask = x->mask, o.invert = x->invert;
    } else if (const auto* x = std::get_if<IptLengthMatch>(&m)) {
        o.kind = dp::FwMatchKind::kLength;
        o.lo = x->min, o.hi = x->max, o.invert = x->invert;
    } else {
        const auto& s = std::get<IptStringMatch>(m);
        o.kind = dp::FwMatchKind::kString;
        o.value = uint32_t(spec.strings.size());
        o.invert = s.invert;
        spec.strings.push_back(sel::PayloadPattern{s.pattern, s.from, s.to, s.icase, o.value});
    }
    return o;
}

dp::FwTarget target_of(IptTargetKind k) {
    switch (k) {
    case IptTargetKind::kNone: return dp::FwTarget::kNone;
    case IptTargetKind::kAccept: return dp::FwTarget::kAccept;
    case IptTargetKind::kDrop: return dp::FwTarget::kDrop;
    case IptTargetKind::kReturn: return dp::FwTarget::kReturn;
    case IptTargetKind::kJump: return dp::FwTarget::kJump;
    case IptTargetKind::kGoto: return dp::FwTarget::kGoto;
    case IptTargetKind::kMark: return dp::FwTarget::kMark;
    case IptTargetKind::kDscp: return dp::FwTarget::kDscp;
    case IptTargetKind::kReject: return dp::FwTarget::kReject;
    }
    return dp::FwTarget::kNone;
}

}  // namespace

ws::Status attach_firewall(dp::Snapshot& s, const Firewall& fw, const std::vector<dp::Link>& links, unsigned workers) {
    auto tables = compile_firewall(fw, links, workers);
    if (!tables) return tables.error();
    s.fw = std::move(*tables);
    s.fw_any = false;
    for (const auto& t : s.fw) s.fw_any |= bool(t);
    if (!s.fw_any) return {};
    s.fw_scratch.reset(new dp::FwScratch[workers]);
    for (unsigned w = 0; w < workers; ++w) {
        dp::FwScratch& sc = s.fw_scratch[w];
        for (const auto& t : s.fw) {
            if (!t || !t->strings().pattern_count()) continue;
            WS_TRY(sc.hs.reserve(t->strings()));
            sc.words = std::max(sc.words, t->strings().bitmap_words());
        }
        sc.bits.assign(dp::FwScratch::kRows * sc.words, 0);
    }
    return {};
}

IptCounterSource counter_source(const FwTables& tables) {
    // rule id -> (table, slot), built once per listing.
    auto where = std::make_shared<std::unordered_map<uint64_t, std::pair<const dp::FwTable*, size_t>>>();
    for (const auto& t : tables)
        if (t)
            for (size_t s = 0; s < t->slots(); ++s) (*where)[t->slot_id(s)] = {t.get(), s};
    IptCounterSource src;
    src.rule = [where](uint64_t id) {
        auto it = where->find(id);
        if (it == where->end()) return IptCounters{};
        const dp::FwTable::Counter c = it->second.first->total(it->second.second);
        return IptCounters{c.packets, c.bytes};
    };
    src.policy = [&tables](ws::Family f, IptTable t, IptHook h) {
        const dp::FwTable* ft = tables[(f == ws::Family::kInet6 ? 2 : 0) + size_t(t)].get();
        if (!ft) return IptCounters{};
        const dp::FwTable::Counter c = ft->total(ft->slots() - dp::kFwHooks + size_t(h));
        return IptCounters{c.packets, c.bytes};
    };
    return src;
}

void carry_counters(const FwTables& from, FwTables& to) {
    for (size_t i = 0; i < from.size(); ++i) {
        if (!from[i] || !to[i]) continue;
        std::unordered_map<uint64_t, dp::FwTable::Counter> old;
        for (size_t s = 0; s < from[i]->slots(); ++s) old[from[i]->slot_id(s)] = from[i]->total(s);
        for (size_t s = 0; s < to[i]->slots(); ++s) {
            auto it = old.find(to[i]->slot_id(s));
            if (it != old.end()) to[i]->add_base(s, it->second);
        }
    }
}

bool table_in_use(const IptTableState& t) {
    for (const IptChain* c : t.chains())
        if (!c->rules.empty() || (c->builtin && c->policy != IptPolicy::kAccept)) return true;
    return false;
}

dp::FwTableSpec firewall_spec(const Firewall& fw, ws::Family f, IptTable t, const std::vector<dp::Link>& links) {
    const IptTableState& ts = fw.table(f, t);
    dp::FwTableSpec spec;
    spec.family = f;
    spec.name = std::string(ipt_table_name(t));
    const std::vector<const IptChain*> chains = ts.chains();
    std::map<std::string, uint32_t, std::less<>> index;
    for (uint32_t i = 0; i < chains.size(); ++i) index[chains[i]->name] = i;
    for (IptHook h : ipt_builtin_chains(t)) {
        auto it = index.find(ipt_hook_name(h));
        if (it == index.end()) continue;
        spec.hook_chain[size_t(h)] = int32_t(it->second);
        spec.policy_drop[size_t(h)] = chains[it->second]->policy == IptPolicy::kDrop;
    }
    const bool v6 = f == ws::Family::kInet6;
    for (const IptChain* c : chains) {
        dp::FwChainSpec cs;
        cs.name = c->name;
        for (const IptRule& r : c->rules) {
            dp::FwRule o;
            o.src = r.src, o.smsk = r.smsk, o.dst = r.dst, o.dmsk = r.dmsk;
            o.inv_src = r.inv & kInvSrc, o.inv_dst = r.inv & kInvDst;
            if (!r.iif.empty()) o.iif_any = false, o.inv_iif = r.inv & kInvIif, o.iifs = ifindices(r.iif, links);
            if (!r.oif.empty()) o.oif_any = false, o.inv_oif = r.inv & kInvOif, o.oifs = ifindices(r.oif, links);
            o.proto = r.proto, o.inv_proto = r.inv & kInvProto;
            o.frag = r.frag, o.inv_frag = r.inv & kInvFrag;
            for (const IptMatch& m : r.match_list) o.matches.push_back(match_of(m, spec));
            o.target = target_of(r.target.kind);
            if (o.target == dp::FwTarget::kJump || o.target == dp::FwTarget::kGoto) {
                auto it = index.find(r.target.chain);
                o.chain = it == index.end() ? uint32_t(chains.size()) : it->second;  // build() refuses the latter
            }
            o.mark_v = r.target.mark_value, o.mark_m = r.target.mark_mask;
            o.dscp = r.target.dscp;
            if (o.target == dp::FwTarget::kReject) reject_of(r.target.reject, v6, o);
            o.id = r.id;
            cs.rules.push_back(std::move(o));
        }
        spec.chains.push_back(std::move(cs));
    }
    return spec;
}

ws::Result<FwTables> compile_firewall(const Firewall& fw, const std::vector<dp::Link>& links, unsigned workers) {
    FwTables out;
    for (ws::Family f : {ws::Family::kInet, ws::Family::kInet6})
        for (size_t t = 0; t < kIptTables; ++t) {
            if (!table_in_use(fw.table(f, IptTable(t)))) continue;
            auto built = dp::FwTable::build(firewall_spec(fw, f, IptTable(t), links), workers);
            if (!built) return built.error();
            out[(f == ws::Family::kInet6 ? 2 : 0) + t] = std::move(*built);
        }
    return out;
}

}  // namespace ctl
