#pragma once
// SaRuntime — one SA's mutable state, kept outside the snapshot so that it survives reloads
// (STYLE 14): the outbound sequence counter, the inbound anti-replay window, the lifetime
// counters and the per-SA statistics (`ip -s xfrm state`'s replay-window / replay / failed).
//
// Several workers may send and receive on one SA at once:
//   outbound: reserve(n) takes a run's sequence numbers with ONE atomic fetch_add (a relaxed
//     load first; within kSlack of the limit it switches to a compare-exchange loop so the
//     counter itself can never pass the limit). It never wraps: without ESN the last number
//     is 2^32 - 1, with ESN 2^64 - 1; what is left over is refused (ESP drops it as
//     kSeqExhausted) and seq_exhausted() turns true, a rekey signal (RFC 4303 §3.3.3).
//   inbound: the window (crypto/replay_window.h) sits behind a per-SA spinlock, taken once per
//     run for the check (before the ICV) and once for the accept (after it): 2 lock round
//     trips per run instead of per-word atomics. Chosen because the window's slide clears
//     words and moves T together; per-word CAS would need T and the bitmap updated as one
//     (a seqlock or 128-bit CAS) for little gain when the lock is taken per run, not per
//     packet. Measured against a pinned (unlocked) window in perf/crypto_bench.cc BM_Replay*:
//     see Cost below. Readers of the statistics and lifetime counters take no lock.
//   lifetime: packets and bytes (payload bytes, as Linux's curlft counts the skb) added once
//     per run; the soft limit is reported once (the run that crosses it), the hard limit stops
//     the SA for good (runs after it are dropped as kLifetimeExpired, Linux's -EINVAL).
//
// Config:  ip xfrm state add ... replay-window 64 [flag esn] [replay-seq N replay-oseq N]
//            limit packet-soft 1000000 packet-hard 2000000 byte-soft N byte-hard N
// Cost:    build/perf/crypto_bench --benchmark_filter='BM_Replay|BM_SeqReserve' (2-core Zen 4
//          VM, TSC 2.596 GHz; per packet, runs of 32):
//            replay check + accept, pinned (ReplayWindow alone, no lock)      11.3 cycles
//            replay check + accept, SaRuntime's lock, one worker             11.0 cycles
//            replay check + accept, two workers on one SA (contended)        16-45 cycles
//            reserve(32), one worker / two workers on one SA                  0.36 / 0.38 cycles
//          Uncontended, the lock is lost in the noise (two lock round trips per 32-packet run),
//          which is why it was kept over per-word atomics; two workers on one SA pay for the
//          shared cache lines (the spread is from repeated runs on a busy machine).
#include <atomic>
#include <cstdint>

#include "common/inet.h"
#include "crypto/replay_window.h"
#include "crypto/sa.h"

namespace crypto {

// What an ESP run reports to the control plane, each at most once per SA.
struct SaEvents {
    bool soft_limit = false;     // the soft lifetime was just crossed: start a rekey
    bool hard_limit = false;     // the hard lifetime was just crossed: the SA is dead
    bool seq_exhausted = false;  // outbound numbers ran out: the SA must be replaced
};

// Per-SA statistics, as `ip -s xfrm state` prints them, plus sequence exhaustion.
struct SaStats {
    uint64_t replay_window = 0;     // left of the window
    uint64_t replay = 0;            // duplicates
    uint64_t integrity_failed = 0;  // ICV failures
    uint64_t seq_exhausted = 0;     // outbound packets refused for lack of numbers
};

struct SeqRange {
    uint64_t first = 0;       // the first number of the run
    uint32_t granted = 0;     // how many of the n asked for: the rest are exhausted
    bool exhausted_now = false;  // this call found the numbers run out first (report once)
};

class SaRuntime {
public:
    static constexpr uint32_t kMaxReserve = 1024;   // per reserve() call
    static constexpr uint64_t kSlack = uint64_t(1) << 24;  // fast-path margin below the limit

    explicit SaRuntime(const SaParams& p);

    // Outbound: numbers for a run of n <= kMaxReserve packets. Thread-safe.
    SeqRange reserve(uint32_t n) noexcept;
    bool seq_exhausted() const { return exhausted_.load(std::memory_order_relaxed); }
    uint64_t last_seq() const;  // the last number handed out (replay-oseq)

    // Inbound: the window, locked for as long as the guard lives (one run).
    class WindowGuard {
    public:
        explicit WindowGuard(SaRuntime& rt) : rt_(rt) { rt_.lock(); }
        ~WindowGuard() { rt_.unlock(); }
        WindowGuard(const WindowGuard&) = delete;
        WindowGuard& operator=(const WindowGuard&) = delete;
        ReplayWindow* operator->() { return &rt_.window_; }

    private:
        SaRuntime& rt_;
    };
    WindowGuard window() { return WindowGuard(*this); }

    // Lifetime: true once the hard limit was crossed. account() adds a run's packets and bytes.
    bool hard_expired() const { return hard_expired_.load(std::memory_order_relaxed); }
    bool soft_expired() const { return soft_fired_.load(std::memory_order_relaxed); }  // rekey due
    SaEvents account(uint64_t packets, uint64_t bytes) noexcept;
    // `ip xfrm state update` changes the limits of a live SA (its counters and numbers stay).
    void set_limits(const Lifetime& l) noexcept;
    uint64_t packets() const { return packets_.load(std::memory_order_relaxed); }
    uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

    // Roaming (`extra-flag roam` on the peer's inbound SA): the peer's address as its last
    // authenticated packet came from, for this outbound SA's outer header instead of the
    // configured destination. peer_generation() is 0 until one is learnt, and changes with
    // every new address; peer() reads it (a short lock: learning is rare, reading is once per
    // change and worker).
    void set_peer(const ws::InetAddr& a) noexcept;
    uint32_t peer_generation() const noexcept { return peer_gen_.load(std::memory_order_acquire); }
    ws::InetAddr peer() const noexcept;

    // Statistics, added once per run (only the non-zero ones).
    void count(const SaStats& run) noexcept;
    SaStats stats() const;

private:
    void lock() noexcept;
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }
    SeqRange reserve_near_limit(uint32_t n) noexcept;
    SeqRange grant(uint64_t last_before, uint32_t n) noexcept;

    // Outbound, its own cache line: every sending worker writes it.
    alignas(64) std::atomic<uint64_t> oseq_;  // the last number handed out
    uint64_t limit_;
    std::atomic<bool> exhausted_{false};
    // Inbound.
    alignas(64) std::atomic<bool> locked_{false};
    ReplayWindow window_;
    // Lifetime and statistics.
    alignas(64) std::atomic<uint64_t> packets_{0}, bytes_{0};
    std::atomic<bool> soft_fired_{false}, hard_expired_{false};
    std::atomic<uint64_t> soft_packets_, hard_packets_, soft_bytes_, hard_bytes_;
    std::atomic<uint64_t> replay_window_{0}, replay_{0}, integrity_failed_{0}, seq_exhausted_{0};
    // Roaming.
    mutable std::atomic<bool> peer_locked_{false};
    std::atomic<uint32_t> peer_gen_{0};
    ws::InetAddr peer_;
};

}  // namespace crypto
