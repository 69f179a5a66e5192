#pragma once
// ReasonInfo — the one row every named reason table has (drop reasons of the dataplane, ESP's
// refusals in crypto/): the enum value, a kebab-case name for counters, a severity, and a
// one-line description (STYLE 24).
#include <cstdint>
#include <string_view>

namespace ws {

// kInfo: a normal event; kWarning: a peer's (or an attacker's) bad packet; kError: a local
// problem (configuration, resources).
enum class Severity : uint8_t { kInfo, kWarning, kError };

template <class Reason>
struct ReasonInfo {
    Reason reason;
    std::string_view name;
    Severity severity;
    std::string_view description;
};

}  // namespace ws
