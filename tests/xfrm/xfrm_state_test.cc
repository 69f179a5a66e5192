// control/grammar/xfrm_state_grammar.cc and the SAD: `ip xfrm state` lines, invalid input
// first (iproute2 6.1's and the kernel's error texts, wildside's limits), then every keyword,
// the SAD's key rules (File exists / No such process, the mark), update's Linux semantics and
// the key material in SecureKey.
#include <cstring>

#include "xfrm_test_util.h"

namespace {

using xt::error_of;
using xt::gcm_state;

const std::string kId = "ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x10 ";
const std::string kGcm = "aead 'rfc4106(gcm(aes))' " + std::string(xt::kGcm128) + " 128";
const std::string kCbc = "enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth-trunc 'hmac(sha256)' " + std::string(xt::kSha256Key) + " 128";

struct Case {
    std::string line;
    std::string message;
};

void expect_errors(const std::vector<Case>& cases) {
    for (const auto& c : cases) EXPECT_EQ(error_of(c.line), c.message) << c.line;
}

// ---------------------------------------------------------------------------------------------
// Invalid input: what ip itself refuses, with its words.

TEST(XfrmStateInvalid, IproutesOwnErrors) {
    expect_errors({
        {kId, "ALGO-TYPE value \"enc\" or \"aead\" is required with XFRM-PROTO value \"esp\""},
        {"ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto espx spi 1 " + kGcm, "Error: argument \"espx\" is wrong: XFRM-PROTO value is invalid"},
        {"ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0xz " + kGcm, "Error: argument \"0xz\" is wrong: SPI value is invalid"},
        {"ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100000000 " + kGcm, "Error: argument \"0x100000000\" is wrong: SPI value is invalid"},
        {"ip xfrm state add src 10.0.0.1 dst fd00::1 proto esp spi 1 " + kGcm,
         "Error: argument \"1\" is wrong: the same address family is required between values after \"src\" and \"dst\""},
        {"ip xfrm state add src 10.0.0.1 dst 10.0.0.2 spi 1 " + kGcm, "Error: argument \"XFRM-PROTO\" is required"},
        {"ip xfrm state add mode tunnel " + kGcm, "Not enough information: ID is required"},
        {"ip xfrm state add src x dst 10.0.0.2 proto esp spi 1 " + kGcm, "Error: any valid prefix is expected rather than \"x\"."},
        {kId + "mode foo " + kGcm, "Error: argument \"foo\" is wrong: MODE value is invalid"},
        {kId + "reqid x " + kGcm, "Error: argument \"x\" is wrong: REQID value is invalid"},
        {kId + "replay-window x " + kGcm, "Error: argument \"x\" is wrong: value after \"replay-window\" is invalid"},
        {kId + "flag foo " + kGcm, "Error: argument \"foo\" is wrong: unknown"},
        {kId + kGcm + " foo", "Error: argument \"foo\" is wrong: unknown"},
        {kId + kGcm + " src 10.0.0.3", "Error: argument \"src\" is wrong: unknown"},
        {kId + kGcm + " flag", "Command line is not complete. Try option \"help\""},
        {kId + kGcm + " extra-flag", "Command line is not complete. Try option \"help\""},
        {kId + kGcm + " flag 0x100", "Error: argument \"0x100\" is wrong: FLAG value is invalid"},
        {kId + kGcm + " extra-flag foo", "Error: argument \"foo\" is wrong: unknown"},
        {kId + kGcm + " extra-flag 0xz", "Error: argument \"0xz\" is wrong: \"EXTRA-FLAG\" is invalid"},
        {kId + "aead 'rfc4106(gcm(aes))' 0xzz 128", "Error: argument \"<key>\" is wrong: ALGO-KEYMAT value is invalid"},
        {kId + "aead 'rfc4106(gcm(aes))' " + std::string(xt::kGcm128) + " x", "Error: argument \"x\" is wrong: ALGO-ICV-LEN value is invalid"},
        {kId + "aead 'rfc4106(gcm(aes))' " + std::string(xt::kGcm128), "Error: argument \"ALGO-ICV-LEN\" is required"},
        {kId + "aead 'rfc4106(gcm(aes))'", "Error: argument \"ALGO-KEYMAT\" is required"},
        {kId + "aead", "Error: argument \"ALGO-NAME\" is required"},
        {kId + "enc 'cbc(aes)' 0x00 auth-trunc 'hmac(sha1)' 0x00 x", "Error: argument \"x\" is wrong: ALGO-TRUNC-LEN value is invalid"},
        {kId + kGcm + " " + kGcm, "Error: duplicate \"ALGO-TYPE\": \"aead\" is the second value."},
        {kId + kGcm + " enc 'cbc(aes)' 0x00", "Error: duplicate \"ALGO-TYPE\": \"enc\" is the second value."},
        {kId + "enc 'cbc(aes)' 0x00 auth 'hmac(sha1)' 0x00 auth-trunc 'hmac(sha1)' 0x00 96",
         "Error: duplicate \"ALGO-TYPE\": \"auth-trunc\" is the second value."},
        {kId + "enc 'cbc(aes)' 0x00 comp deflate", "ALGO-TYPE value \"comp\" is invalid with XFRM-PROTO value \"esp\""},
        {kId + "auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) + " 96",
         "ALGO-TYPE value \"enc\" or \"aead\" is required with XFRM-PROTO value \"esp\""},
        {kId + kGcm + " flag esn", "Error: esn flag set without replay-window."},
        {kId + kGcm + " flag esn replay-window 0", "Error: esn flag set without replay-window."},
        {kId + kGcm + " flag 0x80", "Error: esn flag set without replay-window."},
        {kId + kGcm + " replay-window 4097", "Error: replay-window (4097) > XFRMA_REPLAY_ESN_MAX (4096)."},
    });
}

TEST(XfrmStateInvalid, OptionValuesAndSelector) {
    expect_errors({
        {kId + kGcm + " encap foo 1 2 0.0.0.0", "Error: argument \"foo\" is wrong: ENCAP-TYPE value is invalid"},
        {kId + kGcm + " encap espinudp x 2 0.0.0.0", "Error: argument \"x\" is wrong: SPORT value after \"encap\" is invalid"},
        {kId + kGcm + " encap espinudp 1 70000 0.0.0.0", "Error: argument \"70000\" is wrong: DPORT value after \"encap\" is invalid"},
        {kId + kGcm + " encap espinudp 1 2 x", "Error: any valid address is expected rather than \"x\"."},
        {kId + kGcm + " encap espinudp 1 2", "Command line is not complete. Try option \"help\""},
        {kId + kGcm + " if_id x", "Error: argument \"x\" is wrong: value after \"if_id\" is invalid"},
        {kId + kGcm + " mark x", "Error: argument \"x\" is wrong: MARK value is invalid"},
        {kId + kGcm + " mark 1 mask x", "Error: argument \"x\" is wrong: MASK value is invalid"},
        {kId + kGcm + " mark 1/x", "Error: argument \"x\" is wrong: MASK value is invalid"},
        {kId + kGcm + " limit foo 1", "Error: argument \"foo\" is wrong: LIMIT value is invalid"},
        {kId + kGcm + " limit byte-soft x", "Error: argument \"x\" is wrong: value after \"byte-soft\" is invalid"},
        {kId + kGcm + " limit packet-hard", "Command line is not complete. Try option \"help\""},
        {kId + kGcm + " sel src x", "Error: any valid prefix is expected rather than \"x\"."},
        {kId + kGcm + " sel src 10.0.0.0/33", "Error: any valid prefix is expected rather than \"10.0.0.0/33\"."},
        {kId + kGcm + " sel src 10.0.0.0/8 dst fd00::/8",
         "Error: argument \"fd00::/8\" is wrong: the same address family is required between values after \"src\" and \"dst\""},
        {kId + kGcm + " sel proto icmp sport 1", "\"sport\" and \"dport\" are invalid with PROTO value \"icmp\""},
        {kId + kGcm + " sel proto tcp type 1", "\"type\" and \"code\" are invalid with PROTO value \"tcp\""},
        {kId + kGcm + " sel type 3", "\"type\" and \"code\" are invalid with PROTO value \"ip\""},
        {kId + kGcm + " sel proto gre dport 22", "\"sport\" and \"dport\" are invalid with PROTO value \"gre\""},
        {kId + kGcm + " sel proto tcp sport 70000", "Error: argument \"70000\" is wrong: value after \"sport\" is invalid"},
        {kId + kGcm + " sel proto icmp type 256", "Error: argument \"256\" is wrong: value after \"type\" is invalid"},
        {kId + kGcm + " sel proto foo", "Error: argument \"foo\" is wrong: PROTO value is invalid"},
        {kId + kGcm + " sel src any", "Error: argument \"any\" is wrong: value after \"src\" has an unrecognized address family"},
        {kId + kGcm + " engine foo", "Error: argument \"foo\" is wrong: ENGINE value is invalid (ipsec-mb or sodium)"},
    });
}

// What the kernel refuses after ip has sent it (extack texts, "Error: ...").
TEST(XfrmStateInvalid, KernelErrors) {
    const std::string refused = "Error: Kernel was unable to initialize cryptographic operations. (";
    expect_errors({
        {kId + "aead 'rfc4309(ccm(aes))' " + std::string(xt::kGcm128) + " 128", "Error: Requested AEAD algorithm not found."},
        {kId + "enc 'cbc(des)' 0x0102030405060708 auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) + " 96",
         "Error: Requested CRYPT algorithm not found."},
        {kId + "enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth-trunc 'hmac(md5)' 0x00 96", "Error: Requested AUTH_TRUNC algorithm not found."},
        {kId + "enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth 'hmac(md5)' 0x00", "Error: Requested AUTH algorithm not found."},
        {kId + "enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) + " 200",
         "Error: Invalid length requested for truncated ICV."},
    });
    for (const std::string& bad : {kId + "aead 'rfc4106(gcm(aes))' 0x0102030405060708090a 128",
                                   kId + "aead 'rfc4106(gcm(aes))' " + std::string(xt::kGcm128) + " 100",
                                   kId + "aead 'rfc7539esp(chacha20,poly1305)' " + std::string(xt::kGcm128) + " 128",
                                   kId + "aead 'rfc7539esp(chacha20,poly1305)' " + std::string(xt::kKey36) + " 96",
                                   kId + "enc 'cbc(aes)' 0x0102 auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) + " 96"}) {
        const std::string e = error_of(bad);
        EXPECT_EQ(e.rfind(refused, 0), 0u) << bad << "\n" << e;
        EXPECT_EQ(xt::code_of(bad), ws::Errc::kInvalid);
    }
}

// What Linux would take and wildside does not (kUnsupported, the word named).
TEST(XfrmStateInvalid, BeyondWildside) {
    const std::vector<std::string> lines = {
        "ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto ah spi 1 auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) + " 96",
        kId + "mode beet " + kGcm,
        kId + "aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c 128",  // AES-192
        kId + "enc 'cbc(aes)' 0x0102030405060708090a0b0c0d0e0f101112131415161718 auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) + " 96",
        kId + "enc 'cbc(aes)' " + std::string(xt::kAes128),  // ESP without integrity
        kId + "enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth-trunc 'hmac(sha256)' " + std::string(xt::kSha256Key) + " 96",
        kId + "enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) + " 128",
        kId + "enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth 'hmac(sha256)' " + std::string(xt::kSha256Key),  // Linux: 96 bits
        kId + "enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth-trunc 'hmac(sha256)' " + std::string(xt::kAes128) + " 128",
        kId + kGcm + " encap espinudp-nonike 4500 4500 0.0.0.0",
        kId + kGcm + " encap espintcp 4500 4500 0.0.0.0",
        kId + kGcm + " limit time-soft 10",
        kId + kGcm + " seq 5", kId + kGcm + " coa 10.0.0.9",
        kId + kGcm + " ctx x", kId + kGcm + " offload dev eth0 dir out", kId + kGcm + " output-mark 5", kId + kGcm + " tfcpad 5",
        kId + kGcm + " sel dev eth0", kId + kGcm + " sel proto gre key 5",
        "ip xfrm state allocspi src 10.0.0.1 dst 10.0.0.2 proto esp",
        "ip xfrm monitor",
    };
    for (const auto& l : lines) EXPECT_EQ(xt::code_of(l), ws::Errc::kUnsupported) << l << "\n" << error_of(l);
    EXPECT_EQ(error_of(kId + kGcm + " seq 5"), "\"seq\" is not supported");
    EXPECT_EQ(error_of(kId + "mode beet " + kGcm), "mode \"beet\" is not supported");
}

TEST(XfrmStateInvalid, WildsidesOwnRules) {
    expect_errors({
        {"ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0 " + kGcm, "SPI 0 is reserved (RFC 4303 §2.1)"},
        {"ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp " + kGcm, "SPI 0 is reserved (RFC 4303 §2.1)"},
        {kId + kGcm + " engine sodium", "engine sodium implements rfc7539esp(chacha20,poly1305) only"},
        {"ip xfrm state show", "\"ip xfrm state list\" is a query, not a change"},
        {"ip xfrm state get dst 10.0.0.2 proto esp spi 1", "\"ip xfrm state get\" is a query, not a change"},
        {"ip xfrm state frob", "Command \"frob\" is unknown, try \"ip xfrm state help\"."},
        {"ip xfrm frob", "Usage: ip xfrm XFRM-OBJECT { COMMAND | help }"},
        {"ip xfrm", "Usage: ip xfrm XFRM-OBJECT { COMMAND | help }"},
    });
}

TEST(XfrmStateInvalid, SadKeyRules) {
    ctl::Model m;
    xt::must_apply(m, gcm_state("0x10"));
    EXPECT_EQ(error_of(m, gcm_state("0x10")), "RTNETLINK answers: File exists");
    EXPECT_EQ(error_of(m, gcm_state("16", "reqid 9")), "RTNETLINK answers: File exists");  // same key, other fields
    EXPECT_EQ(error_of(m, "ip xfrm state del dst 10.0.0.2 proto esp spi 0x11"), "RTNETLINK answers: No such process");
    EXPECT_EQ(error_of(m, "ip xfrm state delete src 10.0.0.1 dst 10.0.0.2 spi 5"), "Error: argument \"XFRM-PROTO\" is required");
    EXPECT_EQ(error_of(m, "ip xfrm state del dst 10.0.0.2 proto esp spi 0x10 mode tunnel"), "Error: argument \"mode\" is wrong: unknown");
    EXPECT_EQ(error_of(m, "ip xfrm state del dst 10.0.0.3 proto esp spi 0x10"), "RTNETLINK answers: No such process");
    const std::string upd = "ip xfrm state update src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x11 " + kGcm;
    EXPECT_EQ(error_of(m, upd), "RTNETLINK answers: No such process");
    EXPECT_EQ(xt::code_of("ip xfrm state flush proto foo"), ws::Errc::kInvalid);
    EXPECT_EQ(error_of(m, "ip xfrm state flush foo"), "Error: argument \"foo\" is wrong: unknown");
    EXPECT_EQ(m.sad.size(), 1u);
}

// A batch with a bad xfrm line: FILE:LINE, the token, and the SAD and SPD unchanged.
TEST(XfrmStateInvalid, BatchIsAllOrNothing) {
    ctl::Model m;
    xt::must_apply(m, gcm_state("0x10") + "\nip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out\n");
    const std::string before = xt::query(m, "ip xfrm state list keys") + xt::query(m, "ip xfrm policy list");
    const std::string script = gcm_state("0x20") + "\n" + "ip xfrm policy flush\n" + "ip xfrm state flush\n" + "# comment\n" +
                               kId + "reqid 0xq " + kGcm + "\n";
    auto st = ctl::apply_batch(m, ctl::split_script(script), "east.conf");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().line, 5);
    EXPECT_EQ(st.error().token, "0xq");
    EXPECT_EQ(st.error().format(), "east.conf:5: Error: argument \"0xq\" is wrong: REQID value is invalid");
    EXPECT_EQ(xt::query(m, "ip xfrm state list keys") + xt::query(m, "ip xfrm policy list"), before);
    EXPECT_EQ(m.sad.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Every keyword.

TEST(XfrmState, GcmTunnelAndTheKeyInSecureKey) {
    auto s = xt::parse_state_line("src 192.0.2.1 dst 198.51.100.2 proto esp spi 0x1001 reqid 7 mode tunnel " + kGcm);
    EXPECT_EQ(s.sa.src, xt::parse_state_line("src 192.0.2.1 dst 1.1.1.1 proto esp spi 1 " + kGcm).sa.src);
    EXPECT_EQ(s.sa.dst.format(), "198.51.100.2");
    EXPECT_EQ(s.sa.spi, 0x1001u);
    EXPECT_EQ(s.sa.reqid, 7u);
    EXPECT_EQ(s.sa.mode, crypto::Mode::kTunnel);
    EXPECT_EQ(s.sa.alg, crypto::Algorithm::kAesGcm128);
    EXPECT_EQ(s.sa.icv_bytes, 16);
    EXPECT_EQ(s.sa.engine, crypto::EngineKind::kIpsecMb);
    EXPECT_EQ(s.sa.replay_window, 0u);  // Linux's default
    EXPECT_FALSE(s.sa.esn);
    EXPECT_FALSE(s.sa.natt);
    ASSERT_TRUE(s.sa.key);
    EXPECT_TRUE(xt::same_bytes(s.sa.key->cipher(), xt::bytes_of(xt::kGcm128)));  // key || salt
    EXPECT_TRUE(s.sa.key->auth().empty());
    EXPECT_EQ(s.sel, ctl::XfrmSelector::any(ws::Family::kInet));  // the kernel gives it the SA's family
}

TEST(XfrmState, EveryAlgorithm) {
    struct Alg {
        std::string words;
        crypto::Algorithm alg;
        uint8_t icv;
        std::string_view cipher, auth;
    };
    const std::vector<Alg> algs = {
        {"aead 'rfc4106(gcm(aes))' " + std::string(xt::kGcm128) + " 64", crypto::Algorithm::kAesGcm128, 8, xt::kGcm128, ""},
        {"aead rfc4106(gcm(aes)) " + std::string(xt::kGcm128) + " 96", crypto::Algorithm::kAesGcm128, 12, xt::kGcm128, ""},
        {"aead 'rfc4106(gcm(aes))' " + std::string(xt::kKey36) + " 128", crypto::Algorithm::kAesGcm256, 16, xt::kKey36, ""},
        {"aead 'rfc7539esp(chacha20,poly1305)' " + std::string(xt::kKey36) + " 128", crypto::Algorithm::kChaCha20Poly1305, 16, xt::kKey36, ""},
        {"enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth-trunc 'hmac(sha256)' " + std::string(xt::kSha256Key) + " 128",
         crypto::Algorithm::kAesCbcHmacSha256, 16, xt::kAes128, xt::kSha256Key},
        {"auth-trunc 'hmac(sha256)' " + std::string(xt::kSha256Key) + " 128 enc 'cbc(aes)' " + std::string(xt::kAes256),
         crypto::Algorithm::kAesCbcHmacSha256, 16, xt::kAes256, xt::kSha256Key},
        {"enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) + " 96",
         crypto::Algorithm::kAesCbcHmacSha1, 12, xt::kAes128, xt::kSha1Key},
        {"enc 'cbc(aes)' " + std::string(xt::kAes128) + " auth 'hmac(sha1)' " + std::string(xt::kSha1Key),
         crypto::Algorithm::kAesCbcHmacSha1, 12, xt::kAes128, xt::kSha1Key},
    };
    for (const auto& a : algs) {
        auto s = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 " + a.words);
        EXPECT_EQ(s.sa.alg, a.alg) << a.words;
        EXPECT_EQ(s.sa.icv_bytes, a.icv) << a.words;
        ASSERT_TRUE(s.sa.key) << a.words;
        EXPECT_TRUE(xt::same_bytes(s.sa.key->cipher(), xt::bytes_of(a.cipher))) << a.words;
        EXPECT_TRUE(xt::same_bytes(s.sa.key->auth(), xt::bytes_of(a.auth))) << a.words;
    }
    auto cha = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 " + algs[3].words + " engine sodium");
    EXPECT_EQ(cha.sa.engine, crypto::EngineKind::kSodium);
    EXPECT_EQ(xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 " + algs[3].words + " engine ipsec-mb").sa.engine,
              crypto::EngineKind::kIpsecMb);
}

TEST(XfrmState, KeyTextForms) {
    // ip's xfrm_algo_parse(): an odd digit count gets a leading 0, upper case is hex too, and a
    // KEYMAT without "0x" is its text's bytes.
    auto odd = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 aead 'rfc4106(gcm(aes))' 0x102030405060708090A0B0C0D0E0F1011121314 128");
    EXPECT_TRUE(xt::same_bytes(odd.sa.key->cipher(), xt::bytes_of(xt::kGcm128)));
    auto text = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 aead 'rfc4106(gcm(aes))' abcdefghijklmnopqrst 128");
    const std::string_view t = "abcdefghijklmnopqrst";
    EXPECT_TRUE(xt::same_bytes(text.sa.key->cipher(), std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(t.data()), t.size())));
}

TEST(XfrmState, EveryOption) {
    auto s = xt::parse_state_line(
        "src fd00::1 dst fd00::2 proto esp spi 0x2002 reqid 0x10 mode transport replay-window 4096 flag esn noecn "
        "extra-flag dont-encap-dscp oseq-may-wrap mark 0x10 mask 0xf0 if_id 9 " + kCbc +
        " encap espinudp 4500 4501 10.9.9.9 limit byte-soft 100 limit byte-hard 200 limit packet-soft 3 "
        "limit packet-hard 4 sel src fd01::5/64 dst fd02::/64 proto udp sport 53 dport 1234");
    EXPECT_EQ(s.family(), ws::Family::kInet6);
    EXPECT_EQ(s.sa.reqid, 16u);
    EXPECT_EQ(s.sa.mode, crypto::Mode::kTransport);
    EXPECT_EQ(s.sa.replay_window, 4096u);
    EXPECT_TRUE(s.sa.esn);
    EXPECT_EQ(s.flags, ctl::kStateEsn | ctl::kStateNoEcn);
    EXPECT_EQ(s.extra_flags, ctl::kXflagDontEncapDscp | ctl::kXflagOseqMayWrap);
    EXPECT_EQ(s.sa.mark, 0x10u);
    EXPECT_EQ(s.sa.mark_mask, 0xf0u);
    EXPECT_EQ(s.sa.if_id, 9u);
    EXPECT_TRUE(s.sa.natt);
    EXPECT_EQ(s.sa.natt_sport, 4500);
    EXPECT_EQ(s.sa.natt_dport, 4501);
    EXPECT_EQ(s.encap_oa.format(), "10.9.9.9");
    EXPECT_EQ(s.sa.limits.soft_bytes, 100u);
    EXPECT_EQ(s.sa.limits.hard_bytes, 200u);
    EXPECT_EQ(s.sa.limits.soft_packets, 3u);
    EXPECT_EQ(s.sa.limits.hard_packets, 4u);
    EXPECT_EQ(s.sel.src.format(), "fd01::5/64");  // host bits kept, as the kernel keeps them
    EXPECT_EQ(s.sel.proto, 17);
    EXPECT_EQ(s.sel.sport, 53);
    EXPECT_EQ(s.sel.sport_mask, 0xffff);
    EXPECT_EQ(s.sel.dport, 1234);
    EXPECT_EQ(s.sa.sel.sport_lo, 53);
    EXPECT_EQ(s.sa.sel.sport_hi, 53);
    EXPECT_EQ(s.sa.sel.dport_lo, 1234);
    EXPECT_EQ(s.sa.sel.proto, 17);
    // mark alone: mask 0xffffffff; MARK/MASK as ip rule writes it; flag as one hex value.
    auto m = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 mark 7 " + kGcm + " flag 0x21 replay-window 32");
    EXPECT_EQ(m.sa.mark_mask, 0xffffffffu);
    EXPECT_EQ(m.flags, ctl::kStateNoEcn | ctl::kStateAfUnspec);
    EXPECT_EQ(xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 mark 7/0x3 " + kGcm).sa.mark_mask, 3u);
    // Where a carried-over SA resumes: 64-bit numbers in 32-bit halves.
    auto r = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 " + kGcm +
                                  " flag esn replay-window 64 replay-oseq 7 replay-oseq-hi 1 replay-seq 0xfffffffe");
    EXPECT_EQ(r.sa.replay_oseq, (uint64_t(1) << 32) | 7);
    EXPECT_EQ(r.sa.replay_seq, 0xfffffffeu);
    // A `flag` whose word is no flag leaves it to the next keyword, as ip does.
    EXPECT_EQ(xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 flag mode tunnel " + kGcm).sa.mode, crypto::Mode::kTunnel);
}

TEST(XfrmState, SelectorFamilyAndAfUnspec) {
    // No `sel`: the SA's family, everything (copy_from_user_state()); af-unspec keeps it empty.
    EXPECT_EQ(xt::parse_state_line("dst fd00::2 proto esp spi 5 " + kGcm).sel, ctl::XfrmSelector::any(ws::Family::kInet6));
    EXPECT_TRUE(xt::parse_state_line("dst fd00::2 proto esp spi 5 flag af-unspec " + kGcm).sel.is_zero());
    auto icmp = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 " + kGcm + " sel proto icmp type 0");
    EXPECT_EQ(icmp.sel.family, ws::Family::kInet);
    EXPECT_EQ(icmp.sel.sport_mask, 0xffff);  // type 0 counts (echo reply)
    EXPECT_EQ(icmp.sel.dport_mask, 0);
    auto zero_port = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 " + kGcm + " sel proto tcp sport 0");
    EXPECT_EQ(zero_port.sel.sport_mask, 0);  // port 0 is any port
    auto bare = xt::parse_state_line("dst 10.0.0.2 proto esp spi 5 " + kGcm + " sel src 10.1.0.0/16");
    EXPECT_EQ(bare.sel.dst, (ws::InetPrefix{ws::InetAddr::zero(ws::Family::kInet), 0}));
    // Without src the SA's src is the zero address of its family (ip sends zeros).
    EXPECT_EQ(bare.sa.src, ws::InetAddr::zero(ws::Family::kInet));
}

TEST(XfrmState, VerbsAndAbbreviations) {
    ctl::Model m;
    xt::must_apply(m, "ip x s a src 10.0.0.1 dst 10.0.0.2 proto esp spi 1 " + kGcm + "\n" +
                          "ip xfrm sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 2 " + kGcm + "\n" +
                          "ip -4 xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 3 reqid 3 " + kGcm + "\n" +
                          "ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 4 mode tunnel " + kGcm + "\n");
    EXPECT_EQ(m.sad.size(), 4u);
    xt::must_apply(m, "ip xfrm state del dst 10.0.0.2 proto esp spi 1");
    xt::must_apply(m, "ip xfrm state deleteall reqid 3");
    EXPECT_EQ(m.sad.size(), 2u);
    xt::must_apply(m, "ip xfrm state delall mode tunnel");
    EXPECT_EQ(m.sad.size(), 1u);
    xt::must_apply(m, "ip xfrm state flush proto esp");
    EXPECT_EQ(m.sad.size(), 0u);
    xt::must_apply(m, gcm_state("1") + "\n" + gcm_state("2") + "\nip xfrm state flush\nip xfrm state flush proto ah");
    EXPECT_EQ(m.sad.size(), 0u);
}

// xfrm_state_lookup(): a request's mark (value & mask) matches an SA when (mark & sa.mask) ==
// sa.value, the newest matching SA first, so an SA without a mark answers for every mark.
TEST(XfrmState, MarkIsPartOfTheKey) {
    ctl::Model m;
    xt::must_apply(m, gcm_state("0x10", "mark 5"));
    xt::must_apply(m, gcm_state("0x10", "mark 6"));  // another mark: another SA
    EXPECT_EQ(error_of(m, gcm_state("0x10", "mark 0x15 mask 0x0f")), "RTNETLINK answers: File exists");  // 0x15 & 0xf == 5
    EXPECT_EQ(error_of(m, "ip xfrm state del dst 10.0.0.2 proto esp spi 0x10"), "RTNETLINK answers: No such process");
    xt::must_apply(m, gcm_state("0x10"));  // no mark (0/0): matches any mark
    EXPECT_EQ(m.sad.size(), 3u);
    xt::must_apply(m, "ip xfrm state del dst 10.0.0.2 proto esp spi 0x10 mark 6");  // the newest match: the unmarked SA
    EXPECT_EQ(m.sad.dump()[0]->sa.mark, 6u);
    xt::must_apply(m, "ip xfrm state del dst 10.0.0.2 proto esp spi 0x10 mark 6");
    EXPECT_EQ(error_of(m, "ip xfrm state del dst 10.0.0.2 proto esp spi 0x10 mark 6"), "RTNETLINK answers: No such process");
    ASSERT_EQ(m.sad.size(), 1u);
    EXPECT_EQ(m.sad.dump()[0]->sa.mark, 5u);
}

// xfrm_state_update(): limits, the encap ports and OA, a non-zero if_id; never keys or algorithms.
TEST(XfrmState, UpdateChangesWhatLinuxChanges) {
    ctl::Model m;
    xt::must_apply(m, gcm_state("0x10", "encap espinudp 4500 4500 0.0.0.0 if_id 3"));
    xt::must_apply(m, "ip xfrm state update src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x10 reqid 99 mode transport "
                      "aead 'rfc7539esp(chacha20,poly1305)' " + std::string(xt::kKey36) +
                      " 128 encap espinudp 4501 4502 10.0.0.9 limit packet-hard 1000 if_id 0");
    const ctl::XfrmState& s = *m.sad.dump()[0];
    EXPECT_EQ(s.sa.natt_sport, 4501);
    EXPECT_EQ(s.sa.natt_dport, 4502);
    EXPECT_EQ(s.encap_oa.format(), "10.0.0.9");
    EXPECT_EQ(s.sa.limits.hard_packets, 1000u);
    EXPECT_EQ(s.sa.if_id, 3u);  // if_id 0 leaves it
    EXPECT_EQ(s.sa.reqid, 1u);
    EXPECT_EQ(s.sa.mode, crypto::Mode::kTunnel);
    EXPECT_EQ(s.sa.alg, crypto::Algorithm::kAesGcm128);
    EXPECT_TRUE(xt::same_bytes(s.sa.key->cipher(), xt::bytes_of(xt::kGcm128)));
    // Taking encap away (or adding it) is EINVAL.
    EXPECT_EQ(error_of(m, gcm_state("0x10")), "RTNETLINK answers: File exists");
    EXPECT_EQ(error_of(m, "ip xfrm state update src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x10 " + kGcm),
              "RTNETLINK answers: Invalid argument");
}

// The model keeps key material only in SecureKey: no copy of the key, as bytes or as the text
// it was written in, inside the SA, and the printed forms hide it unless asked.
TEST(XfrmState, ModelNeverKeepsKeyText) {
    ctl::Model m;
    xt::must_apply(m, "ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 7 " + kCbc);
    const ctl::XfrmState& s = *m.sad.dump()[0];
    const auto* raw = reinterpret_cast<const char*>(&s);
    for (std::string_view hex : {xt::kAes128, xt::kSha256Key}) {
        const auto bytes = xt::bytes_of(hex);
        EXPECT_EQ(memmem(raw, sizeof s, bytes.data(), bytes.size()), nullptr);
        EXPECT_EQ(memmem(raw, sizeof s, hex.data() + 2, hex.size() - 2), nullptr);
        EXPECT_EQ(xt::query(m, "ip xfrm state list").find(hex.substr(2)), std::string::npos);
        EXPECT_NE(xt::query(m, "ip xfrm state list keys").find(hex.substr(2)), std::string::npos);
    }
    EXPECT_TRUE(xt::same_bytes(s.sa.key->cipher(), xt::bytes_of(xt::kAes128)));
    EXPECT_TRUE(xt::same_bytes(s.sa.key->auth(), xt::bytes_of(xt::kSha256Key)));
    // A model copy (what a batch works on) shares the guarded key, it does not copy it.
    ctl::Model copy = m;
    EXPECT_EQ(copy.sad.dump()[0]->sa.key.get(), s.sa.key.get());
}

}  // namespace
