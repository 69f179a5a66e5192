#pragma once
// Interfaces — the links and their addresses as the lookup needs them: ifindex, name, state,
// group, and each link's address list in the kernel's order (in_dev->ifa_list).
//
// Source selection (select_source) follows inet_select_addr(): the first primary address of the
// device whose scope suits and whose subnet holds the destination, else the first suitable one,
// else the first suitable address of any device in ifindex order (lo first).
#include <cstdint>
#include <string>
#include <vector>

#include "common/inet.h"

namespace dp {

struct IfAddr {
    ws::InetAddr local;
    uint8_t prefixlen = 32;
    uint8_t scope = 0;          // global 0, link 253, host 254
    bool secondary = false;     // same subnet as an earlier address (IFA_F_SECONDARY)
    bool contains(const ws::InetAddr& a) const { return ws::InetPrefix{local, prefixlen}.contains(a); }
};

struct Link {
    uint32_t ifindex = 0;
    std::string name;
    bool up = false;
    bool carrier = true;   // the port's link (IFF_LOWER_UP); false: NO-CARRIER
    bool loopback = false;
    uint32_t group = 0;
    uint32_t mtu = 1500;
    std::vector<IfAddr> addrs;  // both families, kernel order within each family
};

class Interfaces {
public:
    std::vector<Link> links;  // ascending ifindex; lo is ifindex 1

    const Link* find(uint32_t ifindex) const;
    const Link* find(std::string_view name) const;
    // The device holding a local address, or nullptr (__ip_dev_find()).
    const Link* owner_of(const ws::InetAddr& a) const;
    // inet_select_addr(dev, dst, scope); a zero address of the family when nothing suits.
    ws::InetAddr select_source(uint32_t ifindex, const ws::InetAddr& dst, uint8_t scope, ws::Family f) const;
    // ipv6_dev_get_saddr() (RFC 6724 source selection): out_dev's addresses only for multicast
    // and link-local destinations, else every device's; zero address when none qualifies.
    ws::InetAddr select_source6(uint32_t out_dev, const ws::InetAddr& dst) const;
    // inet_addr_onlink(): a (and b, when non-zero) in the subnet of one of the link's addresses.
    bool onlink(uint32_t ifindex, const ws::InetAddr& a, const ws::InetAddr& b) const;
};

}  // namespace dp
