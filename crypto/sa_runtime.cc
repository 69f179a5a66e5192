#include "crypto/sa_runtime.h"

#include <algorithm>

namespace crypto {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void add_if(std::atomic<uint64_t>& c, uint64_t v) {
    if (v) c.fetch_add(v, std::memory_order_relaxed);
}

}  // namespace

SaRuntime::SaRuntime(const SaParams& p)
    : oseq_(0), limit_(p.esn ? UINT64_MAX : UINT32_MAX),
      window_(p.replay_window, p.esn ? SeqSpace::kEsn : SeqSpace::k32, p.replay_seq) {
    oseq_.store(std::min(p.replay_oseq, limit_), std::memory_order_relaxed);
    set_limits(p.limits);
}

void SaRuntime::set_limits(const Lifetime& l) noexcept {
    soft_packets_.store(l.soft_packets, std::memory_order_relaxed);
    hard_packets_.store(l.hard_packets, std::memory_order_relaxed);
    soft_bytes_.store(l.soft_bytes, std::memory_order_relaxed);
    hard_bytes_.store(l.hard_bytes, std::memory_order_relaxed);
}

// The fast path may only be taken while every worker racing it, each adding at most
// kMaxReserve, stays below the limit: kSlack / kMaxReserve = 16384 concurrent reservers.
SeqRange SaRuntime::reserve(uint32_t n) noexcept {
    n = std::min(n, kMaxReserve);
    if (oseq_.load(std::memory_order_relaxed) <= limit_ - kSlack)
        return grant(oseq_.fetch_add(n, std::memory_order_relaxed), n);
    return reserve_near_limit(n);
}

// Near the limit: a compare-exchange loop that takes what is left and never moves the counter
// past the limit, so it cannot wrap however often exhausted SAs keep being asked.
SeqRange SaRuntime::reserve_near_limit(uint32_t n) noexcept {
    uint64_t before = oseq_.load(std::memory_order_relaxed);
    for (;;) {
        const uint64_t take = std::min<uint64_t>(n, limit_ - std::min(before, limit_));
        if (take == 0) break;
        if (oseq_.compare_exchange_weak(before, before + take, std::memory_order_relaxed)) break;
    }
    return grant(before, n);
}

SeqRange SaRuntime::grant(uint64_t last_before, uint32_t n) noexcept {
    SeqRange r;
    r.first = last_before + 1;
    r.granted = uint32_t(std::min<uint64_t>(n, limit_ - std::min(last_before, limit_)));
    if (r.granted < n) {
        seq_exhausted_.fetch_add(n - r.granted, std::memory_order_relaxed);
        r.exhausted_now = !exhausted_.exchange(true, std::memory_order_relaxed);
    }
    return r;
}

uint64_t SaRuntime::last_seq() const { return std::min(oseq_.load(std::memory_order_relaxed), limit_); }

void SaRuntime::lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
        while (locked_.load(std::memory_order_relaxed)) cpu_relax();
    }
}

void SaRuntime::set_peer(const ws::InetAddr& a) noexcept {
    while (peer_locked_.exchange(true, std::memory_order_acquire)) cpu_relax();
    if (!(peer_gen_.load(std::memory_order_relaxed) && peer_ == a)) {
        peer_ = a;
        peer_gen_.fetch_add(1, std::memory_order_release);
    }
    peer_locked_.store(false, std::memory_order_release);
}

ws::InetAddr SaRuntime::peer() const noexcept {
    while (peer_locked_.exchange(true, std::memory_order_acquire)) cpu_relax();
    const ws::InetAddr a = peer_;
    peer_locked_.store(false, std::memory_order_release);
    return a;
}

SaEvents SaRuntime::account(uint64_t packets, uint64_t bytes) noexcept {
    SaEvents ev;
    if (!packets) return ev;
    const uint64_t p = packets_.fetch_add(packets, std::memory_order_relaxed) + packets;
    const uint64_t b = bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    constexpr auto r = std::memory_order_relaxed;
    if (p >= soft_packets_.load(r) || b >= soft_bytes_.load(r))
        ev.soft_limit = !soft_fired_.exchange(true, std::memory_order_relaxed);
    if (p >= hard_packets_.load(r) || b >= hard_bytes_.load(r))
        ev.hard_limit = !hard_expired_.exchange(true, std::memory_order_relaxed);
    return ev;
}

void SaRuntime::count(const SaStats& run) noexcept {
    add_if(replay_window_, run.replay_window);
    add_if(replay_, run.replay);
    add_if(integrity_failed_, run.integrity_failed);  // seq_exhausted: counted by reserve()
}

SaStats SaRuntime::stats() const {
    SaStats s;
    s.replay_window = replay_window_.load(std::memory_order_relaxed);
    s.replay = replay_.load(std::memory_order_relaxed);
    s.integrity_failed = integrity_failed_.load(std::memory_order_relaxed);
    s.seq_exhausted = seq_exhausted_.load(std::memory_order_relaxed);
    return s;
}

}  // namespace crypto
