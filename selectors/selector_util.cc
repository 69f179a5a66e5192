#include "selectors/selector_util.h"

#include <cstdio>

namespace sel {

ws::Result<PortRange> PortRange::parse(std::string_view word, std::string_view what) {
    auto dash = word.find('-');
    auto a = ws::parse_u32_dec(word.substr(0, dash), what);
    if (!a) return ws::invalid_arg(what, word);
    uint32_t b = *a;
    if (dash != std::string_view::npos) {
        auto r = ws::parse_u32_dec(word.substr(dash + 1), what);
        if (!r) return ws::invalid_arg(what, word);
        b = *r;
    }
    if (*a < 1 || b > 65534 || *a > b)
        return ws::make_error(ws::Errc::kInvalid, "Invalid " + std::string(what) + " range.", std::string(word));
    return PortRange{uint16_t(*a), uint16_t(b)};
}

std::string hex(uint32_t v) {
    char buf[16];
    snprintf(buf, sizeof(buf), "%#x", v);
    return buf;
}

}  // namespace sel
