#pragma once
// Route / Nexthop — one route alias as Linux keeps it (fib_alias + fib_info + fib_nh).
//
// The model (control/) and the compiled FIB share this type, so the lookup algorithm in
// fib_lookup.h runs unchanged over both. Identity (reference §2.3) is (table, dst, tos, metric).
#include <cstdint>
#include <span>
#include <vector>

#include "common/inet.h"
#include "dataplane/tables/route_type.h"

namespace dp {

enum NexthopFlags : uint8_t {
    kNhOnlink = 1,     // RTNH_F_ONLINK: the gateway is assumed on-link
    kNhDead = 2,       // RTNH_F_DEAD: the device is down
    kNhLinkdown = 4,   // RTNH_F_LINKDOWN: no carrier
    // Not a kernel flag: linkdown on a device whose ignore_routes_with_linkdown is set (Linux
    // tests the sysctl at lookup time; the model keeps this bit in step with it).
    kNhLinkdownIgnored = 8,
};
// The nexthops a lookup and fib_rebalance() pass over.
inline constexpr uint8_t kNhUnusable = kNhDead | kNhLinkdownIgnored;

struct Nexthop {
    ws::InetAddr gw;          // family kNone when the route has no gateway
    uint32_t ifindex = 0;
    int32_t upper_bound = 0;  // hash-threshold bound (fib_rebalance), -1 when unusable
    uint16_t weight = 1;      // 1..256
    uint8_t flags = 0;
    uint8_t scope = 0;        // nexthop scope: host for a device route, link for a gateway

    bool has_gw() const { return gw.valid(); }
    bool operator==(const Nexthop& o) const {
        return gw == o.gw && ifindex == o.ifindex && weight == o.weight && (flags & kNhOnlink) == (o.flags & kNhOnlink);
    }
};

// NexthopList — a route's nexthops, contiguous; the common single nexthop lives inline, so a
// million single-path routes cost no allocation each (std::vector would cost one per route).
class NexthopList {
public:
    NexthopList() = default;
    NexthopList(const NexthopList& o) { *this = o; }
    NexthopList& operator=(const NexthopList& o) {
        n_ = o.n_;
        one_ = o.one_;
        more_ = o.more_;
        return *this;
    }
    NexthopList(NexthopList&&) noexcept = default;
    NexthopList& operator=(NexthopList&&) noexcept = default;

    size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    Nexthop* data() { return n_ <= 1 ? &one_ : more_.data(); }
    const Nexthop* data() const { return n_ <= 1 ? &one_ : more_.data(); }
    Nexthop& operator[](size_t i) { return data()[i]; }
    const Nexthop& operator[](size_t i) const { return data()[i]; }
    Nexthop* begin() { return data(); }
    Nexthop* end() { return data() + n_; }
    const Nexthop* begin() const { return data(); }
    const Nexthop* end() const { return data() + n_; }
    void push_back(const Nexthop& nh) {
        if (n_ == 0) {
            one_ = nh;
        } else {
            if (n_ == 1) more_.assign(1, one_);
            more_.push_back(nh);
        }
        ++n_;
    }
    void push_front(const Nexthop& nh) {
        if (n_ == 0) {
            push_back(nh);
            return;
        }
        if (n_ == 1) more_.assign(1, one_);
        more_.insert(more_.begin(), nh);
        ++n_;
    }
    size_t heap_bytes() const { return more_.capacity() * sizeof(Nexthop); }
    bool operator==(const NexthopList& o) const {
        if (n_ != o.n_) return false;
        for (size_t i = 0; i < n_; ++i)
            if (!((*this)[i] == o[i])) return false;
        return true;
    }

private:
    uint32_t n_ = 0;
    Nexthop one_;
    std::vector<Nexthop> more_;  // all of them once there are two or more
};

struct Route {
    ws::InetPrefix dst;
    uint32_t table = 254;
    uint32_t metric = 0;
    RouteType type = RouteType::kUnicast;
    uint8_t tos = 0;
    uint8_t scope = 0;
    uint8_t protocol = 3;      // boot, iproute2's default
    bool multipath = false;    // given as a `nexthop` list: printed as one
    uint8_t pref = 0;          // IPv6 router preference: 1 low, 2 medium, 3 high (0: IPv4)
    // IPv6 ECMP: siblings are separate routes of one prefix and metric sharing a non-zero group
    // id (fib6_siblings), each with its own attributes and its one nexthop.
    uint32_t sibling_group = 0;
    ws::InetAddr prefsrc;      // `src`; family kNone when unset
    NexthopList nh;            // empty for error and throw routes

    bool is_error() const { return route_type_info(type).disposition == Disposition::kError; }
};

// The IPv6 sibling group of aliases[i] (itself alone when it has none), in sibling order
// starting at aliases[i] and wrapping: the order fib6_select_path() tries them in and
// `ip -6 route get ... fibmatch` prints them in.
std::vector<uint32_t> siblings_from(std::span<const Route> aliases, size_t i);
// rt6_multipath_rebalance(): the upper bounds over a sibling group's nexthops, in order.
void rebalance_siblings(std::span<Route> aliases, uint32_t group);

// Recomputes the hash-threshold upper bounds of a route's nexthops, as fib_rebalance():
// bound_i = round((w_1 + ... + w_i) << 31 / total) - 1 over the usable nexthops, -1 for the rest.
void rebalance(Route& r);

}  // namespace dp
