// ESP (crypto/esp.h): malformed and refused packets first, then tampering with each covered
// part (ICV, ciphertext, SPI, sequence number, ESN high half), truncation, padding and next
// header checks, round trips of every algorithm in tunnel and transport mode with and without
// ESN, runs, the ESN wrap, lifetime and sequence exhaustion through ESP, and the three phases
// driven by hand for two SAs sharing one engine call.
#include <set>

#include "crypto/bytes.h"
#include "tests/crypto/crypto_test_util.h"

namespace crypto::test {
namespace {

struct AlgCase {
    const char* name;
    Algorithm alg;
    EngineKind engine;
    uint8_t icv;
};

const AlgCase kAlgs[] = {
    {"gcm128", Algorithm::kAesGcm128, EngineKind::kIpsecMb, 16},
    {"gcm128_icv8", Algorithm::kAesGcm128, EngineKind::kIpsecMb, 8},
    {"gcm256_icv12", Algorithm::kAesGcm256, EngineKind::kIpsecMb, 12},
    {"chacha_ipsecmb", Algorithm::kChaCha20Poly1305, EngineKind::kIpsecMb, 16},
    {"chacha_sodium", Algorithm::kChaCha20Poly1305, EngineKind::kSodium, 16},
    {"cbc_sha256", Algorithm::kAesCbcHmacSha256, EngineKind::kIpsecMb, 16},
    {"cbc_sha1", Algorithm::kAesCbcHmacSha1, EngineKind::kIpsecMb, 12},
};

SaSpec spec(const AlgCase& a, bool esn = false) {
    SaSpec s;
    s.alg = a.alg;
    s.engine = a.engine;
    s.icv = a.icv;
    s.esn = esn;
    return s;
}

const Bytes kInner = random_bytes(100, 42);

// An authenticated packet around `plaintext` (payload and trailer taken as given), as a broken
// or hostile peer holding the key would build it: the engine directly, no ESP checks.
Bytes seal(TestSa& sa, uint64_t seq, const Bytes& plaintext) {
    const SaCrypto& c = *sa.crypto;
    const uint32_t head = esp_headroom(c);
    Bytes w(head + plaintext.size() + c.icv_bytes + 4);
    store_be32(w.data(), c.spi);
    store_be32(w.data() + 4, uint32_t(seq));
    std::fill(w.begin() + 8, w.begin() + head, 0x5a);
    std::copy(plaintext.begin(), plaintext.end(), w.begin() + head);
    uint8_t aad[12];
    std::memcpy(aad, w.data(), 4);
    store_be64(aad + 4, seq);
    const bool aead = algorithm_info(c.alg).aead;
    CryptoOp op;
    op.sa = &c;
    op.iv = w.data() + 8;
    op.aad = !aead ? std::span<const uint8_t>(w.data(), head) : c.esn ? std::span<const uint8_t>(aad, 12)
                                                                      : std::span<const uint8_t>(w.data(), 8);
    op.in = op.out = w.data() + head;
    op.len = uint32_t(plaintext.size());
    op.icv = op.out + op.len;
    op.esn_hi = uint32_t(seq >> 32);
    engine().encrypt(&op, 1);
    EXPECT_EQ(op.status, OpStatus::kOk);
    w.resize(head + plaintext.size() + c.icv_bytes);
    return w;
}

Bytes with_trailer(Bytes payload, const Bytes& pad, uint8_t nh) {
    payload.insert(payload.end(), pad.begin(), pad.end());
    payload.push_back(uint8_t(pad.size()));
    payload.push_back(nh);
    return payload;
}

class EspAlgTest : public ::testing::TestWithParam<AlgCase> {};

// --- invalid input first ---

TEST_P(EspAlgTest, RefusesShortAndMisalignedPackets) {
    TestSa sa = make_sa(spec(GetParam()));
    const SaCrypto& c = *sa.crypto;
    const bool cbc = !algorithm_info(c.alg).aead;
    const uint32_t min_ct = cbc ? 16 : 2, base = esp_headroom(c) + c.icv_bytes;
    EXPECT_EQ(decap1(sa, {}).error, EspError::kTooShort);
    EXPECT_EQ(decap1(sa, Bytes(8)).error, EspError::kTooShort);
    EXPECT_EQ(decap1(sa, Bytes(base + min_ct - 1)).error, EspError::kTooShort);
    if (cbc) {
        EXPECT_EQ(decap1(sa, Bytes(base + 17)).error, EspError::kBadLength);
    }
    EspIn null_in;
    esp_decap(engine(), c, *sa.rt, {&null_in, 1});
    EXPECT_EQ(null_in.error, EspError::kTooShort);
}

TEST_P(EspAlgTest, RefusesAnotherSpi) {
    TestSa sa = make_sa(spec(GetParam()));
    SaSpec s = spec(GetParam());
    s.spi = 0x1002;
    TestSa other = make_sa(s);
    EXPECT_EQ(decap1(other, encap1(sa, kInner, 4)).error, EspError::kBadSpi);
}

TEST_P(EspAlgTest, RefusesPayloadsWithoutRoom) {
    TestSa sa = make_sa(spec(GetParam()));
    Packet pkt(kInner);
    EspOut o[3] = {pkt.out(4), pkt.out(4), pkt.out(4)};
    o[0].headroom = esp_headroom(*sa.crypto) - 1;
    o[1].tailroom = esp_tailroom(*sa.crypto, o[1].len) - 1;
    o[2].payload = nullptr;
    esp_encap(engine(), *sa.crypto, *sa.rt, o);
    for (const EspOut& e : o) EXPECT_EQ(e.error, EspError::kNoRoom);
    EspError err;
    encap1(sa, kInner, 4, nullptr, &err);
    EXPECT_EQ(err, EspError::kOk);
    EXPECT_EQ(sa.rt->last_seq(), 1u);  // the refused packets took no numbers
}

// --- tampering: every covered part fails the ICV, and the window is not moved ---

TEST_P(EspAlgTest, TamperedIcvCiphertextSeqOrLengthFails) {
    TestSa tx = make_sa(spec(GetParam())), rx = make_sa(spec(GetParam()));
    const Bytes good = encap1(tx, kInner, 4);
    std::vector<Bytes> bad(4, good);
    bad[0].back() ^= 1;                   // ICV
    bad[1][esp_headroom(*tx.crypto)] ^= 1;  // first ciphertext byte
    bad[2][7] ^= 2;                       // sequence number (1 -> 3: new to the window)
    bad[3].pop_back();                    // truncated by one byte
    for (size_t i = 0; i < bad.size(); ++i) {
        const EspError e = decap1(rx, bad[i]).error;
        EXPECT_TRUE(e == EspError::kIcvFailed || (i == 3 && e == EspError::kBadLength)) << i << " "
                                                                                         << esp_error_info(e).name;
    }
    EXPECT_EQ(rx.rt->stats().integrity_failed, !algorithm_info(tx.crypto->alg).aead ? 3u : 4u);
    EXPECT_EQ(decap1(rx, good).error, EspError::kOk);  // the failures left the window alone
}

TEST_P(EspAlgTest, TamperedSpiFailsTheIcvUnderTheOtherSa) {
    SaSpec s = spec(GetParam());
    TestSa tx = make_sa(s);
    s.spi ^= 0x100;
    TestSa rx = make_sa(s);  // same keys, the SPI the attacker wrote
    Bytes w = encap1(tx, kInner, 4);
    store_be32(w.data(), s.spi);
    EXPECT_EQ(decap1(rx, w).error, EspError::kIcvFailed);
}

TEST_P(EspAlgTest, WrongEsnHighHalfFailsTheIcv) {
    SaSpec s = spec(GetParam(), true);
    s.oseq = (uint64_t(5) << 32) + 99;  // sends 5:100
    TestSa tx = make_sa(s);
    s.seq = (uint64_t(4) << 32) + 50;   // expects subspace 4
    TestSa rx = make_sa(s);
    s.seq = (uint64_t(5) << 32) + 50;
    TestSa right = make_sa(s);
    const Bytes w = encap1(tx, kInner, 4);
    EXPECT_EQ(decap1(rx, w).error, EspError::kIcvFailed);
    EXPECT_EQ(decap1(right, w).seq, (uint64_t(5) << 32) + 100);
}

// --- trailer checks (authenticated packets with a bad trailer) ---

TEST_P(EspAlgTest, BadPaddingIsItsOwnError) {
    TestSa sa = make_sa(spec(GetParam()));
    const uint32_t blk = sa.crypto->block_bytes;
    const Bytes payload(blk == 16 ? 11 : 7, 0xab);  // with a 3-byte pad: whole blocks
    EXPECT_EQ(decap1(sa, seal(sa, 1, with_trailer(payload, {1, 2, 3}, 4))).error, EspError::kOk);
    EXPECT_EQ(decap1(sa, seal(sa, 2, with_trailer(payload, {1, 2, 4}, 4))).error, EspError::kBadPadding);
    EXPECT_EQ(decap1(sa, seal(sa, 3, with_trailer(payload, {0, 0, 0}, 4))).error, EspError::kBadPadding);
    Bytes overrun = with_trailer(payload, {1, 2, 3}, 4);
    overrun[overrun.size() - 2] = 200;  // pad length past the start of the payload
    EXPECT_EQ(decap1(sa, seal(sa, 4, overrun)).error, EspError::kBadPadding);
}

TEST_P(EspAlgTest, NextHeaderChecksAndDummyPackets) {
    SaSpec s = spec(GetParam());
    TestSa tunnel = make_sa(s);
    s.mode = Mode::kTransport;
    TestSa transport = make_sa(s);
    EXPECT_EQ(decap1(tunnel, encap1(tunnel, kInner, 17)).error, EspError::kBadNextHeader);
    EXPECT_EQ(decap1(transport, encap1(transport, kInner, 17)).error, EspError::kOk);
    const Bytes dummy = encap1(tunnel, kInner, kNextHeaderNone);
    EXPECT_EQ(decap1(tunnel, dummy).error, EspError::kDummyPacket);
    EXPECT_EQ(decap1(tunnel, dummy).error, EspError::kReplayed);  // it consumed its number
    EXPECT_EQ(decap1(transport, encap1(transport, {}, kNextHeaderNone)).error, EspError::kDummyPacket);
}

// --- round trips ---

TEST_P(EspAlgTest, RoundTripsEveryModeAndEsnAcrossSizes) {
    for (Mode mode : {Mode::kTunnel, Mode::kTransport}) {
        for (bool esn : {false, true}) {
            SaSpec s = spec(GetParam(), esn);
            s.mode = mode;
            TestSa tx = make_sa(s), rx = make_sa(s);
            const SaCrypto& c = *tx.crypto;
            for (uint32_t n : {0u, 1u, 2u, 3u, 13u, 14u, 15u, 16u, 17u, 64u, 576u, 1420u, 1500u}) {
                const Bytes pl = random_bytes(n, n);
                const Bytes w = encap1(tx, pl, 41);
                ASSERT_EQ(w.size(), esp_headroom(c) + n + esp_pad_bytes(c, n) + 2 + c.icv_bytes);
                EXPECT_EQ((n + esp_pad_bytes(c, n) + 2) % c.block_bytes, 0u);
                EXPECT_EQ((w.size() - c.icv_bytes) % 4, 0u) << "ICV not 4-byte aligned";
                const Decapped d = decap1(rx, w);
                ASSERT_EQ(d.error, EspError::kOk) << n << " " << esp_error_info(d.error).name;
                EXPECT_EQ(d.payload, pl);
                EXPECT_EQ(d.next_header, 41);
            }
        }
    }
}

// 100 packets in one call (more than one engine chunk), decapsulated as one run with a
// duplicate inside it: numbers consecutive, the twin refused.
TEST_P(EspAlgTest, RunsLongerThanAChunkAndDuplicatesInsideARun) {
    TestSa tx = make_sa(spec(GetParam())), rx = make_sa(spec(GetParam()));
    std::vector<Packet> pkts;
    for (uint32_t i = 0; i < 100; ++i) pkts.emplace_back(random_bytes(i * 13, i));
    std::vector<EspOut> out;
    for (auto& p : pkts) out.push_back(p.out(4));
    esp_encap(engine(), *tx.crypto, *tx.rt, out);
    std::vector<Bytes> wires;
    for (uint32_t i = 0; i < 100; ++i) {
        ASSERT_EQ(out[i].error, EspError::kOk);
        EXPECT_EQ(out[i].seq, i + 1);
        wires.emplace_back(out[i].esp, out[i].esp + out[i].esp_len);
    }
    wires.push_back(wires[70]);
    std::vector<EspIn> in(wires.size());
    for (size_t i = 0; i < wires.size(); ++i) in[i] = EspIn{.esp = wires[i].data(), .len = uint32_t(wires[i].size())};
    esp_decap(engine(), *rx.crypto, *rx.rt, in);
    for (uint32_t i = 0; i < 100; ++i) ASSERT_EQ(in[i].error, EspError::kOk) << i;
    EXPECT_EQ(in[100].error, EspError::kReplayed);
    EXPECT_EQ(rx.rt->stats().replay, 1u);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, EspAlgTest, ::testing::ValuesIn(kAlgs),
                         [](const auto& info) { return std::string(info.param.name); });

// --- sequence numbers, windows and lifetimes through ESP ---

// The sender crosses 2^32 with ESN; the receiver gets the run reversed and infers each high half.
TEST(EspEsn, LowHalfWrapsHighHalfInferred) {
    SaSpec s = spec(kAlgs[0], true);
    s.oseq = UINT32_MAX - 3;
    s.seq = UINT32_MAX - 10;
    TestSa tx = make_sa(s), rx = make_sa(s);
    std::vector<Bytes> w;
    for (int i = 0; i < 8; ++i) w.push_back(encap1(tx, kInner, 4));
    std::vector<EspIn> in;
    for (int i = 7; i >= 0; --i) in.push_back(EspIn{.esp = w[i].data(), .len = uint32_t(w[i].size())});
    esp_decap(engine(), *rx.crypto, *rx.rt, in);
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(in[i].error, EspError::kOk) << i;
        EXPECT_EQ(in[i].seq, uint64_t(UINT32_MAX) - 2 + (7 - i)) << i;
    }
}

TEST(EspSeq, ExhaustionDropsAndSignalsOnce) {
    SaSpec s = spec(kAlgs[0]);
    s.oseq = UINT32_MAX - 1;
    TestSa sa = make_sa(s);
    Packet p(kInner);
    EspOut o[3] = {p.out(4), p.out(4), p.out(4)};
    EXPECT_TRUE(esp_encap(engine(), *sa.crypto, *sa.rt, {o, 1}).seq_exhausted == false);
    EXPECT_EQ(o[0].seq, UINT32_MAX);
    const SaEvents ev = esp_encap(engine(), *sa.crypto, *sa.rt, {o + 1, 2});
    EXPECT_TRUE(ev.seq_exhausted);
    EXPECT_EQ(o[1].error, EspError::kSeqExhausted);
    EXPECT_EQ(o[2].error, EspError::kSeqExhausted);
    EXPECT_FALSE(esp_encap(engine(), *sa.crypto, *sa.rt, {o, 1}).seq_exhausted);
    EXPECT_EQ(o[0].error, EspError::kSeqExhausted);
}

TEST(EspLifetime, HardLimitStopsBothDirections) {
    SaSpec s = spec(kAlgs[0]);
    s.limits.soft_packets = 2;
    s.limits.hard_packets = 3;
    TestSa tx = make_sa(s), rx = make_sa(s);
    std::vector<Bytes> w;
    SaEvents out_ev, in_ev;
    for (int i = 0; i < 3; ++i) {
        Packet p(kInner);
        EspOut o = p.out(4);
        out_ev |= esp_encap(engine(), *tx.crypto, *tx.rt, {&o, 1});
        w.emplace_back(o.esp, o.esp + o.esp_len);
        EspIn in{.esp = w.back().data(), .len = uint32_t(w.back().size())};
        in_ev |= esp_decap(engine(), *rx.crypto, *rx.rt, {&in, 1});
        EXPECT_EQ(in.error, EspError::kOk);
    }
    EXPECT_TRUE(out_ev.soft_limit && out_ev.hard_limit && in_ev.soft_limit && in_ev.hard_limit);
    EspError err;
    encap1(tx, kInner, 4, nullptr, &err);
    EXPECT_EQ(err, EspError::kLifetimeExpired);
    EXPECT_EQ(decap1(rx, w[0]).error, EspError::kLifetimeExpired);
}

TEST(EspReplay, DuplicateAndTooOldAreCounted) {
    TestSa tx = make_sa(spec(kAlgs[0])), rx = make_sa(spec(kAlgs[0]));
    std::vector<Bytes> w;
    for (int i = 0; i < 70; ++i) w.push_back(encap1(tx, kInner, 4));
    EXPECT_EQ(decap1(rx, w[69]).error, EspError::kOk);
    EXPECT_EQ(decap1(rx, w[69]).error, EspError::kReplayed);
    EXPECT_EQ(decap1(rx, w[6]).error, EspError::kOk);      // seq 7: T - 63, inside
    EXPECT_EQ(decap1(rx, w[5]).error, EspError::kTooOld);  // seq 6: T - 64
    EXPECT_EQ(rx.rt->stats().replay, 1u);
    EXPECT_EQ(rx.rt->stats().replay_window, 1u);
}

// The dataplane's shape: runs of two SAs prepared into one op array, one engine call, each run
// finished on its own.
TEST(EspPhases, TwoSasShareOneEngineCall) {
    TestSa a = make_sa(spec(kAlgs[0])), b = make_sa(spec(kAlgs[5]));
    std::vector<Packet> pkts(6, Packet(kInner));
    std::vector<EspOut> out;
    for (auto& p : pkts) out.push_back(p.out(4));
    CryptoOp ops[6];
    const std::span<EspOut> run_a(out.data(), 4), run_b(out.data() + 4, 2);
    esp_encap_prepare(engine(), *a.crypto, *a.rt, run_a, ops);
    esp_encap_prepare(engine(), *b.crypto, *b.rt, run_b, ops + 4);
    engine().encrypt(ops, 6);
    esp_encap_finish(*a.crypto, *a.rt, run_a, ops);
    esp_encap_finish(*b.crypto, *b.rt, run_b, ops + 4);
    TestSa ra = make_sa(spec(kAlgs[0])), rb = make_sa(spec(kAlgs[5]));
    for (int i = 0; i < 6; ++i) {
        ASSERT_EQ(out[i].error, EspError::kOk);
        const Decapped d = decap1(i < 4 ? ra : rb, Bytes(out[i].esp, out[i].esp + out[i].esp_len));
        EXPECT_EQ(d.error, EspError::kOk) << i;
        EXPECT_EQ(d.payload, kInner);
    }
    EXPECT_EQ(a.rt->packets(), 4u);
    EXPECT_EQ(b.rt->bytes(), 2 * kInner.size());
}

TEST(EspErrorTable, RowsMatchTheirValuesAndNamesAreUnique) {
    std::set<std::string_view> names;
    for (size_t i = 0; i < std::size(kEspErrors); ++i) {
        EXPECT_EQ(static_cast<size_t>(kEspErrors[i].reason), i);
        EXPECT_TRUE(names.insert(kEspErrors[i].name).second) << kEspErrors[i].name;
    }
}

}  // namespace
}  // namespace crypto::test
