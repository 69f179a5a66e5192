// command_fuzz — libFuzzer target for the command language (STYLE 39, Seastar tests/fuzz).
//
// The input is a configuration script. It is split (ctl::split_script) and applied as one batch
// (ctl::apply_batch) to a fresh Model; when that succeeds, the model is compiled
// (ctl::compile_routing) and a few `ip route get` and show queries run through ctl::run_query,
// including destinations taken from the input itself so that lookups hit the fuzzed routes.
// One link then loses carrier, as a port does. Nothing is checked beyond "no crash, no sanitizer report", plus two cheap invariants: a failed
// batch names a line inside the script, and a query's status is one of 0/1/2/255.
//
// Build: meson setup BUILD -Dfuzz=true (clang), then BUILD/tests/command_fuzz tests/fuzz/corpus
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "control/compile/compiler.h"
#include "control/config.h"
#include "control/model/model.h"
#include "control/query.h"

namespace {

constexpr size_t kMaxInput = 8192;  // keeps each run fast; longer scripts add little

const char* const kQueries[] = {
    "ip route get 10.2.0.5",
    "ip route get 10.1.0.1 from 10.1.0.99 iif dummy0",
    "ip route get 8.8.8.8 oif dummy0 mark 1",
    "ip route get 10.60.1.1 ipproto tcp dport 22 tos 0x10 uid 1000",
    "ip route get 255.255.255.255",
    "ip route get 224.0.0.5 from 10.1.0.1",
    "ip route get 10.50.1.1 mark 0x101 fibmatch",
    "ip -j route get 192.0.2.7 from 192.0.2.9 iif dummy1",
    "ip rule show",
    "ip -j rule show",
    "ip route show table all",
    "ip -j route show table all",
    "show compiled fib",
    "show compiled rules",
    "ip -6 route get 2001:db8::1",
    "ip -6 route get fe80::1 oif dummy0",
    "ip -6 route get 2001:db8:1::5 from 2001:db8:2::9 iif dummy1",
    "ip -j -6 route show table all",
};

void check_status(const ctl::QueryOutput& q) {
    if (q.status != 0 && q.status != 1 && q.status != 2 && q.status != 255) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > kMaxInput) return 0;
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto lines = ctl::split_script(text);
    ctl::Model m;
    auto st = ctl::apply_batch(m, lines, "fuzz");
    if (!st.ok()) {
        // The error names a line of the script.
        const int n_lines = 1 + int(std::count(text.begin(), text.end(), '\n'));
        if (st.error().line < 1 || st.error().line > n_lines) std::abort();
        return 0;
    }
    // A carrier event on one link chosen by the last input byte (the daemon's port poll), so
    // linkdown flags and multipath rebalancing meet the fuzzed routes.
    if (size && m.ifs.links.size() > 1) (void)m.link_set_carrier(m.ifs.links[1 + data[size - 1] % (m.ifs.links.size() - 1)].name, false);
    auto routing = ctl::compile_routing(m);
    const ctl::QueryOptions opt{};
    for (const char* q : kQueries) check_status(ctl::run_query(m, *routing, q, opt));
    // Destinations from the input: the first address-looking word of every few lines, and one
    // built from the last input bytes.
    int asked = 0;
    for (const auto& l : lines) {
        if (asked >= 8) break;
        auto words = ws::split_words(l.text);
        for (auto w : words) {
            auto slash = w.find('/');
            auto addr = w.substr(0, slash);
            if (addr.empty() || addr.find('.') == std::string_view::npos || !ws::InetAddr::parse(addr, ws::Family::kInet).ok())
                continue;
            check_status(ctl::run_query(m, *routing, "ip route get " + std::string(addr), opt));
            check_status(ctl::run_query(m, *routing, "ip route get " + std::string(addr) + " from 10.1.0.99 iif dummy0", opt));
            ++asked;
            break;
        }
    }
    if (size >= 4) {
        const uint8_t* b = data + size - 4;
        const std::string dst = std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
                                std::to_string(b[3]);
        check_status(ctl::run_query(m, *routing, "ip route get " + dst, opt));
    }
    return 0;
}
