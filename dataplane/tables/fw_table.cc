#include "dataplane/tables/fw_table.h"

#include <rte_acl.h>
#include <rte_byteorder.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>

#include "dataplane/tables/acl_util.h"

namespace dp {

namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr unsigned kJumpStack = 16;  // NFT_JUMP_STACK_SIZE

// The key as rte_acl reads it (network order): proto, the addresses, the two port fields in one
// group, the mark, TOS and length in one group, the interfaces.
template <unsigned kWords>
struct AclKey {
    uint8_t proto;
    uint8_t pad[3];
    uint32_t src[kWords], dst[kWords];
    uint16_t sport, dport;
    uint32_t mark;
    uint16_t tos, len;
    uint32_t iif, oif;
};

template <unsigned kWords>
constexpr unsigned kFields = 1 + 2 * kWords + 8;

template <unsigned kWords>
using AclRule = AclRuleOf<kFields<kWords>>;
static_assert(sizeof(AclRule<1>) == RTE_ACL_RULE_SZ(kFields<1>) && sizeof(AclRule<4>) == RTE_ACL_RULE_SZ(kFields<4>));

template <unsigned kWords>
rte_acl_config acl_config() {
    using Key = AclKey<kWords>;
    AclConfigBuilder b;
    acl_head_fields(b, offsetof(Key, proto), offsetof(Key, src), offsetof(Key, dst), kWords);
    b.field(RTE_ACL_FIELD_TYPE_RANGE, 2, offsetof(Key, sport));
    b.field(RTE_ACL_FIELD_TYPE_RANGE, 2, offsetof(Key, dport), true);
    b.field(RTE_ACL_FIELD_TYPE_BITMASK, 4, offsetof(Key, mark));
    b.field(RTE_ACL_FIELD_TYPE_BITMASK, 2, offsetof(Key, tos));
    b.field(RTE_ACL_FIELD_TYPE_RANGE, 2, offsetof(Key, len), true);
    b.field(RTE_ACL_FIELD_TYPE_RANGE, 4, offsetof(Key, iif));
    b.field(RTE_ACL_FIELD_TYPE_RANGE, 4, offsetof(Key, oif));
    return b.config();
}

template <unsigned kWords>
void fill_key(AclKey<kWords>& a, const FwKey& k) {
    a.proto = k.proto;
    a.pad[0] = a.pad[1] = a.pad[2] = 0;
    std::memcpy(a.src, k.src.b.data(), 4 * kWords);
    std::memcpy(a.dst, k.dst.b.data(), 4 * kWords);
    a.sport = rte_cpu_to_be_16(k.sport);
    a.dport = rte_cpu_to_be_16(k.dport);
    a.mark = rte_cpu_to_be_32(k.mark);
    a.tos = rte_cpu_to_be_16(k.tos);
    a.len = rte_cpu_to_be_16(k.length);
    a.iif = rte_cpu_to_be_32(k.iif);
    a.oif = rte_cpu_to_be_32(k.oif);
}

// The key in rte_acl's layout in `raw` (room for AclKey<4>).
const uint8_t* acl_key(AclKey<4>& raw, const FwKey& k, bool v4) {
    if (v4) fill_key(*reinterpret_cast<AclKey<1>*>(&raw), k);
    else fill_key(raw, k);
    return reinterpret_cast<const uint8_t*>(&raw);
}

unsigned leading_ones(const ws::InetAddr& m, unsigned bits) {
    unsigned n = 0;
    while (n < bits && (m.b[n / 8] >> (7 - n % 8) & 1)) ++n;
    return n;
}

unsigned ones(const ws::InetAddr& m, unsigned bits) {
    unsigned n = 0;
    for (unsigned i = 0; i < bits / 8; ++i) n += unsigned(__builtin_popcount(m.b[i]));
    return n;
}

inline void relaxed_add(uint64_t& c, uint64_t n) {
    std::atomic_ref<uint64_t> a(c);
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

bool has(const std::vector<uint32_t>& set, uint32_t v) { return std::binary_search(set.begin(), set.end(), v); }

}  // namespace

// A rule's header matches relaxed to what rte_acl compares: every packet the rule matches lies
// in its box (host-order words; masks zero beyond the family's words).
struct FwTable::Box {
    uint32_t src[4]{}, src_m[4]{}, dst[4]{}, dst_m[4]{};
    unsigned src_len = 0, dst_len = 0;
    uint8_t proto = 0, proto_m = 0, tos_v = 0, tos_m = 0;
    uint16_t sp_lo = 0, sp_hi = 0xffff, dp_lo = 0, dp_hi = 0xffff, len_lo = 0, len_hi = 0xffff;
    uint32_t mark_v = 0, mark_m = 0;
    uint32_t iif_lo = 0, iif_hi = UINT32_MAX, oif_lo = 0, oif_hi = UINT32_MAX;
    bool never = false;  // no packet can match the rule

    bool holds(const FwKey& k, const uint32_t* words) const noexcept {
        if (never || ((k.proto ^ proto) & proto_m)) return false;
        uint32_t diff = ((k.mark & mark_m) ^ mark_v) | ((k.tos & tos_m) ^ tos_v);
        for (unsigned w = 0; w < 4; ++w) diff |= ((words[w] ^ src[w]) & src_m[w]) | ((words[4 + w] ^ dst[w]) & dst_m[w]);
        return !diff && k.sport >= sp_lo && k.sport <= sp_hi && k.dport >= dp_lo && k.dport <= dp_hi &&
               k.length >= len_lo && k.length <= len_hi && k.iif >= iif_lo && k.iif <= iif_hi && k.oif >= oif_lo &&
               k.oif <= oif_hi;
    }
    // Whether some packet lies in both boxes; `loose` ignores mark and TOS (fields a rule that
    // matched may have changed before the next candidate is tested).
    bool meets(const Box& o, bool loose) const {
        if (never || o.never || ((proto ^ o.proto) & proto_m & o.proto_m)) return false;
        for (unsigned w = 0; w < 4; ++w)
            if (((src[w] ^ o.src[w]) & src_m[w] & o.src_m[w]) || ((dst[w] ^ o.dst[w]) & dst_m[w] & o.dst_m[w])) return false;
        if (sp_lo > o.sp_hi || o.sp_lo > sp_hi || dp_lo > o.dp_hi || o.dp_lo > dp_hi) return false;
        if (len_lo > o.len_hi || o.len_lo > len_hi || iif_lo > o.iif_hi || o.iif_lo > iif_hi) return false;
        if (oif_lo > o.oif_hi || o.oif_lo > oif_hi) return false;
        if (loose) return true;
        return !((mark_v ^ o.mark_v) & mark_m & o.mark_m) && !((tos_v ^ o.tos_v) & tos_m & o.tos_m);
    }
};

struct FwTable::Rule {
    FwRule r;
    Box box;
    uint32_t xs[4]{}, xs_m[4]{}, xd[4]{}, xd_m[4]{};  // the exact address compare
    uint32_t slot = 0;
    uint32_t ov_begin = 0, ov_count = 0;  // next candidates: Chain::overlap[ov_begin, +ov_count)
    int32_t cont = -1;                    // else a continuation context
    bool scan_rest = false;               // else the rest of the chain, box by box
};

// What the walk reads of a rule that matched, and whether it needs the exact check: 20 bytes a
// rule in their own array, so that a large chain's walk touches a compact block (the counters
// and these) instead of a ~400-byte Rule per step.
struct FwTable::Hot {
    uint32_t slot = 0;
    uint32_t mark_v = 0, mark_m = 0;
    uint32_t chain = 0;
    FwTarget target = FwTarget::kNone;
    uint8_t dscp = 0;
    bool box_exact = false;  // the box says all the rule says: no exact check
};

struct FwTable::Cont {
    AclCtxPtr ctx;
    std::vector<uint32_t> idx;  // userdata - 1 -> rule index
};

struct FwTable::Chain {
    enum class Mode : uint8_t { kScan, kAcl, kNothing };
    std::string name;
    std::vector<Rule> rules;
    std::vector<Hot> hot;  // by rule index
    Mode mode = Mode::kScan;
    AclCtxPtr acl;
    std::vector<uint32_t> overlap;
    std::vector<Cont> conts;
    size_t scan_rest = 0;  // rules whose next candidates are a scan
    std::string why;       // why kScan with more than kLinearMaxRules rules
};

namespace {

FwTable::Counter sum_row(const uint64_t* hits, unsigned workers, size_t stride, size_t slot) {
    FwTable::Counter c;
    for (unsigned w = 0; w < workers; ++w) {
        const uint64_t* row = hits + w * stride;
        c.packets += std::atomic_ref<uint64_t>(const_cast<uint64_t&>(row[2 * slot])).load(std::memory_order_relaxed);
        c.bytes += std::atomic_ref<uint64_t>(const_cast<uint64_t&>(row[2 * slot + 1])).load(std::memory_order_relaxed);
    }
    return c;
}

}  // namespace

FwTable::FwTable() = default;
FwTable::~FwTable() = default;

namespace {

// The box of a rule: what rte_acl and the scans compare before the exact check.
template <class Box>
Box box_of(const FwRule& r, unsigned bits) {
    Box b;
    if (r.proto && !r.inv_proto) b.proto = r.proto, b.proto_m = 0xff;
    b.src_len = r.inv_src ? 0 : leading_ones(r.smsk, bits);
    b.dst_len = r.inv_dst ? 0 : leading_ones(r.dmsk, bits);
    for (unsigned w = 0; w < bits / 32; ++w) {
        b.src_m[w] = len_mask(word_len(b.src_len, w));
        b.src[w] = addr_word(r.src, w) & b.src_m[w];
        b.dst_m[w] = len_mask(word_len(b.dst_len, w));
        b.dst[w] = addr_word(r.dst, w) & b.dst_m[w];
    }
    bool ports = false, mark = false, tos = false, len = false;
    for (const FwMatch& m : r.matches) {
        switch (m.kind) {
        case FwMatchKind::kPorts:
            if (ports) break;
            ports = true;
            if (m.combined) {
                if (!m.invert) b.sp_lo = b.sp_hi = m.lo, b.dp_lo = b.dp_hi = m.lo2;
                break;
            }
            if (!m.invert) b.sp_lo = m.lo, b.sp_hi = m.hi;
            if (!m.invert2) b.dp_lo = m.lo2, b.dp_hi = m.hi2;
            break;
        case FwMatchKind::kIcmp:  // type and code are the first two bytes: the sport field
            if (ports || m.invert || m.any) break;
            ports = true;
            b.sp_lo = uint16_t(m.lo << 8 | m.lo2);
            b.sp_hi = uint16_t(m.lo << 8 | m.hi2);
            if (m.lo2 > m.hi2) b.never = true;
            break;
        case FwMatchKind::kMultiport: {
            if (ports || m.invert || m.dir == 2 || !m.nports) break;
            ports = true;
            uint16_t lo = 0xffff, hi = 0;
            for (unsigned i = 0; i < m.nports; ++i) lo = std::min(lo, m.ports[i][0]), hi = std::max(hi, m.ports[i][1]);
            (m.dir == 0 ? b.sp_lo : b.dp_lo) = lo;
            (m.dir == 0 ? b.sp_hi : b.dp_hi) = hi;
            break;
        }
        case FwMatchKind::kMark:
            if (mark || m.invert) break;
            mark = true;
            b.mark_v = m.value, b.mark_m = m.mask;
            if (m.value & ~m.mask) b.never = true;  // (mark & M) == V cannot hold
            break;
        case FwMatchKind::kTos:
        case FwMatchKind::kDscp:
            if (tos || m.invert) break;
            tos = true;
            b.tos_v = uint8_t(m.kind == FwMatchKind::kDscp ? m.value << 2 : m.value);
            b.tos_m = uint8_t(m.kind == FwMatchKind::kDscp ? 0xfc : m.mask);
            if (m.kind == FwMatchKind::kTos && (m.value & ~m.mask)) b.never = true;
            if (m.kind == FwMatchKind::kDscp && m.value > 63) b.never = true;
            break;
        case FwMatchKind::kLength:
            if (len || m.invert) break;
            len = true;
            b.len_lo = m.lo, b.len_hi = m.hi;
            if (m.lo > m.hi) b.never = true;
            break;
        case FwMatchKind::kString: break;
        }
    }
    if (!r.iif_any && !r.inv_iif) {
        if (r.iifs.empty()) b.never = true;
        else b.iif_lo = r.iifs.front(), b.iif_hi = r.iifs.back();
    }
    if (!r.oif_any && !r.inv_oif) {
        if (r.oifs.empty()) b.never = true;
        else b.oif_lo = r.oifs.front(), b.oif_hi = r.oifs.back();
    }
    return b;
}

// Whether box_of() lost nothing: then a packet in the box matches the rule and the exact check
// can be skipped. Not for `!`, a non-prefix mask, an interface wildcard, -f, multiport, icmp,
// strings or a second match of one kind (the box keeps the first), nor for ports that admit 0
// on both sides (a packet without a transport header reads as ports 0 and must not match).
bool box_is_exact(const FwRule& r, unsigned bits) {
    if (r.inv_src || r.inv_dst || r.inv_proto || r.frag || r.inv_iif || r.inv_oif) return false;
    if (leading_ones(r.smsk, bits) != ones(r.smsk, bits) || leading_ones(r.dmsk, bits) != ones(r.dmsk, bits)) return false;
    if ((!r.iif_any && r.iifs.size() != 1) || (!r.oif_any && r.oifs.size() != 1)) return false;
    unsigned kinds = 0;
    for (const FwMatch& m : r.matches) {
        const unsigned bit = 1u << unsigned(m.kind);
        if ((kinds & bit) || m.invert) return false;
        kinds |= bit;
        switch (m.kind) {
        case FwMatchKind::kPorts:
            if (!m.native || m.invert2 || (m.lo == 0 && m.lo2 == 0)) return false;
            break;
        case FwMatchKind::kMark:
        case FwMatchKind::kLength: break;
        case FwMatchKind::kDscp:
        case FwMatchKind::kTos:
            if (kinds & (1u << unsigned(m.kind == FwMatchKind::kDscp ? FwMatchKind::kTos : FwMatchKind::kDscp))) return false;
            break;
        case FwMatchKind::kIcmp:
        case FwMatchKind::kMultiport:
        case FwMatchKind::kString: return false;
        }
    }
    return true;
}

template <unsigned kWords, class Box>
AclRule<kWords> acl_rule(const Box& b, int32_t prio, uint32_t userdata) {
    AclRule<kWords> a{};
    a.data.category_mask = 1;
    a.data.priority = prio;
    a.data.userdata = userdata;
    unsigned f = 0;
    auto u16 = [&](uint16_t v, uint16_t m) { a.field[f].value.u16 = v, a.field[f++].mask_range.u16 = m; };
    auto u32 = [&](uint32_t v, uint32_t m) { a.field[f].value.u32 = v, a.field[f++].mask_range.u32 = m; };
    a.field[f].value.u8 = b.proto;
    a.field[f++].mask_range.u8 = b.proto_m;
    for (unsigned w = 0; w < kWords; ++w) u32(b.src[w], word_len(b.src_len, w));
    for (unsigned w = 0; w < kWords; ++w) u32(b.dst[w], word_len(b.dst_len, w));
    u16(b.sp_lo, b.sp_hi);
    u16(b.dp_lo, b.dp_hi);
    u32(b.mark_v, b.mark_m);
    u16(b.tos_v, b.tos_m);
    u16(b.len_lo, b.len_hi);
    u32(b.iif_lo, b.iif_hi);
    u32(b.oif_lo, b.oif_hi);
    return a;
}

// rte_acl over the rules idx (in chain order; n the chain's size for priorities).
template <unsigned kWords, class Rule>
AclCtxPtr acl_over(const std::vector<Rule>& rules, const std::vector<uint32_t>& idx, std::string& why) {
    std::vector<AclRule<kWords>> acl;
    acl.reserve(idx.size());
    const int32_t n = int32_t(rules.size());
    for (uint32_t u = 0; u < idx.size(); ++u)
        acl.push_back(acl_rule<kWords>(rules[idx[u]].box, n - int32_t(idx[u]), u + 1));
    return make_acl_ctx(kWords == 1 ? "fw4" : "fw6", acl.data(), uint32_t(acl.size()), uint32_t(sizeof(AclRule<kWords>)),
                        acl_config<kWords>(), why);
}

}  // namespace

ws::Result<std::unique_ptr<FwTable>> FwTable::build(FwTableSpec spec, unsigned workers, bool scan_only) {
    if (spec.family != ws::Family::kInet && spec.family != ws::Family::kInet6)
        return ws::make_error(ws::Errc::kInvalid, "firewall table: family must be inet or inet6");
    std::unique_ptr<FwTable> t(new FwTable);
    t->family_ = spec.family;
    t->name_ = spec.name;
    t->hook_chain_ = spec.hook_chain;
    t->policy_drop_ = spec.policy_drop;
    t->workers_ = std::max(1u, workers);
    const unsigned bits = spec.family == ws::Family::kInet ? 32 : 128;
    for (auto& cs : spec.chains) {
        auto c = std::make_unique<Chain>();
        c->name = cs.name;
        c->rules.reserve(cs.rules.size());
        for (auto& r : cs.rules) {
            if ((r.target == FwTarget::kJump || r.target == FwTarget::kGoto) && r.chain >= spec.chains.size())
                return ws::make_error(ws::Errc::kInvalid, "firewall table: rule " + std::to_string(r.id) + " jumps to no chain");
            Rule x;
            x.box = box_of<Box>(r, bits);
            for (unsigned w = 0; w < bits / 32; ++w) {
                x.xs_m[w] = addr_word(r.smsk, w);
                x.xs[w] = addr_word(r.src, w) & x.xs_m[w];
                x.xd_m[w] = addr_word(r.dmsk, w);
                x.xd[w] = addr_word(r.dst, w) & x.xd_m[w];
            }
            x.slot = uint32_t(t->slot_ids_.size());
            t->slot_ids_.push_back(r.id);
            c->hot.push_back(Hot{x.slot, r.mark_v, r.mark_m, r.chain, r.target, r.dscp, box_is_exact(r, bits)});
            x.r = std::move(r);
            c->rules.push_back(std::move(x));
        }
        t->chains_.push_back(std::move(c));
    }
    for (size_t h = 0; h < kFwHooks; ++h) {
        t->slot_ids_.push_back(policy_id(FwHook(h)));
        const int32_t ci = t->hook_chain_[h];
        if (ci >= int32_t(t->chains_.size())) return ws::make_error(ws::Errc::kInvalid, "firewall table: hook chain out of range");
        t->active_[h] = ci >= 0 && (!t->chains_[size_t(ci)]->rules.empty() || t->policy_drop_[h]);
    }
    t->base_.assign(t->slot_ids_.size(), {});
    t->stride_ = (2 * t->slot_ids_.size() + 7) / 8 * 8;
    t->hits_.reset(new uint64_t[t->workers_ * t->stride_]());
    if (!spec.strings.empty()) {
        auto m = sel::PayloadMatcher::compile(spec.strings);
        if (!m) return m.error();
        t->strings_ = std::move(*m);
    }
    for (auto& c : t->chains_) WS_TRY(t->compile_chain(*c, scan_only));
    return t;
}

ws::Status FwTable::compile_chain(Chain& c, bool scan_only) {
    const uint32_t n = uint32_t(c.rules.size());
    const bool v4 = family_ == ws::Family::kInet;
    if (n <= kLinearMaxRules || scan_only || !eal_ready()) {
        if (n > kLinearMaxRules) c.why = scan_only ? "asked for" : "EAL not initialised";
        for (Rule& r : c.rules) r.scan_rest = true;
        c.scan_rest = n;
        return {};
    }
    std::vector<uint32_t> all;
    for (uint32_t j = 0; j < n; ++j)
        if (!c.rules[j].box.never) all.push_back(j);
    if (all.empty()) {
        c.mode = Chain::Mode::kNothing;
        return {};
    }
    c.acl = v4 ? acl_over<1>(c.rules, all, c.why) : acl_over<4>(c.rules, all, c.why);
    if (!c.acl) {  // rte_acl refused (heap, tries): scan, as for a small chain
        for (Rule& r : c.rules) r.scan_rest = true;
        c.scan_rest = n;
        return {};
    }
    // The main context's userdata are positions in `all`: keep them as a continuation table
    // would, so that lookups translate the same way.
    c.conts.push_back(Cont{std::move(c.acl), all});
    c.mode = Chain::Mode::kAcl;
    size_t cont_rules = 0;
    const size_t cont_budget = 4 * size_t(n);
    std::vector<uint32_t> meet;
    for (uint32_t h = 0; h < n; ++h) {
        Rule& r = c.rules[h];
        const bool loose = r.r.target == FwTarget::kMark || r.r.target == FwTarget::kDscp || r.r.target == FwTarget::kJump;
        if (r.box.never) continue;  // never a candidate, never matched: no next candidates
        meet.clear();
        for (uint32_t j = h + 1; j < n; ++j)
            if (r.box.meets(c.rules[j].box, loose)) meet.push_back(j);
        if (meet.size() <= kMaxOverlap) {
            r.ov_begin = uint32_t(c.overlap.size());
            r.ov_count = uint32_t(meet.size());
            c.overlap.insert(c.overlap.end(), meet.begin(), meet.end());
            continue;
        }
        if (c.conts.size() <= kMaxContinuations && cont_rules + meet.size() <= cont_budget) {
            std::string why;
            AclCtxPtr ctx = v4 ? acl_over<1>(c.rules, meet, why) : acl_over<4>(c.rules, meet, why);
            if (ctx) {
                cont_rules += meet.size();
                r.cont = int32_t(c.conts.size());
                c.conts.push_back(Cont{std::move(ctx), meet});
                continue;
            }
        }
        r.scan_rest = true;
        ++c.scan_rest;
    }
    return {};
}

uint32_t FwTable::acl_lookup(const rte_acl_ctx* ctx, const FwKey& k) const noexcept {
    AclKey<4> buf;
    const uint8_t* data = acl_key(buf, k, family_ == ws::Family::kInet);
    uint32_t res = 0;
    rte_acl_classify(ctx, &data, &res, 1, 1);
    return res;
}

bool FwTable::exact(const Chain& c, uint32_t j, FwKey& k, FwScratch& sc) const noexcept {
    if (c.hot[j].box_exact) return true;  // the candidate came from its box
    const Rule& x = c.rules[j];
    const FwRule& r = x.r;
    const unsigned words = family_ == ws::Family::kInet ? 1 : 4;
    if (!r.smsk.is_zero() || r.inv_src) {
        bool eq = true;
        for (unsigned w = 0; w < words; ++w) eq &= (addr_word(k.src, w) & x.xs_m[w]) == x.xs[w];
        if (eq == r.inv_src) return false;
    }
    if (!r.dmsk.is_zero() || r.inv_dst) {
        bool eq = true;
        for (unsigned w = 0; w < words; ++w) eq &= (addr_word(k.dst, w) & x.xd_m[w]) == x.xd[w];
        if (eq == r.inv_dst) return false;
    }
    if (!r.iif_any && has(r.iifs, k.iif) == r.inv_iif) return false;
    if (!r.oif_any && has(r.oifs, k.oif) == r.inv_oif) return false;
    if (r.proto && (k.proto == r.proto) == r.inv_proto) return false;
    if (r.frag && k.fragment == r.inv_frag) return false;
    const bool l4 = !k.fragment && k.has_l4;
    for (const FwMatch& m : r.matches) {
        bool ok = false;
        switch (m.kind) {
        case FwMatchKind::kPorts:
            if (!(m.native ? k.has_l4 : l4)) return false;
            if (m.combined) ok = (k.sport == m.lo && k.dport == m.lo2) != m.invert;
            else ok = ((k.sport >= m.lo && k.sport <= m.hi) != m.invert) && ((k.dport >= m.lo2 && k.dport <= m.hi2) != m.invert2);
            break;
        case FwMatchKind::kIcmp: {
            if (!l4) return false;
            const uint8_t type = uint8_t(k.sport >> 8), code = uint8_t(k.sport);
            ok = (m.any || (type == m.lo && code >= m.lo2 && code <= m.hi2)) != m.invert;
            break;
        }
        case FwMatchKind::kMultiport: {
            if (!l4) return false;
            bool hit = false;
            for (unsigned i = 0; i < m.nports && !hit; ++i) {
                const bool s = k.sport >= m.ports[i][0] && k.sport <= m.ports[i][1];
                const bool d = k.dport >= m.ports[i][0] && k.dport <= m.ports[i][1];
                hit = m.dir == 0 ? s : m.dir == 1 ? d : (s || d);
            }
            ok = hit != m.invert;
            break;
        }
        case FwMatchKind::kMark: ok = ((k.mark & m.mask) == m.value) != m.invert; break;
        case FwMatchKind::kDscp: ok = (uint32_t(k.tos >> 2) == m.value) != m.invert; break;
        case FwMatchKind::kTos: ok = ((k.tos & m.mask) == m.value) != m.invert; break;
        case FwMatchKind::kLength: ok = (k.length >= m.lo && k.length <= m.hi) != m.invert; break;
        case FwMatchKind::kString: {
            if (!k.scanned) {
                if (k.bits) strings_.scan({k.l3, k.l3_len}, sc.hs, k.bits);
                k.scanned = true;
            }
            const bool hit = k.bits && (k.bits[m.value >> 6] >> (m.value & 63) & 1);
            ok = hit != m.invert;
            break;
        }
        }
        if (!ok) return false;
    }
    return true;
}

// The first rule after candidate h that matches exactly (h's box held the packet).
uint32_t FwTable::next_after(const Chain& c, uint32_t h, FwKey& k, const uint32_t* words, FwScratch& sc) const noexcept {
    for (;;) {
        const Rule& r = c.rules[h];
        uint32_t cand = kNone;
        if (r.scan_rest) {
            for (uint32_t j = h + 1; j < c.rules.size(); ++j)
                if (c.rules[j].box.holds(k, words)) {
                    cand = j;
                    break;
                }
        } else if (r.cont >= 0) {
            const Cont& t = c.conts[size_t(r.cont)];
            const uint32_t u = acl_lookup(t.ctx.get(), k);
            if (u) cand = t.idx[u - 1];
        } else {
            for (uint32_t i = 0; i < r.ov_count; ++i) {
                const uint32_t j = c.overlap[r.ov_begin + i];
                if (c.rules[j].box.holds(k, words)) {
                    cand = j;
                    break;
                }
            }
        }
        if (cand == kNone || exact(c, cand, k, sc)) return cand;
        h = cand;
    }
}

uint32_t FwTable::verify_from(const Chain& c, uint32_t cand, FwKey& k, const uint32_t* words, FwScratch& sc) const noexcept {
    if (cand == kNone || exact(c, cand, k, sc)) return cand;
    return next_after(c, cand, k, words, sc);
}

uint32_t FwTable::first_in(const Chain& c, FwKey& k, const uint32_t* words, FwScratch& sc) const noexcept {
    switch (c.mode) {
    case Chain::Mode::kNothing: return kNone;
    case Chain::Mode::kAcl: {
        const Cont& t = c.conts[0];
        const uint32_t u = acl_lookup(t.ctx.get(), k);
        return verify_from(c, u ? t.idx[u - 1] : kNone, k, words, sc);
    }
    case Chain::Mode::kScan: break;
    }
    for (uint32_t j = 0; j < c.rules.size(); ++j)
        if (c.rules[j].box.holds(k, words) && exact(c, j, k, sc)) return j;
    return kNone;
}

FwVerdict FwTable::walk(FwHook h, FwKey& k, const uint32_t* words, uint32_t j, FwScratch& sc, uint64_t* row) const noexcept {
    const Chain* base = chains_[size_t(hook_chain_[size_t(h)])].get();
    const Chain* c = base;
    struct Frame {
        const Chain* c;
        uint32_t h;
    } stack[kJumpStack];
    unsigned depth = 0;
    FwVerdict v;
    for (;;) {
        if (j == kNone) {
            if (c == base || depth == 0) {
                const size_t slot = slot_ids_.size() - kFwHooks + size_t(h);
                relaxed_add(row[2 * slot], 1);
                relaxed_add(row[2 * slot + 1], k.length);
                v.policy = true;
                v.kind = policy_drop_[size_t(h)] ? FwVerdict::Kind::kDrop : FwVerdict::Kind::kAccept;
                return v;
            }
            --depth;
            c = stack[depth].c;
            j = next_after(*c, stack[depth].h, k, words, sc);
            continue;
        }
        const Hot& x = c->hot[j];
        relaxed_add(row[2 * x.slot], 1);
        relaxed_add(row[2 * x.slot + 1], k.length);
        switch (x.target) {
        case FwTarget::kMark:
            k.mark = (k.mark & ~x.mark_m) ^ x.mark_v;
            j = next_after(*c, j, k, words, sc);
            break;
        case FwTarget::kDscp:
            k.tos = uint8_t((k.tos & 0x03) | (x.dscp << 2));
            j = next_after(*c, j, k, words, sc);
            break;
        case FwTarget::kNone: j = next_after(*c, j, k, words, sc); break;
        case FwTarget::kAccept: v.rule = &c->rules[j].r; return v;
        case FwTarget::kDrop:
            v.kind = FwVerdict::Kind::kDrop;
            v.rule = &c->rules[j].r;
            return v;
        case FwTarget::kReject:
            v.kind = FwVerdict::Kind::kReject;
            v.rule = &c->rules[j].r;
            return v;
        case FwTarget::kReturn: j = kNone; break;
        case FwTarget::kJump:
        case FwTarget::kGoto:
            if (x.target == FwTarget::kJump) {
                if (depth >= kJumpStack) {  // cannot happen: the model refuses deeper jumps
                    v.kind = FwVerdict::Kind::kDrop;
                    v.rule = &c->rules[j].r;
                    return v;
                }
                stack[depth++] = {c, j};
            }
            c = chains_[x.chain].get();
            j = first_in(*c, k, words, sc);
            break;
        }
    }
}

void FwTable::run(FwHook h, FwKey* const* keys, FwVerdict* out, unsigned n, FwScratch& sc, unsigned worker) const noexcept {
    const int32_t ci = hook_chain_[size_t(h)];
    if (!active_[size_t(h)] || ci < 0) {
        for (unsigned i = 0; i < n; ++i) out[i] = FwVerdict{};
        return;
    }
    uint64_t* row = hits_.get() + size_t(worker % workers_) * stride_;
    const Chain& base = *chains_[size_t(ci)];
    const unsigned words = family_ == ws::Family::kInet ? 1 : 4;
    // The base chain's first candidates in one rte_acl call for the burst.
    uint32_t first[kBurstMax];
    if (base.mode == Chain::Mode::kAcl) {
        AclKey<4> buf[kBurstMax];
        const uint8_t* data[kBurstMax];
        for (unsigned i = 0; i < n; ++i) data[i] = acl_key(buf[i], *keys[i], words == 1);
        rte_acl_classify(base.conts[0].ctx.get(), data, first, n, 1);
        for (unsigned i = 0; i < n; ++i) first[i] = first[i] ? base.conts[0].idx[first[i] - 1] : kNone;
    }
    for (unsigned i = 0; i < n; ++i) {
        FwKey& k = *keys[i];
        k.scanned = false;
        uint32_t w[8] = {};
        for (unsigned x = 0; x < words; ++x) {
            w[x] = addr_word(k.src, x);
            w[4 + x] = addr_word(k.dst, x);
        }
        const uint32_t j = base.mode == Chain::Mode::kAcl ? verify_from(base, first[i], k, w, sc) : first_in(base, k, w, sc);
        out[i] = walk(h, k, w, j, sc, row);
    }
}

FwTable::Counter FwTable::total(size_t slot) const {
    Counter c = sum_row(hits_.get(), workers_, stride_, slot);
    c.packets += base_[slot].packets;
    c.bytes += base_[slot].bytes;
    return c;
}

std::string FwTable::describe() const {
    size_t rules = 0, acl = 0, scan = 0, conts = 0, rest = 0;
    for (const auto& c : chains_) {
        rules += c->rules.size();
        if (c->mode == Chain::Mode::kAcl) ++acl, conts += c->conts.size() - 1;
        else if (!c->rules.empty()) ++scan;
        rest += c->mode == Chain::Mode::kAcl ? c->scan_rest : 0;
    }
    std::string out = name_ + " " + ws::family_name(family_) + ": " + std::to_string(chains_.size()) + " chains, " +
                      std::to_string(rules) + " rules (rte_acl " + std::to_string(acl) + ", scanned " + std::to_string(scan);
    if (conts) out += ", " + std::to_string(conts) + " continuation contexts";
    if (rest) out += ", " + std::to_string(rest) + " broad rules scanning on";
    out += ")";
    if (strings_.pattern_count()) out += ", strings: " + strings_.describe();
    return out;
}

}  // namespace dp
