#include "control/grammar/printer.h"

#include "common/json.h"
#include "selectors/selector_util.h"

namespace ctl {

std::string PrintContext::dev_name(uint32_t ifindex) const {
    if (const dp::Link* l = ifs->find(ifindex)) return l->name;
    return "if" + std::to_string(ifindex);
}

namespace {

const char* rule_action_name(dp::RuleAction a) {
    switch (a) {
        case dp::RuleAction::kBlackhole: return "blackhole";
        case dp::RuleAction::kUnreachable: return "unreachable";
        case dp::RuleAction::kProhibit: return "prohibit";
        case dp::RuleAction::kNop: return "nop";
        case dp::RuleAction::kGoto: return "goto";
        case dp::RuleAction::kToTable: return "unicast";
    }
    return "unicast";
}

enum class RuleText : uint8_t { kShow, kInput };

// The selectors and action of a rule, each followed by a space, as print_rule() (kShow) or as
// `ip rule add` arguments that re-create it (kInput).
std::string rule_body(const dp::Rule& r, const PrintContext& pc, RuleText form) {
    std::string out;
    if (r.invert) out += "not ";
    if (!r.sel.get<sel::From>()) out += "from all ";
    if (form == RuleText::kInput) r.sel.format_input(out, *pc.names);
    else r.sel.format(out, *pc.names);
    if (r.table) {
        out += "lookup " + pc.names->table_name(r.table) + " ";
        if (r.suppress_prefixlen != -1) out += "suppress_prefixlength " + std::to_string(r.suppress_prefixlen) + " ";
        if (r.suppress_ifgroup != -1) out += "suppress_ifgroup " + std::to_string(r.suppress_ifgroup) + " ";
    }
    if (r.action == dp::RuleAction::kGoto) {
        out += "goto " + std::to_string(r.goto_target);
        if (r.goto_index == dp::kNoGoto) out += " [unresolved]";
        out += " ";
    } else if (r.action != dp::RuleAction::kToTable) {
        out += std::string(rule_action_name(r.action)) + " ";
    }
    return out;
}

// IPv6 router preference names (ICMPV6_ROUTER_PREF_*).
const char* pref_name(uint8_t pref) { return pref == 1 ? "low" : pref == 3 ? "high" : "medium"; }

void rtrim(std::string& s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
}

std::string dst_text(const ws::InetPrefix& p) { return p.format(true); }

// Nexthop flags as print_rt_flags() names them.
void nh_flags_text(std::string& out, uint8_t flags) {
    if (flags & dp::kNhUnusable) out += "dead ";  // fib_nexthop_info(): ignored linkdown shows dead
    if (flags & dp::kNhOnlink) out += "onlink ";
    if (flags & dp::kNhLinkdown) out += "linkdown ";
}

std::string nh_flags_json(uint8_t flags) {
    ws::JsonArray a;
    if (flags & dp::kNhUnusable) a.str("dead");
    if (flags & dp::kNhOnlink) a.str("onlink");
    if (flags & dp::kNhLinkdown) a.str("linkdown");
    return a.text();
}

}  // namespace

std::string format_rule_line(const dp::Rule& r, const PrintContext& pc) {
    std::string out = std::to_string(r.priority) + ":\t" + rule_body(r, pc, RuleText::kShow);
    rtrim(out);
    return out;
}

std::string format_rule_args(const dp::Rule& r, const PrintContext& pc) {
    std::string body = rule_body(r, pc, RuleText::kInput);
    // "[unresolved]" is state, not input.
    auto pos = body.find(" [unresolved]");
    if (pos != std::string::npos) body.erase(pos, 13);
    pos = body.find("[detached] ");
    while (pos != std::string::npos) {
        body.erase(pos, 11);
        pos = body.find("[detached] ");
    }
    std::string out = "pref " + std::to_string(r.priority) + " " + body;
    if (r.protocol) out += "protocol " + pc.names->proto_name(r.protocol) + " ";
    rtrim(out);
    return out;
}

std::string rule_json(const dp::Rule& r, const PrintContext& pc) {
    ws::JsonObject o;
    o.num("priority", r.priority);
    if (r.invert) o.null("not");
    if (!r.sel.get<sel::From>()) o.str("src", "all");
    r.sel.to_json(o, *pc.names);
    if (r.table) {
        o.str("table", pc.names->table_name(r.table));
        if (r.suppress_prefixlen != -1) o.snum("suppress_prefixlen", r.suppress_prefixlen);
        if (r.suppress_ifgroup != -1) o.snum("suppress_ifgroup", r.suppress_ifgroup);
    }
    if (r.action == dp::RuleAction::kGoto) {
        o.num("goto", r.goto_target);
        if (r.goto_index == dp::kNoGoto) o.null("unresolved");
    } else if (r.action == dp::RuleAction::kNop) {
        o.null("nop");
    } else if (r.action != dp::RuleAction::kToTable) {
        o.str("action", rule_action_name(r.action));
    }
    return o.text();
}

std::string format_route_line(const dp::Route& r, const PrintContext& pc, bool show_table) {
    std::string out;
    const bool v6 = r.dst.addr.is_v6();
    if (r.type != dp::RouteType::kUnicast) out += std::string(route_type_info(r.type).name) + " ";
    out += dst_text(r.dst) + " ";
    if (r.tos) out += "tos " + pc.names->dsfield_name(r.tos) + " ";
    const bool single = !r.multipath && r.nh.size() == 1;
    if (single) {
        if (r.nh[0].has_gw()) out += "via " + r.nh[0].gw.format() + " ";
        out += "dev " + pc.dev_name(r.nh[0].ifindex) + " ";
    } else if (v6 && (r.is_error() || r.type == dp::RouteType::kThrow)) {
        out += "dev lo ";
    }
    if (show_table && r.table != dp::kTableMain) out += "table " + pc.names->table_name(r.table) + " ";
    if (r.protocol != 3) out += "proto " + pc.names->proto_name(r.protocol) + " ";
    if (r.scope != dp::kScopeUniverse) out += "scope " + pc.names->scope_name(r.scope) + " ";
    if (r.prefsrc.valid()) out += "src " + r.prefsrc.format() + " ";
    if (r.metric || v6) out += "metric " + std::to_string(r.metric) + " ";
    if (single) nh_flags_text(out, r.nh[0].flags);
    if (v6) out += std::string("pref ") + pref_name(r.pref);
    if (!single) {
        for (const auto& nh : r.nh) {
            out += "\n\tnexthop ";
            if (nh.has_gw()) out += "via " + nh.gw.format() + " ";
            out += "dev " + pc.dev_name(nh.ifindex) + " weight " + std::to_string(nh.weight) + " ";
            nh_flags_text(out, nh.flags);
        }
    }
    return out;
}

std::string route_json(const dp::Route& r, const PrintContext& pc, bool show_table) {
    ws::JsonObject o;
    const bool v6 = r.dst.addr.is_v6();
    if (r.type != dp::RouteType::kUnicast) o.str("type", route_type_info(r.type).name);
    o.str("dst", dst_text(r.dst));
    if (r.tos) o.str("tos", pc.names->dsfield_name(r.tos));
    const bool single = !r.multipath && r.nh.size() == 1;
    if (single) {
        if (r.nh[0].has_gw()) o.str("gateway", r.nh[0].gw.format());
        o.str("dev", pc.dev_name(r.nh[0].ifindex));
    } else if (v6 && (r.is_error() || r.type == dp::RouteType::kThrow)) {
        o.str("dev", "lo");
    }
    if (show_table && r.table != dp::kTableMain) o.str("table", pc.names->table_name(r.table));
    if (r.protocol != 3) o.str("protocol", pc.names->proto_name(r.protocol));
    if (r.scope != dp::kScopeUniverse) o.str("scope", pc.names->scope_name(r.scope));
    if (r.prefsrc.valid()) o.str("prefsrc", r.prefsrc.format());
    if (r.metric || v6) o.num("metric", r.metric);
    o.raw("flags", nh_flags_json(single ? r.nh[0].flags : 0));
    if (v6) o.str("pref", pref_name(r.pref));
    if (!single && !r.nh.empty()) {
        ws::JsonArray a;
        for (const auto& nh : r.nh) {
            ws::JsonObject n;
            if (nh.has_gw()) n.str("gateway", nh.gw.format());
            n.str("dev", pc.dev_name(nh.ifindex));
            n.num("weight", nh.weight);
            n.raw("flags", nh_flags_json(nh.flags));
            a.raw(n.text());
        }
        o.raw("nexthops", a.text());
    }
    return o.text();
}

dp::Route merge_siblings(const std::vector<const dp::Route*>& members) {
    dp::Route out = *members.front();
    out.nh = dp::NexthopList();
    for (const auto* m : members)
        for (const auto& nh : m->nh) out.nh.push_back(nh);
    out.multipath = true;
    return out;
}

std::string format_route_args(const dp::Route& r, const PrintContext& pc) {
    std::string out;
    if (r.type != dp::RouteType::kUnicast) out += std::string(route_type_info(r.type).name) + " ";
    out += dst_text(r.dst) + " ";
    if (r.tos) out += "tos " + pc.names->dsfield_name(r.tos) + " ";
    out += "table " + pc.names->table_name(r.table) + " ";
    out += "proto " + pc.names->proto_name(r.protocol) + " ";
    out += "scope " + pc.names->scope_name(r.scope) + " ";
    if (r.prefsrc.valid()) out += "src " + r.prefsrc.format() + " ";
    out += "metric " + std::to_string(r.metric) + " ";
    const bool single = !r.multipath && r.nh.size() == 1;
    for (const auto& nh : r.nh) {
        if (!single) out += "nexthop ";
        if (nh.has_gw()) out += "via " + nh.gw.format() + " ";
        out += "dev " + pc.dev_name(nh.ifindex) + " ";
        if (!single) out += "weight " + std::to_string(nh.weight) + " ";
        if (nh.flags & dp::kNhOnlink) out += "onlink ";
    }
    rtrim(out);
    return out;
}

namespace {

std::string cache_flags_list(uint32_t f, bool json) {
    std::string out;
    ws::JsonArray a;
    auto add = [&](uint32_t bit, const char* name) {
        if (!(f & bit)) return;
        if (json) a.str(name);
        else out += (out.empty() ? "" : ",") + std::string(name);
    };
    add(dp::kRtcfLocal, "local");
    add(dp::kRtcfMulticast, "mc");
    add(dp::kRtcfBroadcast, "brd");
    add(dp::kRtcfDoRedirect, "redirect");
    return json ? a.text() : out;
}

std::string mark_text(uint32_t mark) {
    return mark >= 16 ? sel::hex(mark) : std::to_string(mark);
}

}  // namespace

namespace {

// IPv6 (rt6_fill_info + print_route): always a `from`, `src` for output lookups (and for input
// when the route has one), the route's metric and preference, no `cache` line, no uid or mark.
void route_get6(const dp::RouteDecision& d, const RouteGetEcho& q, const PrintContext& pc, std::string* text,
                ws::JsonObject* json) {
    const dp::Route& r = *d.route;
    const std::string from = q.has_from ? q.from.format() : "::";
    const bool src = !d.saddr.is_zero() && d.saddr.valid();
    const bool table = d.table != dp::kTableMain;
    if (text) {
        std::string& out = *text;
        if (d.type != dp::RouteType::kUnicast) out += std::string(route_type_info(d.type).name) + " ";
        out += q.dst.format() + " from " + from + " ";
        if (d.gateway.valid()) out += "via " + d.gateway.format() + " ";
        out += "dev " + pc.dev_name(d.dev) + " ";
        if (table) out += "table " + pc.names->table_name(d.table) + " ";
        if (r.protocol != 3) out += "proto " + pc.names->proto_name(r.protocol) + " ";
        if (src) out += "src " + d.saddr.format() + " ";
        out += "metric " + std::to_string(r.metric) + " ";
        if (q.input) out += "iif " + q.iif + " ";
        out += std::string("pref ") + pref_name(r.pref);
        return;
    }
    ws::JsonObject& o = *json;
    if (d.type != dp::RouteType::kUnicast) o.str("type", route_type_info(d.type).name);
    o.str("dst", q.dst.format());
    o.str("from", from);
    if (d.gateway.valid()) o.str("gateway", d.gateway.format());
    o.str("dev", pc.dev_name(d.dev));
    o.str("table", pc.names->table_name(d.table));
    if (r.protocol != 3) o.str("protocol", pc.names->proto_name(r.protocol));
    if (src) o.str("prefsrc", d.saddr.format());
    o.num("metric", r.metric);
    o.raw("flags", "[]");
    if (q.input) o.str("iif", q.iif);
    o.str("pref", pref_name(r.pref));
    o.num("priority", d.rule_priority);
}

}  // namespace

std::string format_route_get(const dp::RouteDecision& d, const RouteGetEcho& q, const PrintContext& pc) {
    std::string out;
    if (q.dst.is_v6()) {
        route_get6(d, q, pc, &out, nullptr);
        return out;
    }
    if (d.type != dp::RouteType::kUnicast) out += std::string(route_type_info(d.type).name) + " ";
    out += q.dst.format() + " ";
    if (q.has_from) out += "from " + q.from.format() + " ";
    if (d.tos) out += "tos " + pc.names->dsfield_name(d.tos) + " ";
    if (d.gateway.valid()) out += "via " + d.gateway.format() + " ";
    out += "dev " + pc.dev_name(d.dev) + " ";
    if (d.has_table && d.table != dp::kTableMain && d.table) out += "table " + pc.names->table_name(d.table) + " ";
    if (!q.input && !d.saddr.is_zero() && !(q.has_from && d.saddr == q.from)) out += "src " + d.saddr.format() + " ";
    if (d.cache_flags & dp::kRtcfMulticast) out += "rt_offload_failed ";
    if (q.mark) out += "mark " + mark_text(q.mark) + " ";
    if (!q.input || q.has_uid) out += "uid " + std::to_string(q.uid) + " ";
    out += "\n    cache ";
    if (d.cache_flags) out += "<" + cache_flags_list(d.cache_flags, false) + "> ";
    if (q.input) out += "iif " + q.iif + " ";
    return out;
}

std::string route_get_json(const dp::RouteDecision& d, const RouteGetEcho& q, const PrintContext& pc) {
    ws::JsonObject o;
    if (q.dst.is_v6()) {
        route_get6(d, q, pc, nullptr, &o);
        return o.text();
    }
    if (d.type != dp::RouteType::kUnicast) o.str("type", route_type_info(d.type).name);
    o.str("dst", q.dst.format());
    if (q.has_from) o.str("from", q.from.format());
    if (d.tos) o.str("tos", pc.names->dsfield_name(d.tos));
    if (d.gateway.valid()) o.str("gateway", d.gateway.format());
    o.str("dev", pc.dev_name(d.dev));
    // Always present (the contract adds it to iproute2's keys); "unspec" when no table decided.
    o.str("table", pc.names->table_name(d.has_table ? d.table : 0));
    if (!q.input && !d.saddr.is_zero() && !(q.has_from && d.saddr == q.from)) o.str("prefsrc", d.saddr.format());
    ws::JsonArray flags;
    if (d.cache_flags & dp::kRtcfMulticast) flags.str("rt_offload_failed");
    o.raw("flags", flags.text());
    if (q.mark) o.num("mark", q.mark);
    if (!q.input || q.has_uid) o.num("uid", q.uid);
    o.raw("cache", cache_flags_list(d.cache_flags, true));
    if (q.input) o.str("iif", q.iif);
    if (d.has_table && d.table) o.num("priority", d.rule_priority);
    return o.text();
}

}  // namespace ctl
