// Model: rules and routes (fib_nl_newrule/delrule, fib_table_insert/delete and their checks).
#include <algorithm>

#include "control/model/model.h"

namespace ctl {

using dp::kScopeHost;
using dp::kScopeLink;
using dp::kScopeNowhere;
using ws::Errc;
using ws::make_error;

namespace {

ws::Error kernel_error(std::string msg, Errc code = Errc::kInvalid) { return make_error(code, std::move(msg)); }

}  // namespace

// fib_default_rule_pref(): the second rule's priority minus one, else 0.
static uint32_t default_pref(const std::vector<dp::Rule>& rules) {
    if (rules.size() >= 2 && rules[1].priority != 0) return rules[1].priority - 1;
    return 0;
}

ws::Status Model::rule_add(ws::Family f, RuleRequest req) {
    FamilyModel& fm = family(f);
    dp::Rule& r = req.rule;
    if (!req.has_priority) r.priority = default_pref(fm.rules);
    if (f == ws::Family::kInet6 && r.action == dp::RuleAction::kToTable) {
        if (r.table == dp::kTableUnspec) return kernel_error("Error: Invalid table.");
        fm.table(r.table);  // fib6_rule_configure() creates the table (its place in dumps)
    }
    if (r.action == dp::RuleAction::kToTable && r.table == dp::kTableUnspec) {
        // fib_empty_table(): the lowest table id that does not exist yet.
        uint32_t id = 1;
        while (fm.existing_tables.count(id)) ++id;
        fm.table(id);
        r.table = id;
    }
    if (r.action == dp::RuleAction::kGoto && r.goto_target <= r.priority)
        return kernel_error("Error: Backward goto not supported.");
    for (const auto& o : fm.rules)
        if (rule_identical(o, r)) return kernel_error("RTNETLINK answers: File exists", Errc::kExists);
    auto pos = std::find_if(fm.rules.begin(), fm.rules.end(), [&](const dp::Rule& o) { return o.priority > r.priority; });
    fm.rules.insert(pos, std::move(r));
    fm.custom_rules = true;
    invalidate_lookups();
    fm.resolve_gotos();
    reattach_rules();
    return {};
}

ws::Status Model::rule_del(ws::Family f, const RuleRequest& req) {
    FamilyModel& fm = family(f);
    for (auto it = fm.rules.begin(); it != fm.rules.end(); ++it) {
        if (!rule_matches_request(*it, req)) continue;
        fm.rules.erase(it);
        fm.custom_rules = true;  // fib4_rule_delete() unmerges local from main too
        fm.resolve_gotos();
        invalidate_lookups();
        return {};
    }
    return kernel_error("RTNETLINK answers: No such file or directory", Errc::kNotFound);
}

void Model::rule_flush(ws::Family f) {
    FamilyModel& fm = family(f);
    if (std::erase_if(fm.rules, [](const dp::Rule& r) { return r.priority != 0; })) fm.custom_rules = true;
    fm.resolve_gotos();
    invalidate_lookups();
}

bool Model::is_local_address(ws::Family f, const ws::InetAddr& a, uint32_t table) const {
    const FamilyModel& fm = family(f);
    sel::FlowKey k;
    k.daddr = a;
    dp::FibResult res;
    if (table == dp::kTableLocal) {
        res = dp::local_table_lookup(fm, k);
    } else if (const RouteTable* t = fm.table_by_id(table)) {
        res = dp::table_lookup(*t, k, 0);
    }
    return res.ok() && res.route->type == dp::RouteType::kLocal;
}

// fib_check_nh_v4_gw(): an onlink gateway needs its device up; any other must resolve through a
// link- or host-scope route (in the route's table first, then by the full rule walk from lo).
ws::Status Model::check_gateway(ws::Family f, dp::Route& r, dp::Nexthop& nh) {
    if (nh.flags & dp::kNhOnlink) {
        if (r.scope >= kScopeLink) return kernel_error("Error: Nexthop has invalid scope.");
        const dp::Link* dev = ifs.find(nh.ifindex);
        if (!nh.ifindex || !dev) return kernel_error("Error: Nexthop device required for onlink.");
        if (!dev->up) return kernel_error("Error: Nexthop device is not up.");
        if (is_local_address(f, nh.gw, dp::kTableLocal) || nh.gw.is_multicast() || nh.gw.is_lbcast() || nh.gw.is_zero())
            return kernel_error("Error: Nexthop has invalid gateway.");
        nh.scope = kScopeLink;
        return {};
    }
    const uint8_t scope = std::max<uint8_t>(uint8_t(r.scope + 1), kScopeLink);
    const GatewayKey key{nh.gw, nh.ifindex, r.table, scope};
    auto cached = gateway_cache_.find(key);
    if (cached == gateway_cache_.end()) {
        sel::FlowKey k;
        k.daddr = nh.gw;
        k.saddr = ws::InetAddr::zero(f);  // rules see an unbound source
        k.scope = scope;
        k.oif = nh.ifindex;
        k.iif = sel::kLoopbackIfindex;
        FamilyModel& fm = family(f);
        dp::FibResult res;
        res.error = ENETUNREACH;
        if (r.table != dp::kTableMain) {
            if (const RouteTable* t = fm.table_by_id(r.table)) res = dp::table_lookup(*t, k, dp::kLookupIgnoreLinkstate);
        }
        if (!res.ok()) res = dp::fib_lookup(fm, ifs, k, dp::kLookupIgnoreLinkstate);
        GatewayAnswer ans;
        ans.ok = res.ok() && (res.route->type == dp::RouteType::kUnicast || res.route->type == dp::RouteType::kLocal);
        if (ans.ok) {
            ans.scope = res.route->scope;
            ans.ifindex = res.route->nh[res.nh_index].ifindex;
        }
        cached = gateway_cache_.emplace(key, ans).first;
    }
    if (!cached->second.ok) return kernel_error("Error: Nexthop has invalid gateway.");
    nh.scope = cached->second.scope;
    nh.ifindex = cached->second.ifindex;
    const dp::Link* dev = ifs.find(nh.ifindex);
    if (!dev || !dev->up) return kernel_error("RTNETLINK answers: Network is down");
    return {};
}

ws::Status Model::resolve_nexthops(ws::Family f, RouteRequest& req) {
    dp::Route& r = req.route;
    WS_TRY(resolve_devices(req));
    if (r.is_error() || r.type == dp::RouteType::kThrow) {
        if (!r.nh.empty()) return kernel_error("Error: Gateway, device and multipath can not be specified for this route type.");
        return {};
    }
    if (r.nh.empty()) return kernel_error("RTNETLINK answers: No such device");
    if (r.scope == kScopeHost) {
        if (r.nh.size() != 1) return kernel_error("Error: Route with host scope can not have multiple nexthops.");
        if (r.nh[0].has_gw()) return kernel_error("Error: Route with host scope can not have a gateway.");
        if (!r.nh[0].ifindex) return kernel_error("RTNETLINK answers: No such device");
        r.nh[0].scope = kScopeNowhere;
        return {};
    }
    for (auto& nh : r.nh) {
        if (nh.has_gw()) {
            WS_TRY(check_gateway(f, r, nh));
            continue;
        }
        if (nh.flags & dp::kNhOnlink) return kernel_error("Error: Invalid flags for nexthop - can not contain DEAD or ONLINK.");
        const dp::Link* dev = ifs.find(nh.ifindex);
        if (!nh.ifindex || !dev) return kernel_error("Error: Nexthop device required.");  // fib_check_nh_nongw
        if (!dev->up) return kernel_error("Error: Nexthop device is not up.");
        nh.scope = kScopeHost;
    }
    flag_linkdown(f, r);
    dp::rebalance(r);
    return {};
}

ws::Status Model::resolve_devices(RouteRequest& req) {
    for (size_t i = 0; i < req.route.nh.size(); ++i) {
        const std::string& name = req.nh_dev[i];
        if (name.empty()) continue;
        const dp::Link* l = link(name);
        if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + name + "\"", name);
        req.route.nh[i].ifindex = l->ifindex;
    }
    return {};
}

// ip6_validate_gw(): not unspecified or multicast, not one of ours; a link-local gateway needs
// its device; any other must resolve to a device route (no gateway, no reject) in the route's
// table or by the rules, on the given device if there is one.
ws::Status Model::check_gateway6(dp::Route& r, dp::Nexthop& nh, bool table_given) {
    if (nh.gw.is_zero() || nh.gw.is_multicast()) return kernel_error("Error: Invalid gateway address.");
    // ipv6_chk_addr_and_flags(): a link-local gateway is ours only on the route's own device.
    const dp::Link* owner = ifs.owner_of(nh.gw);
    if (owner && (!nh.gw.is_link_local6() || owner->ifindex == nh.ifindex))
        return kernel_error("Error: Gateway can not be a local address.");
    sel::FlowKey k;
    k.daddr = nh.gw;
    k.saddr = ws::InetAddr::zero(ws::Family::kInet6);
    k.oif = nh.ifindex;
    k.route_oif = nh.ifindex;
    k.iif = 0;  // rt6_lookup() carries no iif: `iif lo` rules do not see gateway checks
    // fib6_is_reject(): error routes, and routes through lo, resolve no gateway.
    auto reject = [](const dp::FibResult& res) {
        return !res.ok() || res.route->nh.empty() || res.route->nh[res.nh_index].ifindex == sel::kLoopbackIfindex;
    };
    if (nh.gw.is_link_local6()) {
        if (!nh.ifindex) return kernel_error("Error: Egress device not specified.");
    } else if (nh.flags & dp::kNhOnlink) {
        // ip6_route_check_nh_onlink(): main may not route G elsewhere (its default aside).
        if (!nh.ifindex) return kernel_error("Error: Egress device not specified.");
        dp::FibResult res;
        if (const RouteTable* t = v6.table_by_id(dp::kTableMain)) res = dp::table_lookup6(*t, k, 0);
        if (!reject(res) && res.route->dst.len != 0 &&
            (res.route->type != dp::RouteType::kUnicast || res.route->nh[res.nh_index].ifindex != nh.ifindex))
            return kernel_error("Error: Nexthop has invalid gateway or device mismatch.");
    } else {
        // ip6_route_check_nh(): the route's own table first when one was named, then the rules;
        // the answer must be a device route (no gateway), on the given device if there is one.
        const uint32_t flags = dp::kLookupStrictIface | dp::kLookupIgnoreLinkstate | dp::kLookupNoSuppress;
        auto usable = [&](const dp::FibResult& res) {
            if (reject(res)) return false;
            const dp::Nexthop& via = res.route->nh[res.nh_index];
            return !via.has_gw() && (!nh.ifindex || via.ifindex == nh.ifindex);
        };
        dp::FibResult res;
        if (table_given)
            if (const RouteTable* t = v6.table_by_id(r.table)) res = dp::table_lookup6(*t, k, flags);
        if (!usable(res)) res = dp::fib_lookup(v6, ifs, k, flags);
        if (!usable(res)) return kernel_error("RTNETLINK answers: No route to host");
        nh.ifindex = res.route->nh[res.nh_index].ifindex;
    }
    nh.scope = kScopeLink;
    const dp::Link* dev = ifs.find(nh.ifindex);
    if (!dev || !dev->up) return kernel_error("Error: Nexthop device is not up.");
    return {};
}

// ipv6_chk_addr(): a global address on any device; a link-local or host one on the route's own.
bool Model::valid_prefsrc6(const ws::InetAddr& src, uint32_t dev) const {
    for (const auto& l : ifs.links)
        for (const auto& a : l.addrs)
            if (a.local == src) return a.scope == dp::kScopeUniverse || l.ifindex == dev;
    return false;
}

ws::Status Model::route_modify6(RouteRequest req, InsertMode mode) {
    dp::Route& r = req.route;
    // iproute2 sends main when no table is named; only an explicit `table 0` reaches the kernel
    // as 0, which stores the route in main but validates its gateway by the rules alone.
    const bool table_given = !(req.has_table && r.table == dp::kTableUnspec);
    if (r.table == dp::kTableUnspec) r.table = dp::kTableMain;
    if (r.tos) return kernel_error("Error: Invalid dsfield (tos): option not available for IPv6.");
    r.dst = r.dst.masked();  // IPv6 clears host bits silently
    r.scope = dp::kScopeUniverse;
    if (!r.pref) r.pref = 2;
    if (!r.metric) r.metric = 1024;
    WS_TRY(resolve_devices(req));
    if (r.is_error() || r.type == dp::RouteType::kThrow) {
        r.nh = dp::NexthopList();  // shown through lo, whatever device was given
        r.pref = 2;                // and without their preference
    } else {
        if (r.multipath)
            for (const auto& nh : r.nh)
                if (!nh.has_gw()) return kernel_error("Error: Device only routes can not be added for IPv6 using the multipath API.");
        if (r.nh.empty()) return kernel_error("RTNETLINK answers: No such device");
        for (auto& nh : r.nh) {
            if (nh.has_gw()) {
                WS_TRY(check_gateway6(r, nh, table_given));
                continue;
            }
            const dp::Link* dev = ifs.find(nh.ifindex);
            if (!nh.ifindex || !dev) return kernel_error("RTNETLINK answers: No such device");
            if (!dev->up) return kernel_error("Error: Nexthop device is not up.");
            nh.scope = kScopeHost;
        }
        flag_linkdown(ws::Family::kInet6, r);
        dp::rebalance(r);
    }
    if (r.prefsrc.valid() && !valid_prefsrc6(r.prefsrc, r.nh.empty() ? 0 : r.nh[0].ifindex))
        return kernel_error("Error: Invalid source address.");
    invalidate_lookups();
    // ip6_route_multipath_add(): one route per nexthop, alike but for it, as one sibling group.
    std::vector<dp::Route> routes;
    if (r.nh.size() <= 1) {
        routes.push_back(std::move(r));
    } else {
        for (const auto& nh : r.nh) {
            dp::Route one = r;
            one.nh = dp::NexthopList();
            one.nh.push_back(nh);
            one.multipath = false;
            routes.push_back(std::move(one));
        }
    }
    auto st = v6.table(routes.front().table).insert6(std::move(routes), mode);
    if (!st) return kernel_error("RTNETLINK answers: File exists", Errc::kExists);
    return {};
}

ws::Status Model::route_modify(ws::Family f, RouteRequest req, InsertMode mode) {
    if (f == ws::Family::kInet6) return route_modify6(std::move(req), mode);
    dp::Route& r = req.route;
    if (r.table == dp::kTableUnspec) r.table = dp::kTableMain;
    if (r.dst.has_host_bits()) return kernel_error("Error: Invalid prefix for given prefix length.");
    if (route_type_info(r.type).min_scope > r.scope) return kernel_error("Error: Invalid scope.");
    if (f == ws::Family::kInet && r.tos & 0x03) return kernel_error("Error: Invalid dsfield (tos): ECN bits must be 0.");
    if (f == ws::Family::kInet6 && r.tos) return kernel_error("Error: Invalid dsfield (tos): option not available for IPv6.");
    WS_TRY(resolve_nexthops(f, req));
    if (r.prefsrc.valid() && f == ws::Family::kInet) {
        // fib_valid_prefsrc(): local in the route's table (main means local), else in local.
        bool self = r.type == dp::RouteType::kLocal && r.dst.is_host() && r.prefsrc == r.dst.addr;
        uint32_t tb = r.table == dp::kTableMain ? dp::kTableLocal : r.table;
        if (!self && !is_local_address(f, r.prefsrc, tb) && !is_local_address(f, r.prefsrc, dp::kTableLocal))
            return kernel_error("Error: Invalid prefsrc address.");
    }
    const bool local = r.type == dp::RouteType::kLocal;
    if (r.scope >= kScopeLink) invalidate_lookups();
    FamilyModel& fm = family(f);
    auto st = fm.table(r.table).insert(std::move(req.route), mode);
    if (!st) return kernel_error("RTNETLINK answers: File exists", Errc::kExists);
    if (local) fm.custom_local_routes = true;
    return {};
}

ws::Status Model::route_del(ws::Family f, RouteRequest req) {
    dp::Route& r = req.route;
    if (r.table == dp::kTableUnspec) r.table = dp::kTableMain;
    WS_TRY(resolve_devices(req));
    if (!req.has_type) r.type = dp::RouteType::kUnspec;
    if (!req.has_scope) r.scope = kScopeNowhere;
    if (!req.has_proto) r.protocol = 0;
    FamilyModel& fm = family(f);
    auto it = fm.tables.find(r.table);
    if (it == fm.tables.end()) return kernel_error("RTNETLINK answers: No such process", Errc::kNotFound);
    if (f == ws::Family::kInet6) r.dst = r.dst.masked();
    auto st = f == ws::Family::kInet6 ? it->second.remove6(r) : it->second.remove(r);
    if (!st) return kernel_error("RTNETLINK answers: No such process", Errc::kNotFound);
    invalidate_lookups();  // the deleted alias's scope is not known here
    return {};
}

ws::Status Model::route_flush(ws::Family f, const RouteFlushFilter& flt) {
    FamilyModel& fm = family(f);
    uint32_t dev = 0;
    if (flt.dev) {
        const dp::Link* l = link(*flt.dev);
        if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + *flt.dev + "\"", *flt.dev);
        dev = l->ifindex;
    }
    uint32_t only = flt.table ? *flt.table : dp::kTableMain;
    invalidate_lookups();
    for (auto& [id, t] : fm.tables) {
        if (only != kTableAll && id != only) continue;
        t.remove_if([&](const dp::Route& r) {
            if (flt.prefix && !(flt.prefix->len <= r.dst.len && flt.prefix->masked().contains(r.dst.addr))) return false;
            if (flt.protocol && r.protocol != *flt.protocol) return false;
            if (flt.type && r.type != *flt.type) return false;
            if (dev && (r.nh.empty() || r.nh[0].ifindex != dev)) return false;
            return true;
        });
    }
    return {};
}

}  // namespace ctl
