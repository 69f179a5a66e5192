#pragma once
// fwmark — matches the packet mark under a mask (ip rule add fwmark 0x10/0xff ...).
//
// With no mask the kernel takes 0xffffffff when the value is non-zero; `fwmark 0` alone leaves
// mask 0 and is no selector at all (fib_nl2rule). Match: ((flow.mark ^ value) & mask) == 0.
#include "selectors/selector_util.h"

namespace sel {

struct Fwmark {
    static constexpr std::string_view kKeywords[] = {"fwmark"};
    uint32_t value = 0;
    uint32_t mask = 0;

    static ws::Result<Fwmark> parse(ws::Tokens& t, const ParseContext&) {
        auto w = t.value_of("fwmark");
        if (!w) return w.error();
        auto slash = w->find('/');
        auto v = ws::parse_u32(w->substr(0, slash), "fwmark");
        if (!v) return v.error();
        Fwmark f;
        f.value = *v;
        f.mask = f.value ? 0xffffffffu : 0;
        if (slash != std::string_view::npos) {
            auto m = ws::parse_u32(w->substr(slash + 1), "fwmask");
            if (!m) return m.error();
            f.mask = *m;
        }
        return f;
    }
    bool present() const { return value != 0 || mask != 0; }
    void format(std::string& out) const {
        out += "fwmark " + hex(value);
        if (mask != 0xffffffffu) out += "/" + hex(mask);
        out += " ";
    }
    // Always with the mask: `fwmark 0` alone would parse back as no selector at all.
    void format_input(std::string& out) const { out += "fwmark " + hex(value) + "/" + hex(mask) + " "; }
    void to_json(ws::JsonObject& o) const {
        o.str("fwmark", hex(value));
        if (mask != 0xffffffffu) o.str("fwmask", hex(mask));
    }
    bool matches(const FlowKey& k) const { return ((k.mark ^ value) & mask) == 0; }
    bool operator==(const Fwmark&) const = default;
};

}  // namespace sel
