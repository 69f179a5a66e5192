#pragma once
// NameTable / Names — iproute2's number<->name databases: rt_tables, rt_protos, rt_scopes,
// rt_dsfield, and IP protocol names.
//
// Semantics follow iproute2's lib/rt_names.c: name -> id takes the first definition of the name;
// id -> name takes the last definition of the id; a word that is not a name is read as a number
// with strtoul(base 0). A corrupt rt_tables line stops reading that file (iproute2 prints
// "Database ... is corrupted at ..." and keeps what it had).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ws {

class NameTable {
public:
    void define(uint32_t id, std::string name);
    std::optional<uint32_t> id_of(std::string_view name) const;
    const std::string* name_of(uint32_t id) const;

private:
    std::vector<std::pair<std::string, uint32_t>> by_name_;  // in definition order
    std::map<uint32_t, std::string> by_id_;
};

struct Names {
    NameTable tables;
    NameTable protos;
    NameTable scopes;
    NameTable dsfield;

    // The built-in names iproute2 knows without any file.
    static Names builtin();
    // Reads an rt_tables file (ID NAME per line, '#' comments). Returns a warning text when the
    // file is corrupt at some line (reading stops there), an error when it cannot be read.
    Result<std::string> load_rt_tables(const std::string& path);

    // Parsers: a name, or a number in base 0. Errors name the token.
    Result<uint32_t> table_id(std::string_view word) const;
    Result<uint8_t> proto_id(std::string_view word) const;
    Result<uint8_t> scope_id(std::string_view word) const;
    Result<uint8_t> dsfield_id(std::string_view word) const;

    std::string table_name(uint32_t id) const;
    std::string proto_name(uint8_t id) const;
    std::string scope_name(uint8_t id) const;
    std::string dsfield_name(uint8_t id) const;
};

// IP protocol numbers by name (/etc/protocols, as iproute2's inet_proto_a2n()).
Result<uint8_t> ip_proto_id(std::string_view word);
std::string ip_proto_name(uint8_t proto);

}  // namespace ws
