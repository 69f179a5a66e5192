#include "selectors/tos.h"

#include <cstdlib>

namespace sel {

ws::Result<uint8_t> parse_dsfield(std::string_view word, const ws::Names& names) {
    if (auto id = names.dsfield.id_of(word)) return uint8_t(*id);
    std::string s(word);
    char* end = nullptr;
    unsigned long v = std::strtoul(s.c_str(), &end, 16);
    if (s.empty() || !end || *end || v > 255) return ws::invalid_arg("TOS", word);
    return uint8_t(v);
}

ws::Result<Tos> Tos::parse(ws::Tokens& t, const ParseContext& ctx) {
    auto w = t.value_of("tos");
    if (!w) return w.error();
    auto v = parse_dsfield(*w, *ctx.names);
    if (!v) return v.error();
    Tos s;
    s.tos = *v;
    s.v6 = ctx.family == ws::Family::kInet6;
    if (s.tos & 0x03)
        return ws::make_error(ws::Errc::kInvalid, "Invalid dsfield (tos): ECN bits must be 0.", std::string(*w));
    if (!s.v6 && (s.tos & ~0x1eu)) return ws::make_error(ws::Errc::kInvalid, "Invalid tos.", std::string(*w));
    return s;
}

}  // namespace sel
