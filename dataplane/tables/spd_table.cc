#include "dataplane/tables/spd_table.h"

#include "dataplane/tables/acl_util.h"

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memory.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace dp {

static_assert(SpdTable::kMaxCompiledRules == uint32_t(RTE_ACL_MAX_PRIORITY), "rte_acl's priority range changed");

namespace {

// The key as rte_acl reads it: the 1-byte first field, then groups of 4 bytes (one "input
// index" each), every multi-byte field in network order. kWords 32-bit words per address.
template <unsigned kWords>
struct AclKey {
    uint8_t proto;
    uint8_t pad[3];
    uint32_t src[kWords], dst[kWords];  // network order, as the packet carries them
    uint16_t sport, dport;              // network order
    uint32_t mark, if_id;               // network order
};
static_assert(sizeof(AclKey<1>) == 24 && sizeof(AclKey<4>) == 48);

// The field order of a rule: proto, src words, dst words, sport, dport, mark, if_id.
template <unsigned kWords>
constexpr unsigned kFields = 1 + 2 * kWords + 4;

template <unsigned kWords>
using AclRule = AclRuleOf<kFields<kWords>>;
static_assert(sizeof(AclRule<1>) == RTE_ACL_RULE_SZ(kFields<1>) && sizeof(AclRule<4>) == RTE_ACL_RULE_SZ(kFields<4>));

template <unsigned kWords>
rte_acl_config acl_config() {
    using Key = AclKey<kWords>;
    AclConfigBuilder b;
    acl_head_fields(b, offsetof(Key, proto), offsetof(Key, src), offsetof(Key, dst), kWords);
    b.field(RTE_ACL_FIELD_TYPE_BITMASK, 2, offsetof(Key, sport));
    b.field(RTE_ACL_FIELD_TYPE_BITMASK, 2, offsetof(Key, dport), true);  // the ports share 4 bytes
    b.field(RTE_ACL_FIELD_TYPE_BITMASK, 4, offsetof(Key, mark));
    b.field(RTE_ACL_FIELD_TYPE_BITMASK, 4, offsetof(Key, if_id));
    return b.config();
}

// Linux: (mark & m) == v never holds when v has bits outside m.
bool can_match(const SpdRule& r) { return (r.mark_v & ~r.mark_m) == 0; }

}  // namespace

SpdTable::~SpdTable() { rte_acl_free(ctx_); }

ws::Status SpdTable::validate(ws::Family f, std::span<const SpdRule> rules) {
    if (f != ws::Family::kInet && f != ws::Family::kInet6)
        return ws::make_error(ws::Errc::kInvalid, "spd table: family must be inet or inet6");
    const unsigned bits = f == ws::Family::kInet ? 32 : 128;
    for (size_t j = 0; j < rules.size(); ++j) {
        const SpdRule& r = rules[j];
        if (r.src.addr.family != f || r.dst.addr.family != f || r.src.len > bits || r.dst.len > bits)
            return ws::make_error(ws::Errc::kInvalid, "spd table: rule " + std::to_string(j) + " is not a valid " +
                                                          ws::family_name(f) + " selector");
    }
    return {};
}

// The table's bookkeeping, before a trie or a scan is made: family, size, results by rule.
std::unique_ptr<SpdTable> SpdTable::shell(ws::Family f, std::span<const SpdRule> rules) {
    std::unique_ptr<SpdTable> t(new SpdTable);
    t->family_ = f;
    t->size_ = rules.size();
    t->results_.reserve(rules.size());
    for (const SpdRule& r : rules) t->results_.push_back(r.result);
    return t;
}

ws::Result<std::unique_ptr<SpdTable>> SpdTable::build(ws::Family f, std::span<const SpdRule> rules) {
    if (rules.size() > kLinearMaxRules) return build_compiled(f, rules);
    WS_TRY(validate(f, rules));
    std::unique_ptr<SpdTable> t = shell(f, rules);
    if (rules.empty()) return t;
    t->fallback_reason_ = "few rules";
    t->make_linear(rules);  // a few rules: a scan is cheaper than the trie (perf/spd_bench.cc)
    return t;
}

ws::Result<std::unique_ptr<SpdTable>> SpdTable::build_compiled(ws::Family f, std::span<const SpdRule> rules) {
    WS_TRY(validate(f, rules));
    std::unique_ptr<SpdTable> t = shell(f, rules);
    if (rules.empty()) return t;
    if (!eal_ready()) t->fallback_reason_ = "EAL not initialised";
    else if (rules.size() > kMaxCompiledRules) t->fallback_reason_ = "more rules than rte_acl priorities";
    else if (f == ws::Family::kInet) t->compile<1>(rules);
    else t->compile<4>(rules);
    if (!t->fallback_reason_.empty()) t->make_linear(rules);
    return t;
}

ws::Result<std::unique_ptr<SpdTable>> SpdTable::build_linear(ws::Family f, std::span<const SpdRule> rules) {
    WS_TRY(validate(f, rules));
    std::unique_ptr<SpdTable> t = shell(f, rules);
    t->fallback_reason_ = "asked for";
    t->make_linear(rules);
    return t;
}

// Fills ctx_ with the rules that can match, or says in fallback_reason_ why rte_acl failed.
template <unsigned kWords>
void SpdTable::compile(std::span<const SpdRule> rules) {
    const uint32_t n = uint32_t(rules.size());
    std::vector<AclRule<kWords>> acl;
    acl.reserve(n);
    for (uint32_t j = 0; j < n; ++j) {
        const SpdRule& r = rules[j];
        if (!can_match(r)) continue;
        AclRule<kWords> a{};
        a.data.category_mask = 1;
        a.data.priority = int32_t(n - j);  // distinct, the first rule highest
        a.data.userdata = j + 1;
        unsigned f = 0;
        a.field[f].value.u8 = r.proto;
        a.field[f++].mask_range.u8 = r.proto ? 0xff : 0;
        for (const ws::InetPrefix* p : {&r.src, &r.dst})
            for (unsigned w = 0; w < kWords; ++w) {
                const unsigned len = word_len(p->len, w);
                a.field[f].value.u32 = addr_word(p->addr, w) & len_mask(len);
                a.field[f++].mask_range.u32 = len;
            }
        a.field[f].value.u16 = r.sport & r.sport_mask;
        a.field[f++].mask_range.u16 = r.sport_mask;
        a.field[f].value.u16 = r.dport & r.dport_mask;
        a.field[f++].mask_range.u16 = r.dport_mask;
        a.field[f].value.u32 = r.mark_v;
        a.field[f++].mask_range.u32 = r.mark_m;
        a.field[f].value.u32 = r.if_id;
        a.field[f++].mask_range.u32 = UINT32_MAX;
        acl.push_back(a);
    }
    if (acl.empty()) return;  // nothing can match: no trie, every lookup misses

    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "spd%u", kWords == 1 ? 4u : 6u);
    const rte_acl_config cfg = acl_config<kWords>();
    AclCtxPtr ctx = make_acl_ctx(prefix, acl.data(), uint32_t(acl.size()), uint32_t(sizeof(AclRule<kWords>)), cfg,
                                 fallback_reason_);
    if (!ctx) return;
    ctx_ = ctx.release();
}

void SpdTable::make_linear(std::span<const SpdRule> rules) {
    linear_mode_ = true;
    linear_.clear();
    linear_.reserve(rules.size());
    const unsigned words = family_ == ws::Family::kInet ? 1 : 4;
    for (uint32_t j = 0; j < rules.size(); ++j) {
        const SpdRule& r = rules[j];
        if (!can_match(r)) continue;
        LinearRule l{};
        for (unsigned w = 0; w < words; ++w) {
            l.src_m[w] = len_mask(word_len(r.src.len, w));
            l.src[w] = addr_word(r.src.addr, w) & l.src_m[w];
            l.dst_m[w] = len_mask(word_len(r.dst.len, w));
            l.dst[w] = addr_word(r.dst.addr, w) & l.dst_m[w];
        }
        l.ports_m = uint32_t(r.sport_mask) << 16 | r.dport_mask;
        l.ports = (uint32_t(r.sport) << 16 | r.dport) & l.ports_m;
        l.mark_v = r.mark_v;
        l.mark_m = r.mark_m;
        l.if_id = r.if_id;
        l.proto = r.proto;
        l.proto_m = r.proto ? 0xff : 0;
        l.index = j;
        linear_.push_back(l);
    }
}

template <unsigned kWords>
void SpdTable::classify(const SpdKey* const* keys, uint32_t* results, unsigned n) const noexcept {
    AclKey<kWords> buf[kBurstMax];
    const uint8_t* data[kBurstMax];
    uint32_t hit[kBurstMax];
    // 1. gather: each key in rte_acl's layout.
    for (unsigned i = 0; i < n; ++i) {
        const SpdKey& k = *keys[i];
        AclKey<kWords>& a = buf[i];
        a.proto = k.proto;
        a.pad[0] = a.pad[1] = a.pad[2] = 0;
        std::memcpy(a.src, k.src.b.data(), 4 * kWords);
        std::memcpy(a.dst, k.dst.b.data(), 4 * kWords);
        a.sport = rte_cpu_to_be_16(k.sport);
        a.dport = rte_cpu_to_be_16(k.dport);
        a.mark = rte_cpu_to_be_32(k.mark);
        a.if_id = rte_cpu_to_be_32(k.if_id);
        data[i] = &a.proto;
    }
    // 2. bulk lookup: userdata j + 1 of the highest-priority (first) matching rule, or 0.
    rte_acl_classify(ctx_, data, hit, n, 1);
    // 3. results; a key of the other family matches nothing.
    for (unsigned i = 0; i < n; ++i) {
        const bool same = keys[i]->src.family == family_ && keys[i]->dst.family == family_;
        results[i] = hit[i] && same ? results_[hit[i] - 1] : kNoMatch;
    }
}

template <unsigned kWords>
void SpdTable::scan(const SpdKey* const* keys, uint32_t* results, unsigned n) const noexcept {
    for (unsigned i = 0; i < n; ++i) {
        const SpdKey& k = *keys[i];
        results[i] = kNoMatch;
        if (k.src.family != family_ || k.dst.family != family_) continue;
        uint32_t src[kWords], dst[kWords];
        for (unsigned w = 0; w < kWords; ++w) {
            src[w] = addr_word(k.src, w);
            dst[w] = addr_word(k.dst, w);
        }
        const uint32_t ports = uint32_t(k.sport) << 16 | k.dport;
        for (const LinearRule& r : linear_) {
            uint32_t diff = ((ports ^ r.ports) & r.ports_m) | ((k.mark & r.mark_m) ^ r.mark_v) | (k.if_id ^ r.if_id) |
                            ((k.proto ^ r.proto) & r.proto_m);
            for (unsigned w = 0; w < kWords; ++w) diff |= ((src[w] ^ r.src[w]) & r.src_m[w]) | ((dst[w] ^ r.dst[w]) & r.dst_m[w]);
            if (diff == 0) {
                results[i] = results_[r.index];
                break;
            }
        }
    }
}

void SpdTable::lookup(const SpdKey* const* keys, uint32_t* results, unsigned n) const noexcept {
    const bool v4 = family_ == ws::Family::kInet;
    for (unsigned off = 0; off < n; off += kBurstMax) {
        const unsigned m = std::min(n - off, kBurstMax);
        if (ctx_) {
            if (v4) classify<1>(keys + off, results + off, m);
            else classify<4>(keys + off, results + off, m);
        } else if (!linear_.empty()) {
            if (v4) scan<1>(keys + off, results + off, m);
            else scan<4>(keys + off, results + off, m);
        } else {
            std::fill(results + off, results + off + m, kNoMatch);
        }
    }
}

uint32_t SpdTable::lookup_one(const SpdKey& k) const noexcept {
    const SpdKey* key = &k;
    uint32_t r = kNoMatch;
    lookup(&key, &r, 1);
    return r;
}

std::string SpdTable::describe() const {
    std::string out = std::string("spd ") + ws::family_name(family_) + ": " + std::to_string(size_) + " rules, ";
    if (linear_mode_) return out + "linear scan (" + fallback_reason_ + ")";
    return out + (ctx_ ? "rte_acl" : "nothing can match");
}

}  // namespace dp
