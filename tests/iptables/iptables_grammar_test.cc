// control/grammar/iptables_*.cc: invalid input first — each error text as iptables 1.8.9
// (nf_tables) printed it in a network namespace here, its "iptables v1.8.9 (nf_tables): " or
// "iptables: " prefix left off — then every match and target read into the model, -I/-D by
// spec and by number, -R, -F, -P, -N/-X/-E, and a batch that fails on one line changing nothing.
#include "ipt_test_util.h"

namespace {

using ctl::IptTable;
using ctl::IptTargetKind;
using ws::Family;

struct Bad {
    const char* line;
    const char* message;
};

// Lines that fail on a fresh model whatever came before.
constexpr Bad kBadLines[] = {
    {"iptables", "no command specified"},
    {"iptables -A", "option \"-A\" requires an argument"},
    {"iptables -A INPUT -j", "option \"-j\" requires an argument"},
    {"iptables -A INPUT -j NOPE", "Chain 'NOPE' does not exist"},
    {"iptables -A INPUT --foo", "unknown option \"--foo\""},
    {"iptables -A INPUT --dport 22 -j ACCEPT", "unknown option \"--dport\""},
    {"iptables -A INPUT --icmp-type 8", "unknown option \"--icmp-type\""},
    {"iptables -A INPUT -p udp --tcp-flags SYN SYN", "unknown option \"--tcp-flags\""},
    {"iptables -A INPUT -p tcp --s 22", "unknown option \"--s\""},
    {"iptables -A INPUT --d 1.2.3.4", "unknown option \"--d\""},
    {"iptables -A INPUT foo", "Bad argument `foo'"},
    {"iptables -A INPUT -j ACCEPT extra", "Bad argument `extra'"},
    {"iptables -A INPUT !", "nothing appropriate following !"},
    {"iptables -A INPUT ! ! -s 1.2.3.4", "multiple consecutive ! not allowed"},
    {"iptables -A INPUT -s 1.2.3.4 -s 2.3.4.5", "multiple -s flags not allowed"},
    {"iptables -A INPUT -p tcp -p udp", "multiple -p flags not allowed"},
    {"iptables -A INPUT -j ACCEPT -j DROP", "multiple -j flags not allowed"},
    {"iptables -A INPUT -A FORWARD", "Cannot use -A with -A"},
    {"iptables -A INPUT -D FORWARD", "Cannot use -D with -A"},
    {"iptables -L -S", "Cannot use -S with -L"},
    {"iptables -A INPUT -n -j ACCEPT", "Illegal option `-n' with this command"},
    {"iptables -F INPUT -s 1.2.3.4", "Illegal option `-s' with this command"},
    {"iptables -D INPUT 1 -j ACCEPT", "Illegal option `-j' with this command"},
    {"iptables -A OUTPUT -i eth0 -j ACCEPT", "Can't use -i with OUTPUT"},
    {"iptables -A INPUT -o eth0 -j ACCEPT", "Can't use -o with INPUT"},
    {"iptables -t mangle -A PREROUTING -o eth0 -j ACCEPT", "Can't use -o with PREROUTING"},
    {"iptables -t mangle -A POSTROUTING -i eth0 -j ACCEPT", "Can't use -i with POSTROUTING"},
    {"iptables -A INPUT -i abcdefghijklmnop", "interface name `abcdefghijklmnop' must be shorter than IFNAMSIZ (15)"},
    {"iptables -A INPUT -s 1.2.3.4/33 -j ACCEPT", "invalid mask `33' specified"},
    {"iptables -A INPUT -s 1.2.3.300 -j ACCEPT", "host/network `1.2.3.300' not found"},
    {"iptables -A INPUT -s 1.2.3.4,5.6.7.8 ! -d 1.1.1.1", "! not allowed with multiple source or destination IP addresses"},
    {"iptables -A INPUT ! -s 0.0.0.0/0 -j ACCEPT", "RULE_APPEND failed (Invalid argument): rule in chain INPUT (an inverted address with a zero mask)"},
    {"iptables -A INPUT -p foo -j ACCEPT", "unknown protocol \"foo\" specified"},
    {"iptables -A INPUT -p 300 -j ACCEPT", "unknown protocol \"300\" specified"},
    {"iptables -A INPUT ! -p all -j ACCEPT", "rule would never match protocol"},
    {"iptables -A INPUT -p tcp --dport 99999 -j ACCEPT", "invalid port/service `99999' specified"},
    {"iptables -A INPUT -p tcp --dport 22:11 -j ACCEPT", "invalid portrange (min > max)"},
    {"iptables -A INPUT -p tcp --dport foo -j ACCEPT", "invalid port/service `foo' specified"},
    {"iptables -A INPUT -p tcp --dport 1:2:3", "invalid port/service `2:3' specified"},
    {"iptables -A INPUT -p tcp --dport 1 --dport 2", "Only one `--destination-port' allowed"},
    {"iptables -A INPUT -p udp --dport 5 --dport 6", "udp: option \"--destination-port\" can only be used once."},
    {"iptables -A INPUT -p udp --dport 1:2:3", "udp: Too many components for option \"--destination-port\" (max: 2)"},
    {"iptables -A INPUT -p udp --dport 0x10", "Port \"0x10\" does not resolve to anything."},
    {"iptables -A INPUT -p sctp --dport 70000", "invalid port/service `70000' specified"},
    {"iptables -A INPUT -m udp --dport 22", "UDP match requires '-p udp'"},
    {"iptables -A INPUT -p udp -m tcp --dport 22", "TCP match requires '-p tcp'"},
    {"iptables -A INPUT -m icmp --icmp-type 8", "RULE_APPEND failed (Invalid argument): rule in chain INPUT (icmp match needs -p icmp)"},
    {"iptables -A INPUT -p icmp --icmp-type foo", "Unknown ICMP type `foo'"},
    {"iptables -A INPUT -p icmp --icmp-type echo", "Ambiguous ICMP type `echo': `echo-reply' or `echo-request'?"},
    {"iptables -A INPUT -p icmp --icmp-type 3/", "Unknown ICMP code `3/'"},
    {"iptables -A INPUT -p icmp --icmp-type 3:4", "ICMP type range not supported"},
    {"iptables -A INPUT -p icmp --icmp-type 3/1/2", "unknown character /"},
    {"iptables -A INPUT -p icmp --icmp-type 256", "Unknown ICMP type `256'"},
    {"iptables -A INPUT -p icmp -m icmp", "icmp: option \"--icmp-type\" must be specified"},
    {"iptables -A INPUT -p icmp --icmp-type 8 --icmp-type 0", "icmp: option \"--icmp-type\" can only be used once."},
    {"iptables -A INPUT -m multiport --dports 1,2 -j ACCEPT",
     "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'"},
    {"iptables -A INPUT ! -p tcp -m multiport --dports 1", "multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP"},
    {"iptables -A INPUT -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "too many ports specified"},
    {"iptables -A INPUT -p tcp -m multiport --dports 5:3", "invalid portrange specified"},
    {"iptables -A INPUT -p tcp -m multiport --dports 1 --sports 2",
     "multiport: option \"--source-ports\" cannot be used together with \"--destination-ports\"."},
    {"iptables -A INPUT -p tcp -m multiport", "multiport expection an option"},
    {"iptables -A INPUT -m foo", "Couldn't load match `foo':No such file or directory"},
    {"iptables -A INPUT -m mark", "mark: option \"--mark\" must be specified"},
    {"iptables -A INPUT -m mark --mark 0x1/0x2/3", "mark: trailing garbage after value for option \"--mark\"."},
    {"iptables -A INPUT -m mark --mark foo", "mark: bad integer value for option \"--mark\", or out of range."},
    {"iptables -A INPUT -m mark --mark 0x100000000", "mark: bad integer value for option \"--mark\", or out of range."},
    {"iptables -A INPUT -m mark --mark 1 --mark 2", "mark: option \"--mark\" can only be used once."},
    {"iptables -A INPUT -m length --length 70000", "length: bad value for option \"--length\" near \"70000\", or out of range (0-65535)."},
    {"iptables -A INPUT -m length --length 1:2:3", "length: Too many components for option \"--length\" (max: 2)"},
    {"iptables -A INPUT -m dscp --dscp 64", "dscp: bad value for option \"--dscp\", or out of range (0-63)."},
    {"iptables -A INPUT -m dscp --dscp-class foo", "Invalid DSCP value `foo'"},
    {"iptables -A INPUT -m dscp --dscp 1 --dscp-class EF", "dscp: option \"--dscp\" cannot be used together with \"--dscp-class\"."},
    {"iptables -A INPUT -m dscp", "DSCP match: Parameter --dscp is required"},
    {"iptables -A INPUT -m tos --tos foo", "Symbolic name \"foo\" is unknown"},
    {"iptables -A INPUT -m tos --tos 0x10/0x100", "Illegal value: \"0x10/0x100\""},
    {"iptables -A INPUT -m string --string foo", "string: option \"--algo\" must be specified"},
    {"iptables -A INPUT -m string --algo bm", "STRING match: You must specify `--string' or `--hex-string'"},
    {"iptables -A INPUT -m string --algo foo --string x", "RULE_APPEND failed (No such file or directory): rule in chain INPUT (no textsearch algorithm \"foo\": bm or kmp)"},
    {"iptables -A INPUT -m string --string x --algo bm --from 70000", "string: bad value for option \"--from\", or out of range (0-65535)."},
    {"iptables -A INPUT -m string --hex-string |4 --algo bm", "Odd number of hex digits"},
    {"iptables -A INPUT -m string --hex-string |4g| --algo bm", "Invalid hex char 'g'"},
    {"iptables -A INPUT -m string --string a --hex-string |42| --algo bm", "string: option \"--string\" cannot be used together with \"--hex-string\"."},
    {"iptables -A INPUT -j MARK", "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required"},
    {"iptables -A INPUT -j MARK --set-mark 1 --and-mark 2", "MARK: option \"--set-mark\" cannot be used together with \"--and-mark\"."},
    {"iptables -A INPUT -j MARK --set-mark 1/2/3", "MARK: trailing garbage after value for option \"--set-mark\"."},
    {"iptables -A INPUT -j MARK --and-mark 1/2", "MARK: bad value for option \"--and-mark\", or out of range (0-4294967295)."},
    {"iptables -A INPUT -j MARK ! --set-mark 1", "MARK: option \"--set-mark\" cannot be inverted."},
    {"iptables -A INPUT -j MARK --set-mark 1 --set-mark 2", "MARK: option \"--set-mark\" can only be used once."},
    {"iptables -t mangle -A INPUT -j DSCP --set-dscp 64", "DSCP: bad value for option \"--set-dscp\", or out of range (0-63)."},
    {"iptables -t mangle -A INPUT -j DSCP", "DSCP target: Parameter --set-dscp is required"},
    {"iptables -A INPUT -j DSCP --set-dscp 1", "RULE_APPEND failed (Invalid argument): rule in chain INPUT (DSCP is valid only in the mangle table)"},
    {"iptables -t mangle -A PREROUTING -j REJECT", "RULE_APPEND failed (Invalid argument): rule in chain PREROUTING (REJECT is valid only in the filter table)"},
    {"iptables -A INPUT -j REJECT --reject-with foo", "unknown reject type \"foo\""},
    {"iptables -A INPUT -j REJECT --reject-with tcp-reset", "RULE_APPEND failed (Invalid argument): rule in chain INPUT (tcp-reset needs -p tcp)"},
    {"iptables -A NOPE -j ACCEPT", "No chain/target/match by that name."},
    {"iptables -D INPUT -j ACCEPT", "Bad rule (does a matching rule exist in that chain?)."},
    {"iptables -D INPUT 1", "Index of deletion too big."},
    {"iptables -D INPUT 0", "Invalid rule number `0'"},
    {"iptables -D INPUT x", "Invalid rule number `x'"},
    {"iptables -D INPUT -1", "unknown option \"-1\""},
    {"iptables -D INPUT 1 2", "Bad argument `2'"},
    {"iptables -I INPUT 2 -j ACCEPT", "Index of insertion too big."},
    {"iptables -R INPUT 1 -j ACCEPT", "Index of replacement too big."},
    {"iptables -R INPUT -j RETURN", "-R requires a rule number"},
    {"iptables -R INPUT 1 -s 1.1.1.1,2.2.2.2 -j RETURN", "Replacement rule does not specify a unique address"},
    {"iptables -P FOO DROP", "Bad built-in chain name."},
    {"iptables -P INPUT REJECT", "Bad policy name. Run `dmesg' for more information."},
    {"iptables -P INPUT", "-P requires a chain and a policy"},
    {"iptables -N INPUT", "Chain already exists."},
    {"iptables -N -foo", "chain name not allowed to start with `-'"},
    {"iptables -N ACCEPT", "chain name may not clash with target name"},
    {"iptables -N abcdefghijklmnopqrstuvwxyzabcde", "chain name `abcdefghijklmnopqrstuvwxyzabcde' too long (must be under 29 chars)"},
    {"iptables -X INPUT", "No chain/target/match by that name."},
    {"iptables -X NOPE", "No chain/target/match by that name."},
    {"iptables -F NOPE", "No chain/target/match by that name."},
    {"iptables -E NOPE X", "No chain/target/match by that name."},
    {"iptables -E NOPE", "-E requires old-chain-name and new-chain-name"},
    {"iptables -t foo -L", "table 'foo' does not exist"},
    {"ip6tables -A INPUT -s 1.2.3.4 -j ACCEPT", "host/network `1.2.3.4' not found"},
    {"ip6tables -A INPUT -s 2001:db8::/129 -j ACCEPT", "invalid mask `129' specified"},
    {"ip6tables -A INPUT -j REJECT --reject-with icmp-port-unreachable", "unknown reject type \"icmp-port-unreachable\""},
    {"ip6tables -A INPUT -f", "`-f' is not supported in IPv6, use -m frag instead"},
    {"ip6tables -A INPUT -p icmp --icmp-type 8", "unknown option \"--icmp-type\""},
    {"ip6tables -A INPUT -m icmp", "Couldn't load match `icmp':No such file or directory"},
    {"ip6tables -A INPUT -p icmpv6 --icmpv6-type foo", "Unknown ICMPv6 type `foo'"},
};

TEST(IptablesGrammar, ErrorTextsAsIptablesPrintsThem) {
    for (const auto& b : kBadLines) EXPECT_EQ(it::error_of(b.line), b.message) << b.line;
}

TEST(IptablesGrammar, ErrorsNameTheirWord) {
    ctl::Model m;
    auto st = ctl::apply_command(m, "iptables -A INPUT -p tcp --dport 99999 -j ACCEPT");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().token, "99999");
    st = ctl::apply_command(m, "iptables -A INPUT --foo");
    EXPECT_EQ(st.error().token, "--foo");
}

TEST(IptablesGrammar, StateDependentErrors) {
    ctl::Model m;
    it::must_apply(m, "iptables -N FOO\niptables -A INPUT -j FOO\niptables -N A\niptables -N B\niptables -A A -j B\niptables -A B -j A");
    EXPECT_EQ(it::error_of(m, "iptables -X FOO"), "CHAIN_DEL failed (Device or resource busy): chain FOO");
    EXPECT_EQ(it::error_of(m, "iptables -X"), "CHAIN_DEL failed (Device or resource busy): chain A");
    EXPECT_EQ(it::error_of(m, "iptables -X INPUT"), "CHAIN_DEL failed (Device or resource busy): chain INPUT");
    EXPECT_EQ(it::error_of(m, "iptables -N FOO"), "Chain already exists.");
    EXPECT_EQ(it::error_of(m, "iptables -E FOO A"), "File exists.");
    // A loop reachable from a built-in chain, and jumps 16 deep, are "Too many links".
    EXPECT_EQ(it::error_of(m, "iptables -A INPUT -j A"),
              "RULE_APPEND failed (Too many links): rule in chain INPUT (jumps nest deeper than 16 chains or loop)");
    std::string deep;
    for (int i = 1; i <= 17; ++i) deep += "iptables -N C" + std::to_string(i) + "\n";
    for (int i = 1; i < 17; ++i) deep += "iptables -A C" + std::to_string(i) + " -j C" + std::to_string(i + 1) + "\n";
    it::must_apply(m, deep);
    EXPECT_EQ(it::error_of(m, "iptables -A OUTPUT -j C3"), "");
    EXPECT_EQ(it::error_of(m, "iptables -A OUTPUT -j C2"),
              "RULE_APPEND failed (Too many links): rule in chain OUTPUT (jumps nest deeper than 16 chains or loop)");
    EXPECT_EQ(it::error_of(m, "iptables -A INPUT -j INPUT"),
              "RULE_APPEND failed (Operation not supported): rule in chain INPUT (a jump to a built-in chain)");
    EXPECT_EQ(it::error_of(m, "iptables -t mangle -A INPUT -j FOO"), "Chain 'FOO' does not exist");
    // -I past the last rule appends, and says so.
    it::must_apply(m, "iptables -A FORWARD -j ACCEPT");
    EXPECT_EQ(it::error_of(m, "iptables -I FORWARD 2 -j REJECT --reject-with tcp-reset"),
              "RULE_APPEND failed (Invalid argument): rule in chain FORWARD (tcp-reset needs -p tcp)");
    EXPECT_EQ(it::error_of(m, "iptables -I FORWARD 1 -j REJECT --reject-with tcp-reset"),
              "RULE_INSERT failed (Invalid argument): rule in chain FORWARD (tcp-reset needs -p tcp)");
}

TEST(IptablesGrammar, WildsideRefusesClearly) {
    EXPECT_EQ(it::error_of("iptables -t nat -A PREROUTING -j ACCEPT"), "table `nat' is not supported by wildside");
    EXPECT_EQ(it::error_of("iptables -A INPUT -m conntrack --ctstate NEW"), "match `conntrack' is not supported by wildside");
    EXPECT_EQ(it::error_of("iptables -A INPUT -j LOG"), "target `LOG' is not supported by wildside");
    EXPECT_EQ(it::error_of("iptables -A INPUT -p tcp --syn"), "option --syn of the tcp match is not supported by wildside");
    EXPECT_EQ(it::error_of("iptables -A INPUT -p tcp --dport 1 -m tcp --dport 2"),
              "a second tcp match in one rule (iptables-nft lists them merged) is not supported by wildside");
    EXPECT_EQ(it::error_of("iptables -Z"), "-Z (the counters are the dataplane's) is not supported by wildside");
    EXPECT_EQ(ws::Errc::kUnsupported, ctl::apply_command(*std::make_unique<ctl::Model>(), "iptables -t raw -F").error().code);
}

TEST(IptablesGrammar, EveryMatchIntoTheModel) {
    using namespace ctl;
    IptRule r = it::rule_of("iptables -A INPUT ! -s 10.0.0.1/255.255.0.0 -d 192.0.2.1 -i eth+ ! -p udp -f");
    EXPECT_EQ(r.src, *ws::InetAddr::parse("10.0.0.0"));
    EXPECT_EQ(r.smsk, *ws::InetAddr::parse("255.255.0.0"));
    EXPECT_EQ(r.dmsk, *ws::InetAddr::parse("255.255.255.255"));
    EXPECT_EQ(r.iif, "eth+");
    EXPECT_EQ(r.proto, 17);
    EXPECT_EQ(r.inv, kInvSrc | kInvProto);
    EXPECT_TRUE(r.frag);

    r = it::rule_of("iptables -A INPUT -p tcp ! --sport 5 --dport 1:1000");
    ASSERT_EQ(r.match_list.size(), 1u);
    auto ports = std::get<IptPortsMatch>(r.match_list[0]);
    EXPECT_EQ(ports.proto, 6);
    EXPECT_EQ(ports.sport, (IptPortRange{5, 5}));
    EXPECT_TRUE(ports.inv_sport);
    EXPECT_EQ(ports.dport, (IptPortRange{1, 1000}));
    // iptables-nft's compare forms: ! 0:100 is 101:65535; ! 0:65535 is nothing at all.
    ports = std::get<IptPortsMatch>(it::rule_of("iptables -A INPUT -p udp ! --dport :100").match_list.at(0));
    EXPECT_EQ(ports.dport, (IptPortRange{101, 65535}));
    EXPECT_FALSE(ports.inv_dport);
    EXPECT_TRUE(it::rule_of("iptables -A INPUT -p tcp ! --dport 0:65535").match_list.empty());
    EXPECT_EQ(it::rule_of("iptables -A INPUT -p tcp -m tcp").match_list.size(), 1u);

    auto icmp = std::get<IptIcmpMatch>(it::rule_of("iptables -A INPUT -p icmp ! --icmp-type port-unreachable").match_list.at(0));
    EXPECT_EQ(icmp.type, 3);
    EXPECT_EQ(icmp.code_min, 3);
    EXPECT_EQ(icmp.code_max, 3);
    EXPECT_TRUE(icmp.invert);
    auto icmp6 = std::get<IptIcmpMatch>(it::rule_of("ip6tables -A INPUT -p icmpv6 --icmpv6-type ping").match_list.at(0));
    EXPECT_TRUE(icmp6.v6);
    EXPECT_EQ(icmp6.type, 128);

    auto mp = std::get<IptMultiportMatch>(it::rule_of("iptables -A INPUT -p tcp -m multiport ! --ports 22,80:90").match_list.at(0));
    EXPECT_EQ(mp.dir, IptMultiportMatch::Dir::kEither);
    EXPECT_EQ(mp.ports, (std::vector<IptPortRange>{{22, 22}, {80, 90}}));
    EXPECT_TRUE(mp.invert);

    EXPECT_EQ(std::get<IptMarkMatch>(it::rule_of("iptables -A INPUT -m mark ! --mark 0x10/0xf0").match_list.at(0)),
              (IptMarkMatch{0x10, 0xf0, true}));
    EXPECT_EQ(std::get<IptDscpMatch>(it::rule_of("iptables -A INPUT -m dscp --dscp-class AF41").match_list.at(0)),
              (IptDscpMatch{0x22, false}));
    EXPECT_EQ(std::get<IptTosMatch>(it::rule_of("iptables -A INPUT -m tos --tos Minimize-Delay").match_list.at(0)),
              (IptTosMatch{0x10, 0x3f, false}));
    EXPECT_EQ(std::get<IptLengthMatch>(it::rule_of("iptables -A INPUT -m length ! --length 100:").match_list.at(0)),
              (IptLengthMatch{100, 65535, true}));
    auto s = std::get<IptStringMatch>(
        it::rule_of("iptables -A INPUT -m string ! --hex-string '|41 42|C' --algo kmp --from 10 --to 100 --icase").match_list.at(0));
    EXPECT_EQ(s.pattern, "ABC");
    EXPECT_EQ(s.algo, "kmp");
    EXPECT_EQ(s.from, 10);
    EXPECT_EQ(s.to, 100);
    EXPECT_TRUE(s.icase);
    EXPECT_TRUE(s.invert);
}

TEST(IptablesGrammar, EveryTargetIntoTheModel) {
    using namespace ctl;
    EXPECT_EQ(it::rule_of("iptables -A INPUT -j ACCEPT").target.kind, IptTargetKind::kAccept);
    EXPECT_EQ(it::rule_of("iptables -A INPUT -j DROP").target.kind, IptTargetKind::kDrop);
    EXPECT_EQ(it::rule_of("iptables -A INPUT -j RETURN").target.kind, IptTargetKind::kReturn);
    EXPECT_EQ(it::rule_of("iptables -A INPUT").target.kind, IptTargetKind::kNone);
    auto t = it::rule_of("iptables -t mangle -A INPUT -j DSCP --set-dscp-class EF").target;
    EXPECT_EQ(t.kind, IptTargetKind::kDscp);
    EXPECT_EQ(t.dscp, 0x2e);
    t = it::rule_of("iptables -A INPUT -j REJECT").target;
    EXPECT_EQ(t.reject, IptReject::kPortUnreachable);
    EXPECT_EQ(it::rule_of("iptables -A INPUT -j REJECT --reject-with icmp-h").target.reject, IptReject::kHostUnreachable);
    EXPECT_EQ(it::rule_of("ip6tables -A INPUT -j REJECT").target.reject, IptReject::kIcmp6PortUnreachable);
    EXPECT_EQ(it::rule_of("ip6tables -A INPUT -j REJECT --reject-with adm-prohibited").target.reject, IptReject::kIcmp6AdmProhibited);
    ctl::Model m;
    it::must_apply(m, "iptables -N WEB");
    auto c = ctl::parse_iptables(m.firewall, ws::split_words("iptables -A INPUT -g WEB"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->rules[0].target.kind, IptTargetKind::kGoto);
    EXPECT_EQ(c->rules[0].target.chain, "WEB");
}

// Reference §4.2: each MARK option's (value, mask), as -S lists it.
TEST(IptablesGrammar, MarkOptionsAsValueAndMask) {
    struct Case {
        const char* opt;
        uint32_t value, mask;
    };
    constexpr Case kCases[] = {
        {"--set-xmark 0x1", 0x1, 0xffffffff}, {"--set-xmark 0x1/0xff", 0x1, 0xff}, {"--set-mark 0x1", 0x1, 0xffffffff},
        {"--set-mark 0x1/0xff", 0x1, 0xff},    {"--set-mark 0x100/0xff", 0x100, 0x1ff}, {"--and-mark 0xfe", 0x0, 0xffffff01},
        {"--or-mark 0x4", 0x4, 0x4},            {"--xor-mark 0x4", 0x4, 0x0},            {"--set-mark 010", 0x8, 0xffffffff},
    };
    for (const auto& c : kCases) {
        auto t = it::rule_of(std::string("iptables -t mangle -A PREROUTING -j MARK ") + c.opt).target;
        EXPECT_EQ(t.kind, IptTargetKind::kMark) << c.opt;
        EXPECT_EQ(t.mark_value, c.value) << c.opt;
        EXPECT_EQ(t.mark_mask, c.mask) << c.opt;
    }
}

TEST(IptablesGrammar, InsertDeleteReplaceByNumberAndSpec) {
    ctl::Model m;
    it::must_apply(m, R"(
iptables -A INPUT -s 10.0.0.1 -j ACCEPT
iptables -A INPUT -s 10.0.0.2 -j ACCEPT
iptables -I INPUT -s 10.0.0.3 -j DROP
iptables -I INPUT 3 -s 10.0.0.4 -j RETURN
iptables -I INPUT 5 -s 10.0.0.5
)");
    EXPECT_EQ(it::saved(m, Family::kInet, IptTable::kFilter, "INPUT"),
              (std::vector<std::string>{"-A INPUT -s 10.0.0.3/32 -j DROP", "-A INPUT -s 10.0.0.1/32 -j ACCEPT",
                                        "-A INPUT -s 10.0.0.4/32 -j RETURN", "-A INPUT -s 10.0.0.2/32 -j ACCEPT",
                                        "-A INPUT -s 10.0.0.5/32"}));
    it::must_apply(m, "iptables -D INPUT -s 10.0.0.1/32 -j ACCEPT\niptables -D INPUT 1\niptables -R INPUT 2 -s 10.0.0.9 -j DROP");
    EXPECT_EQ(it::saved(m, Family::kInet, IptTable::kFilter, "INPUT"),
              (std::vector<std::string>{"-A INPUT -s 10.0.0.4/32 -j RETURN", "-A INPUT -s 10.0.0.9/32 -j DROP",
                                        "-A INPUT -s 10.0.0.5/32"}));
    // Several addresses make several rules; -I puts the later pairs first, as iptables does.
    it::must_apply(m, "iptables -F\niptables -I INPUT 1 -s 1.1.1.1,2.2.2.2 -d 3.3.3.3,4.4.4.4");
    EXPECT_EQ(it::saved(m, Family::kInet, IptTable::kFilter, "INPUT"),
              (std::vector<std::string>{"-A INPUT -s 2.2.2.2/32 -d 4.4.4.4/32", "-A INPUT -s 2.2.2.2/32 -d 3.3.3.3/32",
                                        "-A INPUT -s 1.1.1.1/32 -d 4.4.4.4/32", "-A INPUT -s 1.1.1.1/32 -d 3.3.3.3/32"}));
    it::must_apply(m, "iptables -D INPUT -s 1.1.1.1,2.2.2.2 -d 3.3.3.3");
    EXPECT_EQ(it::saved(m, Family::kInet, IptTable::kFilter, "INPUT").size(), 2u);
    // -C is a query: it fails unless the rule is there.
    EXPECT_EQ(it::error_of(m, "iptables -C INPUT -s 1.1.1.1 -d 4.4.4.4"), "");
    EXPECT_EQ(it::error_of(m, "iptables -C INPUT -s 1.1.1.1 -d 3.3.3.3"), "Bad rule (does a matching rule exist in that chain?).");
    // Rule ids are stable across other rules' changes and new for a new rule.
    const auto ids = [&] {
        std::vector<uint64_t> v;
        for (const auto& r : m.firewall.table(Family::kInet, IptTable::kFilter).find("INPUT")->rules) v.push_back(r.id);
        return v;
    };
    auto before = ids();
    it::must_apply(m, "iptables -I INPUT 2 -j ACCEPT");
    auto after = ids();
    ASSERT_EQ(after.size(), 3u);
    EXPECT_EQ(after[0], before[0]);
    EXPECT_EQ(after[2], before[1]);
    EXPECT_GT(after[1], std::max(before[0], before[1]));
}

TEST(IptablesGrammar, FlushPolicyChains) {
    ctl::Model m;
    it::must_apply(m, R"(
iptables -t mangle -N MARKS
iptables -t mangle -A MARKS -j MARK --set-mark 1
iptables -t mangle -A PREROUTING -j MARKS
iptables -t mangle -A OUTPUT -j ACCEPT
iptables -P FORWARD DROP
iptables -t mangle -P PREROUTING DROP
iptables -t mangle -F OUTPUT
)");
    const auto& mangle = m.firewall.table(Family::kInet, IptTable::kMangle);
    EXPECT_TRUE(mangle.find("OUTPUT")->rules.empty());
    EXPECT_EQ(mangle.find("PREROUTING")->rules.size(), 1u);
    EXPECT_EQ(mangle.find("PREROUTING")->policy, ctl::IptPolicy::kDrop);
    EXPECT_EQ(m.firewall.table(Family::kInet, IptTable::kFilter).find("FORWARD")->policy, ctl::IptPolicy::kDrop);
    EXPECT_EQ(mangle.references("MARKS"), 1u);
    it::must_apply(m, "iptables -t mangle -E MARKS M2");
    EXPECT_EQ(mangle.find("PREROUTING")->rules[0].target.chain, "M2");
    it::must_apply(m, "iptables -t mangle -F\niptables -t mangle -X");
    EXPECT_TRUE(mangle.user.empty());
    EXPECT_TRUE(mangle.find("PREROUTING")->rules.empty());
    // ip6tables has its own tables.
    it::must_apply(m, "ip6tables -A INPUT -s 2001:db8::/32 -j DROP");
    EXPECT_TRUE(m.firewall.table(Family::kInet, IptTable::kFilter).find("INPUT")->rules.empty());
    EXPECT_EQ(it::saved(m, Family::kInet6, IptTable::kFilter, "INPUT"),
              (std::vector<std::string>{"-A INPUT -s 2001:db8::/32 -j DROP"}));
}

TEST(IptablesGrammar, BatchIsAllOrNothingWithFileAndLine) {
    ctl::Model m;
    it::must_apply(m, "iptables -t mangle -A PREROUTING -j MARK --set-mark 1");
    auto st = it::apply(m, R"(iptables -t mangle -A PREROUTING -j MARK --set-mark 2
ip route add 10.9.0.0/16 dev lo
# a comment
iptables -t mangle -A PREROUTING -p tcp \
    --dport 99999 -j ACCEPT
iptables -t mangle -A PREROUTING -j MARK --set-mark 3
)",
                        "west.conf");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().format(), "west.conf:4: invalid port/service `99999' specified");
    EXPECT_EQ(st.error().token, "99999");
    EXPECT_EQ(it::saved(m, Family::kInet, IptTable::kMangle, "PREROUTING"),
              (std::vector<std::string>{"-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff"}));
}

TEST(IptablesGrammar, GetoptForms) {
    // Abbreviated long options, clusters, attached values and the long spellings.
    EXPECT_EQ(it::rule_of("iptables --append INPUT --so 1.2.3.4 --jump ACCEPT").src, *ws::InetAddr::parse("1.2.3.4"));
    auto ports = std::get<ctl::IptPortsMatch>(it::rule_of("iptables -A INPUT -p tcp --dp 22").match_list.at(0));
    EXPECT_EQ(ports.dport, (ctl::IptPortRange{22, 22}));
    auto mp = std::get<ctl::IptMultiportMatch>(it::rule_of("iptables -A INPUT -p tcp -m multiport --dport 22").match_list.at(0));
    EXPECT_EQ(mp.dir, ctl::IptMultiportMatch::Dir::kDestination);  // "--dport" abbreviates --dports
    ctl::Model m;
    EXPECT_EQ(it::query(m, "iptables -nL INPUT").substr(0, 24), "Chain INPUT (policy ACCE");
    EXPECT_EQ(it::query(m, "iptables -Ln"), "ERR(1): chain `n' in table `filter' is incompatible, use 'nft' tool.");
    EXPECT_TRUE(ctl::is_iptables_query(ws::split_words("iptables -t mangle -nvL")));
    EXPECT_FALSE(ctl::is_iptables_query(ws::split_words("iptables -A INPUT -j ACCEPT")));
}

}  // namespace
