// Engine (crypto/engine.h): invalid ops and SA parameters first, then the two backends checked
// against each other (ChaCha20-Poly1305, every length 0..1500, both directions), round trips of
// every algorithm in mixed bursts longer than the in-flight limit, and tampering that fails
// only the op it touched.
#include "tests/crypto/crypto_test_util.h"

namespace crypto::test {
namespace {

// An op over buf (in place): aad = the first aad_len bytes, then len bytes of data, then the ICV.
struct OpBuf {
    Bytes buf;
    Bytes iv;
    uint32_t aad_len, len;
    OpBuf(uint32_t aad, uint32_t n, uint64_t seed, uint32_t iv_len)
        : buf(random_bytes(aad + n + 16 + 4, seed)), iv(random_bytes(iv_len, seed + 1)), aad_len(aad), len(n) {}
    CryptoOp op(const SaCrypto& sa) {
        CryptoOp o;
        o.sa = &sa;
        o.iv = iv.data();
        o.aad = {buf.data(), aad_len};
        o.in = o.out = buf.data() + aad_len;
        o.len = len;
        o.icv = o.out + len;
        o.esn_hi = 0x01020304;
        return o;
    }
};

uint32_t iv_len(Algorithm a) { return algorithm_info(a).iv_bytes; }

// --- invalid input first ---

TEST(SaParamsTest, RefusesWhatTheEnginesCannotRun) {
    auto refused = [](SaSpec s, ws::Errc code) {
        const ws::Status st = check_sa_params(params(s));
        EXPECT_FALSE(st.ok());
        if (!st.ok()) {
            EXPECT_EQ(st.error().code, code) << st.error().message;
        }
    };
    refused({.spi = 0}, ws::Errc::kInvalid);
    refused({.key = Bytes(16)}, ws::Errc::kInvalid);  // GCM-128 without its salt
    refused({.alg = Algorithm::kAesGcm256, .key = Bytes(20)}, ws::Errc::kInvalid);
    refused({.icv = 10}, ws::Errc::kInvalid);
    refused({.alg = Algorithm::kChaCha20Poly1305, .icv = 12}, ws::Errc::kInvalid);
    refused({.alg = Algorithm::kAesCbcHmacSha256, .key = Bytes(24)}, ws::Errc::kInvalid);
    refused({.alg = Algorithm::kAesCbcHmacSha256, .icv = 12}, ws::Errc::kInvalid);
    refused({.alg = Algorithm::kAesCbcHmacSha1, .icv = 16}, ws::Errc::kInvalid);
    refused({.alg = Algorithm::kAesCbcHmacSha1, .auth = Bytes(65)}, ws::Errc::kUnsupported);
    refused({.engine = EngineKind::kSodium}, ws::Errc::kUnsupported);  // sodium runs ChaCha20 only
    refused({.window = 4097}, ws::Errc::kUnsupported);
    refused({.esn = true, .window = 0}, ws::Errc::kInvalid);
    SaParams no_key = params({});
    no_key.key = nullptr;
    EXPECT_FALSE(check_sa_params(no_key).ok());
    EXPECT_FALSE(SaCrypto::make(no_key).ok());
}

TEST(EngineTest, SkipsOpsWithoutAnSa) {
    CryptoOp op;
    op.status = OpStatus::kOk;
    engine().encrypt(&op, 1);
    EXPECT_EQ(op.status, OpStatus::kSkipped);
}

TEST(EngineTest, RefusesCbcOpsOutsideTheContract) {
    TestSa sa = make_sa({.alg = Algorithm::kAesCbcHmacSha256});
    OpBuf b(24, 32, 1, 16);
    std::vector<CryptoOp> ops(5, b.op(*sa.crypto));
    ops[0].len = 31;            // not whole blocks
    ops[1].len = 0;             // nothing to cipher
    ops[2].aad = {b.buf.data(), 20};  // the MACed header does not end at the ciphertext
    Bytes other(64);
    ops[3].out = other.data();  // out of place
    ops[4].icv = nullptr;
    engine().encrypt(ops.data(), ops.size());
    for (const CryptoOp& op : ops) EXPECT_EQ(op.status, OpStatus::kFailed);
}

TEST(EngineTest, RefusesNullBuffersOnEitherEngine) {
    for (EngineKind e : {EngineKind::kIpsecMb, EngineKind::kSodium}) {
        TestSa sa = make_sa({.alg = Algorithm::kChaCha20Poly1305, .engine = e});
        OpBuf b(8, 16, 1, 8);
        CryptoOp op = b.op(*sa.crypto);
        op.iv = nullptr;
        engine().encrypt(&op, 1);
        EXPECT_EQ(op.status, OpStatus::kFailed);
    }
}

// --- the backends against each other ---

// ChaCha20-Poly1305 on ipsec-mb and on libsodium give the same bytes for every payload length
// 0..1500, and each decrypts the other's output.
TEST(EngineCrossCheck, ChaChaIpsecMbAndSodiumAgreeOnEveryLength) {
    TestSa mb = make_sa({.alg = Algorithm::kChaCha20Poly1305});
    TestSa na = make_sa({.alg = Algorithm::kChaCha20Poly1305, .engine = EngineKind::kSodium});
    for (uint32_t n = 0; n <= 1500; ++n) {
        OpBuf a(n % 2 ? 12 : 8, n, n, 8);
        OpBuf b = a;
        CryptoOp oa = a.op(*mb.crypto), ob = b.op(*na.crypto);
        engine().encrypt(&oa, 1);
        engine().encrypt(&ob, 1);
        ASSERT_EQ(oa.status, OpStatus::kOk);
        ASSERT_EQ(ob.status, OpStatus::kOk);
        ASSERT_EQ(a.buf, b.buf) << "length " << n;
        CryptoOp da = a.op(*na.crypto), db = b.op(*mb.crypto);  // swap engines to decrypt
        engine().decrypt(&da, 1);
        engine().decrypt(&db, 1);
        ASSERT_EQ(da.status, OpStatus::kOk) << "length " << n;
        ASSERT_EQ(db.status, OpStatus::kOk) << "length " << n;
        ASSERT_EQ(a.buf, b.buf);
        const Bytes orig = OpBuf(n % 2 ? 12 : 8, n, n, 8).buf;  // back to the plaintext
        ASSERT_TRUE(std::equal(orig.begin(), orig.begin() + a.aad_len + n, a.buf.begin())) << "length " << n;
    }
}

struct Mix {
    std::vector<TestSa> sas;
    std::vector<OpBuf> bufs;
    std::vector<CryptoOp> ops;
};

// 200 ops over every algorithm and both engines, random lengths (whole blocks for CBC).
Mix mixed_burst() {
    Mix m;
    m.sas.push_back(make_sa({.alg = Algorithm::kAesGcm128}));
    m.sas.push_back(make_sa({.alg = Algorithm::kAesGcm256, .icv = 12}));
    m.sas.push_back(make_sa({.alg = Algorithm::kAesGcm128, .icv = 8, .esn = true}));
    m.sas.push_back(make_sa({.alg = Algorithm::kChaCha20Poly1305}));
    m.sas.push_back(make_sa({.alg = Algorithm::kChaCha20Poly1305, .engine = EngineKind::kSodium}));
    m.sas.push_back(make_sa({.alg = Algorithm::kAesCbcHmacSha256}));
    m.sas.push_back(make_sa({.alg = Algorithm::kAesCbcHmacSha1, .key = random_bytes(32, 9), .esn = true}));
    std::mt19937 rng(7);
    for (uint32_t i = 0; i < 200; ++i) {
        const SaCrypto& sa = *m.sas[i % m.sas.size()].crypto;
        const bool cbc = !algorithm_info(sa.alg).aead;
        const uint32_t len = cbc ? 16 * (1 + rng() % 94) : rng() % 1501;
        m.bufs.emplace_back(cbc ? 24 : 8, len, i, iv_len(sa.alg));
    }
    for (uint32_t i = 0; i < 200; ++i) m.ops.push_back(m.bufs[i].op(*m.sas[i % m.sas.size()].crypto));
    return m;
}

TEST(EngineRoundTrip, MixedBurstOfEveryAlgorithmLongerThanTheInFlightLimit) {
    Mix m = mixed_burst();
    std::vector<Bytes> plain;
    for (auto& b : m.bufs) plain.emplace_back(b.buf.begin() + b.aad_len, b.buf.begin() + b.aad_len + b.len);
    engine().encrypt(m.ops.data(), m.ops.size());
    for (size_t i = 0; i < m.ops.size(); ++i) {
        ASSERT_EQ(m.ops[i].status, OpStatus::kOk) << i;
        if (m.bufs[i].len >= 16) {
            EXPECT_NE(Bytes(m.ops[i].out, m.ops[i].out + m.bufs[i].len), plain[i]) << "not encrypted: " << i;
        }
    }
    engine().decrypt(m.ops.data(), m.ops.size());
    for (size_t i = 0; i < m.ops.size(); ++i) {
        ASSERT_EQ(m.ops[i].status, OpStatus::kOk) << i;
        EXPECT_EQ(Bytes(m.ops[i].out, m.ops[i].out + m.bufs[i].len), plain[i]) << i;
    }
}

// One flipped bit (in the AAD, the ciphertext, the ICV or, for CBC with ESN, the high half)
// fails that op alone.
TEST(EngineRoundTrip, TamperingFailsOnlyTheOpItTouches) {
    Mix m = mixed_burst();
    engine().encrypt(m.ops.data(), m.ops.size());
    // op i runs on sas[i % 7]: 0 GCM-128, 1 GCM-256/12, 2 GCM-128/8 ESN, 3 ChaCha20 ipsec-mb,
    // 4 ChaCha20 sodium, 5 CBC-SHA256, 6 CBC-SHA1 ESN.
    const std::vector<size_t> touched = {21, 9, 15, 3, 24, 32, 40, 48, 6};
    m.ops[21].icv[-1] ^= 2;                           // last ciphertext (or AAD) byte, GCM-128
    m.bufs[9].buf[1] ^= 0x80;                         // AAD (SPI), GCM-128 ICV 8 with ESN
    m.ops[15].icv[m.ops[15].sa->icv_bytes - 1] ^= 1;  // ICV, GCM-256
    m.ops[3].out[0] ^= 1;                             // first ciphertext (or ICV) byte, ChaCha20 ipsec-mb
    m.ops[24].aad = m.ops[24].aad.subspan(0, 7);      // a shorter AAD, ChaCha20 ipsec-mb
    m.ops[32].icv[-1] ^= 4;                           // ChaCha20 sodium
    m.bufs[40].buf[4] ^= 1;                           // the MACed header (sequence number), CBC-SHA256
    m.ops[48].icv[0] ^= 1;                            // ICV, CBC-SHA1 with ESN
    m.ops[6].esn_hi ^= 1;                             // the unsent high half, CBC-SHA1 with ESN
    engine().decrypt(m.ops.data(), m.ops.size());
    for (size_t i = 0; i < m.ops.size(); ++i) {
        const bool hit = std::find(touched.begin(), touched.end(), i) != touched.end();
        EXPECT_EQ(m.ops[i].status, hit ? OpStatus::kAuthFailed : OpStatus::kOk) << i;
    }
}

TEST(EngineTest, CbcIvsAreDistinctUnpredictableAndStablePerSa) {
    TestSa sa = make_sa({.alg = Algorithm::kAesCbcHmacSha256});
    TestSa other = make_sa({.alg = Algorithm::kAesCbcHmacSha256});  // same keys, its own IV key
    uint8_t a[16], b[16], c[16], d[16];
    engine().cbc_iv(*sa.crypto, 1, a);
    engine().cbc_iv(*sa.crypto, 2, b);
    engine().cbc_iv(*sa.crypto, 1, c);
    engine().cbc_iv(*other.crypto, 1, d);
    EXPECT_NE(to_hex(a, 16), to_hex(b, 16));
    EXPECT_EQ(to_hex(a, 16), to_hex(c, 16));
    EXPECT_NE(to_hex(a, 16), to_hex(d, 16));
    EXPECT_NE(to_hex(a, 16), "00000000000000010000000000000000");
}

TEST(EngineTest, ReportsItsArchitecture) { EXPECT_NE(engine().arch(), "none"); }

}  // namespace
}  // namespace crypto::test
