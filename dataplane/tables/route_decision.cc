#include "dataplane/tables/route_decision.h"

#include <cstring>

namespace dp {

namespace {

bool is_local_dev(const Interfaces& ifs, uint32_t ifindex) {
    const Link* l = ifs.find(ifindex);
    return l && l->loopback;
}

uint32_t loopback_ifindex(const Interfaces& ifs) {
    for (const auto& l : ifs.links)
        if (l.loopback) return l.ifindex;
    return sel::kLoopbackIfindex;
}

// __ip_dev_find(): the device holding a local address, or, failing that, the device of a
// `local` route in table local covering it.
uint32_t dev_of_local_address(const Routing& r, const ws::InetAddr& a) {
    if (const Link* l = r.ifs.owner_of(a)) return l->ifindex;
    sel::FlowKey k;
    k.daddr = a;
    FibResult res = local_table_lookup(r.v4, k);
    if (res.ok() && res.route->type == RouteType::kLocal) return res.route->nh[res.nh_index].ifindex;
    return 0;
}

// nh_saddr: the source the kernel caches per nexthop (fib_info_update_nhc_saddr()).
ws::InetAddr nexthop_source(const Interfaces& ifs, const Route& r, const Nexthop& nh) {
    return ifs.select_source(nh.ifindex, nh.gw, r.scope, r.dst.addr.family);
}

// fib_select_multipath(): hash-threshold; since Linux 6.16 an output lookup with a source
// prefers the nexthops whose cached source equals it (score 2 + hash hit 1, first best wins).
uint32_t select_multipath(const Interfaces& ifs, const Route& r, uint32_t hash, const ws::InetAddr* saddr) {
    int best_score = -1;
    uint32_t best = 0;
    for (uint32_t i = 0; i < r.nh.size(); ++i) {
        const Nexthop& nh = r.nh[i];
        if (nh.upper_bound == -1) continue;
        int score = (int(hash) <= nh.upper_bound) ? 1 : 0;
        if (saddr && nexthop_source(ifs, r, nh) == *saddr) score += 2;
        if (score > best_score) {
            best_score = score;
            best = i;
            if (score == (saddr ? 3 : 1)) break;
        }
    }
    return best;
}

// fib_result_prefsrc(): the route's `src`, else the chosen nexthop's cached source.
ws::InetAddr result_prefsrc(const Interfaces& ifs, const FibResult& res) {
    if (res.route->prefsrc.valid()) return res.route->prefsrc;
    return nexthop_source(ifs, *res.route, res.route->nh[res.nh_index]);
}

bool is_multicast_joined(const ws::InetAddr& a) { return a.is_v4() && a.v4() == 0xe0000001u; }  // 224.0.0.1

// __mkroute_output(): type overrides for broadcast/multicast destinations and the flags.
RouteDecision make_output(const Routing& r, const sel::FlowKey& k, const FibResult* res, uint32_t dev_out,
                          RouteType type, uint32_t flags) {
    RouteDecision d;
    const Interfaces& ifs = r.ifs;
    if (k.saddr.is_loopback() && !is_local_dev(ifs, dev_out)) {
        d.error = EINVAL;
        return d;
    }
    bool drop_fi = false;
    // 0.0.0.0/8 destinations are routable on current kernels (no zeronet check here).
    if (k.daddr.is_lbcast()) type = RouteType::kBroadcast;
    else if (k.daddr.is_multicast()) type = RouteType::kMulticast;
    if (is_local_dev(ifs, dev_out)) flags |= kRtcfLocal;
    if (type == RouteType::kBroadcast) {
        flags |= kRtcfBroadcast | kRtcfLocal;
        drop_fi = true;
    } else if (type == RouteType::kMulticast) {
        flags |= kRtcfMulticast | kRtcfLocal;
        if (!is_multicast_joined(k.daddr)) flags &= ~kRtcfLocal;
        if (res && res->prefixlen < 4) drop_fi = true;
    }
    d.type = type;
    d.dev = dev_out;
    d.saddr = k.saddr;
    d.cache_flags = flags;
    if (res) {
        d.has_table = true;
        d.table = res->table;
        d.rule_priority = res->rule_priority;
        d.rule_index = res->rule_index;
        d.route = res->route;
        d.prefixlen = res->prefixlen;
        d.tos = res->route ? res->route->tos : 0;
        if (res->route && !drop_fi && !res->route->nh.empty()) {
            const Nexthop& nh = res->route->nh[res->nh_index];
            if (nh.has_gw() && nh.scope == kScopeLink) d.gateway = nh.gw;
        }
    }
    return d;
}

// fib_validate_source(): the reverse-path check of the input path (rp_filter off, as in a new
// namespace). Returns < 0 for a martian source, else 1 when the source is directly connected
// through the input device (the ICMP-redirect condition), else 0.
int validate_source(const Routing& r, const sel::FlowKey& k, uint32_t oif, uint32_t in_dev) {
    const FamilyRouting& fr = r.v4;
    const Link* dev = r.ifs.find(in_dev);
    const bool tx_redirects = true;  // net.ipv4.conf.*.send_redirects defaults to 1
    if (in_dev != oif || !tx_redirects) {
        if (!fr.custom_local_routes && !fr.custom_rules) {
            if (r.ifs.owner_of(k.saddr)) return -EINVAL;
            return 0;
        }
    }
    sel::FlowKey rk;
    rk.daddr = k.saddr;
    rk.saddr = k.daddr;
    rk.iif = oif ? oif : loopback_ifindex(r.ifs);
    rk.tos = k.tos;
    rk.uid = 0;
    rk.mark = 0;  // src_valid_mark is off
    rk.proto = k.proto;
    rk.sport = k.dport;
    rk.dport = k.sport;
    FibResult res = fib_lookup(fr, r.ifs, rk, 0);
    if (!res.ok()) return 0;  // last resort: no rp_filter
    if (res.route->type != RouteType::kUnicast) return -EINVAL;
    bool dev_match = false;
    for (const auto& nh : res.route->nh) dev_match |= nh.ifindex == in_dev;
    if (dev_match) return res.route->nh[res.nh_index].scope >= kScopeHost ? 1 : 0;
    bool no_addr = true;
    if (dev)
        for (const auto& a : dev->addrs) no_addr &= !a.local.is_v4();
    if (no_addr) return 0;
    rk.oif = in_dev;
    FibResult res2 = fib_lookup(fr, r.ifs, rk, kLookupIgnoreLinkstate);
    if (res2.ok() && res2.route->type == RouteType::kUnicast)
        return res2.route->nh[res2.nh_index].scope >= kScopeHost ? 1 : 0;
    return 0;
}

RouteDecision error_decision(int err, const FibResult* res = nullptr) {
    RouteDecision d;
    d.error = err;
    if (res) {
        d.rule_priority = res->rule_priority;
        d.rule_index = res->rule_index;
        d.table = res->table;
        d.has_table = res->route != nullptr;
        d.route = res->route;
    }
    return d;
}

RouteDecision martian(Martian why) {
    RouteDecision d = error_decision(EINVAL);
    d.martian = why;
    return d;
}

}  // namespace

ws::InetAddr route_source(const Interfaces& ifs, const Route& r) {
    if (r.prefsrc.valid()) return r.prefsrc;
    if (r.nh.empty()) return ws::InetAddr::zero(r.dst.addr.family);
    if (r.dst.addr.is_v6()) return ifs.select_source6(r.nh[0].ifindex, r.nh[0].has_gw() ? r.nh[0].gw : r.dst.addr);
    return nexthop_source(ifs, r, r.nh[0]);
}

uint32_t multipath_hash(const sel::FlowKey& k) {
    // A 32-bit mix of source and destination (policy 0: L3 only), reduced to 31 bits.
    uint64_t h = 0x9e3779b97f4a7c15ull;
    auto mix = [&](const ws::InetAddr& a) {
        for (unsigned i = 0; i < 16; i += 8) {
            uint64_t w;
            std::memcpy(&w, a.b.data() + i, 8);
            h ^= w;
            h *= 0xff51afd7ed558ccdull;
            h ^= h >> 33;
        }
    };
    mix(k.saddr);
    mix(k.daddr);
    return uint32_t(h >> 33) & 0x7fffffffu;
}

RouteDecision route_output(const Routing& r, sel::FlowKey k) {
    if (k.daddr.is_v6()) return route_output6(r, k);
    const Interfaces& ifs = r.ifs;
    k.iif = loopback_ifindex(ifs);
    k.scope = kScopeUniverse;
    uint32_t dev_out = 0;
    if (!k.saddr.is_zero()) {
        if (k.saddr.is_multicast() || k.saddr.is_lbcast() || k.saddr.is_zeronet()) return error_decision(EINVAL);
        const uint32_t owner = dev_of_local_address(r, k.saddr);
        if (!k.oif && (k.daddr.is_multicast() || k.daddr.is_lbcast())) {
            if (!owner) return error_decision(ENETUNREACH);
            k.oif = owner;
            return make_output(r, k, nullptr, k.oif, RouteType::kUnicast, 0);
        }
        if (!owner) return error_decision(ENETUNREACH);
    }
    if (k.oif) {
        const Link* l = ifs.find(k.oif);
        if (!l) return error_decision(ENODEV);
        if (!l->up) return error_decision(ENETUNREACH);
        dev_out = k.oif;
        if (k.daddr.is_local_multicast() || k.daddr.is_lbcast()) {
            if (k.saddr.is_zero()) k.saddr = ifs.select_source(dev_out, {}, kScopeLink, ws::Family::kInet);
            return make_output(r, k, nullptr, dev_out, RouteType::kUnicast, 0);
        }
        if (k.saddr.is_zero() && k.daddr.is_multicast())
            k.saddr = ifs.select_source(dev_out, {}, k.scope, ws::Family::kInet);
    }
    if (k.daddr.is_zero()) {
        k.daddr = k.saddr;
        if (k.daddr.is_zero()) k.daddr = k.saddr = ws::InetAddr::v4(0x7f000001u);
        k.oif = loopback_ifindex(ifs);
        return make_output(r, k, nullptr, k.oif, RouteType::kLocal, kRtcfLocal);
    }
    FibResult res = fib_lookup(r.v4, ifs, k, 0);
    if (!res.ok()) {
        if (k.oif) {
            // "Apparently, routing tables are wrong. Assume, that the destination is on link."
            if (k.saddr.is_zero()) k.saddr = ifs.select_source(dev_out, {}, kScopeLink, ws::Family::kInet);
            return make_output(r, k, nullptr, dev_out, RouteType::kUnicast, 0);
        }
        return error_decision(res.error, &res);
    }
    if (res.route->type == RouteType::kLocal) {
        if (k.saddr.is_zero()) k.saddr = res.route->prefsrc.valid() ? res.route->prefsrc : k.daddr;
        k.oif = loopback_ifindex(ifs);
        return make_output(r, k, &res, k.oif, RouteType::kLocal, kRtcfLocal);
    }
    // fib_select_path()
    if (!k.oif && res.route->nh.size() > 1)
        res.nh_index = select_multipath(ifs, *res.route, multipath_hash(k), k.saddr.is_zero() ? nullptr : &k.saddr);
    if (k.saddr.is_zero()) k.saddr = result_prefsrc(ifs, res);
    dev_out = res.route->nh[res.nh_index].ifindex;
    return make_output(r, k, &res, dev_out, res.route->type, 0);
}

RouteDecision route_input(const Routing& r, sel::FlowKey k) {
    if (k.daddr.is_v6()) return route_input6(r, k);
    const Interfaces& ifs = r.ifs;
    const uint32_t in_dev = k.iif;
    const Link* in = ifs.find(in_dev);
    if (!in) return error_decision(ENODEV);
    k.oif = 0;
    k.uid = 0;
    k.scope = kScopeUniverse;
    if (!r.v4.require_fldissect) k.proto = 0, k.sport = 0, k.dport = 0;
    const ws::InetAddr& s = k.saddr;
    const ws::InetAddr& d = k.daddr;
    if (d.is_multicast()) return martian(Martian::kDestination);  // not joined, no multicast forwarding
    if (s.is_multicast() || s.is_lbcast()) return martian(Martian::kSource);
    RouteDecision out;
    out.saddr = s;
    auto local_input = [&](const FibResult* res, RouteType type, uint32_t flags) {
        out.type = type;
        out.dev = loopback_ifindex(ifs);
        out.cache_flags = flags | kRtcfLocal;
        if (res) {
            out.has_table = true;
            out.table = res->table;
            out.rule_priority = res->rule_priority;
            out.rule_index = res->rule_index;
            out.route = res->route;
            out.prefixlen = res->prefixlen;
            out.tos = res->route->tos;
        }
        return out;
    };
    if (d.is_lbcast() || (s.is_zero() && d.is_zero())) return local_input(nullptr, RouteType::kBroadcast, kRtcfBroadcast);
    if (s.is_zeronet()) return martian(Martian::kSource);
    if (d.is_zeronet()) return martian(Martian::kDestination);
    if (d.is_loopback()) return martian(Martian::kDestination);  // route_localnet off
    if (s.is_loopback()) return martian(Martian::kSource);
    FibResult res = fib_lookup(r.v4, ifs, k, 0);
    if (!res.ok()) return error_decision(res.error, &res);
    if (res.route->type == RouteType::kBroadcast) {
        if (!s.is_zeronet() && validate_source(r, k, 0, in_dev) < 0) return martian(Martian::kSource);
        return local_input(&res, RouteType::kBroadcast, kRtcfBroadcast);
    }
    if (res.route->type == RouteType::kLocal) {
        if (validate_source(r, k, 0, in_dev) < 0) return martian(Martian::kSource);
        return local_input(&res, RouteType::kLocal, 0);
    }
    if (res.route->type != RouteType::kUnicast) return martian(Martian::kDestination);
    // ip_mkroute_input(): multipath choice, then __mkroute_input().
    if (res.route->nh.size() > 1) res.nh_index = select_multipath(ifs, *res.route, multipath_hash(k), nullptr);
    const Nexthop& nh = res.route->nh[res.nh_index];
    int v = validate_source(r, k, nh.ifindex, in_dev);
    if (v < 0) return martian(Martian::kSource);
    out.type = RouteType::kUnicast;
    out.has_table = true;
    out.table = res.table;
    out.rule_priority = res.rule_priority;
    out.rule_index = res.rule_index;
    out.route = res.route;
    out.prefixlen = res.prefixlen;
    out.tos = res.route->tos;
    out.dev = nh.ifindex;
    if (nh.has_gw() && nh.scope == kScopeLink) out.gateway = nh.gw;
    // shared_media defaults to 1, so the redirect flag needs only the same device and v > 0.
    if (nh.ifindex == in_dev && v > 0) out.cache_flags |= kRtcfDoRedirect;
    return out;
}

}  // namespace dp
