#pragma once
// The `ip xfrm` grammar: `ip xfrm state ...` and `ip xfrm policy ...` lines parsed into
// XfrmState / XfrmPolicy and applied to the model's Sad and Spd, as iproute2 6.1's
// xfrm_state_modify() / xfrm_policy_modify() read them (keywords, abbreviations, number bases,
// error texts) and as the kernel then checks them (verify_newsa_info(), validate_tmpl(),
// attach_aead(), esp_init_state()); plus the input-form printer (parse(format(x)) == x).
//
// Config:  ip xfrm state add|update ID ALGO [mode M] [reqid N] [replay-window N] [flag F...]
//            [extra-flag F...] [mark V [mask M]] [if_id N] [encap espinudp SPORT DPORT OADDR]
//            [limit byte-soft|byte-hard|packet-soft|packet-hard N]... [sel SELECTOR]
//            [engine ipsec-mb|sodium]
//          ip xfrm state delete|get ID [mark V [mask M]]; deleteall|list [ID] [mode M]
//            [reqid N] [flag F] [keys]; flush [proto esp]; count
//          ip xfrm policy add|update SELECTOR dir in|out|fwd [action allow|block] [priority N]
//            [flag localok|icmp] [mark V [mask M]] [if_id N] [tmpl ID [mode M] [reqid N]
//            [level required|use]]...
//          ip xfrm policy delete|get SELECTOR dir D [mark V [mask M]] [if_id N];
//            deleteall|list [SELECTOR] [dir D] [action A] [priority N] [flag F]; flush; count;
//            setdefault in|fwd|out accept|block ...; getdefault
//          ID := [src ADDR] [dst ADDR] proto esp [spi SPI];  ALGO := one of
//            aead 'rfc4106(gcm(aes))' 0xKEY||SALT 64|96|128          (16 or 32-byte key)
//            aead 'rfc7539esp(chacha20,poly1305)' 0xKEY||SALT 128   (32-byte key)
//            enc 'cbc(aes)' 0xKEY auth-trunc 'hmac(sha256)' 0xKEY 128 (16/32 and 32 bytes)
//            enc 'cbc(aes)' 0xKEY auth-trunc 'hmac(sha1)' 0xKEY 96    (16/32 and 20 bytes)
//            (`auth 'hmac(sha1)' KEY` is Linux's spelling of the 96-bit truncation)
//          SELECTOR := [src PREFIX] [dst PREFIX] [proto tcp|udp|sctp|dccp [sport N] [dport N]
//            | proto icmp|ipv6-icmp [type N] [code N] | proto NAME|NUMBER|any]
// wildside's own words: `engine sodium` runs an SA on libsodium (ChaCha20-Poly1305 only);
// `keys` asks `ip xfrm state list|get` for the key material, which is hidden otherwise.
// Limits: ESP only; modes transport and tunnel; replay-window up to 4096 (XFRMA_REPLAY_ESN_MAX,
// which is wildside's anti-replay limit as well); `flag esn` needs a replay-window (as ip says).
// Refused, the error naming the word: proto ah|comp|route2|hao, modes beet|ro|in_trigger,
// other algorithms (the kernel's "Requested ... algorithm not found"), ESP without integrity,
// AES-192, encap espinudp-nonike|espintcp, time-* limits, coa, ctx, offload, output-mark,
// tfcpad, seq, replay-(o)seq(-hi), sel dev, gre key, ptype sub, index, allocspi, policy set.
// Errors read as ip prints them: `Error: argument "X" is wrong: SPI value is invalid`, the
// kernel's `Error: Requested AEAD algorithm not found.`, `RTNETLINK answers: File exists`; a
// key never appears in an error (its token is "<key>").
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/tokens.h"
#include "control/model/model.h"

namespace ctl {

// A flag word and its bit, in the order ip prints them.
struct XfrmFlagName {
    uint32_t bit;
    std::string_view name;
};
inline constexpr XfrmFlagName kStateFlagNames[] = {
    {kStateNoEcn, "noecn"}, {kStateDecapDscp, "decap-dscp"}, {kStateNoPmtuDisc, "nopmtudisc"},
    {kStateWildRecv, "wildrecv"}, {kStateIcmp, "icmp"}, {kStateAfUnspec, "af-unspec"},
    {kStateAlign4, "align4"}, {kStateEsn, "esn"}};
inline constexpr XfrmFlagName kExtraFlagNames[] = {{kXflagDontEncapDscp, "dont-encap-dscp"},
                                                   {kXflagOseqMayWrap, "oseq-may-wrap"},
                                                   {kXflagRoam, "roam"}};
inline constexpr XfrmFlagName kPolicyFlagNames[] = {{kPolicyLocalOk, "localok"}, {kPolicyIcmp, "icmp"}};

std::string_view dir_name(XfrmDir d);
std::string_view mode_name(crypto::Mode m);

// `ip [OPTIONS] xfrm OBJECT VERB ARGS`, split as ip reads it (abbreviations included).
enum class XfrmObject : uint8_t { kState, kPolicy };
struct XfrmCommand {
    XfrmObject object = XfrmObject::kState;
    std::string verb;                         // the full verb: "add", "list", "setdefault", ...
    ws::Family preferred = ws::Family::kNone;  // -4/-6/-family, else kNone
    ws::Tokens args;                          // after the verb
};
// "xfrm" or an abbreviation ip accepts for it ("x").
bool is_xfrm_object(std::string_view word);
ws::Result<XfrmCommand> split_xfrm_command(const std::vector<std::string_view>& words);
// Whether an `ip xfrm` command only reads (list, show, get, count, getdefault).
bool is_xfrm_query_verb(std::string_view verb);

// Applies one `ip [OPTIONS] xfrm ...` line (all its words) to the model.
ws::Status apply_xfrm(Model& m, const std::vector<std::string_view>& words);

// The parts, for the queries and the tests. `preferred` is the -4/-6 family or kNone.
ws::Result<XfrmState> parse_state(ws::Tokens& t, ws::Family preferred);       // add|update
ws::Result<SaId> parse_state_id(ws::Tokens& t, ws::Family preferred);         // delete|get
ws::Result<XfrmPolicy> parse_policy(ws::Tokens& t, ws::Family preferred);     // add|update
ws::Result<XfrmPolicy> parse_policy_id(ws::Tokens& t, ws::Family preferred);  // delete|get

// `list`/`deleteall` selections, iproute2's xfrm_state_filter_match() and
// xfrm_policy_filter_match(): every field given must match.
struct StateFilter {
    std::optional<ws::InetPrefix> src, dst;
    std::optional<uint8_t> proto;
    std::optional<uint32_t> spi, reqid;
    std::optional<crypto::Mode> mode;
    uint8_t flags = 0;  // any of these
    bool keys = false;  // `keys`: print the key material
    bool matches(const XfrmState& s) const;
};
ws::Result<StateFilter> parse_state_filter(ws::Tokens& t, ws::Family preferred);

struct PolicyFilter {
    std::optional<XfrmSelector> sel;  // the prefixes, and the proto and ports given
    bool src = false, dst = false, proto = false;
    std::optional<XfrmDir> dir;
    std::optional<XfrmAction> action;
    std::optional<uint32_t> priority;
    uint8_t flags = 0;
    bool matches(const XfrmPolicy& p) const;
};
ws::Result<PolicyFilter> parse_policy_filter(ws::Tokens& t, ws::Family preferred);

// The input forms: the arguments of an `ip xfrm state add` / `ip xfrm policy add` that
// re-create s or p. format_state_args() writes the key material: never log it.
std::string format_state_args(const XfrmState& s);
std::string format_policy_args(const XfrmPolicy& p);
// "src P dst P [proto X [sport N] [dport N] [type N] [code N]]" (no trailing space).
std::string format_selector_args(const XfrmSelector& s);

}  // namespace ctl
