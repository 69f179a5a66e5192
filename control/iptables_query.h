#pragma once
// `iptables` / `ip6tables` queries against the model: `-S [CHAIN [N]] [-v]`,
// `-L [CHAIN [N]] -n [-v] [-x] [--line-numbers]` and `-C CHAIN RULE`. wildsidectl -c runs them
// offline; run_query() (control/query.h) hands every iptables line here.
//
// Output: iptables 1.8.9 (nf_tables)'s text byte for byte: -S as `-P CHAIN POLICY`, `-N CHAIN`,
//   `-A CHAIN SPEC` (user chains sorted by name, after the built-ins); -L as
//     Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
//      pkts bytes target     prot opt in     out     source               destination
//         0     0 MARK       6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:23 MARK set 0x1
//   with its column widths, the protocol as a number (-n), counters with K/M/G/T suffixes unless
//   -x, and each match and target as its extension prints it ("multiport dports 22,23",
//   "mark match 0x1/0xff", "STRING match  \"foo\" ALGO name bm", "MARK xset 0x1/0xff").
// Counters: the caller passes where they come from — by rule id (IptRule::id) and per built-in
//   chain for its policy; none (offline) prints zeros.
// Errors: as iptables (without its "iptables v1.8.9 (nf_tables): " prefix): a missing chain is
//   "chain `X' in table `filter' is incompatible, use 'nft' tool." (status 1); a malformed line
//   its grammar error (status 2); `-C` of a missing rule "Bad rule (does a matching rule exist in
//   that chain?)." (status 1). `-L` without `-n` is refused: wildside does not resolve names.
// Cost:  O(rules) per listing.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "control/model/model.h"
#include "control/query.h"

namespace ctl {

struct IptCounters {
    uint64_t packets = 0, bytes = 0;
};

// Where a listing reads counters; a missing function reads zeros.
struct IptCounterSource {
    std::function<IptCounters(uint64_t rule_id)> rule;
    std::function<IptCounters(ws::Family, IptTable, IptHook)> policy;
};

// xtables_print_num(): "%5llu " or with a K/M/G/T suffix ("%4lluK "), "%8llu " with -x; the
// header's "N " forms (no padding) when `notable`.
std::string ipt_number(uint64_t n, bool exact, bool notable);

// The -L options.
struct IptListFormat {
    bool verbose = false, exact = false, line_numbers = false;
};
// One -L rule line (with its '\n'); num is its position in the chain.
std::string format_rule_list(const IptRule& r, size_t num, const IptListFormat& f, IptCounters c);

// Answers one `iptables|ip6tables ...` query line (all its words).
QueryOutput iptables_query(const Model& m, const std::vector<std::string_view>& words, const IptCounterSource& counters = {});

}  // namespace ctl
