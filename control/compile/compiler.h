#pragma once
// compile_routing() — the model compiled into the routing part of an immutable snapshot:
// interfaces copied, rules with goto targets and device names resolved, each rule's table
// resolved to a pointer, every non-empty table built into a Fib in one pass.
#include <memory>
#include <string>
#include <vector>

#include "control/model/model.h"
#include "dataplane/tables/routing.h"

namespace ctl {

std::unique_ptr<dp::Routing> compile_routing(const Model& m);

// What the compiled rule list will never do (STYLE 19): rules shadowed by an earlier rule that
// decides all traffic, duplicates of an earlier rule, lookups of empty tables, goto targets
// that do not exist. One sentence each, naming the rules by priority.
std::vector<std::string> rule_warnings(const dp::FamilyRouting& fr);

}  // namespace ctl
