#pragma once
// Rule — one routing policy rule (ip rule), as the kernel's struct fib_rule.
//
// Config:  ip rule add [not] SELECTORS [pref N] ACTION   (selectors: selectors/all.h)
// Actions: lookup TABLE [suppress_prefixlength N] [suppress_ifgroup G] | goto PREF | nop |
//          blackhole | unreachable | prohibit. The numbers are the kernel's FR_ACT_*.
#include <cstdint>

#include "selectors/all.h"

namespace dp {

enum class RuleAction : uint8_t {
    kToTable = 1,
    kGoto = 2,
    kNop = 3,
    kBlackhole = 6,
    kUnreachable = 7,
    kProhibit = 8,
};

inline constexpr uint32_t kTableUnspec = 0;
inline constexpr uint32_t kTableDefault = 253;
inline constexpr uint32_t kTableMain = 254;
inline constexpr uint32_t kTableLocal = 255;
inline constexpr int32_t kNoGoto = -1;

struct Rule {
    sel::SelectorSet sel;
    uint32_t priority = 0;
    uint32_t table = 0;          // kToTable
    uint32_t goto_target = 0;    // kGoto: the target priority
    int32_t goto_index = kNoGoto;  // resolved: index of the first rule with that priority
    int32_t suppress_prefixlen = -1;
    int32_t suppress_ifgroup = -1;
    RuleAction action = RuleAction::kToTable;
    uint8_t protocol = 0;        // who added it: kernel (2) for the default rules
    bool invert = false;         // `not`

    bool matches(const sel::FlowKey& k) const { return sel.matches(k) != invert; }
};

}  // namespace dp
