// route_output()/route_input() for IPv6: ip6_route_output_flags() and ip6_route_input_lookup()
// over ip6_pol_route(), as `ip -6 route get` shows them (reference notes on IPv6: no martian
// checks on input, no on-link guess for an oif, strict device matching only where the kernel
// applies RT6_LOOKUP_F_IFACE).
#include "dataplane/tables/route_decision.h"

namespace dp {

namespace {

// rt6_need_strict(): multicast, link-local and loopback destinations must use the given device.
bool need_strict(const ws::InetAddr& d) { return d.is_multicast() || d.is_link_local6() || d.is_loopback(); }

// fib6_select_path(): when the selected route has siblings, the flow hash picks one — the
// selected route itself when the hash is within its bound, else the next sibling (in sibling
// order, wrapping) whose bound holds it, unless that one fails the device check.
void select_sibling(FibResult& res, const sel::FlowKey& k, uint32_t flags) {
    if (!res.route->sibling_group || res.route->nh.empty()) return;
    const uint32_t hash = multipath_hash(k);
    if (int(hash) <= res.route->nh[0].upper_bound) return;
    const auto group = siblings_from(res.aliases, size_t(res.route - res.aliases.data()));
    for (size_t step = 1; step < group.size(); ++step) {
        const Route& sib = res.aliases[group[step]];
        if (int(hash) > sib.nh[0].upper_bound) continue;
        if (score6(sib, sib.nh[0].ifindex, k, flags) < 0) return;
        res.route = &sib;
        res.nh_index = 0;
        return;
    }
}

RouteDecision decide6(const Routing& rt, const sel::FlowKey& k, uint32_t flags, bool input) {
    FibResult res = fib_lookup(rt.v6, rt.ifs, k, flags);
    RouteDecision d;
    d.rule_priority = res.rule_priority;
    d.rule_index = res.rule_index;
    d.table = res.table;
    if (!res.ok()) {
        d.error = res.error == EAGAIN ? ENETUNREACH : res.error;
        d.route = res.route;  // the error route (blackhole, unreachable, prohibit), if one decided
        return d;
    }
    select_sibling(res, k, flags);
    const Route& r = *res.route;
    const Nexthop& nh = r.nh[res.nh_index];
    d.type = r.type;
    d.has_table = true;
    d.route = &r;
    d.aliases = res.aliases;
    d.prefixlen = res.prefixlen;
    d.dev = nh.ifindex;
    // ip6_rt_get_dev_rcu(): local routes and the kernel's anycast routes deliver through lo.
    if (r.type == RouteType::kLocal || (r.type == RouteType::kAnycast && r.protocol == 2)) d.dev = sel::kLoopbackIfindex;
    if (nh.has_gw()) d.gateway = nh.gw;
    if (r.prefsrc.valid()) d.saddr = r.prefsrc;
    else if (!input) d.saddr = rt.ifs.select_source6(nh.ifindex, k.daddr);
    return d;
}

}  // namespace

RouteDecision route_output6(const Routing& r, sel::FlowKey k) {
    k.iif = sel::kLoopbackIfindex;
    k.route_oif = k.oif;
    uint32_t flags = 0;
    if (need_strict(k.daddr) || (k.oif && k.saddr.is_zero())) flags |= kLookupStrictIface;
    return decide6(r, k, flags, false);
}

RouteDecision route_input6(const Routing& r, sel::FlowKey k) {
    if (!r.ifs.find(k.iif)) {
        RouteDecision d;
        d.error = ENODEV;
        return d;
    }
    k.oif = 0;
    k.route_oif = k.iif;  // ip6_pol_route_input(): the input device takes the oif's place
    uint32_t flags = need_strict(k.daddr) ? uint32_t(kLookupStrictIface) : 0u;
    RouteDecision d = decide6(r, k, flags, true);
    // rt6_fill_node() asks the multicast routing cache for an input route to a group through a
    // multicast prefix and, with none there, `ip -6 route get` fails with EMSGSIZE.
    if (!d.error && k.daddr.is_multicast() && d.route->dst.len && d.route->dst.addr.is_multicast()) d.error = EMSGSIZE;
    return d;
}

}  // namespace dp
