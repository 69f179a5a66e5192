#include "control/query.h"

#include <cstring>

#include "common/json.h"
#include "control/compile/compiler.h"
#include "control/config.h"
#include "control/grammar/ip_grammar.h"
#include "control/grammar/printer.h"
#include "control/grammar/iptables_grammar.h"
#include "control/grammar/xfrm_grammar.h"
#include "control/iptables_query.h"
#include "control/xfrm_query.h"
#include "dataplane/tables/route_decision.h"

namespace ctl {

namespace {

QueryOutput fail(int status, std::string msg) {
    QueryOutput q;
    q.status = status;
    q.err_text = msg;
    q.err = msg + "\n";
    return q;
}

QueryOutput rtnl_error(int err) {
    QueryOutput q = fail(2, std::string("RTNETLINK answers: ") + strerror(err));
    q.err_text = strerror(err);
    return q;
}

QueryOutput rule_show(const Model& m, ws::Family f, const QueryOptions& opt) {
    PrintContext pc{&m.names, &m.ifs};
    QueryOutput q;
    if (opt.json) {
        ws::JsonArray a;
        for (const auto& r : m.family(f).rules) a.raw(rule_json(r, pc));
        q.out = a.text() + "\n";
    } else {
        for (const auto& r : m.family(f).rules) q.out += format_rule_line(r, pc) + "\n";
    }
    return q;
}

// Tables in the kernel's dump order: hash buckets by id % 256 (FIB_TABLE_HASHSZ), and within
// a bucket the newest table first (hlist_add_head).
std::vector<uint32_t> dump_order(const FamilyModel& fm) {
    std::vector<uint32_t> ids;
    for (const auto& [id, t] : fm.tables) ids.push_back(id);
    auto seq = [&](uint32_t id) {
        auto it = fm.created.find(id);
        return it == fm.created.end() ? uint64_t(0) : it->second;
    };
    std::sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
        if ((a & 255) != (b & 255)) return (a & 255) < (b & 255);
        return seq(a) > seq(b);
    });
    return ids;
}

QueryOutput route_show(const Model& m, ws::Family f, ws::Tokens& t, const QueryOptions& opt) {
    sel::ParseContext ctx{f, &m.names};
    auto flt = parse_route_filter(t, ctx);
    if (!flt) return fail(255, "Error: " + flt.error().message);
    PrintContext pc{&m.names, &m.ifs};
    const FamilyModel& fm = m.family(f);
    uint32_t only = flt->table ? *flt->table : dp::kTableMain;
    const bool show_table = only == kTableAll;
    ws::JsonArray a;
    QueryOutput q;
    uint32_t dev = 0;
    if (flt->dev) {
        const dp::Link* l = m.link(*flt->dev);
        if (!l) return fail(1, "Cannot find device \"" + *flt->dev + "\"");
        dev = l->ifindex;
    }
    for (uint32_t id : dump_order(fm)) {
        if (only != kTableAll && id != only) continue;
        const auto routes = fm.tables.at(id).sorted();
        for (size_t i = 0; i < routes.size(); ++i) {
            const dp::Route* r = routes[i];
            dp::Route group;
            if (r->sibling_group) {
                // fib6_dump_node(): a group prints once, at its first sibling, and the dump goes
                // on after its last sibling (what lies between is not shown).
                std::vector<const dp::Route*> members;
                size_t last = i;
                for (size_t j = i; j < routes.size() && routes[j]->dst == r->dst; ++j)
                    if (routes[j]->sibling_group == r->sibling_group) members.push_back(routes[j]), last = j;
                group = merge_siblings(members);
                r = &group;
                i = last;
            }
            if (flt->prefix && !(flt->prefix->len <= r->dst.len && flt->prefix->masked().contains(r->dst.addr))) continue;
            if (flt->protocol && r->protocol != *flt->protocol) continue;
            if (flt->type && r->type != *flt->type) continue;
            if (dev && (r->nh.empty() || r->nh[0].ifindex != dev)) continue;
            if (opt.json) a.raw(route_json(*r, pc, show_table));
            else q.out += format_route_line(*r, pc, show_table) + "\n";
        }
    }
    if (opt.json) q.out = a.text() + "\n";
    return q;
}

QueryOutput route_get(const Model& m, const dp::Routing& routing, ws::Family f, ws::Tokens& t, const QueryOptions& opt) {
    sel::ParseContext ctx{f, &m.names};
    auto req = parse_route_get(t, ctx);
    if (!req) return fail(255, "Error: " + req.error().message);
    const bool v6 = f == ws::Family::kInet6;
    if (req->ipproto && *req->ipproto != 6 && *req->ipproto != 17 && *req->ipproto != (v6 ? 58 : 1)) {
        // rtm_getroute_parse_ip_proto(): only TCP, UDP and ICMP can be asked for.
        QueryOutput q = fail(2, "Error: Unsupported ip proto.");
        q.err_text = "Unsupported ip proto.";
        return q;
    }
    sel::FlowKey k;
    k.daddr = req->dst;
    k.saddr = req->from ? *req->from : ws::InetAddr::zero(f);
    k.mark = req->mark;
    k.tos = req->tos;
    k.proto = req->ipproto ? *req->ipproto : (f == ws::Family::kInet ? 17 : 0);
    k.sport = req->sport;
    k.dport = req->dport;
    // Output lookups run as the caller (root); IPv6 input lookups carry INVALID_UID unless told.
    k.uid = req->uid ? *req->uid : (v6 && req->iif ? 0xffffffffu : 0);
    if (req->oif) {
        const dp::Link* l = routing.ifs.find(*req->oif);
        if (!l) return fail(1, "Cannot find device \"" + *req->oif + "\"");
        k.oif = l->ifindex;
    }
    RouteGetEcho echo;
    echo.dst = req->dst;
    echo.has_from = req->from.has_value();
    echo.from = k.saddr;
    echo.mark = req->mark;
    echo.uid = k.uid;
    echo.has_uid = req->uid.has_value();
    dp::RouteDecision d;
    if (req->iif) {
        const dp::Link* l = routing.ifs.find(*req->iif);
        if (!l) return fail(1, "Cannot find device \"" + *req->iif + "\"");
        k.iif = l->ifindex;
        echo.input = true;
        echo.iif = l->name;
        // IPv4 builds a fake packet and dissects it: only TCP and UDP carry ports.
        if (!v6 && k.proto != 6 && k.proto != 17) k.sport = k.dport = 0;
        d = dp::route_input(routing, k);
    } else {
        d = dp::route_output(routing, k);
    }
    if (d.error) return rtnl_error(d.error);
    PrintContext pc{&m.names, &routing.ifs};
    QueryOutput q;
    if (req->fibmatch) {
        if (!d.route) return rtnl_error(ENETUNREACH);
        dp::Route shown = *d.route;
        if (d.route->sibling_group) {
            std::vector<const dp::Route*> members;
            for (uint32_t k : dp::siblings_from(d.aliases, size_t(d.route - d.aliases.data())))
                members.push_back(&d.aliases[k]);
            shown = merge_siblings(members);
        }
        q.out = opt.json ? "[" + route_json(shown, pc, true) + "]\n" : format_route_line(shown, pc, true) + "\n";
        return q;
    }
    if (opt.json) {
        q.out = "[" + route_get_json(d, echo, pc) + "]\n";
    } else {
        q.out = format_route_get(d, echo, pc) + "\n";
    }
    return q;
}

QueryOutput show_compiled(const Model& m, const dp::Routing& r, ws::Tokens& t) {
    QueryOutput q;
    std::string_view what = t.next();
    PrintContext pc{&m.names, &r.ifs};
    for (const auto* fr : {&r.v4, &r.v6}) {
        const char* family = fr == &r.v4 ? "inet" : "inet6";
        if (what == "fib") {
            for (const auto& [id, fib] : fr->tables) q.out += fib->describe() + "\n";
        } else if (what == "rules") {
            // The rule walk as the fast path runs it: each rule with its resolved table.
            q.out += std::string(family) + ": " + std::to_string(fr->rules.size()) + " rules\n";
            for (size_t i = 0; i < fr->rules.size(); ++i) {
                q.out += "  " + format_rule_line(fr->rules[i], pc);
                if (const dp::Fib* t = fr->rule_tables[i]) q.out += "  -> " + std::to_string(t->route_count()) + " routes";
                q.out += "\n";
            }
            for (const auto& w : rule_warnings(*fr)) q.out += "  warning: " + w + "\n";
        } else {
            return fail(255, "Error: \"show compiled\" takes fib or rules");
        }
    }
    return q;
}

}  // namespace

QueryOutput run_query(const Model& m, const dp::Routing& r, std::string_view line, const QueryOptions& opt) {
    auto words = ws::split_words(line);
    if (words.empty()) return fail(255, "Error: empty command");
    if (words[0] == "show" && words.size() >= 2 && words[1] == "compiled") {
        if (words.size() >= 3 && words[2] == "spd") return show_compiled_spd(m);
        ws::Tokens t(std::vector<std::string_view>(words.begin() + 2, words.end()));
        return show_compiled(m, r, t);
    }
    if (is_iptables_command(words[0])) return iptables_query(m, words, opt.ipt_counters ? *opt.ipt_counters : IptCounterSource{});
    if (words[0] != "ip") return fail(255, "Error: unknown command \"" + std::string(words[0]) + "\"");
    size_t i = 1;
    bool v6 = false;
    while (i < words.size() && words[i].size() > 1 && words[i][0] == '-') {
        if (words[i] == "-6") v6 = true;
        if (words[i] == "-j") {
            QueryOptions o = opt;
            o.json = true;
            std::string rest;
            for (size_t k = 0; k < words.size(); ++k)
                if (k != i) rest += std::string(words[k]) + " ";
            return run_query(m, r, rest, o);
        }
        ++i;
    }
    if (i >= words.size()) return fail(255, "Error: missing object");
    if (is_xfrm_object(words[i])) return xfrm_query(m, words, opt);
    std::string_view object = words[i++];
    std::string_view verb = i < words.size() ? words[i++] : std::string_view("show");
    ws::Family f = v6 ? ws::Family::kInet6 : command_family(words, i);
    if (!v6 && f == ws::Family::kInet6 && verb != "get") f = ws::Family::kInet;
    ws::Tokens t(std::vector<std::string_view>(words.begin() + long(i), words.end()));
    const bool show = verb == "show" || verb == "list" || verb == "lst";
    if ((object == "rule" || object == "ru") && show) return rule_show(m, f, opt);
    if (object == "route" || object == "r" || object == "ro") {
        if (show) return route_show(m, f, t, opt);
        if (verb == "get") return route_get(m, r, f, t, opt);
    }
    return fail(255, "Error: unsupported query \"" + std::string(line) + "\"");
}

}  // namespace ctl
