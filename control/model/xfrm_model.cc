#include "control/model/xfrm_model.h"

#include <algorithm>

namespace ctl {

using ws::Errc;
using ws::make_error;

namespace {

void put(std::string& key, const void* p, size_t n) { key.append(static_cast<const char*>(p), n); }

void put_prefix(std::string& key, const ws::InetPrefix& p) {
    put(key, &p.addr.family, 1);
    put(key, p.addr.b.data(), p.addr.b.size());
    put(key, &p.len, 1);
}

// The SAD's hash key: what __xfrm_state_lookup() compares before the mark.
std::string sa_key(const ws::InetAddr& dst, uint8_t proto, uint32_t spi) {
    std::string key;
    put(key, &dst.family, 1);
    put(key, dst.b.data(), dst.b.size());
    put(key, &proto, 1);
    put(key, &spi, sizeof spi);
    return key;
}

// The SPD's identity within a direction: selector_cmp() plus the mark and the if_id.
std::string policy_key(const XfrmPolicy& p) {
    std::string key;
    const XfrmSelector& s = p.sel;
    put(key, &s.family, 1);
    put_prefix(key, s.src);
    put_prefix(key, s.dst);
    const uint16_t ports[] = {s.proto, s.sport, s.sport_mask, s.dport, s.dport_mask};
    put(key, ports, sizeof ports);
    const uint32_t rest[] = {p.mark.v, p.mark.m, p.if_id};
    put(key, rest, sizeof rest);
    return key;
}

// Prefix a contains every address of prefix b (same family).
bool prefix_covers(const ws::InetPrefix& a, const ws::InetPrefix& b) {
    return a.len <= b.len && a.addr.family == b.addr.family && a.contains(b.addr);
}

bool port_covers(uint16_t v, uint16_t mask, uint16_t ov, uint16_t omask) {
    return (mask & ~omask) == 0 && ((v ^ ov) & mask) == 0;
}

ws::Error kernel_error(Errc code, const char* text) { return make_error(code, std::string("RTNETLINK answers: ") + text); }

}  // namespace

XfrmSelector XfrmSelector::any(ws::Family f) {
    XfrmSelector s;
    s.family = f;
    s.src = s.dst = ws::InetPrefix{f == ws::Family::kNone ? ws::InetAddr() : ws::InetAddr::zero(f), 0};
    return s;
}

bool XfrmSelector::is_zero() const {
    return *this == any(ws::Family::kNone);
}

bool XfrmSelector::matches(const sel::FlowKey& k) const {
    // __xfrm4_selector_match(): prefixes, then ports under their masks, then the protocol.
    return k.daddr.family == family && dst.contains(k.daddr) && src.contains(k.saddr) &&
           ((k.sport ^ sport) & sport_mask) == 0 && ((k.dport ^ dport) & dport_mask) == 0 &&
           (proto == 0 || proto == k.proto);
}

bool XfrmSelector::covers(const XfrmSelector& o) const {
    return family == o.family && prefix_covers(src, o.src) && prefix_covers(dst, o.dst) &&
           (proto == 0 || proto == o.proto) && port_covers(sport, sport_mask, o.sport, o.sport_mask) &&
           port_covers(dport, dport_mask, o.dport, o.dport_mask);
}

// ---------------------------------------------------------------------------------------------
// SAD

// __xfrm_state_lookup(): the newest SA of the key whose mark matches (the kernel's hash chain
// holds the newest first), so an SA without a mark answers for any mark not claimed later.
XfrmState* Sad::find(const SaId& id) {
    auto [lo, hi] = index_.equal_range(sa_key(id.dst, id.proto, id.spi));
    XfrmState* found = nullptr;
    for (auto it = lo; it != hi; ++it) {
        XfrmState& s = states_.at(it->second);
        if ((id.mark & s.sa.mark_mask) == s.sa.mark && (!found || s.dump_seq > found->dump_seq)) found = &s;
    }
    return found;
}

const XfrmState* Sad::get(const SaId& id) const { return const_cast<Sad*>(this)->find(id); }

ws::Status Sad::add(XfrmState s) {
    const SaId id{s.sa.dst, kXfrmProtoEsp, s.sa.spi, s.sa.mark & s.sa.mark_mask};
    if (find(id)) return kernel_error(Errc::kExists, "File exists");
    s.dump_seq = next_seq_++;
    index_.emplace(sa_key(id.dst, id.proto, id.spi), s.dump_seq);
    states_.emplace(s.dump_seq, std::move(s));
    return {};
}

ws::Status Sad::update(const XfrmState& s) {
    XfrmState* old = find({s.sa.dst, kXfrmProtoEsp, s.sa.spi, s.sa.mark & s.sa.mark_mask});
    if (!old) return kernel_error(Errc::kNotFound, "No such process");
    if (s.sa.natt != old->sa.natt) return kernel_error(Errc::kInvalid, "Invalid argument");
    if (s.sa.natt) {
        old->sa.natt_sport = s.sa.natt_sport;
        old->sa.natt_dport = s.sa.natt_dport;
        old->encap_oa = s.encap_oa;
    }
    old->sa.limits = s.sa.limits;
    if (s.sa.if_id) old->sa.if_id = s.sa.if_id;
    return {};
}

void Sad::erase(uint64_t seq) {
    const XfrmState& s = states_.at(seq);
    auto [lo, hi] = index_.equal_range(sa_key(s.sa.dst, kXfrmProtoEsp, s.sa.spi));
    for (auto it = lo; it != hi; ++it)
        if (it->second == seq) {
            index_.erase(it);
            break;
        }
    states_.erase(seq);
}

ws::Status Sad::del(const SaId& id) {
    const XfrmState* s = find(id);
    if (!s) return kernel_error(Errc::kNotFound, "No such process");
    erase(s->dump_seq);
    return {};
}

size_t Sad::remove_if(const std::function<bool(const XfrmState&)>& match) {
    std::vector<uint64_t> gone;
    for (const auto& [seq, s] : states_)
        if (match(s)) gone.push_back(seq);
    for (uint64_t seq : gone) erase(seq);
    return gone.size();
}

std::vector<const XfrmState*> Sad::dump() const {
    std::vector<const XfrmState*> out;
    out.reserve(states_.size());
    for (auto it = states_.rbegin(); it != states_.rend(); ++it) out.push_back(&it->second);
    return out;
}

std::string Sad::describe() const { return "sad: " + std::to_string(states_.size()) + " SAs"; }

// ---------------------------------------------------------------------------------------------
// SPD

SpdDisposition XfrmPolicy::disposition() const {
    if (action == XfrmAction::kBlock) return SpdDisposition::kDiscard;
    return tmpls.empty() ? SpdDisposition::kBypass : SpdDisposition::kProtect;
}

bool XfrmPolicy::matches(const sel::FlowKey& k, uint32_t flow_if_id) const {
    return if_id == flow_if_id && mark.matches(k.mark) && sel.matches(k);
}

void Spd::insert(XfrmPolicy p, const Order& at) {
    Direction& d = dirs_[size_t(p.dir)];
    p.seq = at.second;
    p.dump_seq = next_seq_++;
    d.index[policy_key(p)] = at;
    d.list.insert_or_assign(at, std::move(p));
}

ws::Status Spd::add(XfrmPolicy p) {
    if (dirs_[size_t(p.dir)].index.count(policy_key(p))) return kernel_error(Errc::kExists, "File exists");
    const Order at{p.priority, next_seq_++};
    insert(std::move(p), at);
    return {};
}

void Spd::update(XfrmPolicy p) {
    Direction& d = dirs_[size_t(p.dir)];
    auto it = d.index.find(policy_key(p));
    if (it == d.index.end()) {
        (void)add(std::move(p));
        return;
    }
    const Order old = it->second;
    const Order at = old.first == p.priority ? old : Order{p.priority, next_seq_++};
    d.list.erase(old);
    insert(std::move(p), at);
}

const XfrmPolicy* Spd::get(const XfrmPolicy& key) const {
    const Direction& d = dirs_[size_t(key.dir)];
    auto it = d.index.find(policy_key(key));
    return it == d.index.end() ? nullptr : &d.list.at(it->second);
}

ws::Status Spd::del(const XfrmPolicy& key) {
    Direction& d = dirs_[size_t(key.dir)];
    auto it = d.index.find(policy_key(key));
    if (it == d.index.end()) return kernel_error(Errc::kNotFound, "No such file or directory");
    d.list.erase(it->second);
    d.index.erase(it);
    return {};
}

size_t Spd::remove_if(const std::function<bool(const XfrmPolicy&)>& match) {
    size_t n = 0;
    for (Direction& d : dirs_) {
        for (auto it = d.list.begin(); it != d.list.end();) {
            if (!match(it->second)) {
                ++it;
                continue;
            }
            d.index.erase(policy_key(it->second));
            it = d.list.erase(it);
            ++n;
        }
    }
    return n;
}

std::vector<const XfrmPolicy*> Spd::ordered(XfrmDir dir) const {
    std::vector<const XfrmPolicy*> out;
    out.reserve(size(dir));
    for (const auto& [at, p] : dirs_[size_t(dir)].list) out.push_back(&p);
    return out;
}

std::vector<const XfrmPolicy*> Spd::dump() const {
    std::vector<const XfrmPolicy*> out;
    for (const Direction& d : dirs_)
        for (const auto& [at, p] : d.list) out.push_back(&p);
    std::sort(out.begin(), out.end(), [](const XfrmPolicy* a, const XfrmPolicy* b) { return a->dump_seq > b->dump_seq; });
    return out;
}

const XfrmPolicy* Spd::lookup(XfrmDir dir, const sel::FlowKey& k, uint32_t if_id) const {
    for (const auto& [at, p] : dirs_[size_t(dir)].list)
        if (p.matches(k, if_id)) return &p;
    return nullptr;
}

std::string Spd::describe() const {
    std::string out = "spd:";
    const char* names[] = {" in ", ", out ", ", fwd "};
    for (size_t d = 0; d < kXfrmDirs; ++d)
        out += names[d] + std::to_string(dirs_[d].list.size()) + " (default " +
               (defaults_[d] == XfrmAction::kBlock ? "block" : "accept") + ")";
    return out;
}

std::vector<std::pair<const XfrmPolicy*, const XfrmPolicy*>> shadowed_policies(const Spd& spd, XfrmDir dir) {
    std::vector<std::pair<const XfrmPolicy*, const XfrmPolicy*>> out;
    const auto list = spd.ordered(dir);
    for (size_t later = 1; later < list.size(); ++later) {
        const XfrmPolicy& l = *list[later];
        for (size_t earlier = 0; earlier < later; ++earlier) {
            const XfrmPolicy& e = *list[earlier];
            // Every mark l accepts, e accepts too: e's mask bits are among l's, with l's values.
            const bool marks = (e.mark.m & ~l.mark.m) == 0 && (l.mark.v & e.mark.m) == e.mark.v;
            if (e.if_id == l.if_id && marks && e.sel.covers(l.sel)) {
                out.emplace_back(&l, &e);
                break;
            }
        }
    }
    return out;
}

}  // namespace ctl
