#pragma once
// The printer half of the grammar: `ip rule show`, `ip route show` and `ip route get` output,
// text and JSON, byte for byte as iproute2 6.1 prints them (IPv4 fields end with one space).
// Every text form is valid input again: format_rule_args() and format_route_args() are what
// the round-trip tests parse back.
#include <string>
#include <vector>

#include "common/names.h"
#include "dataplane/tables/interfaces.h"
#include "dataplane/tables/route.h"
#include "dataplane/tables/route_decision.h"
#include "dataplane/tables/rule.h"

namespace ctl {

struct PrintContext {
    const ws::Names* names = nullptr;
    const dp::Interfaces* ifs = nullptr;
    std::string dev_name(uint32_t ifindex) const;
};

// "PREF:\tnot from X to Y ... lookup T" (no trailing space).
std::string format_rule_line(const dp::Rule& r, const PrintContext& pc);
std::string rule_json(const dp::Rule& r, const PrintContext& pc);
// "pref N SELECTORS ACTION": the arguments of an `ip rule add` that re-creates r.
std::string format_rule_args(const dp::Rule& r, const PrintContext& pc);

// One `ip route show` entry; show_table: the table is printed unless it is main.
std::string format_route_line(const dp::Route& r, const PrintContext& pc, bool show_table);
std::string route_json(const dp::Route& r, const PrintContext& pc, bool show_table);
// An IPv6 sibling group as one route to print: the first member's attributes and every
// member's nexthop, in the given order (`ip -6 route show` prints a group as one entry).
dp::Route merge_siblings(const std::vector<const dp::Route*>& members);

// The arguments of an `ip route add` that re-creates r (table always given).
std::string format_route_args(const dp::Route& r, const PrintContext& pc);

struct RouteGetEcho {
    ws::InetAddr dst;
    bool has_from = false;
    ws::InetAddr from;
    bool input = false;
    std::string iif;
    uint32_t mark = 0;
    uint32_t uid = 0;
    bool has_uid = false;  // input lookups print the uid only when one was given
};
std::string format_route_get(const dp::RouteDecision& d, const RouteGetEcho& q, const PrintContext& pc);
std::string route_get_json(const dp::RouteDecision& d, const RouteGetEcho& q, const PrintContext& pc);

}  // namespace ctl
