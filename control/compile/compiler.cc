#include "control/compile/compiler.h"

namespace ctl {

namespace {

void compile_family(const FamilyModel& fm, ws::Family f, dp::FamilyRouting& out) {
    out.rules = fm.rules;
    out.custom_rules = fm.custom_rules;
    out.custom_local_routes = fm.custom_local_routes;
    for (const auto& [id, table] : fm.tables) {
        if (table.empty()) continue;
        out.tables.emplace(id, std::make_unique<dp::Fib>(dp::Fib::build_groups(id, f, table.groups())));
    }
    for (const auto& r : out.rules) {
        const auto& iif = r.sel.get<sel::Iif>();
        const bool on_lo = iif && iif->ifindex == sel::kLoopbackIfindex;
        if (!on_lo && (r.sel.get<sel::IpProto>() || r.sel.get<sel::Sport>() || r.sel.get<sel::Dport>()))
            out.require_fldissect = true;
    }
    out.rule_tables.reserve(out.rules.size());
    for (const auto& r : out.rules) out.rule_tables.push_back(out.table(r.table));
}

}  // namespace

std::unique_ptr<dp::Routing> compile_routing(const Model& m) {
    auto r = std::make_unique<dp::Routing>();
    r->ifs = m.ifs;
    compile_family(m.v4, ws::Family::kInet, r->v4);
    compile_family(m.v6, ws::Family::kInet6, r->v6);
    return r;
}

}  // namespace ctl
