#pragma once
// ipproto — matches the IP protocol (ip rule add ipproto tcp ...). Note that IPv4
// `ip route get` without `ipproto` asks for UDP (reference §0).
#include "selectors/selector_util.h"

namespace sel {

struct IpProto {
    static constexpr std::string_view kKeywords[] = {"ipproto"};
    uint8_t proto = 0;

    static ws::Result<IpProto> parse(ws::Tokens& t, const ParseContext&) {
        auto w = t.value_of("ipproto");
        if (!w) return w.error();
        auto p = ws::ip_proto_id(*w);
        if (!p) return p.error();
        return IpProto{*p};
    }
    bool present() const { return proto != 0; }
    void format(std::string& out) const { out += "ipproto " + ws::ip_proto_name(proto) + " "; }
    void to_json(ws::JsonObject& o) const { o.str("ipproto", ws::ip_proto_name(proto)); }
    bool matches(const FlowKey& k) const { return proto == k.proto; }
    bool operator==(const IpProto&) const = default;
};

}  // namespace sel
