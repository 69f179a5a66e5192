// selectors/ — every selector of AllSelectors: parse errors first, then matches() semantics
// (reference §1.3, §1.7).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "selectors/all.h"
#include "test_util.h"

namespace {

using wstest::v4;
using wstest::v6;

const ws::Names& names() {
    static const ws::Names n = ws::Names::builtin();
    return n;
}

sel::ParseContext ctx4() { return {ws::Family::kInet, &names()}; }
sel::ParseContext ctx6() { return {ws::Family::kInet6, &names()}; }

// Parses "KEYWORD VALUE..." through SelectorSet::parse_one, as the rule parser does.
struct Parsed {
    bool ok = false;
    bool found = false;
    ws::Error error;
    sel::SelectorSet set;
};

Parsed parse(std::string line, const sel::ParseContext& ctx = ctx4()) {
    static std::vector<std::string> keep;  // Tokens hold views into the line
    keep.push_back(std::move(line));
    ws::Tokens t(ws::split_words(keep.back()));
    Parsed p;
    auto r = p.set.parse_one(t, ctx);
    p.ok = r.ok();
    if (r.ok()) p.found = *r;
    else p.error = r.error();
    if (p.ok && p.found) {
        EXPECT_TRUE(t.done()) << "parse_one left words behind in: " << keep.back();
    }
    return p;
}

template <class S>
S must_parse(const std::string& line, const sel::ParseContext& ctx = ctx4()) {
    Parsed p = parse(line, ctx);
    EXPECT_TRUE(p.ok) << line << ": " << p.error.message;
    EXPECT_TRUE(p.found) << line;
    EXPECT_TRUE(p.set.get<S>().has_value()) << line;
    return p.set.get<S>().value_or(S{});
}

void expect_parse_error(const std::string& line, const std::string& message_part = {},
                        const sel::ParseContext& ctx = ctx4()) {
    Parsed p = parse(line, ctx);
    EXPECT_FALSE(p.ok) << "accepted: " << line;
    if (!p.ok && !message_part.empty()) {
        EXPECT_NE(p.error.message.find(message_part), std::string::npos) << line << " -> " << p.error.message;
    }
}

template <class... Ts, class F>
void for_each_selector(sel::TypeList<Ts...>, F&& f) {
    (f.template operator()<Ts>(), ...);
}

// ---------------------------------------------------------------------------------------------
// Invalid input.

TEST(SelectorParse, EveryKeywordWithoutValueIsAnError) {
    int n = 0;
    for_each_selector(sel::AllSelectors{}, [&]<class S>() {
        for (auto kw : S::kKeywords) {
            ++n;
            Parsed p = parse(std::string(kw));
            EXPECT_TRUE(!p.ok) << kw << " without a value was accepted";
            if (!p.ok) {
                EXPECT_NE(p.error.message.find(std::string(S::kKeywords[0])), std::string::npos) << p.error.message;
            }
        }
    });
    EXPECT_GE(n, 12);  // from to tos dsfield fwmark iif dev oif uidrange ipproto sport dport
}

TEST(SelectorParse, UnknownWordIsNotASelector) {
    Parsed p = parse("fwmak 1");
    EXPECT_TRUE(p.ok);
    EXPECT_FALSE(p.found);
    Parsed q = parse("lookup 5");
    EXPECT_TRUE(q.ok);
    EXPECT_FALSE(q.found);
}

TEST(SelectorParse, PrefixErrors) {
    for (const char* bad : {"from 10.0.0.0/33", "from 1.2.3.4.5", "from abc", "from 256.1.1.1", "to 10.0.0.0/",
                            "to 10.0.0.0/-1", "to 10.0.0.0/8x", "from 2001:db8::/32"})
        expect_parse_error(bad, "", ctx4());
    expect_parse_error("from 10.0.0.0/8", "", ctx6());
    expect_parse_error("from 2001:db8::/129", "", ctx6());
}

TEST(SelectorParse, TosErrors) {
    // ECN bits must be 0 (both families).
    expect_parse_error("tos 0x01", "ECN bits must be 0");
    expect_parse_error("tos 0x03", "ECN bits must be 0");
    expect_parse_error("tos 0x1e", "ECN bits must be 0");
    expect_parse_error("dsfield 0x12", "ECN bits must be 0");
    expect_parse_error("tos 0x21", "ECN bits must be 0", ctx6());
    // IPv4: only bits 0x1C (values with precedence bits are "Invalid tos.").
    expect_parse_error("tos 0x20", "Invalid tos.");
    expect_parse_error("tos 0xe0", "Invalid tos.");
    expect_parse_error("tos 0xfc", "Invalid tos.");
    expect_parse_error("tos CS1", "Invalid tos.");  // 0x20 by name
    expect_parse_error("tos EF", "Invalid tos.");   // 0xb8 by name
    // Not a dsfield at all.
    expect_parse_error("tos zz");
    expect_parse_error("tos 0x100");
    expect_parse_error("tos 1ff");
}

TEST(SelectorParse, PortErrors) {
    for (const char* kw : {"sport", "dport"}) {
        const std::string k = kw;
        expect_parse_error(k + " 0", "Invalid " + k + " range.");
        expect_parse_error(k + " 65535", "Invalid " + k + " range.");
        expect_parse_error(k + " 0-10", "Invalid " + k + " range.");
        expect_parse_error(k + " 10-65535", "Invalid " + k + " range.");
        expect_parse_error(k + " 100-50", "Invalid " + k + " range.");
        expect_parse_error(k + " 65536");
        expect_parse_error(k + " abc");
        expect_parse_error(k + " -5");
        expect_parse_error(k + " 5-");
        expect_parse_error(k + " 0x16");  // ports are decimal
    }
}

TEST(SelectorParse, UidrangeErrors) {
    expect_parse_error("uidrange 5-3", "Invalid uid range.");
    expect_parse_error("uidrange 1000-999", "Invalid uid range.");
    expect_parse_error("uidrange 5");
    expect_parse_error("uidrange a-b");
    expect_parse_error("uidrange -5");
    expect_parse_error("uidrange 1-");
    expect_parse_error("uidrange 0-4294967296");
    expect_parse_error("uidrange 0-4294967295", "Invalid uid range.");  // the kernel's "unset" range
}

TEST(SelectorParse, FwmarkErrors) {
    expect_parse_error("fwmark abc");
    expect_parse_error("fwmark 1/xyz");
    expect_parse_error("fwmark 1/");
    expect_parse_error("fwmark -1");
    expect_parse_error("fwmark 0x100000000");
    expect_parse_error("fwmark 1/0x100000000");
}

TEST(SelectorParse, IpProtoAndDeviceErrors) {
    expect_parse_error("ipproto nosuchproto");
    expect_parse_error("ipproto 256");
    expect_parse_error("ipproto -1");
    expect_parse_error("iif abcdefghijklmnop");  // 16 characters: over IFNAMSIZ
    expect_parse_error("oif abcdefghijklmnopq");
    expect_parse_error("dev abcdefghijklmnop");
}

// ---------------------------------------------------------------------------------------------
// Valid input: what is stored.

TEST(SelectorParse, PrefixKeepsHostBits) {
    auto f = must_parse<sel::From>("from 10.9.0.5/24");
    EXPECT_EQ(f.prefix.addr, v4("10.9.0.5"));
    EXPECT_EQ(f.prefix.len, 24);
    std::string out;
    f.format(out);
    EXPECT_EQ(out, "from 10.9.0.5/24 ");
    auto t = must_parse<sel::To>("to 10/8");  // iproute2's get_addr: missing parts are zero
    EXPECT_EQ(t.prefix.addr, v4("10.0.0.0"));
    EXPECT_EQ(t.prefix.len, 8);
    auto h = must_parse<sel::To>("to 1.2.3.4");
    EXPECT_EQ(h.prefix.len, 32);
}

TEST(SelectorParse, FromAllIsNoSelector) {
    for (const char* w : {"from all", "from 0.0.0.0/0", "to default", "from any"}) {
        Parsed p = parse(w);
        EXPECT_TRUE(p.ok && p.found) << w;
        EXPECT_FALSE(p.set.get<sel::From>().has_value()) << w;
        EXPECT_FALSE(p.set.get<sel::To>().has_value()) << w;
    }
}

TEST(SelectorParse, TosValues) {
    EXPECT_EQ(must_parse<sel::Tos>("tos 0x10").tos, 0x10);
    EXPECT_EQ(must_parse<sel::Tos>("tos 10").tos, 0x10);  // rt_dsfield numbers are hexadecimal
    EXPECT_EQ(must_parse<sel::Tos>("dsfield 0x1c").tos, 0x1c);
    EXPECT_EQ(must_parse<sel::Tos>("tos 0x04").tos, 0x04);
    EXPECT_FALSE(must_parse<sel::Tos>("tos 0x04").v6);
    auto ef = must_parse<sel::Tos>("tos EF", ctx6());
    EXPECT_EQ(ef.tos, 0xb8);
    EXPECT_TRUE(ef.v6);
    EXPECT_EQ(must_parse<sel::Tos>("tos 0x20", ctx6()).tos, 0x20);
    // tos 0 is no selector.
    Parsed p = parse("tos 0");
    EXPECT_TRUE(p.ok && p.found);
    EXPECT_FALSE(p.set.get<sel::Tos>().has_value());
}

TEST(SelectorParse, FwmarkForms) {
    auto a = must_parse<sel::Fwmark>("fwmark 5");
    EXPECT_EQ(a.value, 5u);
    EXPECT_EQ(a.mask, 0xffffffffu);  // no mask, non-zero value: all ones
    auto b = must_parse<sel::Fwmark>("fwmark 0x1/0xff");
    EXPECT_EQ(b.value, 1u);
    EXPECT_EQ(b.mask, 0xffu);
    auto c = must_parse<sel::Fwmark>("fwmark 0/0x1");
    EXPECT_EQ(c.value, 0u);
    EXPECT_EQ(c.mask, 1u);
    auto d = must_parse<sel::Fwmark>("fwmark 010");  // base 0: octal
    EXPECT_EQ(d.value, 8u);
    // `fwmark 0` without a mask leaves mask 0: no selector at all (fib_nl2rule).
    for (const char* w : {"fwmark 0", "fwmark 0/0", "fwmark 0x0"}) {
        Parsed p = parse(w);
        EXPECT_TRUE(p.ok && p.found) << w;
        EXPECT_FALSE(p.set.get<sel::Fwmark>().has_value()) << w;
    }
    // A later `fwmark 0` replaces an earlier fwmark.
    sel::SelectorSet s;
    std::string line = "fwmark 7 fwmark 0";
    ws::Tokens t(ws::split_words(line));
    ASSERT_TRUE(s.parse_one(t, ctx4()).ok());
    ASSERT_TRUE(s.get<sel::Fwmark>().has_value());
    ASSERT_TRUE(s.parse_one(t, ctx4()).ok());
    EXPECT_FALSE(s.get<sel::Fwmark>().has_value());
}

TEST(SelectorParse, PortsUidsProtocolsDevices) {
    auto p = must_parse<sel::Dport>("dport 22");
    EXPECT_EQ(p.range.start, 22);
    EXPECT_EQ(p.range.end, 22);
    auto q = must_parse<sel::Sport>("sport 1-65534");
    EXPECT_EQ(q.range.start, 1);
    EXPECT_EQ(q.range.end, 65534);
    auto u = must_parse<sel::Uidrange>("uidrange 0-4294967294");
    EXPECT_EQ(u.start, 0u);
    EXPECT_EQ(u.end, 0xfffffffeu);
    EXPECT_EQ(must_parse<sel::IpProto>("ipproto tcp").proto, 6);
    EXPECT_EQ(must_parse<sel::IpProto>("ipproto 17").proto, 17);
    auto i = must_parse<sel::Iif>("dev eth0");  // `dev` is an alias of iif
    EXPECT_EQ(i.name, "eth0");
    EXPECT_TRUE(i.detached());  // resolved only by the model
    EXPECT_EQ(must_parse<sel::Oif>("oif abcdefghijklmno").name, "abcdefghijklmno");  // 15: fits
}

TEST(SelectorFormat, EveryPresentSelectorFormatsToItsOwnInput) {
    const char* lines[] = {"from 10.9.0.5/24", "to 192.0.2.0/24", "tos 0x1c", "fwmark 0x1/0xff", "fwmark 0x10",
                           "fwmark 0/0x1", "iif eth0", "oif eth1", "uidrange 1000-1999", "ipproto tcp",
                           "sport 1024-65534", "dport 22"};
    for (const char* line : lines) {
        Parsed p = parse(line);
        ASSERT_TRUE(p.ok && p.found) << line;
        std::string out;
        p.set.format(out, names());
        // Detached devices print a marker that is state, not input.
        auto pos = out.find("[detached] ");
        if (pos != std::string::npos) out.erase(pos);
        EXPECT_EQ(out, std::string(line) + " ");
        Parsed again = parse(out);
        EXPECT_TRUE(again.ok && again.set == p.set) << line;
    }
}

// ---------------------------------------------------------------------------------------------
// matches().

sel::FlowKey flow(std::string_view dst, std::string_view src = "0.0.0.0") {
    sel::FlowKey k;
    k.daddr = v4(dst);
    k.saddr = v4(src);
    return k;
}

TEST(SelectorMatch, FromMasksBothSides) {
    auto f = must_parse<sel::From>("from 10.9.0.5/24");
    EXPECT_TRUE(f.matches(flow("1.1.1.1", "10.9.0.77")));
    EXPECT_TRUE(f.matches(flow("1.1.1.1", "10.9.0.0")));
    EXPECT_FALSE(f.matches(flow("1.1.1.1", "10.9.1.5")));
    // An unbound output lookup has saddr 0: only `from all` matches it.
    EXPECT_FALSE(f.matches(flow("10.9.0.5", "0.0.0.0")));
    auto z = must_parse<sel::From>("from 0.0.0.0/1");
    EXPECT_TRUE(z.matches(flow("1.1.1.1", "0.0.0.0")));  // IPv4: saddr 0 is just an address
}

TEST(SelectorMatch, Ipv6FromNeedsASource) {
    // A prefix that contains :: still does not match a flow without a source (§1.7).
    auto f = must_parse<sel::From>("from ::/8", ctx6());
    sel::FlowKey k;
    k.daddr = v6("2001:db8::1");
    k.saddr = ws::InetAddr::zero(ws::Family::kInet6);
    EXPECT_FALSE(f.matches(k));
    k.saddr = v6("::1");
    EXPECT_TRUE(f.matches(k));
    auto g = must_parse<sel::From>("from 2001:db8::/32", ctx6());
    k.saddr = v6("2001:db8:7::7");
    EXPECT_TRUE(g.matches(k));
    k.saddr = v6("2001:db9::7");
    EXPECT_FALSE(g.matches(k));
}

TEST(SelectorMatch, ToMasks) {
    auto t = must_parse<sel::To>("to 10.98.0.7/16");
    EXPECT_TRUE(t.matches(flow("10.98.200.1")));
    EXPECT_FALSE(t.matches(flow("10.99.0.1")));
    auto h = must_parse<sel::To>("to 10.98.0.7");
    EXPECT_TRUE(h.matches(flow("10.98.0.7")));
    EXPECT_FALSE(h.matches(flow("10.98.0.6")));
}

TEST(SelectorMatch, Ipv4TosIsMaskedWith0x1C) {
    auto t = must_parse<sel::Tos>("tos 0x10");
    auto k = flow("1.1.1.1");
    for (uint8_t tos : {0x10, 0x30, 0x12, 0x11, 0xf0, 0xf3}) {
        k.tos = tos;
        EXPECT_TRUE(t.matches(k)) << int(tos);
    }
    for (uint8_t tos : {0x00, 0x14, 0x20, 0x18, 0x08, 0x04}) {
        k.tos = tos;
        EXPECT_FALSE(t.matches(k)) << int(tos);
    }
}

TEST(SelectorMatch, Ipv6TosIsTheWholeDscp) {
    auto t = must_parse<sel::Tos>("tos 0xb8", ctx6());
    sel::FlowKey k;
    k.daddr = v6("2001:db8::1");
    for (uint8_t tos : {0xb8, 0xb9, 0xbb}) {
        k.tos = tos;
        EXPECT_TRUE(t.matches(k)) << int(tos);
    }
    for (uint8_t tos : {0xb0, 0xbc, 0x18, 0xf8}) {
        k.tos = tos;
        EXPECT_FALSE(t.matches(k)) << int(tos);
    }
}

TEST(SelectorMatch, FwmarkUnderMask) {
    auto k = flow("1.1.1.1");
    auto a = must_parse<sel::Fwmark>("fwmark 0x1/0xff");
    for (uint32_t m : {0x1u, 0x101u, 0xffffff01u}) {
        k.mark = m;
        EXPECT_TRUE(a.matches(k)) << m;
    }
    for (uint32_t m : {0x0u, 0x2u, 0x100u, 0x11u}) {
        k.mark = m;
        EXPECT_FALSE(a.matches(k)) << m;
    }
    auto b = must_parse<sel::Fwmark>("fwmark 0/0x1");  // bit 0 clear
    k.mark = 0;
    EXPECT_TRUE(b.matches(k));
    k.mark = 2;
    EXPECT_TRUE(b.matches(k));
    k.mark = 3;
    EXPECT_FALSE(b.matches(k));
    auto c = must_parse<sel::Fwmark>("fwmark 5");
    k.mark = 5;
    EXPECT_TRUE(c.matches(k));
    k.mark = 0x105;
    EXPECT_FALSE(c.matches(k));
}

TEST(SelectorMatch, Devices) {
    auto i = must_parse<sel::Iif>("iif lo");
    auto k = flow("1.1.1.1");
    k.iif = sel::kLoopbackIfindex;
    EXPECT_FALSE(i.matches(k));  // detached until the model resolves it: never matches
    i.ifindex = sel::kLoopbackIfindex;
    EXPECT_TRUE(i.matches(k));
    k.iif = 3;
    EXPECT_FALSE(i.matches(k));
    auto o = must_parse<sel::Oif>("oif eth1");
    o.ifindex = 3;
    k.oif = 0;  // forwarded packets carry no oif
    EXPECT_FALSE(o.matches(k));
    k.oif = 3;
    EXPECT_TRUE(o.matches(k));
}

TEST(SelectorMatch, RangesAreInclusive) {
    auto k = flow("1.1.1.1");
    auto u = must_parse<sel::Uidrange>("uidrange 1000-1999");
    for (uint32_t uid : {1000u, 1500u, 1999u}) {
        k.uid = uid;
        EXPECT_TRUE(u.matches(k)) << uid;
    }
    for (uint32_t uid : {0u, 999u, 2000u}) {
        k.uid = uid;
        EXPECT_FALSE(u.matches(k)) << uid;
    }
    auto d = must_parse<sel::Dport>("dport 20-22");
    for (uint16_t p : {20, 21, 22}) {
        k.dport = p;
        EXPECT_TRUE(d.matches(k)) << p;
    }
    for (uint16_t p : {0, 19, 23}) {
        k.dport = p;
        EXPECT_FALSE(d.matches(k)) << p;
    }
    auto s = must_parse<sel::Sport>("sport 1024");
    k.sport = 1024;
    EXPECT_TRUE(s.matches(k));
    k.sport = 1025;
    EXPECT_FALSE(s.matches(k));
    k.dport = 1024;  // sport does not look at dport
    k.sport = 0;
    EXPECT_FALSE(s.matches(k));
}

TEST(SelectorMatch, IpProtoExact) {
    auto p = must_parse<sel::IpProto>("ipproto udp");
    auto k = flow("1.1.1.1");
    k.proto = 17;
    EXPECT_TRUE(p.matches(k));
    k.proto = 6;
    EXPECT_FALSE(p.matches(k));
    k.proto = 0;
    EXPECT_FALSE(p.matches(k));
}

TEST(SelectorMatch, SetNeedsEveryPresentSelector) {
    sel::SelectorSet s;
    EXPECT_TRUE(s.matches(flow("1.1.1.1")));  // empty: matches everything
    std::string line = "to 10.0.0.0/8 ipproto tcp dport 22";
    ws::Tokens t(ws::split_words(line));
    while (!t.done()) ASSERT_TRUE(s.parse_one(t, ctx4()).ok());
    auto k = flow("10.1.1.1");
    k.proto = 6;
    k.dport = 22;
    EXPECT_TRUE(s.matches(k));
    k.proto = 17;
    EXPECT_FALSE(s.matches(k));
    k.proto = 6;
    k.daddr = v4("11.1.1.1");
    EXPECT_FALSE(s.matches(k));
    k.daddr = v4("10.1.1.1");
    k.dport = 23;
    EXPECT_FALSE(s.matches(k));
}

}  // namespace
