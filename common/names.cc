#include "common/names.h"

#include <netdb.h>

#include <cstdio>
#include <fstream>

#include "common/tokens.h"

namespace ws {

void NameTable::define(uint32_t id, std::string name) {
    by_name_.emplace_back(name, id);
    by_id_[id] = std::move(name);
}

std::optional<uint32_t> NameTable::id_of(std::string_view name) const {
    for (const auto& [n, id] : by_name_)
        if (n == name) return id;
    return std::nullopt;
}

const std::string* NameTable::name_of(uint32_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

Names Names::builtin() {
    Names n;
    n.tables.define(0, "unspec");
    n.tables.define(253, "default");
    n.tables.define(254, "main");
    n.tables.define(255, "local");
    static const std::pair<uint8_t, const char*> kProtos[] = {
        {0, "unspec"}, {1, "redirect"}, {2, "kernel"}, {3, "boot"}, {4, "static"}, {8, "gated"},
        {9, "ra"}, {10, "mrt"}, {11, "zebra"}, {12, "bird"}, {13, "dnrouted"}, {14, "xorp"},
        {15, "ntk"}, {16, "dhcp"}, {18, "keepalived"}, {42, "babel"}, {99, "openr"}, {186, "bgp"},
        {187, "isis"}, {188, "ospf"}, {189, "rip"}, {192, "eigrp"},
    };
    for (auto [id, name] : kProtos) n.protos.define(id, name);
    n.scopes.define(0, "global");
    n.scopes.define(200, "site");
    n.scopes.define(253, "link");
    n.scopes.define(254, "host");
    n.scopes.define(255, "nowhere");
    // Debian's /etc/iproute2/rt_dsfield.
    static const std::pair<uint8_t, const char*> kDsfield[] = {
        {0x00, "default"}, {0x28, "AF11"}, {0x30, "AF12"}, {0x38, "AF13"}, {0x48, "AF21"}, {0x50, "AF22"},
        {0x58, "AF23"},    {0x68, "AF31"}, {0x70, "AF32"}, {0x78, "AF33"}, {0x88, "AF41"}, {0x90, "AF42"},
        {0x98, "AF43"},    {0x20, "CS1"},  {0x40, "CS2"},  {0x60, "CS3"},  {0x80, "CS4"},  {0xA0, "CS5"},
        {0xC0, "CS6"},     {0xE0, "CS7"},  {0xB8, "EF"},
    };
    for (auto [id, name] : kDsfield) n.dsfield.define(id, name);
    return n;
}

Result<std::string> Names::load_rt_tables(const std::string& path) {
    std::ifstream in(path);
    if (!in) return make_error(Errc::kIo, "cannot read rt_tables file \"" + path + "\"", path);
    std::string line;
    while (std::getline(in, line)) {
        size_t i = line.find_first_not_of(" \t");
        if (i == std::string::npos || line[i] == '#' || line[i] == '\n') continue;
        // iproute2: sscanf "0x%x %s\n", "0x%x %s #", "%d %s\n", "%d %s #".
        std::string_view rest(line);
        rest.remove_prefix(i);
        auto words = split_words(rest);
        // sscanf("%d %s") reads the first two words; anything after them is ignored.
        bool ok = words.size() >= 2;
        long long id = -1;
        if (ok) {
            std::string num(words[0]);
            char* end = nullptr;
            if (num.rfind("0x", 0) == 0) {
                id = std::strtoll(num.c_str() + 2, &end, 16);
            } else {
                id = std::strtoll(num.c_str(), &end, 10);
                if (id > 0x7fffffffLL) id = -1;  // %d overflows: iproute2 ignores the line
            }
            if (!end || *end) ok = false;
        }
        if (!ok) return "Database " + path + " is corrupted at " + line;
        if (id < 0 || id > 0xffffffffLL) continue;
        tables.define(uint32_t(id), std::string(words[1]));
    }
    return std::string();
}

Result<uint32_t> Names::table_id(std::string_view word) const {
    if (auto id = tables.id_of(word)) return *id;
    auto r = parse_u32(word, "table");
    if (!r) return invalid_arg("table", word);
    return *r;
}

namespace {

Result<uint8_t> byte_id(const NameTable& t, std::string_view word, std::string_view what) {
    if (auto id = t.id_of(word)) return uint8_t(*id);
    auto r = parse_u32(word, what);
    if (!r || *r > 255) return invalid_arg(what, word);
    return uint8_t(*r);
}

std::string byte_name(const NameTable& t, uint8_t id) {
    if (auto* n = t.name_of(id)) return *n;
    return std::to_string(id);
}

}  // namespace

Result<uint8_t> Names::proto_id(std::string_view word) const { return byte_id(protos, word, "protocol"); }
Result<uint8_t> Names::scope_id(std::string_view word) const { return byte_id(scopes, word, "scope"); }
Result<uint8_t> Names::dsfield_id(std::string_view word) const { return byte_id(dsfield, word, "TOS"); }

std::string Names::table_name(uint32_t id) const {
    if (auto* n = tables.name_of(id)) return *n;
    return std::to_string(id);
}
std::string Names::proto_name(uint8_t id) const { return byte_name(protos, id); }
std::string Names::scope_name(uint8_t id) const { return byte_name(scopes, id); }
std::string Names::dsfield_name(uint8_t id) const {
    if (auto* n = dsfield.name_of(id)) return *n;
    char buf[8];
    snprintf(buf, sizeof(buf), "0x%02x", id);
    return buf;
}

Result<uint8_t> ip_proto_id(std::string_view word) {
    std::string w(word);
    if (const protoent* pe = getprotobyname(w.c_str())) return uint8_t(pe->p_proto);
    auto r = parse_u32(word, "ipproto");
    if (!r || *r > 255) return invalid_arg("ipproto", word);
    return uint8_t(*r);
}

std::string ip_proto_name(uint8_t proto) {
    if (const protoent* pe = getprotobynumber(proto)) return pe->p_name;
    return std::to_string(proto);
}

}  // namespace ws
