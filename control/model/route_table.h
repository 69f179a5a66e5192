#pragma once
// RouteTable — one mutable routing table of the model: every alias by prefix, in Linux order
// (higher tos first, then ascending metric, then insertion), with add/append/prepend/replace/
// delete semantics of fib_table_insert()/fib_table_delete() (reference §2.3).
//
// It satisfies the Table concept of dataplane/tables/fib_lookup.h by probing each prefix
// length present, longest first: the model answers lookups the same way the compiled Fib does
// (gateway validation needs that while a batch is applied).
#include <array>
#include <cstring>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/inet.h"
#include "control/model/prefix_map.h"
#include "dataplane/tables/route.h"

namespace ctl {

enum class InsertMode : uint8_t { kAdd, kAppend, kPrepend, kReplace };

class RouteTable {
public:
    using Aliases = std::vector<dp::Route>;
    struct Handle {
        const Aliases* aliases = nullptr;
        uint8_t len = 0;
    };

    // Inserts r (r.dst masked, r.table set) per the mode. Errors: kExists ("File exists").
    // IPv4 (fib_table_insert): key (tos, metric), order tos desc, metric, insertion.
    ws::Status insert(dp::Route r, InsertMode mode);
    // IPv6 (fib6_add_rt2node): key metric, order metric then insertion; a gateway route
    // appended at a metric that has one joins its ECMP group (dp::Route::sibling_group) at the
    // end of the metric; replace replaces the first route of the same class (gateway or not),
    // else the metric's first route, a whole group at once.
    // routes: one per nexthop (an error route: one without), alike but for the nexthop; two or
    // more form one ECMP group.
    ws::Status insert6(std::vector<dp::Route> routes, InsertMode mode);
    // IPv6 delete (ip6_route_del): the first match in metric order; with a gateway only that
    // nexthop of an ECMP group goes.
    ws::Status remove6(const dp::Route& want);
    // Deletes the first alias matching the given fields: dst and tos exactly, the rest only when
    // set in `want` (metric 0, type kUnspec, scope kScopeNowhere, protocol 0 and no nexthop
    // mean "any"). Errors: kNotFound ("No such process").
    ws::Status remove(const dp::Route& want);
    // Removes every alias for which pred is true; returns how many.
    size_t remove_if(const std::function<bool(const dp::Route&)>& pred);
    // Visits every alias mutably (for link state changes).
    void for_each_mut(const std::function<void(dp::Route&)>& f);
    // Visits every prefix's aliases mutably, in their order (IPv6 siblings together).
    void for_each_prefix_mut(const std::function<void(std::span<dp::Route>)>& f);

    Handle first(const ws::InetAddr& a) const { return probe(a, int(a.bits())); }
    Handle next(const ws::InetAddr& a, Handle h) const { return probe(a, int(h.len) - 1); }
    bool valid(Handle h) const { return h.aliases != nullptr; }
    uint8_t prefixlen(Handle h) const { return h.len; }
    std::span<const dp::Route> routes(Handle h) const { return {h.aliases->data(), h.aliases->size()}; }

    size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    // Every alias, in `ip route show` order. IPv4: ascending address, longer prefix first.
    // IPv6: the fib6 tree's post-order (a prefix after everything inside it).
    std::vector<const dp::Route*> sorted() const;
    // One span per prefix over the aliases in Linux order (Fib::build_groups' input); valid
    // until the table changes.
    std::vector<std::span<const dp::Route>> groups() const;
    void reserve(size_t prefixes) { by_prefix_.reserve(prefixes); }

private:
    Handle probe(const ws::InetAddr& a, int from_len) const;
    void erase_alias(const ws::InetPrefix& dst, Aliases& v, size_t i);
    void erase_group(const ws::InetPrefix& dst, Aliases& v, size_t i);  // i and its siblings
    void take_group(Aliases& v, size_t i);  // as erase_group, keeping the prefix even if empty
    void forget_if_empty(const ws::InetPrefix& dst, const Aliases& v);

    PrefixMap<Aliases> by_prefix_;
    std::array<uint32_t, 129> len_count_{};  // prefixes present per length
    size_t count_ = 0;
    uint32_t last_group_ = 0;  // IPv6 sibling group ids
};

}  // namespace ctl
