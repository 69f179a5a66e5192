#pragma once
// PortSelector<Derived> — the shared body of `sport A[-B]` and `dport A[-B]`: an inclusive
// range, 1 <= A <= B <= 65534. No `ipproto` means any protocol's port field.
#include "selectors/selector_util.h"

namespace sel {

template <class Derived>
struct PortSelector {
    PortRange range;

    static ws::Result<Derived> parse(ws::Tokens& t, const ParseContext&) {
        auto w = t.value_of(Derived::kKeywords[0]);
        if (!w) return w.error();
        auto r = PortRange::parse(*w, Derived::kKeywords[0]);
        if (!r) return r.error();
        Derived d;
        d.range = *r;
        return d;
    }
    bool present() const { return true; }
    void format(std::string& out) const { out += std::string(Derived::kKeywords[0]) + " " + range.format() + " "; }
    void to_json(ws::JsonObject& o) const { range.to_json(o, Derived::kKeywords[0]); }
    bool operator==(const PortSelector&) const = default;
};

}  // namespace sel
