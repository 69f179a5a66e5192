#include "dataplane/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <cstring>

#include "dataplane/arp_nd.h"
#include "dataplane/tables/route_decision.h"

namespace dp {

// Per-stage cycles, sampled: one poll round in kStageSample is timed stage by stage (a TSC read
// costs tens of cycles; on every burst the clock would cost ~8 cycles a packet). Packets are
// counted for the timed bursts only, so cycles / packets is the per-packet cost.
constexpr uint64_t kStageSample = 16;

struct StageClock {
    bool on = false;
    uint64_t t = 0;
    void lap(WorkerCounters& c, StageId s, uint16_t n) {
        if (!on) return;
        const uint64_t now = rte_rdtsc();
        bump(c.stage_cycles[size_t(s)], now - t);
        bump(c.stage_packets[size_t(s)], n);
        t = now;
    }
};

namespace {


// Whether addr is one of the link's own addresses.
bool owns(const Snapshot& s, uint32_t ifindex, const ws::InetAddr& addr) {
    const Link* l = s.routing->ifs.find(ifindex);
    if (!l) return false;
    for (const auto& a : l->addrs)
        if (a.local == addr) return true;
    return false;
}

}  // namespace

Worker::Worker(WorkerConfig cfg, SnapshotSlot& slot, NeighbourTable& neigh, WorkerCounters& counters,
               std::atomic<bool>& stop, std::atomic<uint64_t>& last_rx_tsc)
    : cfg_(std::move(cfg)), slot_(slot), neigh_(neigh), counters_(counters), stop_(stop), last_rx_tsc_(last_rx_tsc),
      tx_(kMaxPorts) {
    pending_.reserve(kPendingMax);
    route_.set_cache_enabled(cfg_.route_cache);
}

void Worker::loop() {
    rte_rcu_qsbr_thread_register(slot_.qs, cfg_.id);
    rte_rcu_qsbr_thread_online(slot_.qs, cfg_.id);
    const uint64_t hz = rte_get_tsc_hz();
    Burst burst;
    uint64_t polls = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
        const Snapshot* snap = slot_.current.load(std::memory_order_acquire);
        StageContext ctx{*snap, neigh_, counters_, cfg_.id, rte_rdtsc(), hz};
        const bool timed = polls++ % kStageSample == 0;
        bool got = false;
        for (const auto& [port, queue] : cfg_.rx) {
            StageClock clk{timed, timed ? rte_rdtsc() : 0};
            const uint16_t n = rte_eth_rx_burst(port, queue, burst.pkt, kBurstMax);
            if (!n) continue;
            got = true;
            burst.n = n;
            burst.in_port = port;
            clk.lap(counters_, StageId::kRx, n);
            run_pipeline(burst, ctx, clk);
        }
        flush_tx(ctx);
        if (!pending_.empty()) service_pending(ctx);
        rte_rcu_qsbr_quiescent(slot_.qs, cfg_.id);
        if (got) {
            // A round that carried packets is busy from its start to here, tx flush included.
            bump(counters_.busy_cycles, rte_rdtsc() - ctx.now_tsc);
            last_rx_tsc_.store(ctx.now_tsc, std::memory_order_relaxed);
        } else {
            bump(counters_.idle_polls);
            if (cfg_.idle_backoff_us) rte_delay_us_sleep(cfg_.idle_backoff_us);
        }
    }
    const Snapshot* snap = slot_.current.load(std::memory_order_acquire);
    StageContext ctx{*snap, neigh_, counters_, cfg_.id, rte_rdtsc(), hz};
    flush_tx(ctx);
    for (auto& p : pending_) rte_pktmbuf_free(p.m);
    pending_.clear();
    rte_rcu_qsbr_thread_offline(slot_.qs, cfg_.id);
    rte_rcu_qsbr_thread_unregister(slot_.qs, cfg_.id);
}

void Worker::process_burst(Burst& b, const StageContext& ctx) {
    StageClock clk;
    run_pipeline(b, ctx, clk);
}

void Worker::run_pipeline(Burst& b, const StageContext& ctx, StageClock& clk) {
    WorkerCounters& c = counters_;
    PortCounters& in = c.port[b.in_port % kMaxPorts];
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < b.n; ++i) bytes += rte_pktmbuf_pkt_len(b.pkt[i]);
    bump(in.rx_packets, b.n);
    bump(in.rx_bytes, bytes);
    bump(c.rx_packets, b.n);
    parse_.run(b, ctx);
    clk.lap(c, StageId::kParse, b.n);
    route(b, ctx, clk);
    if (ctx.snap.ipsec) {
        if (ipsec_.inbound(b, ctx)) route(b, ctx, clk);  // the decrypted packets
        ipsec_.check(b, ctx);
        clk.lap(c, StageId::kIpsecIn, b.n);
    }
    const bool gre = !ctx.snap.gre_links.empty();
    if (gre) {
        // GRE delivered locally (past INPUT and the dir-in policy): the inner packets are
        // routed and policy-checked (fwd/in) as received on the link; nothing else twice.
        const BurstMask inner = gre_.decap(b, ctx);
        clk.lap(c, StageId::kGre, b.n);
        if (inner) {
            route(b, ctx, clk);
            if (ctx.snap.ipsec) {
                ipsec_.check(b, ctx, inner);
                clk.lap(c, StageId::kIpsecIn, b.n);
            }
        }
    }
    forward_.run(b, ctx);
    clk.lap(c, StageId::kForward, b.n);
    if (ctx.snap.fw_any) {
        firewall_.forward(b, ctx);
        clk.lap(c, StageId::kFirewall, b.n);
    }
    if (gre) {
        gre_.encap(b, ctx);  // the outer packets then take the out policy like the host's own
        clk.lap(c, StageId::kGre, b.n);
    }
    ipsec_.outbound(b, ctx);
    clk.lap(c, StageId::kIpsecOut, b.n);
    // The slow path: ARP, ND and ICMP errors (which become packets to route and send).
    bool slow = false;
    for (uint16_t i = 0; i < b.n; ++i) {
        PacketMeta& m = b.meta[i];
        switch (m.next) {
            case Next::kArp: handle_arp(b.pkt[i], m, ctx); slow = true; break;
            case Next::kNd: handle_nd(b.pkt[i], m, ctx); slow = true; break;
            case Next::kIcmpError: handle_icmp_error(b.pkt[i], m, ctx); slow = true; break;
            case Next::kRoute:
            case Next::kForward:
            case Next::kLocal:
            case Next::kTx:
            case Next::kPending:
            case Next::kDrop: break;
        }
    }
    if (slow) {
        if (gre) gre_.encap(b, ctx);  // ICMP errors routed into a tunnel
        ipsec_.outbound(b, ctx);
        clk.lap(c, StageId::kSlowPath, b.n);
    }
    neighbour_.run(b, ctx);
    clk.lap(c, StageId::kNeighbour, b.n);
    // The worker alone transmits, queues and frees.
    rte_mbuf* dead[kBurstMax];
    unsigned ndead = 0;
    for (uint16_t i = 0; i < b.n; ++i) {
        PacketMeta& m = b.meta[i];
        switch (m.next) {
            case Next::kTx:
                if (m.neigh_probe && neigh_.should_probe(m.neigh_slot, ctx.now_tsc, ctx.tsc_hz)) probe(m, ctx);
                tx_enqueue(m.out_port, b.pkt[i], ctx);
                break;
            case Next::kPending: hold_for_neighbour(b.pkt[i], m, ctx); break;
            case Next::kDrop:
                if (m.drop != DropReason::kNone) bump(c.drops[size_t(m.drop)]);
                dead[ndead++] = b.pkt[i];
                break;
            case Next::kRoute:
            case Next::kArp:
            case Next::kNd:
            case Next::kForward:
            case Next::kLocal:
            case Next::kIcmpError:
                // Not reachable: every stage above leaves one of the three verdicts.
                bump(c.drops[size_t(DropReason::kRouteError)]);
                dead[ndead++] = b.pkt[i];
                break;
        }
    }
    if (ndead) rte_pktmbuf_free_bulk(dead, ndead);
    clk.lap(c, StageId::kTx, b.n);
}

void Worker::route(Burst& b, const StageContext& ctx, StageClock& clk) {
    WorkerCounters& c = counters_;
    if (!ctx.snap.fw_any) {
        route_.run(b, ctx);
        clk.lap(c, StageId::kRoute, b.n);
        return;
    }
    firewall_.prerouting(b, ctx);
    clk.lap(c, StageId::kFirewall, b.n);
    route_.run(b, ctx);
    clk.lap(c, StageId::kRoute, b.n);
    if (firewall_.output(b, ctx)) route_.run(b, ctx);
    firewall_.local(b, ctx);
    clk.lap(c, StageId::kFirewall, b.n);
}

void Worker::tx_enqueue(uint16_t port, rte_mbuf* m, const StageContext& ctx) {
    if (port >= kMaxPorts) {
        bump(counters_.drops[size_t(DropReason::kNotForwardable)]);
        rte_pktmbuf_free(m);
        return;
    }
    TxBuffer& t = tx_[port];
    t.pkt[t.n++] = m;
    if (t.n == kTxBuf) flush_port(port, ctx);
}

void Worker::flush_port(uint16_t port, const StageContext&) {
    TxBuffer& t = tx_[port];
    if (!t.n) return;
    const TxQueue& q = cfg_.tx[port];
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < t.n; ++i) bytes += rte_pktmbuf_pkt_len(t.pkt[i]);
    if (q.lock) rte_spinlock_lock(q.lock);
    const uint16_t sent = rte_eth_tx_burst(port, q.queue, t.pkt, t.n);
    if (q.lock) rte_spinlock_unlock(q.lock);
    PortCounters& pc = counters_.port[port];
    if (sent < t.n) {
        for (uint16_t i = sent; i < t.n; ++i) bytes -= rte_pktmbuf_pkt_len(t.pkt[i]);
        bump(pc.tx_dropped, t.n - sent);
        bump(counters_.drops[size_t(DropReason::kTxFull)], t.n - sent);
        rte_pktmbuf_free_bulk(t.pkt + sent, t.n - sent);
    }
    bump(pc.tx_packets, sent);
    bump(pc.tx_bytes, bytes);
    t.n = 0;
}

void Worker::flush_tx(const StageContext& ctx) {
    for (uint16_t p = 0; p < kMaxPorts && p < cfg_.tx.size(); ++p) flush_port(p, ctx);
}

void Worker::finish(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx) {
    NeighbourStage::process_one(m, meta, ctx);
    switch (meta.next) {
        case Next::kTx: tx_enqueue(meta.out_port, m, ctx); return;
        case Next::kPending: hold_for_neighbour(m, meta, ctx); return;
        case Next::kDrop:
        case Next::kRoute:
        case Next::kArp:
        case Next::kNd:
        case Next::kForward:
        case Next::kLocal:
        case Next::kIcmpError: break;
    }
    if (meta.drop != DropReason::kNone) bump(counters_.drops[size_t(meta.drop)]);
    rte_pktmbuf_free(m);
}

void Worker::handle_arp(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx) {
    const Snapshot& s = ctx.snap;
    auto v = read_arp(m);
    meta.next = Next::kDrop;
    meta.drop = DropReason::kNone;  // consumed, not a drop, unless said below
    if (!v) {
        meta.drop = DropReason::kArpMalformed;
        return;
    }
    if (meta.from_host) {
        // The gateway's kernel resolves every next hop through us: answer for any address.
        const IfaceView* h = s.iface(s.host_ifindex);
        if (v->request && h && !(v->sender_ip == v->target_ip)) {
            arp_reply_in_place(m, h->mac);
            meta.out_port = s.host_port;
            meta.next = Next::kTx;
        }
        return;
    }
    const uint32_t ifindex = meta.iif;
    const IfaceView* in = s.iface(ifindex);
    const bool for_us = owns(s, ifindex, v->target_ip);
    if (!v->sender_ip.is_zero())
        neigh_.learn(ifindex, v->sender_ip, v->sender_mac, ctx.now_tsc, v->request && for_us);
    if (v->request && for_us && in) {
        arp_reply_in_place(m, in->mac);
        meta.out_port = in->port;
        meta.next = Next::kTx;
    } else if (v->request && !(v->sender_ip == v->target_ip)) {
        meta.drop = DropReason::kArpNotForUs;
    }
}

void Worker::handle_nd(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx) {
    const Snapshot& s = ctx.snap;
    auto v = read_nd(m, meta);
    meta.next = Next::kDrop;
    meta.drop = DropReason::kNone;
    if (!v) {
        meta.drop = DropReason::kIp6BadLength;
        return;
    }
    if (meta.from_host) {
        const IfaceView* h = s.iface(s.host_ifindex);
        if (v->solicit && h && !v->src.is_zero()) {  // the kernel's DAD probes stay unanswered
            nd_advert_in_place(m, *v, h->mac);
            meta.out_port = s.host_port;
            meta.next = Next::kTx;
        }
        return;
    }
    const uint32_t ifindex = meta.iif;
    const IfaceView* in = s.iface(ifindex);
    if (v->solicit) {
        const bool for_us = owns(s, ifindex, v->target);
        if (v->lladdr && !v->src.is_zero()) neigh_.learn(ifindex, v->src, *v->lladdr, ctx.now_tsc, for_us);
        if (for_us && in) {
            nd_advert_in_place(m, *v, in->mac);
            meta.out_port = in->port;
            meta.next = Next::kTx;
        }
        return;
    }
    if (v->lladdr) neigh_.learn(ifindex, v->target, *v->lladdr, ctx.now_tsc, false);
}

void Worker::handle_icmp_error(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx) {
    // The packet that caused the error is counted under its reason whether or not an error goes.
    bump(counters_.drops[size_t(meta.drop)]);
    meta.next = Next::kDrop;
    meta.drop = DropReason::kNone;
    if (!icmp_error_allowed(m, meta)) return;
    const bool rst = meta.icmp_type == kTcpResetType;  // REJECT --reject-with tcp-reset: not rate limited
    if (!rst && !icmp_limit_.allow(meta.src, ctx.now_tsc, ctx.tsc_hz)) {
        meta.drop = DropReason::kIcmpRateLimited;
        return;
    }
    // icmp_route_lookup(): an output route back to the source, the source address chosen by it.
    sel::FlowKey k;
    k.daddr = meta.src;
    k.saddr = ws::InetAddr::zero(meta.src.family);
    k.tos = meta.dst.is_v6() || rst ? 0 : uint8_t((meta.tos & 0x1e) | 0xc0);
    k.mark = meta.fwmark;
    k.proto = rst ? uint8_t(IPPROTO_TCP) : meta.dst.is_v6() ? uint8_t(IPPROTO_ICMPV6) : uint8_t(IPPROTO_ICMP);
    const RouteDecision d = route_output(*ctx.snap.routing, k);
    if (d.error || !d.saddr.valid() || d.saddr.is_zero()) {
        meta.drop = DropReason::kIcmpNotSent;
        return;
    }
    if (rst ? !make_tcp_reset(m, meta, ip_id_++) : !make_icmp_error(m, meta, d.saddr, ip_id_++)) {
        meta.drop = DropReason::kIcmpNotSent;
        return;
    }
    if (!rst) bump(counters_.icmp_sent);
    meta.from_host = true;  // locally generated from here on
    meta.xfrm_sa = 0;
    meta.xfrm_done = false;
    if (is_local(d)) {
        meta.next = Next::kLocal;
        return;
    }
    if (!resolve_egress(d, meta.dst, ctx, meta)) {
        meta.drop = DropReason::kNotForwardable;
        return;
    }
    meta.next = Next::kForward;
}

void Worker::hold_for_neighbour(rte_mbuf* m, const PacketMeta& meta, const StageContext& ctx) {
    if (!meta.neigh_slot) {
        bump(counters_.drops[size_t(DropReason::kNeighQueueFull)]);  // the table is full
        rte_pktmbuf_free(m);
        return;
    }
    unsigned same = 0;
    for (const auto& p : pending_) same += p.meta.neigh_slot == meta.neigh_slot;
    if (same >= kPendingPerNeighbour || pending_.size() >= kPendingMax) {
        bump(counters_.drops[size_t(DropReason::kNeighQueueFull)]);
        rte_pktmbuf_free(m);
        return;
    }
    pending_.push_back({m, meta, ctx.now_tsc});
    if (neigh_.should_probe(meta.neigh_slot, ctx.now_tsc, ctx.tsc_hz)) probe(meta, ctx);
}

void Worker::probe(const PacketMeta& meta, const StageContext& ctx) {
    const Snapshot& s = ctx.snap;
    const IfaceView* out = s.iface(meta.out_ifindex);
    if (!out || out->port == kNoPort) return;
    rte_mbuf* m = rte_pktmbuf_alloc(cfg_.pool);
    if (!m) {
        bump(counters_.drops[size_t(DropReason::kNoMbuf)]);
        return;
    }
    bool ok;
    if (meta.nexthop.is_v6()) {
        // ndisc_solicit(): the packet's own source when it is ours on that device, else the
        // device's link-local address, else what source selection gives.
        ws::InetAddr src;
        if (const Link* l = s.routing->ifs.find(meta.out_ifindex)) {
            for (const auto& a : l->addrs)
                if (a.local == meta.src) src = a.local;
            for (const auto& a : l->addrs)
                if (!src.valid() && a.local.is_link_local6()) src = a.local;
        }
        if (!src.valid()) src = s.routing->ifs.select_source6(meta.out_ifindex, meta.nexthop);
        ok = src.valid() && !src.is_zero() && build_nd_solicit(m, out->mac, src, meta.nexthop);
    } else {
        ws::InetAddr src = s.routing->ifs.select_source(meta.out_ifindex, meta.nexthop, kScopeLink, ws::Family::kInet);
        ok = src.valid() && !src.is_zero() && build_arp_request(m, out->mac, src, meta.nexthop);
    }
    if (!ok) {
        rte_pktmbuf_free(m);
        return;
    }
    bump(counters_.arp_sent);
    tx_enqueue(out->port, m, ctx);
}

void Worker::service_pending(const StageContext& ctx) {
    if (ctx.now_tsc < next_pending_check_) return;
    next_pending_check_ = ctx.now_tsc + ctx.tsc_hz / 10000;  // every 100 us
    size_t keep = 0;
    for (size_t i = 0; i < pending_.size(); ++i) {
        Pending p = pending_[i];
        const NeighState st = neigh_.state(p.meta.neigh_slot);
        if (st == NeighState::kReachable || st == NeighState::kPermanent) {
            p.meta.next = Next::kForward;
            finish(p.m, p.meta, ctx);
            continue;
        }
        if (st == NeighState::kFailed || ctx.now_tsc - p.since > 4 * ctx.tsc_hz) {
            // ipv4_link_failure(): host unreachable back to the sender (IPv6: address unreachable).
            p.meta.drop = DropReason::kNeighFailed;
            p.meta.icmp_type = p.meta.dst.is_v6() ? 1 : 3;
            p.meta.icmp_code = p.meta.dst.is_v6() ? 3 : 1;
            p.meta.l2_unicast = true;
            const bool local = p.meta.from_host;
            if (local) {
                bump(counters_.drops[size_t(DropReason::kNeighFailed)]);
                rte_pktmbuf_free(p.m);
                continue;
            }
            handle_icmp_error(p.m, p.meta, ctx);
            finish(p.m, p.meta, ctx);
            continue;
        }
        if (neigh_.should_probe(p.meta.neigh_slot, ctx.now_tsc, ctx.tsc_hz)) probe(p.meta, ctx);
        pending_[keep++] = p;
    }
    pending_.resize(keep);
}

}  // namespace dp
