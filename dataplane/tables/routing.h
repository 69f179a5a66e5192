#pragma once
// Routing — the read-only routing part of a snapshot: interfaces, and per family the compiled
// rule list (goto targets resolved, each rule's table pointer resolved) and the compiled tables.
#include <map>
#include <memory>
#include <vector>

#include "dataplane/tables/fib.h"
#include "dataplane/tables/interfaces.h"
#include "dataplane/tables/rule.h"

namespace dp {

struct FamilyRouting {
    std::vector<Rule> rules;                  // ascending priority, insertion order within one
    std::vector<const Fib*> rule_tables;      // per rule: its table, or nullptr
    std::map<uint32_t, std::unique_ptr<Fib>> tables;
    bool custom_rules = false;                // fib_has_custom_rules: a user rule was ever added
    bool custom_local_routes = false;         // fib_has_custom_local_routes
    // fib_rules_require_fldissect: some rule not bound to `iif lo` uses ipproto/sport/dport.
    // Only then does the input path dissect protocol and ports; otherwise they are 0.
    bool require_fldissect = false;

    // The RuleSet concept of fib_lookup.h.
    size_t size() const { return rules.size(); }
    const Rule& rule(size_t i) const { return rules[i]; }
    const Fib* table_of(size_t i) const { return rule_tables[i]; }

    const Fib* table_by_id(uint32_t id) const { return table(id); }
    const Fib* table(uint32_t id) const {
        auto it = tables.find(id);
        return it == tables.end() ? nullptr : it->second.get();
    }
};

struct Routing {
    Interfaces ifs;
    FamilyRouting v4;
    FamilyRouting v6;

    const FamilyRouting& family(ws::Family f) const { return f == ws::Family::kInet6 ? v6 : v4; }
};

}  // namespace dp
