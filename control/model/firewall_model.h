#pragma once
// Firewall — the iptables/ip6tables tables that `iptables` and `ip6tables` lines change: per
// family, the mangle and filter tables, each with its built-in chains (a policy and an ordered
// rule list) and user chains; a rule is the ipt_ip part (addresses, interfaces, protocol,
// fragment flag), its matches in the order given, and one target.
//
// Needs:   nothing; plain values (no DPDK), usable and testable without the rest of the model.
// Gives:   IptRule::matches(const IptPacket&) — the kernel's test of one rule (ip_packet_match()
//          or iptables-nft's payload compares, then every match in order); apply_target() and
//          apply_mark() — what MARK (mark = (mark & ~mask) ^ value, reference §4.2) and DSCP do
//          to a packet; Firewall::traverse() — ipt_do_table()'s walk of a built-in chain with
//          jumps, gotos, RETURN, the policy and the first terminal verdict. These are the
//          reference semantics a compiled classifier must agree with.
//          Every rule carries an id, unique in the Firewall and kept while the rule lives
//          (copies of the model keep it): the dataplane counts per id and the listing asks for
//          (packets, bytes) by id (control/iptables_query.h).
// Errors:  the kernel's answers as iptables 1.8.9 (nf_tables) prints them, without its
//          "iptables: " prefix: "No chain/target/match by that name.", "Index of insertion too
//          big.", "Bad rule (does a matching rule exist in that chain?).", "Chain already
//          exists.", "CHAIN_DEL failed (Device or resource busy): chain X", "RULE_APPEND failed
//          (Invalid argument): rule in chain X" (a target or match the kernel refuses there; the
//          reason follows in parentheses), "(Too many links)" for a jump deeper than 16 chains or
//          a loop reachable from a built-in chain.
// Config:  iptables -t mangle -A PREROUTING -p tcp --dport 23 -j MARK --set-mark 0x1
//          ip6tables -A INPUT -p tcp -j REJECT --reject-with tcp-reset
// Cost:    append/insert/delete: O(rules in the chain) plus a jump-depth walk when the rule
//          jumps; traverse(): a linear first-match walk (the reference, not the fast path). No
//          perf/ figures.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/inet.h"
#include "common/result.h"

namespace ctl {

enum class IptTable : uint8_t { kFilter = 0, kMangle = 1 };
inline constexpr size_t kIptTables = 2;
std::string_view ipt_table_name(IptTable t);

// The built-in chains: netfilter's hooks.
enum class IptHook : uint8_t { kPrerouting, kInput, kForward, kOutput, kPostrouting };
std::string_view ipt_hook_name(IptHook h);
// A table's built-in chains in the order iptables lists them.
std::span<const IptHook> ipt_builtin_chains(IptTable t);

enum class IptPolicy : uint8_t { kAccept, kDrop };

// What the reference matcher reads of a packet. `data` is the packet from its IP header on
// (skb->data at the netfilter IP hooks): xt_string's --from/--to count from there.
struct IptPacket {
    ws::InetAddr src, dst;
    uint8_t proto = 0;  // the upper-layer protocol (IPv6: after the extension headers)
    // The first four bytes of the transport header as two big-endian numbers: the ports of
    // TCP/UDP/SCTP/DCCP/UDP-Lite. iptables-nft compares these bytes whatever the protocol (a
    // rule `! -p tcp --dport 22` reads them from a UDP header too), so fill them for any
    // protocol that has them.
    uint16_t sport = 0, dport = 0;
    uint8_t icmp_type = 0, icmp_code = 0;  // ICMP or ICMPv6, after the protocol says which
    // Not the first fragment: the xt matches (icmp, sctp, multiport, a bare -m tcp) never match
    // it, but iptables-nft's tcp/udp port compares read its first four bytes after the IP
    // header as ports (the kernel's fast payload path skips the fragment check): fill sport and
    // dport from those bytes.
    bool fragment = false;
    bool has_l4 = true;  // the four bytes after the IP header are there (not truncated)
    std::string iif, oif;                  // "" where there is none (iif in OUTPUT)
    uint8_t tos = 0;                       // IPv4 TOS / IPv6 traffic class
    uint32_t mark = 0;
    uint16_t length = 0;  // -m length: IPv4 total length; IPv6 payload length + 40
    std::span<const uint8_t> data;
};

struct IptPortRange {
    uint16_t min = 0, max = 0xffff;
    bool contains(uint16_t p) const { return p >= min && p <= max; }
    bool is_any() const { return min == 0 && max == 0xffff; }
    bool operator==(const IptPortRange&) const = default;
};

// -p tcp|udp|sctp --sport/--dport: the tcp, udp and sctp matches (loaded by -m or implicitly).
struct IptPortsMatch {
    uint8_t proto = 6;  // 6 tcp, 17 udp, 132 sctp: the match's own protocol
    IptPortRange sport, dport;
    bool inv_sport = false, inv_dport = false;
    bool sport_given = false, dport_given = false;  // sctp lists the options given, tcp/udp the ranges
    bool operator==(const IptPortsMatch&) const = default;
};

// -p icmp --icmp-type / -p icmpv6 --icmpv6-type. type 0xff with codes 0-255 is "any" (IPv4).
struct IptIcmpMatch {
    bool v6 = false;
    uint8_t type = 0, code_min = 0, code_max = 0xff;
    bool invert = false;
    bool operator==(const IptIcmpMatch&) const = default;
};

// -m multiport --sports|--dports|--ports a,b,c:d (xt_multiport revision 1). A range counts two
// of the 15 slots.
struct IptMultiportMatch {
    enum class Dir : uint8_t { kSource, kDestination, kEither };
    Dir dir = Dir::kDestination;
    std::vector<IptPortRange> ports;  // single ports have min == max
    bool invert = false;
    bool operator==(const IptMultiportMatch&) const = default;
};
inline constexpr size_t kMultiportMax = 15;  // XT_MULTI_PORTS

struct IptMarkMatch {  // -m mark --mark V[/M]: (mark & M) == V
    uint32_t mark = 0, mask = 0xffffffff;
    bool invert = false;
    bool operator==(const IptMarkMatch&) const = default;
};

struct IptDscpMatch {  // -m dscp --dscp N | --dscp-class C
    uint8_t dscp = 0;
    bool invert = false;
    bool operator==(const IptDscpMatch&) const = default;
};

struct IptTosMatch {  // -m tos --tos V[/M] (revision 1): (tos & M) == V
    uint8_t value = 0, mask = 0xff;
    bool invert = false;
    bool operator==(const IptTosMatch&) const = default;
};

struct IptLengthMatch {  // -m length --length N[:M]
    uint16_t min = 0, max = 0xffff;
    bool invert = false;
    bool operator==(const IptLengthMatch&) const = default;
};

// -m string --string S | --hex-string H --algo bm|kmp [--from N] [--to N] [--icase]
struct IptStringMatch {
    std::string pattern;  // bytes, 1 to 128
    std::string algo = "bm";
    uint16_t from = 0, to = 0xffff;
    bool icase = false;
    bool invert = false;
    bool operator==(const IptStringMatch&) const = default;
};
inline constexpr size_t kStringMax = 128;  // XT_STRING_MAX_PATTERN_SIZE

using IptMatch = std::variant<IptPortsMatch, IptIcmpMatch, IptMultiportMatch, IptMarkMatch, IptDscpMatch,
                              IptTosMatch, IptLengthMatch, IptStringMatch>;
// The match's name as `-m NAME` and the kernel know it: tcp, udp, sctp, icmp, icmp6, ...
std::string_view ipt_match_name(const IptMatch& m);
bool match_packet(const IptMatch& m, const IptPacket& p);

// REJECT --reject-with: the IPv4 types (libipt_REJECT) then the IPv6 ones (libip6t_REJECT).
enum class IptReject : uint8_t {
    kNetUnreachable, kHostUnreachable, kProtoUnreachable, kPortUnreachable, kNetProhibited,
    kHostProhibited, kTcpReset, kAdminProhibited,
    kIcmp6NoRoute, kIcmp6AdmProhibited, kIcmp6AddrUnreachable, kIcmp6PortUnreachable, kTcpReset6,
    kIcmp6PolicyFail, kIcmp6RejectRoute,
};

enum class IptTargetKind : uint8_t { kNone, kAccept, kDrop, kReturn, kJump, kGoto, kMark, kDscp, kReject };

struct IptTarget {
    IptTargetKind kind = IptTargetKind::kNone;  // kNone: no -j (the rule only counts)
    std::string chain;                          // kJump, kGoto: a user chain of the same table
    uint32_t mark_value = 0, mark_mask = 0;     // kMark: mark = (mark & ~mask) ^ value
    uint8_t dscp = 0;                           // kDscp
    IptReject reject = IptReject::kPortUnreachable;
    bool operator==(const IptTarget&) const = default;
};
// The MARK target's (value, mask) for each option (reference §4.2).
IptTarget mark_set_xmark(uint32_t value, uint32_t mask);  // (V, M)
IptTarget mark_set_mark(uint32_t value, uint32_t mask);   // (V, M | V)
IptTarget mark_and(uint32_t bits);                        // (0, ~B)
IptTarget mark_or(uint32_t bits);                         // (B, B)
IptTarget mark_xor(uint32_t bits);                        // (B, 0)
// xt_MARK: the new mark; any other target leaves it.
uint32_t apply_mark(const IptTarget& t, uint32_t mark);
// What a non-terminal target does to the packet: MARK the mark, DSCP the DS field (keeping
// ECN: tos = (tos & 0x03) | dscp << 2). Others change nothing.
void apply_target(const IptTarget& t, IptPacket& p);

// IPT_INV_* of struct ipt_ip.
enum IptInv : uint8_t {
    kInvIif = 0x01, kInvOif = 0x02, kInvTos = 0x04, kInvSrc = 0x08, kInvDst = 0x10, kInvFrag = 0x20,
    kInvProto = 0x40,
};

struct IptRule {
    ws::Family family = ws::Family::kInet;
    ws::InetAddr src, smsk, dst, dmsk;  // addresses already masked; a zero mask is any
    std::string iif, oif;               // "" any; a trailing '+' makes the rest a prefix
    uint8_t proto = 0;                  // 0: all
    bool frag = false;                  // -f: non-first fragments only (IPv4)
    uint8_t inv = 0;                    // IptInv bits
    std::vector<IptMatch> match_list;   // the -m (and implicit -p) matches, in the order given
    IptTarget target;
    uint64_t id = 0;  // set by the Firewall; not part of what the rule says

    // Everything but the id: what `-D CHAIN RULE` and `-C` compare.
    bool same_spec(const IptRule& o) const;
    // Whether the rule matches the packet (the target is not applied).
    bool matches(const IptPacket& p) const;
};

// Whether an interface name matches a rule's (possibly wildcard) interface: "eth+" matches
// every name starting "eth", "+" every name; "" matches everything.
bool iface_matches(std::string_view rule_iface, std::string_view name);

struct IptChain {
    std::string name;
    bool builtin = false;
    IptPolicy policy = IptPolicy::kAccept;  // built-in chains only
    std::vector<IptRule> rules;
};

// One table of one family.
struct IptTableState {
    std::vector<IptChain> builtin;         // in listing order
    std::map<std::string, IptChain> user;  // by name: iptables-nft lists user chains sorted

    IptChain* find(std::string_view name);
    const IptChain* find(std::string_view name) const;
    // The chains in listing order: built-ins, then user chains by name.
    std::vector<const IptChain*> chains() const;
    // How many rules of the table jump or go to chain `name`.
    size_t references(std::string_view name) const;
};

// The verdict of a walk of a built-in chain.
struct IptVerdict {
    enum class Kind : uint8_t { kAccept, kDrop, kReject };
    Kind kind = Kind::kAccept;
    IptReject reject = IptReject::kPortUnreachable;
    bool policy = false;  // decided by the chain's policy, not by a rule
};

inline constexpr size_t kIptJumpStackMax = 16;  // NFT_JUMP_STACK_SIZE

class Firewall {
public:
    Firewall();

    IptTableState& table(ws::Family f, IptTable t) { return tables_[index(f, t)]; }
    const IptTableState& table(ws::Family f, IptTable t) const { return tables_[index(f, t)]; }

    // -A / -I (pos is 1-based) / -R; the kernel's checks of the rule in that chain first.
    ws::Status append(ws::Family f, IptTable t, std::string_view chain, IptRule r);
    ws::Status insert(ws::Family f, IptTable t, std::string_view chain, size_t pos, IptRule r);
    ws::Status replace(ws::Family f, IptTable t, std::string_view chain, size_t pos, IptRule r);
    // -D CHAIN RULE (the first rule with the same spec) / -D CHAIN N.
    ws::Status del(ws::Family f, IptTable t, std::string_view chain, const IptRule& spec);
    ws::Status del_num(ws::Family f, IptTable t, std::string_view chain, size_t pos);
    // -C: kNotFound "Bad rule ..." unless a rule with the same spec is there.
    ws::Status check(ws::Family f, IptTable t, std::string_view chain, const IptRule& spec) const;
    // -F [CHAIN] (every chain of the table when none is named).
    ws::Status flush(ws::Family f, IptTable t, std::optional<std::string_view> chain);
    // -P CHAIN ACCEPT|DROP (built-in chains only).
    ws::Status set_policy(ws::Family f, IptTable t, std::string_view chain, IptPolicy p);
    // -N / -X [CHAIN] (every empty unreferenced user chain when none is named: all or nothing)
    // / -E OLD NEW.
    ws::Status new_chain(ws::Family f, IptTable t, std::string_view chain);
    ws::Status delete_chain(ws::Family f, IptTable t, std::optional<std::string_view> chain);
    ws::Status rename_chain(ws::Family f, IptTable t, std::string_view from, std::string_view to);

    // ipt_do_table(): walks built-in chain `hook` of the table for the packet, applying MARK and
    // DSCP as they match, and returns the verdict. hits, when given, gets the id of every rule
    // that matched, in order (what the counters count).
    IptVerdict traverse(ws::Family f, IptTable t, IptHook hook, IptPacket& p, std::vector<uint64_t>* hits = nullptr) const;

    std::string describe() const;  // "iptables: filter N rules, mangle N rules; ip6tables: ..."

private:
    static size_t index(ws::Family f, IptTable t) { return (f == ws::Family::kInet6 ? 2 : 0) + size_t(t); }
    ws::Status check_rule(ws::Family f, IptTable t, const IptChain& c, const IptRule& r, std::string_view op) const;
    ws::Status check_depth(ws::Family f, IptTable t, std::string_view op, std::string_view chain) const;
    IptChain* chain_mut(ws::Family f, IptTable t, std::string_view name);
    std::array<IptTableState, 2 * kIptTables> tables_;
    uint64_t next_id_ = 1;
};

}  // namespace ctl
