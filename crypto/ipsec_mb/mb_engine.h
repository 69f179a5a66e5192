#pragma once
// MbEngine — the ipsec-mb backend of crypto::Engine: one IMB_MGR per worker (alloc_mb_mgr +
// init_mb_mgr_auto), each op one job through the job API (IMB_GET_NEXT_JOB / IMB_SUBMIT_JOB /
// IMB_GET_COMPLETED_JOB, IMB_FLUSH_JOB at the end of a call). Up to kSlots jobs are in flight:
// multi-buffer modes (AES-CBC encrypt, HMAC) fill their lanes across the ops of a call; GCM and
// ChaCha20-Poly1305 complete on submit.
//
// Each in-flight job owns a Slot for what must outlive the submit: the 12-byte nonce (salt ||
// IV), the computed tag and, for AES-CBC + HMAC decrypt, the received ICV (the engine writes
// the ESN high half over it). Release builds submit with IMB_SUBMIT_JOB_NOCHECK (ops are checked
// here instead, op_ok()); debug builds let ipsec-mb check every job too.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "crypto/engine.h"

struct IMB_MGR;
struct IMB_JOB;

namespace crypto {

class MbEngine {
public:
    static std::unique_ptr<MbEngine> create();  // nullptr: no manager
    ~MbEngine();
    MbEngine(const MbEngine&) = delete;
    MbEngine& operator=(const MbEngine&) = delete;

    // Runs the ops of ops[0..n) whose SA uses the ipsec-mb engine; leaves the others alone.
    void run(CryptoOp* ops, size_t n, Direction d) noexcept;
    void cbc_iv(const SaCrypto& sa, uint64_t seq, uint8_t out[16]) noexcept;
    int arch() const { return arch_; }

    struct alignas(16) Slot {
        uint8_t nonce[16];
        uint8_t tag[32];
        uint8_t expect[16];
    };
    static constexpr size_t kSlots = 64;

private:
    explicit MbEngine(IMB_MGR* mgr, int arch) : mgr_(mgr), arch_(arch) {}
    void submit(CryptoOp& op, Slot& slot, Direction d) noexcept;
    void drain() noexcept;
    void complete(IMB_JOB* job) noexcept;

    IMB_MGR* mgr_;
    int arch_;
    Direction dir_ = Direction::kEncrypt;
    Slot slots_[kSlots];
};

}  // namespace crypto
