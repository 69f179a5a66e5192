#include "control/grammar/xfrm_words.h"

namespace ctl::xfrm_words {

using ws::Errc;
using ws::make_error;

// ---------------------------------------------------------------------------------------------
// iproute2's error texts (utils.c invarg(), missarg(), duparg(), NEXT_ARG()).

ws::Error invarg(std::string_view msg, std::string_view arg) {
    return make_error(Errc::kInvalid, "Error: argument \"" + std::string(arg) + "\" is wrong: " + std::string(msg),
                      std::string(arg));
}

ws::Error missarg(std::string_view key) {
    return make_error(Errc::kInvalid, "Error: argument \"" + std::string(key) + "\" is required", std::string(key));
}

ws::Error duparg(std::string_view key, std::string_view arg) {
    return make_error(Errc::kInvalid,
                      "Error: duplicate \"" + std::string(key) + "\": \"" + std::string(arg) + "\" is the second value.",
                      std::string(arg));
}

ws::Error plain(Errc code, std::string msg, std::string_view token) {
    return make_error(code, std::move(msg), std::string(token));
}

// A kernel extack message, as ip prints it: "Error: TEXT."
ws::Error kernel_says(Errc code, std::string_view text, std::string_view token, std::string_view detail) {
    std::string msg = "Error: " + std::string(text) + ".";
    if (!detail.empty()) msg += " (" + std::string(detail) + ")";
    return make_error(code, msg, std::string(token));
}

std::string quoted(std::string_view word) {
    std::string out(1, '"');
    out.append(word);
    out += '"';
    return out;
}

ws::Error unsupported(std::string what, std::string_view token) {
    return make_error(Errc::kUnsupported, std::move(what) + " is not supported", std::string(token));
}

// NEXT_ARG(): the value after a keyword.
ws::Result<std::string_view> next_arg(ws::Tokens& t, std::string_view after) {
    if (t.done()) return plain(Errc::kInvalid, "Command line is not complete. Try option \"help\"", after);
    return t.next();
}

// iproute2's matches(): the word is a (non-empty) prefix of the full keyword.
bool matches(std::string_view word, std::string_view full) {
    return !word.empty() && word.size() <= full.size() && full.substr(0, word.size()) == word;
}

ws::Result<uint32_t> get_u32(std::string_view w, uint32_t max, std::string_view msg) {
    auto v = ws::parse_u32(w, msg);
    if (!v || *v > max) return invarg(msg, w);
    return *v;
}

// A keyword's u32 value: "value after \"KEYWORD\" is invalid" in ip's words unless told.
ws::Result<uint32_t> value_u32(ws::Tokens& t, std::string_view keyword, std::string_view msg, uint32_t max) {
    auto w = next_arg(t, keyword);
    if (!w) return w.error();
    return get_u32(*w, max, msg.empty() ? "value after \"" + std::string(keyword) + "\" is invalid" : std::string(msg));
}

namespace {

std::string family_word(ws::Family f) {
    return f == ws::Family::kInet ? "inet" : f == ws::Family::kInet6 ? "inet6" : "any valid";
}

}  // namespace

ws::Result<ws::InetPrefix> get_prefix(std::string_view w, ws::Family preferred, std::string_view key,
                                      std::string_view what) {
    if (w == "default" || w == "any" || w == "all") {
        if (preferred == ws::Family::kNone)
            return invarg("value after \"" + std::string(key) + "\" has an unrecognized address family", w);
        return ws::InetPrefix{ws::InetAddr::zero(preferred), 0};
    }
    auto p = ws::InetPrefix::parse(w, preferred);
    if (!p || (what == "address" && w.find('/') != std::string_view::npos))
        return plain(Errc::kInvalid, "Error: " + family_word(preferred) + " " + std::string(what) +
                                         " is expected rather than \"" + std::string(w) + "\".", w);
    return *p;
}

bool is_port_proto(uint8_t p) { return p == 6 || p == 17 || p == 132 || p == 33; }  // tcp udp sctp dccp
bool is_icmp_proto(uint8_t p) { return p == 1 || p == 58 || p == 135; }             // icmp ipv6-icmp mh

namespace {

// The XFRM-PROTO names of xfrmproto_types[].
struct ProtoName {
    std::string_view name;
    uint8_t proto;
};
constexpr ProtoName kXfrmProtos[] = {{"esp", 50}, {"ah", 51}, {"comp", 108}, {"route2", 43}, {"hao", 60}, {"ipsec-any", 255}};

}  // namespace

ws::Result<uint8_t> xfrm_proto(std::string_view w) {
    for (const auto& p : kXfrmProtos)
        if (p.name == w) return p.proto;
    return invarg("XFRM-PROTO value is invalid", w);
}

std::string xfrm_proto_name(uint8_t proto) {
    for (const auto& p : kXfrmProtos)
        if (p.proto == proto) return std::string(p.name);
    return std::to_string(proto);
}

ws::Status require_esp(uint8_t proto) {
    if (proto == kXfrmProtoEsp) return {};
    const std::string name = xfrm_proto_name(proto);
    return unsupported("XFRM-PROTO \"" + name + "\" (wildside implements ESP only)", name);
}

// xfrm_mode_parse(): matches() in ip's order; only transport and tunnel exist here.
ws::Result<crypto::Mode> parse_mode(ws::Tokens& t) {
    auto w = next_arg(t, "mode");
    if (!w) return w.error();
    if (matches(*w, "transport")) return crypto::Mode::kTransport;
    if (matches(*w, "tunnel")) return crypto::Mode::kTunnel;
    if (matches(*w, "ro") || matches(*w, "in_trigger") || matches(*w, "beet"))
        return unsupported("mode \"" + std::string(*w) + "\"", *w);
    return invarg("MODE value is invalid", *w);
}

// xfrm_parse_mark(): MARK [mask MASK]; a mark alone has mask 0xffffffff. wildside also reads
// ip rule's MARK/MASK.
ws::Result<XfrmMark> parse_mark(ws::Tokens& t) {
    auto w = next_arg(t, "mark");
    if (!w) return w.error();
    const size_t slash = w->find('/');
    auto v = ws::parse_u32(w->substr(0, slash), "mark");
    if (!v) return invarg("MARK value is invalid", *w);
    XfrmMark m{*v, 0xffffffffu};
    std::string_view mask;
    if (slash != std::string_view::npos) {
        mask = w->substr(slash + 1);
    } else if (t.accept("mask")) {
        WS_TRY(assign(mask, next_arg(t, "mask")));
    } else {
        return m;
    }
    auto mv = ws::parse_u32(mask, "mask");
    if (!mv) return invarg("MASK value is invalid", mask);
    m.m = *mv;
    return m;
}

ws::Result<XfrmDir> parse_dir(ws::Tokens& t) {
    auto w = next_arg(t, "dir");
    if (!w) return w.error();
    if (*w == "in") return XfrmDir::kIn;
    if (*w == "out") return XfrmDir::kOut;
    if (*w == "fwd") return XfrmDir::kFwd;
    return invarg("DIR value is invalid", *w);
}

ws::Result<XfrmAction> parse_action(ws::Tokens& t) {
    auto w = next_arg(t, "action");
    if (!w) return w.error();
    if (*w == "allow") return XfrmAction::kAllow;
    if (*w == "block") return XfrmAction::kBlock;
    return invarg("ACTION value is invalid", *w);
}

ws::Status parse_ptype(ws::Tokens& t) {
    auto w = next_arg(t, "ptype");
    if (!w) return w.error();
    if (*w == "sub") return unsupported("ptype \"sub\"", *w);
    if (*w != "main") return invarg("PTYPE value is invalid", *w);
    return {};
}

// xfrm_*_flag_parse(): "0xHEX" replaces the flags; names are or-ed in up to the first word
// that is no flag (which the caller then reads). A `flag` with no word after it is incomplete.
ws::Status parse_flags(ws::Tokens& t, std::string_view keyword, std::span<const XfrmFlagName> names, uint32_t max,
                       std::string_view invalid, uint32_t& flags) {
    auto first = next_arg(t, keyword);
    if (!first) return first.error();
    if (first->size() > 2 && first->substr(0, 2) == "0x") {
        WS_TRY(assign(flags, get_u32(*first, max, invalid)));
        return {};
    }
    t.rewind(t.position() - 1);
    while (!t.done()) {
        const XfrmFlagName* hit = nullptr;
        for (const auto& n : names)
            if (n.name == t.peek()) hit = &n;
        if (!hit) break;
        flags |= hit->bit;
        t.next();
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// ID := [src ADDR] [dst ADDR] [proto XFRM-PROTO] [spi SPI]   (xfrm_id_parse())


namespace {

ws::Status parse_id_word(ws::Tokens& t, std::string_view w, ws::Family preferred, IdWords& id) {
    auto v = next_arg(t, w);
    if (!v) return v.error();
    if (w == "src" || w == "dst") {
        auto p = get_prefix(*v, preferred, w);
        if (!p) return p.error();
        (w == "src" ? id.src : id.dst) = *p;
    } else if (w == "proto") {
        WS_TRY(assign(id.proto, xfrm_proto(*v)));
    } else {
        WS_TRY(assign(id.spi, get_u32(*v, ~0u, "SPI value is invalid")));
    }
    return {};
}

}  // namespace

ws::Result<IdWords> parse_id(ws::Tokens& t, ws::Family preferred, IdProto need) {
    IdWords id;
    const size_t start = t.position();
    std::string_view last;
    while (t.peek() == "src" || t.peek() == "dst" || t.peek() == "proto" || t.peek() == "spi") {
        WS_TRY(parse_id_word(t, t.next(), preferred, id));
        last = t.words()[t.position() - 1];
    }
    if (id.src && id.dst && id.src->addr.family != id.dst->addr.family)
        return invarg("the same address family is required between values after \"src\" and \"dst\"", last);
    if (need == IdProto::kRequired && id.proto == 0) return missarg("XFRM-PROTO");
    if (t.position() == start) return missarg("ID");
    return id;
}

// ---------------------------------------------------------------------------------------------
// SELECTOR := [src PREFIX] [dst PREFIX] [UPSPEC]   (xfrm_selector_parse(), one UPSPEC block)

namespace {

ws::Status parse_upspec_word(ws::Tokens& t, std::string_view w, XfrmSelector& s) {
    auto v = next_arg(t, w);
    if (!v) return v.error();
    if (w == "proto") {
        if (*v == "any") {
            s.proto = 0;
            return {};
        }
        auto p = ws::ip_proto_id(*v);
        if (!p) return invarg("PROTO value is invalid", *v);
        s.proto = *p;
        return {};
    }
    if (w == "key") return unsupported("a GRE \"key\" in a selector", w);
    const bool type_code = w == "type" || w == "code";
    auto n = get_u32(*v, type_code ? 0xff : 0xffff, "value after \"" + std::string(w) + "\" is invalid");
    if (!n) return n.error();
    const bool first = w == "sport" || w == "type";
    (first ? s.sport : s.dport) = uint16_t(*n);
    (first ? s.sport_mask : s.dport_mask) = (type_code || *n) ? 0xffff : 0;
    return {};
}

bool is_upspec_word(std::string_view w) {
    return w == "proto" || w == "sport" || w == "dport" || w == "type" || w == "code" || w == "key";
}

// After an UPSPEC block: ports only for tcp/udp/sctp/dccp, type/code only for ICMP.
ws::Status check_upspec(const XfrmSelector& s, bool ports, bool type_code) {
    const std::string name = ws::ip_proto_name(s.proto);
    if (ports && s.proto != 0 && !is_port_proto(s.proto))  // 0: "to allow shared SA for different protocols"
        return plain(Errc::kInvalid, "\"sport\" and \"dport\" are invalid with PROTO value \"" + name + "\"", name);
    if (type_code && !is_icmp_proto(s.proto))
        return plain(Errc::kInvalid, "\"type\" and \"code\" are invalid with PROTO value \"" + name + "\"", name);
    return {};
}

}  // namespace

ws::Result<XfrmSelector> parse_selector(ws::Tokens& t, ws::Family preferred, SelectorGiven* given) {
    XfrmSelector s;
    std::optional<ws::InetPrefix> src, dst;
    bool in_upspec = false, upspec_done = false, ports = false, type_code = false;
    std::string_view last;
    while (!t.done()) {
        std::string_view w = t.peek();
        if (w == "src" || w == "dst") {
            upspec_done |= in_upspec;
            in_upspec = false;
            t.next();
            auto v = next_arg(t, w);
            if (!v) return v.error();
            auto p = get_prefix(*v, preferred, w);
            if (!p) return p.error();
            (w == "src" ? src : dst) = *p;
        } else if (w == "dev") {
            return unsupported("a device (\"dev\") in a selector", w);
        } else if (is_upspec_word(w) && !upspec_done) {
            in_upspec = true;
            ports |= w == "sport" || w == "dport";
            type_code |= w == "type" || w == "code";
            t.next();
            WS_TRY(parse_upspec_word(t, w, s));
        } else {
            break;
        }
        last = t.words()[t.position() - 1];
    }
    if (src && dst && src->addr.family != dst->addr.family)
        return invarg("the same address family is required between values after \"src\" and \"dst\"", last);
    WS_TRY(check_upspec(s, ports, type_code));
    if (given) *given = {src.has_value(), dst.has_value(), in_upspec || upspec_done};
    const ws::Family f = src ? src->addr.family : dst ? dst->addr.family : ws::Family::kNone;
    if (f != ws::Family::kNone) {
        XfrmSelector any = XfrmSelector::any(f);
        s.family = f;
        s.src = src ? *src : any.src;
        s.dst = dst ? *dst : any.dst;
    }
    return s;
}

// The family an SA or policy selector without addresses takes: the -4/-6 one, else IPv4.
void settle_selector_family(XfrmSelector& s, ws::Family f) {
    if (s.family != ws::Family::kNone) return;
    XfrmSelector any = XfrmSelector::any(f);
    s.family = f;
    s.src = any.src;
    s.dst = any.dst;
}

}  // namespace ctl::xfrm_words
