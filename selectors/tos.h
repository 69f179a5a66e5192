#pragma once
// tos / dsfield — matches the TOS byte (ip rule add tos 0x10 ...).
//
// IPv4 (fib_dscp_masked_match): the value may use only bits 0x1C ("Invalid tos." otherwise, and
// "ECN bits must be 0"); it is compared with flow.tos & 0x1C, so precedence bits are ignored.
// IPv6: the full DSCP (6 bits), compared with flow.tos & 0xFC (ECN stripped). Printed through
// the rt_dsfield names (`tos CS1`).
#include "selectors/selector_util.h"

namespace sel {

struct Tos {
    static constexpr std::string_view kKeywords[] = {"tos", "dsfield"};
    uint8_t tos = 0;
    bool v6 = false;

    static ws::Result<Tos> parse(ws::Tokens& t, const ParseContext& ctx);
    bool present() const { return tos != 0; }
    void format(std::string& out, const ws::Names& names) const { out += "tos " + names.dsfield_name(tos) + " "; }
    void to_json(ws::JsonObject& o, const ws::Names& names) const { o.str("tos", names.dsfield_name(tos)); }
    bool matches(const FlowKey& k) const { return v6 ? tos == (k.tos & 0xfc) : tos == (k.tos & 0x1c); }
    bool operator==(const Tos&) const = default;
};

// Reads a dsfield word as iproute2's rtnl_dsfield_a2n(): a name, else hexadecimal.
ws::Result<uint8_t> parse_dsfield(std::string_view word, const ws::Names& names);

}  // namespace sel
