#pragma once
// A dp::Snapshot built from configuration lines without EAL or ports, the way
// Daemon::build_snapshot() builds one (control/daemon/daemon.cc): the model is applied as one
// batch (ctl::apply_batch), compiled (ctl::compile_routing), `type gre` links get their
// endpoints and key (IfaceView.gre*, Snapshot::gre_links), and every `type dpdk` or `type host`
// link gets a made-up port: ids in link order from 0, MAC 02:00:00:00:00:<ifindex> (or the one
// `ip link set NAME address` gave), the host port's kernel MAC kHostKernelMac.
// No gtest: the packet fuzzer uses it too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "control/compile/compiler.h"
#include "control/compile/iface_view.h"
#include "control/config.h"
#include "control/model/model.h"
#include "dataplane/counters.h"
#include "dataplane/snapshot.h"
#include "dataplane/stage.h"
#include "dataplane/tables/neighbour_table.h"

namespace dptest {

inline constexpr dp::MacAddr kHostKernelMac = {0x02, 0x00, 0x00, 0x00, 0xff, 0xfe};

inline dp::MacAddr port_mac(uint32_t ifindex) { return {0x02, 0x00, 0x00, 0x00, 0x00, uint8_t(ifindex)}; }

// The model of `script`, or an error message in *err (model then empty).
inline ctl::Model model_of(std::string_view script, std::string* err) {
    ctl::Model m;
    auto st = ctl::apply_batch(m, ctl::split_script(script), "test");
    if (!st.ok() && err) *err = st.error().format();
    return m;
}

inline std::unique_ptr<dp::Snapshot> build_snapshot(const ctl::Model& model, uint64_t generation, unsigned workers = 1) {
    auto s = std::make_unique<dp::Snapshot>();
    s->generation = generation;
    s->routing = ctl::compile_routing(model);
    uint32_t max_ifindex = 0;
    for (const auto& l : model.ifs.links) max_ifindex = std::max(max_ifindex, l.ifindex);
    s->ifaces.resize(max_ifindex + 1);
    s->ifindex_of_port.assign(dp::kMaxPorts, 0);
    uint16_t next_port = 0;
    for (size_t i = 0; i < model.ifs.links.size(); ++i) {
        const dp::Link& l = model.ifs.links[i];
        const ctl::LinkSpec& spec = model.specs[i];
        dp::IfaceView& v = s->ifaces[l.ifindex];
        v = ctl::iface_view(l, spec);
        if (v.gre) s->gre_links.push_back(l.ifindex);
        if (spec.kind != "dpdk" && spec.kind != "host") continue;
        const uint16_t port = next_port++;
        v.port = port;
        v.mac = port_mac(l.ifindex);
        if (!spec.address.empty()) {
            unsigned b[6];
            if (std::sscanf(spec.address.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6)
                for (int k = 0; k < 6; ++k) v.mac[k] = uint8_t(b[k]);
        }
        v.host = spec.kind == "host";
        s->ifindex_of_port[port] = l.ifindex;
        if (v.host) {
            s->host_port = port;
            s->host_ifindex = l.ifindex;
            s->host_kernel_mac = kHostKernelMac;
        }
    }
    s->alloc_counters(workers);
    return s;
}

// A snapshot plus the mutable state a StageContext refers to.
struct Env {
    std::unique_ptr<dp::Snapshot> snap;
    std::unique_ptr<dp::NeighbourTable> neigh = std::make_unique<dp::NeighbourTable>();
    dp::WorkerCounters counters{};
    uint64_t now = 1'000'000;
    uint64_t hz = 1'000'000;

    dp::StageContext ctx() { return dp::StageContext{*snap, *neigh, counters, 0, now, hz}; }
    const dp::IfaceView& iface(uint32_t ifindex) const { return snap->ifaces.at(ifindex); }
};

// The test gateway's links, addresses and error routes, shared by the stage tests and the
// packet fuzzer:
// eth0 (ifindex 2, port 0) faces 10.0.1.0/24 and 2001:db8:1::/64, eth1 (3, port 1, MTU 1400)
// the wild side 192.0.2.0/24 and 2001:db8:2::/64, ipsec0 (4) has no port, host0 (5, port 2)
// is the host interface. 10.0.2.0/24 goes to ipsec0; 10.66/16, 10.67/16 and 10.68/16 are
// blackhole, unreachable and prohibit routes, 10.69/16 an unreachable rule; sources in
// 10.0.1.128/25 use table 100 (default via 10.0.1.254). Each user appends its own lines.
inline constexpr std::string_view kGatewayBase = R"(
ip link add eth0 type dpdk devargs net_null0
ip link add eth1 type dpdk devargs net_null1
ip link add ipsec0 type xfrm if_id 1
ip link add host0 type host
ip link set eth0 up
ip link set eth1 up
ip link set ipsec0 up
ip link set host0 up
ip link set eth1 mtu 1400
ip addr add 10.0.1.1/24 dev eth0
ip addr add 192.0.2.1/24 dev eth1
ip addr add 2001:db8:1::1/64 dev eth0
ip addr add 2001:db8:2::1/64 dev eth1
ip route add 10.0.2.0/24 dev ipsec0
ip route add blackhole 10.66.0.0/16
ip route add unreachable 10.67.0.0/16
ip route add prohibit 10.68.0.0/16
ip rule add from 10.0.1.128/25 table 100 priority 100
ip route add default via 10.0.1.254 dev eth0 table 100
ip rule add to 10.69.0.0/16 unreachable priority 110
)";

}  // namespace dptest
