#pragma once
// PrefixMap<V> — a flat hash map from prefix to V: open addressing with linear probing over a
// power-of-two slot array, the entries kept dense in one vector (erase moves the last entry
// into the hole). A million-route table costs one cache miss per lookup and is walked in
// order of memory, where std::unordered_map chases a node per step; the control plane's load
// of large tables spends most of its time here (perf/RESULTS.md, "control-plane load").
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "common/inet.h"

namespace ctl {

struct PrefixHash {
    size_t operator()(const ws::InetPrefix& p) const noexcept {
        uint64_t a, b;
        std::memcpy(&a, p.addr.b.data(), 8);
        std::memcpy(&b, p.addr.b.data() + 8, 8);
        uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + 0x7f4a7c159e3779b9ull + (uint64_t(p.len) << 32));
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        return size_t(h ^ (h >> 32));
    }
};

template <class V>
class PrefixMap {
public:
    using Entry = std::pair<ws::InetPrefix, V>;

    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    void reserve(size_t n) {
        entries_.reserve(n);
        if (n * 10 > slots_.size() * 7) rehash(n * 10 / 7 + 1);
    }

    // The value of k, created empty if absent; true when it was created. The pointer lives
    // until the next insertion or erasure.
    std::pair<V*, bool> try_emplace(const ws::InetPrefix& k) {
        if ((entries_.size() + 1) * 10 > slots_.size() * 7) rehash((entries_.size() + 1) * 2);
        const uint32_t h = hash(k);
        size_t s = probe(k, h);
        if (slots_[s].idx) return {&entries_[slots_[s].idx - 1].second, false};
        entries_.emplace_back(k, V());
        slots_[s] = Slot{uint32_t(entries_.size()), h};
        return {&entries_.back().second, true};
    }
    V* find(const ws::InetPrefix& k) {
        if (slots_.empty()) return nullptr;
        size_t s = probe(k, hash(k));
        return slots_[s].idx ? &entries_[slots_[s].idx - 1].second : nullptr;
    }
    const V* find(const ws::InetPrefix& k) const { return const_cast<PrefixMap*>(this)->find(k); }

    void erase(const ws::InetPrefix& k) {
        if (slots_.empty()) return;
        size_t s = probe(k, hash(k));
        if (!slots_[s].idx) return;
        const uint32_t e = slots_[s].idx - 1;
        remove_slot(s);
        const uint32_t last = uint32_t(entries_.size() - 1);
        if (e != last) {
            entries_[e] = std::move(entries_[last]);
            slots_[probe(entries_[e].first, hash(entries_[e].first))].idx = e + 1;
        }
        entries_.pop_back();
    }

    // The entries, dense, in no particular order.
    std::vector<Entry>& entries() { return entries_; }
    const std::vector<Entry>& entries() const { return entries_; }

private:
    struct Slot {
        uint32_t idx = 0;   // entry index + 1; 0 is an empty slot
        uint32_t hash = 0;
    };

    static uint32_t hash(const ws::InetPrefix& k) { return uint32_t(PrefixHash()(k)); }

    // The slot holding k, or the empty slot where it would go.
    size_t probe(const ws::InetPrefix& k, uint32_t h) const {
        const size_t mask = slots_.size() - 1;
        size_t s = h & mask;
        while (slots_[s].idx && !(slots_[s].hash == h && entries_[slots_[s].idx - 1].first == k)) s = (s + 1) & mask;
        return s;
    }

    // Backward-shift deletion: later slots of the same probe run move up into the hole.
    void remove_slot(size_t s) {
        const size_t mask = slots_.size() - 1;
        size_t j = s;
        while (true) {
            j = (j + 1) & mask;
            if (!slots_[j].idx) break;
            const size_t home = slots_[j].hash & mask;
            const bool movable = (j > s) ? (home <= s || home > j) : (home <= s && home > j);
            if (movable) {
                slots_[s] = slots_[j];
                s = j;
            }
        }
        slots_[s] = Slot();
    }

    void rehash(size_t min_slots) {
        size_t n = 16;
        while (n < min_slots) n <<= 1;
        slots_.assign(n, Slot());
        for (uint32_t e = 0; e < entries_.size(); ++e) {
            const uint32_t h = hash(entries_[e].first);
            size_t s = h & (n - 1);
            while (slots_[s].idx) s = (s + 1) & (n - 1);
            slots_[s] = Slot{e + 1, h};
        }
    }

    std::vector<Slot> slots_;
    std::vector<Entry> entries_;
};

}  // namespace ctl
