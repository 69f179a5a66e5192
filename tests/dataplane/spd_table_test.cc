// dataplane/tables/spd_table.h: Linux's policy match (xfrm_policy_match) case by case, on the
// rte_acl table and on the linear fallback; then both against the reference ctl::Spd::lookup()
// on random policy sets (IPv4 and IPv6). Invalid input first.
//
// rte_acl allocates from DPDK's heap, so these tests start EAL (tests/dataplane/eal_env.h: no
// hugepages, no PCI, no shared files) before building a table.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "control/compile/compile_spd.h"
#include "control/model/xfrm_model.h"
#include "dataplane/tables/spd_table.h"
#include "tests/dataplane/eal_env.h"

namespace {

using dp::SpdKey;
using dp::SpdRule;
using dp::SpdTable;
using ws::Family;

constexpr uint32_t kNo = SpdTable::kNoMatch;
constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmp6 = 58;

using dptest::eal_up;  // rte_acl's contexts live in EAL memory

ws::InetPrefix pfx(const char* s) {
    auto p = ws::InetPrefix::parse(s);
    EXPECT_TRUE(p.ok()) << s;
    return p.ok() ? *p : ws::InetPrefix{};
}
ws::InetAddr addr(const char* s) {
    auto a = ws::InetAddr::parse(s);
    EXPECT_TRUE(a.ok()) << s;
    return a.ok() ? *a : ws::InetAddr{};
}

SpdRule rule(const char* src, const char* dst, uint32_t result) {
    SpdRule r;
    r.src = pfx(src);
    r.dst = pfx(dst);
    r.result = result;
    return r;
}

SpdKey key(const char* src, const char* dst, uint8_t proto = kUdp, uint16_t sport = 1000, uint16_t dport = 2000) {
    SpdKey k;
    k.src = addr(src);
    k.dst = addr(dst);
    k.proto = proto;
    k.sport = sport;
    k.dport = dport;
    return k;
}

enum class Impl { kAcl, kLinear };

std::unique_ptr<SpdTable> make(Impl impl, Family f, const std::vector<SpdRule>& rules) {
    auto t = impl == Impl::kAcl ? SpdTable::build_compiled(f, rules) : SpdTable::build_linear(f, rules);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().format());
    if (!t.ok()) return nullptr;
    EXPECT_EQ(t.value()->compiled(), impl == Impl::kAcl) << t.value()->describe();
    return std::move(t.value());
}

// ---------------------------------------------------------------------------------------------
// Invalid input.

TEST(SpdTableInvalid, RefusesRulesOfAnotherFamily) {
    ASSERT_TRUE(eal_up());
    std::vector<SpdRule> rules = {rule("10.0.0.0/8", "0.0.0.0/0", 0), rule("2001:db8::/32", "::/0", 1)};
    auto t = SpdTable::build(Family::kInet, rules);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("rule 1"), std::string::npos) << t.error().message;
    EXPECT_FALSE(SpdTable::build_linear(Family::kInet, rules).ok());
    EXPECT_FALSE(SpdTable::build(Family::kInet6, rules).ok());
}

TEST(SpdTableInvalid, RefusesBadFamilyAndLength) {
    ASSERT_TRUE(eal_up());
    EXPECT_FALSE(SpdTable::build(Family::kNone, {}).ok());
    SpdRule r = rule("10.0.0.0/8", "0.0.0.0/0", 0);
    r.dst.len = 33;
    EXPECT_FALSE(SpdTable::build(Family::kInet, std::vector<SpdRule>{r}).ok());
    SpdRule none;  // af-unspec: both prefixes of family kNone
    EXPECT_FALSE(SpdTable::build(Family::kInet, std::vector<SpdRule>{none}).ok());
}

// ---------------------------------------------------------------------------------------------
// Linux's match, case by case, on both implementations.

class SpdTableTest : public testing::TestWithParam<Impl> {
protected:
    void SetUp() override { ASSERT_TRUE(eal_up()); }
    std::unique_ptr<SpdTable> table(Family f, const std::vector<SpdRule>& rules) { return make(GetParam(), f, rules); }
};

TEST_P(SpdTableTest, EmptyTableMatchesNothing) {
    auto t = table(Family::kInet, {});
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->empty());
    EXPECT_EQ(t->size(), 0u);
    EXPECT_EQ(t->lookup_one(key("10.0.0.1", "10.0.0.2")), kNo);
    SpdKey k = key("10.0.0.1", "10.0.0.2");
    const SpdKey* keys[] = {&k, &k};
    uint32_t res[2] = {7, 7};
    t->lookup(keys, res, 2);
    EXPECT_EQ(res[0], kNo);
    EXPECT_EQ(res[1], kNo);
    t->lookup(keys, res, 0);  // nothing to do
}

TEST_P(SpdTableTest, FirstMatchInOrderWins) {
    // The broader rule first: it answers even where a later rule is more specific.
    auto t = table(Family::kInet, {rule("10.0.0.0/8", "0.0.0.0/0", 100), rule("10.1.0.0/16", "0.0.0.0/0", 200)});
    EXPECT_EQ(t->lookup_one(key("10.1.2.3", "192.0.2.1")), 100u);
    EXPECT_EQ(t->lookup_one(key("11.1.2.3", "192.0.2.1")), kNo);
    // The specific one first: each answers for its own flows.
    t = table(Family::kInet, {rule("10.1.0.0/16", "0.0.0.0/0", 200), rule("10.0.0.0/8", "0.0.0.0/0", 100)});
    EXPECT_EQ(t->lookup_one(key("10.1.2.3", "192.0.2.1")), 200u);
    EXPECT_EQ(t->lookup_one(key("10.2.2.3", "192.0.2.1")), 100u);
    EXPECT_EQ(t->size(), 2u);
}

TEST_P(SpdTableTest, IdenticalRulesFirstWins) {
    auto t = table(Family::kInet, {rule("10.0.0.0/8", "0.0.0.0/0", 5), rule("10.0.0.0/8", "0.0.0.0/0", 6),
                                   rule("10.0.0.0/8", "0.0.0.0/0", 7)});
    EXPECT_EQ(t->lookup_one(key("10.9.9.9", "1.2.3.4")), 5u);
}

TEST_P(SpdTableTest, ResultsAreReturnedAsGiven) {
    // Any uint32 is a result, 0 and kNoMatch - 1 included (rte_acl's userdata 0 is "no match").
    auto t = table(Family::kInet, {rule("10.0.0.0/8", "0.0.0.0/0", 0), rule("11.0.0.0/8", "0.0.0.0/0", kNo - 1)});
    EXPECT_EQ(t->lookup_one(key("10.0.0.1", "1.1.1.1")), 0u);
    EXPECT_EQ(t->lookup_one(key("11.0.0.1", "1.1.1.1")), kNo - 1);
}

TEST_P(SpdTableTest, SrcAndDstPrefixes) {
    auto t = table(Family::kInet, {rule("192.0.2.7/32", "198.51.100.0/24", 1), rule("0.0.0.0/0", "203.0.113.9/32", 2),
                                   rule("10.1.2.3/8", "10.255.255.255/9", 3)});  // host bits ignored
    EXPECT_EQ(t->lookup_one(key("192.0.2.7", "198.51.100.200")), 1u);
    EXPECT_EQ(t->lookup_one(key("192.0.2.8", "198.51.100.200")), kNo);  // /32: only that host
    EXPECT_EQ(t->lookup_one(key("192.0.2.7", "198.51.101.1")), kNo);
    EXPECT_EQ(t->lookup_one(key("1.2.3.4", "203.0.113.9")), 2u);  // /0: any source
    EXPECT_EQ(t->lookup_one(key("255.255.255.255", "203.0.113.9")), 2u);
    EXPECT_EQ(t->lookup_one(key("1.2.3.4", "203.0.113.8")), kNo);
    EXPECT_EQ(t->lookup_one(key("10.200.0.1", "10.128.0.1")), 3u);
    EXPECT_EQ(t->lookup_one(key("10.200.0.1", "10.127.0.1")), kNo);
    // Both /0: everything of the family.
    t = table(Family::kInet, {rule("0.0.0.0/0", "0.0.0.0/0", 9)});
    EXPECT_EQ(t->lookup_one(key("0.0.0.0", "255.255.255.255", 0, 0, 0)), 9u);
}

TEST_P(SpdTableTest, Ipv6PrefixesAcrossWords) {
    auto t = table(Family::kInet6, {rule("2001:db8::1/128", "::/0", 1), rule("2001:db8:0:0:8000::/65", "::/0", 2),
                                    rule("2001:db9::/33", "::/0", 3), rule("::/0", "2001:db8::ffff/127", 4),
                                    rule("8000::/1", "::/0", 5)});
    EXPECT_EQ(t->lookup_one(key("2001:db8::1", "::1")), 1u);
    EXPECT_EQ(t->lookup_one(key("2001:db8::2", "::1")), kNo);  // /128: only that host
    EXPECT_EQ(t->lookup_one(key("2001:db8:0:0:8000::2", "::1")), 2u);
    EXPECT_EQ(t->lookup_one(key("2001:db8:0:0:ffff::2", "::1")), 2u);
    EXPECT_EQ(t->lookup_one(key("2001:db8:0:0:7fff::2", "::1")), kNo);
    EXPECT_EQ(t->lookup_one(key("2001:db9:7fff::1", "::1")), 3u);  // /33: bit 32 is 0
    EXPECT_EQ(t->lookup_one(key("2001:db9:8000::1", "::1")), kNo);
    EXPECT_EQ(t->lookup_one(key("::5", "2001:db8::fffe")), 4u);
    EXPECT_EQ(t->lookup_one(key("::5", "2001:db8::ffff")), 4u);
    EXPECT_EQ(t->lookup_one(key("::5", "2001:db8::fffd")), kNo);
    EXPECT_EQ(t->lookup_one(key("fe80::1", "::1")), 5u);
    EXPECT_EQ(t->lookup_one(key("7fff::1", "::1")), kNo);
}

TEST_P(SpdTableTest, PortsUnderArbitraryMasks) {
    SpdRule exact = rule("0.0.0.0/0", "0.0.0.0/0", 1);
    exact.dport = 443;
    exact.dport_mask = 0xffff;
    SpdRule high = rule("0.0.0.0/0", "0.0.0.0/0", 2);
    high.sport = 0x12ff;  // bits outside the mask do not count: ((x ^ v) & m) == 0
    high.sport_mask = 0xff00;
    SpdRule any = rule("0.0.0.0/0", "0.0.0.0/0", 3);
    any.sport = 7;  // mask 0: any port, whatever the value
    auto t = table(Family::kInet, {exact, high, any});
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kTcp, 50000, 443)), 1u);
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kTcp, 0x1200, 444)), 2u);
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kTcp, 0x12ab, 80)), 2u);
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kTcp, 0x13ab, 80)), 3u);
    t = table(Family::kInet, {exact, high});
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kTcp, 0x13ab, 80)), kNo);
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kTcp, 0x13ab, 443)), 1u);
}

TEST_P(SpdTableTest, IcmpTypeAndCodeInThePorts) {
    // ip xfrm policy ... proto icmp type 8 code 0: the type is sport, the code dport.
    SpdRule echo = rule("0.0.0.0/0", "0.0.0.0/0", 1);
    echo.proto = kIcmp;
    echo.sport = 8;
    echo.sport_mask = 0xffff;
    echo.dport = 0;
    echo.dport_mask = 0xffff;
    SpdRule unreach = rule("0.0.0.0/0", "0.0.0.0/0", 2);
    unreach.proto = kIcmp;
    unreach.sport = 3;
    unreach.sport_mask = 0xffff;  // any code
    auto t = table(Family::kInet, {echo, unreach});
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kIcmp, 8, 0)), 1u);
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kIcmp, 0, 0)), kNo);  // echo reply
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kIcmp, 3, 4)), 2u);
    EXPECT_EQ(t->lookup_one(key("1.1.1.1", "2.2.2.2", kUdp, 8, 0)), kNo);  // port 8 of UDP

    SpdRule ns = rule("::/0", "::/0", 3);
    ns.proto = kIcmp6;
    ns.sport = 135;  // neighbour solicitation
    ns.sport_mask = 0xffff;
    auto t6 = table(Family::kInet6, {ns});
    EXPECT_EQ(t6->lookup_one(key("fe80::1", "ff02::1:ff00:2", kIcmp6, 135, 0)), 3u);
    EXPECT_EQ(t6->lookup_one(key("fe80::1", "ff02::1:ff00:2", kIcmp6, 136, 0)), kNo);
}

TEST_P(SpdTableTest, ProtoZeroIsAny) {
    SpdRule tcp = rule("10.0.0.0/8", "0.0.0.0/0", 1);
    tcp.proto = kTcp;
    SpdRule any = rule("10.0.0.0/8", "0.0.0.0/0", 2);
    auto t = table(Family::kInet, {tcp, any});
    EXPECT_EQ(t->lookup_one(key("10.0.0.1", "2.2.2.2", kTcp)), 1u);
    EXPECT_EQ(t->lookup_one(key("10.0.0.1", "2.2.2.2", kUdp)), 2u);
    EXPECT_EQ(t->lookup_one(key("10.0.0.1", "2.2.2.2", kIcmp, 8, 0)), 2u);
    EXPECT_EQ(t->lookup_one(key("10.0.0.1", "2.2.2.2", 47, 0, 0)), 2u);  // GRE, no ports
    EXPECT_EQ(t->lookup_one(key("10.0.0.1", "2.2.2.2", 0, 0, 0)), 2u);
}

TEST_P(SpdTableTest, MarkUnderItsMask) {
    SpdRule m10 = rule("0.0.0.0/0", "0.0.0.0/0", 1);
    m10.mark_v = 0x10;
    m10.mark_m = 0xff;
    SpdRule never = rule("0.0.0.0/0", "0.0.0.0/0", 2);
    never.mark_v = 0x101;  // a bit outside the mask: (mark & m) == v never holds (Linux)
    never.mark_m = 0xff;
    SpdRule nomark = rule("0.0.0.0/0", "0.0.0.0/0", 3);  // mark 0/0: any mark
    auto t = table(Family::kInet, {m10, never, nomark});
    auto k = key("1.1.1.1", "2.2.2.2");
    k.mark = 0x10;
    EXPECT_EQ(t->lookup_one(k), 1u);
    k.mark = 0xabc0010;
    EXPECT_EQ(t->lookup_one(k), 1u);
    k.mark = 0x11;
    EXPECT_EQ(t->lookup_one(k), 3u);
    k.mark = 0x101;
    EXPECT_EQ(t->lookup_one(k), 3u);
    k.mark = 0;
    EXPECT_EQ(t->lookup_one(k), 3u);
    EXPECT_EQ(t->size(), 3u);

    SpdRule exact = rule("0.0.0.0/0", "0.0.0.0/0", 4);
    exact.mark_v = 0;  // mark 0/0xffffffff: only unmarked packets
    exact.mark_m = 0xffffffff;
    t = table(Family::kInet, {exact});
    k.mark = 0;
    EXPECT_EQ(t->lookup_one(k), 4u);
    k.mark = 1;
    EXPECT_EQ(t->lookup_one(k), kNo);
    // A table of rules that can never match.
    t = table(Family::kInet, {never});
    k.mark = 0x101;
    EXPECT_EQ(t->lookup_one(k), kNo);
}

TEST_P(SpdTableTest, IfIdExactZeroIncluded) {
    SpdRule id7 = rule("0.0.0.0/0", "0.0.0.0/0", 7);
    id7.if_id = 7;
    SpdRule id0 = rule("0.0.0.0/0", "0.0.0.0/0", 0);
    auto t = table(Family::kInet, {id7, id0});
    auto k = key("1.1.1.1", "2.2.2.2");
    k.if_id = 7;
    EXPECT_EQ(t->lookup_one(k), 7u);
    k.if_id = 0;
    EXPECT_EQ(t->lookup_one(k), 0u);
    k.if_id = 8;
    EXPECT_EQ(t->lookup_one(k), kNo);  // if_id 0 is not a wildcard
    k.if_id = 0x80000007;
    EXPECT_EQ(t->lookup_one(k), kNo);
}

TEST_P(SpdTableTest, FamiliesAreSeparate) {
    auto t4 = table(Family::kInet, {rule("0.0.0.0/0", "0.0.0.0/0", 4)});
    auto t6 = table(Family::kInet6, {rule("::/0", "::/0", 6)});
    EXPECT_EQ(t4->lookup_one(key("1.1.1.1", "2.2.2.2")), 4u);
    EXPECT_EQ(t4->lookup_one(key("::1", "::2")), kNo);
    EXPECT_EQ(t6->lookup_one(key("::1", "::2")), 6u);
    EXPECT_EQ(t6->lookup_one(key("1.1.1.1", "2.2.2.2")), kNo);
    EXPECT_EQ(t6->lookup_one(key("::ffff:1.1.1.1", "::ffff:2.2.2.2")), 6u);  // v4-mapped is IPv6
    EXPECT_EQ(t4->family(), Family::kInet);
}

TEST_P(SpdTableTest, BurstsOfAnySize) {
    std::vector<SpdRule> rules;
    for (uint32_t i = 0; i < 50; ++i) {
        SpdRule r;
        r.src = ws::InetPrefix{ws::InetAddr::v4(0x0a000000u + (i << 8)), 24};
        r.dst = pfx("0.0.0.0/0");
        r.result = 1000 + i;
        rules.push_back(r);
    }
    auto t = table(Family::kInet, rules);
    std::vector<SpdKey> keys(150);
    std::vector<const SpdKey*> ptrs;
    for (uint32_t i = 0; i < keys.size(); ++i) {
        keys[i].src = ws::InetAddr::v4(0x0a000000u + (i << 8) + 5);
        keys[i].dst = ws::InetAddr::v4(0x01020304u);
        ptrs.push_back(&keys[i]);
    }
    std::vector<uint32_t> res(keys.size(), 0);
    t->lookup(ptrs.data(), res.data(), unsigned(keys.size()));  // more than kBurstMax
    for (uint32_t i = 0; i < keys.size(); ++i) EXPECT_EQ(res[i], i < 50 ? 1000 + i : kNo) << i;
}

INSTANTIATE_TEST_SUITE_P(Spd, SpdTableTest, testing::Values(Impl::kAcl, Impl::kLinear),
                         [](const auto& info) { return info.param == Impl::kAcl ? "acl" : "linear"; });

TEST(SpdTableDescribe, SaysWhichPathRuns) {
    ASSERT_TRUE(eal_up());
    std::vector<SpdRule> rules = {rule("10.0.0.0/8", "0.0.0.0/0", 0)};
    auto a = SpdTable::build_compiled(Family::kInet, rules);
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(a.value()->compiled());
    EXPECT_EQ(a.value()->describe(), "spd inet: 1 rules, rte_acl");
    auto few = SpdTable::build(Family::kInet, rules);
    ASSERT_TRUE(few.ok());
    EXPECT_EQ(few.value()->describe(), "spd inet: 1 rules, linear scan (few rules)");
    auto l = SpdTable::build_linear(Family::kInet, rules);
    ASSERT_TRUE(l.ok());
    EXPECT_FALSE(l.value()->compiled());
    EXPECT_EQ(l.value()->describe(), "spd inet: 1 rules, linear scan (asked for)");
}

// ---------------------------------------------------------------------------------------------
// Against the reference: random policies in ctl::Spd, random flows biased to hit them.

class SpdRandom {
public:
    SpdRandom(Family f, uint64_t seed) : f_(f), rng_(seed) {
        // A few address "neighbourhoods" so that prefixes overlap and nest.
        for (int i = 0; i < 6; ++i) pool_.push_back(random_addr());
    }

    ctl::XfrmPolicy policy() {
        ctl::XfrmPolicy p;
        p.dir = ctl::XfrmDir::kOut;
        p.priority = uint32_t(pick(8)) * 100;  // many ties: the older policy first
        p.sel = ctl::XfrmSelector::any(f_);
        p.sel.src = random_prefix();
        p.sel.dst = random_prefix();
        static const uint8_t protos[] = {0, 0, 0, kTcp, kUdp, kIcmp, kIcmp6};
        p.sel.proto = protos[pick(std::size(protos))];
        port(p.sel.sport, p.sel.sport_mask);
        port(p.sel.dport, p.sel.dport_mask);
        switch (pick(6)) {
            case 0: p.mark = {0x10, 0xff}; break;
            case 1: p.mark = {uint32_t(pick(4)), 0x3}; break;
            case 2: p.mark = {0x5, 0x1}; break;  // never matches
            default: break;                      // 0/0
        }
        p.if_id = pick(4) == 0 ? uint32_t(1 + pick(2)) : 0;
        return p;
    }

    // A flow inside policy p (mostly), or a random one.
    sel::FlowKey flow(const ctl::XfrmPolicy* p, uint32_t& if_id) {
        sel::FlowKey k;
        if (!p || pick(8) == 0) {
            k.saddr = near(pool_[pick(pool_.size())], 8 + pick(120));
            k.daddr = near(pool_[pick(pool_.size())], 8 + pick(120));
            k.proto = uint8_t(pick(3) == 0 ? kTcp : pick(3) == 0 ? kUdp : pick(60));
            k.sport = uint16_t(pick(4) == 0 ? 500 : rng_());
            k.dport = uint16_t(pick(4) == 0 ? 4500 : rng_());
            k.mark = pick(2) ? 0 : uint32_t(pick(0x20));
            if_id = pick(3) == 0 ? uint32_t(pick(3)) : 0;
            return k;
        }
        k.saddr = inside(p->sel.src);
        k.daddr = inside(p->sel.dst);
        k.proto = p->sel.proto ? p->sel.proto : uint8_t(pick(20));
        k.sport = uint16_t((p->sel.sport & p->sel.sport_mask) | (uint16_t(rng_()) & ~p->sel.sport_mask));
        k.dport = uint16_t((p->sel.dport & p->sel.dport_mask) | (uint16_t(rng_()) & ~p->sel.dport_mask));
        k.mark = (p->mark.v & p->mark.m) | (uint32_t(rng_()) & ~p->mark.m);
        if (pick(5) == 0) k.mark = uint32_t(pick(0x20));
        if_id = pick(6) == 0 ? uint32_t(pick(3)) : p->if_id;
        return k;
    }

    size_t pick(size_t n) { return size_t(rng_() % n); }

private:
    unsigned bits() const { return f_ == Family::kInet ? 32 : 128; }
    ws::InetAddr random_addr() {
        ws::InetAddr a = ws::InetAddr::zero(f_);
        for (unsigned i = 0; i < bits() / 8; ++i) a.b[i] = uint8_t(rng_());
        return a;
    }
    // a with its bits from `keep` on randomised.
    ws::InetAddr near(const ws::InetAddr& a, unsigned keep) {
        ws::InetAddr r = random_addr();
        for (unsigned i = 0; i < std::min(keep, bits()); ++i) {
            const uint8_t m = uint8_t(0x80 >> (i & 7));
            r.b[i / 8] = uint8_t((r.b[i / 8] & ~m) | (a.b[i / 8] & m));
        }
        return r;
    }
    ws::InetAddr inside(const ws::InetPrefix& p) { return near(p.addr, p.len); }
    ws::InetPrefix random_prefix() {
        const unsigned n = bits();
        unsigned len;
        switch (pick(6)) {
            case 0: len = 0; break;
            case 1: len = n; break;
            default: len = unsigned(pick(n + 1)); break;
        }
        // Host bits kept (Linux keeps them; the match ignores them).
        return ws::InetPrefix{near(pool_[pick(pool_.size())], unsigned(pick(n / 2))), uint8_t(len)};
    }
    void port(uint16_t& v, uint16_t& m) {
        switch (pick(5)) {
            case 0: v = uint16_t(pick(3) == 0 ? 500 : rng_()); m = 0xffff; break;
            case 1: v = uint16_t(rng_()); m = uint16_t(rng_()); break;  // arbitrary mask and value
            case 2: v = 0; m = 0xfc00; break;                            // ports 0-1023
            default: v = 0; m = 0; break;
        }
    }

    Family f_;
    std::mt19937_64 rng_;
    std::vector<ws::InetAddr> pool_;
};

void differential(Family f, size_t n_policies, size_t n_flows, uint64_t seed) {
    ASSERT_TRUE(eal_up());
    SpdRandom gen(f, seed);
    ctl::Spd spd;
    for (size_t i = 0; i < n_policies; ++i) (void)spd.add(gen.policy());  // duplicates: kExists
    const auto ordered = spd.ordered(ctl::XfrmDir::kOut);
    ASSERT_GT(ordered.size(), n_policies / 2);
    std::vector<SpdRule> rules;
    std::map<const ctl::XfrmPolicy*, uint32_t> index;
    for (uint32_t j = 0; j < ordered.size(); ++j) {
        rules.push_back(ctl::spd_rule_of(*ordered[j], j));
        index[ordered[j]] = j;
    }
    auto acl = SpdTable::build_compiled(f, rules);
    auto lin = SpdTable::build_linear(f, rules);
    ASSERT_TRUE(acl.ok() && lin.ok());
    ASSERT_TRUE(acl.value()->compiled()) << acl.value()->describe();
    EXPECT_EQ(acl.value()->size(), ordered.size());

    constexpr unsigned kBurst = 32;
    size_t hits = 0, mismatches = 0, flows = 0;
    while (flows < n_flows) {
        SpdKey keys[kBurst];
        const SpdKey* ptrs[kBurst];
        uint32_t expect[kBurst], got_acl[kBurst], got_lin[kBurst];
        const unsigned n = 1 + unsigned(gen.pick(kBurst));  // bursts of 1 to 32
        for (unsigned i = 0; i < n; ++i) {
            uint32_t if_id = 0;
            const sel::FlowKey k = gen.flow(ordered[gen.pick(ordered.size())], if_id);
            const ctl::XfrmPolicy* p = spd.lookup(ctl::XfrmDir::kOut, k, if_id);
            expect[i] = p ? index.at(p) : kNo;
            keys[i] = SpdKey{k.saddr, k.daddr, k.proto, k.sport, k.dport, k.mark, if_id};
            ptrs[i] = &keys[i];
        }
        acl.value()->lookup(ptrs, got_acl, n);
        lin.value()->lookup(ptrs, got_lin, n);
        flows += n;
        for (unsigned i = 0; i < n; ++i) {
            hits += expect[i] != kNo;
            if (got_acl[i] != expect[i] || got_lin[i] != expect[i]) {
                if (++mismatches <= 5)
                    ADD_FAILURE() << "flow " << keys[i].src.format() << " -> " << keys[i].dst.format() << " proto "
                                  << int(keys[i].proto) << " ports " << keys[i].sport << "/" << keys[i].dport
                                  << " mark " << keys[i].mark << " if_id " << keys[i].if_id << ": reference "
                                  << expect[i] << ", rte_acl " << got_acl[i] << ", linear " << got_lin[i];
            }
        }
    }
    EXPECT_EQ(mismatches, 0u);
    EXPECT_GT(hits, flows / 3) << "most flows should hit a policy";
}

TEST(SpdDifferential, Ipv4AgainstXfrmModel) {
    for (uint64_t seed = 1; seed <= 4; ++seed) differential(Family::kInet, 300, 6000, seed);
}

TEST(SpdDifferential, Ipv6AgainstXfrmModel) {
    for (uint64_t seed = 1; seed <= 4; ++seed) differential(Family::kInet6, 300, 6000, seed);
}

TEST(SpdDifferential, FewPoliciesManyTies) {
    for (uint64_t seed = 10; seed < 30; ++seed) differential(seed & 1 ? Family::kInet6 : Family::kInet, 6, 2000, seed);
}

TEST(SpdDifferential, ThousandsOfPolicies) {
    differential(Family::kInet, 4000, 20000, 77);
    differential(Family::kInet6, 2000, 10000, 78);
}

}  // namespace
