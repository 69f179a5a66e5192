#pragma once
// PrefixSelector<Tag> — the shared body of `from PREFIX` and `to PREFIX`.
//
// Host bits are kept for display (`from 10.9.0.5/24` prints as given) and ignored for matching,
// as fib4_rule_match() masks both sides. A zero-length prefix is no selector at all ("from all").
// IPv6 `from` needs a source in the flow (RT6_LOOKUP_F_HAS_SADDR): an output lookup without one
// never matches it (reference §1.7).
#include "selectors/selector_util.h"

namespace sel {

template <class Derived>
struct PrefixSelector {
    ws::InetPrefix prefix;

    static ws::Result<Derived> parse(ws::Tokens& t, const ParseContext& ctx) {
        auto w = t.value_of(Derived::kKeywords[0]);
        if (!w) return w.error();
        auto p = ws::InetPrefix::parse(*w, ctx.family);
        if (!p) return ws::invalid_arg(Derived::kKeywords[0], *w);
        Derived d;
        d.prefix = *p;
        return d;
    }
    bool present() const { return prefix.len != 0; }
    void format(std::string& out) const { out += std::string(Derived::kKeywords[0]) + " " + prefix.format() + " "; }
    void to_json(ws::JsonObject& o) const {
        o.str(Derived::kJsonKey, prefix.addr.format());
        if (!prefix.is_host()) o.num(std::string(Derived::kJsonKey) + "len", prefix.len);
    }
    bool operator==(const PrefixSelector&) const = default;
};

}  // namespace sel
