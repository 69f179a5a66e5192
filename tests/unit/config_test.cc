// control/config.h and common/names.h: the script reader (comments, continuations, line
// numbers), all-or-nothing batches with errors that name line and token, and named tables
// from rt_tables files (reference §2.9). Invalid input first.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

using wstest::cmd_error;
using wstest::prefs;

std::string write_temp(const std::string& text) {
    char path[] = "/tmp/ws_rt_tables_XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    if (fd >= 0) {
        EXPECT_EQ(write(fd, text.data(), text.size()), ssize_t(text.size()));
        close(fd);
    }
    return path;
}

// Everything a batch can change, as text, to compare a model before and after.
std::string dump(const ctl::Model& m) {
    std::string out;
    for (const auto& l : m.ifs.links) {
        out += l.name + " " + std::to_string(l.ifindex) + (l.up ? " up" : " down") + " group " + std::to_string(l.group) + "\n";
        for (const auto& a : l.addrs) out += "  " + a.local.format() + "/" + std::to_string(a.prefixlen) + "\n";
    }
    for (auto f : {ws::Family::kInet, ws::Family::kInet6}) {
        for (const auto& r : m.family(f).rules) out += ctl::format_rule_line(r, wstest::pc(m)) + "\n";
        for (const auto& [id, t] : m.family(f).tables)
            for (const auto* r : t.sorted()) out += ctl::format_route_line(*r, wstest::pc(m), true) + "\n";
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Invalid input.

TEST(ConfigBatch, BadLineThreeNamesLineAndTokenAndChangesNothing) {
    auto m = wstest::topology();
    const std::string before = dump(m);
    const std::string script =
        "ip link add dummy7 type dummy\n"
        "ip rule add from 10.7.0.0/16 table 7\n"
        "ip rule add fwmak 0x1 table 7\n"
        "ip route add 10.8.0.0/16 via 10.1.0.254\n";
    auto st = ctl::apply_batch(m, ctl::split_script(script), "west.conf");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().line, 3);
    EXPECT_EQ(st.error().file, "west.conf");
    EXPECT_EQ(st.error().token, "fwmak");
    EXPECT_NE(st.error().message.find("fwmak"), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().format().rfind("west.conf:3: ", 0), 0u) << st.error().format();
    EXPECT_EQ(dump(m), before);
    EXPECT_EQ(m.link("dummy7"), nullptr);
    // The same file without the bad line applies completely.
    auto ok = ctl::apply_batch(m, ctl::split_script(
                                      "ip link add dummy7 type dummy\n"
                                      "ip rule add from 10.7.0.0/16 table 7\n"
                                      "ip route add 10.8.0.0/16 via 10.1.0.254\n"),
                               "west.conf");
    ASSERT_TRUE(ok.ok()) << ok.error().format();
    EXPECT_NE(dump(m), before);
    EXPECT_NE(m.link("dummy7"), nullptr);
}

TEST(ConfigBatch, LaterFailureRollsBackEveryKindOfChange) {
    auto m = wstest::topology("ip rule add pref 100 lookup 5");
    const std::string before = dump(m);
    const std::string script = R"(ip link set dummy2 down
ip link set dummy0 group 9
ip addr add 172.30.0.1/24 dev dummy1
ip rule flush
ip route flush table main
ip route add 10.9.0.0/16 via 10.99.99.99
)";
    auto st = ctl::apply_batch(m, ctl::split_script(script), "x");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().line, 6);
    EXPECT_EQ(dump(m), before);
}

TEST(ConfigBatch, ErrorLineOfAContinuedCommandIsItsFirstLine) {
    ctl::Model m;
    const std::string script =
        "# header\n"
        "\n"
        "ip link add dummy7 type dummy\n"
        "ip rule add from 10.7.0.0/16 \\\n"
        "    table 7 \\\n"
        "    uidrange 9-1\n";
    auto st = ctl::apply_batch(m, ctl::split_script(script), "f");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().line, 4);
    EXPECT_EQ(st.error().token, "9-1");
}

TEST(ConfigBatch, UnknownCommandsAndObjects) {
    ctl::Model m;
    EXPECT_NE(cmd_error(m, "ipp route add 10.0.0.0/8 dev lo"), "");
    EXPECT_NE(cmd_error(m, "ip"), "");
    EXPECT_NE(cmd_error(m, "ip frob add"), "");
    EXPECT_NE(cmd_error(m, "ip rule frob"), "");
    EXPECT_NE(cmd_error(m, "ip link add dummy7"), "");             // no type
    EXPECT_NE(cmd_error(m, "ip link add dummy7 type frob"), "");   // unknown type
    EXPECT_NE(cmd_error(m, "ip link add lo type dummy"), "");      // exists
    EXPECT_NE(cmd_error(m, "ip addr add 10.0.0.1/24"), "");        // no dev
    EXPECT_NE(cmd_error(m, "ip addr add 10.0.0.1/24 dev nosuch"), "");
    EXPECT_NE(cmd_error(m, "ip link set nosuch up"), "");
    EXPECT_EQ(cmd_error(m, ""), "");  // an empty line is nothing
}

TEST(Names, CorruptRtTablesStopsReadingThere) {
    const std::string path = write_temp(
        "# comment\n"
        "   200 west\n"
        "\t0x10 hexname\n"
        "300 east # trailing comment\n"
        "010 ten\n"
        "4294967295 maxtbl\n"
        "0xfffffffe bigtbl\n"
        "\n"
        "400\n"
        "500 after\n");
    ws::Names n = ws::Names::builtin();
    auto r = n.load_rt_tables(path);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->find("corrupted at"), std::string::npos) << *r;
    EXPECT_NE(r->find(path), std::string::npos) << *r;
    EXPECT_NE(r->find("400"), std::string::npos) << *r;
    EXPECT_EQ(n.tables.id_of("west"), 200u);
    EXPECT_EQ(n.tables.id_of("hexname"), 16u);
    EXPECT_EQ(n.tables.id_of("east"), 300u);
    EXPECT_EQ(n.tables.id_of("ten"), 10u);  // %d: decimal, not octal
    EXPECT_FALSE(n.tables.id_of("maxtbl").has_value());  // > 2^31-1 in decimal: silently ignored
    EXPECT_EQ(n.tables.id_of("bigtbl"), 0xfffffffeu);   // hex is read unsigned
    EXPECT_FALSE(n.tables.id_of("after").has_value());  // reading stopped at the corrupt line
    EXPECT_EQ(n.table_name(4294967295u), "4294967295");
    // Built-ins still work.
    EXPECT_EQ(n.tables.id_of("main"), 254u);
    std::remove(path.c_str());

    ws::Names missing = ws::Names::builtin();
    auto e = missing.load_rt_tables("/nonexistent/rt_tables");
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, ws::Errc::kIo);
}

TEST(Names, TableIdsInBaseZero) {
    ws::Names n = ws::Names::builtin();
    EXPECT_FALSE(n.table_id("nosuchname").ok());
    EXPECT_FALSE(n.table_id("4294967296").ok());
    EXPECT_FALSE(n.table_id("-1").ok());
    EXPECT_FALSE(n.table_id("").ok());
    EXPECT_EQ(*n.table_id("010"), 8u);  // strtoul base 0: octal
    EXPECT_EQ(*n.table_id("0x10"), 16u);
    EXPECT_EQ(*n.table_id("4294967295"), 4294967295u);
    EXPECT_EQ(*n.table_id("main"), 254u);
    EXPECT_EQ(*n.table_id("local"), 255u);
    EXPECT_EQ(*n.table_id("default"), 253u);
    EXPECT_EQ(*n.table_id("unspec"), 0u);
    ctl::Model m;
    ASSERT_EQ(cmd_error(m, "ip rule add pref 10 lookup 010"), "");
    ASSERT_EQ(cmd_error(m, "ip rule add pref 11 lookup 0x10"), "");
    EXPECT_EQ(m.v4.rules[1].table, 8u);
    EXPECT_EQ(m.v4.rules[2].table, 16u);
}

// ---------------------------------------------------------------------------------------------
// split_script.

TEST(SplitScript, CommentsContinuationsAndLineNumbers) {
    const std::string text =
        "# a comment line\n"                         // 1
        "\n"                                         // 2
        "ip link add dummy0 type dummy   # trailing\n"  // 3
        "   \t  \n"                                  // 4
        "ip rule add from 10.0.0.0/8 \\\n"           // 5
        "   lookup 5\n"                              // 6
        "ip route add a#b\n"                         // 7: '#' inside a word is no comment
        "ip route add 10.0.0.0/8 dev lo\r\n"         // 8: CRLF
        "  # indented comment\n"                     // 9
        "ip link set dummy0 up";                     // 10: no final newline
    auto lines = ctl::split_script(text);
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0].line, 3);
    EXPECT_EQ(lines[0].text, "ip link add dummy0 type dummy");
    EXPECT_EQ(lines[1].line, 5);
    EXPECT_EQ(ws::split_words(lines[1].text),
              (std::vector<std::string_view>{"ip", "rule", "add", "from", "10.0.0.0/8", "lookup", "5"}));
    EXPECT_EQ(lines[2].line, 7);
    EXPECT_EQ(lines[2].text, "ip route add a#b");
    EXPECT_EQ(lines[3].line, 8);
    EXPECT_EQ(lines[3].text, "ip route add 10.0.0.0/8 dev lo");
    EXPECT_EQ(lines[4].line, 10);
    EXPECT_EQ(lines[4].text, "ip link set dummy0 up");
}

TEST(SplitScript, EmptyAndCommentOnly) {
    EXPECT_TRUE(ctl::split_script("").empty());
    EXPECT_TRUE(ctl::split_script("\n\n# x\n   # y\n").empty());
    auto l = ctl::split_script("ip rule flush \\\n");  // a continuation at the end of the file
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].line, 1);
    EXPECT_EQ(ws::split_words(l[0].text), (std::vector<std::string_view>{"ip", "rule", "flush"}));
}

TEST(SplitScript, LongContinuationKeepsTheFirstLineNumber) {
    auto l = ctl::split_script("\n\nip route add \\\n10.0.0.0/8 \\\n\\\ndev lo\nip rule flush\n");
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(l[0].line, 3);
    EXPECT_EQ(ws::split_words(l[0].text), (std::vector<std::string_view>{"ip", "route", "add", "10.0.0.0/8", "dev", "lo"}));
    EXPECT_EQ(l[1].line, 7);
}

// ---------------------------------------------------------------------------------------------
// Commands with nothing or little to do.

TEST(ConfigBatch, RouteFlushCacheIsANoOp) {
    auto m = wstest::topology("ip route add 10.60.0.0/16 via 10.3.0.2");
    const std::string before = dump(m);
    wstest::must_apply(m, "ip route flush cache\nip -4 route flush cache");
    EXPECT_EQ(dump(m), before);
}

TEST(ConfigBatch, RouteFlushTable) {
    auto m = wstest::topology(R"(
ip route add 10.60.0.0/16 via 10.3.0.2 table 100
ip route add 10.61.0.0/16 via 10.3.0.2 table 100
ip route add 10.62.0.0/16 via 10.3.0.2 table 101
ip route add 10.63.0.0/16 via 10.3.0.2
)");
    wstest::must_apply(m, "ip route flush table 100");
    EXPECT_TRUE(m.v4.tables.at(100).empty());
    EXPECT_EQ(m.v4.tables.at(101).size(), 1u);
    EXPECT_NE(wstest::route_get(m, "10.63.0.1").find("via 10.3.0.2"), std::string::npos);
    wstest::must_apply(m, "ip route flush root 10.63.0.0/16");  // main by default
    EXPECT_NE(wstest::route_get(m, "10.63.0.1").find("via 10.1.0.254"), std::string::npos);
}

TEST(ConfigBatch, NamedTablesFromRtTables) {
    const std::string path = write_temp("200 west\n201 east\n254 mymain\n");
    ctl::Model m;
    auto r = m.names.load_rt_tables(path);
    std::remove(path.c_str());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "");
    wstest::must_apply(m, R"(
ip link add dummy0 type dummy
ip link set dummy0 up
ip addr add 10.1.0.1/24 dev dummy0
ip rule add pref 100 from 10.7.0.0/16 lookup west
ip route add 10.8.0.0/16 via 10.1.0.254 table east
ip rule add pref 101 lookup east
)");
    EXPECT_EQ(m.v4.rules[1].table, 200u);
    EXPECT_EQ(ctl::format_rule_line(m.v4.rules[1], wstest::pc(m)), "100:\tfrom 10.7.0.0/16 lookup west");
    // The last definition of an id names it: 254 prints as mymain; `main` still parses.
    EXPECT_EQ(ctl::format_rule_line(m.v4.rules[3], wstest::pc(m)), "32766:\tfrom all lookup mymain");
    EXPECT_EQ(wstest::route_get(m, "10.8.0.1"), "10.8.0.1 via 10.1.0.254 dev dummy0 table east src 10.1.0.1 uid 0 \n    cache \n");
    EXPECT_EQ(cmd_error(m, "ip route add 10.9.0.0/16 via 10.1.0.254 table main"), "");
    EXPECT_EQ(m.v4.tables.at(254).size() > 0, true);
}

}  // namespace
