#include "control/model/route_table.h"

#include "selectors/flow_key.h"

#include <algorithm>

namespace ctl {

namespace {

// The alias compares "before" a (tos, metric) key in Linux's order.
bool sorts_before(const dp::Route& fa, uint8_t tos, uint32_t metric) {
    if (fa.tos != tos) return fa.tos > tos;
    return fa.metric < metric;
}

bool same_key(const dp::Route& a, const dp::Route& b) { return a.tos == b.tos && a.metric == b.metric; }

// The same type and fib_info: an exact duplicate (fib_table_insert's fa_match).
bool identical(const dp::Route& a, const dp::Route& b) {
    return a.type == b.type && a.scope == b.scope && a.protocol == b.protocol && a.prefsrc == b.prefsrc &&
           a.nh == b.nh && a.metric == b.metric;
}

}  // namespace

ws::Status RouteTable::insert(dp::Route r, InsertMode mode) {
    auto [slot, fresh] = by_prefix_.try_emplace(r.dst);
    Aliases& v = *slot;
    if (fresh) ++len_count_[r.dst.len];
    size_t pos = 0;
    while (pos < v.size() && sorts_before(v[pos], r.tos, r.metric)) ++pos;
    if (pos < v.size() && same_key(v[pos], r)) {
        if (mode == InsertMode::kAdd) return ws::make_error(ws::Errc::kExists, "File exists");
        size_t end = pos;
        size_t match = v.size();
        while (end < v.size() && same_key(v[end], r)) {
            if (match == v.size() && identical(v[end], r)) match = end;
            ++end;
        }
        if (mode == InsertMode::kReplace) {
            if (match == pos) return {};
            if (match != v.size()) return ws::make_error(ws::Errc::kExists, "File exists");
            v[pos] = std::move(r);
            return {};
        }
        if (match != v.size()) return ws::make_error(ws::Errc::kExists, "File exists");
        if (mode == InsertMode::kAppend) pos = end;
    }
    v.insert(v.begin() + long(pos), std::move(r));
    ++count_;
    return {};
}

namespace {

bool gateway_class(const dp::Route& r) { return !r.nh.empty() && r.nh[0].has_gw(); }

}  // namespace

void RouteTable::forget_if_empty(const ws::InetPrefix& dst, const Aliases& v) {
    if (!v.empty()) return;
    --len_count_[dst.len];
    by_prefix_.erase(dst);
}

void RouteTable::erase_alias(const ws::InetPrefix& dst, Aliases& v, size_t i) {
    v.erase(v.begin() + long(i));
    --count_;
    forget_if_empty(dst, v);
}

namespace {

// The (gateway, device) an IPv6 route leaves by: error routes are "dev lo, no gateway".
std::pair<ws::InetAddr, uint32_t> nexthop_key(const dp::Route& r) {
    if (r.nh.empty()) return {ws::InetAddr(), sel::kLoopbackIfindex};
    return {r.nh[0].gw, r.nh[0].ifindex};
}

}  // namespace

void RouteTable::take_group(Aliases& v, size_t i) {
    const uint32_t g = v[i].sibling_group;
    if (!g) {
        v.erase(v.begin() + long(i));
        --count_;
        return;
    }
    count_ -= size_t(std::erase_if(v, [&](const dp::Route& r) { return r.sibling_group == g; }));
}

void RouteTable::erase_group(const ws::InetPrefix& dst, Aliases& v, size_t i) {
    take_group(v, i);
    forget_if_empty(dst, v);
}

ws::Status RouteTable::insert6(std::vector<dp::Route> routes, InsertMode mode) {
    const ws::InetPrefix dst = routes.front().dst;
    const uint32_t metric = routes.front().metric;
    for (size_t a = 0; a < routes.size(); ++a)
        for (size_t b = a + 1; b < routes.size(); ++b)
            if (nexthop_key(routes[a]) == nexthop_key(routes[b])) return ws::make_error(ws::Errc::kExists, "File exists");
    auto [slot, fresh] = by_prefix_.try_emplace(dst);
    Aliases* v = slot;
    if (fresh) ++len_count_[dst.len];
    auto range = [&](size_t& lo, size_t& hi) {
        lo = 0;
        while (lo < v->size() && (*v)[lo].metric < metric) ++lo;
        hi = lo;
        while (hi < v->size() && (*v)[hi].metric == metric) ++hi;
    };
    size_t lo, hi;
    range(lo, hi);
    const bool gw = gateway_class(routes.front());
    uint32_t group = routes.size() > 1 ? ++last_group_ : 0;
    size_t pos = hi;
    if (mode == InsertMode::kAdd && hi > lo) {
        if (fresh) by_prefix_.erase(dst), --len_count_[dst.len];
        return ws::make_error(ws::Errc::kExists, "File exists");
    }
    if (mode == InsertMode::kReplace && hi > lo) {
        // fib6_add_rt2node(): the first route of the same class, else the metric's first route
        // (fallback_ins); an ECMP group goes as a whole and the new route takes its place.
        size_t target = lo;
        for (size_t i = lo; i < hi; ++i)
            if (gateway_class((*v)[i]) == gw) {
                target = i;
                break;
            }
        const uint32_t old = (*v)[target].sibling_group;
        pos = target;
        if (old)
            for (size_t i = 0; i < target; ++i) pos -= (*v)[i].sibling_group == old;
        take_group(*v, target);
    } else if (mode == InsertMode::kAppend || mode == InsertMode::kPrepend) {
        for (size_t i = lo; i < hi; ++i)
            for (const auto& r : routes)
                if (nexthop_key((*v)[i]) == nexthop_key(r)) return ws::make_error(ws::Errc::kExists, "File exists");
        // An appended gateway route joins the first ECMP-able route of its metric as a sibling,
        // at the end of the metric (prepend does the same).
        for (size_t i = lo; gw && i < hi; ++i) {
            if (!gateway_class((*v)[i])) continue;
            if (!(*v)[i].sibling_group) (*v)[i].sibling_group = ++last_group_;
            group = (*v)[i].sibling_group;
            break;
        }
    }
    for (auto& r : routes) {
        r.sibling_group = group;
        r.multipath = false;
        v->insert(v->begin() + long(pos++), std::move(r));
        ++count_;
    }
    if (group) dp::rebalance_siblings(*v, group);
    return {};
}

ws::Status RouteTable::remove6(const dp::Route& want) {
    Aliases* found = by_prefix_.find(want.dst);
    if (!found) return ws::make_error(ws::Errc::kNotFound, "No such process");
    Aliases& v = *found;
    const dp::Nexthop* w = want.nh.empty() ? nullptr : &want.nh[0];
    for (size_t i = 0; i < v.size(); ++i) {
        const dp::Route& e = v[i];
        // ip6_route_del(): table, metric, gateway, device and protocol; not the route type.
        if (want.metric && e.metric != want.metric) continue;
        if (want.protocol && e.protocol != want.protocol) continue;
        const auto [egw, edev] = nexthop_key(e);
        if (w && w->ifindex && edev != w->ifindex) continue;
        if (w && w->has_gw()) {
            if (egw != w->gw) continue;
            // A gateway names one sibling: only that one goes.
            const uint32_t g = e.sibling_group;
            v.erase(v.begin() + long(i));
            --count_;
            if (g) {
                if (std::count_if(v.begin(), v.end(), [&](const dp::Route& r) { return r.sibling_group == g; }) == 1)
                    for (auto& r : v)
                        if (r.sibling_group == g) r.sibling_group = 0, r.nh[0].upper_bound = int32_t(0x7fffffff);
                dp::rebalance_siblings(v, g);
            }
            forget_if_empty(want.dst, v);
            return {};
        }
        erase_group(want.dst, v, i);
        return {};
    }
    return ws::make_error(ws::Errc::kNotFound, "No such process");
}

ws::Status RouteTable::remove(const dp::Route& want) {
    Aliases* found = by_prefix_.find(want.dst);
    if (!found) return ws::make_error(ws::Errc::kNotFound, "No such process");
    Aliases& v = *found;
    for (size_t i = 0; i < v.size(); ++i) {
        const dp::Route& fa = v[i];
        if (fa.tos != want.tos) continue;
        if (want.type != dp::RouteType::kUnspec && fa.type != want.type) continue;
        if (want.scope != dp::kScopeNowhere && fa.scope != want.scope) continue;
        if (want.prefsrc.valid() && fa.prefsrc != want.prefsrc) continue;
        if (want.protocol && fa.protocol != want.protocol) continue;
        if (want.metric && fa.metric != want.metric) continue;
        if (!want.nh.empty()) {
            // fib_nh_match(): a single given nexthop must match the route's (first) nexthop;
            // a multipath request must match all of them in order.
            if (want.nh.size() == 1 && !want.multipath) {
                if (fa.nh.empty()) continue;
                const dp::Nexthop& w = want.nh[0];
                if (w.ifindex && fa.nh.size() == 1 && fa.nh[0].ifindex != w.ifindex) continue;
                if (w.has_gw() && (fa.nh.size() != 1 || fa.nh[0].gw != w.gw)) continue;
                if (w.ifindex && fa.nh.size() > 1) continue;
            } else if (!(want.nh == fa.nh)) {
                continue;
            }
        }
        erase_alias(want.dst, v, i);
        return {};
    }
    return ws::make_error(ws::Errc::kNotFound, "No such process");
}

size_t RouteTable::remove_if(const std::function<bool(const dp::Route&)>& pred) {
    size_t removed = 0;
    std::vector<ws::InetPrefix> emptied;
    for (auto& [p, v] : by_prefix_.entries()) {
        size_t before = v.size();
        v.erase(std::remove_if(v.begin(), v.end(), pred), v.end());
        removed += before - v.size();
        if (v.empty()) emptied.push_back(p);
    }
    for (const auto& p : emptied) {
        --len_count_[p.len];
        by_prefix_.erase(p);
    }
    count_ -= removed;
    return removed;
}

void RouteTable::for_each_mut(const std::function<void(dp::Route&)>& f) {
    for (auto& [p, v] : by_prefix_.entries())
        for (auto& r : v) f(r);
}

void RouteTable::for_each_prefix_mut(const std::function<void(std::span<dp::Route>)>& f) {
    for (auto& [p, v] : by_prefix_.entries()) f(std::span<dp::Route>(v.data(), v.size()));
}

RouteTable::Handle RouteTable::probe(const ws::InetAddr& a, int from_len) const {
    for (int len = from_len; len >= 0; --len) {
        if (!len_count_[size_t(len)]) continue;
        if (const Aliases* v = by_prefix_.find(ws::InetPrefix{a, uint8_t(len)}.masked())) return Handle{v, uint8_t(len)};
    }
    return {};
}

std::vector<const dp::Route*> RouteTable::sorted() const {
    std::vector<const Aliases*> groups;
    groups.reserve(by_prefix_.size());
    for (const auto& [p, v] : by_prefix_.entries()) groups.push_back(&v);
    std::sort(groups.begin(), groups.end(), [](const Aliases* x, const Aliases* y) {
        const auto& a = x->front().dst;
        const auto& b = y->front().dst;
        if (a.addr.is_v6()) {
            // Post-order of the fib6 radix tree: the first differing bit within the shorter
            // length decides (0 before 1); a prefix inside another comes before it.
            unsigned common = std::min(a.len, b.len);
            for (unsigned i = 0; i < common; ++i)
                if (a.addr.bit(i) != b.addr.bit(i)) return a.addr.bit(i) < b.addr.bit(i);
            return a.len > b.len;
        }
        if (a.addr != b.addr) return a.addr < b.addr;
        return a.len > b.len;
    });
    std::vector<const dp::Route*> out;
    out.reserve(count_);
    for (const auto* g : groups)
        for (const auto& r : *g) out.push_back(&r);
    return out;
}

std::vector<std::span<const dp::Route>> RouteTable::groups() const {
    std::vector<std::span<const dp::Route>> out;
    out.reserve(by_prefix_.size());
    for (const auto& [p, v] : by_prefix_.entries()) out.emplace_back(v.data(), v.size());
    return out;
}

}  // namespace ctl
