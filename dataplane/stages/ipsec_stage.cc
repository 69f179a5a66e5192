#include "dataplane/stages/ipsec_stage.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <cstring>

#include "crypto/esp.h"
#include "crypto/natt.h"
#include "dataplane/stages/parse_stage.h"
#include "dataplane/stages/route_stage.h"
#include "dataplane/tables/ipsec_tables.h"
#include "dataplane/tables/spd_cache.h"
#include "dataplane/tables/route_decision.h"
#include "dataplane/wire.h"

namespace dp {

// The ESP drop reasons mirror crypto::EspError row for row.
static_assert([] {
    for (unsigned e = 1; e < unsigned(crypto::EspError::kCount); ++e)
        if (drop_reason_name(esp_drop_reason(uint8_t(e))) != crypto::kEspErrors[e].name) return false;
    return true;
}(), "DropReason's ESP rows follow crypto::EspError");

namespace {

constexpr uint8_t kProtoEsp = 50, kProtoUdp = 17, kProtoIcmp = 1, kProtoIcmp6 = 58, kProtoGre = 47;
constexpr uint16_t kIkePort = 500;
constexpr uint8_t kOuterTtl = 64;

inline uint32_t ip_header_bytes(bool v6) { return v6 ? 40u : 20u; }
inline uint8_t* buf_start(rte_mbuf* m) { return static_cast<uint8_t*>(m->buf_addr); }

inline uint32_t load_be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// Points the mbuf at a frame that now starts at `frame` and is `len` bytes long.
inline void set_frame(rte_mbuf* m, uint8_t* frame, uint32_t len) {
    m->data_off = uint16_t(frame - buf_start(m));
    m->data_len = uint16_t(len);
    m->pkt_len = len;
}

inline void ipv4_fix_checksum(uint8_t* ip) {
    ip[10] = ip[11] = 0;
    put_cksum(ip + 10, rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip)));
}

// The flow the SPD sees (Linux's decode_session): ports for TCP/UDP/SCTP, ICMP type and code
// in their place, and a GRE key's halves (fl4_gre_key shares the ports' place: Linux's
// xfrm_flowi_sport/dport read them there).
SpdKey flow_of(rte_mbuf* m, const PacketMeta& meta, uint32_t if_id) {
    SpdKey k;
    k.src = meta.src;
    k.dst = meta.dst;
    k.proto = meta.proto;
    k.sport = meta.sport;
    k.dport = meta.dport;
    k.mark = meta.fwmark;
    k.if_id = if_id;
    const bool v6 = meta.dst.is_v6();
    if (meta.proto == (v6 ? kProtoIcmp6 : kProtoIcmp) && meta.l3_len >= ip_header_bytes(v6) + 2) {
        const uint8_t* l4 = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta.l3_offset + ip_header_bytes(v6));
        k.sport = l4[0];
        k.dport = l4[1];
    } else if (meta.proto == kProtoGre && meta.l3_len >= ip_header_bytes(v6) + 4) {
        const uint8_t* g = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta.l3_offset + ip_header_bytes(v6));
        const uint32_t at = ip_header_bytes(v6) + 4 + (g[0] & 0x80 ? 4 : 0);  // behind the checksum
        if (g[0] & 0x20 && meta.l3_len >= at + 4) {
            const uint8_t* key = g + (at - ip_header_bytes(v6));
            k.sport = uint16_t(key[0] << 8 | key[1]);
            k.dport = uint16_t(key[2] << 8 | key[3]);
        } else {
            k.sport = k.dport = 0;
        }
    }
    return k;
}

// The SPD lookups of one burst: answered from the worker's flow cache where it can, the rest
// gathered per direction and family so that each table is asked once for all its packets (one
// rte_acl_classify over the burst: a lookup of one key costs about as much as one of 32).
class Lookups {
public:
    Lookups(SpdCache& cache, uint64_t generation) : cache_(cache), gen_(generation) {}
    // Packet i's key k (which must outlive run()) for direction d. The cache is probed in
    // run(), after every key's set was prefetched here (a probe per packet would stall on each).
    void add(const SpdDirection& d, SpdDir dir, const SpdKey* k, uint16_t i) {
        const uint32_t h = SpdCache::hash(uint8_t(dir), *k);
        rte_prefetch0(cache_.set_tags(h));
        Pending& p = pending_[npending_++];
        p = {k, &d, h, i, dir};
    }
    // results[i] for every packet added: the policy index, or kNoMatch.
    void run(uint32_t* results) {
        for (unsigned j = 0; j < npending_; ++j) {
            const Pending& p = pending_[j];
            if (cache_.find(gen_, uint8_t(p.dir), *p.key, p.hash, results[p.idx])) continue;
            Group& x = groups_[group(*p.d, p.dir, p.key->dst.is_v6())];
            x.keys[x.n] = p.key;
            x.hash[x.n] = p.hash;
            x.idx[x.n++] = p.idx;
        }
        for (unsigned g = 0; g < ndirs_ * 2; ++g) {
            Group& x = groups_[g];
            if (!x.n) continue;
            const SpdTable* t = dirs_[g / 2]->table(g % 2);
            uint32_t r[kBurstMax];
            if (t) t->lookup(x.keys, r, x.n);
            for (unsigned j = 0; j < x.n; ++j) {
                const uint32_t v = t ? r[j] : SpdTable::kNoMatch;
                results[x.idx[j]] = v;
                cache_.insert(gen_, uint8_t(codes_[g / 2]), *x.keys[j], x.hash[j], v);
            }
        }
    }

private:
    struct Pending {
        const SpdKey* key;
        const SpdDirection* d;
        uint32_t hash;
        uint16_t idx;
        SpdDir dir;
    };
    struct Group {
        const SpdKey* keys[kBurstMax];
        uint32_t hash[kBurstMax];
        uint16_t idx[kBurstMax];
        unsigned n = 0;
    };
    unsigned group(const SpdDirection& d, SpdDir dir, bool v6) {
        unsigned k = 0;
        while (k < ndirs_ && dirs_[k] != &d) ++k;
        if (k == ndirs_) {
            dirs_[ndirs_] = &d;
            codes_[ndirs_++] = dir;
        }
        return k * 2 + v6;
    }
    SpdCache& cache_;
    uint64_t gen_;
    const SpdDirection* dirs_[2] = {};
    SpdDir codes_[2] = {};
    unsigned ndirs_ = 0;
    Pending pending_[kBurstMax];
    unsigned npending_ = 0;
    Group groups_[4];
};

// xfrm_state_ok(): whether the SA that decrypted a packet satisfies a policy's template.
bool tmpl_ok(const PolicyTmpl& t, const SaEntry& sa) {
    if (!t.esp || (t.spi && t.spi != sa.spi) || (t.reqid && t.reqid != sa.reqid) || t.mode != sa.mode) return false;
    if (sa.mode == crypto::Mode::kTransport) return true;
    const bool src_any = !t.src.valid() || t.src.is_zero();
    return t.dst == sa.dst && (src_any || t.src == sa.src);
}

// __xfrm_policy_check() for one packet whose SPD lookup gave r: kNone when it may pass.
DropReason policy_check(const SpdDirection& d, const SpdKey& k, const SaEntry* sa, uint32_t r) {
    if (sa && !sa->sel_matches(k)) return DropReason::kXfrmInStateMismatch;
    if (r == SpdTable::kNoMatch) {
        if (d.block_default) return DropReason::kXfrmInNoPolicy;
        // A decrypted tunnel packet needs a policy that lets it in (secpath_has_nontransport).
        if (sa && sa->mode == crypto::Mode::kTunnel) return DropReason::kXfrmInNoPolicy;
        return DropReason::kNone;
    }
    const PolicyEntry& p = d.policies[r];
    if (p.action == PolicyAction::kDiscard) return DropReason::kXfrmInPolicyBlock;
    bool used = false;
    for (const PolicyTmpl& tm : p.tmpls) {
        if (sa && !used && tmpl_ok(tm, *sa)) {
            used = true;
            continue;
        }
        if (!tm.optional) return DropReason::kXfrmInTmplMismatch;
    }
    if (sa && !used && sa->mode == crypto::Mode::kTunnel) return DropReason::kXfrmInTmplMismatch;
    return DropReason::kNone;
}

// ECN on decapsulation (RFC 6040, Linux's INET_ECN_decapsulate): an outer CE marks an
// ECN-capable inner packet CE. With flag decap-dscp the outer DSCP replaces the inner one.
void decap_tos(rte_mbuf* m, const PacketMeta& meta, uint8_t outer_tos, const SaEntry& sa) {
    if (sa.flags & kSaNoEcn && !(sa.flags & kSaDecapDscp)) return;
    uint8_t tos = meta.tos;
    if (!(sa.flags & kSaNoEcn) && (outer_tos & 3) == 3 && (tos & 3)) tos |= 3;
    if (sa.flags & kSaDecapDscp) tos = uint8_t((outer_tos & 0xfc) | (tos & 3));
    if (tos == meta.tos) return;
    uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, meta.l3_offset);
    if (meta.dst.is_v6()) {
        ip[0] = uint8_t(0x60 | tos >> 4);
        ip[1] = uint8_t((ip[1] & 0x0f) | (tos & 0x0f) << 4);
    } else {
        ip[1] = tos;
        ipv4_fix_checksum(ip);
    }
}

// The outer TOS / traffic class of a tunnel packet (Linux's INET_ECN_encapsulate and flags).
uint8_t encap_tos(uint8_t inner, const SaEntry& sa) {
    uint8_t ecn = inner & 3;
    if (ecn == 3) ecn = 2;  // CE is sent as ECT(0)
    if (sa.flags & kSaNoEcn) ecn = 0;
    const uint8_t dscp = (sa.extra_flags & kSaDontEncapDscp) ? 0 : inner & 0xfc;
    return uint8_t(dscp | ecn);
}

// The L4 checksum of a transport-mode packet after NAT-T decapsulation (RFC 3948 §3.1.2: the
// peer computed it over addresses a NAT changed).
void fix_l4_checksum(uint8_t* ip, bool v6, uint8_t proto) {
    if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return;
    uint8_t* l4 = ip + ip_header_bytes(v6);
    uint8_t* c = l4 + (proto == IPPROTO_TCP ? 16 : 6);
    c[0] = c[1] = 0;
    uint16_t sum;
    if (v6) sum = rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), l4);
    else sum = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip), l4);
    put_cksum(c, sum);
}

// Stable order of a burst's records by SA, so that each SA's packets form one run: an
// insertion sort (at most a burst, usually one SA and already in order; std::stable_sort may
// allocate).
template <class Rec>
void group_by_sa(Rec* r, unsigned n) {
    for (unsigned i = 1; i < n; ++i) {
        const Rec x = r[i];
        unsigned j = i;
        for (; j > 0 && r[j - 1].sa > x.sa; --j) r[j] = r[j - 1];
        r[j] = x;
    }
}

// Calls f(first, count, sa) for every run of equal SAs in records sorted by group_by_sa().
template <class Rec, class F>
void for_each_run(const Rec* r, unsigned n, F&& f) {
    for (unsigned i = 0; i < n;) {
        unsigned j = i + 1;
        while (j < n && r[j].sa == r[i].sa) ++j;
        f(i, j - i, r[i].sa);
        i = j;
    }
}

const SpdDirection kNoDirection{};

}  // namespace

IpsecStage::IpsecStage() : engine_(crypto::Engine::create()) {}
IpsecStage::~IpsecStage() = default;

bool IpsecStage::inbound(Burst& b, const StageContext& ctx) noexcept {
    const IpsecTables* t = ctx.snap.ipsec.get();
    if (!t || t->sas.empty() || !engine_) return false;
    struct Rec {
        uint32_t sa;
        uint16_t i;
        uint8_t outer_tos;
        uint16_t esp_off;  // from the frame start
        uint16_t esp_len;
    };
    Rec rec[kBurstMax];
    unsigned n = 0;
    for (uint16_t i = 0; i < b.n; ++i) {
        PacketMeta& m = b.meta[i];
        if (m.next != Next::kLocal || m.from_host) continue;
        const bool via_udp = m.proto == kProtoUdp && t->is_natt_port(m.dport);
        if (m.proto != kProtoEsp && !via_udp) continue;
        rte_mbuf* p = b.pkt[i];
        if (p->nb_segs != 1) {
            b.drop(i, DropReason::kEspMultiSegment);
            continue;
        }
        const uint32_t hl = ip_header_bytes(m.dst.is_v6());
        uint8_t* l4 = rte_pktmbuf_mtod_offset(p, uint8_t*, m.l3_offset + hl);
        uint8_t* esp = l4;
        uint32_t len = m.l3_len - hl;
        if (via_udp) {
            const crypto::NattPayload np = crypto::natt_strip({l4, len});
            switch (np.kind) {
                case crypto::NattKind::kIke: m.ike = true; continue;
                case crypto::NattKind::kKeepalive: b.drop(i, DropReason::kNattKeepalive); continue;
                case crypto::NattKind::kMalformed: b.drop(i, DropReason::kNattMalformed); continue;
                case crypto::NattKind::kEsp: break;
            }
            esp = np.payload.data();
            len = uint32_t(np.payload.size());
        }
        if (len < crypto::kEspHeaderBytes) {
            b.drop(i, DropReason::kEspTooShort);
            continue;
        }
        const uint32_t sa = t->find_in(m.dst, load_be32(esp));
        if (sa == kNoSa) {
            b.drop(i, DropReason::kEspNoSa);
            continue;
        }
        if (t->sas[sa].natt != via_udp) {
            b.drop(i, DropReason::kEspEncapMismatch);
            continue;
        }
        rec[n++] = {sa, i, m.tos, uint16_t(esp - rte_pktmbuf_mtod(p, uint8_t*)), uint16_t(len)};
    }
    if (!n) return false;
    group_by_sa(rec, n);
    crypto::EspIn in[kBurstMax];
    crypto::CryptoOp ops[kBurstMax];
    for (unsigned k = 0; k < n; ++k) {
        in[k].esp = rte_pktmbuf_mtod(b.pkt[rec[k].i], uint8_t*) + rec[k].esp_off;
        in[k].len = rec[k].esp_len;
    }
    for_each_run(rec, n, [&](unsigned first, unsigned count, uint32_t sa) {
        const SaEntry& e = t->sas[sa];
        crypto::esp_decap_prepare(*e.crypto, *e.rt, {in + first, count}, ops + first);
    });
    engine_->decrypt(ops, n);
    for_each_run(rec, n, [&](unsigned first, unsigned count, uint32_t sa) {
        const SaEntry& e = t->sas[sa];
        crypto::esp_decap_finish(*e.crypto, *e.rt, {in + first, count}, ops + first);
    });
    bool again = false;
    for (unsigned k = 0; k < n; ++k) {
        const uint16_t i = rec[k].i;
        PacketMeta& m = b.meta[i];
        rte_mbuf* p = b.pkt[i];
        const crypto::EspIn& r = in[k];
        if (r.error != crypto::EspError::kOk) {
            b.drop(i, esp_drop_reason(uint8_t(r.error)));
            continue;
        }
        const SaEntry& sa = t->sas[rec[k].sa];
        if (sa.roam_out != kNoSa) learn_peer(t->sas[sa.roam_out], m.src);  // authenticated: m.src is the peer's
        uint8_t* frame = rte_pktmbuf_mtod(p, uint8_t*);
        uint8_t* start;
        uint32_t len;
        if (sa.mode == crypto::Mode::kTunnel) {
            // The inner packet with the received Ethernet header in front (the parse stage
            // checks it again as if it came in on the same port).
            start = r.payload - kEthHdrBytes;
            std::memmove(start, frame, 12);
            put16(start + 12, r.next_header == crypto::kNextHeaderIpv6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
            len = kEthHdrBytes + r.payload_len;
        } else {
            // Transport: the IP header moves up to the payload and names its protocol.
            const bool v6 = m.dst.is_v6();
            const uint32_t hl = ip_header_bytes(v6);
            start = r.payload - hl - kEthHdrBytes;
            std::memmove(start, frame, kEthHdrBytes + hl);
            uint8_t* ip = start + kEthHdrBytes;
            if (v6) {
                put16(ip + 4, uint16_t(r.payload_len));
                ip[6] = r.next_header;
            } else {
                put16(ip + 2, uint16_t(hl + r.payload_len));
                ip[9] = r.next_header;
                ipv4_fix_checksum(ip);
            }
            if (sa.natt) fix_l4_checksum(ip, v6, r.next_header);
            len = kEthHdrBytes + hl + r.payload_len;
        }
        set_frame(p, start, len);
        const uint32_t iif = m.iif, mark = m.fwmark;
        const IfaceView* inv = ctx.snap.iface(iif);
        if (!inv) {
            b.drop(i, DropReason::kLinkDown);
            continue;
        }
        parse_packet(p, m, *inv, iif);
        if (m.next == Next::kDrop) continue;
        m.next = Next::kRoute;  // neighbour discovery inside a tunnel is just a packet
        m.l2_unicast = true;
        m.fwmark = mark;
        m.xfrm_sa = rec[k].sa + 1;
        if (sa.if_id)
            if (const uint32_t x = t->xfrm_ifindex(sa.if_id)) {
                m.iif = x;
                if (x < kMaxVirtualIfindex) {
                    bump(ctx.counters.virt[x].rx_packets);
                    bump(ctx.counters.virt[x].rx_bytes, m.l3_len);
                }
            }
        if (sa.mode == crypto::Mode::kTunnel) decap_tos(p, m, rec[k].outer_tos, sa);
        again = true;
    }
    return again;
}

void IpsecStage::check(Burst& b, const StageContext& ctx, BurstMask only) noexcept {
    const IpsecTables* t = ctx.snap.ipsec.get();
    if (!t) return;
    const SpdDirection& in = t->dir(SpdDir::kIn);
    const SpdDirection& fwd = t->dir(SpdDir::kFwd);
    if (in.idle() && fwd.idle() && t->sas.empty()) return;
    SpdKey keys[kBurstMax];
    uint32_t res[kBurstMax];
    bool want[kBurstMax];
    Lookups lookups(spd_cache_, ctx.snap.generation);
    for (uint16_t i = 0; i < b.n; ++i) {
        want[i] = false;
        PacketMeta& m = b.meta[i];
        if (!(only >> i & 1)) continue;
        if (m.from_host) continue;  // the gateway's own packets: output policy only
        const bool local = m.next == Next::kLocal;
        if (!local && m.next != Next::kForward) continue;
        const SpdDirection& d = local ? in : fwd;
        if (!m.xfrm_sa && d.idle()) continue;
        // IKE reaches the gateway's daemon whatever the policies say (its socket bypass).
        if (local && !m.xfrm_sa && (m.ike || (m.proto == kProtoUdp && (m.dport == kIkePort || t->is_natt_port(m.dport)))))
            continue;
        want[i] = true;
        keys[i] = flow_of(b.pkt[i], m, m.xfrm_sa ? t->sas[m.xfrm_sa - 1].if_id : 0);
        res[i] = SpdTable::kNoMatch;
        if (!d.empty()) lookups.add(d, local ? SpdDir::kIn : SpdDir::kFwd, &keys[i], i);
    }
    lookups.run(res);
    for (uint16_t i = 0; i < b.n; ++i) {
        if (!want[i]) continue;
        const PacketMeta& m = b.meta[i];
        const SaEntry* sa = m.xfrm_sa ? &t->sas[m.xfrm_sa - 1] : nullptr;
        const DropReason r = policy_check(m.next == Next::kLocal ? in : fwd, keys[i], sa, res[i]);
        if (r != DropReason::kNone) b.drop(i, r);
    }
}

void IpsecStage::learn_peer(const SaEntry& out, const ws::InetAddr& from) noexcept {
    // The common case costs one compare: the peer is where it was configured to be.
    const uint32_t gen = out.rt->peer_generation();
    if (gen == 0 ? from == out.dst : out.rt->peer() == from) return;
    out.rt->set_peer(from);
}

const IpsecStage::OuterRoute& IpsecStage::outer_route(uint32_t sa_index, const PacketMeta& m, const StageContext& ctx) {
    const IpsecTables& t = *ctx.snap.ipsec;
    if (outer_.size() < t.sas.size()) outer_.resize(t.sas.size());  // once per larger SAD
    OuterRoute& r = outer_[sa_index];
    const SaEntry& sa = t.sas[sa_index];
    const uint32_t peer_gen = sa.rt->peer_generation();
    if (r.generation == ctx.snap.generation && r.mark == m.fwmark && r.peer_gen == peer_gen) return r;
    r = OuterRoute{};
    r.generation = ctx.snap.generation;
    r.mark = m.fwmark;
    r.peer_gen = peer_gen;
    // A roamed peer (a learnt address of the SA's family) replaces the configured destination.
    r.dst = sa.dst;
    if (peer_gen)
        if (const ws::InetAddr p = sa.rt->peer(); p.family == sa.dst.family) r.dst = p;
    sel::FlowKey k;
    k.saddr = sa.src;
    k.daddr = r.dst;
    k.mark = m.fwmark;
    k.proto = sa.natt ? kProtoUdp : kProtoEsp;
    if (sa.natt) {
        k.sport = sa.natt_sport;
        k.dport = sa.natt_dport;
    }
    const RouteDecision d = route_output(*ctx.snap.routing, k);
    if (d.error) r.drop = DropReason::kXfrmOutNoRoute;
    else if (is_local(d)) r.drop = DropReason::kXfrmOutLoop;
    else if (!resolve_egress(d, r.dst, ctx, r)) r.drop = DropReason::kXfrmOutNoRoute;
    else if (r.out_port == kNoPort) r.drop = DropReason::kXfrmOutLoop;  // into IPsec again
    return r;
}

void IpsecStage::outbound(Burst& b, const StageContext& ctx) noexcept {
    const IpsecTables* t = ctx.snap.ipsec.get();
    const SpdDirection& out = t ? t->dir(SpdDir::kOut) : kNoDirection;
    struct Rec {
        uint32_t sa;
        uint16_t i;
        uint32_t xfrm_ifindex;  // routed to this xfrm interface (0: another egress)
    };
    Rec rec[kBurstMax];
    unsigned n = 0;
    // 1. the packets that take the out policy, their keys, one bulk lookup per family
    SpdKey keys[kBurstMax];
    uint32_t res[kBurstMax];
    uint32_t if_ids[kBurstMax];
    bool want[kBurstMax];
    Lookups lookups(spd_cache_, t ? ctx.snap.generation : 0);
    for (uint16_t i = 0; i < b.n; ++i) {
        want[i] = false;
        PacketMeta& m = b.meta[i];
        if (m.next != Next::kForward || m.xfrm_done) continue;
        const IfaceView* dev = ctx.snap.iface(m.out_ifindex);
        const uint32_t if_id = dev ? dev->xfrm_if_id : 0;
        if (!if_id && out.idle()) continue;
        m.xfrm_done = true;
        if (!t || !engine_) {
            b.drop(i, DropReason::kXfrmOutNoPolicy);
            continue;
        }
        // The gateway's own IKE leaves in the clear (its socket bypass).
        if (!if_id && m.from_host && m.proto == kProtoUdp && (m.sport == kIkePort || t->is_natt_port(m.sport))) continue;
        want[i] = true;
        // The outer header goes into headroom that receiving left cold.
        rte_prefetch0(rte_pktmbuf_mtod(b.pkt[i], uint8_t*) - RTE_CACHE_LINE_SIZE);
        if_ids[i] = if_id;
        keys[i] = flow_of(b.pkt[i], m, if_id);
        res[i] = SpdTable::kNoMatch;
        if (!out.empty()) lookups.add(out, SpdDir::kOut, &keys[i], i);
    }
    lookups.run(res);
    // 2. the action of each packet's policy; PROTECT picks the SA
    for (uint16_t i = 0; i < b.n; ++i) {
        if (!want[i]) continue;
        PacketMeta& m = b.meta[i];
        const uint32_t if_id = if_ids[i];
        const SpdKey& key = keys[i];
        const uint32_t r = res[i];
        if (r == SpdTable::kNoMatch) {
            if (if_id || out.block_default) b.drop(i, DropReason::kXfrmOutNoPolicy);
            continue;
        }
        const PolicyEntry& p = out.policies[r];
        switch (p.action) {
            case PolicyAction::kBypass:
                if (if_id) b.drop(i, DropReason::kXfrmOutNoPolicy);
                continue;
            case PolicyAction::kDiscard: b.drop(i, DropReason::kXfrmOutPolicyBlock); continue;
            case PolicyAction::kUnsupported: b.drop(i, DropReason::kXfrmOutUnsupported); continue;
            case PolicyAction::kProtect: break;
        }
        uint32_t sa = p.sa;
        if (p.per_flow)
            for (uint32_t c : p.candidates)
                if (t->sas[c].src == m.src && t->sas[c].dst == m.dst) {
                    sa = c;
                    break;
                }
        // xfrm_state_look_at(): the SA's mark, and its selector of the flow's family (unless
        // af-unspec) matching the flow.
        if (sa == kNoSa || (m.fwmark & t->sas[sa].mark_m) != t->sas[sa].mark_v ||
            (t->sas[sa].sel_family != ws::Family::kNone && t->sas[sa].sel_family != m.dst.family) ||
            !t->sas[sa].sel_matches(key)) {
            b.drop(i, DropReason::kXfrmOutNoState);
            continue;
        }
        if (if_id && t->sas[sa].mode == crypto::Mode::kTransport) {
            b.drop(i, DropReason::kXfrmOutUnsupported);
            continue;
        }
        rec[n++] = {sa, i, if_id ? m.out_ifindex : 0};
    }
    if (!n) return;
    group_by_sa(rec, n);

    // Per packet: the room, the size once encrypted against the egress MTU, the layout.
    struct Plan {
        const OuterRoute* route;  // tunnel: the outer route; transport: null (the packet's own)
        uint32_t hl;              // the packet's IP header
        uint32_t outer;           // tunnel: the outer IP header; transport: 0
        uint8_t tos;
        bool df, v6_inner;
        uint32_t flow_label;      // an IPv6 inner packet's, copied to an IPv6 outer header
    };
    Plan plan[kBurstMax];
    crypto::EspOut eo[kBurstMax];
    crypto::CryptoOp ops[kBurstMax];
    unsigned kept = 0;
    for (unsigned k = 0; k < n; ++k) {
        const uint16_t i = rec[k].i;
        PacketMeta& m = b.meta[i];
        rte_mbuf* p = b.pkt[i];
        const SaEntry& sa = t->sas[rec[k].sa];
        const crypto::SaCrypto& c = *sa.crypto;
        const bool tunnel = sa.mode == crypto::Mode::kTunnel;
        Plan pl{nullptr, ip_header_bytes(m.dst.is_v6()), tunnel ? ip_header_bytes(sa.dst.is_v6()) : 0, m.tos, m.df,
                m.dst.is_v6(), 0};
        uint32_t mtu = m.mtu;
        if (tunnel) {
            pl.route = &outer_route(rec[k].sa, m, ctx);
            if (pl.route->drop != DropReason::kNone) {
                b.drop(i, pl.route->drop);
                continue;
            }
            mtu = pl.route->mtu;
        }
        if (p->nb_segs != 1) {
            b.drop(i, DropReason::kEspMultiSegment);
            continue;
        }
        const uint32_t natt = sa.natt ? crypto::kUdpHeaderBytes : 0;
        const uint32_t front = (tunnel ? pl.outer : pl.hl) + natt + crypto::esp_headroom(c);  // before the payload
        uint8_t* ip = rte_pktmbuf_mtod_offset(p, uint8_t*, m.l3_offset);
        if (pl.v6_inner) pl.flow_label = uint32_t(ip[1] & 0x0f) << 16 | uint32_t(ip[2]) << 8 | ip[3];
        uint8_t* payload = tunnel ? ip : ip + pl.hl;
        const uint32_t len = tunnel ? m.l3_len : m.l3_len - pl.hl;
        if (front + len + crypto::esp_tailroom(c, len) > mtu) {
            // The largest packet that fits once encrypted (xfrm_state_mtu()).
            const uint32_t fit = crypto::esp_payload_fit(c, mtu, front);
            m.drop = DropReason::kFragNeeded;
            m.icmp_info = tunnel ? fit : fit + pl.hl;
            if (pl.v6_inner || m.df) {
                m.next = Next::kIcmpError;
                m.icmp_type = pl.v6_inner ? 2 : 3;
                m.icmp_code = pl.v6_inner ? 0 : 4;
            } else {
                m.next = Next::kDrop;
            }
            continue;
        }
        const uint32_t headroom = uint32_t(payload - buf_start(p));
        if (headroom < front + kEthHdrBytes) {
            b.drop(i, DropReason::kEspNoRoom);
            continue;
        }
        if (!tunnel) {
            // Transport: the Ethernet and IP headers move up to make room for ESP behind them.
            const uint32_t shift = natt + crypto::esp_headroom(c);
            std::memmove(ip - kEthHdrBytes - shift, ip - kEthHdrBytes, kEthHdrBytes + pl.hl);
        }
        crypto::EspOut& o = eo[kept];
        o.payload = payload;
        o.len = len;
        o.headroom = crypto::esp_headroom(c);
        o.tailroom = uint32_t(buf_start(p) + p->buf_len - (payload + len));
        o.next_header = tunnel ? (pl.v6_inner ? crypto::kNextHeaderIpv6 : crypto::kNextHeaderIpv4) : m.proto;
        o.iv = nullptr;
        plan[kept] = pl;
        rec[kept++] = rec[k];
    }
    n = kept;
    if (!n) return;
    for_each_run(rec, n, [&](unsigned first, unsigned count, uint32_t sa) {
        const SaEntry& e = t->sas[sa];
        crypto::esp_encap_prepare(*engine_, *e.crypto, *e.rt, {eo + first, count}, ops + first);
    });
    engine_->encrypt(ops, n);
    for_each_run(rec, n, [&](unsigned first, unsigned count, uint32_t sa) {
        const SaEntry& e = t->sas[sa];
        crypto::esp_encap_finish(*e.crypto, *e.rt, {eo + first, count}, ops + first);
    });
    for (unsigned k = 0; k < n; ++k) {
        const uint16_t i = rec[k].i;
        PacketMeta& m = b.meta[i];
        rte_mbuf* p = b.pkt[i];
        const crypto::EspOut& o = eo[k];
        if (o.error != crypto::EspError::kOk) {
            b.drop(i, esp_drop_reason(uint8_t(o.error)));
            continue;
        }
        const SaEntry& sa = t->sas[rec[k].sa];
        const Plan& pl = plan[k];
        if (const uint32_t x = rec[k].xfrm_ifindex; x && x < kMaxVirtualIfindex) {
            bump(ctx.counters.virt[x].tx_packets);
            bump(ctx.counters.virt[x].tx_bytes, o.len + (pl.route ? 0 : pl.hl));
        }
        const uint32_t natt = sa.natt ? crypto::kUdpHeaderBytes : 0;
        const uint8_t proto = sa.natt ? kProtoUdp : kProtoEsp;
        uint8_t* udp = o.esp - natt;
        uint8_t* ip;
        uint32_t l3;
        bool v6;
        if (pl.route) {
            v6 = sa.dst.is_v6();
            ip = udp - pl.outer;
            l3 = pl.outer + natt + o.esp_len;
            const uint8_t tos = encap_tos(pl.tos, sa);
            if (v6) {
                ip[0] = uint8_t(0x60 | tos >> 4);
                // xfrm6_tunnel_encap_add(): the inner flow label (0 for an IPv4 inner packet).
                ip[1] = uint8_t((tos & 0x0f) << 4 | pl.flow_label >> 16);
                ip[2] = uint8_t(pl.flow_label >> 8);
                ip[3] = uint8_t(pl.flow_label);
                put16(ip + 4, uint16_t(natt + o.esp_len));
                ip[6] = proto;
                ip[7] = kOuterTtl;
                std::memcpy(ip + 8, sa.src.b.data(), 16);
                std::memcpy(ip + 24, pl.route->dst.b.data(), 16);
            } else {
                ip[0] = 0x45;
                ip[1] = tos;
                put16(ip + 2, uint16_t(l3));
                put16(ip + 4, ip_id_++);
                put16(ip + 6, (pl.df || pl.v6_inner) ? 0x4000 : 0);
                ip[8] = kOuterTtl;
                ip[9] = proto;
                std::memcpy(ip + 12, sa.src.b.data(), 4);
                std::memcpy(ip + 16, pl.route->dst.b.data(), 4);
                ipv4_fix_checksum(ip);
            }
            m.src = sa.src;
            m.dst = pl.route->dst;
            m.ttl = kOuterTtl;
            m.tos = tos;
            m.out_port = pl.route->out_port;
            m.out_ifindex = pl.route->out_ifindex;
            m.mtu = pl.route->mtu;
            m.nexthop = pl.route->nexthop;
            m.neigh_slot = pl.route->neigh_slot;
        } else {
            v6 = pl.v6_inner;
            ip = udp - pl.hl;  // moved there before the encryption
            l3 = pl.hl + natt + o.esp_len;
            if (v6) {
                put16(ip + 4, uint16_t(natt + o.esp_len));
                ip[6] = proto;
            } else {
                put16(ip + 2, uint16_t(l3));
                ip[9] = proto;
                ipv4_fix_checksum(ip);
            }
        }
        if (sa.natt) {
            if (v6) crypto::natt_write_udp6(udp, sa.natt_sport, sa.natt_dport, o.esp_len, ip + 8, ip + 24);
            else crypto::natt_write_udp4(udp, sa.natt_sport, sa.natt_dport, o.esp_len);
        }
        uint8_t* frame = ip - kEthHdrBytes;
        put16(frame + 12, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
        set_frame(p, frame, kEthHdrBytes + l3);
        m.l3_offset = kEthHdrBytes;
        m.l3_len = uint16_t(l3);
        m.proto = proto;
        m.sport = sa.natt ? sa.natt_sport : 0;
        m.dport = sa.natt ? sa.natt_dport : 0;
    }
}

}  // namespace dp
