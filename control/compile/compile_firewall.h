#pragma once
// compile_firewall() — the model's iptables and ip6tables tables compiled into the snapshot:
// per family and table (filter, mangle) an FwTable (dataplane/tables/fw_table.h), or none
// when the table can do nothing (no rule, every policy ACCEPT). Interface names become the
// ifindices they match (wildcards included, so a later link needs a new snapshot, which every
// change makes), jumps become chain indices, `-m string` patterns bits of the table's one
// Hyperscan database, REJECT types ICMP type and code.
//
// Needs:   a Firewall the grammar accepted (every jump target exists, depth checked).
// Errors:  a table FwTable::build() refuses (Hyperscan); the batch is then refused.
// Cost:    control path, per publish: rte_acl builds of the chains (perf/RESULTS.md,
//          "Firewall classification").
#include <array>
#include <memory>
#include <vector>

#include "common/result.h"
#include "control/iptables_query.h"
#include "control/model/firewall_model.h"
#include "dataplane/snapshot.h"
#include "dataplane/tables/fw_table.h"
#include "dataplane/tables/interfaces.h"

namespace ctl {

// Indexed as Firewall indexes its tables: family (inet 0, inet6 1) * 2 + IptTable.
using FwTables = std::array<std::unique_ptr<dp::FwTable>, 2 * kIptTables>;

// The spec of one table (tests build FwTables from it directly).
dp::FwTableSpec firewall_spec(const Firewall& fw, ws::Family f, IptTable t, const std::vector<dp::Link>& links);

ws::Result<FwTables> compile_firewall(const Firewall& fw, const std::vector<dp::Link>& links, unsigned workers);

// compile_firewall() into the snapshot's fw tables, with one FwScratch per worker (Hyperscan
// scratch for every table's patterns, the -m string bitmap rows) and fw_any set.
ws::Status attach_firewall(dp::Snapshot& s, const Firewall& fw, const std::vector<dp::Link>& links, unsigned workers);

// The counters `iptables -L -v` lists, read from the tables of a snapshot (every worker plus
// what earlier snapshots counted). The tables must outlive the source.
IptCounterSource counter_source(const FwTables& tables);

// After a publish: the new tables start from the old ones' totals, rule by rule id (a rule
// keeps its id while it lives) and policy by policy, as the kernel keeps counters across a
// ruleset change that leaves the rule in place.
void carry_counters(const FwTables& from, FwTables& to);

// Whether a table of the firewall can do anything: a rule, or a built-in chain's DROP policy.
bool table_in_use(const IptTableState& t);

}  // namespace ctl
