#pragma once
// The word-level parsers the `ip xfrm` grammar shares between states, policies and their
// filters, with iproute2 6.1's error texts: utils.c's invarg()/missarg()/duparg()/NEXT_ARG(),
// get_prefix(), xfrm_id_parse() (ID), xfrm_selector_parse() (SELECTOR), xfrm_parse_mark(),
// xfrm_mode_parse() and the flag lists. Used by control/grammar/xfrm_*grammar.cc only.
//
// Config:  ID        := [src ADDR] [dst ADDR] [proto XFRM-PROTO] [spi SPI]
//          SELECTOR  := [src PREFIX] [dst PREFIX] [proto P [sport N] [dport N] | [type N] [code N]]
//          mark V [mask M] (or V/M), mode transport|tunnel, flag NAME...|0xHEX
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/tokens.h"
#include "control/grammar/xfrm_grammar.h"

namespace ctl::xfrm_words {

// `Error: argument "ARG" is wrong: MSG`, `Error: argument "KEY" is required`,
// `Error: duplicate "KEY": "ARG" is the second value.` (each names its token).
ws::Error invarg(std::string_view msg, std::string_view arg);
ws::Error missarg(std::string_view key);
ws::Error duparg(std::string_view key, std::string_view arg);
ws::Error plain(ws::Errc code, std::string msg, std::string_view token = {});
// A kernel extack message as ip prints it, "Error: TEXT.", with wildside's reason after it.
ws::Error kernel_says(ws::Errc code, std::string_view text, std::string_view token, std::string_view detail = {});
// "\"WORD\"" (built without GCC 12's -Wrestrict false alarm on "x" + std::string).
std::string quoted(std::string_view word);
// "WHAT is not supported", kUnsupported.
ws::Error unsupported(std::string what, std::string_view token);

// A parse's value into slot, or its error: WS_TRY(assign(f.mode, parse_mode(t))).
template <class T, class V>
ws::Status assign(T& slot, ws::Result<V> r) {
    if (!r) return r.error();
    slot = std::move(*r);
    return {};
}

// NEXT_ARG(): the value after a keyword, or ip's "Command line is not complete".
ws::Result<std::string_view> next_arg(ws::Tokens& t, std::string_view after);
// iproute2's matches(): word is a non-empty prefix of full ("del" for "delete").
bool matches(std::string_view word, std::string_view full);
// get_u32() (base 0) up to max, else invarg(msg).
ws::Result<uint32_t> get_u32(std::string_view w, uint32_t max, std::string_view msg);
// The u32 after a keyword; msg defaults to ip's `value after "KEYWORD" is invalid`.
ws::Result<uint32_t> value_u32(ws::Tokens& t, std::string_view keyword, std::string_view msg = {}, uint32_t max = ~0u);
// get_prefix() (what "prefix") or get_addr() (what "address"), with their error texts.
ws::Result<ws::InetPrefix> get_prefix(std::string_view w, ws::Family preferred, std::string_view key,
                                      std::string_view what = "prefix");

bool is_port_proto(uint8_t proto);  // tcp udp sctp dccp: sport/dport
bool is_icmp_proto(uint8_t proto);  // icmp ipv6-icmp mobility-header: type/code

// XFRM-PROTO names (esp ah comp route2 hao ipsec-any); wildside implements esp only.
ws::Result<uint8_t> xfrm_proto(std::string_view w);
std::string xfrm_proto_name(uint8_t proto);
ws::Status require_esp(uint8_t proto);

ws::Result<crypto::Mode> parse_mode(ws::Tokens& t);  // after "mode"
ws::Result<XfrmMark> parse_mark(ws::Tokens& t);      // after "mark"
ws::Result<XfrmDir> parse_dir(ws::Tokens& t);        // after "dir": in|out|fwd
ws::Result<XfrmAction> parse_action(ws::Tokens& t);  // after "action": allow|block
ws::Status parse_ptype(ws::Tokens& t);               // after "ptype": main (sub is not supported)
// After a flag keyword: "0xHEX" replaces flags; names are or-ed in up to the first word that
// is none (left for the caller).
ws::Status parse_flags(ws::Tokens& t, std::string_view keyword, std::span<const XfrmFlagName> names, uint32_t max,
                       std::string_view invalid, uint32_t& flags);
// The same for the 8-bit flag fields (state and policy `flag`).
inline ws::Status parse_flags(ws::Tokens& t, std::string_view keyword, std::span<const XfrmFlagName> names,
                              std::string_view invalid, uint8_t& flags) {
    uint32_t wide = flags;
    WS_TRY(parse_flags(t, keyword, names, 0xff, invalid, wide));
    flags = uint8_t(wide);
    return {};
}

struct IdWords {
    std::optional<ws::InetPrefix> src, dst;
    uint8_t proto = 0;
    std::optional<uint32_t> spi;
    ws::Family family() const { return src ? src->addr.family : dst ? dst->addr.family : ws::Family::kNone; }
};
enum class IdProto : uint8_t { kRequired, kLoose };
// At least one ID word; kRequired: `proto` must be among them.
ws::Result<IdWords> parse_id(ws::Tokens& t, ws::Family preferred, IdProto need);

// Which SELECTOR words were given (list filters compare only those).
struct SelectorGiven {
    bool src = false, dst = false, proto = false;
};
// The SELECTOR words at the cursor (none is an empty selector of family kNone).
ws::Result<XfrmSelector> parse_selector(ws::Tokens& t, ws::Family preferred, SelectorGiven* given = nullptr);
// A selector without addresses takes family f with zero prefixes.
void settle_selector_family(XfrmSelector& s, ws::Family f);

}  // namespace ctl::xfrm_words
