// Known answers: the six ESP vectors of reference/linux-routing-and-ipsec.md §10 (cases 1-5 from
// draft-mcgrew-gcm-test-01, as Linux testmgr's rfc4106 template; case 6 RFC 7634 A.1), byte for
// byte through esp_encap with the vector's IV and sequence number, and back through esp_decap,
// including the ESN cases 1 and 5 and ChaCha20 on both engines. Two AES-CBC + HMAC vectors
// made with Python `cryptography` 38 + hmac (an independent implementation) complete the set.
#include "tests/crypto/crypto_test_util.h"

namespace crypto::test {
namespace {

struct Kat {
    const char* name;
    Algorithm alg;
    const char* key;   // cipher key || salt
    const char* auth;  // HMAC key ("" for AEADs)
    const char* iv;
    uint32_t spi;
    uint64_t seq;
    bool esn;
    Mode mode;
    const char* plaintext;  // payload || padding || pad length || next header
    const char* wire;       // SPI || seq || IV || ciphertext || ICV
};

const Kat kKats[] = {
    {"1_gcm128_esn", Algorithm::kAesGcm128, "4c80cdefbb5d10da906ac73c3613a634 2e443b68", "", "4956ed7e3b244cfe",
     0x4321, 0x8765432100000000, true, Mode::kTransport,
     "45000048699a000080114db7c0a80102c0a801010a9bf15638d301000001000000000000045f736970045f756470037369700963796265"
     "726369747902646b000021000101020201",
     "00004321000000004956ed7e3b244cfe fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3"
     "cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732459018148f6cbe722fd04796562dfdb4"},
    {"2_gcm128", Algorithm::kAesGcm128, "feffe9928665731c6d6a8f9467308308 cafebabe", "", "facedbaddecaf888", 0xa5f8,
     0x0a, false, Mode::kTransport,
     "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265726369747902"
     "646b00000100010001",
     "0000a5f80000000afacedbaddecaf888 deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a"
     "4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a"},
    {"3_gcm256", Algorithm::kAesGcm256, "abbccddef00112233445566778899aababbccddef00112233445566778899aab 11223344", "",
     "0102030405060708", 0x4a2cbfe3, 2, false, Mode::kTransport,
     "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b40101040201020201",
     "4a2cbfe3000000020102030405060708 ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d"
     "347f0545659f14e99def842d8eb335f4eecfdbf831824b4c4915956c96"},
    {"4_gcm128_minimal", Algorithm::kAesGcm128, "7d773d00c144c525ac619d18c84a3f47 d9664267", "", "43457e9182443bc6",
     0x335467ae, 0xffffffff, false, Mode::kTransport, "01020201",
     "335467aeffffffff43457e9182443bc6 437f866bcb3f699fe9b0822bac961c4504bef270"},
    {"5_gcm256_esn_all_ones", Algorithm::kAesGcm256,
     "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961 7475726e", "", "333021696765746d", 0x796b6963,
     0xffffffffffffffff, true, Mode::kTransport,
     "45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f707172737401020201",
     "796b6963ffffffff333021696765746d f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a864cd3d78ca4ae68"
     "a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a329fb4c053"},
    {"6_chacha20poly1305", Algorithm::kChaCha20Poly1305,
     "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3", "", "1011121314151617", 0x01020304,
     5, false, Mode::kTunnel,
     "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec100007362708090a0b0c0d0e0f10111213141516171819"
     "1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363701020204",
     "01020304000000051011121314151617 24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c614ee8099d52844"
     "eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3cbec163fac469b502773f6fb94e664da9165b82829f641e0"
     "76aaa8266b7fb0f7b11b369907e1ad43"},
    {"7_cbc128_sha256_python", Algorithm::kAesCbcHmacSha256, "101112131415161718191a1b1c1d1e1f",
     "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f", "000102030405060708090a0b0c0d0e0f", 0x1234, 7,
     false, Mode::kTunnel, "4500001c000100004001f78ec0a80001c0a800020800f7ff0000000001020204",
     "0000123400000007000102030405060708090a0b0c0d0e0f621fc1489bd421ce4ef56dd78dd4ce0726677142f0bc51b082b7611c8f74e6"
     "21eb1ef04b207a4a2fbbc4e319e5c4197d"},
    {"8_cbc256_sha1_esn_python", Algorithm::kAesCbcHmacSha1,
     "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3",
     "f0e0d0c0b0a090807060504030201000", 0xcafe0001, 0x0000000500000003, true, Mode::kTransport,
     "77696c647369646520657370206362632b686d61632d736861312d393620776974682065736e01020304050607080811",
     "cafe000100000003f0e0d0c0b0a09080706050403020100047105e71178b70151cdbd2ead6d60ec1b182e61f770fa56e25f576d9614f40"
     "a342e63dde3fe3acb8db247961f03dea25d5cf63bf743fb3b72f14d3da"},
};

SaSpec spec_of(const Kat& k, EngineKind engine) {
    SaSpec s;
    s.alg = k.alg;
    s.engine = engine;
    s.key = hex(k.key);
    s.auth = hex(k.auth);
    s.spi = k.spi;
    s.mode = k.mode;
    s.esn = k.esn;
    s.oseq = k.seq - 1;                  // the next number sent is the vector's
    s.seq = k.seq > 16 ? k.seq - 16 : 0;  // T just below it: the ESN high half infers right
    return s;
}

class KatTest : public ::testing::TestWithParam<std::tuple<Kat, EngineKind>> {};

TEST_P(KatTest, EncryptMatchesThePublishedPacket) {
    const auto& [k, engine_kind] = GetParam();
    TestSa sa = make_sa(spec_of(k, engine_kind));
    ASSERT_TRUE(sa.crypto);
    const Bytes pt = hex(k.plaintext), iv = hex(k.iv);
    const uint8_t padlen = pt[pt.size() - 2], nh = pt.back();
    const Bytes payload(pt.begin(), pt.end() - 2 - padlen);
    EspError err;
    const Bytes wire = encap1(sa, payload, nh, iv.data(), &err);
    ASSERT_EQ(err, EspError::kOk);
    EXPECT_EQ(to_hex(wire.data(), wire.size()), to_hex(hex(k.wire).data(), hex(k.wire).size()));
}

TEST_P(KatTest, DecryptRecoversThePayload) {
    const auto& [k, engine_kind] = GetParam();
    TestSa sa = make_sa(spec_of(k, engine_kind));
    ASSERT_TRUE(sa.crypto);
    const Bytes pt = hex(k.plaintext);
    const Decapped d = decap1(sa, hex(k.wire));
    ASSERT_EQ(d.error, EspError::kOk) << esp_error_info(d.error).name;
    EXPECT_EQ(d.seq, k.seq);
    EXPECT_EQ(d.next_header, pt.back());
    EXPECT_EQ(d.payload, Bytes(pt.begin(), pt.end() - 2 - pt[pt.size() - 2]));
}

std::vector<std::tuple<Kat, EngineKind>> all_kats() {
    std::vector<std::tuple<Kat, EngineKind>> v;
    for (const Kat& k : kKats) {
        v.emplace_back(k, EngineKind::kIpsecMb);
        if (k.alg == Algorithm::kChaCha20Poly1305) v.emplace_back(k, EngineKind::kSodium);
    }
    return v;
}

INSTANTIATE_TEST_SUITE_P(Vectors, KatTest, ::testing::ValuesIn(all_kats()), [](const auto& info) {
    return std::string(std::get<0>(info.param).name) +
           (std::get<1>(info.param) == EngineKind::kSodium ? "_sodium" : "_ipsecmb");
});

}  // namespace
}  // namespace crypto::test
