// packet_fuzz — libFuzzer target for the dataplane's packet handling (STYLE 39).
//
// The input is one Ethernet frame, copied into a fake mbuf (tests/dataplane/packet_builder.h)
// with the standard headroom, so prepends work as on a real mbuf. It goes through what the
// worker does with a packet, without EAL or ports:
//   parse_packet -> ARP: read_arp, arp_reply_in_place for a request
//                -> ND: read_nd, nd_advert_in_place for a solicitation
//                -> IP: FirewallStage::prerouting (iptables mangle: MARK, DSCP, -m string),
//                   RouteStage::run (the cache) checked against RouteStage::decide, the filter
//                   hooks (REJECT: make_tcp_reset's RST checked like an ICMP error), then
//                   ForwardStage::process_one, NeighbourStage::process_one, and for ICMP errors
//                   icmp_error_allowed / make_icmp_error.
//                   Packets for the gateway go through IpsecStage::inbound (ESP and ESP-in-UDP
//                   to the SAs of kIpsec) and, decrypted, through routing and check() again;
//                   then GreStage::decap (GRE from 192.0.2.9, key 7, on gre1) and the inner
//                   packet through routing and check() again. Forwarded packets take
//                   GreStage::encap (10.0.9.0/24 is routed into gre1).
// The snapshot is fixed (kConfig below, built once). The ingress is chosen by the low two bits
// of the frame's last source-MAC byte: 0 and 1 eth0, 2 eth1, 3 the host interface. With bit 2
// set, the bytes after the Ethernet header are first encrypted under the tunnel SA 0x100 and
// arrive on eth1 as ESP from 192.0.2.9, so that the fuzzer reaches past the ICV: decapsulation,
// the inner packet's parse, its routing and the inbound policy check. (SAs only: an SPD would
// need EAL for rte_acl, which a fuzzer does not start.)
// Besides "no crash, no sanitizer report", cheap invariants abort: the route cache answers like
// decide(), a forwarded IPv4 header still verifies, an ICMP error fits 576/1280 bytes and its
// checksums verify.
//
// Build: meson setup BUILD -Dfuzz=true (clang), then
//        BUILD/tests/packet_fuzz -max_total_time=60 CORPUS_DIR tests/fuzz/packet_corpus
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "control/compile/compile_firewall.h"
#include "control/compile/compile_ipsec.h"
#include "crypto/esp.h"
#include "dataplane/arp_nd.h"
#include "dataplane/icmp_error.h"
#include "dataplane/stages/firewall_stage.h"
#include "dataplane/stages/forward_stage.h"
#include "dataplane/stages/gre_stage.h"
#include "dataplane/stages/ipsec_stage.h"
#include "dataplane/stages/neighbour_stage.h"
#include "dataplane/stages/parse_stage.h"
#include "dataplane/stages/route_stage.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/snapshot_builder.h"

namespace {

const std::string kConfig = std::string(dptest::kGatewayBase) + R"(
ip route add default via 192.0.2.254
ip -6 route add default via 2001:db8:2::fe
ip -6 route add unreachable 2001:db8:67::/48
ip -6 route add prohibit 2001:db8:68::/48
ip xfrm state add src 192.0.2.9 dst 192.0.2.1 proto esp spi 0x100 reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' 0x00112233445566778899aabbccddeeff01020304 128 replay-window 64 flag esn
ip xfrm state add src 192.0.2.9 dst 10.0.1.1 proto esp spi 0x200 reqid 2 mode transport enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff auth-trunc 'hmac(sha256)' 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128 encap espinudp 4500 4500 0.0.0.0 replay-window 32
ip xfrm state add src 192.0.2.9 dst 192.0.2.1 proto esp spi 0x300 reqid 3 mode tunnel aead 'rfc7539esp(chacha20,poly1305)' 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304 128 engine sodium
ip rule add fwmark 0x1/0x1 table 100 priority 90
ip link add gre1 type gre local 192.0.2.1 remote 192.0.2.9 key 7
ip link set gre1 up
ip route add 10.0.9.0/24 dev gre1
iptables -t mangle -A PREROUTING -p tcp --dport 23 -j MARK --set-mark 0x1
iptables -t mangle -A PREROUTING -m string --string GET --algo bm --to 80 -j DSCP --set-dscp 10
iptables -t mangle -A PREROUTING -p udp -m multiport --dports 53,5000:5010 -j MARK --or-mark 0x10
iptables -t mangle -A POSTROUTING -m length --length 0:100 -j DSCP --set-dscp 46
iptables -A FORWARD -p tcp --dport 25 -j REJECT --reject-with tcp-reset
iptables -A FORWARD -p udp --dport 69 -j REJECT --reject-with icmp-host-prohibited
iptables -A FORWARD -m string --hex-string "|deadbeef|" --algo kmp -j DROP
iptables -A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset
ip6tables -t mangle -A PREROUTING -p tcp --dport 23 -j MARK --set-mark 0x1
ip6tables -A FORWARD -p tcp --dport 25 -j REJECT --reject-with tcp-reset
ip6tables -A FORWARD -p udp -j REJECT
)";
constexpr uint32_t kTunnelSpi = 0x100;

// Large enough for a jumbo frame; the input is cut to it.
constexpr uint32_t kDataRoom = 9216;
using Mbuf = dptest::BasicFakeMbuf<kDataRoom>;

struct World {
    dptest::Env env;
    dp::RouteStage route;
    dp::FirewallStage fw;
    dp::IpsecStage ipsec;
    dp::GreStage gre;
    ctl::SaRegistry sas;
    dp::IcmpRateLimiter limiter;
    Mbuf mbuf;
    uint16_t ip_id = 0;
    uint32_t eth0 = 0, eth1 = 0, host0 = 0, gre1 = 0;

    World() {
        std::string err;
        ctl::Model m = dptest::model_of(kConfig, &err);
        if (!err.empty()) std::abort();
        env.snap = dptest::build_snapshot(m, 1);
        auto t = ctl::compile_ipsec(m, sas);
        if (!t.ok()) std::abort();
        env.snap->ipsec = std::move(*t);
        if (!ctl::attach_firewall(*env.snap, m.firewall, m.ifs.links, 1).ok()) std::abort();
        eth0 = m.link("eth0")->ifindex;
        eth1 = m.link("eth1")->ifindex;
        host0 = m.link("host0")->ifindex;
        gre1 = m.link("gre1")->ifindex;
        // A resolved neighbour, so that some packets reach kTx.
        env.neigh->set_permanent(eth1, dptest::ip("192.0.2.254"), dptest::kPeerMac);
    }
};

World& world() {
    static World* w = new World();  // never destroyed: no order-of-destruction issues at exit
    return *w;
}

bool same_decision(const dp::PacketMeta& got, const dp::RouteCacheEntry& want) {
    if (got.next != want.next || got.drop != want.drop) return false;
    if (want.next == dp::Next::kIcmpError && (got.icmp_type != want.icmp_type || got.icmp_code != want.icmp_code))
        return false;
    if (want.next == dp::Next::kForward &&
        (got.out_port != want.out_port || got.out_ifindex != want.out_ifindex || got.mtu != want.mtu ||
         got.nexthop != want.nexthop || got.neigh_slot != want.neigh_slot))
        return false;
    return true;
}

// The frame's bytes after the Ethernet header encrypted under the tunnel SA, as ESP from
// 192.0.2.9 to eth1's 192.0.2.1. False when they do not fit.
bool wrap_in_esp(World& w, Mbuf& f, const uint8_t* data, size_t size) {
    const dp::IpsecTables& t = *w.env.snap->ipsec;
    const dp::SaEntry& sa = t.sas[t.find_in(dptest::ip("192.0.2.1"), kTunnelSpi)];
    if (size <= 14) return false;
    const uint32_t inner = uint32_t(size - 14);
    constexpr uint32_t kFront = 14 + 20 + 16;  // Ethernet, IPv4, SPI + seq + IV
    if (kFront + inner + crypto::esp_tailroom(*sa.crypto, inner) > kDataRoom) return false;
    f.reset();
    uint8_t* base = f.data();
    std::memcpy(base + kFront, data + 14, inner);
    crypto::EspOut o;
    o.payload = base + kFront;
    o.len = inner;
    o.headroom = 16;
    o.tailroom = kDataRoom - kFront - inner;
    o.next_header = (data[14] >> 4) == 6 ? crypto::kNextHeaderIpv6 : crypto::kNextHeaderIpv4;
    crypto::esp_encap(w.ipsec.engine(), *sa.crypto, *sa.rt, {&o, 1});
    if (o.error != crypto::EspError::kOk) return false;
    const dp::IfaceView& eth1 = *w.env.snap->iface(w.eth1);
    dptest::Ip4 h;
    h.src = dptest::ip("192.0.2.9");
    h.dst = dptest::ip("192.0.2.1");
    h.proto = 50;
    const dptest::Bytes hdr = dptest::ethernet(eth1.mac, dptest::kPeerMac, 0x0800, dptest::ipv4(h, dptest::Bytes(o.esp_len)));
    std::memcpy(base, hdr.data(), 34);
    f.m.data_len = uint16_t(34 + o.esp_len);
    f.m.pkt_len = f.m.data_len;
    return true;
}

void check_icmp_error(Mbuf& f, const dp::PacketMeta& meta) {
    const uint8_t* ip = f.data() + 14;
    if (f.len() != 14u + meta.l3_len) std::abort();
    if (meta.dst.is_v6()) {
        if (meta.l3_len > 1280 || dptest::get16(ip + 4) + 40u != meta.l3_len) std::abort();
        if (!dptest::l4_checksum_verifies(ip)) std::abort();
    } else {
        if (meta.l3_len > 576 || dptest::get16(ip + 2) != meta.l3_len) std::abort();
        if (!dptest::checksum_verifies(ip, 20)) std::abort();
        if (!dptest::checksum_verifies(ip + 20, meta.l3_len - 20u)) std::abort();
    }
}

void route_and_forward(World& w, Mbuf& f, dp::PacketMeta& meta, const dp::StageContext& ctx) {
    // The route stage through its cache, then the same decision without it.
    dp::Burst burst;
    burst.n = 1;
    burst.pkt[0] = f.mbuf();
    burst.meta[0] = meta;
    // iptables mangle PREROUTING (marks, DSCP), then the route through the cache, then the same
    // decision without it, then mangle OUTPUT and the filter hooks.
    w.fw.prerouting(burst, ctx);
    const dp::PacketMeta pre = burst.meta[0];
    if (pre.next == dp::Next::kRoute && pre.dst.is_v4() && !dptest::checksum_verifies(f.data() + pre.l3_offset, 20))
        std::abort();  // DSCP keeps the header checksum right
    w.route.run(burst, ctx);
    dp::RouteCacheEntry fresh;
    dp::RouteStage::decide(pre, ctx, fresh);
    if (pre.next == dp::Next::kRoute && !same_decision(burst.meta[0], fresh)) std::abort();
    if (w.fw.output(burst, ctx)) w.route.run(burst, ctx);
    w.fw.local(burst, ctx);
    // IPsec: ESP for the gateway decrypted, the inner packet routed again and checked.
    if (w.ipsec.inbound(burst, ctx)) {
        const dp::PacketMeta& in = burst.meta[0];
        if (in.xfrm_sa == 0 || f.len() != in.l3_offset + in.l3_len) std::abort();
        w.fw.prerouting(burst, ctx);
        w.route.run(burst, ctx);
        w.fw.local(burst, ctx);
    }
    w.ipsec.check(burst, ctx);
    // GRE for the gateway from gre1's peer: the inner packet routed and checked again.
    if (const dp::BurstMask inner = w.gre.decap(burst, ctx)) {
        const dp::PacketMeta& in = burst.meta[0];
        if (in.iif != w.gre1 || in.xfrm_sa != 0 || f.len() != in.l3_offset + in.l3_len) std::abort();
        w.fw.prerouting(burst, ctx);
        w.route.run(burst, ctx);
        w.fw.local(burst, ctx);
        w.ipsec.check(burst, ctx, inner);
    }
    meta = burst.meta[0];
    if (meta.next == dp::Next::kDrop) {
        if (meta.drop == dp::DropReason::kNone) std::abort();
        return;
    }

    if (meta.next == dp::Next::kForward) {
        dp::ForwardStage::process_one(f.mbuf(), meta);
        burst.meta[0] = meta;
        w.fw.forward(burst, ctx);
        // Into gre1: the outer IPv4 header verifies and describes the frame.
        const bool into_gre = burst.meta[0].next == dp::Next::kForward && burst.meta[0].out_ifindex == w.gre1;
        w.gre.encap(burst, ctx);
        if (into_gre && burst.meta[0].next == dp::Next::kForward) {
            const dp::PacketMeta& o = burst.meta[0];
            if (o.out_ifindex != w.eth1 || f.len() != 14u + o.l3_len || !dptest::checksum_verifies(f.data() + 14, 20))
                std::abort();
        }
        meta = burst.meta[0];
        if (meta.next == dp::Next::kForward && !meta.from_host && meta.dst.is_v4()) {
            const uint8_t* ip = f.data() + meta.l3_offset;
            if (!dptest::checksum_verifies(ip, (ip[0] & 0x0f) * 4u)) std::abort();
        }
    }
    if (meta.next == dp::Next::kIcmpError && meta.icmp_type == dp::kTcpResetType) {
        if (dp::make_tcp_reset(f.mbuf(), meta, w.ip_id++)) {
            const uint8_t* ip = f.data() + 14;
            if (f.len() != 14u + meta.l3_len || !dptest::l4_checksum_verifies(ip)) std::abort();
            if (meta.dst.is_v4() && !dptest::checksum_verifies(ip, 20)) std::abort();
        }
        return;
    }
    if (meta.next == dp::Next::kIcmpError) {
        if (dp::icmp_error_allowed(f.mbuf(), meta) && w.limiter.allow(meta.src, ctx.now_tsc, ctx.tsc_hz)) {
            const ws::InetAddr src = meta.dst.is_v6() ? dptest::ip("2001:db8:1::1") : dptest::ip("10.0.1.1");
            if (dp::make_icmp_error(f.mbuf(), meta, src, w.ip_id++)) {
                check_icmp_error(f, meta);
                // The error parses as a good packet from the host.
                dp::IfaceView tap = *ctx.snap.iface(w.host0);
                std::memcpy(f.data(), tap.mac.data(), 6);
                dp::PacketMeta again;
                dp::parse_packet(f.mbuf(), again, tap, w.host0);
                if (again.next == dp::Next::kDrop) std::abort();
            }
        }
        return;
    }
    if (meta.next == dp::Next::kForward || meta.next == dp::Next::kLocal) dp::NeighbourStage::process_one(f.mbuf(), meta, ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    World& w = world();
    if (size > kDataRoom) size = kDataRoom;
    Mbuf& f = w.mbuf;
    if (!f.set(data, size)) return 0;
    w.env.now += 1000;  // 1 ms per input (hz = 1e6)
    const dp::StageContext ctx = w.env.ctx();
    uint32_t iif = w.eth0;
    if (size >= 12 && (data[11] & 4) && wrap_in_esp(w, f, data, size)) {
        iif = w.eth1;
    } else if (size >= 12) {
        switch (data[11] & 3) {
            case 2: iif = w.eth1; break;
            case 3: iif = w.host0; break;
            default: break;
        }
    }
    const size_t frame_len = f.len();
    const dp::IfaceView& in = *ctx.snap.iface(iif);
    dp::PacketMeta meta;
    dp::parse_packet(f.mbuf(), meta, in, iif);
    if (f.m.data_len != f.m.pkt_len || f.m.data_len > frame_len) std::abort();
    switch (meta.next) {
        case dp::Next::kArp:
            if (auto v = dp::read_arp(f.mbuf()); v && v->request) {
                w.env.neigh->learn(iif, v->sender_ip, v->sender_mac, ctx.now_tsc, false);
                dp::arp_reply_in_place(f.mbuf(), in.mac);
            }
            break;
        case dp::Next::kNd:
            if (auto v = dp::read_nd(f.mbuf(), meta)) {
                if (v->lladdr) w.env.neigh->learn(iif, v->solicit ? v->src : v->target, *v->lladdr, ctx.now_tsc, false);
                if (v->solicit) {
                    dp::nd_advert_in_place(f.mbuf(), *v, in.mac);
                    if (!dptest::l4_checksum_verifies(f.data() + 14)) std::abort();
                }
            }
            break;
        case dp::Next::kRoute: route_and_forward(w, f, meta, ctx); break;
        case dp::Next::kDrop:
            if (meta.drop == dp::DropReason::kNone) std::abort();
            break;
        case dp::Next::kForward:
        case dp::Next::kLocal:
        case dp::Next::kIcmpError:
        case dp::Next::kTx:
        case dp::Next::kPending: std::abort();  // parse never leaves these
    }
    return 0;
}
