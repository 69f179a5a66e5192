#include "crypto/engine.h"

#include <intel-ipsec-mb.h>

#include "crypto/ipsec_mb/mb_engine.h"
#include "crypto/sodium/sodium_aead.h"

namespace crypto {

Engine::Engine() = default;
Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::create() {
    auto mb = MbEngine::create();
    if (!mb) return nullptr;
    std::unique_ptr<Engine> e(new Engine());
    e->mb_ = std::move(mb);
    return e;
}

// libsodium ops run inline in the first pass; the ipsec-mb ones go to the job queue in the
// second. Each op belongs to exactly one of them.
void Engine::run(CryptoOp* ops, size_t n, Direction d) noexcept {
    for (size_t i = 0; i < n; ++i) {
        CryptoOp& op = ops[i];
        if (!op.sa) op.status = OpStatus::kSkipped;
        else if (op.sa->engine == EngineKind::kSodium) sodium_run(op, d);
    }
    mb_->run(ops, n, d);
}

void Engine::encrypt(CryptoOp* ops, size_t n) noexcept { run(ops, n, Direction::kEncrypt); }
void Engine::decrypt(CryptoOp* ops, size_t n) noexcept { run(ops, n, Direction::kDecrypt); }

void Engine::cbc_iv(const SaCrypto& sa, uint64_t seq, uint8_t out[16]) noexcept { mb_->cbc_iv(sa, seq, out); }

std::string_view Engine::arch() const {
    switch (IMB_ARCH(mb_->arch())) {
    case IMB_ARCH_AVX512: return "avx512";
    case IMB_ARCH_AVX2: return "avx2";
    case IMB_ARCH_AVX: return "avx";
    case IMB_ARCH_SSE: return "sse";
    case IMB_ARCH_NONE:
    case IMB_ARCH_NOAESNI:
    case IMB_ARCH_NUM: break;
    }
    return "none";
}

}  // namespace crypto
