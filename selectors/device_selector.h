#pragma once
// DeviceSelector<Derived> — the shared body of `iif NAME` and `oif NAME`.
//
// The name is resolved to an ifindex when the rule set is compiled. A name with no device is
// kept "detached" (shown `iif X [detached]`) and never matches, as the kernel does until a
// device of that name appears (fib_rules.c attach_rules/detach_rules).
#include "selectors/selector_util.h"

namespace sel {

inline constexpr uint32_t kDetachedIfindex = 0xffffffffu;

template <class Derived>
struct DeviceSelector {
    std::string name;
    uint32_t ifindex = kDetachedIfindex;  // resolved against the links

    static ws::Result<Derived> parse(ws::Tokens& t, const ParseContext&) {
        auto w = t.value_of(Derived::kKeywords[0]);
        if (!w) return w.error();
        if (w->empty() || w->size() >= 16) return ws::invalid_arg("dev", *w);  // IFNAMSIZ
        Derived d;
        d.name = std::string(*w);
        return d;
    }
    bool present() const { return true; }
    bool detached() const { return ifindex == kDetachedIfindex; }
    void format(std::string& out) const {
        out += std::string(Derived::kKeywords[0]) + " " + name + " ";
        if (detached()) out += "[detached] ";
    }
    void to_json(ws::JsonObject& o) const {
        o.str(Derived::kKeywords[0], name);
        if (detached()) o.null(std::string(Derived::kKeywords[0]) + "_detached");
    }
    // Equality is by name: `ip rule del iif X` finds the rule whatever X's state.
    bool operator==(const DeviceSelector& o) const { return name == o.name; }
};

}  // namespace sel
