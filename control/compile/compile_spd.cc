#include "control/compile/compile_spd.h"

namespace ctl {

dp::SpdRule spd_rule_of(const XfrmPolicy& p, uint32_t result) {
    dp::SpdRule r;
    r.src = p.sel.src;
    r.dst = p.sel.dst;
    r.proto = p.sel.proto;
    r.sport = p.sel.sport;
    r.sport_mask = p.sel.sport_mask;
    r.dport = p.sel.dport;
    r.dport_mask = p.sel.dport_mask;
    r.mark_v = p.mark.v;
    r.mark_m = p.mark.m;
    r.if_id = p.if_id;
    r.result = result;
    return r;
}

}  // namespace ctl
