#pragma once
// StageGateway — one gateway for the stage tests: a Model from command lines, its snapshot
// (routing, the compiled SAD/SPD, the iptables tables) and one worker's stages, run on one fake
// frame in Worker::run_pipeline's order up to the neighbour stage: parse, (mangle PREROUTING)
// route (OUTPUT reroute, INPUT), IPsec inbound and route again, the policy check, GRE decap and
// route and check again, forward, (FORWARD, POSTROUTING), GRE encap, IPsec outbound. Stages a
// snapshot does not need do nothing, as in the worker.
#include <gtest/gtest.h>

#include <string>

#include "control/compile/compile_firewall.h"
#include "control/compile/compile_ipsec.h"
#include "dataplane/stages/firewall_stage.h"
#include "dataplane/stages/forward_stage.h"
#include "dataplane/stages/gre_stage.h"
#include "dataplane/stages/ipsec_stage.h"
#include "dataplane/stages/parse_stage.h"
#include "dataplane/stages/route_stage.h"
#include "tests/dataplane/eal_env.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/snapshot_builder.h"

namespace dptest {

// AES-GCM key||salt pairs for the two directions of the tests' SAs.
constexpr const char* kKeyOut = "0x000102030405060708090a0b0c0d0e0f10111213";
constexpr const char* kKeyIn = "0x202122232425262728292a2b2c2d2e2f30313233";

struct StageGateway {
    ctl::Model model;
    ctl::SaRegistry reg;
    Env env;
    dp::ParseStage parse;
    dp::RouteStage route;
    dp::FirewallStage fw;
    dp::ForwardStage forward;
    dp::IpsecStage ipsec;
    dp::GreStage gre;
    dp::BurstMask decapsulated = 0;  // the last run's packets that GRE decapsulated

    explicit StageGateway(const std::string& conf) {
        EXPECT_TRUE(eal_up()) << "EAL (rte_acl needs it)";
        std::string err;
        model = model_of(conf, &err);
        EXPECT_EQ(err, "");
        env.snap = build_snapshot(model, 1);
        auto t = ctl::compile_ipsec(model, reg);
        EXPECT_TRUE(t.ok());
        if (t.ok()) env.snap->ipsec = std::move(*t);
        auto st = ctl::attach_firewall(*env.snap, model.firewall, model.ifs.links, 1);
        EXPECT_TRUE(st.ok()) << st.error().format();
    }

    // Worker::route(): routing between the firewall's hooks.
    void route_burst(dp::Burst& b, const dp::StageContext& ctx) {
        if (!ctx.snap.fw_any) {
            route.run(b, ctx);
            return;
        }
        fw.prerouting(b, ctx);
        route.run(b, ctx);
        if (fw.output(b, ctx)) route.run(b, ctx);
        fw.local(b, ctx);
    }

    // One frame through the stages, as received on `ifindex`.
    dp::PacketMeta run(FakeMbuf& f, uint32_t ifindex) {
        dp::Burst b;
        b.n = 1;
        b.pkt[0] = f.mbuf();
        b.in_port = env.iface(ifindex).port;
        auto ctx = env.ctx();
        parse.run(b, ctx);
        route_burst(b, ctx);
        if (ctx.snap.ipsec) {
            if (ipsec.inbound(b, ctx)) route_burst(b, ctx);
            ipsec.check(b, ctx);
        }
        decapsulated = gre.decap(b, ctx);
        if (decapsulated) {
            route_burst(b, ctx);
            if (ctx.snap.ipsec) ipsec.check(b, ctx, decapsulated);
        }
        forward.run(b, ctx);
        if (ctx.snap.fw_any) fw.forward(b, ctx);
        gre.encap(b, ctx);
        ipsec.outbound(b, ctx);
        return b.meta[0];
    }
    const MacAddr& mac(uint32_t ifindex) const { return env.iface(ifindex).mac; }
};

// A UDP packet src -> dst (1000 -> dport) as it reaches the gateway's first port (ifindex 2).
inline Bytes udp_in(const StageGateway& g, const char* src, const char* dst, uint16_t dport = 2000, size_t len = 40,
                    uint8_t tos = 0, uint16_t frag = 0x4000, uint8_t ttl = 64) {
    Ip4 h;
    h.src = ip(src);
    h.dst = ip(dst);
    h.tos = tos;
    h.frag = frag;
    h.ttl = ttl;
    return udp4_frame(g.mac(2), h, 1000, dport, len);
}

}  // namespace dptest
