#pragma once
// AllSelectors — the one list of rule selectors. The rule parser, printer (text and JSON),
// matcher, equality for `ip rule del`, and the tests all iterate over it, so a new selector is
// one file pair plus one entry here. The order is iproute2's print order (print_rule()).
#include <optional>
#include <tuple>

#include "selectors/dport.h"
#include "selectors/from.h"
#include "selectors/fwmark.h"
#include "selectors/iif.h"
#include "selectors/ip_proto.h"
#include "selectors/oif.h"
#include "selectors/sport.h"
#include "selectors/to.h"
#include "selectors/tos.h"
#include "selectors/uidrange.h"

namespace sel {

template <class... Ts>
struct TypeList {};

using AllSelectors = TypeList<From, To, Tos, Fwmark, Iif, Oif, Uidrange, IpProto, Sport, Dport>;

template <class List>
struct OptionalTuple;
template <class... Ts>
struct OptionalTuple<TypeList<Ts...>> {
    using type = std::tuple<std::optional<Ts>...>;
};

// One optional of each selector: absent means "any".
struct SelectorSet {
    OptionalTuple<AllSelectors>::type s;

    template <class S>
    std::optional<S>& get() { return std::get<std::optional<S>>(s); }
    template <class S>
    const std::optional<S>& get() const { return std::get<std::optional<S>>(s); }

    template <class F>
    void for_each(F&& f) const {
        std::apply([&](const auto&... o) { (f(o), ...); }, s);
    }
    template <class F>
    void for_each(F&& f) {
        std::apply([&](auto&... o) { (f(o), ...); }, s);
    }

    // All present selectors match (the rule's `not` is applied by the caller).
    bool matches(const FlowKey& k) const {
        return std::apply([&](const auto&... o) { return ((!o || o->matches(k)) && ...); }, s);
    }

    // Tries every selector's keywords at the cursor. Returns true and stores the selector when
    // one matched; false when the word is no selector keyword.
    ws::Result<bool> parse_one(ws::Tokens& t, const ParseContext& ctx) {
        std::string_view word = t.peek();
        bool found = false;
        ws::Error err;
        bool failed = false;
        for_each([&](auto& o) {
            using S = typename std::decay_t<decltype(o)>::value_type;
            if (found) return;
            for (auto kw : S::kKeywords) {
                if (kw != word) continue;
                found = true;
                t.next();  // the keyword; parse() reads its value
                auto r = S::parse(t, ctx);
                if (!r) {
                    err = r.error();
                    failed = true;
                    return;
                }
                if (r->present()) o = std::move(*r);
                else o.reset();
                return;
            }
        });
        if (failed) return err;
        return found;
    }

    void format(std::string& out, const ws::Names& names) const {
        for_each([&](const auto& o) {
            if (!o) return;
            if constexpr (requires { o->format(out, names); }) o->format(out, names);
            else o->format(out);
        });
    }
    // The form `ip rule add` parses back to the same selectors: format(), except where the
    // display drops information (a selector's format_input(), e.g. fwmark 0 under a full mask).
    void format_input(std::string& out, const ws::Names& names) const {
        for_each([&](const auto& o) {
            if (!o) return;
            if constexpr (requires { o->format_input(out); }) o->format_input(out);
            else if constexpr (requires { o->format(out, names); }) o->format(out, names);
            else o->format(out);
        });
    }
    void to_json(ws::JsonObject& j, const ws::Names& names) const {
        for_each([&](const auto& o) {
            if (!o) return;
            if constexpr (requires { o->to_json(j, names); }) o->to_json(j, names);
            else o->to_json(j);
        });
    }

    bool operator==(const SelectorSet& o) const { return s == o.s; }
};

}  // namespace sel
