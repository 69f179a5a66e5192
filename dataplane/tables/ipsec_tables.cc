#include "dataplane/tables/ipsec_tables.h"

namespace dp {

bool SaEntry::sel_matches(const SpdKey& k) const noexcept {
    auto in = [](const ws::InetPrefix& p, const ws::InetAddr& a) { return p.len == 0 || p.contains(a); };
    return in(sel.src, k.src) && in(sel.dst, k.dst) && !((k.sport ^ sel.sport) & sel.sport_mask) &&
           !((k.dport ^ sel.dport) & sel.dport_mask) && (!sel.proto || sel.proto == k.proto);
}

}  // namespace dp
