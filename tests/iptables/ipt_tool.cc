// ipt_tool — the reference matcher on the command line, for the kernel oracle
// (tests/iptables/iptables_oracle.py): loads a configuration, then reads packets, one a line,
//     IIF HEX
// (the input interface, and the packet from its IP header as hex) and prints for each the
// verdict and mark that Firewall::traverse() gives in mangle PREROUTING, IptRule::matches() and
// apply_target() doing the work:
//     accept 0x1
//     drop 0x0
//
//   ipt_tool CONFIG < packets
// The packet parse here is test code: IPv4 (fragments, any header length) and IPv6 without
// extension headers; TCP/UDP/SCTP/DCCP/UDP-Lite ports and ICMP/ICMPv6 type and code.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/tokens.h"
#include "control/config.h"
#include "control/model/model.h"

namespace {

std::vector<uint8_t> unhex(const std::string& s) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(uint8_t(std::stoul(s.substr(i, 2), nullptr, 16)));
    return out;
}

bool parse_packet(const std::vector<uint8_t>& b, ctl::IptPacket& p, ws::Family& f) {
    if (b.empty()) return false;
    size_t l4 = 0;
    if ((b[0] >> 4) == 4) {
        if (b.size() < 20) return false;
        f = ws::Family::kInet;
        const size_t ihl = size_t(b[0] & 15) * 4;
        p.tos = b[1];
        p.length = uint16_t(b[2] << 8 | b[3]);
        p.fragment = ((b[6] & 0x1f) << 8 | b[7]) != 0;
        p.proto = b[9];
        p.src = ws::InetAddr::v4(uint32_t(b[12]) << 24 | uint32_t(b[13]) << 16 | uint32_t(b[14]) << 8 | b[15]);
        p.dst = ws::InetAddr::v4(uint32_t(b[16]) << 24 | uint32_t(b[17]) << 16 | uint32_t(b[18]) << 8 | b[19]);
        l4 = ihl;
    } else if ((b[0] >> 4) == 6) {
        if (b.size() < 40) return false;
        f = ws::Family::kInet6;
        p.tos = uint8_t((b[0] & 15) << 4 | b[1] >> 4);
        p.length = uint16_t((b[4] << 8 | b[5]) + 40);
        p.proto = b[6];
        p.src = ws::InetAddr::zero(ws::Family::kInet6);
        p.dst = ws::InetAddr::zero(ws::Family::kInet6);
        for (int i = 0; i < 16; ++i) p.src.b[size_t(i)] = b[size_t(8 + i)], p.dst.b[size_t(i)] = b[size_t(24 + i)];
        l4 = 40;
    } else {
        return false;
    }
    p.has_l4 = b.size() >= l4 + 4;  // a later fragment's first bytes too (see IptPacket::fragment)
    if (p.has_l4) {
        p.sport = uint16_t(b[l4] << 8 | b[l4 + 1]);
        p.dport = uint16_t(b[l4 + 2] << 8 | b[l4 + 3]);
        p.icmp_type = b[l4];
        p.icmp_code = b[l4 + 1];
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: ipt_tool CONFIG < packets\n");
        return 1;
    }
    ctl::Model m;
    auto st = ctl::load_file(m, argv[1]);
    if (!st) {
        std::fprintf(stderr, "%s\n", st.error().format().c_str());
        return 1;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
        auto words = ws::split_words(line);
        if (words.size() != 2) {
            std::puts("bad-input");
            continue;
        }
        const std::vector<uint8_t> bytes = unhex(std::string(words[1]));
        ctl::IptPacket p;
        ws::Family f = ws::Family::kInet;
        if (!parse_packet(bytes, p, f)) {
            std::puts("bad-packet");
            continue;
        }
        p.iif = std::string(words[0]);
        p.data = bytes;
        auto v = m.firewall.traverse(f, ctl::IptTable::kMangle, ctl::IptHook::kPrerouting, p);
        const char* verdict = v.kind == ctl::IptVerdict::Kind::kAccept ? "accept" : "drop";
        std::printf("%s 0x%x\n", verdict, p.mark);
    }
    return 0;
}
