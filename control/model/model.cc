#include "control/model/model.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <span>

namespace ctl {

using dp::kScopeHost;
using dp::kScopeLink;
using dp::kScopeNowhere;
using dp::kScopeUniverse;
using ws::Errc;
using ws::make_error;

namespace {

constexpr uint8_t kProtoKernel = 2;

dp::Rule default_rule(uint32_t pref, uint32_t table) {
    dp::Rule r;
    r.priority = pref;
    r.table = table;
    r.action = dp::RuleAction::kToTable;
    r.protocol = kProtoKernel;
    return r;
}

}  // namespace

bool rule_identical(const dp::Rule& r, const dp::Rule& n) {
    // rule_exists(): the generic fields all equal (not `not`, not the goto target); the
    // address family's compare() only looks at from/to/tos when the new rule has them.
    if (r.action != n.action || r.table != n.table || r.priority != n.priority || r.protocol != n.protocol ||
        r.suppress_prefixlen != n.suppress_prefixlen || r.suppress_ifgroup != n.suppress_ifgroup)
        return false;
    auto same = [&](const auto& a, const auto& b) { return a.has_value() == b.has_value() && (!a || *a == *b); };
    const auto &rs = r.sel, &ns = n.sel;
    if (!same(rs.get<sel::Iif>(), ns.get<sel::Iif>()) || !same(rs.get<sel::Oif>(), ns.get<sel::Oif>()) ||
        !same(rs.get<sel::Fwmark>(), ns.get<sel::Fwmark>()) || !same(rs.get<sel::Uidrange>(), ns.get<sel::Uidrange>()) ||
        !same(rs.get<sel::IpProto>(), ns.get<sel::IpProto>()) || !same(rs.get<sel::Sport>(), ns.get<sel::Sport>()) ||
        !same(rs.get<sel::Dport>(), ns.get<sel::Dport>()))
        return false;
    auto given_same = [&](const auto& have, const auto& want) { return !want || (have && *have == *want); };
    return given_same(rs.get<sel::From>(), ns.get<sel::From>()) && given_same(rs.get<sel::To>(), ns.get<sel::To>()) &&
           given_same(rs.get<sel::Tos>(), ns.get<sel::Tos>());
}

// rule_find(): every attribute given in the request must match; the rest are wildcards.
bool rule_matches_request(const dp::Rule& r, const RuleRequest& req) {
    const dp::Rule& w = req.rule;
    if (req.has_action && r.action != w.action) return false;
    if (req.has_table && w.table && r.table != w.table) return false;  // table 0 is any
    if (req.has_priority && r.priority != w.priority) return false;
    if (w.action == dp::RuleAction::kGoto && req.has_action && r.goto_target != w.goto_target) return false;
    if (w.suppress_prefixlen != -1 && r.suppress_prefixlen != w.suppress_prefixlen) return false;
    if (w.suppress_ifgroup != -1 && r.suppress_ifgroup != w.suppress_ifgroup) return false;
    if (w.protocol && r.protocol != w.protocol) return false;
    bool ok = true;
    w.sel.for_each([&](const auto& want) {
        if (!want) return;
        using S = typename std::decay_t<decltype(want)>::value_type;
        const auto& have = r.sel.get<S>();
        if (!have || !(*have == *want)) ok = false;
    });
    return ok;
}

void FamilyModel::resolve_gotos() {
    for (auto& r : rules) {
        r.goto_index = dp::kNoGoto;
        if (r.action != dp::RuleAction::kGoto) continue;
        for (size_t j = 0; j < rules.size(); ++j) {
            if (rules[j].priority == r.goto_target) {
                r.goto_index = int32_t(j);
                break;
            }
        }
    }
}

Model::Model() {
    dp::Link lo;
    lo.ifindex = sel::kLoopbackIfindex;
    lo.name = "lo";
    lo.loopback = true;
    lo.up = true;
    lo.mtu = 65536;
    ifs.links.push_back(lo);
    LinkSpec spec;
    spec.name = "lo";
    spec.kind = "loopback";
    specs.push_back(spec);
    v4.rules = {default_rule(0, dp::kTableLocal), default_rule(32766, dp::kTableMain),
                default_rule(32767, dp::kTableDefault)};
    v6.rules = {default_rule(0, dp::kTableLocal), default_rule(32766, dp::kTableMain)};
    for (auto* f : {&v4, &v6}) {
        f->table(dp::kTableLocal);
        f->table(dp::kTableMain);
    }
    dp::IfAddr a4;
    a4.local = ws::InetAddr::v4(0x7f000001u);
    a4.prefixlen = 8;
    a4.scope = kScopeHost;
    (void)addr_add("lo", a4);
    dp::IfAddr a6;
    a6.local = *ws::InetAddr::parse("::1", ws::Family::kInet6);
    a6.prefixlen = 128;
    a6.scope = kScopeHost;
    (void)addr_add("lo", a6);
}

dp::Link* Model::link_mut(const std::string& name) {
    for (auto& l : ifs.links)
        if (l.name == name) return &l;
    return nullptr;
}

ws::Status Model::link_add(LinkSpec spec) {
    if (link(spec.name)) return make_error(Errc::kExists, "RTNETLINK answers: File exists", spec.name);
    dp::Link l;
    l.ifindex = next_ifindex_++;
    l.name = spec.name;
    // ipgre_tunnel_init(): room for the outer IPv4 and GRE headers (and the key's 4 bytes).
    if (spec.kind == "gre") l.mtu = 1500 - 24 - (spec.gre_key ? 4 : 0);
    spec.ignore_linkdown = ignore_linkdown_default;  // devinet_init_net(): a new link copies default
    ifs.links.push_back(l);
    specs.push_back(std::move(spec));
    reattach_rules();
    invalidate_lookups();
    return {};
}

ws::Status Model::link_set_up(const std::string& name, bool up) {
    dp::Link* l = link_mut(name);
    if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + name + "\"", name);
    if (l->up == up) return {};
    l->up = up;
    invalidate_lookups();
    if (!up) {
        sync_down(l->ifindex);
        return {};
    }
    sync_up(l->ifindex);
    const dp::Link copy = *l;
    if (!copy.loopback)  // addrconf_add_mroute(): every IPv6 link routes multicast locally
        kernel_route(copy, ws::Family::kInet6, dp::RouteType::kMulticast, dp::kTableLocal,
                     *ws::InetPrefix::parse("ff00::/8", ws::Family::kInet6), 256, ws::InetAddr());
    for (const auto& a : copy.addrs) add_ifaddr_routes(copy, a);
    return {};
}

ws::Status Model::link_set_mtu(const std::string& name, uint32_t mtu) {
    dp::Link* l = link_mut(name);
    if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + name + "\"", name);
    l->mtu = mtu;
    return {};
}

ws::Status Model::link_set_address(const std::string& name, const std::string& mac) {
    for (size_t i = 0; i < ifs.links.size(); ++i) {
        if (ifs.links[i].name != name) continue;
        specs[i].address = mac;
        return {};
    }
    return make_error(Errc::kNoDevice, "Cannot find device \"" + name + "\"", name);
}

ws::Status Model::link_set_group(const std::string& name, uint32_t group) {
    dp::Link* l = link_mut(name);
    if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + name + "\"", name);
    l->group = group;
    invalidate_lookups();
    return {};
}

void Model::reattach_rules() {
    for (auto* f : {&v4, &v6}) {
        for (auto& r : f->rules) {
            if (auto& s = r.sel.get<sel::Iif>()) {
                const dp::Link* l = link(s->name);
                s->ifindex = l ? l->ifindex : sel::kDetachedIfindex;
            }
            if (auto& s = r.sel.get<sel::Oif>()) {
                const dp::Link* l = link(s->name);
                s->ifindex = l ? l->ifindex : sel::kDetachedIfindex;
            }
        }
    }
}

// A route the kernel itself adds for an address or a link (proto kernel).
void Model::kernel_route(const dp::Link& l, ws::Family f, dp::RouteType type, uint32_t table, ws::InetPrefix dst,
                         uint32_t metric, ws::InetAddr prefsrc) {
    dp::Route r;
    r.type = type;
    r.table = table;
    r.dst = dst;
    r.protocol = kProtoKernel;
    r.metric = metric;
    r.prefsrc = prefsrc;
    r.scope = type == dp::RouteType::kLocal ? kScopeHost : kScopeLink;
    if (f == ws::Family::kInet6) {
        r.scope = kScopeUniverse;
        r.pref = 2;
    }
    dp::Nexthop nh;
    nh.ifindex = l.ifindex;
    nh.scope = r.scope == kScopeHost ? kScopeNowhere : kScopeHost;
    r.nh.push_back(nh);
    flag_linkdown(f, r);
    dp::rebalance(r);
    RouteTable& t = family(f).table(table);
    if (f == ws::Family::kInet6) (void)t.insert6({std::move(r)}, InsertMode::kAppend);
    else (void)t.insert(std::move(r), InsertMode::kAppend);
}

// fib_add_ifaddr(): the local route always; with the link up, the prefix route of a primary
// address and the subnet broadcast route (no network-address broadcast on Linux 6.x).
void Model::add_ifaddr_routes(const dp::Link& l, const dp::IfAddr& a) {
    const ws::Family f = a.local.family;
    const dp::IfAddr* prim = &a;
    if (a.secondary)
        for (const auto& p : l.addrs)
            if (!p.secondary && p.local.family == f && p.prefixlen == a.prefixlen && p.contains(a.local)) prim = &p;
    auto magic = [&](dp::RouteType type, uint32_t table, ws::InetPrefix dst, uint32_t metric) {
        kernel_route(l, f, type, table, dst, metric, f == ws::Family::kInet ? prim->local : ws::InetAddr());
    };
    if (f == ws::Family::kInet6) {
        // addrconf: the local route; with the link up the prefix route (a /128 too, not for
        // lo) and, forwarding being on, the subnet-router anycast address below /127.
        magic(dp::RouteType::kLocal, dp::kTableLocal, ws::InetPrefix::host(a.local), 0);
        if (!l.up || l.loopback) return;
        ws::InetPrefix net = ws::InetPrefix{a.local, a.prefixlen}.masked();
        magic(dp::RouteType::kUnicast, dp::kTableMain, net, 256);
        if (a.prefixlen < 127) magic(dp::RouteType::kAnycast, dp::kTableLocal, ws::InetPrefix::host(net.addr), 0);
        return;
    }
    magic(dp::RouteType::kLocal, dp::kTableLocal, ws::InetPrefix::host(a.local), 0);
    if (!l.up) return;
    ws::InetPrefix net = ws::InetPrefix{a.local, a.prefixlen}.masked();
    if (!net.addr.is_zeronet() && !a.secondary && (net.addr != a.local || a.prefixlen < 32)) {
        magic(l.loopback ? dp::RouteType::kLocal : dp::RouteType::kUnicast,
              l.loopback ? dp::kTableLocal : dp::kTableMain, net, 0);
        if (a.prefixlen < 31) {
            uint32_t brd = net.addr.v4() | (a.prefixlen ? (0xffffffffu >> a.prefixlen) : 0xffffffffu);
            magic(dp::RouteType::kBroadcast, dp::kTableLocal, ws::InetPrefix::host(ws::InetAddr::v4(brd)), 0);
        }
    }
}

void Model::del_ifaddr_routes(const dp::Link& l, const dp::IfAddr& a) {
    const ws::Family f = a.local.family;
    FamilyModel& fm = family(f);
    auto on_dev = [&](const dp::Route& r) {
        return r.protocol == kProtoKernel && r.nh.size() == 1 && r.nh[0].ifindex == l.ifindex;
    };
    fm.table(dp::kTableLocal).remove_if([&](const dp::Route& r) {
        return on_dev(r) && r.type == dp::RouteType::kLocal && r.dst == ws::InetPrefix::host(a.local);
    });
    if (a.secondary) return;
    ws::InetPrefix net = ws::InetPrefix{a.local, a.prefixlen}.masked();
    if (f == ws::Family::kInet6) {
        // Prefix and anycast routes are shared by the addresses of one prefix on the link.
        for (const auto& o : l.addrs)
            if (o.local.is_v6() && o.prefixlen == a.prefixlen && net.contains(o.local)) return;
        fm.table(dp::kTableLocal).remove_if([&](const dp::Route& r) {
            return on_dev(r) && r.type == dp::RouteType::kAnycast && r.dst == ws::InetPrefix::host(net.addr);
        });
    }
    fm.table(dp::kTableMain).remove_if([&](const dp::Route& r) { return on_dev(r) && r.dst == net; });
    if (f == ws::Family::kInet && a.prefixlen < 31) {
        uint32_t brd = net.addr.v4() | (a.prefixlen ? (0xffffffffu >> a.prefixlen) : 0xffffffffu);
        fm.table(dp::kTableLocal).remove_if([&](const dp::Route& r) {
            return on_dev(r) && r.type == dp::RouteType::kBroadcast && r.dst.addr == ws::InetAddr::v4(brd);
        });
    }
}

// __inet_insert_ifa(): a second address in a known subnet is secondary and goes last; a
// primary goes after the last primary of the same or a wider scope.
ws::Status Model::addr_add(const std::string& dev, dp::IfAddr a) {
    dp::Link* l = link_mut(dev);
    if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + dev + "\"", dev);
    size_t last_primary = 0;  // the list head, as in the kernel
    for (size_t i = 0; i < l->addrs.size(); ++i) {
        const dp::IfAddr& o = l->addrs[i];
        if (o.local.family != a.local.family) continue;
        if (!o.secondary && a.scope <= o.scope) last_primary = i + 1;
        if (o.prefixlen == a.prefixlen && o.contains(a.local)) {
            if (o.local == a.local) return make_error(Errc::kExists, "RTNETLINK answers: File exists");
            if (a.local.is_v4()) {
                if (o.scope != a.scope) return make_error(Errc::kInvalid, "RTNETLINK answers: Invalid argument");
                a.secondary = true;
            }
        }
    }
    size_t pos = a.secondary ? l->addrs.size() : last_primary;
    if (a.local.is_v6()) {
        // ipv6_link_dev_addr(): before the first address of the same or a narrower scope, so
        // global addresses come first, newest first.
        auto src_scope = [](const dp::IfAddr& x) { return x.scope == kScopeHost ? 1 : x.scope == kScopeLink ? 2 : 14; };
        pos = l->addrs.size();
        for (size_t i = 0; i < l->addrs.size(); ++i) {
            const dp::IfAddr& o = l->addrs[i];
            if (!o.local.is_v6()) continue;
            if (o.local == a.local) return make_error(Errc::kExists, "RTNETLINK answers: File exists");
            if (pos == l->addrs.size() && src_scope(a) >= src_scope(o)) pos = i;
        }
    }
    l->addrs.insert(l->addrs.begin() + long(pos), a);
    invalidate_lookups();
    const dp::Link copy = *l;
    add_ifaddr_routes(copy, a);
    return {};
}

ws::Status Model::addr_del(const std::string& dev, const ws::InetAddr& local, uint8_t prefixlen) {
    dp::Link* l = link_mut(dev);
    if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + dev + "\"", dev);
    for (size_t i = 0; i < l->addrs.size(); ++i) {
        const dp::IfAddr a = l->addrs[i];
        if (a.local != local || (prefixlen != a.local.bits() && a.prefixlen != prefixlen)) continue;
        l->addrs.erase(l->addrs.begin() + long(i));
        std::vector<dp::IfAddr> gone{a};
        if (!a.secondary) {
            // promote_secondaries is off: the primary takes its secondaries with it.
            auto& v = l->addrs;
            for (auto it = v.begin(); it != v.end();) {
                if (it->secondary && it->prefixlen == a.prefixlen && a.contains(it->local)) {
                    gone.push_back(*it);
                    it = v.erase(it);
                } else {
                    ++it;
                }
            }
        }
        const dp::Link copy = *l;
        for (const auto& g : gone) del_ifaddr_routes(copy, g);
        invalidate_lookups();
        return {};
    }
    return make_error(Errc::kNotFound, "RTNETLINK answers: Cannot assign requested address");
}

ws::Status Model::neigh_add(Neighbour n, const std::string& dev) {
    const dp::Link* l = link(dev);
    if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + dev + "\"", dev);
    n.ifindex = l->ifindex;
    for (const auto& o : neighbours)
        if (o.addr == n.addr && o.ifindex == n.ifindex) return make_error(Errc::kExists, "RTNETLINK answers: File exists");
    neighbours.push_back(std::move(n));
    return {};
}

// Every nexthop through ifindex in every table of the family goes through `edit` (true: it
// changed); the routes that changed get their hash-threshold bounds again (fib_rebalance(),
// IPv6 ECMP siblings as one group as rt6_multipath_rebalance() does).
void Model::edit_nexthops(ws::Family f, uint32_t ifindex, const std::function<bool(dp::Nexthop&)>& edit) {
    for (auto& [id, t] : family(f).tables)
        t.for_each_prefix_mut([&](std::span<dp::Route> aliases) {
            std::vector<uint32_t> groups;
            for (dp::Route& r : aliases) {
                bool changed = false;
                for (auto& nh : r.nh)
                    if (nh.ifindex == ifindex) changed |= edit(nh);
                if (!changed) continue;
                if (!r.sibling_group) dp::rebalance(r);
                else if (std::find(groups.begin(), groups.end(), r.sibling_group) == groups.end()) groups.push_back(r.sibling_group);
            }
            for (uint32_t g : groups) dp::rebalance_siblings(aliases, g);
        });
}

// Admin down: routes through the device are deleted, multipath nexthops marked dead
// (fib_sync_down_dev with force), in every table of both families.
void Model::sync_down(uint32_t ifindex) {
    for (ws::Family f : {ws::Family::kInet, ws::Family::kInet6}) {
        for (auto& [id, t] : family(f).tables)
            t.remove_if([&](const dp::Route& r) { return r.nh.size() == 1 && r.nh[0].ifindex == ifindex; });
        edit_nexthops(f, ifindex, [](dp::Nexthop& nh) {
            if (nh.flags & dp::kNhDead) return false;
            nh.flags |= dp::kNhDead | dp::kNhLinkdown;
            return true;
        });
    }
}

// Admin up: multipath nexthops through the device come back (fib_sync_up() on NETDEV_UP),
// linkdown too when it has carrier.
void Model::sync_up(uint32_t ifindex) {
    const dp::Link* l = ifs.find(ifindex);
    const uint8_t clear = dp::kNhDead | (l && l->carrier ? dp::kNhLinkdown | dp::kNhLinkdownIgnored : 0);
    for (ws::Family f : {ws::Family::kInet, ws::Family::kInet6})
        edit_nexthops(f, ifindex, [&](dp::Nexthop& nh) {
            if (!(nh.flags & clear)) return false;
            nh.flags &= uint8_t(~clear);
            return true;
        });
}

ws::Status Model::link_set_carrier(const std::string& name, bool carrier) {
    dp::Link* l = link_mut(name);
    if (!l) return make_error(Errc::kNoDevice, "Cannot find device \"" + name + "\"", name);
    if (l->carrier == carrier) return {};
    l->carrier = carrier;
    invalidate_lookups();
    const uint32_t ifindex = l->ifindex;
    for (ws::Family f : {ws::Family::kInet, ws::Family::kInet6}) {
        const uint8_t set = carrier ? 0 : uint8_t(dp::kNhLinkdown | (ignore_linkdown(f, ifindex) ? dp::kNhLinkdownIgnored : 0));
        edit_nexthops(f, ifindex, [&](dp::Nexthop& nh) {  // only link events move the bounds
            const uint8_t was = nh.flags;
            nh.flags = uint8_t((nh.flags & ~(dp::kNhLinkdown | dp::kNhLinkdownIgnored)) | set);
            return nh.flags != was;
        });
    }
    return {};
}

void Model::flag_linkdown(ws::Family f, dp::Route& r) const {
    for (auto& nh : r.nh)
        if (const dp::Link* l = ifs.find(nh.ifindex); l && !l->carrier)
            nh.flags |= uint8_t(dp::kNhLinkdown | (ignore_linkdown(f, nh.ifindex) ? dp::kNhLinkdownIgnored : 0));
}

bool Model::ignore_linkdown(ws::Family f, uint32_t ifindex) const {
    const size_t k = f == ws::Family::kInet6;
    if (ignore_linkdown_all[k]) return true;
    for (size_t i = 0; i < ifs.links.size(); ++i)
        if (ifs.links[i].ifindex == ifindex) return specs[i].ignore_linkdown[k];
    return false;
}

ws::Status Model::sysctl_set(std::string_view key, std::string_view value) {
    std::string k(key);
    std::replace(k.begin(), k.end(), '/', '.');
    std::string path = "/proc/sys/" + k;
    std::replace(path.begin(), path.end(), '.', '/');
    const std::string_view leaf = ".ignore_routes_with_linkdown";
    size_t fam = 2;
    if (k.rfind("net.ipv4.conf.", 0) == 0) fam = 0;
    else if (k.rfind("net.ipv6.conf.", 0) == 0) fam = 1;
    if (fam == 2 || k.size() <= 14 + leaf.size() || k.compare(k.size() - leaf.size(), leaf.size(), leaf) != 0)
        return make_error(Errc::kUnsupported, "sysctl: \"" + k + "\" is not supported (only net.ipv4|ipv6.conf.*.ignore_routes_with_linkdown)", k);
    const std::string dev = k.substr(14, k.size() - 14 - leaf.size());
    const std::string val(value);
    char* end = nullptr;
    const long v = std::strtol(val.c_str(), &end, 10);
    if (val.empty() || !end || *end) return make_error(Errc::kInvalid, "sysctl: setting key \"" + k + "\": Invalid argument", val);
    const bool on = v != 0;
    if (dev == "all") {
        ignore_linkdown_all[fam] = on;
    } else if (dev == "default") {
        ignore_linkdown_default[fam] = on;
    } else {
        size_t i = 0;
        while (i < ifs.links.size() && ifs.links[i].name != dev) ++i;
        if (i == ifs.links.size()) return make_error(Errc::kNoDevice, "sysctl: cannot stat " + path + ": No such file or directory", dev);
        specs[i].ignore_linkdown[fam] = on;
    }
    // The lookup reads the sysctl; the multipath bounds stay until the next link event.
    const ws::Family f = fam ? ws::Family::kInet6 : ws::Family::kInet;
    for (auto& [id, t] : family(f).tables)
        t.for_each_mut([&](dp::Route& r) {
            for (auto& nh : r.nh) {
                nh.flags &= uint8_t(~dp::kNhLinkdownIgnored);
                if ((nh.flags & dp::kNhLinkdown) && ignore_linkdown(f, nh.ifindex)) nh.flags |= dp::kNhLinkdownIgnored;
            }
        });
    invalidate_lookups();
    return {};
}

}  // namespace ctl
