#pragma once
// `ip link`, `ip addr` and `ip neigh` commands, applied to the model.
//
// Config:  ip link add eth0 type dpdk devargs net_af_packet0,iface=veth1
//          ip link add host0 type host
//          ip link add ipsec0 type xfrm if_id 7
//          ip link add gre1 type gre local 192.0.2.1 remote 198.51.100.2 key 5
//          ip link set eth0 up | down | mtu 9000 | address 02:00:00:00:00:01 | group 7
//          ip addr add 10.1.0.1/24 dev eth0 [scope link]
//          ip neigh add 10.1.0.254 lladdr 02:00:00:00:00:fe dev eth0 [nud permanent]
#include <string_view>

#include "common/tokens.h"
#include "control/model/model.h"
#include "selectors/selector_util.h"

namespace ctl {

ws::Status apply_link(Model& m, std::string_view verb, ws::Tokens& t, const sel::ParseContext& ctx);
ws::Status apply_addr(Model& m, std::string_view verb, ws::Tokens& t, const sel::ParseContext& ctx);
ws::Status apply_neigh(Model& m, std::string_view verb, ws::Tokens& t, const sel::ParseContext& ctx);

// A MAC address "aa:bb:cc:dd:ee:ff" (lower-cased), or an error naming the token.
ws::Result<std::string> parse_mac(std::string_view word);

}  // namespace ctl
