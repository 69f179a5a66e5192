#pragma once
// fib_lookup() — Linux's policy routing decision: the rule walk (fib_rules_lookup) and the
// lookup inside one table (fib_table_lookup), written once over any table representation.
//
// Needs:   a FlowKey (selectors/flow_key.h).
// Returns: FibResult with error 0 and the route/nexthop, or the errno Linux returns:
//          ENETUNREACH (no rule decided, or an `unreachable` rule), EHOSTUNREACH (`unreachable`
//          route), EACCES (prohibit), EINVAL (blackhole).
// Table concept (the model's tables and the compiled Fib both satisfy it):
//          Handle first(addr) / next(addr, Handle): the matching prefixes, longest first;
//          bool valid(Handle); uint8_t prefixlen(Handle); routes(Handle): the aliases in
//          Linux order (higher tos first, then metric, then insertion).
// Semantics: reference §1.6 and §2.4, in that pseudo-code's order.
#include <cerrno>
#include <cstdint>
#include <span>

#include "dataplane/tables/interfaces.h"
#include "dataplane/tables/route.h"
#include "dataplane/tables/rule.h"

namespace dp {

struct FibResult {
    int error = ENETUNREACH;       // 0: route found; EAGAIN: keep walking (internal)
    const Route* route = nullptr;  // set for success and for error routes
    uint32_t nh_index = 0;
    uint32_t table = 0;
    uint32_t rule_priority = 0;
    uint8_t prefixlen = 0;
    int32_t rule_index = -1;       // the rule that decided, in the walk's order (-1: none)
    std::span<const Route> aliases;  // every alias of the matched prefix (IPv6 siblings live there)
    bool ok() const { return error == 0; }
};

enum LookupFlags : uint32_t {
    kLookupIgnoreLinkstate = 1,  // FIB_LOOKUP_IGNORE_LINKSTATE (gateway validation)
    kLookupStrictIface = 2,      // IPv6 RT6_LOOKUP_F_IFACE: a route off k.oif is no candidate
    kLookupNoSuppress = 4,       // IPv6 gateway checks: fib6_rule_suppress() does not apply
};

// Checks one prefix's aliases in order (fib_table_lookup's inner loop). Returns true when they
// decide: a usable nexthop (error 0), an error route, or `throw` (EAGAIN).
inline bool check_aliases(std::span<const Route> aliases, uint8_t prefixlen, const sel::FlowKey& k, uint32_t flags,
                          FibResult& res) {
    const bool v6 = k.daddr.is_v6();
    for (const Route& r : aliases) {
        if (r.tos && (v6 || r.tos != (k.tos & 0x1c))) continue;
        if (r.scope < k.scope) continue;
        const auto& info = route_type_info(r.type);
        if (info.disposition == Disposition::kError || info.disposition == Disposition::kThrow) {
            res.error = info.error;
            res.route = &r;
            res.prefixlen = prefixlen;
            return true;
        }
        for (uint32_t i = 0; i < r.nh.size(); ++i) {
            const Nexthop& nh = r.nh[i];
            if (!(flags & kLookupIgnoreLinkstate) && (nh.flags & kNhUnusable)) continue;
            if (k.oif && k.oif != nh.ifindex) continue;
            res.error = 0;
            res.route = &r;
            res.nh_index = i;
            res.prefixlen = prefixlen;
            return true;
        }
    }
    return false;
}

// The table's decision for a flow, or EAGAIN when it has none (no match, or `throw`).
template <class Table>
FibResult table_lookup(const Table& t, const sel::FlowKey& k, uint32_t flags) {
    FibResult res;
    res.error = EAGAIN;
    for (auto h = t.first(k.daddr); t.valid(h); h = t.next(k.daddr, h))
        if (check_aliases(t.routes(h), t.prefixlen(h), k, flags, res)) return res;
    res.error = EAGAIN;
    return res;
}

// IPv6 (fib6_table_lookup/rt6_select): at each matching prefix, longest first, the routes are
// in metric order; the first route of the lowest metric with the best score wins, else the
// best of all the others. A route scores 2 when it leaves through k.route_oif (or there is
// none; input lookups pass iif there), 0 otherwise (no candidate when strict), plus its preference
// times 4. Error routes are routes through lo. An ECMP group is one Route whose nexthops each
// score as one sibling; the hash choice among them is the caller's (fib6_select_path).
inline int score6(const Route& r, uint32_t dev, const sel::FlowKey& k, uint32_t flags) {
    int m = (!k.route_oif || dev == k.route_oif) ? 2 : 0;
    if (!m && (flags & kLookupStrictIface)) return -1;
    return m | (r.pref << 2);
}

template <class Table>
FibResult table_lookup6(const Table& t, const sel::FlowKey& k, uint32_t flags) {
    FibResult res;
    res.error = EAGAIN;
    for (auto h = t.first(k.daddr); t.valid(h); h = t.next(k.daddr, h)) {
        const auto routes = t.routes(h);
        int best = -1;
        const Route* chosen = nullptr;
        uint32_t chosen_nh = 0;
        auto consider = [&](const Route& r) {
            if (r.nh.empty()) {
                int m = score6(r, sel::kLoopbackIfindex, k, flags);
                if (m > best) best = m, chosen = &r, chosen_nh = 0;
                return;
            }
            for (uint32_t i = 0; i < r.nh.size(); ++i) {
                if (!(flags & kLookupIgnoreLinkstate) && (r.nh[i].flags & kNhUnusable)) continue;
                int m = score6(r, r.nh[i].ifindex, k, flags);
                if (m > best) best = m, chosen = &r, chosen_nh = i;
            }
        };
        size_t i = 0;
        const uint32_t metric = routes.empty() ? 0 : routes[0].metric;
        for (; i < routes.size() && routes[i].metric == metric; ++i) consider(routes[i]);
        for (; !chosen && i < routes.size(); ++i) consider(routes[i]);
        if (!chosen) continue;
        res.aliases = routes;
        const auto& info = route_type_info(chosen->type);
        res.error = info.disposition == Disposition::kError || info.disposition == Disposition::kThrow ? info.error : 0;
        res.route = chosen;
        res.nh_index = chosen_nh;
        res.prefixlen = t.prefixlen(h);
        return res;
    }
    return res;
}

// Lookup in the local and main tables as one trie: what IPv4 does while no rule was ever added
// (fib_has_custom_rules is false and the kernel keeps local merged into main). Prefixes of
// both tables are visited longest first, local's aliases before main's at equal length.
template <class Table>
FibResult merged_lookup(const Table* local, const Table* main, const sel::FlowKey& k, uint32_t flags) {
    FibResult res;
    res.error = EAGAIN;
    auto hl = local ? local->first(k.daddr) : typename Table::Handle{};
    auto hm = main ? main->first(k.daddr) : typename Table::Handle{};
    bool vl = local && local->valid(hl), vm = main && main->valid(hm);
    while (vl || vm) {
        if (vl && (!vm || local->prefixlen(hl) >= main->prefixlen(hm))) {
            if (check_aliases(local->routes(hl), local->prefixlen(hl), k, flags, res)) return res;
            hl = local->next(k.daddr, hl);
            vl = local->valid(hl);
        } else {
            if (check_aliases(main->routes(hm), main->prefixlen(hm), k, flags, res)) return res;
            hm = main->next(k.daddr, hm);
            vm = main->valid(hm);
        }
    }
    res.error = EAGAIN;
    return res;
}

// A lookup in "table local" as the kernel does it: while local is merged into main (no custom
// rule yet) the local table's trie is main's, so main's routes answer too.
template <class RuleSet>
FibResult local_table_lookup(const RuleSet& rules, const sel::FlowKey& k) {
    const auto* local = rules.table_by_id(kTableLocal);
    if (!rules.custom_rules && k.daddr.is_v4()) return merged_lookup(local, rules.table_by_id(kTableMain), k, 0);
    FibResult res;
    res.error = EAGAIN;
    if (local) res = table_lookup(*local, k, 0);
    return res;
}

// The rule walk. RuleSet: size(), rule(i), table_of(i) -> const Table* (nullptr: no such
// table), table_by_id(id), and the flag custom_rules.
template <class RuleSet>
FibResult fib_lookup(const RuleSet& rules, const Interfaces& ifs, const sel::FlowKey& k, uint32_t flags) {
    FibResult res;
    if (!rules.custom_rules && k.daddr.is_v4()) {
        // The kernel's inline fib_lookup(): merged local+main, then default.
        res = merged_lookup(rules.table_by_id(kTableLocal), rules.table_by_id(kTableMain), k, flags);
        res.table = kTableMain;
        res.rule_priority = 32766;
        if (res.error == EAGAIN) {
            if (const auto* d = rules.table_by_id(kTableDefault)) res = table_lookup(*d, k, flags);
            res.table = kTableDefault;
            res.rule_priority = 32767;
        }
        if (res.error == EAGAIN) res.error = ENETUNREACH;
        return res;
    }
    const size_t n = rules.size();
    for (size_t i = 0; i < n; ++i) {
    jumped:
        const Rule& rule = rules.rule(i);
        if (!rule.matches(k)) continue;
        switch (rule.action) {
            case RuleAction::kGoto:
                if (rule.goto_index == kNoGoto) continue;  // unresolved: skipped
                i = size_t(rule.goto_index);
                goto jumped;
            case RuleAction::kNop:
                continue;
            case RuleAction::kToTable: {
                const auto* table = rules.table_of(i);
                if (!table) continue;
                FibResult r = k.daddr.is_v6() ? table_lookup6(*table, k, flags) : table_lookup(*table, k, flags);
                if (r.error == EAGAIN) continue;
                if (r.ok() && !(flags & kLookupNoSuppress)) {
                    if (int(r.prefixlen) <= rule.suppress_prefixlen) continue;
                    if (rule.suppress_ifgroup != -1) {
                        const Link* dev = ifs.find(r.route->nh[r.nh_index].ifindex);
                        if (dev && dev->group == uint32_t(rule.suppress_ifgroup)) continue;
                    }
                }
                r.table = rule.table;
                r.rule_priority = rule.priority;
                r.rule_index = int32_t(i);
                return r;
            }
            case RuleAction::kUnreachable:
                res.error = ENETUNREACH;
                res.rule_priority = rule.priority;
                res.rule_index = int32_t(i);
                return res;
            case RuleAction::kProhibit:
                res.error = EACCES;
                res.rule_priority = rule.priority;
                res.rule_index = int32_t(i);
                return res;
            case RuleAction::kBlackhole:
                res.error = EINVAL;
                res.rule_priority = rule.priority;
                res.rule_index = int32_t(i);
                return res;
        }
    }
    res.error = ENETUNREACH;
    return res;
}

}  // namespace dp
