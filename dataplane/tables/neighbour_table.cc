#include "dataplane/tables/neighbour_table.h"

#include <cstring>

namespace dp {

const char* neigh_state_name(NeighState s) {
    switch (s) {
        case NeighState::kNone: return "NONE";
        case NeighState::kIncomplete: return "INCOMPLETE";
        case NeighState::kReachable: return "REACHABLE";
        case NeighState::kPermanent: return "PERMANENT";
        case NeighState::kFailed: return "FAILED";
        case NeighState::kStale: return "STALE";
    }
    return "NONE";
}

NeighbourTable::NeighbourTable() : slots_(kCapacity) {}

uint64_t NeighbourTable::pack(NeighState s, const MacAddr& mac) {
    uint64_t w = uint64_t(s) << 56;
    for (int i = 0; i < 6; ++i) w |= uint64_t(mac[i]) << (8 * (5 - i));
    return w;
}

uint32_t NeighbourTable::home(uint32_t ifindex, const ws::InetAddr& a) const {
    uint64_t lo, hi;
    std::memcpy(&lo, a.b.data(), 8);
    std::memcpy(&hi, a.b.data() + 8, 8);
    uint64_t h = (lo ^ (hi * 0x9e3779b97f4a7c15ull) ^ (uint64_t(ifindex) << 32)) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
    uint32_t s = uint32_t(h) & (kCapacity - 1);
    return s ? s : 1;
}

uint32_t NeighbourTable::find(uint32_t ifindex, const ws::InetAddr& a) const {
    uint32_t s = home(ifindex, a);
    for (uint32_t n = 0; n < kCapacity; ++n) {
        const Slot& e = slots_[s];
        if (!e.used.load(std::memory_order_acquire)) return 0;
        if (e.ifindex == ifindex && e.addr == a) return s;
        s = (s + 1) & (kCapacity - 1);
        if (s == 0) s = 1;
    }
    return 0;
}

uint32_t NeighbourTable::insert_locked(uint32_t ifindex, const ws::InetAddr& a) {
    uint32_t s = home(ifindex, a);
    for (uint32_t n = 0; n + 1 < kCapacity; ++n) {
        Slot& e = slots_[s];
        if (!e.used.load(std::memory_order_relaxed)) {
            e.ifindex = ifindex;
            e.addr = a;
            e.word.store(pack(NeighState::kIncomplete, {}), std::memory_order_relaxed);
            e.used.store(1, std::memory_order_release);
            return s;
        }
        if (e.ifindex == ifindex && e.addr == a) return s;
        s = (s + 1) & (kCapacity - 1);
        if (s == 0) s = 1;
    }
    return 0;
}

uint32_t NeighbourTable::find_or_create(uint32_t ifindex, const ws::InetAddr& a, uint64_t) {
    if (uint32_t s = find(ifindex, a)) return s;
    while (lock_.test_and_set(std::memory_order_acquire)) {
    }
    uint32_t s = insert_locked(ifindex, a);
    lock_.clear(std::memory_order_release);
    return s;
}

void NeighbourTable::learn(uint32_t ifindex, const ws::InetAddr& a, const MacAddr& mac, uint64_t now,
                           bool create_absent) {
    uint32_t s = create_absent ? find_or_create(ifindex, a, now) : find(ifindex, a);
    if (!s) return;
    Slot& e = slots_[s];
    uint64_t w = e.word.load(std::memory_order_relaxed);
    if (NeighState(w >> 56) == NeighState::kPermanent) return;
    e.updated.store(now, std::memory_order_relaxed);
    e.probes.store(0, std::memory_order_relaxed);
    e.word.store(pack(NeighState::kReachable, mac), std::memory_order_release);
}

void NeighbourTable::set_permanent(uint32_t ifindex, const ws::InetAddr& a, const MacAddr& mac) {
    uint32_t s = find_or_create(ifindex, a, 0);
    if (s) slots_[s].word.store(pack(NeighState::kPermanent, mac), std::memory_order_release);
}

bool NeighbourTable::should_probe(uint32_t slot, uint64_t now, uint64_t hz) {
    Slot& e = slots_[slot];
    uint64_t last = e.last_probe.load(std::memory_order_relaxed);
    if (last && now - last < hz) return false;
    if (!e.last_probe.compare_exchange_strong(last, now, std::memory_order_relaxed)) return false;
    const uint64_t w = e.word.load(std::memory_order_relaxed);
    const auto st = NeighState(w >> 56);
    if (st == NeighState::kPermanent) return false;
    const uint32_t probes = e.probes.fetch_add(1, std::memory_order_relaxed);
    if (probes >= kMaxProbes && st != NeighState::kReachable) {  // INCOMPLETE, STALE
        // Every probe went unanswered: FAILED, and the next use starts probing afresh.
        e.word.store(pack(NeighState::kFailed, {}), std::memory_order_release);
        e.probes.store(0, std::memory_order_relaxed);
        return false;
    }
    if (st == NeighState::kFailed) e.word.store(pack(NeighState::kIncomplete, {}), std::memory_order_release);
    return true;
}

void NeighbourTable::age(uint64_t now, uint64_t hz) {
    for (uint32_t s = 1; s < kCapacity; ++s) {
        Slot& e = slots_[s];
        if (!e.used.load(std::memory_order_acquire)) continue;
        uint64_t w = e.word.load(std::memory_order_acquire);
        if (NeighState(w >> 56) != NeighState::kReachable) continue;
        if (now - e.updated.load(std::memory_order_relaxed) <= kReachableSeconds * hz) continue;
        const uint64_t stale = (w & ((uint64_t(1) << 56) - 1)) | (uint64_t(NeighState::kStale) << 56);
        e.word.compare_exchange_strong(w, stale, std::memory_order_acq_rel);  // a reply may have won
    }
}

std::vector<NeighbourTable::Row> NeighbourTable::rows() const {
    std::vector<Row> out;
    for (uint32_t s = 1; s < kCapacity; ++s) {
        const Slot& e = slots_[s];
        if (!e.used.load(std::memory_order_acquire)) continue;
        const uint64_t w = e.word.load(std::memory_order_acquire);
        Row r{e.ifindex, e.addr, {}, NeighState(w >> 56)};
        for (int i = 0; i < 6; ++i) r.mac[i] = uint8_t(w >> (8 * (5 - i)));
        out.push_back(r);
    }
    return out;
}

}  // namespace dp
