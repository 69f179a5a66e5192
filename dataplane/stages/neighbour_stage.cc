#include "dataplane/stages/neighbour_stage.h"

#include <cstring>

namespace dp {

void write_macs(rte_mbuf* m, const MacAddr& dst, const MacAddr& src) noexcept {
    uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
    std::memcpy(eth, dst.data(), 6);
    std::memcpy(eth + 6, src.data(), 6);
}

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
    if (!out || !out->up) {
        meta.next = Next::kDrop;
        meta.drop = DropReason::kLinkDown;
        return;
    }
    if (out->host) {  // a route through the host interface: to the kernel
        write_macs(m, s.host_kernel_mac, out->mac);
        meta.next = Next::kTx;
        return;
    }
    MacAddr mac;
    if (meta.neigh_slot && ctx.neigh.resolved(meta.neigh_slot, mac)) {
        write_macs(m, mac, out->mac);
        meta.next = Next::kTx;
        return;
    }
    meta.next = Next::kPending;
}

void NeighbourStage::run(Burst& burst, const StageContext& ctx) noexcept {
    for (uint16_t i = 0; i < burst.n; ++i) {
        Next n = burst.meta[i].next;
        if (n == Next::kForward || n == Next::kLocal) process_one(burst.pkt[i], burst.meta[i], ctx);
    }
}

}  // namespace dp
