#pragma once
// The `iptables` / `ip6tables` grammar: a command line read as iptables 1.8.9 (nf_tables) reads
// it — getopt_long() with its long-option abbreviations and short-option clusters, the base
// options, the matches and target each -m/-p/-j loads and whose options then become known, the
// checks do_parse() makes, in its order, with its texts — into an IptCommand, applied to the
// Firewall with the kernel's checks (control/model/firewall_model.h); plus the input-form
// printer (what `iptables -S` prints for a rule, which reads back as the same rule).
//
// Config:  iptables|ip6tables [-t mangle|filter] COMMAND [RULE] with COMMAND one of
//            -A CHAIN, -I CHAIN [N], -R CHAIN N, -D CHAIN (RULE | N), -C CHAIN RULE, -F [CHAIN],
//            -P CHAIN ACCEPT|DROP, -N CHAIN, -X [CHAIN], -E OLD NEW,
//            -L [CHAIN [N]] -n [-v] [-x] [--line-numbers], -S [CHAIN [N]]
//          RULE := [!] -s ADDR[/M][,...] [!] -d ADDR[/M][,...] [!] -i IF[+] [!] -o IF[+]
//            [!] -p tcp|udp|sctp|icmp|icmpv6|all|NAME|N [!] -f [-m MATCH OPTIONS]...
//            [-j ACCEPT|DROP|RETURN|CHAIN|MARK ...|DSCP ...|REJECT ... | -g CHAIN]
//          e.g. iptables -t mangle -A PREROUTING -i eth0 -p tcp --dport 23 -j MARK --set-mark 1
// Errors:  iptables' texts without its "iptables v1.8.9 (nf_tables): " or "iptables: " prefix
//          ("unknown option \"--dport\"", "Can't use -o with INPUT", "Bad argument `foo'"), each
//          naming its word; wildside's own for what it refuses ("table `nat' is not supported
//          by wildside", "match `conntrack' is not supported by wildside").
// Refused: tables nat, raw, security; -Z, -c, -h, -V; host and network names; extensions other
//          than those of control/grammar/iptables_ext.h; two tcp (or udp) matches in one rule
//          (iptables-nft lists them merged into one); -j QUEUE; renaming a built-in chain.
// Also:    `-L` lists numerically only (wildside does not resolve names): `-n` is required.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "control/model/firewall_model.h"

namespace ctl {

enum class IptCommandKind : uint8_t {
    kAppend, kDelete, kDeleteNum, kInsert, kReplace, kCheck, kList, kListRules, kFlush, kNewChain,
    kDeleteChain, kRenameChain, kSetPolicy,
};

struct IptCommand {
    ws::Family family = ws::Family::kInet;
    IptTable table = IptTable::kFilter;
    IptCommandKind kind = IptCommandKind::kList;
    std::string chain;     // "" when not given (-L, -S, -F, -X)
    size_t rulenum = 0;    // -I (1 when not given), -R, -D N, -L/-S CHAIN N; 0 when not given
    std::string new_name;  // -E
    IptPolicy policy = IptPolicy::kAccept;
    std::vector<IptRule> rules;  // the rule commands: one per (source, destination) pair
    bool numeric = false, verbose = false, exact = false, line_numbers = false;
};

// "iptables" (IPv4) or "ip6tables" (IPv6).
bool is_iptables_command(std::string_view word);
// Parses one line (every word, the program name first). The firewall is read for what iptables
// asks the kernel while parsing: whether a -j/-g chain exists.
ws::Result<IptCommand> parse_iptables(const Firewall& fw, const std::vector<std::string_view>& words);
// Applies one line: -A -I -R -D -F -P -N -X -E change the firewall; -C fails unless the rule is
// there; -L and -S change nothing (run them as queries: control/iptables_query.h).
ws::Status apply_iptables(Firewall& fw, const std::vector<std::string_view>& words);
// Whether a line only reads: -L, -S or -C (what the daemon answers as a query).
bool is_iptables_query(const std::vector<std::string_view>& words);

// The input form of a rule, as `iptables -S` prints it after "-A CHAIN": "-s 10.0.0.0/8 -p tcp
// -m tcp --dport 22 -j ACCEPT"; "" for a rule that says nothing.
std::string format_rule_spec(const IptRule& r);
// "-A CHAIN" and the spec; with counters (`-S -v`), " -c PACKETS BYTES" before the target.
std::string format_rule_save(std::string_view chain, const IptRule& r);
std::string format_rule_save(std::string_view chain, const IptRule& r, uint64_t packets, uint64_t bytes);

}  // namespace ctl
