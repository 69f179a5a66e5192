#pragma once
// uidrange — matches the socket's uid (ip rule add uidrange 1000-1999 ...). Forwarded packets
// carry uid 0 (the namespace owner), as the kernel's input path does.
#include <cstdio>

#include "selectors/selector_util.h"

namespace sel {

struct Uidrange {
    static constexpr std::string_view kKeywords[] = {"uidrange"};
    uint32_t start = 0;
    uint32_t end = 0;

    static ws::Result<Uidrange> parse(ws::Tokens& t, const ParseContext&) {
        auto w = t.value_of("uidrange");
        if (!w) return w.error();
        auto dash = w->find('-');
        if (dash == std::string_view::npos) return ws::invalid_arg("uidrange", *w);
        auto a = ws::parse_u32_dec(w->substr(0, dash), "uidrange");
        auto b = ws::parse_u32_dec(w->substr(dash + 1), "uidrange");
        if (!a || !b) return ws::invalid_arg("uidrange", *w);
        // fib_nl2rule(): 0-4294967295 is the "unset" range, refused like a reversed one.
        if (*a > *b || (*a == 0 && *b == 0xffffffffu))
            return ws::make_error(ws::Errc::kInvalid, "Invalid uid range.", std::string(*w));
        return Uidrange{*a, *b};
    }
    bool present() const { return true; }
    void format(std::string& out) const { out += "uidrange " + std::to_string(start) + "-" + std::to_string(end) + " "; }
    void to_json(ws::JsonObject& o) const {
        o.num("uid_start", start);
        o.num("uid_end", end);
    }
    bool matches(const FlowKey& k) const { return start <= k.uid && k.uid <= end; }
    bool operator==(const Uidrange&) const = default;
};

}  // namespace sel
