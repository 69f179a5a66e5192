#pragma once
// Queries against a model and its compiled snapshot: `ip rule show`, `ip route show`,
// `ip route get`, `ip link show`, `ip addr show`, `show compiled fib|rules`. wildsidectl runs them
// offline (-c FILE); the daemon serves the same for its live tables.
#include <string>
#include <string_view>

#include "control/model/model.h"
#include "dataplane/tables/routing.h"

namespace ctl {

struct QueryOutput {
    int status = 0;           // process exit status: 0, 1 (usage), 2 (RTNETLINK error), 255 (argument)
    std::string out;          // stdout text (text mode: complete lines; JSON: one value)
    std::string err;          // stderr text, without "RTNETLINK answers: " when batch wants the bare text
    std::string err_text;     // the bare strerror / message, for batch JSON
};

struct IptCounterSource;

struct QueryOptions {
    bool json = false;
    bool batch = false;       // one output line per query
    const IptCounterSource* ipt_counters = nullptr;  // iptables -L -v: the running counters
};

QueryOutput run_query(const Model& m, const dp::Routing& r, std::string_view line, const QueryOptions& opt);

}  // namespace ctl
