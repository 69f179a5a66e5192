#include "dataplane/host_kernel.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dp {
namespace {

class Netlink {
public:
    Netlink() {
        fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    }
    ~Netlink() {
        if (fd_ >= 0) close(fd_);
    }
    bool ok() const { return fd_ >= 0; }

    // Sends one request and waits for its acknowledgement; returns 0 or a negative errno.
    int request(nlmsghdr* h) {
        h->nlmsg_seq = ++seq_;
        h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        sockaddr_nl sa{};
        sa.nl_family = AF_NETLINK;
        if (sendto(fd_, h, h->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return -errno;
        char buf[4096];
        for (;;) {
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            if (n < 0) return -errno;
            for (auto* r = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(r, size_t(n)); r = NLMSG_NEXT(r, n)) {
                if (r->nlmsg_seq != seq_) continue;
                if (r->nlmsg_type == NLMSG_ERROR) return reinterpret_cast<nlmsgerr*>(NLMSG_DATA(r))->error;
            }
        }
    }

private:
    int fd_ = -1;
    uint32_t seq_ = 0;
};

struct Msg {
    alignas(NLMSG_ALIGNTO) char buf[512]{};
    nlmsghdr* h() { return reinterpret_cast<nlmsghdr*>(buf); }
    void attr(uint16_t type, const void* data, size_t len) {
        auto* a = reinterpret_cast<rtattr*>(buf + NLMSG_ALIGN(h()->nlmsg_len));
        a->rta_type = type;
        a->rta_len = uint16_t(RTA_LENGTH(len));
        std::memcpy(RTA_DATA(a), data, len);
        h()->nlmsg_len = NLMSG_ALIGN(h()->nlmsg_len) + RTA_ALIGN(a->rta_len);
    }
};

int af(const ws::InetAddr& a) { return a.is_v6() ? AF_INET6 : AF_INET; }

int addr_msg(Netlink& nl, uint16_t type, unsigned ifindex, const ws::InetAddr& a) {
    Msg m;
    m.h()->nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
    m.h()->nlmsg_type = type;
    if (type == RTM_NEWADDR) m.h()->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    auto* ifa = reinterpret_cast<ifaddrmsg*>(NLMSG_DATA(m.h()));
    ifa->ifa_family = uint8_t(af(a));
    ifa->ifa_prefixlen = uint8_t(a.bits());
    ifa->ifa_flags = a.is_v6() ? IFA_F_NODAD : 0;
    ifa->ifa_index = ifindex;
    m.attr(IFA_LOCAL, a.b.data(), a.bytes());
    m.attr(IFA_ADDRESS, a.b.data(), a.bytes());
    return nl.request(m.h());
}

int route_msg(Netlink& nl, uint16_t type, unsigned ifindex, const KernelRoute& r) {
    Msg m;
    m.h()->nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
    m.h()->nlmsg_type = type;
    if (type == RTM_NEWROUTE) m.h()->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    auto* rt = reinterpret_cast<rtmsg*>(NLMSG_DATA(m.h()));
    rt->rtm_family = uint8_t(af(r.dst.addr));
    rt->rtm_dst_len = r.dst.len;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_STATIC;
    rt->rtm_scope = RT_SCOPE_LINK;
    rt->rtm_type = RTN_UNICAST;
    if (r.dst.len) m.attr(RTA_DST, r.dst.addr.b.data(), r.dst.addr.bytes());
    uint32_t oif = ifindex;
    m.attr(RTA_OIF, &oif, sizeof oif);
    if (r.src.valid()) m.attr(RTA_PREFSRC, r.src.b.data(), r.src.bytes());
    return nl.request(m.h());
}

int link_up(unsigned ifindex, uint32_t mtu) {
    char name[IF_NAMESIZE];
    if (!if_indextoname(ifindex, name)) return -errno;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name, IF_NAMESIZE);
    int rc = 0;
    ifr.ifr_mtu = int(mtu);
    ioctl(fd, SIOCSIFMTU, &ifr);  // best effort: the TAP keeps 1500 if refused
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) rc = -errno;
    ifr.ifr_flags = short(ifr.ifr_flags | IFF_UP);
    if (!rc && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) rc = -errno;
    close(fd);
    return rc;
}

ws::Error kernel_error(const std::string& what, int rc) {
    return ws::make_error(ws::Errc::kIo, "host interface: " + what + ": " + std::strerror(-rc));
}

}  // namespace

ws::Status HostKernel::sync(const KernelView& v) {
    Netlink nl;
    if (!nl.ok()) return kernel_error("netlink socket", -errno);
    if (int rc = link_up(ifindex_, v.mtu); rc < 0) return kernel_error("link up", rc);
    std::set<ws::InetAddr> want_addrs(v.addrs.begin(), v.addrs.end());
    std::set<KernelRoute> want_routes(v.routes.begin(), v.routes.end());
    for (const auto& r : routes_)
        if (!want_routes.count(r)) route_msg(nl, RTM_DELROUTE, ifindex_, r);
    for (const auto& a : addrs_)
        if (!want_addrs.count(a)) addr_msg(nl, RTM_DELADDR, ifindex_, a);
    for (const auto& a : want_addrs)
        if (!addrs_.count(a))
            if (int rc = addr_msg(nl, RTM_NEWADDR, ifindex_, a); rc < 0 && rc != -EEXIST)
                return kernel_error("address " + a.format(), rc);
    for (const auto& r : want_routes)
        if (!routes_.count(r))
            if (int rc = route_msg(nl, RTM_NEWROUTE, ifindex_, r); rc < 0 && rc != -EEXIST)
                return kernel_error("route " + r.dst.format(true), rc);
    addrs_ = std::move(want_addrs);
    routes_ = std::move(want_routes);
    return {};
}

}  // namespace dp
