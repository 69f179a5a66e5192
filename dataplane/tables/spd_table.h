#pragma once
// SpdTable — one direction's SPD policies of one family, compiled for first-match lookups in
// bursts: the result of the first rule (in the given order) that matches each flow, or
// kNoMatch. Semantics: spd_rule.h (Linux's xfrm_policy_match()); the reference is
// ctl::Spd::lookup() (control/model/xfrm_model.h), which tests/dataplane/spd_table_test.cc
// compares it with on random policy sets.
//
// Needs:   rules in lookup order (lower priority value first, older first: Spd::ordered()),
//          every prefix of the table's family; per packet an SpdKey with host-order ports
//          (ICMP type/code in sport/dport) and the packet's mark and if_id. EAL initialised
//          before build() (rte_acl allocates from DPDK's heap).
// Sets:    results[i] = rules[j].result of the first matching rule j, or kNoMatch. A key of
//          another family matches nothing.
// Config:  ip xfrm policy add src 10.0.1.0/24 dst 10.0.2.0/24 proto tcp dport 443 dir out
//            priority 100 mark 0x10/0xff if_id 7 tmpl ...   (one rule per policy)
// Shape:   DPDK's rte_acl (a multi-bit trie over the key bytes, split into up to 8 tries,
//          walked with SIMD for several keys at once), one context per table. One category;
//          rule j gets priority n - j (the first rule wins: rte_acl returns the highest
//          priority, so every priority is distinct) and userdata j + 1 (0 is rte_acl's "no
//          match"), which indexes the results. Fields: proto (the 1-byte first field rte_acl
//          requires, bitmask 0xff or 0 for any), src and dst (one 32-bit prefix field per 32
//          bits of address), sport and dport (16-bit bitmasks sharing one 4-byte input:
//          Linux's port masks are arbitrary), mark (32-bit bitmask), if_id (32-bit, exact).
//          lookup() writes each key in rte_acl's layout (network order) into a stack array and
//          classifies up to kBurstMax keys in one rte_acl_classify() call.
//          A rule whose mark value has bits outside its mask can never match in Linux; it is
//          left out of the trie (rte_acl would compare only the bits under the mask).
// Fallback: a linear first-match scan over compact rules (build_linear(), also the perf/
//          contrast) when rte_acl cannot be used: EAL not initialised, more than
//          kMaxCompiledRules rules (rte_acl's priorities are 29 bits: RTE_ACL_MAX_PRIORITY, so
//          no split is needed below memory limits), or rte_acl_create/add/build failing (no
//          DPDK heap for the trie, or rule shapes needing more than rte_acl's 8 tries under
//          the 1 GiB size limit spd_table.cc gives it). A valid configuration never fails to build; compiled() and describe()
//          tell which path runs (rte_acl logs its own reason at ERR level).
// Cost:    perf/spd_bench.cc (perf/RESULTS.md, "SPD lookup (compiled policies)"): IPv4, random
//          /8-/32 prefixes on both addresses, ports exact or any, bursts of 32, 2-core Zen 4 VM.
//            policies   rte_acl cycles/lookup   linear scan   rte_acl build   DPDK heap
//            1          71                      10            0.3 ms          -
//            16         73                      61            0.7 ms          -
//            1,000      97                      2,490         46 ms           1.0 MiB
//            10,000     -                       25,700        -               -
//            100,000    607                     -             7.6 s           331 MiB
//          Not flat at 100,000: a 331 MiB trie misses the caches at each byte step. Below ~16
//          policies the linear scan is faster. Building 100,000 IPv4 policies also takes ~2 GiB
//          of process memory transiently (rte_acl's build pool); 100,000 random IPv6 policies
//          took 21 s, 119 MiB of heap and 5.3 GB peak RSS, ~1,060 cycles/lookup (one scratch
//          run, not in perf/).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/inet.h"
#include "common/result.h"
#include "dataplane/tables/spd_rule.h"

struct rte_acl_ctx;

namespace dp {

class SpdTable {
public:
    static constexpr uint32_t kNoMatch = UINT32_MAX;
    static constexpr unsigned kBurstMax = 64;  // keys per rte_acl_classify() call
    // Up to this many rules build() scans them (~10 cycles at 1 rule, ~60 at 16, against
    // rte_acl's ~70): compiled() is then false and describe() says "linear".
    static constexpr size_t kLinearMaxRules = 8;
    static constexpr uint32_t kMaxCompiledRules = (uint32_t(1) << 29) - 1;  // RTE_ACL_MAX_PRIORITY

    // rules in lookup order (the first that matches wins). Every rule's src and dst must be of
    // family f (kInet or kInet6) with a valid length: else kInvalid, naming the rule.
    // build_compiled() beyond kLinearMaxRules rules, build_linear() up to it.
    static ws::Result<std::unique_ptr<SpdTable>> build(ws::Family f, std::span<const SpdRule> rules);
    // rte_acl whatever the number of rules (tests, benchmarks), unless it cannot be used.
    static ws::Result<std::unique_ptr<SpdTable>> build_compiled(ws::Family f, std::span<const SpdRule> rules);
    // The same table as a linear scan, never using rte_acl (the fallback; perf/ and tests).
    static ws::Result<std::unique_ptr<SpdTable>> build_linear(ws::Family f, std::span<const SpdRule> rules);

    ~SpdTable();
    SpdTable(const SpdTable&) = delete;
    SpdTable& operator=(const SpdTable&) = delete;

    // results[i] = result of the first rule matching *keys[i], or kNoMatch. Any n works; bursts
    // of up to kBurstMax go to rte_acl in one call.
    void lookup(const SpdKey* const* keys, uint32_t* results, unsigned n) const noexcept;
    uint32_t lookup_one(const SpdKey& k) const noexcept;

    size_t size() const { return size_; }  // rules given to build()
    bool empty() const { return size_ == 0; }
    ws::Family family() const { return family_; }
    // Lookups run on rte_acl (or, for an empty table or one none of whose rules can match,
    // on nothing); false: the linear fallback.
    bool compiled() const { return !linear_mode_; }
    // "spd inet: 1000 rules, rte_acl", "spd inet6: 3 rules, linear scan (why)", or for a table
    // none of whose rules can match, "..., nothing can match".
    std::string describe() const;

private:
    // A rule as the linear scan compares it: address words and ports in host order, masks
    // precomputed (mark_v already known to lie inside mark_m).
    struct LinearRule {
        uint32_t src[4], src_m[4], dst[4], dst_m[4];
        uint32_t ports, ports_m;  // sport << 16 | dport
        uint32_t mark_v, mark_m, if_id;
        uint8_t proto, proto_m;
        uint32_t index;  // into results_
    };

    SpdTable() = default;
    static std::unique_ptr<SpdTable> shell(ws::Family f, std::span<const SpdRule> rules);
    static ws::Status validate(ws::Family f, std::span<const SpdRule> rules);
    template <unsigned kWords>
    void compile(std::span<const SpdRule> rules);
    void make_linear(std::span<const SpdRule> rules);
    template <unsigned kWords>
    void classify(const SpdKey* const* keys, uint32_t* results, unsigned n) const noexcept;
    template <unsigned kWords>
    void scan(const SpdKey* const* keys, uint32_t* results, unsigned n) const noexcept;

    rte_acl_ctx* ctx_ = nullptr;      // null: empty trie or linear scan
    std::vector<LinearRule> linear_;  // the fallback, when ctx_ is null
    std::vector<uint32_t> results_;   // rules[j].result, by j
    ws::Family family_ = ws::Family::kNone;
    size_t size_ = 0;
    bool linear_mode_ = false;
    std::string fallback_reason_;     // why linear_mode_
};

}  // namespace dp
