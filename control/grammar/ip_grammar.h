#pragma once
// The iproute2 command grammar: `ip rule`, `ip route` and `ip route get` arguments parsed into
// requests, following iproute2's iprule_modify()/iproute_modify()/iproute_get() (keywords,
// defaults and number bases). Device names stay names here; the model resolves them.
#include <optional>
#include <string>

#include "common/tokens.h"
#include "control/model/model.h"
#include "selectors/selector_util.h"

namespace ctl {

// `ip rule add|del ...` arguments (after the verb).
ws::Result<RuleRequest> parse_rule(ws::Tokens& t, const sel::ParseContext& ctx);

enum class RouteVerb : uint8_t { kAdd, kDel };
// `ip route add|append|prepend|replace|del ...` arguments (after the verb). Defaults as
// iproute2: protocol boot, scope link for a device route, host for local, global otherwise.
ws::Result<RouteRequest> parse_route(ws::Tokens& t, const sel::ParseContext& ctx, RouteVerb verb);

// `ip route flush ...` / `ip route show ...` selection.
struct RouteFilter {
    std::optional<uint32_t> table;         // kTableAll for `table all`; nullopt: main
    std::optional<ws::InetPrefix> prefix;
    std::optional<uint8_t> protocol;
    std::optional<std::string> dev;
    std::optional<dp::RouteType> type;
    bool cache = false;                    // `ip route flush cache`: nothing to do
};
ws::Result<RouteFilter> parse_route_filter(ws::Tokens& t, const sel::ParseContext& ctx);

// `ip route get ...` arguments (after "get").
struct RouteGetRequest {
    ws::InetAddr dst;
    std::optional<ws::InetAddr> from;
    std::optional<std::string> iif, oif;
    uint32_t mark = 0;
    uint8_t tos = 0;
    std::optional<uint8_t> ipproto;
    uint16_t sport = 0, dport = 0;
    std::optional<uint32_t> uid;
    bool fibmatch = false;
};
ws::Result<RouteGetRequest> parse_route_get(ws::Tokens& t, const sel::ParseContext& ctx);

}  // namespace ctl
