#include "control/grammar/iptables_ext.h"

#include <optional>
#include <string>

#include "control/grammar/iptables_words.h"

namespace ctl::ipt_ext {

using ipt_words::problem;
using ipt_words::quoted;

namespace {

constexpr uint32_t bit(unsigned id) { return 1u << id; }

// The first entry of an id: the name libxtables' messages use ("destination-port" for --dport).
std::string_view canonical(const ExtDef& d, uint8_t id) {
    for (const auto& o : d.options)
        if (o.id == id) return o.name;
    return "";
}

std::string ext_prefix(const Loaded& l) { return std::string(l.def->name) + ": "; }

// XTTYPE_UINT8/16/32: a whole base-0 number in [0, max].
ws::Result<uint32_t> xt_uint(const Loaded& l, const ExtOption& o, std::string_view arg, uint32_t max) {
    auto v = ipt_words::whole_number(arg, 0, max);
    if (!v)
        return problem(ext_prefix(l) + "bad value for option \"--" + std::string(canonical(*l.def, o.id)) +
                           "\", or out of range (0-" + std::to_string(max) + ").",
                       arg);
    return uint32_t(*v);
}

// XTTYPE_MARKMASK32: V[/M], base 0.
ws::Result<std::pair<uint32_t, uint32_t>> xt_markmask(const Loaded& l, const ExtOption& o, std::string_view arg) {
    const std::string name(canonical(*l.def, o.id));
    auto bad = [&] { return problem(ext_prefix(l) + "bad integer value for option \"--" + name + "\", or out of range.", arg); };
    auto v = ipt_words::strtoumax_like(arg);
    if (!v || v->value > 0xffffffffu) return bad();
    uint32_t mask = 0xffffffffu;
    size_t end = v->end;
    if (end < arg.size() && arg[end] == '/') {
        auto m = ipt_words::strtoumax_like(arg.substr(end + 1));
        if (!m || m->value > 0xffffffffu) return bad();
        mask = uint32_t(m->value);
        end += 1 + m->end;
    }
    if (end != arg.size())
        return problem(ext_prefix(l) + "trailing garbage after value for option \"--" + name + "\".", arg);
    return std::pair{uint32_t(v->value), mask};
}

// --- tcp, udp, sctp --------------------------------------------------------------------------

constexpr ExtOption kTcpOpts[] = {
    {"source-port", 0, kArg | kInvert}, {"sport", 0, kArg | kInvert}, {"destination-port", 1, kArg | kInvert},
    {"dport", 1, kArg | kInvert},       {"syn", 2, kInvert},          {"tcp-flags", 3, kArg | kInvert | kTwoArgs},
    {"tcp-option", 4, kArg | kInvert},
};
constexpr ExtOption kUdpOpts[] = {
    {"source-port", 0, kArg | kInvert}, {"sport", 0, kArg | kInvert},
    {"destination-port", 1, kArg | kInvert}, {"dport", 1, kArg | kInvert},
};
constexpr ExtOption kSctpOpts[] = {
    {"source-port", 0, kArg | kInvert}, {"sport", 0, kArg | kInvert}, {"destination-port", 1, kArg | kInvert},
    {"dport", 1, kArg | kInvert},       {"chunk-types", 2, kArg | kInvert | kTwoArgs},
};

// tcp and sctp are old-style extensions: their own "Only one" texts, tcp's port reading.
ws::Status old_ports_parse(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar&) {
    auto& m = std::get<IptPortsMatch>(l.match);
    if (o.id >= 2)
        return ipt_words::unsupported("option --" + std::string(o.name) + " of the " + std::string(l.def->name) + " match", o.name);
    const bool src = o.id == 0;
    if (l.xflags & bit(o.id)) return problem(src ? "Only one `--source-port' allowed" : "Only one `--destination-port' allowed", o.name);
    auto r = ipt_words::parse_port_range(arg, l.def->name);
    if (!r) return r.error();
    (src ? m.sport : m.dport) = *r;
    (src ? m.inv_sport : m.inv_dport) = invert;
    if (m.proto == 132) (src ? m.sport_given : m.dport_given) = true;
    l.xflags |= bit(o.id);
    return {};
}

ws::Status udp_parse(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar&) {
    auto& m = std::get<IptPortsMatch>(l.match);
    auto r = ipt_words::parse_udp_ports(arg, canonical(*l.def, o.id));
    if (!r) return r.error();
    (o.id == 0 ? m.sport : m.dport) = *r;
    (o.id == 0 ? m.inv_sport : m.inv_dport) = invert;
    return {};
}

// --- icmp, icmp6 ----------------------------------------------------------------------------

constexpr ExtOption kIcmpOpts[] = {{"icmp-type", 0, kArg | kInvert | kMand}};
constexpr ExtOption kIcmp6Opts[] = {{"icmpv6-type", 0, kArg | kInvert | kMand}};

ws::Status icmp_parse(Loaded& l, const ExtOption&, std::string_view arg, bool invert, const RuleSoFar&) {
    auto m = ipt_words::parse_icmp_type(arg, l.family == ws::Family::kInet6);
    if (!m) return m.error();
    m->invert = invert;
    l.match = *m;
    return {};
}

// --- multiport ------------------------------------------------------------------------------

constexpr uint32_t kMultiportAny = bit(0) | bit(1) | bit(2);
constexpr ExtOption kMultiportOpts[] = {
    {"source-ports", 0, kArg | kInvert, kMultiportAny},      {"sports", 0, kArg | kInvert, kMultiportAny},
    {"destination-ports", 1, kArg | kInvert, kMultiportAny}, {"dports", 1, kArg | kInvert, kMultiportAny},
    {"ports", 2, kArg | kInvert, kMultiportAny},
};

// check_proto(): the protocol the ports belong to.
ws::Result<std::string_view> multiport_proto(const RuleSoFar& r) {
    constexpr std::string_view kOnly = "multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP";
    if (r.proto_inv) return problem(std::string(kOnly));
    switch (r.proto) {
    case 6: return std::string_view("tcp");
    case 17: return std::string_view("udp");
    case 136: return std::string_view("udplite");
    case 132: return std::string_view("sctp");
    case 33: return std::string_view("dccp");
    case 0: return problem("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'");
    default: return problem(std::string(kOnly));
    }
}

// parse_multi_ports_v1(): up to 15 slots, a range takes two and must rise.
ws::Status multiport_parse(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar& r) {
    auto proto = multiport_proto(r);
    if (!proto) return proto.error();
    IptMultiportMatch m;
    m.dir = o.id == 0 ? IptMultiportMatch::Dir::kSource : o.id == 1 ? IptMultiportMatch::Dir::kDestination
                                                                    : IptMultiportMatch::Dir::kEither;
    m.invert = invert;
    std::optional<std::string_view> cp = arg;
    size_t i = 0;
    for (; cp && i < kMultiportMax; ++i) {
        std::string_view item = *cp;
        const size_t comma = item.find(',');
        cp = comma == std::string_view::npos ? std::nullopt : std::optional(item.substr(comma + 1));
        if (comma != std::string_view::npos) item = item.substr(0, comma);
        const size_t colon = item.find(':');
        if (colon != std::string_view::npos && i == kMultiportMax - 1) return problem("too many ports specified", arg);
        auto lo = ipt_words::parse_port(item.substr(0, colon), *proto);
        if (!lo) return lo.error();
        IptPortRange pr{*lo, *lo};
        if (colon != std::string_view::npos) {
            auto hi = ipt_words::parse_port(item.substr(colon + 1), *proto);
            if (!hi) return hi.error();
            ++i;
            if (*lo >= *hi) return problem("invalid portrange specified", item);
            pr.max = *hi;
        }
        m.ports.push_back(pr);
    }
    if (cp && i == kMultiportMax) return problem("too many ports specified", arg);
    l.match = std::move(m);
    return {};
}

ws::Status multiport_final(Loaded& l) {
    if (!l.xflags) return problem("multiport expection an option");
    return {};
}

// --- mark, dscp, tos, length ----------------------------------------------------------------

constexpr ExtOption kMarkOpts[] = {{"mark", 0, kArg | kInvert | kMand}};

ws::Status mark_parse(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar&) {
    auto v = xt_markmask(l, o, arg);
    if (!v) return v.error();
    l.match = IptMarkMatch{v->first, v->second, invert};
    return {};
}

constexpr ExtOption kDscpOpts[] = {{"dscp", 0, kArg | kInvert, bit(1)}, {"dscp-class", 1, kArg | kInvert, bit(0)}};

ws::Status dscp_parse(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar&) {
    auto v = o.id == 0 ? xt_uint(l, o, arg, 63) : ws::Result<uint32_t>(0u);
    if (o.id == 1) {
        auto c = ipt_words::parse_dscp_class(arg);
        if (!c) return c.error();
        v = uint32_t(*c);
    }
    if (!v) return v.error();
    l.match = IptDscpMatch{uint8_t(*v), invert};
    return {};
}

ws::Status dscp_final(Loaded& l) {
    if (!l.xflags) return problem("DSCP match: Parameter --dscp is required");
    return {};
}

constexpr ExtOption kTosOpts[] = {{"tos", 0, kArg | kInvert | kMand}};

ws::Status tos_parse(Loaded& l, const ExtOption&, std::string_view arg, bool invert, const RuleSoFar&) {
    auto t = ipt_words::parse_tos(arg);
    if (!t) return t.error();
    t->invert = invert;
    l.match = *t;
    return {};
}

constexpr ExtOption kLengthOpts[] = {{"length", 0, kArg | kInvert | kMand}};

// XTTYPE_UINT16RC (xtopt_parse_mint()): N, N:M, :M, N: with 65535 for an empty upper part.
ws::Status length_parse(Loaded& l, const ExtOption&, std::string_view w, bool invert, const RuleSoFar&) {
    uint16_t vals[2] = {0, 0};
    size_t n = 0, pos = 0;
    for (;;) {
        if (n == 2) return problem("length: Too many components for option \"--length\" (max: 2)", w);
        std::string_view arg = w.substr(pos);
        size_t end = pos;
        uint64_t value = 0;
        if (arg.empty() || arg[0] == ':') {
            value = n == 1 ? 0xffff : 0;
        } else {
            auto v = ipt_words::strtoumax_like(arg);
            if (!v || v->value > 0xffff)
                return problem("length: bad value for option \"--length\" near \"" + std::string(arg) +
                                   "\", or out of range (0-65535).",
                               w);
            value = v->value;
            end = pos + v->end;
            if (end < w.size() && w[end] != ':')
                return problem("length: Argument to \"--length\" has unexpected characters near \"" +
                                   std::string(w.substr(end)) + "\".",
                               w);
        }
        vals[n++] = uint16_t(value);
        if (end >= w.size()) break;
        pos = end + 1;
    }
    l.match = IptLengthMatch{vals[0], n == 1 ? vals[0] : vals[1], invert};
    return {};
}

// --- string ---------------------------------------------------------------------------------

enum StringId : uint8_t { kFrom = 0, kTo, kAlgo, kString, kHexString, kIcase };
constexpr ExtOption kStringOpts[] = {
    {"from", kFrom, kArg},
    {"to", kTo, kArg},
    {"algo", kAlgo, kArg | kMand},
    {"string", kString, kArg | kInvert, bit(kHexString)},
    {"hex-string", kHexString, kArg | kInvert, bit(kString)},
    {"icase", kIcase, 0},
};

ws::Status string_parse(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar&) {
    auto& m = std::get<IptStringMatch>(l.match);
    switch (o.id) {
    case kFrom:
    case kTo: {
        auto v = xt_uint(l, o, arg, 0xffff);
        if (!v) return v.error();
        (o.id == kFrom ? m.from : m.to) = uint16_t(*v);
        return {};
    }
    case kAlgo: m.algo = std::string(arg.substr(0, 15)); return {};  // XT_STRING_MAX_ALGO_NAME_SIZE - 1
    case kString:
    case kHexString: {
        auto p = o.id == kString ? ipt_words::parse_string_pattern(arg) : ipt_words::parse_hex_pattern(arg);
        if (!p) return p.error();
        m.pattern = std::move(*p);
        if (invert) m.invert = true;
        return {};
    }
    default: m.icase = true; return {};
    }
}

ws::Status string_final(Loaded& l) {
    if (!(l.xflags & (bit(kString) | bit(kHexString))))
        return problem("STRING match: You must specify `--string' or `--hex-string'");
    return {};
}

// --- MARK, DSCP, REJECT ---------------------------------------------------------------------

enum MarkId : uint8_t { kSetMark = 0, kAndMark, kOrMark, kXorMark, kSetXmark };
constexpr uint32_t kMarkAny = bit(kSetMark) | bit(kAndMark) | bit(kOrMark) | bit(kXorMark) | bit(kSetXmark);
constexpr ExtOption kMarkTgOpts[] = {
    {"set-xmark", kSetXmark, kArg, kMarkAny}, {"set-mark", kSetMark, kArg, kMarkAny},
    {"and-mark", kAndMark, kArg, kMarkAny},   {"or-mark", kOrMark, kArg, kMarkAny},
    {"xor-mark", kXorMark, kArg, kMarkAny},
};

ws::Status mark_tg_parse(Loaded& l, const ExtOption& o, std::string_view arg, bool, const RuleSoFar&) {
    if (o.id == kSetXmark || o.id == kSetMark) {
        auto v = xt_markmask(l, o, arg);
        if (!v) return v.error();
        l.target = o.id == kSetXmark ? mark_set_xmark(v->first, v->second) : mark_set_mark(v->first, v->second);
        return {};
    }
    auto v = xt_uint(l, o, arg, 0xffffffffu);
    if (!v) return v.error();
    l.target = o.id == kAndMark ? mark_and(*v) : o.id == kOrMark ? mark_or(*v) : mark_xor(*v);
    return {};
}

ws::Status mark_tg_final(Loaded& l) {
    if (!l.xflags) return problem("MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required");
    return {};
}

constexpr ExtOption kDscpTgOpts[] = {{"set-dscp", 0, kArg, bit(1)}, {"set-dscp-class", 1, kArg, bit(0)}};

ws::Status dscp_tg_parse(Loaded& l, const ExtOption& o, std::string_view arg, bool, const RuleSoFar&) {
    uint8_t dscp = 0;
    if (o.id == 0) {
        auto v = xt_uint(l, o, arg, 63);
        if (!v) return v.error();
        dscp = uint8_t(*v);
    } else {
        auto c = ipt_words::parse_dscp_class(arg);
        if (!c) return c.error();
        dscp = *c;
    }
    l.target.kind = IptTargetKind::kDscp;
    l.target.dscp = dscp;
    return {};
}

ws::Status dscp_tg_final(Loaded& l) {
    if (!l.xflags) return problem("DSCP target: Parameter --set-dscp is required");
    return {};
}

constexpr ExtOption kRejectOpts[] = {{"reject-with", 0, kArg}};

ws::Status reject_parse(Loaded& l, const ExtOption&, std::string_view arg, bool, const RuleSoFar&) {
    auto r = ipt_words::parse_reject(arg, l.family);
    if (!r) return r.error();
    l.target.reject = *r;
    return {};
}

// The registry (STYLE 38: an explicit list).
constexpr ExtDef kTcp{"tcp", false, kTcpOpts, false, old_ports_parse, nullptr};
constexpr ExtDef kUdp{"udp", false, kUdpOpts, true, udp_parse, nullptr};
constexpr ExtDef kSctp{"sctp", false, kSctpOpts, false, old_ports_parse, nullptr};
constexpr ExtDef kIcmp{"icmp", false, kIcmpOpts, true, icmp_parse, nullptr};
constexpr ExtDef kIcmp6{"icmp6", false, kIcmp6Opts, true, icmp_parse, nullptr};
constexpr ExtDef kMultiport{"multiport", false, kMultiportOpts, true, multiport_parse, multiport_final};
constexpr ExtDef kMark{"mark", false, kMarkOpts, true, mark_parse, nullptr};
constexpr ExtDef kDscp{"dscp", false, kDscpOpts, true, dscp_parse, dscp_final};
constexpr ExtDef kTos{"tos", false, kTosOpts, true, tos_parse, nullptr};
constexpr ExtDef kLength{"length", false, kLengthOpts, true, length_parse, nullptr};
constexpr ExtDef kStringDef{"string", false, kStringOpts, true, string_parse, string_final};
constexpr ExtDef kMarkTg{"MARK", true, kMarkTgOpts, true, mark_tg_parse, mark_tg_final};
constexpr ExtDef kDscpTg{"DSCP", true, kDscpTgOpts, true, dscp_tg_parse, dscp_tg_final};
constexpr ExtDef kReject{"REJECT", true, kRejectOpts, true, reject_parse, nullptr};

constexpr const ExtDef* kMatchDefs[] = {&kTcp, &kUdp, &kSctp, &kIcmp, &kIcmp6, &kMultiport, &kMark, &kDscp, &kTos, &kLength, &kStringDef};
constexpr const ExtDef* kTargetDefs[] = {&kMarkTg, &kDscpTg, &kReject};

}  // namespace

const ExtDef* find_match(std::string_view name, ws::Family f) {
    if (name == "icmp" && f == ws::Family::kInet6) return nullptr;
    if (name == "icmp6" && f != ws::Family::kInet6) return nullptr;
    for (const ExtDef* d : kMatchDefs)
        if (d->name == name) return d;
    return nullptr;
}

const ExtDef* find_target(std::string_view name, ws::Family) {
    for (const ExtDef* d : kTargetDefs)
        if (d->name == name) return d;
    return nullptr;
}

Loaded load(const ExtDef& d, ws::Family f) {
    Loaded l;
    l.def = &d;
    l.family = f;
    if (&d == &kTcp || &d == &kUdp || &d == &kSctp) {
        IptPortsMatch m;
        m.proto = &d == &kTcp ? 6 : &d == &kUdp ? 17 : 132;
        l.match = m;
    } else if (&d == &kIcmp || &d == &kIcmp6) {
        IptIcmpMatch m;
        m.v6 = &d == &kIcmp6;
        l.match = m;
    } else if (&d == &kMultiport) {
        l.match = IptMultiportMatch{};
    } else if (&d == &kMark) {
        l.match = IptMarkMatch{};
    } else if (&d == &kDscp) {
        l.match = IptDscpMatch{};
    } else if (&d == &kTos) {
        l.match = IptTosMatch{};
    } else if (&d == &kLength) {
        l.match = IptLengthMatch{};
    } else if (&d == &kStringDef) {
        l.match = IptStringMatch{};
        std::get<IptStringMatch>(l.match).algo.clear();
    } else if (&d == &kMarkTg) {
        l.target.kind = IptTargetKind::kMark;
    } else if (&d == &kDscpTg) {
        l.target.kind = IptTargetKind::kDscp;
    } else if (&d == &kReject) {
        l.target.kind = IptTargetKind::kReject;
        l.target.reject = ipt_words::default_reject(f);
    }
    return l;
}

ws::Status parse_option(Loaded& l, const ExtOption& o, std::string_view arg, bool invert, const RuleSoFar& r) {
    if (l.def->xtopt) {
        const std::string name(canonical(*l.def, o.id));
        if ((l.xflags & bit(o.id)))
            return problem(ext_prefix(l) + "option \"--" + name + "\" can only be used once.", o.name);
        if (invert && !(o.flags & kInvert))
            return problem(ext_prefix(l) + "option \"--" + name + "\" cannot be inverted.", o.name);
    }
    WS_TRY(l.def->parse(l, o, arg, invert, r));
    if (l.def->xtopt) l.xflags |= bit(o.id);
    return {};
}

ws::Status final_check(Loaded& l) {
    if (l.def->final_check) WS_TRY(l.def->final_check(l));
    if (!l.def->xtopt) return {};
    // xtables_options_fcheck(): in table order, a missing mandatory option, then an excluded one.
    for (const auto& e : l.def->options) {
        if ((e.flags & kMand) && !(l.xflags & bit(e.id)))
            return problem(ext_prefix(l) + "option \"--" + std::string(e.name) + "\" must be specified", e.name);
        if (!(l.xflags & bit(e.id))) continue;
        for (unsigned i = 0; i < 32; ++i) {
            if (i == e.id || !(e.excl & bit(i)) || !(l.xflags & bit(i))) continue;
            return problem(ext_prefix(l) + "option \"--" + std::string(e.name) + "\" cannot be used together with \"--" +
                               std::string(canonical(*l.def, uint8_t(i))) + "\".",
                           e.name);
        }
    }
    return {};
}

}  // namespace ctl::ipt_ext
