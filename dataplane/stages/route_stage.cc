#include "dataplane/stages/route_stage.h"

#include <cerrno>
#include <cstring>

#include <rte_prefetch.h>

#include "dataplane/tables/flow_hash.h"
#include "dataplane/tables/route_decision.h"

namespace dp {
namespace {

inline uint32_t key_hash(const PacketMeta& m) {
    return flow_hash_finish(flow_addr_mix(m.src, m.dst) ^ (uint64_t(m.iif) << 40) ^ (uint64_t(m.fwmark) << 8) ^
                            (uint64_t(m.sport) << 24) ^ (uint64_t(m.dport) << 48) ^ (uint64_t(m.tos) << 16) ^ m.proto);
}

inline bool key_equal(const RouteCacheEntry& e, const PacketMeta& m, uint64_t gen) {
    return e.generation == gen && e.iif == m.iif && e.dst == m.dst && e.src == m.src && e.mark == m.fwmark &&
           e.tos == m.tos && e.proto == m.proto && e.sport == m.sport && e.dport == m.dport;
}

// Linux's ip_error()/ip6_pkt_drop(): which drop, and which ICMP error, for a failed lookup.
void classify_error(const RouteDecision& d, const FamilyRouting& fr, bool v6, RouteCacheEntry& e) {
    const Rule* rule = d.rule_index >= 0 && size_t(d.rule_index) < fr.rules.size() ? &fr.rules[size_t(d.rule_index)] : nullptr;
    const bool by_rule = rule && !d.route;
    e.next = Next::kIcmpError;
    e.icmp_type = v6 ? 1 : 3;
    switch (d.error) {
        case ENETUNREACH:
            e.drop = by_rule && rule->action == RuleAction::kUnreachable ? DropReason::kUnreachable : DropReason::kNoRoute;
            e.icmp_code = 0;  // ICMP_NET_UNREACH / ICMPV6_NOROUTE
            return;
        case EHOSTUNREACH:
            e.drop = DropReason::kUnreachable;
            e.icmp_code = v6 ? 0 : 1;  // ICMP_HOST_UNREACH / ICMPV6_NOROUTE (ip6_pkt_discard)
            return;
        case EACCES:
            e.drop = DropReason::kProhibited;
            e.icmp_code = v6 ? 1 : 13;  // ICMP_PKT_FILTERED / ICMPV6_ADM_PROHIBITED
            return;
        default: break;
    }
    e.next = Next::kDrop;
    if (d.martian == Martian::kSource) e.drop = DropReason::kMartianSource;
    else if (d.martian == Martian::kDestination) e.drop = DropReason::kMartianDestination;
    else if ((d.route && d.route->type == RouteType::kBlackhole) || (by_rule && rule->action == RuleAction::kBlackhole))
        e.drop = DropReason::kBlackhole;
    else e.drop = DropReason::kRouteError;
}

// The rule that decided, as a counter slot; the kernel's default rules decide without a walk
// while no rule was ever added, so they are found by priority.
int32_t rule_slot(const Snapshot& s, const RouteDecision& d, ws::Family f) {
    const FamilyRouting& fr = s.routing->family(f);
    int32_t idx = d.rule_index;
    if (idx < 0 && d.has_table) {
        for (size_t i = 0; i < fr.rules.size(); ++i)
            if (fr.rules[i].priority == d.rule_priority) {
                idx = int32_t(i);
                break;
            }
    }
    return idx < 0 ? -1 : int32_t(s.rule_slot(f, idx));
}

}  // namespace

bool is_local(const RouteDecision& d) {
    // IPv4 flags local delivery (RTCF_LOCAL); IPv6 delivers local and the kernel's anycast
    // routes through lo.
    return (d.cache_flags & kRtcfLocal) || d.type == RouteType::kLocal || d.dev == sel::kLoopbackIfindex;
}

sel::FlowKey flow_key(const PacketMeta& m) {
    sel::FlowKey k;
    k.daddr = m.dst;
    k.saddr = m.src;
    k.iif = m.iif;
    k.mark = m.fwmark;
    k.tos = m.tos;
    k.proto = m.proto;
    k.sport = m.sport;
    k.dport = m.dport;
    return k;
}

void RouteStage::decide(const PacketMeta& m, const StageContext& ctx, RouteCacheEntry& e) noexcept {
    const Snapshot& s = ctx.snap;
    const bool v6 = m.dst.is_v6();
    e.out_port = kNoPort;
    e.out_ifindex = 0;
    e.mtu = 0;
    e.nexthop = ws::InetAddr{};
    e.neigh_slot = 0;
    if (m.dst.is_multicast() || (m.from_host && m.dst.is_lbcast())) {
        // No multicast routing; what the gateway's kernel multicasts (router solicitations,
        // MLD, mDNS) stays on its TAP link, and link-local groups are not joined.
        e.next = Next::kDrop;
        e.drop = DropReason::kMulticast;
        e.rule_slot = -1;
        e.route_slot = -1;
        return;
    }
    sel::FlowKey k = flow_key(m);
    // Packets of the gateway's own kernel are output lookups bound to their source (iif lo).
    RouteDecision d = m.from_host ? route_output(*s.routing, k) : route_input(*s.routing, k);
    const ws::Family f = v6 ? ws::Family::kInet6 : ws::Family::kInet;
    e.rule_slot = rule_slot(s, d, f);
    e.route_slot = -1;
    if (d.route) {
        // The merged local+main lookup reports main for a route of local too.
        const FamilyRouting& fr = s.routing->family(f);
        for (uint32_t t : {d.table, kTableLocal})
            if (const Fib* fib = fr.table(t); fib && e.route_slot < 0) e.route_slot = fib->counter_slot(d.route);
    }
    e.drop = DropReason::kNone;
    e.icmp_type = e.icmp_code = 0;
    if (d.error) {
        classify_error(d, s.routing->family(v6 ? ws::Family::kInet6 : ws::Family::kInet), v6, e);
        if (m.from_host && e.next == Next::kIcmpError) e.next = Next::kDrop;  // the socket gets the error
        return;
    }
    if (is_local(d)) {
        e.next = Next::kLocal;
        return;
    }
    if (!resolve_egress(d, m.dst, ctx, e)) {
        e.next = Next::kDrop;
        e.drop = DropReason::kNotForwardable;
        return;
    }
    e.next = Next::kForward;
}

void RouteStage::run(Burst& burst, const StageContext& ctx) noexcept {
    const Snapshot& s = ctx.snap;
    const uint64_t gen = s.generation;
    if (gen != generation_) {
        std::fill(tags_.begin(), tags_.end(), SetTags{});
        generation_ = gen;
    }
    uint64_t* rule_hits = s.rule_row(ctx.worker);
    uint64_t* route_hits = s.route_row(ctx.worker);
    uint32_t hash[kBurstMax];
    int32_t way[kBurstMax];
    // 1. gather keys: hash them, prefetch the sets' tags
    for (uint16_t i = 0; i < burst.n; ++i) {
        if (burst.meta[i].next != Next::kRoute) continue;
        hash[i] = key_hash(burst.meta[i]) | 0x80000000u;  // tag 0 means empty; the set takes the low bits
        rte_prefetch0(&tags_[hash[i] & (kSets - 1)]);
    }
    // 2. probe the tags, prefetch the matching entry
    for (uint16_t i = 0; i < burst.n; ++i) {
        way[i] = -1;
        if (burst.meta[i].next != Next::kRoute) continue;
        const uint32_t set = hash[i] & (kSets - 1);
        for (uint32_t w = 0; w < kWays; ++w)
            if (tags_[set].tag[w] == hash[i]) way[i] = int32_t(w);
        if (way[i] >= 0) rte_prefetch0(&cache_[set * kWays + uint32_t(way[i])]);
    }
    // 3. compare, decide a miss (applied at once: a later packet may take the same way), apply
    for (uint16_t i = 0; i < burst.n; ++i) {
        PacketMeta& m = burst.meta[i];
        if (m.next != Next::kRoute) continue;
        const uint32_t set = hash[i] & (kSets - 1);
        RouteCacheEntry* e = way[i] >= 0 ? &cache_[set * kWays + uint32_t(way[i])] : nullptr;
        if (!cache_enabled_) {
            e = &cache_[set * kWays];
            decide(m, ctx, *e);
        } else if (!e || tags_[set].tag[way[i]] != hash[i] || !key_equal(*e, m, gen)) {
            // An earlier packet of this burst may have just filled the flow's way.
            uint32_t w = 0;
            while (w < kWays && !(tags_[set].tag[w] == hash[i] && key_equal(cache_[set * kWays + w], m, gen))) ++w;
            if (w < kWays) {
                e = &cache_[set * kWays + w];
                goto apply;
            }
            w = 0;
            while (w < kWays && tags_[set].tag[w] != hash[i]) ++w;  // a same-hash other key: reuse its way
            if (w == kWays) w = victim_[set]++ % kWays;
            tags_[set].tag[w] = hash[i];
            e = &cache_[set * kWays + w];
            bump(ctx.counters.route_cache_misses);
            e->generation = gen;
            e->src = m.src;
            e->dst = m.dst;
            e->iif = m.iif;
            e->mark = m.fwmark;
            e->tos = m.tos;
            e->proto = m.proto;
            e->sport = m.sport;
            e->dport = m.dport;
            decide(m, ctx, *e);
        }
    apply:
        m.next = e->next;
        m.drop = e->drop;
        m.icmp_type = e->icmp_type;
        m.icmp_code = e->icmp_code;
        m.out_port = e->out_port;
        m.out_ifindex = e->out_ifindex;
        m.mtu = e->mtu;
        m.nexthop = e->nexthop;
        m.neigh_slot = e->neigh_slot;
        if (e->rule_slot >= 0) bump(rule_hits[e->rule_slot]);
        if (e->route_slot >= 0) bump(route_hits[e->route_slot]);
    }
}

}  // namespace dp
