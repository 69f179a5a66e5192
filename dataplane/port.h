#pragma once
// PortSet — the DPDK ports of `ip link add NAME type dpdk devargs ARGS` and `type host` (a
// net_tap device: a TAP interface of that name in wildside's network namespace), probed,
// configured with one rx and one tx queue per worker where the device has them, and started.
//
// rx queues are spread over the workers (queue q to worker q % workers, RSS over IP and ports
// when the device offers it); a worker whose port has fewer tx queues than workers shares one
// under a spinlock. Ports are promiscuous: the parse stage filters by destination MAC, as a
// Linux interface does.
//
// A net_af_packet port's kernel interface belongs to wildside: it is set NOARP with IPv6 off,
// and unless `ip link set NAME address` says otherwise the port takes a locally administered
// variant of the interface's MAC, so the namespace's kernel (which owns the gateway's addresses
// through the host interface) neither answers ARP for them nor receives frames meant for wildside.
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "dataplane/tables/neighbour_table.h"
#include "dataplane/worker.h"

namespace dp {

struct PortSpec {
    std::string link;                  // the link's name (eth0)
    std::string devargs;               // net_pcap0,rx_pcap=... ; for a host link: built here
    bool host = false;
    std::optional<MacAddr> mac;        // ip link set NAME address
    uint32_t mtu = 1500;
};

struct Port {
    uint16_t id = 0;
    std::string link;
    std::string devname;
    bool host = false;
    MacAddr mac{};
    uint16_t nb_rxq = 0, nb_txq = 0;
    std::unique_ptr<rte_spinlock_t[]> tx_locks;
    // host: the TAP as the kernel sees it
    std::string kernel_ifname;
    unsigned kernel_ifindex = 0;
    MacAddr kernel_mac{};
};

class PortSet {
public:
    // Probes and starts every port; an error names the link and DPDK's reason.
    static ws::Result<std::unique_ptr<PortSet>> open(const std::vector<PortSpec>& specs, unsigned workers, rte_mempool* pool);
    ~PortSet();

    std::vector<Port>& ports() { return ports_; }
    const Port* by_link(const std::string& link) const;
    // The queues each worker polls and transmits on.
    std::vector<WorkerConfig> worker_configs(unsigned workers, rte_mempool* pool, unsigned idle_backoff_us) const;
    // `ip link set NAME address|mtu` on a running port.
    void set_mac(const std::string& link, const MacAddr& mac);
    void set_mtu(const std::string& link, uint32_t mtu);
    void stop_all();
    // Waits up to max_ms for every port to report its link up (a memif client until its server
    // answers, af_packet until its interface is up), as DPDK's l3fwd does before forwarding, so
    // that the first packets are not sent into a link that is not there yet. Returns the links
    // still down when the time ran out.
    std::vector<std::string> wait_links_up(unsigned max_ms) const;
    // Whether the port has carrier now: the driver's link status, and for a port over a kernel
    // interface (net_af_packet reports its link up from start to stop) that interface's
    // IFF_UP and IFF_RUNNING, so a veth whose peer went down reads as a cable pulled out.
    bool carrier(const Port& p) const;

private:
    std::vector<Port> ports_;
    bool stopped_ = false;
};

std::string format_mac(const MacAddr& m);
std::optional<MacAddr> parse_mac(std::string_view s);

}  // namespace dp
