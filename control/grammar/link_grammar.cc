#include "control/grammar/link_grammar.h"

#include <cctype>

namespace ctl {

using ws::Errc;
using ws::make_error;

ws::Result<std::string> parse_mac(std::string_view w) {
    if (w.size() != 17) return ws::invalid_arg("address", w);
    std::string out;
    for (size_t i = 0; i < 17; ++i) {
        char c = w[i];
        if (i % 3 == 2) {
            if (c != ':') return ws::invalid_arg("address", w);
        } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return ws::invalid_arg("address", w);
        }
        out += char(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

namespace {

ws::Status parse_link_type(ws::Tokens& t, LinkSpec& spec) {
    auto kind = t.value_of("type");
    if (!kind) return kind.error();
    spec.kind = std::string(*kind);
    if (spec.kind == "dpdk") {
        if (!t.accept("devargs")) return make_error(Errc::kInvalid, "\"type dpdk\" needs \"devargs ARGS\"", spec.kind);
        auto v = t.value_of("devargs");
        if (!v) return v.error();
        spec.devargs = std::string(*v);
    } else if (spec.kind == "xfrm") {
        while (!t.done()) {
            std::string_view w = t.next();
            if (w == "if_id") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                auto id = ws::parse_u32(*v, "if_id");
                if (!id) return id.error();
                spec.if_id = *id;
            } else if (w == "dev") {
                if (!t.value_of(w)) return make_error(Errc::kInvalid, "argument missing after \"dev\"");
            } else {
                return make_error(Errc::kInvalid, "unknown xfrm attribute \"" + std::string(w) + "\"", std::string(w));
            }
        }
        if (!spec.if_id) return make_error(Errc::kInvalid, "xfrm interface if_id must be non-zero", "if_id");
    } else if (spec.kind == "gre") {
        while (!t.done()) {
            std::string_view w = t.next();
            if (w == "local" || w == "remote") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                auto a = ws::InetAddr::parse(*v, ws::Family::kInet);
                if (!a) return ws::invalid_arg(w, *v);
                (w == "local" ? spec.gre_local : spec.gre_remote) = *a;
            } else if (w == "key") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                auto k = ws::parse_u32(*v, "key");
                if (!k) return k.error();
                spec.gre_key = *k;
            } else {
                return make_error(Errc::kInvalid, "unknown gre attribute \"" + std::string(w) + "\"", std::string(w));
            }
        }
        if (!spec.gre_remote.valid()) return make_error(Errc::kInvalid, "gre needs \"remote ADDR\"", "gre");
    } else if (spec.kind != "host" && spec.kind != "dummy") {
        return make_error(Errc::kUnsupported, "unknown link type \"" + spec.kind + "\"", spec.kind);
    }
    if (!t.done()) return make_error(Errc::kInvalid, "unexpected \"" + std::string(t.peek()) + "\"", std::string(t.peek()));
    return {};
}

}  // namespace

ws::Status apply_link(Model& m, std::string_view verb, ws::Tokens& t, const sel::ParseContext&) {
    if (verb == "add") {
        LinkSpec spec;
        uint32_t mtu = 0;
        std::string mac;
        while (!t.done() && t.peek() != "type") {
            std::string_view w = t.next();
            if (w == "name" || w == "dev") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                spec.name = std::string(*v);
            } else if (w == "mtu") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                auto n = ws::parse_u32(*v, "mtu");
                if (!n) return n.error();
                mtu = *n;
            } else if (w == "address") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                auto a = parse_mac(*v);
                if (!a) return a.error();
                mac = *a;
            } else if (spec.name.empty()) {
                spec.name = std::string(w);
            } else {
                return make_error(Errc::kInvalid, "unexpected \"" + std::string(w) + "\"", std::string(w));
            }
        }
        if (spec.name.empty() || spec.name.size() >= 16) return make_error(Errc::kInvalid, "a link needs a name of 1 to 15 characters");
        if (t.done()) return make_error(Errc::kInvalid, "\"ip link add\" needs \"type TYPE\"", spec.name);
        t.next();  // "type"
        WS_TRY(parse_link_type(t, spec));
        std::string name = spec.name;
        WS_TRY(m.link_add(std::move(spec)));
        if (mtu) WS_TRY(m.link_set_mtu(name, mtu));
        if (!mac.empty()) WS_TRY(m.link_set_address(name, mac));
        return {};
    }
    if (verb == "set") {
        t.accept("dev");
        auto name = t.value_of("set");
        if (!name) return name.error();
        std::string dev(*name);
        if (!m.link(dev)) return make_error(Errc::kNoDevice, "Cannot find device \"" + dev + "\"", dev);
        while (!t.done()) {
            std::string_view w = t.next();
            if (w == "up" || w == "down") {
                WS_TRY(m.link_set_up(dev, w == "up"));
            } else if (w == "mtu" || w == "group") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                auto n = ws::parse_u32(*v, w);
                if (!n) return n.error();
                WS_TRY(w == "mtu" ? m.link_set_mtu(dev, *n) : m.link_set_group(dev, *n));
            } else if (w == "address") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                auto a = parse_mac(*v);
                if (!a) return a.error();
                WS_TRY(m.link_set_address(dev, *a));
            } else {
                return make_error(Errc::kInvalid, "unknown \"ip link set\" attribute \"" + std::string(w) + "\"", std::string(w));
            }
        }
        return {};
    }
    return make_error(Errc::kUnsupported, "\"ip link " + std::string(verb) + "\" is not supported", std::string(verb));
}

ws::Status apply_addr(Model& m, std::string_view verb, ws::Tokens& t, const sel::ParseContext& ctx) {
    if (verb != "add" && verb != "del" && verb != "delete")
        return make_error(Errc::kUnsupported, "\"ip addr " + std::string(verb) + "\" is not supported", std::string(verb));
    std::optional<ws::InetPrefix> local;
    std::string dev;
    std::optional<uint8_t> scope;
    while (!t.done()) {
        std::string_view w = t.next();
        if (w == "dev") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            dev = std::string(*v);
        } else if (w == "scope") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto s = m.names.scope_id(*v);
            if (!s) return s.error();
            scope = *s;
        } else if (w == "brd" || w == "broadcast" || w == "label") {
            if (!t.value_of(w)) return make_error(Errc::kInvalid, "argument missing after \"" + std::string(w) + "\"");
        } else {
            if (w == "local") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                w = *v;
            }
            if (local) return make_error(Errc::kInvalid, "unexpected \"" + std::string(w) + "\"", std::string(w));
            auto p = ws::InetPrefix::parse(w, ctx.family);
            if (!p) return ws::invalid_arg("local", w);
            local = *p;
        }
    }
    if (!local) return make_error(Errc::kInvalid, "\"ip addr\" needs an address");
    if (dev.empty()) return make_error(Errc::kInvalid, "Not enough information: \"dev\" argument is required.");
    if (verb != "add") return m.addr_del(dev, local->addr, local->len);
    dp::IfAddr a;
    a.local = local->addr;
    a.prefixlen = local->len;
    // iproute2's default_scope(): host for 127/8, else global.
    a.scope = scope ? *scope : (local->addr.is_v4() && local->addr.b[0] == 127 ? dp::kScopeHost : dp::kScopeUniverse);
    if (local->addr.is_v6())  // IPv6 scopes come from the address itself
        a.scope = local->addr.is_loopback() ? dp::kScopeHost : local->addr.is_link_local6() ? dp::kScopeLink : dp::kScopeUniverse;
    return m.addr_add(dev, a);
}

ws::Status apply_neigh(Model& m, std::string_view verb, ws::Tokens& t, const sel::ParseContext& ctx) {
    if (verb != "add" && verb != "replace")
        return make_error(Errc::kUnsupported, "\"ip neigh " + std::string(verb) + "\" is not supported", std::string(verb));
    Neighbour n;
    std::string dev;
    while (!t.done()) {
        std::string_view w = t.next();
        if (w == "lladdr") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            auto mac = parse_mac(*v);
            if (!mac) return mac.error();
            n.lladdr = *mac;
        } else if (w == "dev") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            dev = std::string(*v);
        } else if (w == "nud") {
            auto v = t.value_of(w);
            if (!v) return v.error();
            n.state = std::string(*v);
            for (auto& c : n.state) c = char(std::toupper(static_cast<unsigned char>(c)));
        } else {
            if (w == "to") {
                auto v = t.value_of(w);
                if (!v) return v.error();
                w = *v;
            }
            auto a = ws::InetAddr::parse(w, ctx.family);
            if (!a) return ws::invalid_arg("to", w);
            n.addr = *a;
        }
    }
    if (!n.addr.valid() || dev.empty() || n.lladdr.empty())
        return make_error(Errc::kInvalid, "\"ip neigh add\" needs ADDR lladdr MAC dev DEV");
    return m.neigh_add(std::move(n), dev);
}

}  // namespace ctl
