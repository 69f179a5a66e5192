#pragma once
// iface_view() — one link of the model as the fast path sees it (dp::IfaceView): admin state,
// carrier, MTU, its first IPv4 address, an xfrm interface's if_id, a GRE link's end points and
// key. The port fields (port, mac, host) are the caller's: the daemon takes them from its
// PortSet, the stage tests number their fake ports.
#include "control/model/model.h"
#include "dataplane/snapshot.h"

namespace ctl {

inline dp::IfaceView iface_view(const dp::Link& l, const LinkSpec& spec) {
    dp::IfaceView v;
    v.up = l.up;
    v.carrier = l.carrier;  // without carrier nothing leaves (dev_deactivate()'s noop qdisc)
    v.mtu = l.mtu;
    for (const auto& a : l.addrs)
        if (a.local.is_v4() && !v.addr4.valid()) v.addr4 = a.local;
    if (spec.kind == "xfrm") v.xfrm_if_id = spec.if_id;
    if (spec.kind == "gre") {
        v.gre = true;
        v.gre_local = spec.gre_local;
        v.gre_remote = spec.gre_remote;
        v.gre_keyed = spec.gre_key.has_value();
        v.gre_key = spec.gre_key.value_or(0);
    }
    return v;
}

}  // namespace ctl
