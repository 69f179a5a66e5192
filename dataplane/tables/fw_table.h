#pragma once
// FwTable — one iptables table (mangle or filter) of one family, compiled: every chain's rules
// behind an rte_acl first-match classifier over the header fields, each candidate verified
// exactly, and the walk of ipt_do_table() (MARK and DSCP applied as they match, jumps, gotos,
// RETURN, policies, the first terminal verdict) driven by those lookups instead of a rule by
// rule scan.
//
// Needs:   an FwTableSpec (fw_rule.h) from the control plane; EAL initialised for rte_acl (else
//          every chain is scanned, and describe() says so). Per packet an FwKey (host order).
// Gives:   run(hook, keys, verdicts, n): per key the verdict of the hook's built-in chain;
//          key.mark and key.tos changed by MARK and DSCP (the caller writes them back); the
//          packet and byte counters of every rule that matched and of policies.
// Shape:   per chain, each rule's header matches relaxed into a box (proto, source and
//          destination prefix, sport and dport ranges, mark value/mask, TOS value/mask, length
//          range, iif and oif ifindex ranges; a `!`, a multiport list or a wildcard interface
//          relaxes its field to "any"). rte_acl (chains of more than kLinearMaxRules rules)
//          returns the first rule whose box holds the packet; the rule is then checked exactly
//          (negations, interfaces, multiport, `-m string` through the table's one Hyperscan
//          database, scanned at most once per packet and table). Whatever happens next — that
//          check failed, or the rule was MARK, DSCP or a jump that returned — the next
//          candidate can only be a later rule whose box meets this one's (for rules that may
//          change the packet, ignoring the mark and TOS fields), so each rule carries that
//          list: a packet costs one lookup per chain entered plus a check per candidate, not
//          a step per rule. A "broad" rule whose list would be long (over kMaxOverlap) gets a
//          continuation rte_acl context over the rules it meets instead, within a budget
//          (kMaxContinuations per chain, at most 4x the chain's rules in all); beyond the
//          budget the rest of the chain is scanned box by box.
// Cost:    perf/fw_bench.cc (perf/RESULTS.md, "Firewall classification").
// Errors:  build(): a jump to a chain that does not exist, a chain deeper than the jump stack
//          (checked by the model before; kInvalid if it reaches here); Hyperscan refusing a
//          pattern (its message).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "dataplane/tables/fw_rule.h"
#include "selectors/payload_matcher.h"

struct rte_acl_ctx;

namespace dp {

// One packet as the firewall reads it, host order. The stage fills it; run() changes mark and
// tos as MARK and DSCP fire.
struct FwKey {
    ws::InetAddr src, dst;
    uint32_t iif = 0, oif = 0;  // 0: no device (iif in OUTPUT, oif in PREROUTING/INPUT)
    uint32_t mark = 0;
    uint16_t sport = 0, dport = 0;  // the first four bytes after the IP header, for any protocol
    uint16_t length = 0;            // IPv4 total length; IPv6 payload length + 40
    uint8_t proto = 0, tos = 0;
    bool has_l4 = false;            // those four bytes are there
    bool fragment = false;          // not the first fragment
    const uint8_t* l3 = nullptr;    // the packet from its IP header (-m string)
    uint16_t l3_len = 0;
    uint64_t* bits = nullptr;       // -m string results: FwScratch gives each key its row
    bool scanned = false;           // bits hold this table's scan of the packet
};

struct FwVerdict {
    enum class Kind : uint8_t { kAccept, kDrop, kReject };
    Kind kind = Kind::kAccept;
    bool policy = false;              // the chain's policy decided
    const FwRule* rule = nullptr;     // the rule that decided (REJECT's type), null for a policy
};

// Per worker: Hyperscan scratch for every table of the snapshot and one bitmap row per key.
struct FwScratch {
    sel::PayloadScratch hs;
    std::vector<uint64_t> bits;  // kRows rows of `words` words
    size_t words = 0;
    static constexpr unsigned kRows = 64;
    uint64_t* row(unsigned i) { return words ? bits.data() + (i % kRows) * words : nullptr; }
};

class FwTable {
public:
    static constexpr size_t kLinearMaxRules = 8;    // up to this many rules a chain is scanned
    static constexpr size_t kMaxOverlap = 32;       // longer next-candidate lists: broad rules
    static constexpr size_t kMaxContinuations = 64;  // continuation contexts per chain
    static constexpr unsigned kBurstMax = 64;       // keys per run() call

    // workers: counter rows. scan_only: never rte_acl (tests, perf/ contrast).
    static ws::Result<std::unique_ptr<FwTable>> build(FwTableSpec spec, unsigned workers, bool scan_only = false);
    ~FwTable();
    FwTable(const FwTable&) = delete;
    FwTable& operator=(const FwTable&) = delete;

    // Whether the hook's chain can do anything (a rule, or a DROP policy): else run() is not
    // needed and every packet is accepted.
    bool active(FwHook h) const { return active_[size_t(h)]; }
    // The hook's verdict for keys[0..n), n <= kBurstMax; counters in `worker`'s row.
    void run(FwHook h, FwKey* const* keys, FwVerdict* out, unsigned n, FwScratch& scratch, unsigned worker) const noexcept;

    ws::Family family() const { return family_; }
    const sel::PayloadMatcher& strings() const { return strings_; }
    std::string describe() const;  // "mangle inet: 3 chains, 1000 rules (rte_acl 2, scan 1), ..."

    // Counters: one slot per rule (by FwRule::id) and one per hook's policy.
    struct Counter {
        uint64_t packets = 0, bytes = 0;
    };
    size_t slots() const { return slot_ids_.size(); }
    uint64_t slot_id(size_t s) const { return slot_ids_[s]; }  // rule id, or policy_id(hook)
    static uint64_t policy_id(FwHook h) { return (uint64_t(1) << 63) | uint64_t(h); }
    Counter total(size_t slot) const;  // every worker, plus the base carried from earlier snapshots
    void add_base(size_t slot, Counter c) { base_[slot].packets += c.packets, base_[slot].bytes += c.bytes; }

private:
    struct Box;
    struct Rule;
    struct Hot;
    struct Chain;
    struct Cont;
    FwTable();
    ws::Status compile_chain(Chain& c, bool scan_only);
    uint32_t first_in(const Chain& c, FwKey& k, const uint32_t* words, FwScratch& sc) const noexcept;
    uint32_t next_after(const Chain& c, uint32_t h, FwKey& k, const uint32_t* words, FwScratch& sc) const noexcept;
    uint32_t verify_from(const Chain& c, uint32_t cand, FwKey& k, const uint32_t* words, FwScratch& sc) const noexcept;
    bool exact(const Chain& c, uint32_t j, FwKey& k, FwScratch& sc) const noexcept;
    FwVerdict walk(FwHook h, FwKey& k, const uint32_t* words, uint32_t first, FwScratch& sc, uint64_t* row) const noexcept;
    uint32_t acl_lookup(const rte_acl_ctx* ctx, const FwKey& k) const noexcept;

    ws::Family family_ = ws::Family::kInet;
    std::string name_;
    std::vector<std::unique_ptr<Chain>> chains_;
    std::array<int32_t, kFwHooks> hook_chain_{};
    std::array<bool, kFwHooks> policy_drop_{};
    std::array<bool, kFwHooks> active_{};
    sel::PayloadMatcher strings_;
    std::vector<uint64_t> slot_ids_;
    std::vector<Counter> base_;
    unsigned workers_ = 1;
    size_t stride_ = 0;  // uint64_t per worker row: packets and bytes per slot
    std::unique_ptr<uint64_t[]> hits_;
};

}  // namespace dp
