#pragma once
// spd_rule_of() — one SPD policy of the model (ctl::XfrmPolicy) as the dataplane's match rule
// (dp::SpdRule): the selector's prefixes, protocol and ports under their masks, the mark and
// the if_id, which are exactly what xfrm_policy_match() compares. The action and templates
// stay with the caller, which finds them again through `result` (typically the policy's index
// in Spd::ordered(dir), the order dp::SpdTable::build() takes).
//
// Needs:   a policy whose selector has a family (kInet or kInet6); an af-unspec selector
//          (family kNone) converts, but SpdTable::build() refuses it.
// Config:  ip xfrm policy add src 10.0.1.0/24 dst 10.0.2.0/24 proto udp sport 500 dir out
//            mark 0x10/0xff if_id 7 tmpl ...
// Cost:    a copy of a few fields; no DPDK (ctl_lib does not link it).
#include <cstdint>

#include "control/model/xfrm_model.h"
#include "dataplane/tables/spd_rule.h"

namespace ctl {

dp::SpdRule spd_rule_of(const XfrmPolicy& p, uint32_t result);

}  // namespace ctl
