#pragma once
// IpsecTables — the SAD and SPD as the fast path reads them, compiled by the control plane
// (control/compile/compile_ipsec.h) into each snapshot and immutable afterwards.
//
//   SAD:  one SaEntry per SA: the prepared crypto context (crypto/sa_crypto.h), the SA's
//         runtime state (crypto/sa_runtime.h: sequence numbers, replay window, lifetime), which
//         lives outside the snapshot and is handed from snapshot to snapshot while the SA
//         exists, and what the stages need besides: outer addresses, mode, NAT-T ports, if_id,
//         the SA's selector (the inbound check).
//         Inbound SAs are found by (destination, SPI) in an open-addressed table
//         (xfrm_state_lookup(): the mark is not part of it here).
//   SPD:  per direction (in, out, fwd) and family a compiled first-match table
//         (dataplane/tables/spd_table.h) whose result indexes `policies`: the action, and for
//         PROTECT the template and, where the template names both tunnel endpoints, the SA it
//         resolves to (xfrm_state_find() done once per snapshot instead of per packet).
//         Templates without addresses (transport mode) are resolved per packet among
//         `candidates`, the SAs whose mode, reqid and if_id fit.
//
// Needs:   nothing at run time; built by the control plane.
// Config:  ip xfrm state add ... ; ip xfrm policy add ... ; ip xfrm policy setdefault ...
// Cost:    find_in(): one hash probe (a few cycles); SPD: spd_table.h.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/inet.h"
#include "crypto/sa.h"
#include "crypto/sa_crypto.h"
#include "crypto/sa_runtime.h"
#include "dataplane/tables/spd_table.h"

namespace dp {

inline constexpr uint32_t kNoSa = UINT32_MAX;

// XFRM_STATE_* / XFRM_SA_XFLAG_* bits the fast path honours.
inline constexpr uint8_t kSaNoEcn = 1, kSaDecapDscp = 2;
inline constexpr uint32_t kSaDontEncapDscp = 1;

struct SaEntry {
    std::shared_ptr<const crypto::SaCrypto> crypto;
    std::shared_ptr<crypto::SaRuntime> rt;
    ws::InetAddr src, dst;          // outer addresses
    uint32_t spi = 0, reqid = 0, if_id = 0;
    uint32_t mark_v = 0, mark_m = 0;
    crypto::Mode mode = crypto::Mode::kTunnel;
    bool natt = false;
    uint16_t natt_sport = 0, natt_dport = 0;
    uint8_t flags = 0;              // kSaNoEcn, kSaDecapDscp
    uint32_t extra_flags = 0;       // kSaDontEncapDscp
    // Roaming (`extra-flag roam` on this inbound SA): the outbound SA whose runtime learns the
    // peer's address from this SA's authenticated packets, or kNoSa.
    uint32_t roam_out = UINT32_MAX;
    // The SA's selector (`sel`; without one, Linux gives it the SA's family and no limits):
    // decrypted packets must match it, and an outbound flow of another family cannot use the
    // SA unless it is af-unspec (sel_family kNone). Mark, if_id and result unused.
    ws::Family sel_family = ws::Family::kNone;
    SpdRule sel;
    // xfrm_selector_match() on the packet's family: a zero prefix matches any address.
    bool sel_matches(const SpdKey& k) const noexcept;
};

enum class PolicyAction : uint8_t {
    kBypass,       // allow, no template
    kDiscard,      // action block
    kProtect,      // one ESP template
    kUnsupported,  // templates wildside does not apply (AH, IPComp, nested): out drops
};

struct PolicyTmpl {
    ws::InetAddr src, dst;          // zero (family kNone or all-zero) where not given
    uint32_t spi = 0, reqid = 0;
    crypto::Mode mode = crypto::Mode::kTransport;
    bool optional = false;          // level use
    bool esp = true;                // proto esp (else AH/IPComp: never satisfied here)
};

struct PolicyEntry {
    PolicyAction action = PolicyAction::kBypass;
    uint32_t if_id = 0;
    std::vector<PolicyTmpl> tmpls;  // in/fwd checks walk them; out uses tmpls[0]
    uint32_t sa = kNoSa;            // out, PROTECT: the SA the template resolved to
    bool per_flow = false;          // out, PROTECT: resolve among `candidates` per packet
    std::vector<uint32_t> candidates;
};

struct SpdDirection {
    std::unique_ptr<SpdTable> v4, v6;
    std::vector<PolicyEntry> policies;  // indexed by the tables' results
    bool block_default = false;         // ip xfrm policy setdefault DIR block

    const SpdTable* table(bool v6_flow) const { return v6_flow ? v6.get() : v4.get(); }
    bool empty() const { return policies.empty(); }
    // Nothing to look up and nothing to refuse: the fast path skips the direction.
    bool idle() const { return policies.empty() && !block_default; }
};

enum class SpdDir : uint8_t { kIn = 0, kOut = 1, kFwd = 2 };

struct IpsecTables {
    std::vector<SaEntry> sas;
    std::array<SpdDirection, 3> spd;
    std::vector<uint16_t> natt_ports;   // UDP ports carrying ESP to local addresses (4500 and SAs')
    std::vector<std::pair<uint32_t, uint32_t>> xfrm_ifaces;  // (if_id, ifindex) of xfrm interfaces

    // The xfrm interface of an if_id (decrypted packets enter through it), 0 if none.
    uint32_t xfrm_ifindex(uint32_t if_id) const noexcept {
        for (const auto& [id, ifindex] : xfrm_ifaces)
            if (id == if_id) return ifindex;
        return 0;
    }

    const SpdDirection& dir(SpdDir d) const { return spd[size_t(d)]; }
    bool active() const { return !sas.empty() || !spd[0].idle() || !spd[1].idle() || !spd[2].idle(); }

    // The SA for inbound ESP to `dst` with `spi`, or kNoSa.
    uint32_t find_in(const ws::InetAddr& dst, uint32_t spi) const noexcept {
        if (spi_slots_.empty()) return kNoSa;
        for (uint32_t h = hash(spi);; h = (h + 1) & spi_mask_) {
            const uint32_t i = spi_slots_[h];
            if (i == kNoSa) return kNoSa;
            if (sas[i].spi == spi && sas[i].dst == dst) return i;
        }
    }
    bool is_natt_port(uint16_t port) const noexcept {
        for (uint16_t p : natt_ports)
            if (p == port) return true;
        return false;
    }
    // Builds the SPI index over `sas` (after they are all in).
    void index() {
        size_t n = 16;
        while (n < sas.size() * 2) n <<= 1;
        spi_slots_.assign(n, kNoSa);
        spi_mask_ = uint32_t(n - 1);
        for (uint32_t i = 0; i < sas.size(); ++i) {
            uint32_t h = hash(sas[i].spi);
            while (spi_slots_[h] != kNoSa) h = (h + 1) & spi_mask_;
            spi_slots_[h] = i;
        }
    }

private:
    uint32_t hash(uint32_t spi) const { return (spi * 0x9e3779b1u) >> 7 & spi_mask_; }
    std::vector<uint32_t> spi_slots_;
    uint32_t spi_mask_ = 0;
};

}  // namespace dp
