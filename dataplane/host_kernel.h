#pragma once
// HostKernel — keeps the gateway's own kernel configured behind its host (TAP) interface, over
// rtnetlink: the TAP up with the link's MTU, every address of the gateway on it as a host
// prefix (/32, /128 nodad: the kernel owns them but adds no subnet routes), a default route
// through it for each family, and one route per prefix that carries a preferred source
// (`ip route add ... src A`), so that the kernel picks the source wildside's routing would give
// its traffic (DESIGN "iif lo"). Everything the kernel then sends comes back to wildside, which
// routes it with `iif lo` semantics; sync() adds and removes only what it added itself.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/inet.h"
#include "common/result.h"

namespace dp {

struct KernelRoute {
    ws::InetPrefix dst;
    ws::InetAddr src;  // family kNone: no preferred source
    bool operator<(const KernelRoute& o) const {
        if (!(dst.addr == o.dst.addr)) return dst.addr < o.dst.addr;
        if (dst.len != o.dst.len) return dst.len < o.dst.len;
        return src < o.src;
    }
    bool operator==(const KernelRoute& o) const { return dst == o.dst && src == o.src; }
};

struct KernelView {
    std::vector<ws::InetAddr> addrs;
    std::vector<KernelRoute> routes;
    uint32_t mtu = 1500;
};

class HostKernel {
public:
    explicit HostKernel(unsigned ifindex) : ifindex_(ifindex) {}
    ws::Status sync(const KernelView& v);

private:
    unsigned ifindex_;
    std::set<ws::InetAddr> addrs_;
    std::set<KernelRoute> routes_;
};

}  // namespace dp
