#pragma once
// SpdCache — one worker's cache of SPD decisions per flow (RFC 4301 §4.4.1, §5: an SPD cache
// must answer what the ordered first-match search answers). Exact, so always safe: the key is
// the whole flow the SPD sees (SpdKey: addresses, protocol, ports or ICMP type/code, mark,
// if_id) and the direction, and an entry belongs to one snapshot generation, so a publish
// flushes it at no cost. This is not the decorrelated range cache §4.4.1 warns about: it
// caches points, not selectors.
//
// Needs:   nothing; plain arrays, one per worker (no locks).
// Gives:   find() / insert() of the result (a policy index or SpdTable::kNoMatch).
// Shape:   4-way set associative, 2,048 sets, round-robin replacement; the tags of a set in
//          one line so a probe reads one line of tags and then one entry.
// Cost:    a hit is a hash, one tag line and one entry compare: ~20-30 cycles, whatever the
//          number of policies (perf/spd_bench.cc BM_SpdCached); a miss costs the table lookup.
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/tables/flow_hash.h"
#include "dataplane/tables/spd_rule.h"

namespace dp {

class SpdCache {
public:
    static constexpr uint32_t kSets = 2048;  // power of two
    static constexpr uint32_t kWays = 4;

    SpdCache() : entries_(kSets * kWays), tags_(kSets), victim_(kSets, 0) {}

    static uint32_t hash(uint8_t dir, const SpdKey& k) {
        const uint64_t h = flow_addr_mix(k.src, k.dst) ^ (uint64_t(k.mark) << 8) ^ (uint64_t(k.sport) << 24) ^
                           (uint64_t(k.dport) << 48) ^ (uint64_t(k.if_id) << 36) ^ (uint64_t(dir) << 62) ^ k.proto;
        return flow_hash_finish(h) | 0x80000000u;  // tag 0 is an empty way; the set takes the low bits
    }

    // The cached result for (dir, k) under snapshot generation gen.
    bool find(uint64_t gen, uint8_t dir, const SpdKey& k, uint32_t h, uint32_t& result) {
        const uint32_t set = h & (kSets - 1);
        for (uint32_t w = 0; w < kWays; ++w) {
            if (tags_[set].tag[w] != h) continue;
            const Entry& e = entries_[set * kWays + w];
            if (e.gen == gen && e.dir == dir && same(e.key, k)) {
                result = e.result;
                return true;
            }
        }
        return false;
    }
    void insert(uint64_t gen, uint8_t dir, const SpdKey& k, uint32_t h, uint32_t result) {
        const uint32_t set = h & (kSets - 1);
        const uint32_t w = victim_[set]++ % kWays;
        tags_[set].tag[w] = h;
        Entry& e = entries_[set * kWays + w];
        e.gen = gen;
        e.dir = dir;
        e.key = k;
        e.result = result;
    }
    const void* set_tags(uint32_t h) const { return &tags_[h & (kSets - 1)]; }  // for a prefetch

private:
    struct alignas(64) Entry {
        uint64_t gen = 0;
        SpdKey key;
        uint32_t result = 0;
        uint8_t dir = 0;
    };
    struct Tags {
        uint32_t tag[kWays] = {};
    };
    static bool same(const SpdKey& a, const SpdKey& b) {
        return a.dst == b.dst && a.src == b.src && a.sport == b.sport && a.dport == b.dport && a.proto == b.proto &&
               a.mark == b.mark && a.if_id == b.if_id;
    }
    std::vector<Entry> entries_;
    std::vector<Tags> tags_;
    std::vector<uint8_t> victim_;
};

}  // namespace dp
