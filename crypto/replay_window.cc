#include "crypto/replay_window.h"

#include <algorithm>
#include <bit>

namespace crypto {

namespace {

// Ring words for window w: at least w + 63 bits, so that clearing the word a new top lands in
// never clears a bit still inside the window; rounded up to a power of two for masking.
uint64_t ring_words(uint32_t w) { return std::bit_ceil(uint64_t(w) / 64 + 2); }

}  // namespace

ReplayWindow::ReplayWindow(uint32_t window, SeqSpace space, uint64_t top)
    : top_(top), window_(window), space_(space), mask_(ring_words(window) - 1),
      bits_(new uint64_t[ring_words(window)]()) {
    if (top_) bits_[(top_ >> 6) & mask_] |= uint64_t(1) << (top_ & 63);
}

// Appendix A2.2: which 2^32 subspace seql belongs to, judged from T and the window bottom
// B = T - W + 1. Case A (Tl >= W - 1): the window lies in one subspace; case B: it spans two.
uint64_t ReplayWindow::infer(uint32_t seql, bool& below_zero) const noexcept {
    const uint32_t tl = uint32_t(top_), th = uint32_t(top_ >> 32);
    const uint32_t w = std::max<uint32_t>(window_, 1);
    const uint32_t bl = tl - w + 1;
    uint32_t seqh;
    below_zero = false;
    if (tl >= w - 1) {
        seqh = seql >= bl ? th : th + 1;  // th + 1 wraps past 2^64: lands far below T, too old
    } else if (seql >= bl) {
        below_zero = th == 0;
        seqh = th - 1;
    } else {
        seqh = th;
    }
    return (uint64_t(seqh) << 32) | seql;
}

ReplayCheck ReplayWindow::check_esn(uint32_t seql) const noexcept {
    bool below_zero;
    const uint64_t seq = infer(seql, below_zero);
    if (below_zero) return {ReplayVerdict::kTooOld, seq};
    return {verdict(seq), seq};
}

// T moves up to seq: the words after T's word up to seq's word now stand for new numbers.
void ReplayWindow::slide(uint64_t seq) noexcept {
    const uint64_t from = top_ >> 6, to = seq >> 6;
    if (to - from > mask_) {
        std::fill(bits_.get(), bits_.get() + mask_ + 1, 0);
    } else {
        for (uint64_t w = from + 1; w <= to; ++w) bits_[w & mask_] = 0;
    }
    top_ = seq;
}

}  // namespace crypto
