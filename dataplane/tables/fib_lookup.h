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
    bool ok() const { return error == 0; }
};

enum LookupFlags : uint32_t {
    kLookupIgnoreLinkstate = 1,  // FIB_LOOKUP_IGNORE_LINKSTATE (gateway validation)
};

// The table's decision for a flow, or EAGAIN when it has none (no match, or `throw`).
template <class Table>
FibResult table_lookup(const Table& t, const sel::FlowKey& k, uint32_t flags) {
    FibResult res;
    res.error = EAGAIN;
    const bool v6 = k.daddr.is_v6();
    for (auto h = t.first(k.daddr); t.valid(h); h = t.next(k.daddr, h)) {
        for (const Route& r : t.routes(h)) {
            if (r.tos && (v6 || r.tos != (k.tos & 0x1c))) continue;
            if (r.scope < k.scope) continue;
            const auto& info = route_type_info(r.type);
            if (info.disposition == Disposition::kError || info.disposition == Disposition::kThrow) {
                res.error = info.error;
                res.route = &r;
                res.prefixlen = t.prefixlen(h);
                return res;
            }
            for (uint32_t i = 0; i < r.nh.size(); ++i) {
                const Nexthop& nh = r.nh[i];
                if (!(flags & kLookupIgnoreLinkstate) && (nh.flags & kNhDead)) continue;
                if (k.oif && k.oif != nh.ifindex) continue;
                res.error = 0;
                res.route = &r;
                res.nh_index = i;
                res.prefixlen = t.prefixlen(h);
                return res;
            }
        }
    }
    return res;
}

// The rule walk. RuleSet: size(), rule(i), table_of(i) -> const Table* (nullptr: no such table).
template <class RuleSet>
FibResult fib_lookup(const RuleSet& rules, const Interfaces& ifs, const sel::FlowKey& k, uint32_t flags) {
    FibResult res;
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
                FibResult r = table_lookup(*table, k, flags);
                if (r.error == EAGAIN) continue;
                if (r.ok()) {
                    if (int(r.prefixlen) <= rule.suppress_prefixlen) continue;
                    if (rule.suppress_ifgroup != -1) {
                        const Link* dev = ifs.find(r.route->nh[r.nh_index].ifindex);
                        if (dev && dev->group == uint32_t(rule.suppress_ifgroup)) continue;
                    }
                }
                r.table = rule.table;
                r.rule_priority = rule.priority;
                return r;
            }
            case RuleAction::kUnreachable:
                res.error = ENETUNREACH;
                res.rule_priority = rule.priority;
                return res;
            case RuleAction::kProhibit:
                res.error = EACCES;
                res.rule_priority = rule.priority;
                return res;
            case RuleAction::kBlackhole:
                res.error = EINVAL;
                res.rule_priority = rule.priority;
                return res;
        }
    }
    res.error = ENETUNREACH;
    return res;
}

}  // namespace dp
