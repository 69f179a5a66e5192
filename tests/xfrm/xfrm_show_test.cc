// control/xfrm_query.cc: `ip xfrm policy|state show` byte for byte as iproute2 6.1 prints
// them (the policy texts below are the kernel's own, captured in a network namespace here),
// key hiding, get, count, getdefault, and the dispatch from run_query() and apply_batch().
#include "control/compile/compiler.h"
#include "control/query.h"
#include "xfrm_test_util.h"

namespace {

using xt::query;

// `ip xfrm policy` of a fresh namespace after these adds (Linux 6.18, iproute2 6.1).
TEST(XfrmShow, PoliciesAsTheKernelPrintsThem) {
    ctl::Model m;
    xt::must_apply(m, R"(
ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 10 tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 1 mode tunnel
ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir in priority 11
ip xfrm policy add src 10.1.0.0/16 dst 10.3.0.0/16 proto tcp sport 22 dport 80 dir out priority 5 action block mark 7 mask 0xff if_id 9
ip xfrm policy add src 10.1.0.0/16 dst 10.3.0.0/16 proto icmp type 8 code 0 dir fwd priority 5
ip xfrm policy add src 10.1.0.0/16 dst 10.3.0.0/16 proto 47 dir fwd priority 5
ip xfrm policy add src 10.1.0.0/16 dst 10.4.0.0/16 dir out tmpl src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x55 reqid 3 mode transport level use tmpl proto esp mode transport
)");
    EXPECT_EQ(query(m, "ip xfrm policy"),
              "src 10.1.0.0/16 dst 10.4.0.0/16 \n"
              "\tdir out priority 0 ptype main \n"
              "\ttmpl src 10.0.0.1 dst 10.0.0.2\n"
              "\t\tproto esp spi 0x00000055 reqid 3 mode transport\n"
              "\t\tlevel use \n"
              "\ttmpl src 0.0.0.0 dst 0.0.0.0\n"
              "\t\tproto esp reqid 0 mode transport\n"
              "src 10.1.0.0/16 dst 10.3.0.0/16 proto gre \n"
              "\tdir fwd priority 5 ptype main \n"
              "src 10.1.0.0/16 dst 10.3.0.0/16 proto icmp type 8 code 0 \n"
              "\tdir fwd priority 5 ptype main \n"
              "src 10.1.0.0/16 dst 10.3.0.0/16 proto tcp sport 22 dport 80 \n"
              "\tdir out action block priority 5 ptype main \n"
              "\tmark 0x7/0xff \n"
              "\tif_id 0x9\n"
              "src 10.1.0.0/16 dst 10.2.0.0/16 \n"
              "\tdir in priority 11 ptype main \n"
              "src 10.1.0.0/16 dst 10.2.0.0/16 \n"
              "\tdir out priority 10 ptype main \n"
              "\ttmpl src 10.0.0.1 dst 10.0.0.2\n"
              "\t\tproto esp reqid 1 mode tunnel\n");
    EXPECT_EQ(query(m, "ip xfrm policy list dir in"), "src 10.1.0.0/16 dst 10.2.0.0/16 \n\tdir in priority 11 ptype main \n");
    EXPECT_EQ(query(m, "ip xfrm policy count"), "\t SPD IN  1 OUT 3 FWD 2\n");
}

TEST(XfrmShow, PolicyCornersAsTheKernelPrintsThem) {
    ctl::Model m;
    xt::must_apply(m, R"(
ip xfrm policy add src 10.99.0.0/16 dst 10.2.0.0/16 dir fwd flag localok icmp priority 7 mark 0 mask 0xf0
ip xfrm policy add src 10.99.2.0/24 dst 10.2.0.0/16 dir fwd mark 5
ip xfrm policy add src 10.1.0.5/16 dst 10.7.0.0/16 dir out priority 5
ip -6 xfrm policy add src fd00::/64 dst ::/0 proto ipv6-icmp type 135 dir out
ip xfrm policy add src fd00::1/64 dst ::/0 proto 58 type 135 code 0 dir in
ip xfrm policy add proto udp sport 500 dir in
ip xfrm policy add dport 22 dir out
ip xfrm policy add src 3.0.0.0/8 proto 135 type 2 code 4 dir out
ip xfrm policy add src 10.96.0.0 dst 10.98.0.0/16 dir out tmpl dst 1.2.3.4 proto esp spi 5 mode tunnel reqid 0x10 level required
ip -6 xfrm policy add dir fwd tmpl proto esp
)");
    EXPECT_EQ(query(m, "ip xfrm policy"),
              "src ::/0 dst ::/0 \n\tdir fwd priority 0 ptype main \n\ttmpl src :: dst ::\n\t\tproto esp reqid 0 mode transport\n"
              "src 10.96.0.0/32 dst 10.98.0.0/16 \n\tdir out priority 0 ptype main \n"
              "\ttmpl src 0.0.0.0 dst 1.2.3.4\n\t\tproto esp spi 0x00000005 reqid 16 mode tunnel\n"
              "src 3.0.0.0/8 dst 0.0.0.0/0 proto mobility-header type 2 \n\tdir out priority 0 ptype main \n"
              "src 0.0.0.0/0 dst 0.0.0.0/0 dport 22 \n\tdir out priority 0 ptype main \n"
              "src 0.0.0.0/0 dst 0.0.0.0/0 proto udp sport 500 \n\tdir in priority 0 ptype main \n"
              "src fd00::1/64 dst ::/0 proto ipv6-icmp type 135 code 0 \n\tdir in priority 0 ptype main \n"
              "src fd00::/64 dst ::/0 proto ipv6-icmp type 135 \n\tdir out priority 0 ptype main \n"
              "src 10.1.0.5/16 dst 10.7.0.0/16 \n\tdir out priority 5 ptype main \n"
              "src 10.99.2.0/24 dst 10.2.0.0/16 \n\tdir fwd priority 0 ptype main \n\tmark 0x5/0xffffffff \n"
              "src 10.99.0.0/16 dst 10.2.0.0/16 \n\tdir fwd priority 7 ptype main flag localok icmp\n\tmark 0/0xf0 \n");
    EXPECT_EQ(query(m, "ip xfrm policy get src 10.99.2.0/24 dst 10.2.0.0/16 dir fwd mark 5"),
              "src 10.99.2.0/24 dst 10.2.0.0/16 \n\tdir fwd priority 0 ptype main \n\tmark 0x5/0xffffffff \n");
    EXPECT_EQ(query(m, "ip xfrm policy get src 10.99.2.0/24 dst 10.2.0.0/16 dir fwd"), "RTNETLINK answers: No such file or directory\n");
    EXPECT_EQ(query(m, "ip xfrm policy get src 10.99.2.0/24 dir fwd foo"), "Error: argument \"foo\" is wrong: unknown\n");
    EXPECT_EQ(query(m, "ip xfrm policy list src 10.1.0.0/16 dst 10.7.0.0/16"), "src 10.1.0.5/16 dst 10.7.0.0/16 \n\tdir out priority 5 ptype main \n");
    EXPECT_EQ(query(m, "ip xfrm policy list priority 7 flag icmp").substr(0, 31), "src 10.99.0.0/16 dst 10.2.0.0/1");
}

// States: the layout of xfrm_state_info_print() (the kernel here has no ESP to compare with).
TEST(XfrmShow, StatesWithKeysHidden) {
    ctl::Model m;
    xt::must_apply(m, xt::gcm_state("0x1000"));
    const std::string hidden =
        "src 10.0.0.1 dst 10.0.0.2\n"
        "\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
        "\treplay-window 0 \n"
        "\taead rfc4106(gcm(aes)) <<Keys hidden>> 128\n"
        "\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
        "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n";
    EXPECT_EQ(query(m, "ip xfrm state"), hidden);
    EXPECT_EQ(query(m, "ip xfrm state list nokeys"), hidden);
    std::string shown = hidden;
    shown.replace(shown.find("<<Keys hidden>>"), 15, std::string(xt::kGcm128));
    EXPECT_EQ(query(m, "ip xfrm state list keys"), shown);
    EXPECT_EQ(query(m, "ip xfrm state get dst 10.0.0.2 proto esp spi 0x1000"), hidden);
    EXPECT_EQ(query(m, "ip xfrm state get dst 10.0.0.2 proto esp spi 0x1000 keys"), shown);
    EXPECT_EQ(query(m, "ip xfrm state get dst 10.0.0.2 proto esp spi 0x1001"), "RTNETLINK answers: No such process\n");
    EXPECT_EQ(query(m, "ip xfrm state count"), "\t SAD count 1\n");
}

TEST(XfrmShow, StateEveryLine) {
    ctl::Model m;
    xt::must_apply(m, "ip xfrm state add src fd00::1 dst fd00::2 proto esp spi 0x1002 reqid 5 mode transport replay-window 64 "
                      "flag esn noecn extra-flag oseq-may-wrap mark 0 mask 0xff if_id 0x2a enc 'cbc(aes)' " +
                      std::string(xt::kAes128) + " auth-trunc 'hmac(sha1)' " + std::string(xt::kSha1Key) +
                      " 96 encap espinudp 4500 4501 0.0.0.0 sel src fd01::/64 dst fd02::/64 proto tcp dport 22");
    EXPECT_EQ(query(m, "ip xfrm state"),
              "src fd00::1 dst fd00::2\n"
              "\tproto esp spi 0x00001002 reqid 5 mode transport\n"
              "\treplay-window 0 flag noecn esn\n"
              "\textra_flag oseq-may-wrap\n"
              "\tmark 0/0xff \n"
              "\tauth-trunc hmac(sha1) <<Keys hidden>> 96\n"
              "\tenc cbc(aes) <<Keys hidden>>\n"
              "\tencap type espinudp sport 4500 dport 4501 addr 0.0.0.0\n"
              "\tanti-replay esn context:\n"
              "\t seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x0\n"
              "\t replay_window 64, bitmap-length 2\n"
              "\t 00000000 00000000 \n"
              "\tif_id 0x2a\n"
              "\tsel src fd01::/64 dst fd02::/64 proto tcp dport 22 \n");
    // af-unspec keeps the selector empty (nothing printed); the runtime counters are the caller's.
    ctl::Model u;
    xt::must_apply(u, "ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 9 replay-window 32 flag af-unspec "
                      "aead 'rfc7539esp(chacha20,poly1305)' " + std::string(xt::kKey36) + " 128 engine sodium");
    auto words = ws::split_words("ip xfrm state");
    auto q = ctl::xfrm_query(u, words, {}, [](const ctl::XfrmState&) {
        ctl::SaReplayView r;
        r.seq = 0x10;
        r.oseq = 0x20;
        r.bitmap = {0xffff};
        return r;
    });
    EXPECT_EQ(q.out,
              "src 10.0.0.1 dst 10.0.0.2\n"
              "\tproto esp spi 0x00000009 reqid 0 mode transport\n"
              "\treplay-window 32 flag af-unspec\n"
              "\taead rfc7539esp(chacha20,poly1305) <<Keys hidden>> 128\n"
              "\tanti-replay context: seq 0x10, oseq 0x20, bitmap 0x0000ffff\n"
              "\tengine sodium\n");
}

// run_query() hands `ip xfrm` here (with ip's options) and `show compiled spd`; a config line
// reaches the grammar through apply_command().
TEST(XfrmShow, DispatchFromQueriesAndConfig) {
    ctl::Model m;
    xt::must_apply(m, "ip -6 xfrm policy add dir in action block\nip xfrm policy setdefault out block");
    auto routing = ctl::compile_routing(m);
    auto q = ctl::run_query(m, *routing, "ip -6 xfrm policy show", {});
    EXPECT_EQ(q.status, 0);
    EXPECT_EQ(q.out, "src ::/0 dst ::/0 \n\tdir in action block priority 0 ptype main \n");
    EXPECT_EQ(ctl::run_query(m, *routing, "ip x p getdefault", {}).out, "Default policies:\n in:  accept\n fwd: accept\n out: block\n");
    EXPECT_EQ(ctl::run_query(m, *routing, "ip xfrm state", {}).out, "");
    EXPECT_NE(ctl::run_query(m, *routing, "show compiled spd", {}).out.find("spd in: 1 policies, default accept\n  1. src ::/0 dst ::/0 priority 0: discard\n"),
              std::string::npos);
    auto bad = ctl::run_query(m, *routing, "ip xfrm policy add dir in", {});
    EXPECT_EQ(bad.status, 255);
    EXPECT_TRUE(ctl::is_xfrm_query(ws::split_words("ip -s xfrm state list")));
    EXPECT_TRUE(ctl::is_xfrm_query(ws::split_words("ip xfrm policy getdefault")));
    EXPECT_FALSE(ctl::is_xfrm_query(ws::split_words("ip xfrm policy setdefault in block")));
    EXPECT_FALSE(ctl::is_xfrm_query(ws::split_words("ip route show")));
}

}  // namespace
