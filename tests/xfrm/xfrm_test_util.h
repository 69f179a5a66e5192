#pragma once
// Helpers shared by the `ip xfrm` tests: apply lines to a model, ask it queries, compare SAs and
// policies field by field (keys through SecureKey's spans), and the test key material.
#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/tokens.h"
#include "control/config.h"
#include "control/grammar/xfrm_grammar.h"
#include "control/model/model.h"
#include "tests/model_test_util.h"
#include "control/xfrm_query.h"
#include "crypto/secure_key.h"

namespace xt {

using modeltest::apply;
using modeltest::error_of;
using modeltest::must_apply;

// KEYMATs: GCM-128 (16 + 4 salt), GCM-256 and ChaCha20 (32 + 4), CBC keys, HMAC keys.
inline constexpr std::string_view kGcm128 = "0x0102030405060708090a0b0c0d0e0f1011121314";
inline constexpr std::string_view kKey36 = "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fa0a1a2a3";
inline constexpr std::string_view kAes128 = "0x2b7e151628aed2a6abf7158809cf4f3c";
inline constexpr std::string_view kAes256 = "0x603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
inline constexpr std::string_view kSha256Key = "0x4a656665000000000000000000000000000000000000000000000000000000ff";
inline constexpr std::string_view kSha1Key = "0x0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";

// `ip xfrm state add` of a GCM-128 tunnel SA 10.0.0.1 -> 10.0.0.2 with this SPI and extra words.
inline std::string gcm_state(const std::string& spi, const std::string& extra = {}) {
    return "ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi " + spi + " reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' " +
           std::string(kGcm128) + " 128" + (extra.empty() ? "" : " " + extra);
}

inline ws::Errc code_of(std::string_view line) {
    ctl::Model m;
    auto st = ctl::apply_command(m, line);
    EXPECT_FALSE(st.ok()) << line;
    return st.ok() ? ws::Errc::kIo : st.error().code;
}

// An `ip xfrm ...` query's output (stdout, or stderr when it failed).
inline std::string query(const ctl::Model& m, std::string_view line) {
    auto words = ws::split_words(line);
    auto q = ctl::xfrm_query(m, words, {});
    return q.status ? q.err : q.out;
}

inline ctl::XfrmState parse_state_line(std::string_view args) {
    ws::Tokens t(ws::split_words(args));
    auto s = ctl::parse_state(t, ws::Family::kNone);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message) << "\n" << args;
    return s.ok() ? std::move(*s) : ctl::XfrmState{};
}

inline ctl::XfrmPolicy parse_policy_line(std::string_view args) {
    ws::Tokens t(ws::split_words(args));
    auto p = ctl::parse_policy(t, ws::Family::kNone);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message) << "\n" << args;
    return p.ok() ? std::move(*p) : ctl::XfrmPolicy{};
}

inline std::vector<uint8_t> bytes_of(std::string_view hex) {
    std::vector<uint8_t> out;
    for (size_t i = 2; i + 1 < hex.size(); i += 2) out.push_back(uint8_t(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

inline bool same_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

inline bool same_prefix(const ws::InetPrefix& a, const ws::InetPrefix& b) { return a == b && a.addr.family == b.addr.family; }

// Every field of two SAs, the key material byte for byte (dump_seq aside).
inline bool same_state(const ctl::XfrmState& x, const ctl::XfrmState& y) {
    const crypto::SaParams &a = x.sa, &b = y.sa;
    const bool keys = a.key && b.key && same_bytes(a.key->cipher(), b.key->cipher()) && same_bytes(a.key->auth(), b.key->auth());
    const bool limits = a.limits.soft_bytes == b.limits.soft_bytes && a.limits.hard_bytes == b.limits.hard_bytes &&
                        a.limits.soft_packets == b.limits.soft_packets && a.limits.hard_packets == b.limits.hard_packets;
    const bool sel = same_prefix(a.sel.src, b.sel.src) && same_prefix(a.sel.dst, b.sel.dst) && a.sel.proto == b.sel.proto &&
                     a.sel.sport_lo == b.sel.sport_lo && a.sel.sport_hi == b.sel.sport_hi &&
                     a.sel.dport_lo == b.sel.dport_lo && a.sel.dport_hi == b.sel.dport_hi;
    return keys && limits && sel && a.src == b.src && a.dst == b.dst && a.spi == b.spi && a.reqid == b.reqid &&
           a.mode == b.mode && a.alg == b.alg && a.engine == b.engine && a.icv_bytes == b.icv_bytes &&
           a.replay_window == b.replay_window && a.esn == b.esn && a.natt == b.natt && a.natt_sport == b.natt_sport &&
           a.natt_dport == b.natt_dport && a.if_id == b.if_id && a.mark == b.mark && a.mark_mask == b.mark_mask &&
           x.flags == y.flags && x.extra_flags == y.extra_flags && x.encap_oa == y.encap_oa && x.sel == y.sel;
}

// Every field of two policies but the Spd's sequence numbers.
inline bool same_policy(const ctl::XfrmPolicy& a, const ctl::XfrmPolicy& b) {
    return a.sel == b.sel && a.dir == b.dir && a.action == b.action && a.priority == b.priority && a.flags == b.flags &&
           a.mark == b.mark && a.if_id == b.if_id && a.tmpls == b.tmpls;
}

}  // namespace xt
