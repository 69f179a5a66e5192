#pragma once
// RouteType — Linux's route types (rtm_type), one row each in kRouteTypes.
//
// The lookup switches on Disposition, never on RouteType; a new route type is one row here.
// Errors are the kernel's fib_props[] (fib_semantics.c): blackhole EINVAL, unreachable
// EHOSTUNREACH, prohibit EACCES, throw EAGAIN ("continue the rule walk"), nat EINVAL.
#include <cerrno>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace dp {

enum class RouteType : uint8_t {
    kUnspec = 0,
    kUnicast = 1,
    kLocal = 2,
    kBroadcast = 3,
    kAnycast = 4,
    kMulticast = 5,
    kBlackhole = 6,
    kUnreachable = 7,
    kProhibit = 8,
    kThrow = 9,
    kNat = 10,
    kXresolve = 11,
};
inline constexpr unsigned kRouteTypeCount = 12;

enum class Disposition : uint8_t {
    kForward,    // to a nexthop
    kLocal,      // to the host itself (local, broadcast, multicast, anycast)
    kError,      // stop the lookup with `error` (blackhole, unreachable, prohibit, nat)
    kThrow,      // continue with the next rule
};

// Route scopes (rtm_scope).
inline constexpr uint8_t kScopeUniverse = 0;
inline constexpr uint8_t kScopeSite = 200;
inline constexpr uint8_t kScopeLink = 253;
inline constexpr uint8_t kScopeHost = 254;
inline constexpr uint8_t kScopeNowhere = 255;

struct RouteTypeInfo {
    RouteType type;
    std::string_view name;
    Disposition disposition;
    int error;          // positive errno the lookup returns; 0 when it succeeds
    uint8_t min_scope;  // the narrowest scope a route of this type may have... (fib_props scope)
};

inline constexpr RouteTypeInfo kRouteTypes[] = {
    {RouteType::kUnspec, "none", Disposition::kError, EINVAL, kScopeNowhere},
    {RouteType::kUnicast, "unicast", Disposition::kForward, 0, kScopeUniverse},
    {RouteType::kLocal, "local", Disposition::kLocal, 0, kScopeHost},
    {RouteType::kBroadcast, "broadcast", Disposition::kLocal, 0, kScopeLink},
    {RouteType::kAnycast, "anycast", Disposition::kLocal, 0, kScopeLink},
    {RouteType::kMulticast, "multicast", Disposition::kLocal, 0, kScopeUniverse},
    {RouteType::kBlackhole, "blackhole", Disposition::kError, EINVAL, kScopeUniverse},
    {RouteType::kUnreachable, "unreachable", Disposition::kError, EHOSTUNREACH, kScopeUniverse},
    {RouteType::kProhibit, "prohibit", Disposition::kError, EACCES, kScopeUniverse},
    {RouteType::kThrow, "throw", Disposition::kThrow, EAGAIN, kScopeUniverse},
    {RouteType::kNat, "nat", Disposition::kError, EINVAL, kScopeNowhere},
    {RouteType::kXresolve, "xresolve", Disposition::kError, EINVAL, kScopeNowhere},
};
static_assert(std::size(kRouteTypes) == kRouteTypeCount, "one row per RouteType");

constexpr const RouteTypeInfo& route_type_info(RouteType t) { return kRouteTypes[static_cast<unsigned>(t)]; }

// A route type by name, for the parser; kUnspec when the word is none.
constexpr RouteType route_type_by_name(std::string_view name) {
    for (const auto& row : kRouteTypes)
        if (row.name == name && row.type != RouteType::kUnspec) return row.type;
    return RouteType::kUnspec;
}

}  // namespace dp
