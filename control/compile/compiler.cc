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

bool matches_everything(const dp::Rule& r) {
    bool any = false;
    r.sel.for_each([&](const auto& o) { any |= o.has_value(); });
    return !any && !r.invert;
}

const char* terminal_name(dp::RuleAction a) {
    switch (a) {
        case dp::RuleAction::kBlackhole: return "blackhole";
        case dp::RuleAction::kUnreachable: return "unreachable";
        case dp::RuleAction::kProhibit: return "prohibit";
        case dp::RuleAction::kToTable:
        case dp::RuleAction::kGoto:
        case dp::RuleAction::kNop: break;
    }
    return nullptr;
}

}  // namespace

std::vector<std::string> rule_warnings(const dp::FamilyRouting& fr) {
    std::vector<std::string> out;
    const auto& rules = fr.rules;
    int decided_by = -1;  // the first rule that decides all traffic
    for (size_t j = 0; j < rules.size(); ++j) {
        const dp::Rule& r = rules[j];
        const std::string name = "rule " + std::to_string(r.priority);
        if (decided_by >= 0) {
            out.push_back(name + " is never reached: rule " + std::to_string(rules[size_t(decided_by)].priority) + " (" +
                          terminal_name(rules[size_t(decided_by)].action) + ") decides all traffic first");
            continue;
        }
        for (size_t i = 0; i < j; ++i) {
            if (!(rules[i].sel == r.sel) || rules[i].invert != r.invert ||
                rules[i].action != r.action || rules[i].table != r.table || rules[i].goto_target != r.goto_target ||
                rules[i].suppress_prefixlen != r.suppress_prefixlen || rules[i].suppress_ifgroup != r.suppress_ifgroup)
                continue;
            out.push_back(name + " repeats rule " + std::to_string(rules[i].priority) + ": it never decides anything that rule did not");
            break;
        }
        if (r.action == dp::RuleAction::kToTable && r.table && !fr.table(r.table))
            out.push_back(name + " looks up table " + std::to_string(r.table) + ", which is empty: it always continues");
        if (r.action == dp::RuleAction::kGoto && r.goto_index == dp::kNoGoto)
            out.push_back(name + " jumps to priority " + std::to_string(r.goto_target) + ", where there is no rule: it is skipped");
        if (terminal_name(r.action) && matches_everything(r)) decided_by = int(j);
    }
    return out;
}

std::unique_ptr<dp::Routing> compile_routing(const Model& m) {
    auto r = std::make_unique<dp::Routing>();
    r->ifs = m.ifs;
    compile_family(m.v4, ws::Family::kInet, r->v4);
    compile_family(m.v6, ws::Family::kInet6, r->v6);
    return r;
}

}  // namespace ctl
