#pragma once
// FwRule / FwTableSpec — one iptables table of one family (mangle or filter) in dataplane
// terms: what dp::FwTable (fw_table.h) is compiled from. Plain values without DPDK, filled by
// the control plane (control/compile/compile_firewall.h) from ctl::Firewall: interface names
// resolved to the ifindices they match, jump targets to chain indices, `-m string` patterns to
// bit numbers of the table's one Hyperscan database, REJECT types to ICMP type and code.
//
// Semantics: ctl::IptRule::matches() and ctl::Firewall::traverse() (control/model/
// firewall_model.h) are the reference; tests/dataplane/fw_table_test.cc compares FwTable with
// them on random rule sets and packets.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/inet.h"
#include "selectors/payload_matcher.h"

namespace dp {

enum class FwTarget : uint8_t { kNone, kAccept, kDrop, kReject, kReturn, kJump, kGoto, kMark, kDscp };

enum class FwMatchKind : uint8_t { kPorts, kIcmp, kMultiport, kMark, kDscp, kTos, kLength, kString };

// One -m match (or the implicit one -p tcp|udp|sctp|icmp loads).
struct FwMatch {
    FwMatchKind kind = FwMatchKind::kMark;
    bool invert = false;    // ports: ! --sport; every other kind: its one `!`
    bool invert2 = false;   // ports: ! --dport
    bool native = false;    // ports: compiled by iptables-nft to payload compares (reads ports of
                            // later fragments and of any protocol, see IptPortsMatch)
    bool combined = false;  // ports: single sport and dport compared as one 4-byte word
    bool any = false;       // icmp: type 0xff, any type
    uint8_t dir = 0;        // multiport: 0 source, 1 destination, 2 either
    uint16_t lo = 0, hi = 0xffff;    // ports: sport range; icmp: the type in lo; length: the range
    uint16_t lo2 = 0, hi2 = 0xffff;  // ports: dport range; icmp: the code range
    uint32_t value = 0, mask = 0;    // mark (V/M), tos (V/M), dscp (value); string: the bit
    uint8_t nports = 0;              // multiport: ranges used in `ports`
    std::array<std::array<uint16_t, 2>, 15> ports{};
};

struct FwRule {
    ws::InetAddr src, smsk, dst, dmsk;  // src/dst already masked; a zero mask (not inverted) is any
    bool inv_src = false, inv_dst = false;
    // Interfaces: the ifindices whose names the rule's pattern matches (sorted; 0 stands for
    // "no device", which only "+" matches), unless any; inverted with !.
    bool iif_any = true, inv_iif = false;
    std::vector<uint32_t> iifs;
    bool oif_any = true, inv_oif = false;
    std::vector<uint32_t> oifs;
    uint8_t proto = 0;  // 0: all
    bool inv_proto = false;
    bool frag = false, inv_frag = false;
    std::vector<FwMatch> matches;
    FwTarget target = FwTarget::kNone;
    uint32_t chain = 0;                  // kJump, kGoto: index into FwTableSpec::chains
    uint32_t mark_v = 0, mark_m = 0;     // kMark: mark = (mark & ~mark_m) ^ mark_v
    uint8_t dscp = 0;                    // kDscp
    bool reject_tcp_reset = false;       // kReject: a TCP RST, else the ICMP error below
    uint8_t reject_type = 0, reject_code = 0;
    uint64_t id = 0;                     // the model's rule id: what counters are kept by
};

// The hooks, in netfilter's order.
enum class FwHook : uint8_t { kPrerouting, kInput, kForward, kOutput, kPostrouting };
inline constexpr size_t kFwHooks = 5;

struct FwChainSpec {
    std::string name;
    std::vector<FwRule> rules;
};

struct FwTableSpec {
    ws::Family family = ws::Family::kInet;
    std::string name;                         // "mangle", "filter": for describe()
    std::vector<FwChainSpec> chains;          // built-in and user chains
    std::array<int32_t, kFwHooks> hook_chain{-1, -1, -1, -1, -1};  // the built-in chain per hook
    std::array<bool, kFwHooks> policy_drop{};
    std::vector<sel::PayloadPattern> strings;  // every -m string of the table: id = the bit
};

}  // namespace dp
