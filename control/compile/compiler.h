#pragma once
// compile_routing() — the model compiled into the routing part of an immutable snapshot:
// interfaces copied, rules with goto targets and device names resolved, each rule's table
// resolved to a pointer, every non-empty table built into a Fib in one pass.
#include <memory>

#include "control/model/model.h"
#include "dataplane/tables/routing.h"

namespace ctl {

std::unique_ptr<dp::Routing> compile_routing(const Model& m);

}  // namespace ctl
