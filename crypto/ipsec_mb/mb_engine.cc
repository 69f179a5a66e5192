#include "crypto/ipsec_mb/mb_engine.h"

#include <intel-ipsec-mb.h>

#include <cstring>

#include "crypto/bytes.h"
#include "crypto/ipsec_mb/mb_keys.h"

namespace crypto {

namespace {

bool is_cbc(Algorithm a) { return a == Algorithm::kAesCbcHmacSha256 || a == Algorithm::kAesCbcHmacSha1; }

// The parts of CryptoOp's contract (engine.h) that ipsec-mb does not check, or checks only in
// the validating submit.
bool op_ok(const CryptoOp& op) {
    if (!op.in || !op.out || !op.icv || !op.iv) return false;
    if (!is_cbc(op.sa->alg)) return true;
    return op.len != 0 && op.len % 16 == 0 && op.in == op.out && op.aad.data() + op.aad.size() == op.in &&
           (!op.sa->esn || op.icv == op.out + op.len);
}

// AES-GCM and ChaCha20-Poly1305: nonce = salt || IV (RFC 4106 §4, RFC 7634 §2).
void set_aead(IMB_JOB* job, const CryptoOp& op, MbEngine::Slot& s) {
    const SaCrypto& sa = *op.sa;
    std::memcpy(s.nonce, sa.salt, 4);
    std::memcpy(s.nonce + 4, op.iv, 8);
    job->src = op.in;
    job->dst = op.out;
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = op.len;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = op.len;
    job->iv = s.nonce;
    job->iv_len_in_bytes = 12;
    if (sa.alg == Algorithm::kChaCha20Poly1305) {
        job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
        job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
        job->enc_keys = job->dec_keys = sa.chacha_key;
        job->key_len_in_bytes = 32;
        job->u.CHACHA20_POLY1305.aad = op.aad.data();
        job->u.CHACHA20_POLY1305.aad_len_in_bytes = op.aad.size();
    } else {
        job->cipher_mode = IMB_CIPHER_GCM;
        job->hash_alg = IMB_AUTH_AES_GMAC;
        job->enc_keys = job->dec_keys = &mb_keys(sa).gcm;
        job->key_len_in_bytes = sa.key_bytes;
        job->u.GCM.aad = op.aad.data();
        job->u.GCM.aad_len_in_bytes = op.aad.size();
    }
}

// AES-CBC + HMAC, encrypt-then-MAC over one region: aad (SPI || seq || IV) || ciphertext
// [|| ESN high, written over the ICV's place].
void set_cbc_hmac(IMB_JOB* job, const CryptoOp& op, MbEngine::Slot& s, Direction d) {
    const SaCrypto& sa = *op.sa;
    const MbKeys& k = mb_keys(sa);
    const size_t hdr = op.aad.size();
    if (d == Direction::kDecrypt) std::memcpy(s.expect, op.icv, sa.icv_bytes);
    if (sa.esn) store_be32(op.icv, op.esn_hi);
    job->cipher_mode = IMB_CIPHER_CBC;
    job->hash_alg = sa.alg == Algorithm::kAesCbcHmacSha256 ? IMB_AUTH_HMAC_SHA_256 : IMB_AUTH_HMAC_SHA_1;
    job->enc_keys = k.cbc.enc;
    job->dec_keys = k.cbc.dec;
    job->key_len_in_bytes = sa.key_bytes;
    job->src = op.aad.data();
    job->dst = op.out;
    job->cipher_start_src_offset_in_bytes = hdr;
    job->msg_len_to_cipher_in_bytes = op.len;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = hdr + op.len + (sa.esn ? 4 : 0);
    job->iv = op.iv;
    job->iv_len_in_bytes = 16;
    job->u.HMAC._hashed_auth_key_xor_ipad = k.cbc.ipad;
    job->u.HMAC._hashed_auth_key_xor_opad = k.cbc.opad;
}

}  // namespace

std::unique_ptr<MbEngine> MbEngine::create() {
    IMB_MGR* m = alloc_mb_mgr(0);
    if (!m) return nullptr;
    IMB_ARCH arch = IMB_ARCH_NONE;
    init_mb_mgr_auto(m, &arch);
    if (imb_get_errno(m) != 0 || arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI) {
        free_mb_mgr(m);
        return nullptr;
    }
    return std::unique_ptr<MbEngine>(new MbEngine(m, int(arch)));
}

MbEngine::~MbEngine() { free_mb_mgr(mgr_); }

void MbEngine::run(CryptoOp* ops, size_t n, Direction d) noexcept {
    dir_ = d;
    size_t used = 0;
    for (size_t i = 0; i < n; ++i) {
        CryptoOp& op = ops[i];
        if (!op.sa || op.sa->engine != EngineKind::kIpsecMb) continue;
        if (!op_ok(op)) {
            op.status = OpStatus::kFailed;
            continue;
        }
        if (used == kSlots) {
            drain();
            used = 0;
        }
        submit(op, slots_[used++], d);
    }
    drain();
}

void MbEngine::submit(CryptoOp& op, Slot& slot, Direction d) noexcept {
    IMB_JOB* job = IMB_GET_NEXT_JOB(mgr_);
    job->cipher_direction = d == Direction::kEncrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
    job->chain_order = d == Direction::kEncrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->auth_tag_output = slot.tag;
    job->auth_tag_output_len_in_bytes = op.sa->icv_bytes;
    job->user_data = &op;
    job->user_data2 = &slot;
    if (is_cbc(op.sa->alg)) set_cbc_hmac(job, op, slot, d);
    else set_aead(job, op, slot);
#ifdef NDEBUG
    job = IMB_SUBMIT_JOB_NOCHECK(mgr_);
#else
    job = IMB_SUBMIT_JOB(mgr_);
#endif
    while (job) {
        complete(job);
        job = IMB_GET_COMPLETED_JOB(mgr_);
    }
}

void MbEngine::drain() noexcept {
    while (IMB_JOB* job = IMB_FLUSH_JOB(mgr_)) complete(job);
}

void MbEngine::complete(IMB_JOB* job) noexcept {
    CryptoOp& op = *static_cast<CryptoOp*>(job->user_data);
    const Slot& s = *static_cast<const Slot*>(job->user_data2);
    const unsigned icv = op.sa->icv_bytes;
    if (job->status != IMB_STATUS_COMPLETED) {
        op.status = OpStatus::kFailed;
    } else if (dir_ == Direction::kEncrypt) {
        std::memcpy(op.icv, s.tag, icv);
        op.status = OpStatus::kOk;
    } else {
        const uint8_t* want = is_cbc(op.sa->alg) ? s.expect : op.icv;
        op.status = equal_ct(s.tag, want, icv) ? OpStatus::kOk : OpStatus::kAuthFailed;
    }
}

void MbEngine::cbc_iv(const SaCrypto& sa, uint64_t seq, uint8_t out[16]) noexcept {
    alignas(16) static const uint8_t kZero[16] = {};
    alignas(16) uint8_t block[16] = {};
    store_be64(block, seq);
    // CFB of one block over zeros: out = 0 ^ AES_k(block), i.e. AES_k(seq || 0^64).
    IMB_AES128_CFB_ONE(mgr_, out, kZero, block, mb_keys(sa).iv_key, 16);
}

}  // namespace crypto
