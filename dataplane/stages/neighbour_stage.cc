#include "dataplane/stages/neighbour_stage.h"

#include <cstring>

namespace dp {

void NeighbourStage::process_one(rte_mbuf* m, PacketMeta& meta, const StageContext& ctx) noexcept {
    const Snapshot& s = ctx.snap;
    if (meta.next == Next::kLocal) {
        const IfaceView* h = s.iface(s.host_ifindex);
        if (!h || s.host_port == kNoPort) {
            meta.next = Next::kDrop;
            meta.drop = DropReason::kNoHostInterface;
            return;
        }
        write_macs(m, s.host_kernel_mac, h->mac);
        meta.out_port = s.host_port;
        meta.next = Next::kTx;
        return;
    }
    const IfaceView* out = s.iface(meta.out_ifindex);
    if (!out || !out->can_send()) {
        meta.next = Next::kDrop;
        meta.drop = DropReason::kLinkDown;
        return;
    }
    if (out->host) {  // a route through the host interface: to the kernel
        write_macs(m, s.host_kernel_mac, out->mac);
        meta.next = Next::kTx;
        return;
    }
    if (out->port == kNoPort) {  // a tunnel's inner packet that no tunnel stage took: never sent
        meta.next = Next::kDrop;
        meta.drop = DropReason::kNotForwardable;
        return;
    }
    MacAddr mac;
    const NeighState st = meta.neigh_slot ? ctx.neigh.lookup(meta.neigh_slot, mac) : NeighState::kNone;
    if (NeighbourTable::usable(st)) {
        write_macs(m, mac, out->mac);
        meta.next = Next::kTx;
        meta.neigh_probe = st == NeighState::kStale;
        return;
    }
    meta.next = Next::kPending;
}

void NeighbourStage::run(Burst& burst, const StageContext& ctx) noexcept {
    const Snapshot& s = ctx.snap;
    for (uint16_t i = 0; i < burst.n; ++i) {
        PacketMeta& m = burst.meta[i];
        if (m.next == Next::kForward) {
            // The common case inline: an up port and a resolved neighbour.
            MacAddr mac;
            const IfaceView* out = m.out_ifindex < s.ifaces.size() ? &s.ifaces[m.out_ifindex] : nullptr;
            if (out && out->can_send() && !out->host && m.neigh_slot) {
                const NeighState st = ctx.neigh.lookup(m.neigh_slot, mac);
                if (NeighbourTable::usable(st)) {
                    write_macs(burst.pkt[i], mac, out->mac);
                    m.next = Next::kTx;
                    m.neigh_probe = st == NeighState::kStale;
                    continue;
                }
            }
        }
        if (m.next == Next::kForward || m.next == Next::kLocal) process_one(burst.pkt[i], m, ctx);
    }
}

}  // namespace dp
