#pragma once
// Helpers of the crypto tests: hex, SA set-up from a short spec, and packet buffers with room
// around the payload, so each test states only what it is about.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/engine.h"
#include "crypto/esp.h"
#include "crypto/sa_crypto.h"
#include "crypto/sa_runtime.h"
#include "crypto/secure_key.h"

namespace crypto::test {

using Bytes = std::vector<uint8_t>;

inline Bytes hex(std::string_view s) {
    Bytes out;
    auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    int hi = -1;
    for (char c : s) {
        if (c == ' ' || c == '\n') continue;
        if (hi < 0) hi = nib(c);
        else {
            out.push_back(uint8_t(hi << 4 | nib(c)));
            hi = -1;
        }
    }
    return out;
}

inline std::string to_hex(const uint8_t* p, size_t n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s.push_back(d[p[i] >> 4]);
        s.push_back(d[p[i] & 15]);
    }
    return s;
}

inline Bytes random_bytes(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    Bytes b(n);
    for (auto& x : b) x = uint8_t(rng());
    return b;
}

// An SA as a test wants it: the defaults are an AES-128-GCM tunnel with fixed random keys.
struct SaSpec {
    Algorithm alg = Algorithm::kAesGcm128;
    EngineKind engine = EngineKind::kIpsecMb;
    Bytes key;   // cipher key || salt; empty: random of the algorithm's length
    Bytes auth;  // HMAC key; empty: random for the CBC pairs
    uint32_t spi = 0x1001;
    Mode mode = Mode::kTunnel;
    uint8_t icv = 0;  // 0: the algorithm's usual
    bool esn = false;
    uint32_t window = 64;
    uint64_t oseq = 0, seq = 0;
    Lifetime limits;
};

inline SaParams params(SaSpec s) {
    const bool gcm128 = s.alg == Algorithm::kAesGcm128, cbc = !algorithm_info(s.alg).aead;
    if (s.key.empty()) s.key = random_bytes(gcm128 ? 20 : cbc ? 16 : 36, 1);
    if (s.auth.empty() && cbc) s.auth = random_bytes(s.alg == Algorithm::kAesCbcHmacSha1 ? 20 : 32, 2);
    if (!s.icv) s.icv = s.alg == Algorithm::kAesCbcHmacSha1 ? 12 : 16;
    return SaParams{.spi = s.spi,
                    .mode = s.mode,
                    .alg = s.alg,
                    .engine = s.engine,
                    .icv_bytes = s.icv,
                    .key = SecureKey::make(s.key, s.auth),
                    .replay_window = s.window,
                    .esn = s.esn,
                    .limits = s.limits,
                    .replay_oseq = s.oseq,
                    .replay_seq = s.seq};
}

struct TestSa {
    std::shared_ptr<const SaCrypto> crypto;
    std::unique_ptr<SaRuntime> rt;
};

inline TestSa make_sa(const SaSpec& s) {
    const SaParams p = params(s);
    auto r = SaCrypto::make(p);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok()) return {};
    return {*r, std::make_unique<SaRuntime>(p)};
}

inline Engine& engine() {
    thread_local std::unique_ptr<Engine> e = Engine::create();
    return *e;
}

// A payload inside a buffer with kRoom bytes free on both sides.
struct Packet {
    static constexpr uint32_t kRoom = 64;
    Bytes mem;
    uint32_t len = 0;

    explicit Packet(const Bytes& payload) : mem(payload.size() + 2 * kRoom), len(uint32_t(payload.size())) {
        std::copy(payload.begin(), payload.end(), mem.begin() + kRoom);
    }
    EspOut out(uint8_t next_header, const uint8_t* iv = nullptr) {
        EspOut o;
        o.payload = mem.data() + kRoom;
        o.len = len;
        o.headroom = o.tailroom = kRoom;
        o.next_header = next_header;
        o.iv = iv;
        return o;
    }
};

// Encapsulates one payload; the ESP bytes on success, empty on an error.
inline Bytes encap1(TestSa& sa, const Bytes& payload, uint8_t nh, const uint8_t* iv = nullptr,
                    EspError* err = nullptr) {
    Packet pkt(payload);
    EspOut o = pkt.out(nh, iv);
    esp_encap(engine(), *sa.crypto, *sa.rt, {&o, 1});
    if (err) *err = o.error;
    if (o.error != EspError::kOk) return {};
    return Bytes(o.esp, o.esp + o.esp_len);
}

struct Decapped {
    EspError error;
    uint8_t next_header;
    Bytes payload;
    uint64_t seq;
};

inline Decapped decap1(TestSa& sa, Bytes wire) {
    EspIn in;
    in.esp = wire.data();
    in.len = uint32_t(wire.size());
    esp_decap(engine(), *sa.crypto, *sa.rt, {&in, 1});
    Decapped d{in.error, in.next_header, {}, in.seq};
    if (in.payload) d.payload.assign(in.payload, in.payload + in.payload_len);
    return d;
}

}  // namespace crypto::test
