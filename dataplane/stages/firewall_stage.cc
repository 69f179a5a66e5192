#include "dataplane/stages/firewall_stage.h"

#include <rte_mbuf.h>

#include "dataplane/icmp_error.h"
#include "dataplane/wire.h"
#include "selectors/flow_key.h"

namespace dp {
namespace {

bool routed(Next n) { return n == Next::kForward || n == Next::kLocal; }

// The packet as FwTable reads it; oif as the hook sees it.
void fill_key(FwKey& k, const rte_mbuf* m, const PacketMeta& meta, uint32_t oif, uint64_t* bits) {
    k.src = meta.src;
    k.dst = meta.dst;
    k.iif = meta.from_host ? 0 : meta.iif;
    k.oif = oif;
    k.mark = meta.fwmark;
    k.proto = meta.proto;
    k.tos = meta.tos;
    k.length = meta.l3_len;
    const uint8_t* l3 = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta.l3_offset);
    const uint32_t hl = meta.dst.is_v6() ? 40 : (l3[0] & 0x0f) * 4u;
    k.has_l4 = meta.l3_len >= hl + 4;
    k.sport = k.has_l4 ? uint16_t(l3[hl] << 8 | l3[hl + 1]) : 0;
    k.dport = k.has_l4 ? uint16_t(l3[hl + 2] << 8 | l3[hl + 3]) : 0;
    k.fragment = false;  // the parse stage drops fragments
    k.l3 = l3;
    const uint32_t avail = rte_pktmbuf_data_len(m) - meta.l3_offset;
    k.l3_len = uint16_t(meta.l3_len < avail ? meta.l3_len : avail);
    k.bits = bits;
    k.scanned = false;
}

// xt_DSCP: the new DS field into the header (IPv4: the checksum updated as RFC 1624 says).
void write_tos(rte_mbuf* m, PacketMeta& meta, uint8_t tos) {
    uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, meta.l3_offset);
    if (meta.dst.is_v6()) {
        ip[0] = uint8_t(0x60 | tos >> 4);
        ip[1] = uint8_t((tos << 4) | (ip[1] & 0x0f));
    } else {
        const uint16_t old_w = uint16_t(ip[0] << 8 | ip[1]), new_w = uint16_t(ip[0] << 8 | tos);
        uint32_t sum = uint16_t(~(ip[10] << 8 | ip[11])) + uint32_t(uint16_t(~old_w)) + new_w;
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        put16(ip + 10, uint16_t(~sum));
        ip[1] = tos;
    }
    meta.tos = tos;
}

}  // namespace

bool FirewallStage::hook(Burst& b, const StageContext& ctx, bool mangle, FwHook h, Want want) noexcept {
    bool changed = false;
    for (ws::Family fam : {ws::Family::kInet, ws::Family::kInet6}) {
        const FwTable* t = ctx.snap.fw_table(fam, mangle);
        if (!t || !t->active(h)) continue;
        FwScratch& sc = ctx.snap.fw_scratch[ctx.worker];
        FwKey keys[kBurstMax];
        FwKey* kp[kBurstMax];
        uint16_t idx[kBurstMax];
        unsigned n = 0;
        for (uint16_t i = 0; i < b.n; ++i) {
            const PacketMeta& m = b.meta[i];
            if (m.dst.family != fam) continue;
            bool take = false;
            uint32_t oif = 0;
            switch (want) {
            case Want::kPre: take = m.next == Next::kRoute && !m.from_host && !(m.fw & kPre); break;
            case Want::kOut:
            case Want::kHostOut:
                take = m.from_host && routed(m.next) && !(m.fw & (want == Want::kOut ? kOut : kLocal));
                oif = m.next == Next::kLocal ? sel::kLoopbackIfindex : m.out_ifindex;
                break;
            case Want::kInput: take = m.next == Next::kLocal && !m.from_host && !(m.fw & kLocal); break;
            case Want::kForward:
                take = m.next == Next::kForward && !m.from_host && !(m.fw & kFwd);
                oif = m.out_ifindex;
                break;
            case Want::kPost:
                take = m.next == Next::kForward && !(m.fw & kFwd);
                oif = m.out_ifindex;
                break;
            }
            if (!take) continue;
            fill_key(keys[n], b.pkt[i], m, oif, sc.row(n));
            kp[n] = &keys[n];
            idx[n++] = i;
        }
        if (!n) continue;
        FwVerdict v[kBurstMax];
        t->run(h, kp, v, n, sc, ctx.worker);
        for (unsigned j = 0; j < n; ++j) {
            PacketMeta& m = b.meta[idx[j]];
            if (keys[j].mark != m.fwmark || keys[j].tos != m.tos) changed = true;
            m.fwmark = keys[j].mark;
            if (keys[j].tos != m.tos) write_tos(b.pkt[idx[j]], m, keys[j].tos);
            switch (v[j].kind) {
            case FwVerdict::Kind::kAccept: break;
            case FwVerdict::Kind::kDrop: b.drop(idx[j], v[j].policy ? DropReason::kFwPolicyDrop : DropReason::kFwDrop); break;
            case FwVerdict::Kind::kReject:
                m.next = Next::kIcmpError;
                m.drop = DropReason::kFwReject;
                m.icmp_type = v[j].rule->reject_tcp_reset ? kTcpResetType : v[j].rule->reject_type;
                m.icmp_code = v[j].rule->reject_code;
                m.icmp_info = 0;
                break;
            }
        }
    }
    return changed;
}

void FirewallStage::prerouting(Burst& b, const StageContext& ctx) noexcept {
    hook(b, ctx, true, FwHook::kPrerouting, Want::kPre);
    for (uint16_t i = 0; i < b.n; ++i)
        if (b.meta[i].next == Next::kRoute) b.meta[i].fw |= kPre;
}

bool FirewallStage::output(Burst& b, const StageContext& ctx) noexcept {
    // Only the packets whose mark or TOS changed route again: the others keep their decision.
    uint32_t mark[kBurstMax];
    uint8_t tos[kBurstMax];
    for (uint16_t i = 0; i < b.n; ++i) mark[i] = b.meta[i].fwmark, tos[i] = b.meta[i].tos;
    const bool changed = hook(b, ctx, true, FwHook::kOutput, Want::kOut);
    for (uint16_t i = 0; i < b.n; ++i) {
        PacketMeta& m = b.meta[i];
        if (!m.from_host || !routed(m.next) || (m.fw & kOut)) continue;
        m.fw |= kOut;
        if (changed && (m.fwmark != mark[i] || m.tos != tos[i])) m.next = Next::kRoute;  // ip_route_me_harder()
    }
    return changed;
}

void FirewallStage::local(Burst& b, const StageContext& ctx) noexcept {
    hook(b, ctx, true, FwHook::kInput, Want::kInput);
    hook(b, ctx, false, FwHook::kInput, Want::kInput);
    hook(b, ctx, false, FwHook::kOutput, Want::kHostOut);
    for (uint16_t i = 0; i < b.n; ++i)
        if (routed(b.meta[i].next)) b.meta[i].fw |= kLocal;
}

void FirewallStage::forward(Burst& b, const StageContext& ctx) noexcept {
    hook(b, ctx, true, FwHook::kForward, Want::kForward);
    hook(b, ctx, false, FwHook::kForward, Want::kForward);
    hook(b, ctx, true, FwHook::kPostrouting, Want::kPost);
    for (uint16_t i = 0; i < b.n; ++i)
        if (b.meta[i].next == Next::kForward) b.meta[i].fw |= kFwd;
}

}  // namespace dp
