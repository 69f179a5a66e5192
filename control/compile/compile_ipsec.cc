#include "control/compile/compile_ipsec.h"

#include <algorithm>

#include "control/compile/compile_spd.h"
#include "crypto/sa_crypto.h"

namespace ctl {

using ws::Errc;

ws::Result<SaRegistry::Entry> SaRegistry::get(const XfrmState& s) {
    const crypto::SecureKey* k = s.sa.key.get();
    used_[k] = true;
    if (auto it = map_.find(k); it != map_.end()) {
        it->second.rt->set_limits(s.sa.limits);
        return it->second;
    }
    auto c = crypto::SaCrypto::make(s.sa);
    if (!c) return c.error();
    Entry e{s.sa.key, std::move(*c), std::make_shared<crypto::SaRuntime>(s.sa)};
    map_.emplace(k, e);
    return e;
}

void SaRegistry::sweep() {
    for (auto it = map_.begin(); it != map_.end();) {
        if (used_.count(it->first)) ++it;
        else it = map_.erase(it);
    }
    used_.clear();
}

namespace {

bool is_zero_addr(const ws::InetAddr& a) { return !a.valid() || a.is_zero(); }

// Whether SA s can serve template t of a policy with if_id `if_id` (xfrm_state_find's match,
// the addresses aside).
bool sa_fits(const XfrmState& s, const XfrmTmpl& t, uint32_t if_id) {
    return t.proto == kXfrmProtoEsp && s.sa.mode == t.mode && (!t.reqid || s.sa.reqid == t.reqid) &&
           (!t.spi || s.sa.spi == t.spi) && s.sa.if_id == if_id;
}

dp::PolicyTmpl tmpl_of(const XfrmTmpl& t) {
    dp::PolicyTmpl o;
    o.src = t.src;
    o.dst = t.dst;
    o.spi = t.spi;
    o.reqid = t.reqid;
    o.mode = t.mode;
    o.optional = t.optional;
    o.esp = t.proto == kXfrmProtoEsp;
    return o;
}

dp::PolicyEntry policy_entry(const XfrmPolicy& p, XfrmDir dir, const std::vector<const XfrmState*>& sas) {
    dp::PolicyEntry e;
    e.if_id = p.if_id;
    for (const auto& t : p.tmpls) e.tmpls.push_back(tmpl_of(t));
    if (p.action == XfrmAction::kBlock) {
        e.action = dp::PolicyAction::kDiscard;
        return e;
    }
    if (p.tmpls.empty()) {
        e.action = dp::PolicyAction::kBypass;
        return e;
    }
    e.action = dp::PolicyAction::kProtect;
    if (dir != XfrmDir::kOut) return e;
    const XfrmTmpl& t = p.tmpls[0];
    if (p.tmpls.size() != 1 || t.proto != kXfrmProtoEsp) {
        e.action = dp::PolicyAction::kUnsupported;
        return e;
    }
    // Transport templates usually name no addresses: the packet's own pick the SA.
    e.per_flow = is_zero_addr(t.dst);
    for (uint32_t i = 0; i < sas.size(); ++i) {  // newest first, as xfrm_state_find prefers
        const XfrmState& s = *sas[i];
        if (!sa_fits(s, t, p.if_id)) continue;
        if (e.per_flow) {
            e.candidates.push_back(i);
        } else if (s.sa.dst == t.dst && (is_zero_addr(t.src) || s.sa.src == t.src)) {
            e.sa = i;
            break;
        }
    }
    return e;
}

dp::SaEntry sa_entry(const XfrmState& s, const SaRegistry::Entry& r) {
    dp::SaEntry e;
    e.crypto = r.crypto;
    e.rt = r.rt;
    e.src = s.sa.src;
    e.dst = s.sa.dst;
    e.spi = s.sa.spi;
    e.reqid = s.sa.reqid;
    e.if_id = s.sa.if_id;
    e.mark_v = s.sa.mark;
    e.mark_m = s.sa.mark_mask;
    e.mode = s.sa.mode;
    e.natt = s.sa.natt;
    e.natt_sport = s.sa.natt_sport;
    e.natt_dport = s.sa.natt_dport;
    e.flags = uint8_t((s.flags & kStateNoEcn ? dp::kSaNoEcn : 0) | (s.flags & kStateDecapDscp ? dp::kSaDecapDscp : 0));
    e.extra_flags = s.extra_flags & kXflagDontEncapDscp ? dp::kSaDontEncapDscp : 0;
    e.sel_family = s.sel.family;
    XfrmPolicy p;
    p.sel = s.sel;
    e.sel = spd_rule_of(p, 0);
    return e;
}

bool owns_address(const Model& m, const ws::InetAddr& a) {
    for (const auto& l : m.ifs.links)
        for (const auto& x : l.addrs)
            if (x.local == a) return true;
    return false;
}

}  // namespace

ws::Result<std::unique_ptr<dp::IpsecTables>> compile_ipsec(const Model& m, SaRegistry& reg) {
    auto t = std::make_unique<dp::IpsecTables>();
    t->natt_ports.push_back(4500);
    const std::vector<const XfrmState*> sas = m.sad.dump();  // newest first
    for (const XfrmState* s : sas) {
        auto r = reg.get(*s);
        if (!r) return r.error();
        t->sas.push_back(sa_entry(*s, *r));
        if (s->sa.natt && owns_address(m, s->sa.dst) &&
            std::find(t->natt_ports.begin(), t->natt_ports.end(), s->sa.natt_dport) == t->natt_ports.end())
            t->natt_ports.push_back(s->sa.natt_dport);
    }
    t->index();
    // Roaming: an inbound SA with `extra-flag roam` teaches the outbound SA back to the same
    // peer (the newest, as templates resolve) the address its packets come from.
    for (size_t i = 0; i < sas.size(); ++i) {
        if (!(sas[i]->extra_flags & kXflagRoam)) continue;
        const dp::SaEntry& in = t->sas[i];
        for (size_t j = 0; j < t->sas.size(); ++j) {
            const dp::SaEntry& o = t->sas[j];
            if (j != i && o.src == in.dst && o.dst == in.src && o.reqid == in.reqid && o.if_id == in.if_id) {
                t->sas[i].roam_out = uint32_t(j);
                break;
            }
        }
    }
    for (size_t d = 0; d < kXfrmDirs; ++d) {
        const XfrmDir dir = XfrmDir(d);
        dp::SpdDirection& out = t->spd[d];
        out.block_default = m.spd.default_action(dir) == XfrmAction::kBlock;
        std::vector<dp::SpdRule> v4, v6;
        for (const XfrmPolicy* p : m.spd.ordered(dir)) {
            const uint32_t index = uint32_t(out.policies.size());
            out.policies.push_back(policy_entry(*p, dir, sas));
            // A policy of no family (an af-unspec selector) matches flows of both.
            const ws::Family f = p->sel.family;
            if (f != ws::Family::kInet6) {
                XfrmPolicy q = *p;
                if (f == ws::Family::kNone) q.sel = XfrmSelector::any(ws::Family::kInet);
                v4.push_back(spd_rule_of(q, index));
            }
            if (f != ws::Family::kInet) {
                XfrmPolicy q = *p;
                if (f == ws::Family::kNone) q.sel = XfrmSelector::any(ws::Family::kInet6);
                v6.push_back(spd_rule_of(q, index));
            }
        }
        if (!v4.empty()) {
            auto tab = dp::SpdTable::build(ws::Family::kInet, v4);
            if (!tab) return tab.error();
            out.v4 = std::move(*tab);
        }
        if (!v6.empty()) {
            auto tab = dp::SpdTable::build(ws::Family::kInet6, v6);
            if (!tab) return tab.error();
            out.v6 = std::move(*tab);
        }
    }
    for (size_t i = 0; i < m.specs.size() && i < m.ifs.links.size(); ++i)
        if (m.specs[i].kind == "xfrm") t->xfrm_ifaces.emplace_back(m.specs[i].if_id, m.ifs.links[i].ifindex);
    reg.sweep();
    return t;
}

}  // namespace ctl
