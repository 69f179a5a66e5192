#include "common/tokens.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ws {

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
        if (i >= line.size()) break;
        if (line[i] == '\'' || line[i] == '"') {
            char q = line[i++];
            size_t start = i;
            while (i < line.size() && line[i] != q) ++i;
            out.push_back(line.substr(start, i - start));
            if (i < line.size()) ++i;
            continue;
        }
        size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n') ++i;
        out.push_back(line.substr(start, i - start));
    }
    return out;
}

Error invalid_arg(std::string_view what, std::string_view token) {
    return make_error(Errc::kInvalid, "\"" + std::string(what) + "\" value is invalid: \"" + std::string(token) + "\"",
                      std::string(token));
}

namespace {

Result<uint64_t> parse_unsigned(std::string_view s, std::string_view what, int base, uint64_t max) {
    if (s.empty() || s.size() > 40 || s[0] == '-' || s[0] == '+' || s[0] == ' ') return invalid_arg(what, s);
    char buf[48];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(buf, &end, base);
    if (errno != 0 || end != buf + s.size() || v > max) return invalid_arg(what, s);
    return uint64_t(v);
}

}  // namespace

Result<uint32_t> parse_u32(std::string_view s, std::string_view what) {
    auto r = parse_unsigned(s, what, 0, 0xffffffffull);
    if (!r) return r.error();
    return uint32_t(*r);
}

Result<uint64_t> parse_u64(std::string_view s, std::string_view what) {
    return parse_unsigned(s, what, 0, ~0ull);
}

Result<uint32_t> parse_u32_dec(std::string_view s, std::string_view what) {
    auto r = parse_unsigned(s, what, 10, 0xffffffffull);
    if (!r) return r.error();
    return uint32_t(*r);
}

}  // namespace ws
