#pragma once
// The iptables extensions wildside reads — matches tcp, udp, sctp, icmp, icmp6, multiport,
// mark, dscp, tos, length, string; targets MARK, DSCP, REJECT — each as iptables 1.8.9 defines
// it: its long options (names, aliases, which take an argument, which may be inverted, which
// exclude which), its parse of each option, and its final check, with libxtables' generic checks
// (xtables_option_parse(), xtables_options_fcheck()) for the extensions that use them. Used by
// control/grammar/iptables_grammar.cc only.
//
// Config:  -p tcp --dport 22 | -m multiport --dports 22,80:90 | -m mark ! --mark 0x1/0xff |
//          -m string --string "GET /" --algo bm --to 200 | -j MARK --set-mark 0x1 | -j DSCP
//          --set-dscp-class EF | -j REJECT --reject-with tcp-reset
// Errors:  each extension's own text ("Only one `--destination-port' allowed", "multiport needs
//          `-p tcp', ...") or libxtables' ("mark: option \"--mark\" can only be used once.",
//          "MARK: option \"--set-mark\" cannot be used together with \"--and-mark\".").
// Refused: the options of these extensions that wildside does not implement (--syn,
//          --tcp-flags, --tcp-option, --chunk-types) and every other extension iptables has
//          ("match `conntrack' is not supported by wildside").
#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.h"
#include "control/model/firewall_model.h"

namespace ctl::ipt_ext {

enum OptFlag : uint8_t {
    kArg = 1,     // takes a value
    kInvert = 2,  // may follow '!'
    kMand = 4,    // must be given (xtopt)
    kTwoArgs = 8, // takes a second word too (--tcp-flags MASK COMP): refused anyway
};

struct ExtOption {
    std::string_view name;
    uint8_t id = 0;     // aliases share the id; the first entry of an id names it in messages
    uint8_t flags = 0;  // OptFlag bits
    uint32_t excl = 0;  // the ids this one cannot be used with (xtopt; may include its own)
};

// What the rule says so far, as an extension's parse sees it (multiport reads -p).
struct RuleSoFar {
    ws::Family family = ws::Family::kInet;
    uint8_t proto = 0;
    bool proto_given = false;
    bool proto_inv = false;
};

struct Loaded;

struct ExtDef {
    std::string_view name;
    bool target = false;
    std::span<const ExtOption> options;
    bool xtopt = true;  // libxtables' generic checks apply
    ws::Status (*parse)(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar& r) = nullptr;
    ws::Status (*final_check)(Loaded& l) = nullptr;  // x6_fcheck / final_check
};

// One loaded instance: its definition and what its options built so far.
struct Loaded {
    const ExtDef* def = nullptr;
    ws::Family family = ws::Family::kInet;
    uint32_t xflags = 0;  // the option ids given
    bool completed = false;
    IptMatch match;
    IptTarget target;
};

// The match or target of that name for the family (nullptr: wildside does not have it).
const ExtDef* find_match(std::string_view name, ws::Family f);
const ExtDef* find_target(std::string_view name, ws::Family f);
// A fresh instance with the extension's defaults (x6_init).
Loaded load(const ExtDef& d, ws::Family f);
// xtables_option_parse()'s generic checks, then the extension's parse.
ws::Status parse_option(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar& r);
// xtables_option_mfcall()/tfcall(): the extension's final check, then the generic one.
ws::Status final_check(Loaded& l);

}  // namespace ctl::ipt_ext
