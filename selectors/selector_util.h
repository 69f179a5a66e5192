#pragma once
// Helpers shared by the selectors: port ranges, masks, and the parse context.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/inet.h"
#include "common/json.h"
#include "common/names.h"
#include "common/tokens.h"
#include "selectors/flow_key.h"

namespace sel {

struct ParseContext {
    ws::Family family = ws::Family::kInet;
    const ws::Names* names = nullptr;
};

// "A" or "A-B", 1 <= A <= B <= 65534 (the kernel's fib_rule_port_range_valid()).
struct PortRange {
    uint16_t start = 0;
    uint16_t end = 0;

    static ws::Result<PortRange> parse(std::string_view word, std::string_view what);
    bool contains(uint16_t p) const { return start <= p && p <= end; }
    std::string format() const {
        return start == end ? std::to_string(start) : std::to_string(start) + "-" + std::to_string(end);
    }
    // iproute2 prints "sport": N for a single port, else "sport_start"/"sport_end".
    void to_json(ws::JsonObject& o, std::string_view key) const {
        if (start == end) {
            o.num(key, start);
        } else {
            o.num(std::string(key) + "_start", start);
            o.num(std::string(key) + "_end", end);
        }
    }
    bool operator==(const PortRange&) const = default;
};

std::string hex(uint32_t v);  // "%#x": 0 prints "0"

}  // namespace sel
