#pragma once
// compile_ipsec() — the model's SAD and SPD compiled into the snapshot's IpsecTables
// (dataplane/tables/ipsec_tables.h): every SA with its prepared crypto context and runtime
// state, the SPI index, per direction and family a compiled first-match SPD table over the
// policies in Linux's lookup order, each out PROTECT template resolved to its SA
// (xfrm_state_find(): the newest SA with the template's destination, source, mode, reqid and
// SPI and the policy's if_id), the default actions, the xfrm interfaces by if_id and the UDP
// ports that carry ESP to the gateway.
//
// SaRegistry keeps what must outlive a snapshot: an SA's SaRuntime (sequence numbers, replay
// window, lifetime counters: DESIGN "SA runtime state ... survives reloads") and its SaCrypto
// (key schedules, built once), keyed by the SA's key object — `ip xfrm state update` keeps it,
// a delete and add makes a new one, so a re-added SA starts afresh as it does in Linux.
// Needs:   a model whose SAs passed check_sa_params() (the grammar checks them).
// Errors:  an SA context that cannot be built (no guarded memory), an SPD table that cannot be
//          compiled: the batch is refused and nothing is published.
// Cost:    control path: per new SA one SaCrypto (about 2 us); per publish one SPD build
//          (perf/RESULTS.md, "SPD lookup").
#include <memory>
#include <unordered_map>

#include "common/result.h"
#include "control/model/model.h"
#include "dataplane/tables/ipsec_tables.h"

namespace ctl {

class SaRegistry {
public:
    struct Entry {
        std::shared_ptr<const crypto::SecureKey> key;
        std::shared_ptr<const crypto::SaCrypto> crypto;
        std::shared_ptr<crypto::SaRuntime> rt;
    };
    // The SA's context and runtime: the ones it already has, with the limits updated, or new.
    ws::Result<Entry> get(const XfrmState& s);
    // Forgets every SA not asked for since the last sweep (deleted SAs: the snapshots still
    // holding them keep their references until they are freed).
    void sweep();
    const Entry* find(const crypto::SecureKey* key) const {
        auto it = map_.find(key);
        return it == map_.end() ? nullptr : &it->second;
    }

private:
    std::unordered_map<const crypto::SecureKey*, Entry> map_;
    std::unordered_map<const crypto::SecureKey*, bool> used_;
};

ws::Result<std::unique_ptr<dp::IpsecTables>> compile_ipsec(const Model& m, SaRegistry& reg);

}  // namespace ctl
