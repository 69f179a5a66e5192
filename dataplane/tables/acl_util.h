#pragma once
// What every rte_acl table of the dataplane shares (SpdTable, FwTable): address words as
// rte_acl's MASK fields read them, the context's lifetime, unique names, and one call that
// creates, fills and builds a context.
//
// Needs:   EAL initialised (rte_acl allocates from DPDK's heap); eal_ready() tells.
// Errors:  make_acl_ctx() returns null and says why in `why` (rte_acl also logs at ERR level).
#include <rte_acl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/inet.h"

namespace dp {

// rte_acl_build() starts with its largest node limit per trie (fewer, larger tries) only when
// given a size limit; with max_size 0 it starts with its smallest, and rule sets of varied
// shapes (prefix lengths, wild or exact ports) then need more than its 8 tries and fail. Over
// the limit it halves the node limit (more, smaller tries) and builds again.
inline constexpr size_t kAclMaxBytes = size_t(1) << 30;

// Word w (host order) of an address, and the mask of a prefix length over that word.
inline uint32_t addr_word(const ws::InetAddr& a, unsigned w) {
    const uint8_t* b = a.b.data() + 4 * w;
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}
inline unsigned word_len(unsigned len, unsigned w) { return len > 32 * w ? (len - 32 * w < 32 ? len - 32 * w : 32) : 0; }
inline uint32_t len_mask(unsigned bits) { return bits ? ~uint32_t(0) << (32 - bits) : 0; }

bool eal_ready();  // false until rte_eal_init()

struct AclCtxFree {
    void operator()(rte_acl_ctx* c) const { rte_acl_free(c); }
};
using AclCtxPtr = std::unique_ptr<rte_acl_ctx, AclCtxFree>;

// An rte_acl_config built field by field: each field starts a new 4-byte input group unless it
// shares the previous field's (two 2-byte fields in one group, as rte_acl requires).
class AclConfigBuilder {
public:
    explicit AclConfigBuilder(uint32_t categories = 1) {
        cfg_.num_categories = categories;
        cfg_.max_size = kAclMaxBytes;
    }
    void field(uint8_t type, uint8_t size, size_t offset, bool shares_input = false) {
        if (!shares_input && f_ > 0) ++input_;
        cfg_.defs[f_] = rte_acl_field_def{type, size, uint8_t(f_), uint8_t(input_), uint32_t(offset)};
        cfg_.num_fields = ++f_;
    }
    const rte_acl_config& config() const { return cfg_; }

private:
    rte_acl_config cfg_{};
    unsigned f_ = 0, input_ = 0;
};

// RTE_ACL_RULE_DEF() as a template: rte_acl copies rules of this exact layout.
template <unsigned kFields>
struct AclRuleOf {
    rte_acl_rule_data data;
    rte_acl_field field[kFields];
};

// The head every dataplane key starts with: the 1-byte protocol (rte_acl's first field must be
// one byte), then source and destination as `words` 32-bit prefix fields each.
inline void acl_head_fields(AclConfigBuilder& b, size_t proto, size_t src, size_t dst, unsigned words) {
    b.field(RTE_ACL_FIELD_TYPE_BITMASK, 1, proto);
    for (unsigned w = 0; w < words; ++w) b.field(RTE_ACL_FIELD_TYPE_MASK, 4, src + 4 * w);
    for (unsigned w = 0; w < words; ++w) b.field(RTE_ACL_FIELD_TYPE_MASK, 4, dst + 4 * w);
}

// rte_acl_create + add_rules + build under a unique name starting with `prefix`. rules points
// at n rules of rule_size bytes each (RTE_ACL_RULE_DEF layout). Null and `why` on failure.
AclCtxPtr make_acl_ctx(const char* prefix, const void* rules, uint32_t n, uint32_t rule_size,
                       const rte_acl_config& cfg, std::string& why);

}  // namespace dp
