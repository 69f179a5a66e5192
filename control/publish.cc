#include "control/publish.h"

#include <rte_rcu_qsbr.h>

#include <unordered_map>

#include "common/inet.h"
#include "control/compile/compile_firewall.h"

namespace ctl {

void Publisher::publish(std::unique_ptr<dp::Snapshot> next) {
    std::unique_ptr<dp::Snapshot> old = std::move(current_);
    current_ = std::move(next);
    slot_.current.store(current_.get(), std::memory_order_release);
    if (!old) return;
    // Every worker that could still read `old` passes a quiescent state within one poll round.
    if (slot_.qs) rte_rcu_qsbr_synchronize(slot_.qs, RTE_QSBR_THRID_INVALID);
    // The old counters are final now: carry them over to the same rules in the new snapshot.
    std::unordered_map<std::string, uint64_t> totals;
    for (size_t i = 0; i < old->rule_names.size(); ++i) totals[old->rule_names[i]] += old->rule_hits_total(i);
    carry_counters(old->fw, current_->fw);
    std::unordered_map<uint64_t, uint64_t> route_totals;
    for_each_route_slot(*old, [&](ws::Family f, const dp::Route& r, size_t slot) {
        if (uint64_t n = old->route_hits_total(slot)) route_totals[route_identity(f, r)] += n;
    });
    if (!route_totals.empty())
        for_each_route_slot(*current_, [&](ws::Family f, const dp::Route& r, size_t slot) {
            auto it = route_totals.find(route_identity(f, r));
            if (it != route_totals.end()) current_->route_hits_base[slot] = it->second;
        });
    for (size_t i = 0; i < current_->rule_names.size(); ++i) {
        auto it = totals.find(current_->rule_names[i]);
        if (it != totals.end()) {
            current_->rule_hits_base[i] += it->second;
            totals.erase(it);  // a duplicate rule gets its own count once
        }
    }
}

uint64_t route_identity(ws::Family f, const dp::Route& r) {
    // (family, table, prefix, tos, metric, type): Linux's identity of a route plus its type.
    uint64_t h = 0xcbf29ce484222325ull ^ uint64_t(f);
    auto mix = [&h](uint64_t v) {
        h ^= v;
        h *= 0x100000001b3ull;
    };
    for (uint8_t b : r.dst.addr.b) mix(b);
    mix(r.dst.len);
    mix(r.table);
    mix(r.tos);
    mix(r.metric);
    mix(uint64_t(r.type));
    return h;
}

}  // namespace ctl
