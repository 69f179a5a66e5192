#pragma once
// ReplayWindow — one inbound SA's anti-replay window: RFC 4303 §3.4.3 with the ESN high-half
// inference of Appendix A2, over a ring bitmap (RFC 6479) so that sliding clears whole words
// instead of shifting the window.
//
// Two steps per packet, in the order RFC 4303 §3.4 gives them:
//   check(seql)  before the ICV: infers the 64-bit number (ESN) and rejects duplicates and
//                packets left of the window. Changes nothing.
//   accept(seq)  after the ICV verified: records seq, sliding the window when seq > T. It
//                re-checks, so a duplicate that passed check() alongside its twin (two workers,
//                or twice in one run) is caught here.
// Single-threaded: SaRuntime (crypto/sa_runtime.h) serialises the workers of one SA. check()
// and accept() are inline: ESP calls them per packet.
//
// Verdicts: kOk, kReplayed (seen: in-window duplicate), kTooOld (left of the window; also
// sequence number 0, and, with ESN, a number the inference puts below 2^32 while T is still in
// the first subspace: A2's "Th - 1" at Th = 0, which implementations clamp).
// Without ESN the window is the classic one over 32-bit numbers. Window 0: no check (Linux).
// Config:  ip xfrm state add ... replay-window N [flag esn]   (N in 0..4096; RFC 4303: >= 32,
//          64 the default SHOULD).
// Cost:    O(1) per packet, plus clearing the words passed over by a slide (at most the ring:
//          2 words for W = 32, 128 for W = 4096). check + accept of in-order runs: 11.3 cycles a
//          packet (perf/crypto_bench.cc BM_ReplayRun/pinned; the table is in crypto/sa_runtime.h).
#include <cstdint>
#include <memory>

namespace crypto {

enum class ReplayVerdict : uint8_t { kOk, kReplayed, kTooOld };
enum class SeqSpace : uint8_t { k32, kEsn };  // 32-bit sequence numbers, or 64-bit (flag esn)

struct ReplayCheck {
    ReplayVerdict verdict;
    uint64_t seq;  // the 64-bit number (ESN: inferred high half || seql), for the AAD/ICV
};

class ReplayWindow {
public:
    // `top`: the highest authenticated number so far (replay-seq / replay-seq-hi), 0 when new.
    ReplayWindow(uint32_t window, SeqSpace space, uint64_t top = 0);

    ReplayCheck check(uint32_t seql) const noexcept {
        if (space_ == SeqSpace::k32) return {verdict(seql), seql};
        return check_esn(seql);
    }
    ReplayVerdict accept(uint64_t seq) noexcept {
        const ReplayVerdict v = verdict(seq);
        if (v != ReplayVerdict::kOk) return v;
        if (seq > top_) slide(seq);
        bits_[(seq >> 6) & mask_] |= uint64_t(1) << (seq & 63);
        return v;
    }

    uint64_t top() const { return top_; }
    uint32_t window() const { return window_; }

private:
    ReplayCheck check_esn(uint32_t seql) const noexcept;
    uint64_t infer(uint32_t seql, bool& below_zero) const noexcept;  // RFC 4303 A2.2
    ReplayVerdict verdict(uint64_t seq) const noexcept {
        if (window_ == 0) return ReplayVerdict::kOk;
        if (seq == 0) return ReplayVerdict::kTooOld;
        if (seq > top_) return ReplayVerdict::kOk;
        if (top_ - seq >= window_) return ReplayVerdict::kTooOld;
        return seen(seq) ? ReplayVerdict::kReplayed : ReplayVerdict::kOk;
    }
    bool seen(uint64_t seq) const { return (bits_[(seq >> 6) & mask_] >> (seq & 63)) & 1; }
    void slide(uint64_t seq) noexcept;

    uint64_t top_;      // T
    uint32_t window_;   // W
    SeqSpace space_;
    uint64_t mask_;     // ring words - 1 (a power of two; ring bits >= W + 63)
    std::unique_ptr<uint64_t[]> bits_;
};

}  // namespace crypto
