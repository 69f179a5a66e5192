#include "crypto/esp.h"

#include <algorithm>
#include <cstring>

#include "crypto/bytes.h"

namespace crypto {

namespace {

bool is_aead(const SaCrypto& sa) { return algorithm_info(sa.alg).aead; }

// What the ICV covers besides the ciphertext. AEAD: SPI || seq as on the wire, or with ESN
// SPI || seq-high || seq-low in `scratch` (RFC 4106 §5, RFC 7634 §2). AES-CBC + HMAC: the
// header and IV in front of the ciphertext (the ESN high half goes in CryptoOp::esn_hi).
std::span<const uint8_t> aad_for(const SaCrypto& sa, const uint8_t* esp, uint64_t seq, uint8_t* scratch) {
    if (!is_aead(sa)) return {esp, kEspHeaderBytes + sa.iv_bytes};
    if (!sa.esn) return {esp, kEspHeaderBytes};
    std::memcpy(scratch, esp, 4);
    store_be64(scratch + 4, seq);
    return {scratch, 12};
}

// The op for an ESP packet laid out at `esp` with `ct` bytes of ciphertext (in place). Written
// field by field into the caller's array: building a temporary and copying it made the
// compiler read back half-written stack slots (store-forwarding stalls, ~80 cycles a packet).
void fill_op(CryptoOp& op, const SaCrypto& sa, uint8_t* esp, uint32_t ct, uint64_t seq, uint8_t* scratch) {
    op.sa = &sa;
    op.iv = esp + kEspHeaderBytes;
    op.aad = aad_for(sa, esp, seq, scratch);
    op.in = op.out = esp + kEspHeaderBytes + sa.iv_bytes;
    op.len = ct;
    op.icv = op.out + ct;
    op.esn_hi = uint32_t(seq >> 32);
    op.status = OpStatus::kSkipped;
}

template <class Pkt>
void refuse_all(std::span<Pkt> pkts, CryptoOp* ops, EspError e) {
    for (size_t i = 0; i < pkts.size(); ++i) {
        pkts[i].error = e;
        ops[i].sa = nullptr;
    }
}

EspError op_error(OpStatus s) {
    switch (s) {
    case OpStatus::kOk: return EspError::kOk;
    case OpStatus::kAuthFailed: return EspError::kIcvFailed;
    case OpStatus::kFailed:
    case OpStatus::kSkipped: break;
    }
    return EspError::kCryptoFailed;
}

// --- outbound ---

bool has_room(const SaCrypto& sa, const EspOut& p) {
    return p.payload && p.headroom >= esp_headroom(sa) && p.tailroom >= esp_tailroom(sa, p.len);
}

void encap_one(Engine& engine, const SaCrypto& sa, EspOut& p, CryptoOp& op) {
    const uint32_t head = esp_headroom(sa), pad = esp_pad_bytes(sa, p.len);
    uint8_t* esp = p.payload - head;
    store_be32(esp, sa.spi);
    store_be32(esp + 4, uint32_t(p.seq));
    uint8_t* iv = esp + kEspHeaderBytes;
    if (p.iv) std::memcpy(iv, p.iv, sa.iv_bytes);
    else if (is_aead(sa)) store_be64(iv, p.seq);
    else engine.cbc_iv(sa, p.seq, iv);
    uint8_t* t = p.payload + p.len;
    for (uint32_t i = 0; i < pad; ++i) t[i] = uint8_t(i + 1);
    t[pad] = uint8_t(pad);
    t[pad + 1] = p.next_header;
    const uint32_t ct = p.len + pad + 2;
    fill_op(op, sa, esp, ct, p.seq, p.aad);
    p.esp = esp;
    p.esp_len = head + ct + sa.icv_bytes;
}

// Sequence numbers for the run's packets that have room (a refused packet leaves no gap),
// kMaxReserve at a time: one atomic operation per reservation.
SaEvents number_run(SaRuntime& rt, std::span<EspOut> pkts) {
    SaEvents ev;
    size_t left = 0;
    for (const EspOut& p : pkts) left += p.error == EspError::kOk;
    SeqRange r;
    uint32_t asked = 0, k = 0;
    for (EspOut& p : pkts) {
        if (p.error != EspError::kOk) continue;
        if (k == asked) {  // this reservation is used up: the next one
            asked = uint32_t(std::min<size_t>(left, SaRuntime::kMaxReserve));
            r = rt.reserve(asked);
            ev.seq_exhausted |= r.exhausted_now;
            k = 0;
        }
        p.seq = r.first + k;
        if (k++ >= r.granted) p.error = EspError::kSeqExhausted;
        --left;
    }
    return ev;
}

// --- inbound ---

EspError parse(const SaCrypto& sa, const EspIn& p) {
    const uint32_t min_ct = is_aead(sa) ? 2 : sa.block_bytes;
    if (!p.esp || p.len < esp_headroom(sa) + min_ct + sa.icv_bytes) return EspError::kTooShort;
    const uint32_t ct = p.len - esp_headroom(sa) - sa.icv_bytes;
    if (!is_aead(sa) && ct % sa.block_bytes) return EspError::kBadLength;
    if (load_be32(p.esp) != sa.spi) return EspError::kBadSpi;
    return EspError::kOk;
}

EspError replay_error(ReplayVerdict v, SaStats& st) {
    switch (v) {
    case ReplayVerdict::kOk: return EspError::kOk;
    case ReplayVerdict::kReplayed: ++st.replay; return EspError::kReplayed;
    case ReplayVerdict::kTooOld: ++st.replay_window; return EspError::kTooOld;
    }
    return EspError::kOk;
}

// Pad length, the padding bytes 1, 2, 3, ... (checked: see esp.h), next header.
EspError trailer(const SaCrypto& sa, EspIn& p) {
    uint8_t* pt = p.esp + esp_headroom(sa);
    const uint32_t ct = p.len - esp_headroom(sa) - sa.icv_bytes;
    const uint32_t padlen = pt[ct - 2];
    if (padlen + 2 > ct) return EspError::kBadPadding;
    const uint8_t* pad = pt + ct - 2 - padlen;
    for (uint32_t i = 0; i < padlen; ++i)
        if (pad[i] != uint8_t(i + 1)) return EspError::kBadPadding;
    p.payload = pt;
    p.payload_len = ct - 2 - padlen;
    p.next_header = pt[ct - 1];
    if (p.next_header == kNextHeaderNone) return EspError::kDummyPacket;
    if (sa.mode == Mode::kTunnel && p.next_header != kNextHeaderIpv4 && p.next_header != kNextHeaderIpv6)
        return EspError::kBadNextHeader;
    return EspError::kOk;
}

// prepare → engine → finish over chunks, the ops in the engine's scratch array.
template <class Pkt, class Prepare, class Finish>
SaEvents run_chunks(Engine& engine, std::span<Pkt> pkts, Prepare prepare, Finish finish) {
    SaEvents ev;
    CryptoOp* ops = engine.scratch_ops().data();
    const size_t chunk_max = engine.scratch_ops().size();
    for (size_t at = 0; at < pkts.size(); at += chunk_max) {
        const auto chunk = pkts.subspan(at, std::min(chunk_max, pkts.size() - at));
        ev |= prepare(chunk, ops);
        ev |= finish(chunk, ops);
    }
    return ev;
}

}  // namespace

SaEvents esp_encap_prepare(Engine& engine, const SaCrypto& sa, SaRuntime& rt, std::span<EspOut> pkts,
                           CryptoOp* ops) noexcept {
    if (rt.hard_expired()) {
        refuse_all(pkts, ops, EspError::kLifetimeExpired);
        return {};
    }
    for (EspOut& p : pkts) {
        p.error = has_room(sa, p) ? EspError::kOk : EspError::kNoRoom;
        p.esp = nullptr;
        p.esp_len = 0;
    }
    const SaEvents ev = number_run(rt, pkts);
    for (size_t i = 0; i < pkts.size(); ++i) {
        ops[i].sa = nullptr;  // refused unless encap_one fills it
        if (pkts[i].error == EspError::kOk) encap_one(engine, sa, pkts[i], ops[i]);
    }
    return ev;
}

SaEvents esp_encap_finish(const SaCrypto&, SaRuntime& rt, std::span<EspOut> pkts, const CryptoOp* ops) noexcept {
    uint64_t packets = 0, bytes = 0;
    for (size_t i = 0; i < pkts.size(); ++i) {
        EspOut& p = pkts[i];
        if (p.error != EspError::kOk) continue;
        p.error = op_error(ops[i].status);
        if (p.error == EspError::kOk) {
            ++packets;
            bytes += p.len;
        }
    }
    return rt.account(packets, bytes);
}

SaEvents esp_encap(Engine& engine, const SaCrypto& sa, SaRuntime& rt, std::span<EspOut> pkts) noexcept {
    return run_chunks(
        engine, pkts,
        [&](std::span<EspOut> c, CryptoOp* ops) {
            const SaEvents ev = esp_encap_prepare(engine, sa, rt, c, ops);
            engine.encrypt(ops, c.size());
            return ev;
        },
        [&](std::span<EspOut> c, CryptoOp* ops) { return esp_encap_finish(sa, rt, c, ops); });
}

void esp_decap_prepare(const SaCrypto& sa, SaRuntime& rt, std::span<EspIn> pkts, CryptoOp* ops) noexcept {
    if (rt.hard_expired()) return refuse_all(pkts, ops, EspError::kLifetimeExpired);
    for (EspIn& p : pkts) {
        p.payload = nullptr;
        p.payload_len = 0;
        p.next_header = 0;
        p.error = parse(sa, p);
    }
    SaStats st;
    {
        auto window = rt.window();  // one lock for the run's checks
        for (EspIn& p : pkts) {
            if (p.error != EspError::kOk) continue;
            const ReplayCheck c = window->check(load_be32(p.esp + 4));
            p.seq = c.seq;
            p.error = replay_error(c.verdict, st);
        }
    }
    rt.count(st);
    for (size_t i = 0; i < pkts.size(); ++i) {
        EspIn& p = pkts[i];
        ops[i].sa = nullptr;
        if (p.error == EspError::kOk) fill_op(ops[i], sa, p.esp, p.len - esp_headroom(sa) - sa.icv_bytes, p.seq, p.aad);
    }
}

SaEvents esp_decap_finish(const SaCrypto& sa, SaRuntime& rt, std::span<EspIn> pkts, const CryptoOp* ops) noexcept {
    SaStats st;
    uint64_t packets = 0, bytes = 0;
    for (size_t i = 0; i < pkts.size(); ++i) {
        EspIn& p = pkts[i];
        if (p.error != EspError::kOk) continue;
        p.error = op_error(ops[i].status);
        st.integrity_failed += p.error == EspError::kIcvFailed;
    }
    {
        auto window = rt.window();  // one lock for the run's updates, verified packets only
        for (EspIn& p : pkts)
            if (p.error == EspError::kOk) p.error = replay_error(window->accept(p.seq), st);
    }
    for (EspIn& p : pkts) {
        if (p.error != EspError::kOk) continue;
        p.error = trailer(sa, p);
        ++packets;
        bytes += p.payload_len;
    }
    rt.count(st);
    return rt.account(packets, bytes);
}

SaEvents esp_decap(Engine& engine, const SaCrypto& sa, SaRuntime& rt, std::span<EspIn> pkts) noexcept {
    return run_chunks(
        engine, pkts,
        [&](std::span<EspIn> c, CryptoOp* ops) {
            esp_decap_prepare(sa, rt, c, ops);
            engine.decrypt(ops, c.size());
            return SaEvents{};
        },
        [&](std::span<EspIn> c, CryptoOp* ops) { return esp_decap_finish(sa, rt, c, ops); });
}

}  // namespace crypto
