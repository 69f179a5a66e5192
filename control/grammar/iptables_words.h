#pragma once
// The word-level readers and writers of the `iptables` grammar, with iptables 1.8.9's rules and
// error texts: libxtables' numbers (xtables_strtoul(): strtoumax, base 0), ports
// (xtables_parse_port(): a number or an /etc/services name; udp's getaddrinfo() reading),
// protocols (xtables_parse_protocol(): a number, an /etc/protocols name, or the built-in table),
// addresses and masks (xtables_ipparse_multiple(), xtables_ip6parse_multiple()), interfaces,
// chain names, the ICMP and ICMPv6 type names, DSCP classes, TOS names and REJECT types. Used by
// control/grammar/iptables_*.cc and control/iptables_query.cc only.
//
// Config:  -s 10.0.0.0/8,192.0.2.1  -d ::/0  -p tcp|6|all  --dport 22:ssh  --icmp-type 3/1
//          --dscp-class AF41  --tos Minimize-Delay  --reject-with icmp-admin-prohibited
// Errors:  iptables' texts without its "iptables v1.8.9 (nf_tables): " prefix, each naming the
//          word: "invalid port/service `99999' specified", "host/network `1.2.3.300' not found",
//          "invalid mask `33' specified", "unknown protocol \"foo\" specified", ...
// Not read: host and network names (iptables resolves them; wildside reads numbers only and says
//          "host/network `X' not found" as iptables does for a name that does not resolve).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/inet.h"
#include "common/result.h"
#include "control/model/firewall_model.h"

namespace ctl::ipt_words {

// The parts joined (GCC 12 warns falsely (-Wrestrict) on "literal" + std::string temporaries).
std::string cat(std::initializer_list<std::string_view> parts);
// A PARAMETER_PROBLEM: iptables' message, naming its word.
ws::Error problem(std::string msg, std::string_view token = {});
// "WHAT is not supported by wildside", kUnsupported.
ws::Error unsupported(std::string what, std::string_view token);
// "`WORD'" and "\"WORD\"" as iptables quotes words.
std::string backquoted(std::string_view w);
std::string quoted(std::string_view w);

// strtoumax(s, &end, base) as libxtables calls it: leading blanks, a sign (a minus wraps), base
// 0 reads 0x.. as hex and 0.. as octal. Returns the value and where it stopped; nullopt when no
// digit was read or the number overflowed.
struct Number {
    uint64_t value = 0;
    size_t end = 0;
};
std::optional<Number> strtoumax_like(std::string_view s, int base = 0);
// xtables_strtoui(s, NULL, ...): the whole word is a number in [min, max].
std::optional<uint64_t> whole_number(std::string_view s, uint64_t min, uint64_t max, int base = 0);

// xtables_parse_port(): a number (base 0, up to 65535) or a service name of `proto`.
ws::Result<uint16_t> parse_port(std::string_view w, std::string_view proto);
// tcp and sctp's port ranges: P, P:Q, :Q, P:, ":" (min > max is an error).
ws::Result<IptPortRange> parse_port_range(std::string_view w, std::string_view proto);
// udp's ports (xtopt's XTTYPE_PORTRC, getaddrinfo()): decimal digits wrap at 65536, a service
// name of any protocol, an empty part is 0 (first) or 65535 (second); min > max is allowed.
ws::Result<IptPortRange> parse_udp_ports(std::string_view w, std::string_view option);

// xtables_parse_protocol(): 0-255 (base 0), "all", an /etc/protocols name, or the built-in
// names (tcp udp udplite icmp icmpv6 ipv6-icmp esp ah sctp ipv6-mh mh); lower-cased first.
ws::Result<uint8_t> parse_protocol(std::string_view w);
// getprotobynumber()'s name for -S, or nullopt (then the number is printed).
std::optional<std::string> protocol_name(uint8_t proto);
// The name find_proto() loads an implicit match by: "tcp", "udp", "sctp", "icmp", "icmp6", ...
// (proto_to_name() for a number); nullopt when the protocol has none.
std::optional<std::string> proto_match_name(uint8_t proto, ws::Family f);

// One -s/-d address with its mask (the address already masked).
struct AddrMask {
    ws::InetAddr addr, mask;
};
// xtables_ipparse_multiple() / xtables_ip6parse_multiple(): a comma-separated list of
// ADDR[/PREFIXLEN|/MASK]; the word as -s or -d received it.
ws::Result<std::vector<AddrMask>> parse_addresses(std::string_view w, ws::Family f);
// xtables_ipmask_to_numeric() / xtables_ip6mask_to_numeric(): "" for a host mask, "/N" for a
// prefix, "/MASK" otherwise.
std::string mask_suffix(const ws::InetAddr& mask);
// The -S form: "/N" for every prefix (host included), "/MASK" otherwise.
std::string mask_suffix_save(const ws::InetAddr& mask);
// The prefix length of a mask, or -1 when its ones are not contiguous.
int mask_prefix_len(const ws::InetAddr& mask);

// xtables_parse_interface(): up to 15 characters; "+" alone is any (returns "").
ws::Result<std::string> parse_interface(std::string_view w);

// parse_chain() (-N): length, leading '-' or '!', target names, blanks.
ws::Status check_new_chain_name(std::string_view w);
// xt_parse_target() (-j, -g): not empty, under 29 characters, no blanks.
ws::Status check_target_name(std::string_view w);
inline constexpr size_t kExtensionNameMax = 29;  // XT_EXTENSION_MAXNAMELEN
// Names iptables 1.8.9 has an extension for: a match (`-m NAME` loads) or a target.
bool is_known_match(std::string_view name, ws::Family f);
bool is_known_target(std::string_view name, ws::Family f);

// --icmp-type / --icmpv6-type: a name (a unique prefix, any case) or TYPE[/CODE[:CODE]].
ws::Result<IptIcmpMatch> parse_icmp_type(std::string_view w, bool v6);

// --dscp-class: CS0-7, BE, AF11-43, EF (class_to_dscp(): a word that starts with one, any case).
ws::Result<uint8_t> parse_dscp_class(std::string_view w);
// --tos: V[/M] (base 0, up to 255) or a symbolic name (mask 0x3f).
ws::Result<IptTosMatch> parse_tos(std::string_view w);

// --reject-with: the first type whose name or alias starts with the word (any case).
ws::Result<IptReject> parse_reject(std::string_view w, ws::Family f);
std::string_view reject_name(IptReject r);
IptReject default_reject(ws::Family f);

// --string / --hex-string (parse_string(), parse_hex_string()).
ws::Result<std::string> parse_string_pattern(std::string_view w);
ws::Result<std::string> parse_hex_pattern(std::string_view w);
// print_string()/print_hex_string(): "\"text\"" with \" and \\ escaped, or "\"|hex|\"" when a
// byte is not printable or the last one is a backslash. The bool says which (true: hex).
std::pair<std::string, bool> string_pattern_text(std::string_view pattern);

}  // namespace ctl::ipt_words
