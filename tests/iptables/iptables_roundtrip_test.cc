// parse(format(x)) == x for iptables rules (STYLE 18): random rules of every match and target,
// both families; what `iptables -S` prints for a rule, read back, is the same rule.
#include <random>

#include "ipt_test_util.h"

namespace {

struct Gen {
    std::mt19937 rng;
    bool v6 = false;
    template <size_t N>
    const char* pick(const char* const (&xs)[N]) {
        return xs[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
    }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
    std::string inv() { return chance(0.25) ? "! " : ""; }

    std::string rule(bool mangle) {
        static const char* const kAddr4[] = {"10.0.0.0/8", "10.1.2.3", "1.2.3.4/255.0.255.0", "192.0.2.0/25", "0.0.0.0/0"};
        static const char* const kAddr6[] = {"2001:db8::/32", "2001:db8::1", "fe80::/ffff:ffff::", "::/0", "2001:db8::/ffff:0:ffff::"};
        std::string s;
        if (chance(0.5)) s += inv() + "-s " + (v6 ? pick(kAddr6) : pick(kAddr4)) + " ";
        if (chance(0.5)) s += inv() + "-d " + (v6 ? pick(kAddr6) : pick(kAddr4)) + " ";
        if (chance(0.3)) s += inv() + "-i " + pick({"eth0", "veth+", "+", "lo"}) + " ";
        static const char* const kProto[] = {"tcp", "udp", "sctp", "icmp", "all", "47", "esp"};
        std::string proto = pick(kProto);
        if (proto == "icmp" && v6) proto = "icmpv6";
        const bool pinv = proto != "all" && chance(0.1);
        if (chance(0.7)) {
            s += std::string(pinv ? "! " : "") + "-p " + proto + " ";
            if (!pinv && (proto == "tcp" || proto == "udp" || proto == "sctp")) {
                static const char* const kPorts[] = {"22", "1:1024", ":100", "1000:", "0:65535", "ssh", "0"};
                if (chance(0.5)) s += inv() + "--sport " + pick(kPorts) + " ";
                if (chance(0.5)) s += inv() + "--dport " + pick(kPorts) + " ";
                if (chance(0.3)) s += "-m multiport " + inv() + pick({"--sports", "--dports", "--ports"}) + " 22,80:90,443 ";
            }
            if (!pinv && proto == "icmp") s += inv() + "--icmp-type " + pick({"any", "8", "3/1", "echo-reply", "destination-unreachable"}) + " ";
            if (!pinv && proto == "icmpv6") s += inv() + "--icmpv6-type " + pick({"128", "1/3", "packet-too-big"}) + " ";
        }
        if (!v6 && chance(0.1)) s += inv() + "-f ";
        if (chance(0.3)) s += "-m mark " + inv() + "--mark " + pick({"0x1", "0x10/0xf0", "7/0"}) + " ";
        if (chance(0.2)) s += "-m dscp " + inv() + pick({"--dscp 10", "--dscp-class EF"}) + " ";
        if (chance(0.2)) s += "-m tos " + inv() + "--tos " + pick({"0x10", "Minimize-Cost", "0x08/0x0c"}) + " ";
        if (chance(0.2)) s += "-m length " + inv() + "--length " + pick({"100", "0:64", "1400:"}) + " ";
        if (chance(0.2))
            s += "-m string " + inv() + pick({"--string foo", "--hex-string |00ff|", "--string 'GET /'", "--string x\\"}) +
                 " --algo " + pick({"bm", "kmp"}) + (chance(0.5) ? " --from 5 --to 80" : "") + (chance(0.3) ? " --icase" : "") + " ";
        if (chance(0.8)) {
            static const char* const kTargets[] = {"-j ACCEPT", "-j DROP", "-j RETURN", "-j MARK --set-mark 0x10/0xf0",
                                                   "-j MARK --and-mark 0xfe", "-j MARK --or-mark 4", "-j MARK --xor-mark 4",
                                                   "-j MARK --set-xmark 0x1"};
            s += pick(kTargets);
            if (mangle && chance(0.2)) s = s.substr(0, s.rfind("-j ")) + "-j DSCP --set-dscp-class AF21";
        }
        return s;
    }
};

TEST(IptablesRoundTrip, SaveFormReadsBackAsTheSameRule) {
    Gen g{std::mt19937(7)};
    int checked = 0;
    for (int i = 0; i < 3000; ++i) {
        g.v6 = i % 2;
        const bool mangle = g.chance(0.5);
        const std::string prog = g.v6 ? "ip6tables" : "iptables";
        const std::string head = prog + (mangle ? " -t mangle" : "") + " ";
        const std::string line = head + "-A FORWARD " + g.rule(mangle);
        ctl::Firewall fw;
        auto c = ctl::parse_iptables(fw, ws::split_words(line));
        if (!c.ok()) continue;  // a combination iptables refuses too (the oracle checks those)
        ASSERT_EQ(c->rules.size(), 1u) << line;
        const std::string saved = ctl::format_rule_save("FORWARD", c->rules[0]);
        auto back = ctl::parse_iptables(fw, ws::split_words(head + saved));
        ASSERT_TRUE(back.ok()) << line << "\nsaved: " << saved << "\n" << back.error().message;
        ASSERT_EQ(back->rules.size(), 1u);
        EXPECT_TRUE(back->rules[0].same_spec(c->rules[0])) << line << "\nsaved: " << saved << "\nagain: "
                                                          << ctl::format_rule_save("FORWARD", back->rules[0]);
        ++checked;
    }
    EXPECT_GT(checked, 2000);
}

// Arbitrary words: every line parses or fails with a message, and listing afterwards works.
TEST(IptablesRoundTrip, ArbitraryWordsNeverCrash) {
    static const char* const kWords[] = {
        "-A", "-I", "-D", "-R", "-C", "-L", "-S", "-F", "-N", "-X", "-E", "-P", "-t", "mangle", "filter", "nat", "INPUT",
        "PREROUTING", "OUTPUT", "FOO", "-s", "-d", "-i", "-o", "-p", "-j", "-g", "-m", "!", "--dport", "--sport", "--d",
        "--dp", "-n", "-v", "-x", "--line-numbers", "tcp", "udp", "icmp", "sctp", "all", "1", "0", "22:80", ":", "",
        "10.0.0.0/8", "::/0", "1.2.3.4/33", "eth+", "+", "mark", "--mark", "0x1/0xff", "MARK", "--set-mark",
        "--and-mark", "DSCP", "--set-dscp", "REJECT", "--reject-with", "tcp-reset", "string", "--string",
        "--hex-string", "|41|", "|4", "\\", "--algo", "bm", "--from", "--to", "--icase", "multiport", "--ports",
        "1,2:3,4", "length", "--length", "5:", "tos", "--tos", "Minimize-Delay", "dscp", "--dscp-class", "EF",
        "--icmp-type", "any", "3/1", "--icmpv6-type", "ACCEPT", "DROP", "RETURN", "-nvL", "-Ln", "--src=1.2.3.4",
        "-4", "-6", "-f", "-w", "--", "-Z", "-c", "-h",
    };
    std::mt19937 rng(11);
    ctl::Model m;
    int applied = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string line = (i % 3) ? "iptables" : "ip6tables";
        const int n = std::uniform_int_distribution<int>(0, 9)(rng);
        for (int k = 0; k < n; ++k) line += std::string(" ") + kWords[std::uniform_int_distribution<size_t>(0, std::size(kWords) - 1)(rng)];
        auto st = ctl::apply_command(m, line);
        if (st.ok()) ++applied;
        else EXPECT_FALSE(st.error().message.empty()) << line;
        if (i % 1000 == 0) {
            (void)it::query(m, "iptables -S");
            (void)it::query(m, "ip6tables -t mangle -L -n -v --line-numbers");
        }
    }
    EXPECT_GT(applied, 100);
}

}  // namespace
