#include "dataplane/port.h"

#include <net/if.h>
#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dp {
namespace {

constexpr uint16_t kRxDesc = 1024;
constexpr uint16_t kTxDesc = 1024;

ws::Error port_error(const std::string& link, const std::string& what, int rc) {
    return ws::make_error(ws::Errc::kIo,
                          "link " + link + ": " + what + (rc ? std::string(": ") + std::strerror(rc < 0 ? -rc : rc) : ""));
}

bool kernel_mac(const std::string& ifname, MacAddr& mac) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return false;
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname.c_str());
    bool ok = ioctl(fd, SIOCGIFHWADDR, &ifr) == 0;
    if (ok) std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, 6);
    close(fd);
    return ok;
}

// The kernel interface behind a net_af_packet port ("iface=NAME"), or "".
std::string af_packet_iface(const std::string& devargs) {
    if (devargs.rfind("net_af_packet", 0) != 0) return {};
    const size_t at = devargs.find("iface=");
    if (at == std::string::npos) return {};
    const size_t end = devargs.find(',', at);
    return devargs.substr(at + 6, end == std::string::npos ? std::string::npos : end - at - 6);
}

// wildside owns an af_packet interface: the kernel of its namespace (which holds the gateway's
// addresses on the host interface) must not answer ARP or take IPv6 on it, or it would answer
// for the gateway's addresses and receive what is addressed to it (Linux's weak host model).
void take_over_kernel_iface(const std::string& ifname) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        ifreq ifr{};
        std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname.c_str());
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
            ifr.ifr_flags = short(ifr.ifr_flags | IFF_NOARP | IFF_UP);
            ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        close(fd);
    }
    if (FILE* f = std::fopen(("/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6").c_str(), "w")) {
        std::fputs("1\n", f);
        std::fclose(f);
    }
}

}  // namespace

std::string format_mac(const MacAddr& m) {
    char b[18];
    std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}

std::optional<MacAddr> parse_mac(std::string_view s) {
    MacAddr m;
    unsigned v[6];
    char tail;
    std::string str(s);
    if (std::sscanf(str.c_str(), "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return std::nullopt;
    for (int i = 0; i < 6; ++i) {
        if (v[i] > 255) return std::nullopt;
        m[i] = uint8_t(v[i]);
    }
    return m;
}

ws::Result<std::unique_ptr<PortSet>> PortSet::open(const std::vector<PortSpec>& specs, unsigned workers, rte_mempool* pool) {
    auto set = std::make_unique<PortSet>();
    unsigned taps = 0;
    for (const PortSpec& spec : specs) {
        Port p;
        p.link = spec.link;
        p.host = spec.host;
        std::string devargs = spec.devargs;
        if (spec.host) {
            // A TAP named after the link, in our namespace. "net_tap" is the driver's prefix.
            devargs = "net_tap_ws" + std::to_string(taps++) + ",iface=" + spec.link;
            p.kernel_ifname = spec.link;
        }
        p.devname = devargs.substr(0, devargs.find(','));
        // A device EAL already probed (a PCI NIC allowed with -a) answers -EEXIST: use it.
        int rc = rte_dev_probe(devargs.c_str());
        if (rc < 0 && rc != -EEXIST) return port_error(spec.link, "cannot probe DPDK device \"" + devargs + "\"", rc);
        uint16_t id;
        rc = rte_eth_dev_get_port_by_name(p.devname.c_str(), &id);
        if (rc < 0) return port_error(spec.link, "no ethdev named \"" + p.devname + "\"", rc);
        if (id >= kMaxPorts) return port_error(spec.link, "too many ports", 0);
        p.id = id;
        rte_eth_dev_info info;
        rc = rte_eth_dev_info_get(id, &info);
        if (rc < 0) return port_error(spec.link, "device info", rc);
        p.nb_rxq = uint16_t(std::min<unsigned>(workers, info.max_rx_queues));
        p.nb_txq = uint16_t(std::min<unsigned>(workers, info.max_tx_queues));
        if (p.nb_txq == 0) return port_error(spec.link, "device has no tx queue", 0);
        rte_eth_conf conf{};
        if (p.nb_rxq > 1 && info.flow_type_rss_offloads) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf =
                (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
        }
        rc = rte_eth_dev_configure(id, p.nb_rxq, p.nb_txq, &conf);
        if (rc < 0) return port_error(spec.link, "configure", rc);
        uint16_t nrx = kRxDesc, ntx = kTxDesc;
        rte_eth_dev_adjust_nb_rx_tx_desc(id, &nrx, &ntx);
        const int socket = rte_eth_dev_socket_id(id) < 0 ? 0 : rte_eth_dev_socket_id(id);
        for (uint16_t q = 0; q < p.nb_rxq; ++q)
            if ((rc = rte_eth_rx_queue_setup(id, q, nrx, socket, nullptr, pool)) < 0)
                return port_error(spec.link, "rx queue setup", rc);
        for (uint16_t q = 0; q < p.nb_txq; ++q)
            if ((rc = rte_eth_tx_queue_setup(id, q, ntx, socket, nullptr)) < 0)
                return port_error(spec.link, "tx queue setup", rc);
        if (p.nb_txq < workers) {
            p.tx_locks.reset(new rte_spinlock_t[p.nb_txq]);
            for (uint16_t q = 0; q < p.nb_txq; ++q) rte_spinlock_init(&p.tx_locks[q]);
        }
        const std::string kiface = af_packet_iface(devargs);
        if (!kiface.empty()) take_over_kernel_iface(kiface);
        if (spec.mac) {
            rte_ether_addr a;
            std::memcpy(a.addr_bytes, spec.mac->data(), 6);
            rte_eth_dev_default_mac_addr_set(id, &a);  // devices that cannot still get it in software
            p.mac = *spec.mac;
        } else {
            rte_ether_addr a;
            rte_eth_macaddr_get(id, &a);
            std::memcpy(p.mac.data(), a.addr_bytes, 6);
            // An af_packet port shares its MAC with the kernel interface; a locally administered
            // variant keeps frames for wildside apart from frames for that kernel (which drops
            // the other host's frames even in promiscuous mode).
            if (!kiface.empty()) p.mac[0] = uint8_t((p.mac[0] | 0x02) ^ 0x04);
        }
        if (spec.mtu != 1500) rte_eth_dev_set_mtu(id, uint16_t(spec.mtu));
        rte_eth_promiscuous_enable(id);
        if ((rc = rte_eth_dev_start(id)) < 0) return port_error(spec.link, "start", rc);
        if (spec.host) {
            p.kernel_ifindex = if_nametoindex(spec.link.c_str());
            if (!p.kernel_ifindex || !kernel_mac(spec.link, p.kernel_mac))
                return port_error(spec.link, "the TAP interface did not appear in this namespace", 0);
        }
        set->ports_.push_back(std::move(p));
    }
    return set;
}

PortSet::~PortSet() { stop_all(); }

std::vector<std::string> PortSet::wait_links_up(unsigned max_ms) const {
    std::vector<std::string> down;
    for (unsigned waited = 0;; waited += 50) {
        down.clear();
        for (const Port& p : ports_) {
            rte_eth_link l{};
            if (rte_eth_link_get_nowait(p.id, &l) == 0 && l.link_status == RTE_ETH_LINK_DOWN) down.push_back(p.link);
        }
        if (down.empty() || waited >= max_ms) return down;
        usleep(50 * 1000);
    }
}

bool PortSet::carrier(const Port& p) const {
    rte_eth_link l{};
    if (rte_eth_link_get_nowait(p.id, &l) != 0) return true;  // unknown: as it was configured
    if (l.link_status == RTE_ETH_LINK_DOWN) return false;
    rte_eth_dev_info info{};
    char name[IF_NAMESIZE];
    if (rte_eth_dev_info_get(p.id, &info) != 0 || !info.if_index || !if_indextoname(info.if_index, name)) return true;
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return true;
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name, sizeof ifr.ifr_name);
    const bool known = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    close(fd);
    return !known || ((ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING));
}

void PortSet::stop_all() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& p : ports_) {
        rte_eth_dev_stop(p.id);
        rte_eth_dev_close(p.id);  // net_pcap flushes and closes its files here
    }
}

const Port* PortSet::by_link(const std::string& link) const {
    for (const auto& p : ports_)
        if (p.link == link) return &p;
    return nullptr;
}

std::vector<WorkerConfig> PortSet::worker_configs(unsigned workers, rte_mempool* pool, unsigned idle_backoff_us) const {
    std::vector<WorkerConfig> cfgs(workers);
    for (unsigned w = 0; w < workers; ++w) {
        cfgs[w].id = w;
        cfgs[w].pool = pool;
        cfgs[w].idle_backoff_us = idle_backoff_us;
        cfgs[w].tx.resize(kMaxPorts);
    }
    for (const auto& p : ports_) {
        for (uint16_t q = 0; q < p.nb_rxq; ++q) cfgs[q % workers].rx.emplace_back(p.id, q);
        for (unsigned w = 0; w < workers; ++w) {
            TxQueue& t = cfgs[w].tx[p.id];
            t.queue = uint16_t(w % p.nb_txq);
            t.lock = p.tx_locks ? &p.tx_locks[t.queue] : nullptr;
        }
    }
    return cfgs;
}

void PortSet::set_mac(const std::string& link, const MacAddr& mac) {
    for (auto& p : ports_)
        if (p.link == link) {
            rte_ether_addr a;
            std::memcpy(a.addr_bytes, mac.data(), 6);
            rte_eth_dev_default_mac_addr_set(p.id, &a);
            p.mac = mac;
        }
}

void PortSet::set_mtu(const std::string& link, uint32_t mtu) {
    for (auto& p : ports_)
        if (p.link == link) rte_eth_dev_set_mtu(p.id, uint16_t(mtu));
}

}  // namespace dp
