#pragma once
// Model — the mutable configuration: links and addresses, and per family the rule list and the
// routing tables, changed by the commands of the language and compiled into snapshots.
//
// Every mutation has Linux's semantics and errors (reference §1-§2): rule priorities are
// auto-assigned as fib_default_rule_pref(), addresses create the kernel's local, broadcast and
// prefix routes, a gateway must be reachable through a link-scope route, a `src` must be local.
// A batch is applied to a copy of the model and kept only if every command succeeded
// (control/config.h), so a failing batch changes nothing.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/names.h"
#include "common/result.h"
#include "control/model/firewall_model.h"
#include "control/model/route_table.h"
#include "control/model/xfrm_model.h"
#include "dataplane/tables/fib_lookup.h"
#include "dataplane/tables/interfaces.h"

namespace ctl {

// What `ip link add NAME type ...` declared.
struct LinkSpec {
    std::string name;
    std::string kind;        // dpdk, host, dummy, xfrm, gre
    std::string devargs;     // dpdk
    uint32_t if_id = 0;      // xfrm
    ws::InetAddr gre_local, gre_remote;
    std::optional<uint32_t> gre_key;
    std::string address;     // ip link set NAME address MAC
    // sysctl net.ipv4/ipv6.conf.NAME.ignore_routes_with_linkdown, [inet, inet6]
    std::array<bool, 2> ignore_linkdown{};
};

struct Neighbour {
    ws::InetAddr addr;
    std::string lladdr;
    uint32_t ifindex = 0;
    std::string state = "PERMANENT";
};

struct FamilyModel {
    std::vector<dp::Rule> rules;
    std::map<uint32_t, RouteTable> tables;
    std::set<uint32_t> existing_tables;  // tables once created (fib_new_table), even if empty now
    std::map<uint32_t, uint64_t> created;  // table id -> creation sequence (the dump order)
    bool custom_rules = false;
    bool custom_local_routes = false;

    // The RuleSet concept of fib_lookup.h.
    size_t size() const { return rules.size(); }
    const dp::Rule& rule(size_t i) const { return rules[i]; }
    const RouteTable* table_of(size_t i) const {
        auto it = tables.find(rules[i].table);
        return it == tables.end() ? nullptr : &it->second;
    }
    const RouteTable* table_by_id(uint32_t id) const {
        auto it = tables.find(id);
        return it == tables.end() ? nullptr : &it->second;
    }
    RouteTable& table(uint32_t id) {
        if (existing_tables.insert(id).second) created.emplace(id, created.size());
        return tables[id];
    }
    void resolve_gotos();
};

// A rule request: the rule plus which optional fields were given (for del's wildcards).
struct RuleRequest {
    dp::Rule rule;
    bool has_priority = false;
    bool has_table = false;
    bool has_action = false;
};

// A route request: the route, the device names to resolve, and which fields were given.
struct RouteRequest {
    dp::Route route;
    std::vector<std::string> nh_dev;   // per nexthop, "" when not given
    bool has_table = false;
    bool has_type = false;
    bool has_scope = false;
    bool has_proto = false;
};

// rule_exists(): every attribute equal, priority included (an add of such a rule is EEXIST).
bool rule_identical(const dp::Rule& a, const dp::Rule& b);
// rule_find(): the attributes the request gives all match (`ip rule del`).
bool rule_matches_request(const dp::Rule& r, const RuleRequest& req);

struct RouteFlushFilter {
    std::optional<uint32_t> table;     // nullopt: main; kTableAll: every table
    std::optional<ws::InetPrefix> prefix;  // root: PREFIX and everything inside it
    std::optional<uint8_t> protocol;
    std::optional<std::string> dev;
    std::optional<dp::RouteType> type;
};
inline constexpr uint32_t kTableAll = 0;

class Model {
public:
    Model();

    ws::Names names = ws::Names::builtin();
    dp::Interfaces ifs;
    std::vector<LinkSpec> specs;  // parallel to ifs.links (lo has kind "loopback")
    FamilyModel v4, v6;
    std::vector<Neighbour> neighbours;
    Sad sad;  // ip xfrm state
    Spd spd;  // ip xfrm policy
    Firewall firewall;  // iptables, ip6tables

    FamilyModel& family(ws::Family f) { return f == ws::Family::kInet6 ? v6 : v4; }
    const FamilyModel& family(ws::Family f) const { return f == ws::Family::kInet6 ? v6 : v4; }

    ws::Status link_add(LinkSpec spec);
    ws::Status link_set_up(const std::string& name, bool up);
    ws::Status link_set_mtu(const std::string& name, uint32_t mtu);
    ws::Status link_set_address(const std::string& name, const std::string& mac);
    ws::Status link_set_group(const std::string& name, uint32_t group);
    // Carrier gained or lost (the port's link, polled by the daemon): nexthops through the link
    // are flagged linkdown and multipath weights rebalanced, as fib_sync_down_dev() on
    // NETDEV_CHANGE; they stay usable unless ignore_routes_with_linkdown is set for the link.
    ws::Status link_set_carrier(const std::string& name, bool carrier);
    // `sysctl -w KEY=VALUE`: net.ipv4|ipv6.conf.all|default|DEV.ignore_routes_with_linkdown.
    ws::Status sysctl_set(std::string_view key, std::string_view value);
    // ip_ignore_linkdown(): the link's value or all's.
    bool ignore_linkdown(ws::Family f, uint32_t ifindex) const;
    std::array<bool, 2> ignore_linkdown_all{}, ignore_linkdown_default{};
    ws::Status addr_add(const std::string& dev, dp::IfAddr a);
    ws::Status addr_del(const std::string& dev, const ws::InetAddr& local, uint8_t prefixlen);
    ws::Status neigh_add(Neighbour n, const std::string& dev);

    ws::Status rule_add(ws::Family f, RuleRequest req);
    ws::Status rule_del(ws::Family f, const RuleRequest& req);
    void rule_flush(ws::Family f);

    ws::Status route_modify(ws::Family f, RouteRequest req, InsertMode mode);
    ws::Status route_del(ws::Family f, RouteRequest req);
    ws::Status route_flush(ws::Family f, const RouteFlushFilter& filter);

    const dp::Link* link(const std::string& name) const { return ifs.find(name); }

private:
    // Gateway validation answers, by (family, gateway, oif, table, flow scope). Only rules,
    // links, addresses and routes of link or host scope can change an answer (the lookup skips
    // narrower-scoped aliases, error routes included), so only those clear it: a million routes
    // via one gateway are validated with one lookup.
    struct GatewayKey {
        ws::InetAddr gw;
        uint32_t oif = 0;
        uint32_t table = 0;
        uint8_t scope = 0;
        bool operator==(const GatewayKey&) const = default;
    };
    struct GatewayKeyHash {
        size_t operator()(const GatewayKey& k) const noexcept {
            return PrefixHash()(ws::InetPrefix{k.gw, k.scope}) ^ (size_t(k.oif) << 40) ^ (size_t(k.table) * 0x9e3779b97f4a7c15ull);
        }
    };
    struct GatewayAnswer {
        bool ok = false;
        uint8_t scope = 0;
        uint32_t ifindex = 0;
    };
    std::unordered_map<GatewayKey, GatewayAnswer, GatewayKeyHash> gateway_cache_;
    void invalidate_lookups() { gateway_cache_.clear(); }

    dp::Link* link_mut(const std::string& name);
    ws::Status resolve_devices(RouteRequest& req);
    ws::Status resolve_nexthops(ws::Family f, RouteRequest& req);
    ws::Status route_modify6(RouteRequest req, InsertMode mode);
    ws::Status check_gateway6(dp::Route& r, dp::Nexthop& nh, bool table_given);
    bool valid_prefsrc6(const ws::InetAddr& src, uint32_t dev) const;
    ws::Status check_gateway(ws::Family f, dp::Route& r, dp::Nexthop& nh);
    bool is_local_address(ws::Family f, const ws::InetAddr& a, uint32_t table) const;
    void kernel_route(const dp::Link& l, ws::Family f, dp::RouteType type, uint32_t table, ws::InetPrefix dst,
                      uint32_t metric, ws::InetAddr prefsrc);
    void add_ifaddr_routes(const dp::Link& l, const dp::IfAddr& a);
    void del_ifaddr_routes(const dp::Link& l, const dp::IfAddr& a);
    void sync_down(uint32_t ifindex);
    void sync_up(uint32_t ifindex);
    // fib_create_info() / fib6_nh_init(): a new route's nexthops through a link without carrier
    // start out linkdown (and ignored where the sysctl says so).
    void flag_linkdown(ws::Family f, dp::Route& r) const;
    void edit_nexthops(ws::Family f, uint32_t ifindex, const std::function<bool(dp::Nexthop&)>& edit);
    void reattach_rules();
    uint32_t next_ifindex_ = 2;
};

}  // namespace ctl
