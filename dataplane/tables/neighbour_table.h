#pragma once
// NeighbourTable — IPv4/IPv6 neighbours (ARP/ND cache) shared by every worker and the control
// thread, with lock-free lookups.
//
// Needs:   nothing from DPDK; time is passed in as TSC ticks and their rate.
// Config:  ip neigh add 10.0.2.2 lladdr 02:00:00:00:02:02 dev eth1   (PERMANENT)
// States:  INCOMPLETE (probing) -> REACHABLE on a reply -> FAILED after kMaxProbes unanswered
//          probes one second apart (Linux's ucast_solicit + mcast_solicit = 3). age(), run once
//          a second by the control thread, turns a REACHABLE entry older than kReachableSeconds
//          STALE: still used, but each use asks for a probe (one a second) until a reply makes
//          it REACHABLE again or kMaxProbes unanswered probes make it FAILED (Linux's
//          STALE/DELAY/PROBE, simplified). PERMANENT entries are never changed by packets.
// Shape:   open addressing over a fixed array (kCapacity slots). An entry's key is written
//          once, then published by a release store; the MAC and state live in one 64-bit word,
//          so a reader sees a consistent pair without locks. Entries are never moved or removed
//          while the process runs, so a slot number is a stable handle that a route cache may
//          keep. Creating an entry takes a spinlock (the slow path: a miss).
// Cost:    one hash and usually one probe; the slot hint makes it one load.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/inet.h"

namespace dp {

using MacAddr = std::array<uint8_t, 6>;

enum class NeighState : uint8_t { kNone = 0, kIncomplete = 1, kReachable = 2, kPermanent = 3, kFailed = 4, kStale = 5 };
const char* neigh_state_name(NeighState s);

class NeighbourTable {
public:
    static constexpr uint32_t kCapacity = 16384;  // power of two; slot 0 is never used
    static constexpr uint32_t kMaxProbes = 3;
    static constexpr uint64_t kReachableSeconds = 30;

    NeighbourTable();
    NeighbourTable(const NeighbourTable&) = delete;
    NeighbourTable& operator=(const NeighbourTable&) = delete;

    // The slot of (ifindex, addr), or 0.
    uint32_t find(uint32_t ifindex, const ws::InetAddr& a) const;
    // The slot, created INCOMPLETE when absent; 0 when the table is full.
    uint32_t find_or_create(uint32_t ifindex, const ws::InetAddr& a, uint64_t now);

    // The state, and the MAC when the entry is usable (REACHABLE, PERMANENT or STALE).
    NeighState lookup(uint32_t slot, MacAddr& mac) const {
        const uint64_t w = slots_[slot].word.load(std::memory_order_acquire);
        const auto st = NeighState(w >> 56);
        if (st == NeighState::kReachable || st == NeighState::kPermanent || st == NeighState::kStale)
            for (int i = 0; i < 6; ++i) mac[i] = uint8_t(w >> (8 * (5 - i)));
        return st;
    }
    bool resolved(uint32_t slot, MacAddr& mac) const { return usable(lookup(slot, mac)); }
    static bool usable(NeighState st) {
        return st == NeighState::kReachable || st == NeighState::kPermanent || st == NeighState::kStale;
    }
    NeighState state(uint32_t slot) const { return NeighState(slots_[slot].word.load(std::memory_order_acquire) >> 56); }

    // A packet taught us addr's MAC (ARP reply/request, NA, NS source option). With
    // create_absent false, only an existing entry is updated (Linux learns from a request only
    // when it already has an entry or the request is for us).
    void learn(uint32_t ifindex, const ws::InetAddr& a, const MacAddr& mac, uint64_t now, bool create_absent);
    // `ip neigh add|replace ... lladdr`: a PERMANENT entry.
    void set_permanent(uint32_t ifindex, const ws::InetAddr& a, const MacAddr& mac);

    // Whether the caller should send a probe now (at most one per second per entry), counting it;
    // marks the entry FAILED once kMaxProbes went unanswered for a second.
    bool should_probe(uint32_t slot, uint64_t now, uint64_t hz);
    // REACHABLE entries not confirmed for kReachableSeconds become STALE (control thread).
    void age(uint64_t now, uint64_t hz);

    struct Row {
        uint32_t ifindex;
        ws::InetAddr addr;
        MacAddr mac;
        NeighState state;
    };
    std::vector<Row> rows() const;  // for `ip neigh show`, in slot order

private:
    struct alignas(64) Slot {
        std::atomic<uint32_t> used{0};
        uint32_t ifindex = 0;
        ws::InetAddr addr;
        std::atomic<uint64_t> word{0};        // state << 56 | mac (48 bits)
        std::atomic<uint64_t> updated{0};     // TSC of the last reply
        std::atomic<uint64_t> last_probe{0};  // TSC of the last probe
        std::atomic<uint32_t> probes{0};      // unanswered probes
    };
    static uint64_t pack(NeighState s, const MacAddr& mac);
    uint32_t home(uint32_t ifindex, const ws::InetAddr& a) const;
    uint32_t insert_locked(uint32_t ifindex, const ws::InetAddr& a);

    std::vector<Slot> slots_;
    std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
};

}  // namespace dp
