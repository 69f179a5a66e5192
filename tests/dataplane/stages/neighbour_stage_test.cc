// dataplane/stages/neighbour_stage.h: the link-layer header of leaving packets — link down, no
// host interface, unresolved (pending) and resolved neighbours, local delivery to the host.
// Invalid input first.
#include <gtest/gtest.h>

#include "dataplane/stages/neighbour_stage.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/snapshot_builder.h"

namespace {

using namespace dptest;
using dp::DropReason;
using dp::Next;

constexpr std::string_view kPorts = R"(
ip link add eth0 type dpdk devargs net_null0
ip link add eth1 type dpdk devargs net_null1
ip link set eth0 up
ip addr add 10.0.1.1/24 dev eth0
)";
constexpr std::string_view kHost = R"(
ip link add host0 type host
ip link set host0 up
)";
constexpr uint32_t kEth0 = 2, kEth1 = 3, kHost0 = 4;

struct NeighbourStageTest : ::testing::Test {
    Env env;
    FakeMbuf f;

    void build(bool with_host) {
        std::string err;
        ctl::Model m = model_of(std::string(kPorts) + (with_host ? std::string(kHost) : std::string()), &err);
        ASSERT_EQ(err, "");
        env.snap = build_snapshot(m, 1);
        f.set(udp4_frame(port_mac(kEth1), {}, 1, 2, 10));
    }
    dp::PacketMeta forward_to(uint32_t ifindex, const char* nexthop) {
        dp::PacketMeta m;
        m.next = Next::kForward;
        m.out_ifindex = ifindex;
        m.out_port = env.iface(ifindex).port;
        m.nexthop = ip(nexthop);
        m.neigh_slot = env.neigh->find_or_create(ifindex, m.nexthop, env.now);
        return m;
    }
};

TEST_F(NeighbourStageTest, EgressLinkDown) {
    build(false);
    auto m = forward_to(kEth1, "192.0.2.254");  // eth1 was never set up
    dp::NeighbourStage::process_one(f.mbuf(), m, env.ctx());
    EXPECT_EQ(m.next, Next::kDrop);
    EXPECT_EQ(m.drop, DropReason::kLinkDown);
    auto bad = forward_to(kEth0, "10.0.1.50");
    bad.out_ifindex = 77;  // no such interface
    dp::NeighbourStage::process_one(f.mbuf(), bad, env.ctx());
    EXPECT_EQ(bad.drop, DropReason::kLinkDown);
}

TEST_F(NeighbourStageTest, NoCarrierSendsNothing) {
    std::string err;
    ctl::Model m = model_of(kPorts, &err);
    ASSERT_EQ(err, "");
    ASSERT_TRUE(m.link_set_carrier("eth0", false).ok());  // what the daemon's port poll does
    env.snap = build_snapshot(m, 1);
    f.set(udp4_frame(port_mac(kEth1), {}, 1, 2, 10));
    EXPECT_TRUE(env.iface(kEth0).up) << "still administratively up: it receives";
    env.neigh->learn(kEth0, ip("10.0.1.50"), kPeerMac, env.now, false);
    dp::Burst b;
    b.n = 1;
    b.pkt[0] = f.mbuf();
    b.meta[0] = forward_to(kEth0, "10.0.1.50");
    dp::NeighbourStage().run(b, env.ctx());  // the inline fast path
    EXPECT_EQ(b.meta[0].next, Next::kDrop);
    EXPECT_EQ(b.meta[0].drop, DropReason::kLinkDown);
    ASSERT_TRUE(m.link_set_carrier("eth0", true).ok());
    env.snap = build_snapshot(m, 1);
    b.meta[0] = forward_to(kEth0, "10.0.1.50");
    env.neigh->learn(kEth0, ip("10.0.1.50"), kPeerMac, env.now, false);
    dp::NeighbourStage().run(b, env.ctx());
    EXPECT_EQ(b.meta[0].next, Next::kTx);
}

TEST_F(NeighbourStageTest, LocalWithoutHostInterface) {
    build(false);
    dp::PacketMeta m;
    m.next = Next::kLocal;
    dp::NeighbourStage::process_one(f.mbuf(), m, env.ctx());
    EXPECT_EQ(m.next, Next::kDrop);
    EXPECT_EQ(m.drop, DropReason::kNoHostInterface);
}

TEST_F(NeighbourStageTest, UnresolvedIsPending) {
    build(false);
    auto m = forward_to(kEth0, "10.0.1.50");
    const Bytes before = f.bytes();
    dp::NeighbourStage::process_one(f.mbuf(), m, env.ctx());
    EXPECT_EQ(m.next, Next::kPending);
    EXPECT_EQ(f.bytes(), before);
    auto none = forward_to(kEth0, "10.0.1.51");
    none.neigh_slot = 0;  // the table was full
    dp::NeighbourStage::process_one(f.mbuf(), none, env.ctx());
    EXPECT_EQ(none.next, Next::kPending);
}

TEST_F(NeighbourStageTest, ResolvedWritesMacs) {
    build(false);
    auto m = forward_to(kEth0, "10.0.1.50");
    env.neigh->learn(kEth0, ip("10.0.1.50"), kPeerMac, env.now, false);
    dp::NeighbourStage::process_one(f.mbuf(), m, env.ctx());
    EXPECT_EQ(m.next, Next::kTx);
    EXPECT_EQ(std::memcmp(f.data(), kPeerMac.data(), 6), 0);
    const MacAddr ours = port_mac(kEth0);
    EXPECT_EQ(std::memcmp(f.data() + 6, ours.data(), 6), 0);
    EXPECT_EQ(get16(f.data() + 12), 0x0800) << "EtherType kept";
}

TEST_F(NeighbourStageTest, LocalToHostKernel) {
    build(true);
    dp::PacketMeta m;
    m.next = Next::kLocal;
    dp::NeighbourStage::process_one(f.mbuf(), m, env.ctx());
    EXPECT_EQ(m.next, Next::kTx);
    EXPECT_EQ(m.out_port, env.iface(kHost0).port);
    EXPECT_EQ(std::memcmp(f.data(), kHostKernelMac.data(), 6), 0);
    const MacAddr tap = port_mac(kHost0);
    EXPECT_EQ(std::memcmp(f.data() + 6, tap.data(), 6), 0);
}

TEST_F(NeighbourStageTest, RunHandlesOnlyForwardAndLocal) {
    build(true);
    dp::Burst burst;
    FakeMbuf g;
    g.set(f.bytes());
    burst.pkt[0] = f.mbuf();
    burst.meta[0] = forward_to(kEth0, "10.0.1.50");
    burst.pkt[1] = g.mbuf();
    burst.meta[1].next = Next::kIcmpError;
    burst.n = 2;
    dp::NeighbourStage().run(burst, env.ctx());
    EXPECT_EQ(burst.meta[0].next, Next::kPending);
    EXPECT_EQ(burst.meta[1].next, Next::kIcmpError);
}

}  // namespace
