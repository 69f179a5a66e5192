// control/grammar/xfrm_policy_grammar.cc and the SPD: `ip xfrm policy` lines, invalid input
// first, then every keyword, Linux's order (lower priority first, equal priority by
// insertion), the identity that makes an add "File exists", update, the dump order, the
// defaults, lookup and the shadow warnings of `show compiled spd`.
#include "xfrm_test_util.h"

namespace {

using xt::error_of;

const std::string kSel = "ip xfrm policy add src 10.99.0.0/16 dst 10.2.0.0/16 ";

struct Case {
    std::string line;
    std::string message;
};

void expect_errors(const std::vector<Case>& cases) {
    for (const auto& c : cases) EXPECT_EQ(error_of(c.line), c.message) << c.line;
}

std::vector<std::string> order(const ctl::Spd& spd, ctl::XfrmDir d) {
    std::vector<std::string> out;
    for (const auto* p : spd.ordered(d)) out.push_back(ctl::format_policy_args(*p));
    return out;
}

// ---------------------------------------------------------------------------------------------
// Invalid input (texts as iproute2 6.1 and the kernel print them; checked on the machine).

TEST(XfrmPolicyInvalid, IproutesAndTheKernelsErrors) {
    expect_errors({
        {"ip xfrm policy add src 10.99.0.0/16 dst 10.2.0.0/16", "Not enough information: DIR is required."},
        {kSel + "dir foo", "Error: argument \"foo\" is wrong: DIR value is invalid"},
        {kSel + "dir out dir in", "Error: duplicate \"dir\": \"dir\" is the second value."},
        {kSel + "dir out priority x", "Error: argument \"x\" is wrong: PRIORITY value is invalid"},
        {kSel + "dir fwd priority 4294967296", "Error: argument \"4294967296\" is wrong: PRIORITY value is invalid"},
        {kSel + "dir out action x", "Error: argument \"x\" is wrong: ACTION value is invalid"},
        {kSel + "dir out foo", "Error: duplicate \"unknown\": \"foo\" is the second value."},
        {"ip xfrm policy add src 1.2.3.4 dir out proto sctp sport 5", "Error: duplicate \"unknown\": \"proto\" is the second value."},
        {kSel + "dir out tmpl", "Command line is not complete. Try option \"help\""},
        {kSel + "dir out tmpl src 1.1.1.1 dst 2.2.2.2", "Error: argument \"XFRM-PROTO\" is required"},
        {kSel + "dir out tmpl proto esp level foo", "Error: argument \"foo\" is wrong: LEVEL value is invalid"},
        {kSel + "dir out tmpl proto esp mode foo", "Error: argument \"foo\" is wrong: MODE value is invalid"},
        {kSel + "dir out tmpl proto esp reqid foo", "Error: argument \"foo\" is wrong: REQID value is invalid"},
        {kSel + "dir out tmpl proto esp src fd00::1 dst fd00::2 mode transport",
         "Error: Mode in template doesn't support a family change."},
        {kSel + "dir out tmpl src 1.1.1.1 dst 2.2.2.2 proto esp mode tunnel level use",
         "Error: Mode in optional template not allowed in outbound policy."},
        {"ip xfrm policy add src 10.99.0.0/16 dst 10.2.0.0/40 dir out", "Error: any valid prefix is expected rather than \"10.2.0.0/40\"."},
        {kSel + "dir out if_id x", "Error: argument \"x\" is wrong: IF_ID value is invalid"},
        {kSel + "dir out mark x", "Error: argument \"x\" is wrong: MARK value is invalid"},
        {kSel + "dir out flag 0x1ff", "Error: argument \"0x1ff\" is wrong: FLAG value is invalid"},
        {kSel + "dir out ptype foo", "Error: argument \"foo\" is wrong: PTYPE value is invalid"},
        {"ip xfrm policy add src 10.99.0.0/16 proto tcp sport 65536 dir in", "Error: argument \"65536\" is wrong: value after \"sport\" is invalid"},
        {"ip xfrm policy add src 10.99.0.0/16 proto icmp type 256 dir in", "Error: argument \"256\" is wrong: value after \"type\" is invalid"},
        {"ip xfrm policy add src 2.0.0.0/8 proto 0 type 2 dir out", "\"type\" and \"code\" are invalid with PROTO value \"ip\""},
        {kSel + "dir fwd tmpl proto esp tmpl proto esp tmpl proto esp tmpl proto esp tmpl proto esp tmpl proto esp tmpl proto esp",
         "Error: Template count must be <= XFRM_MAX_DEPTH (6)."},
        {"ip xfrm policy setdefault in foo", "Error: argument \"foo\" is wrong: in policy value is invalid"},
        {"ip xfrm policy setdefault bar block", "Error: argument \"bar\" is wrong: unknown direction"},
        {"ip xfrm policy setdefault in block out", "Command line is not complete. Try option \"help\""},
        {"ip xfrm policy setdefault in accept fwd accept out accept in block", "Error: duplicate \"in\": \"in\" is the second value."},
        {"ip xfrm policy del src 10.99.0.0/16 dst 10.2.0.0/16", "Not enough information: DIR is required."},
        {"ip xfrm policy del dir out", "Not enough information: selector or INDEX is required."},
        {"ip xfrm policy del src 10.1.0.0/16 dst 10.9.0.0/16 dir out priority 99", "Error: argument \"priority\" is wrong: unknown"},
        {"ip xfrm policy getdefault", "\"ip xfrm policy getdefault\" is a query, not a change"},
        {"ip xfrm policy frob", "Command \"frob\" is unknown, try \"ip xfrm policy help\"."},
    });
}

TEST(XfrmPolicyInvalid, BeyondWildside) {
    for (const std::string& l : {kSel + "dir out ptype sub", kSel + "dir out ctx foo", kSel + "dir out index 8",
                                 kSel + "dir out limit byte-soft 5", kSel + "dir out tmpl proto ah",
                                 kSel + "dir out tmpl proto esp mode beet", std::string("ip xfrm policy add dev eth0 dir out"),
                                 std::string("ip xfrm policy set hthresh4 32 32"),
                                 std::string("ip xfrm policy add src 1.0.0.0/8 proto gre key 5 dir out")})
        EXPECT_EQ(xt::code_of(l), ws::Errc::kUnsupported) << l << "\n" << error_of(l);
}

// xfrm_policy_insert_list(): direction, selector (host bits included), mark and if_id make the
// identity; anything else differing is still "File exists".
TEST(XfrmPolicyInvalid, IdentityAndDelete) {
    ctl::Model m;
    xt::must_apply(m, "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 10 "
                      "tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 1 mode tunnel");
    EXPECT_EQ(error_of(m, "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 10"), "RTNETLINK answers: File exists");
    EXPECT_EQ(error_of(m, "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 11 action block"),
              "RTNETLINK answers: File exists");
    for (const char* other : {"dir in", "dir fwd", "dir out mark 5", "dir out mark 0 mask 0xf0", "dir out if_id 1",
                              "proto tcp dir out", "proto tcp dport 22 dir out"})
        xt::must_apply(m, std::string("ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 ") + other);
    xt::must_apply(m, "ip xfrm policy add src 10.1.0.5/16 dst 10.2.0.0/16 dir out");  // host bits: another selector
    EXPECT_EQ(error_of(m, "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out mark 0 mask 0 if_id 0 ptype main"),
              "RTNETLINK answers: File exists");  // no mark and no if_id, spelled out
    EXPECT_EQ(m.spd.size(ctl::XfrmDir::kOut), 7u);
    EXPECT_EQ(error_of(m, "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out mark 5 mask 0xffffffff"), "RTNETLINK answers: File exists");
    EXPECT_EQ(error_of(m, "ip xfrm policy del src 10.99.0.0/16 dst 10.2.0.0/16 dir out"), "RTNETLINK answers: No such file or directory");
    EXPECT_EQ(error_of(m, "ip xfrm policy del src 10.1.0.0/16 dst 10.2.0.0/16 dir out mark 6"), "RTNETLINK answers: No such file or directory");
    xt::must_apply(m, "ip xfrm policy del src 10.1.0.0/16 dst 10.2.0.0/16 dir out mark 5");
    xt::must_apply(m, "ip xfrm policy delete src 10.1.0.0/16 dst 10.2.0.0/16 dir out");
    EXPECT_EQ(m.spd.size(ctl::XfrmDir::kOut), 5u);
    EXPECT_EQ(m.spd.size(ctl::XfrmDir::kIn), 1u);
}

// ---------------------------------------------------------------------------------------------
// Every keyword.

TEST(XfrmPolicy, EveryKeyword) {
    auto p = xt::parse_policy_line(
        "src 10.1.0.5/16 dst 10.3.0.0/16 proto tcp sport 22 dport 0x50 dir fwd priority 7 action block flag localok icmp "
        "mark 7 mask 0xff if_id 9 ptype main tmpl src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x55 reqid 3 mode tunnel level use "
        "tmpl proto esp mode transport reqid 4 level required");
    EXPECT_EQ(p.sel.family, ws::Family::kInet);
    EXPECT_EQ(p.sel.src.format(), "10.1.0.5/16");
    EXPECT_EQ(p.sel.proto, 6);
    EXPECT_EQ(p.sel.sport, 22);
    EXPECT_EQ(p.sel.dport, 80);
    EXPECT_EQ(p.dir, ctl::XfrmDir::kFwd);
    EXPECT_EQ(p.priority, 7u);
    EXPECT_EQ(p.action, ctl::XfrmAction::kBlock);
    EXPECT_EQ(p.flags, ctl::kPolicyLocalOk | ctl::kPolicyIcmp);
    EXPECT_EQ(p.mark, (ctl::XfrmMark{7, 0xff}));
    EXPECT_EQ(p.if_id, 9u);
    ASSERT_EQ(p.tmpls.size(), 2u);
    EXPECT_EQ(p.tmpls[0].src.format(), "10.0.0.1");
    EXPECT_EQ(p.tmpls[0].spi, 0x55u);
    EXPECT_EQ(p.tmpls[0].reqid, 3u);
    EXPECT_EQ(p.tmpls[0].mode, crypto::Mode::kTunnel);
    EXPECT_TRUE(p.tmpls[0].optional);
    EXPECT_EQ(p.tmpls[1].src, ws::InetAddr::zero(ws::Family::kInet));  // the family the first template set
    EXPECT_FALSE(p.tmpls[1].optional);
    EXPECT_EQ(p.disposition(), ctl::SpdDisposition::kDiscard);  // block wins over templates
    EXPECT_EQ(xt::parse_policy_line("dir out tmpl proto esp").disposition(), ctl::SpdDisposition::kProtect);
    EXPECT_EQ(xt::parse_policy_line("dir out").disposition(), ctl::SpdDisposition::kBypass);
    auto icmp = xt::parse_policy_line("src fd00::1/64 dst ::/0 proto ipv6-icmp type 135 code 0 dir in");
    EXPECT_EQ(icmp.sel.family, ws::Family::kInet6);
    EXPECT_EQ(icmp.sel.sport_mask, 0xffff);
    EXPECT_EQ(icmp.sel.dport_mask, 0xffff);
    auto ports = xt::parse_policy_line("dport 22 dir out");  // no proto: "to allow shared SA for different protocols"
    EXPECT_EQ(ports.sel.proto, 0);
    EXPECT_EQ(ports.sel.dport_mask, 0xffff);
}

// The families ip gives what the line does not say: the selector's from its addresses, else
// -6, else IPv4 (never from a template); a template's from its addresses, else the one before.
TEST(XfrmPolicy, Families) {
    ctl::Model m;
    xt::must_apply(m, "ip xfrm policy add dir out tmpl src fd00::1 dst fd00::2 proto esp mode tunnel\n"
                      "ip -6 xfrm policy add dir in\n"
                      "ip xfrm policy add src fd00::/8 dir fwd tmpl src 1.1.1.1 dst 2.2.2.2 proto esp mode tunnel tmpl proto esp\n");
    EXPECT_EQ(m.spd.ordered(ctl::XfrmDir::kOut)[0]->sel, ctl::XfrmSelector::any(ws::Family::kInet));
    EXPECT_EQ(m.spd.ordered(ctl::XfrmDir::kIn)[0]->sel, ctl::XfrmSelector::any(ws::Family::kInet6));
    const auto& fwd = *m.spd.ordered(ctl::XfrmDir::kFwd)[0];
    EXPECT_EQ(fwd.tmpls[1].dst, ws::InetAddr::zero(ws::Family::kInet));
    EXPECT_EQ(error_of(m, "ip xfrm policy add src 10.0.0.0/8 dir fwd tmpl src fd00::1 dst fd00::2 proto esp"),
              "Error: Mode in template doesn't support a family change.");
}

// Lower priority value first; equal priority in insertion order (older first).
TEST(XfrmPolicy, LookupOrder) {
    ctl::Model m;
    xt::must_apply(m, "ip xfrm policy add src 10.0.0.0/8 dst 10.9.0.0/16 dir out priority 10\n"
                      "ip xfrm policy add src 10.1.0.0/16 dst 10.9.0.0/16 dir out priority 5\n"
                      "ip xfrm policy add src 10.2.0.0/16 dst 10.9.0.0/16 dir out priority 10\n"
                      "ip xfrm policy add src 10.3.0.0/16 dst 10.9.0.0/16 dir out\n"
                      "ip xfrm policy add src 10.4.0.0/16 dst 10.9.0.0/16 dir out priority 5\n"
                      "ip xfrm policy add src 10.5.0.0/16 dst 10.9.0.0/16 dir in priority 1\n");
    EXPECT_EQ(order(m.spd, ctl::XfrmDir::kOut),
              (std::vector<std::string>{"src 10.3.0.0/16 dst 10.9.0.0/16 dir out",
                                        "src 10.1.0.0/16 dst 10.9.0.0/16 dir out priority 5",
                                        "src 10.4.0.0/16 dst 10.9.0.0/16 dir out priority 5",
                                        "src 10.0.0.0/8 dst 10.9.0.0/16 dir out priority 10",
                                        "src 10.2.0.0/16 dst 10.9.0.0/16 dir out priority 10"}));
    EXPECT_EQ(order(m.spd, ctl::XfrmDir::kIn).size(), 1u);
    EXPECT_TRUE(order(m.spd, ctl::XfrmDir::kFwd).empty());
}

// update: same priority keeps its place; another priority goes after its new equals; a
// missing policy is added. The dump (show) lists the newest change first.
TEST(XfrmPolicy, UpdateAndDumpOrder) {
    ctl::Model m;
    xt::must_apply(m, "ip xfrm policy add src 10.1.0.0/16 dst 10.9.0.0/16 dir out priority 5\n"
                      "ip xfrm policy add src 10.2.0.0/16 dst 10.9.0.0/16 dir out priority 5\n"
                      "ip xfrm policy add src 10.3.0.0/16 dst 10.9.0.0/16 dir out priority 5\n");
    xt::must_apply(m, "ip xfrm policy update src 10.1.0.0/16 dst 10.9.0.0/16 dir out priority 5 action block");
    EXPECT_EQ(order(m.spd, ctl::XfrmDir::kOut)[0], "src 10.1.0.0/16 dst 10.9.0.0/16 dir out action block priority 5");
    xt::must_apply(m, "ip xfrm policy update src 10.2.0.0/16 dst 10.9.0.0/16 dir out priority 4");
    xt::must_apply(m, "ip xfrm policy update src 10.3.0.0/16 dst 10.9.0.0/16 dir out priority 4");
    xt::must_apply(m, "ip xfrm policy update src 10.4.0.0/16 dst 10.9.0.0/16 dir fwd");
    EXPECT_EQ(order(m.spd, ctl::XfrmDir::kOut),
              (std::vector<std::string>{"src 10.2.0.0/16 dst 10.9.0.0/16 dir out priority 4",
                                        "src 10.3.0.0/16 dst 10.9.0.0/16 dir out priority 4",
                                        "src 10.1.0.0/16 dst 10.9.0.0/16 dir out action block priority 5"}));
    std::vector<std::string> dump;
    for (const auto* p : m.spd.dump()) dump.push_back(ctl::format_selector_args(p->sel));
    EXPECT_EQ(dump, (std::vector<std::string>{"src 10.4.0.0/16 dst 10.9.0.0/16", "src 10.3.0.0/16 dst 10.9.0.0/16",
                                              "src 10.2.0.0/16 dst 10.9.0.0/16", "src 10.1.0.0/16 dst 10.9.0.0/16"}));
}

TEST(XfrmPolicy, DefaultsDeleteallAndFlush) {
    ctl::Model m;
    for (auto d : {ctl::XfrmDir::kIn, ctl::XfrmDir::kOut, ctl::XfrmDir::kFwd})
        EXPECT_EQ(m.spd.default_action(d), ctl::XfrmAction::kAllow);  // Linux: accept
    xt::must_apply(m, "ip xfrm policy setdefault in block fwd block\nip xfrm policy setdefault\n");
    EXPECT_EQ(m.spd.default_action(ctl::XfrmDir::kIn), ctl::XfrmAction::kBlock);
    EXPECT_EQ(m.spd.default_action(ctl::XfrmDir::kFwd), ctl::XfrmAction::kBlock);
    EXPECT_EQ(m.spd.default_action(ctl::XfrmDir::kOut), ctl::XfrmAction::kAllow);
    xt::must_apply(m, "ip xfrm policy setdefault out block in accept");
    EXPECT_EQ(xt::query(m, "ip xfrm policy getdefault"), "Default policies:\n in:  accept\n fwd: block\n out: block\n");
    xt::must_apply(m, "ip xfrm policy add src 10.1.0.0/16 dir out priority 3\n"
                      "ip xfrm policy add src 10.2.0.0/16 dir out action block\n"
                      "ip xfrm policy add src 10.1.0.0/16 dir in flag icmp\n"
                      "ip xfrm policy add src 10.1.0.0/24 proto udp sport 500 dir in\n");
    xt::must_apply(m, "ip xfrm policy deleteall dir out action block");
    EXPECT_EQ(m.spd.size(ctl::XfrmDir::kOut), 1u);
    xt::must_apply(m, "ip xfrm policy deleteall src 10.1.0.0/16 flag icmp");
    EXPECT_EQ(m.spd.size(ctl::XfrmDir::kIn), 1u);
    xt::must_apply(m, "ip xfrm policy delall src 10.1.0.0/24 proto udp");
    EXPECT_EQ(m.spd.size(ctl::XfrmDir::kIn), 0u);
    xt::must_apply(m, "ip xfrm policy flush");
    EXPECT_EQ(m.spd.size(ctl::XfrmDir::kOut), 0u);
    EXPECT_EQ(m.spd.default_action(ctl::XfrmDir::kOut), ctl::XfrmAction::kBlock);  // flush keeps the defaults
    EXPECT_EQ(m.spd.describe(), "spd: in 0 (default accept), out 0 (default block), fwd 0 (default block)");
    EXPECT_EQ(m.sad.describe(), "sad: 0 SAs");
}

// Spd::lookup(): the first policy in lookup order whose selector, mark and if_id match.
TEST(XfrmPolicy, LookupIsFirstMatch) {
    ctl::Model m;
    xt::must_apply(m, "ip xfrm policy add src 10.1.0.0/16 dst 0.0.0.0/0 proto udp dport 500 dir out priority 1\n"
                      "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 10 tmpl proto esp\n"
                      "ip xfrm policy add src 10.0.0.0/8 dst 10.0.0.0/8 dir out priority 20 action block\n"
                      "ip xfrm policy add src 10.0.0.0/8 dst 10.0.0.0/8 dir out priority 5 mark 1 mask 1\n"
                      "ip xfrm policy add src 10.0.0.0/8 dst 10.0.0.0/8 dir out priority 6 if_id 4\n"
                      "ip xfrm policy add src 10.0.0.0/8 dst 10.0.0.0/8 proto icmp type 8 dir out priority 2 action block\n");
    auto flow = [](const char* s, const char* d, uint8_t proto, uint16_t sp, uint16_t dp, uint32_t mark = 0) {
        sel::FlowKey k;
        k.saddr = *ws::InetAddr::parse(s);
        k.daddr = *ws::InetAddr::parse(d);
        k.proto = proto;
        k.sport = sp;
        k.dport = dp;
        k.mark = mark;
        return k;
    };
    auto prio = [&](const sel::FlowKey& k, uint32_t if_id = 0) {
        const ctl::XfrmPolicy* p = m.spd.lookup(ctl::XfrmDir::kOut, k, if_id);
        return p ? int(p->priority) : -1;
    };
    EXPECT_EQ(prio(flow("10.1.2.3", "10.2.0.9", 17, 1000, 500)), 1);
    EXPECT_EQ(prio(flow("10.1.2.3", "10.2.0.9", 17, 1000, 501)), 10);
    EXPECT_EQ(prio(flow("10.1.2.3", "10.2.0.9", 17, 1000, 501, 3)), 5);  // the mark policy comes first
    EXPECT_EQ(prio(flow("10.7.2.3", "10.2.0.9", 6, 1, 2)), 20);
    EXPECT_EQ(prio(flow("10.7.2.3", "10.2.0.9", 6, 1, 2), 4), 6);  // if_id 4: only that policy
    EXPECT_EQ(prio(flow("10.7.2.3", "10.2.0.9", 1, 8, 0)), 2);     // ICMP: type in sport, code in dport
    EXPECT_EQ(prio(flow("10.7.2.3", "10.2.0.9", 1, 0, 0)), 20);
    EXPECT_EQ(prio(flow("192.0.2.1", "10.2.0.9", 17, 1, 500)), -1);  // the default decides
    EXPECT_EQ(prio(flow("fd00::1", "fd00::2", 17, 1, 500)), -1);     // another family
}

TEST(XfrmPolicy, ShadowWarnings) {
    ctl::Model m;
    xt::must_apply(m, "ip xfrm policy add src 10.0.0.0/8 dst 0.0.0.0/0 dir out priority 1 action block\n"
                      "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 proto tcp dir out priority 2\n"
                      "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 proto tcp dir out priority 3 mark 1\n"
                      "ip xfrm policy add src 11.0.0.0/8 dst 0.0.0.0/0 dir out priority 4 mark 1 mask 1\n"
                      "ip xfrm policy add src 11.0.0.0/8 dst 0.0.0.0/0 dir out priority 5 mark 3 mask 3\n"
                      "ip xfrm policy add src 11.0.0.0/8 dst 0.0.0.0/0 dir out priority 6 mark 0 mask 1\n");
    const auto w = ctl::shadowed_policies(m.spd, ctl::XfrmDir::kOut);
    ASSERT_EQ(w.size(), 3u);
    EXPECT_EQ(w[0].first->priority, 2u);  // inside 10/8
    EXPECT_EQ(w[0].second->priority, 1u);
    EXPECT_EQ(w[1].first->priority, 3u);  // marked, still inside 10/8
    EXPECT_EQ(w[2].first->priority, 5u);  // mark 3/3 implies mark 1/1; mark 0/1 does not
    EXPECT_EQ(w[2].second->priority, 4u);
    const std::string text = ctl::describe_spd(m.spd);
    EXPECT_NE(text.find("spd out: 6 policies, default accept\n  1. src 10.0.0.0/8 dst 0.0.0.0/0 priority 1: discard\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  warning: \"src 10.1.0.0/16 dst 10.2.0.0/16 proto tcp\" (priority 2) is never reached: "
                        "\"src 10.0.0.0/8 dst 0.0.0.0/0\" (priority 1) matches all its traffic first\n"),
              std::string::npos) << text;
}

}  // namespace
