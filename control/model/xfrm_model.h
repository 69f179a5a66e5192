#pragma once
// Sad / Spd — the IPsec databases that `ip xfrm state` and `ip xfrm policy` change: the SAD
// (one XfrmState per SA, keyed as Linux keys it: dst, proto, spi, under the SA's mark) and the
// SPD (per direction, the policies in Linux's lookup order, plus the three defaults).
//
// Needs:   nothing; plain values, usable and testable without the rest of the model.
// Gives:   Sad::dump() and Spd::dump() in the kernel's dump order (newest first, what
//          `ip xfrm state|policy show` lists); Spd::ordered(dir) in lookup order (lower priority
//          value first, equal priority older first: xfrm_policy_insert_list()); Spd::lookup(),
//          the first-match reference a compiled SPD must agree with; the default action per
//          direction (accept, as Linux; `setdefault` makes it RFC 4301's discard).
// Errors:  Linux's: adding an SA or policy whose key exists is kExists ("RTNETLINK answers:
//          File exists"); deleting or updating a missing SA is kNotFound ("No such process");
//          deleting a missing policy is kNotFound ("No such file or directory").
// Config:  ip xfrm state add src 192.0.2.1 dst 198.51.100.2 proto esp spi 0x1001 reqid 1
//            mode tunnel aead 'rfc4106(gcm(aes))' 0x<16-byte key><4-byte salt> 128
//          ip xfrm policy add src 10.0.1.0/24 dst 10.0.2.0/24 dir out priority 100
//            tmpl src 192.0.2.1 dst 198.51.100.2 proto esp reqid 1 mode tunnel
//          ip xfrm policy setdefault in block fwd block out accept
// Keys:    an SA's key material lives only in crypto::SecureKey (sa.key); the model keeps no
//          key text.
// Cost:    add, update, delete and get by key: O(log n) (an index per database); dump and
//          ordered(): O(n log n) and O(n). lookup() is a linear first-match scan: the reference
//          for tests and `show compiled spd`, not the fast path. No perf/ figures yet.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "crypto/sa.h"
#include "selectors/flow_key.h"

namespace ctl {

inline constexpr uint8_t kXfrmProtoEsp = 50;
inline constexpr size_t kXfrmMaxDepth = 6;          // XFRM_MAX_DEPTH: templates per policy
inline constexpr uint32_t kReplayWindowMax = 4096;  // XFRMA_REPLAY_ESN_MAX, wildside's limit too

// XFRM_STATE_* flags (include/uapi/linux/xfrm.h). Only kStateEsn and kStateAfUnspec change
// what wildside does today; the others are kept, shown and handed to the dataplane as given.
enum XfrmStateFlag : uint8_t {
    kStateNoEcn = 1, kStateDecapDscp = 2, kStateNoPmtuDisc = 4, kStateWildRecv = 8,
    kStateIcmp = 16, kStateAfUnspec = 32, kStateAlign4 = 64, kStateEsn = 128,
};
// XFRM_SA_XFLAG_* (extra-flag) and XFRM_POLICY_* flags, kept and shown as given.
// kXflagRoam is wildside's own (Linux has no such flag): set on an inbound SA, the gateway takes
// the outer source of that SA's authenticated packets as the peer's address for the outbound SAs
// back to it (src and dst swapped, same reqid and if_id) — roaming as WireGuard does it, never
// from a packet that failed its ICV.
enum XfrmExtraFlag : uint32_t { kXflagDontEncapDscp = 1, kXflagOseqMayWrap = 2, kXflagRoam = 0x80000000 };
enum XfrmPolicyFlag : uint8_t { kPolicyLocalOk = 1, kPolicyIcmp = 2 };

// Linux's struct xfrm_selector as `ip xfrm` spells it. Addresses keep their host bits (the
// kernel compares selectors byte for byte); a port, or an ICMP type (sport) and code (dport),
// counts only under its mask, as Linux stores them. Match: prefixes on the packet's src and
// dst (not RFC 4301's local/remote: Linux's `dir in` selectors also name the packet's source
// `src`), proto 0 is any.
struct XfrmSelector {
    ws::Family family = ws::Family::kNone;  // kNone: the empty selector of an af-unspec SA
    ws::InetPrefix src, dst;
    uint8_t proto = 0;
    uint16_t sport = 0, sport_mask = 0;
    uint16_t dport = 0, dport_mask = 0;

    // Family f, every address and port: what an absent `sel` or SELECTOR means.
    static XfrmSelector any(ws::Family f);
    bool is_zero() const;  // xfrm_selector_iszero(): nothing to print
    bool matches(const sel::FlowKey& k) const;
    // Every flow o matches, this matches too (a later policy o is then never reached).
    bool covers(const XfrmSelector& o) const;
    bool operator==(const XfrmSelector&) const = default;
};

struct XfrmMark {
    uint32_t v = 0, m = 0;  // matches a packet mark when (mark & m) == v
    bool matches(uint32_t mark) const { return (mark & m) == v; }
    bool operator==(const XfrmMark&) const = default;
};

// One SA. `sa` is the contract with the crypto engines (crypto/sa.h); the rest is what Linux
// keeps besides and `ip xfrm state` prints.
struct XfrmState {
    crypto::SaParams sa;
    uint8_t flags = 0;          // XfrmStateFlag bits; kStateEsn mirrors sa.esn
    uint32_t extra_flags = 0;   // XfrmExtraFlag bits
    ws::InetAddr encap_oa;      // `encap espinudp SPORT DPORT OADDR` (sa.natt, sa.natt_*port)
    XfrmSelector sel;           // `sel ...` as given; sa.sel is its range form for the engines
    uint64_t dump_seq = 0;      // set by the Sad: the kernel lists the newest SA first

    ws::Family family() const { return sa.dst.family; }
};

// What identifies an SA for `ip xfrm state del|get`: xfrm_state_lookup(mark, dst, spi, proto).
struct SaId {
    ws::InetAddr dst;
    uint8_t proto = kXfrmProtoEsp;
    uint32_t spi = 0;
    uint32_t mark = 0;  // the request's mark & mask; matches an SA when (mark & sa.m) == sa.v
};

class Sad {
public:
    // __xfrm_state_locate(): an SA with the same dst, proto and spi whose mark matches.
    ws::Status add(XfrmState s);
    // xfrm_state_update(): only the lifetime limits, the encap ports and OA (same encap or
    // none, else EINVAL) and a non-zero if_id change; keys and algorithms stay. A missing SA is
    // kNotFound.
    ws::Status update(const XfrmState& s);
    ws::Status del(const SaId& id);
    const XfrmState* get(const SaId& id) const;
    // Deletes every SA `match` accepts (`deleteall`, `flush`); returns how many.
    size_t remove_if(const std::function<bool(const XfrmState&)>& match);
    std::vector<const XfrmState*> dump() const;  // newest first
    size_t size() const { return states_.size(); }
    std::string describe() const;  // "sad: N SAs"

private:
    XfrmState* find(const SaId& id);
    void erase(uint64_t seq);
    std::map<uint64_t, XfrmState> states_;                  // by dump_seq
    std::unordered_multimap<std::string, uint64_t> index_;  // (dst, proto, spi) -> dump_seq
    uint64_t next_seq_ = 1;
};

enum class XfrmDir : uint8_t { kIn = 0, kOut = 1, kFwd = 2 };  // XFRM_POLICY_IN/OUT/FWD
inline constexpr size_t kXfrmDirs = 3;
enum class XfrmAction : uint8_t { kAllow = 0, kBlock = 1 };  // XFRM_POLICY_ALLOW/BLOCK

// What a matching policy does to a packet, in RFC 4301's words (§4.4.1): no template is
// BYPASS, `action block` is DISCARD, templates are PROTECT.
enum class SpdDisposition : uint8_t { kBypass, kDiscard, kProtect };

struct XfrmTmpl {
    ws::InetAddr src, dst;  // tunnel endpoints; zero where not given, as Linux leaves them
    uint8_t proto = kXfrmProtoEsp;
    uint32_t spi = 0;       // 0: any SA
    uint32_t reqid = 0;
    crypto::Mode mode = crypto::Mode::kTransport;
    bool optional = false;  // `level use`: the SA may be missing
    bool operator==(const XfrmTmpl&) const = default;
};

struct XfrmPolicy {
    XfrmSelector sel;
    XfrmDir dir = XfrmDir::kOut;
    XfrmAction action = XfrmAction::kAllow;
    uint32_t priority = 0;
    uint8_t flags = 0;  // XfrmPolicyFlag bits
    XfrmMark mark;
    uint32_t if_id = 0;
    std::vector<XfrmTmpl> tmpls;
    uint64_t seq = 0;       // set by the Spd: older first among equal priorities
    uint64_t dump_seq = 0;  // set by the Spd: the kernel lists the newest policy first

    SpdDisposition disposition() const;
    // xfrm_policy_match(): the selector, the mark and the if_id.
    bool matches(const sel::FlowKey& k, uint32_t flow_if_id) const;
};

class Spd {
public:
    // The identity of xfrm_policy_insert_list(): direction, selector, mark (value and mask)
    // and if_id. An add of an existing identity is kExists whatever else differs.
    ws::Status add(XfrmPolicy p);
    // Replaces the policy of the same identity, or adds it. At an unchanged priority the
    // policy keeps its place among equal priorities; else it goes after them, as a new one.
    void update(XfrmPolicy p);
    ws::Status del(const XfrmPolicy& key);
    const XfrmPolicy* get(const XfrmPolicy& key) const;
    size_t remove_if(const std::function<bool(const XfrmPolicy&)>& match);

    void set_default(XfrmDir d, XfrmAction a) { defaults_[size_t(d)] = a; }
    XfrmAction default_action(XfrmDir d) const { return defaults_[size_t(d)]; }

    std::vector<const XfrmPolicy*> ordered(XfrmDir d) const;  // lookup order
    std::vector<const XfrmPolicy*> dump() const;              // newest first, every direction
    // The first policy in lookup order that matches, or nullptr (then the default decides).
    const XfrmPolicy* lookup(XfrmDir d, const sel::FlowKey& k, uint32_t if_id = 0) const;
    size_t size(XfrmDir d) const { return dirs_[size_t(d)].list.size(); }
    std::string describe() const;  // "spd: in N (default accept), out N (...), fwd N (...)"

private:
    using Order = std::pair<uint32_t, uint64_t>;  // (priority, seq)
    struct Direction {
        std::map<Order, XfrmPolicy> list;
        std::unordered_map<std::string, Order> index;  // identity -> place
    };
    void insert(XfrmPolicy p, const Order& at);
    std::array<Direction, kXfrmDirs> dirs_;
    std::array<XfrmAction, kXfrmDirs> defaults_{XfrmAction::kAllow, XfrmAction::kAllow, XfrmAction::kAllow};
    uint64_t next_seq_ = 1;
};

// Policies of a direction that an earlier one there shadows completely (STYLE 19), as
// "later, earlier" pairs in lookup order.
std::vector<std::pair<const XfrmPolicy*, const XfrmPolicy*>> shadowed_policies(const Spd& spd, XfrmDir d);

}  // namespace ctl
