#include "control/grammar/ip_grammar.h"

namespace ctl {

using ws::Errc;
using ws::make_error;

namespace {

ws::Error unknown(std::string_view what, std::string_view word) {
    return make_error(Errc::kInvalid, "unknown " + std::string(what) + " \"" + std::string(word) + "\"", std::string(word));
}

bool is_any(std::string_view w, std::initializer_list<std::string_view> words) {
    for (auto x : words)
        if (w == x) return true;
    return false;
}

ws::Result<dp::RuleAction> rule_type(std::string_view w) {
    if (w == "blackhole") return dp::RuleAction::kBlackhole;
    if (w == "unreachable") return dp::RuleAction::kUnreachable;
    if (w == "prohibit") return dp::RuleAction::kProhibit;
    if (w == "unicast") return dp::RuleAction::kToTable;
    return make_error(Errc::kInvalid, "Failed to parse rule type \"" + std::string(w) + "\"", std::string(w));
}

}  // namespace

ws::Result<RuleRequest> parse_rule(ws::Tokens& t, const sel::ParseContext& ctx) {
    RuleRequest req;
    dp::Rule& r = req.rule;
    while (!t.done()) {
        auto matched = r.sel.parse_one(t, ctx);
        if (!matched) return matched.error();
        if (*matched) continue;
        std::string_view w = t.next();
        if (w == "not") {
            r.invert = true;
        } else if (is_any(w, {"preference", "order", "priority", "pref", "prio"})) {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ws::parse_u32(*v, "preference");
            if (!p) return make_error(Errc::kInvalid, "Invalid \"preference\" value \"" + std::string(*v) + "\"", std::string(*v));
            r.priority = *p;
            req.has_priority = true;
        } else if (w == "table" || w == "lookup") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto id = ctx.names->table_id(*v);
            if (!id) return make_error(Errc::kInvalid, "invalid table ID \"" + std::string(*v) + "\"", std::string(*v));
            r.table = *id;
            req.has_table = true;
        } else if (w == "protocol" || w == "proto") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ctx.names->proto_id(*v);
            if (!p) return p.error();
            r.protocol = *p;
        } else if (w == "suppress_prefixlength") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ws::parse_u32(*v, "suppress_prefixlength");
            if (!p || *p > 128) return ws::invalid_arg("suppress_prefixlength", *v);
            r.suppress_prefixlen = int32_t(*p);
        } else if (w == "suppress_ifgroup") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ws::parse_u32(*v, "suppress_ifgroup");
            if (!p || *p > 0x7fffffff) return ws::invalid_arg("suppress_ifgroup", *v);
            r.suppress_ifgroup = int32_t(*p);
        } else if (w == "goto") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ws::parse_u32(*v, "goto");
            if (!p) return ws::invalid_arg("goto", *v);
            r.action = dp::RuleAction::kGoto;
            r.goto_target = *p;
            req.has_action = true;
        } else if (w == "nop") {
            r.action = dp::RuleAction::kNop;
            req.has_action = true;
        } else {
            if (w == "type") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                w = *v;
            }
            auto a = rule_type(w);
            if (!a) return unknown("rule selector or action", w);
            r.action = *a;
            req.has_action = true;
        }
    }
    // iproute2: with no table and no other action the rule looks up main.
    if (!req.has_table && (!req.has_action || r.action == dp::RuleAction::kToTable)) r.table = dp::kTableMain;
    if (r.action != dp::RuleAction::kToTable && !req.has_table) r.table = 0;
    return req;
}

namespace {

ws::Result<ws::InetAddr> parse_gateway(ws::Tokens& t, const sel::ParseContext& ctx) {
    auto v = t.value_of("via");
    if (!v) return v.error();
    std::string_view w = *v;
    ws::Family f = ctx.family;
    if (w == "inet" || w == "inet6") {
        f = w == "inet" ? ws::Family::kInet : ws::Family::kInet6;
        auto a = t.value_of("via");
        if (!a) return a.error();
        w = *a;
    }
    auto a = ws::InetAddr::parse(w, f);
    if (!a) return ws::invalid_arg("via", w);
    return *a;
}

// One `nexthop via A dev D weight W onlink` group; stops at the next "nexthop".
ws::Status parse_nexthop(ws::Tokens& t, const sel::ParseContext& ctx, RouteRequest& req) {
    dp::Nexthop nh;
    std::string dev;
    while (!t.done() && t.peek() != "nexthop") {
        std::string_view w = t.next();
        if (w == "via") {
            auto g = parse_gateway(t, ctx);
            if (!g) return g.error();
            nh.gw = *g;
        } else if (w == "dev") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            dev = std::string(*v);
        } else if (w == "weight") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ws::parse_u32(*v, "weight");
            if (!p || *p < 1 || *p > 256) return make_error(Errc::kInvalid, "\"weight\" is invalid", std::string(*v));
            nh.weight = uint16_t(*p);
        } else if (w == "onlink") {
            nh.flags |= dp::kNhOnlink;
        } else {
            return unknown("nexthop attribute", w);
        }
    }
    req.route.nh.push_back(nh);
    req.nh_dev.push_back(dev);
    return {};
}

}  // namespace

ws::Result<RouteRequest> parse_route(ws::Tokens& t, const sel::ParseContext& ctx, RouteVerb verb) {
    RouteRequest req;
    dp::Route& r = req.route;
    r.table = 0;
    r.protocol = verb == RouteVerb::kAdd ? 3 : 0;
    bool dst_ok = false, gw_ok = false, scope_ok = false, nhs_ok = false;
    dp::Nexthop single;
    std::string single_dev;
    bool single_given = false;
    while (!t.done()) {
        std::string_view w = t.next();
        if (w == "src") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto a = ws::InetAddr::parse(*v, ctx.family);
            if (!a) return ws::invalid_arg("src", *v);
            r.prefsrc = *a;
        } else if (w == "via") {
            auto g = parse_gateway(t, ctx);
            if (!g) return g.error();
            single.gw = *g;
            gw_ok = single_given = true;
        } else if (w == "tos" || w == "dsfield") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto d = sel::parse_dsfield(*v, *ctx.names);
            if (!d) return d.error();
            r.tos = *d;
        } else if (is_any(w, {"metric", "priority", "preference"})) {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ws::parse_u32(*v, "metric");
            if (!p) return p.error();
            r.metric = *p;
        } else if (w == "scope") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto s = ctx.names->scope_id(*v);
            if (!s) return s.error();
            r.scope = *s;
            scope_ok = req.has_scope = true;
        } else if (w == "dev" || w == "oif") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            single_dev = std::string(*v);
            single_given = true;
        } else if (w == "onlink") {
            single.flags |= dp::kNhOnlink;
        } else if (w == "pref" && ctx.family == ws::Family::kInet6) {
            auto v = t.value_of(w);
            if (!v) return v.error();
            if (*v == "low") r.pref = 1;
            else if (*v == "medium") r.pref = 2;
            else if (*v == "high") r.pref = 3;
            else return ws::invalid_arg("pref", *v);
        } else if (w == "table") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto id = ctx.names->table_id(*v);
            if (!id) return id.error();
            r.table = *id;
            req.has_table = true;
        } else if (w == "proto" || w == "protocol") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ctx.names->proto_id(*v);
            if (!p) return p.error();
            r.protocol = *p;
            req.has_proto = true;
        } else if (w == "nexthop") {
            nhs_ok = true;
            r.multipath = true;
            while (true) {
                WS_TRY(parse_nexthop(t, ctx, req));
                if (!t.accept("nexthop")) break;
            }
        } else {
            if (w == "to") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                w = *v;
            }
            if ((w.empty() || w[0] < '0' || w[0] > '9') && dp::route_type_by_name(w) != dp::RouteType::kUnspec) {
                r.type = dp::route_type_by_name(w);
                req.has_type = true;
                auto v = t.value_of(w);
                if (!v) return v.error();
                w = *v;
            }
            if (dst_ok) return make_error(Errc::kInvalid, "either \"to\" is duplicate, or \"" + std::string(w) + "\" is a garbage", std::string(w));
            auto p = ws::InetPrefix::parse(w, ctx.family);
            if (!p) return unknown("route attribute", w);
            r.dst = *p;
            dst_ok = true;
        }
    }
    if (!dst_ok) return make_error(Errc::kInvalid, "missing route destination");
    // iproute2: local, broadcast, nat and anycast routes go to table local unless told.
    if (!req.has_table && (r.type == dp::RouteType::kLocal || r.type == dp::RouteType::kBroadcast ||
                           r.type == dp::RouteType::kNat || r.type == dp::RouteType::kAnycast))
        r.table = dp::kTableLocal;
    if (single_given || single.flags) {
        if (nhs_ok) return make_error(Errc::kInvalid, "a nexthop list and a single via/dev together");
        r.nh.push_front(single);
        req.nh_dev.insert(req.nh_dev.begin(), single_dev);
    }
    if (!scope_ok) {
        if (verb == RouteVerb::kDel) r.scope = dp::kScopeNowhere;
        else if (ctx.family == ws::Family::kInet6) r.scope = dp::kScopeUniverse;
        else if (r.type == dp::RouteType::kLocal || r.type == dp::RouteType::kNat) r.scope = dp::kScopeHost;
        else if (r.type == dp::RouteType::kBroadcast || r.type == dp::RouteType::kMulticast || r.type == dp::RouteType::kAnycast)
            r.scope = dp::kScopeLink;
        else if (r.type == dp::RouteType::kUnicast && !gw_ok && !nhs_ok) r.scope = dp::kScopeLink;
    }
    if (ctx.family == ws::Family::kInet6 && verb == RouteVerb::kAdd && r.metric == 0) r.metric = 1024;
    return req;
}

ws::Result<RouteFilter> parse_route_filter(ws::Tokens& t, const sel::ParseContext& ctx) {
    RouteFilter f;
    while (!t.done()) {
        std::string_view w = t.next();
        if (w == "table") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            if (*v == "all") {
                f.table = kTableAll;
            } else {
                auto id = ctx.names->table_id(*v);
                if (!id) return id.error();
                f.table = *id == 0 ? kTableAll : *id;  // `table 0` shows every table
            }
        } else if (w == "cache") {
            f.cache = true;
        } else if (w == "proto" || w == "protocol") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto p = ctx.names->proto_id(*v);
            if (!p) return p.error();
            f.protocol = *p;
        } else if (w == "dev" || w == "oif") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            f.dev = std::string(*v);
        } else if (w == "type") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto ty = dp::route_type_by_name(*v);
            if (ty == dp::RouteType::kUnspec) return ws::invalid_arg("type", *v);
            f.type = ty;
        } else {
            if (w == "root" || w == "to") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                w = *v;
            }
            auto p = ws::InetPrefix::parse(w, ctx.family);
            if (!p) return unknown("route selector", w);
            f.prefix = *p;
        }
    }
    return f;
}

ws::Result<RouteGetRequest> parse_route_get(ws::Tokens& t, const sel::ParseContext& ctx) {
    RouteGetRequest q;
    bool dst_ok = false;
    while (!t.done()) {
        std::string_view w = t.next();
        auto val = [&](std::string_view key) { return t.value_of(key); };
        if (w == "from") {
            auto v = val(w);
            if (!v) return v.error();
            auto a = ws::InetAddr::parse(*v, ctx.family);
            if (!a) return ws::invalid_arg("from", *v);
            q.from = *a;
        } else if (w == "iif") {
            auto v = val(w);
            if (!v) return v.error();
            q.iif = std::string(*v);
        } else if (w == "oif" || w == "dev") {
            auto v = val(w);
            if (!v) return v.error();
            q.oif = std::string(*v);
        } else if (w == "mark") {
            auto v = val(w);
            if (!v) return v.error();
            auto m = ws::parse_u32(*v, "mark");
            if (!m) return m.error();
            q.mark = *m;
        } else if (w == "tos" || w == "dsfield") {
            auto v = val(w);
            if (!v) return v.error();
            auto d = sel::parse_dsfield(*v, *ctx.names);
            if (!d) return d.error();
            q.tos = *d;
        } else if (w == "ipproto") {
            auto v = val(w);
            if (!v) return v.error();
            auto p = ws::ip_proto_id(*v);
            if (!p) return p.error();
            q.ipproto = *p;
        } else if (w == "sport" || w == "dport") {
            auto v = val(w);
            if (!v) return v.error();
            auto p = ws::parse_u32(*v, w);
            if (!p || *p > 65535) return ws::invalid_arg(w, *v);
            (w == "sport" ? q.sport : q.dport) = uint16_t(*p);
        } else if (w == "uid") {
            auto v = val(w);
            if (!v) return v.error();
            auto u = ws::parse_u32(*v, "uid");
            if (!u) return u.error();
            q.uid = *u;
        } else if (w == "fibmatch") {
            q.fibmatch = true;
        } else if (w == "connected") {
            return make_error(Errc::kUnsupported, "\"connected\" is not supported", std::string(w));
        } else {
            if (w == "to") {
                auto v = val(w);
                if (!v) return v.error();
                w = *v;
            }
            if (dst_ok) return make_error(Errc::kInvalid, "either \"to\" is duplicate, or \"" + std::string(w) + "\" is a garbage", std::string(w));
            auto p = ws::InetPrefix::parse(w, ctx.family);
            if (!p) return make_error(Errc::kInvalid, "an inet prefix is expected rather than \"" + std::string(w) + "\".", std::string(w));
            q.dst = p->addr;
            dst_ok = true;
        }
    }
    if (!dst_ok) return make_error(Errc::kInvalid, "need at least a destination address");
    return q;
}

}  // namespace ctl
