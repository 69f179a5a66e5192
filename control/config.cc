#include "control/config.h"

#include <fstream>
#include <sstream>

#include "control/grammar/ip_grammar.h"
#include "control/grammar/iptables_grammar.h"
#include "control/grammar/link_grammar.h"
#include "control/grammar/xfrm_grammar.h"

namespace ctl {

using ws::Errc;
using ws::make_error;

std::vector<ScriptLine> split_script(std::string_view text) {
    std::vector<ScriptLine> out;
    ScriptLine cur;
    int lineno = 0;
    size_t i = 0;
    while (i <= text.size()) {
        size_t nl = text.find('\n', i);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view raw = text.substr(i, nl - i);
        ++lineno;
        i = nl + 1;
        // A '#' starts a comment where it begins a word.
        size_t hash = std::string_view::npos;
        for (size_t k = 0; k < raw.size(); ++k)
            if (raw[k] == '#' && (k == 0 || raw[k - 1] == ' ' || raw[k - 1] == '\t')) {
                hash = k;
                break;
            }
        std::string_view body = raw.substr(0, hash);
        while (!body.empty() && (body.back() == ' ' || body.back() == '\t' || body.back() == '\r')) body.remove_suffix(1);
        bool cont = !body.empty() && body.back() == '\\' && hash == std::string_view::npos;
        if (cont) body.remove_suffix(1);
        if (cur.text.empty()) cur.line = lineno;
        if (!body.empty()) {
            if (!cur.text.empty()) cur.text += ' ';
            cur.text += body;
        }
        if (!cont) {
            if (cur.text.find_first_not_of(" \t") != std::string::npos) out.push_back(cur);
            cur = ScriptLine();
        }
        if (nl == text.size()) break;
    }
    if (cur.text.find_first_not_of(" \t") != std::string::npos) out.push_back(cur);
    return out;
}

ws::Family command_family(const std::vector<std::string_view>& w, size_t from) {
    for (size_t i = 1; i < from && i < w.size(); ++i) {
        if (w[i] == "-6") return ws::Family::kInet6;
        if (w[i] == "-4") return ws::Family::kInet;
        if (w[i] == "-family" && i + 1 < w.size()) return w[i + 1] == "inet6" ? ws::Family::kInet6 : ws::Family::kInet;
    }
    for (size_t i = from; i < w.size(); ++i) {
        if (w[i] == "lladdr" || w[i] == "address") {
            ++i;
            continue;
        }
        if (w[i].find(':') != std::string_view::npos) return ws::Family::kInet6;
    }
    return ws::Family::kInet;
}

namespace {

bool is_verb(std::string_view w, std::initializer_list<std::string_view> words) {
    for (auto x : words)
        if (w == x) return true;
    return false;
}

ws::Status apply_rule(Model& m, std::string_view verb, ws::Tokens& t, const sel::ParseContext& ctx) {
    if (verb == "flush") {
        if (!t.done()) return make_error(Errc::kInvalid, "\"ip rule flush\" takes no arguments", std::string(t.peek()));
        m.rule_flush(ctx.family);
        return {};
    }
    if (t.done() && (verb == "add" || verb == "del" || verb == "delete"))
        return make_error(Errc::kInvalid, "\"ip rule " + std::string(verb) + "\" requires arguments.");
    auto req = parse_rule(t, ctx);
    if (!req) return req.error();
    if (verb == "add") return m.rule_add(ctx.family, std::move(*req));
    if (verb == "del" || verb == "delete") return m.rule_del(ctx.family, *req);
    return make_error(Errc::kInvalid, "unknown \"ip rule\" command \"" + std::string(verb) + "\"", std::string(verb));
}

ws::Status apply_route(Model& m, std::string_view verb, ws::Tokens& t, const sel::ParseContext& ctx) {
    if (verb == "flush") {
        auto f = parse_route_filter(t, ctx);
        if (!f) return f.error();
        if (f->cache) return {};  // no route cache here: `ip route flush cache` is a no-op
        RouteFlushFilter flt{f->table, f->prefix, f->protocol, f->dev, f->type};
        return m.route_flush(ctx.family, flt);
    }
    if (verb == "del" || verb == "delete") {
        auto req = parse_route(t, ctx, RouteVerb::kDel);
        if (!req) return req.error();
        return m.route_del(ctx.family, std::move(*req));
    }
    InsertMode mode;
    if (verb == "add") mode = InsertMode::kAdd;
    else if (verb == "append") mode = InsertMode::kAppend;
    else if (verb == "prepend") mode = InsertMode::kPrepend;
    else if (verb == "replace" || verb == "change") mode = InsertMode::kReplace;
    else return make_error(Errc::kInvalid, "unknown \"ip route\" command \"" + std::string(verb) + "\"", std::string(verb));
    auto req = parse_route(t, ctx, RouteVerb::kAdd);
    if (!req) return req.error();
    return m.route_modify(ctx.family, std::move(*req), mode);
}

// sysctl [-w] [-q] KEY=VALUE...: procps writes every KEY=VALUE argument, with or without -w.
ws::Status apply_sysctl(Model& m, const std::vector<std::string_view>& words) {
    bool any = false;
    for (size_t i = 1; i < words.size(); ++i) {
        const std::string_view w = words[i];
        if (w == "-w" || w == "-q" || w == "--write" || w == "--quiet") continue;
        const size_t eq = w.find('=');
        if (w[0] == '-' || eq == std::string_view::npos || eq == 0)
            return make_error(Errc::kInvalid, "sysctl: only \"sysctl -w KEY=VALUE\" is understood here", std::string(w));
        WS_TRY(m.sysctl_set(w.substr(0, eq), w.substr(eq + 1)));
        any = true;
    }
    if (!any) return make_error(Errc::kInvalid, "sysctl: missing KEY=VALUE");
    return {};
}

}  // namespace

ws::Status apply_command(Model& m, std::string_view line) {
    auto words = ws::split_words(line);
    if (words.empty()) return {};
    if (is_iptables_command(words[0])) return apply_iptables(m.firewall, words);
    if (words[0] == "sysctl") return apply_sysctl(m, words);
    if (words[0] != "ip") return make_error(Errc::kInvalid, "unknown command \"" + std::string(words[0]) + "\"", std::string(words[0]));
    size_t i = 1;
    while (i < words.size() && words[i].size() > 1 && words[i][0] == '-') {
        if (words[i] == "-family") ++i;
        ++i;
    }
    if (i >= words.size()) return make_error(Errc::kInvalid, "missing object after \"ip\"");
    std::string_view object = words[i++];
    if (is_xfrm_object(object)) return apply_xfrm(m, words);
    std::string_view verb = i < words.size() ? words[i++] : std::string_view("show");
    sel::ParseContext ctx;
    ctx.family = command_family(words, i);
    ctx.names = &m.names;
    ws::Tokens t(std::vector<std::string_view>(words.begin() + long(i), words.end()));
    if (is_verb(object, {"rule", "ru", "rul"})) return apply_rule(m, verb, t, ctx);
    if (is_verb(object, {"route", "r", "ro", "rou", "rout"})) return apply_route(m, verb, t, ctx);
    if (is_verb(object, {"link", "l", "li", "lin"})) return apply_link(m, verb, t, ctx);
    if (is_verb(object, {"address", "addr", "a", "ad"})) return apply_addr(m, verb, t, ctx);
    if (is_verb(object, {"neighbour", "neighbor", "neigh", "n"})) return apply_neigh(m, verb, t, ctx);
    return make_error(Errc::kUnsupported, "\"ip " + std::string(object) + "\" is not supported yet", std::string(object));
}

ws::Status apply_batch(Model& m, const std::vector<ScriptLine>& lines, const std::string& file) {
    Model work = m;
    // A large batch is mostly routes: size the main tables once instead of rehashing all along.
    if (lines.size() > 4096) {
        size_t routes = 0;
        for (const auto& l : lines) routes += l.text.compare(0, 9, "ip route ") == 0;
        for (auto f : {ws::Family::kInet, ws::Family::kInet6}) work.family(f).table(dp::kTableMain).reserve(routes);
    }
    for (const auto& l : lines) {
        auto st = apply_command(work, l.text);
        if (!st) {
            ws::Error e = st.error();
            e.file = file;
            e.line = l.line;
            return e;
        }
    }
    m = std::move(work);
    return {};
}

ws::Status load_file(Model& m, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::kIo, "cannot open \"" + path + "\"", path);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    return apply_batch(m, split_script(text), path);
}

}  // namespace ctl
