// wildsidectl — the control client. Offline (-c FILE) it loads a configuration, compiles it and
// answers queries exactly as iproute2 prints them, with no daemon and no NIC.
//
//   wildsidectl -c FILE [-j] [--rt-tables PATH] ip route get 10.2.0.5 from 10.1.0.9 iif eth0
//   wildsidectl -c FILE [-j] -batch QUERIES      one result line per query line
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/json.h"
#include "control/compile/compiler.h"
#include "control/config.h"
#include "control/query.h"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: wildsidectl [-s SOCKET] [-j] COMMAND...\n"
                 "       wildsidectl -c FILE [-j] [--rt-tables PATH] COMMAND...\n"
                 "       wildsidectl -c FILE [-j] [--rt-tables PATH] -batch QUERIES\n"
                 "COMMAND: ip [-4|-6] rule show | ip route show [table T] | ip route get ADDR [from A]\n"
                 "         [iif D] [oif D] [mark M] [tos T] [ipproto P] [sport N] [dport N] [uid U] [fibmatch]\n"
                 "         | show compiled fib|rules\n");
    return 1;
}

std::string one_line(std::string s) {
    // Batch text mode: a result on one line (the `cache` line joined, spaces collapsed).
    std::string out;
    for (char c : s) {
        if (c == '\n') c = ' ';
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

int run_batch(const ctl::Model& m, const dp::Routing& r, const std::string& path, bool json) {
    std::ifstream in(path);
    if (!in && path != "-") {
        std::fprintf(stderr, "wildsidectl: cannot open \"%s\"\n", path.c_str());
        return 1;
    }
    std::istream& is = path == "-" ? std::cin : in;
    ctl::QueryOptions opt{json, true};
    std::string line;
    bool first = true;
    int status = 0;
    if (json) std::fputs("[", stdout);
    while (std::getline(is, line)) {
        auto q = ctl::run_query(m, r, line, opt);
        if (q.status) status = q.status;
        if (json) {
            std::string v;
            if (q.status) {
                v = ws::JsonObject().str("error", q.err_text).text();
            } else {
                v = q.out;
                while (!v.empty() && (v.back() == '\n')) v.pop_back();
                // route get answers are one-element arrays: the batch holds the element.
                if (v.size() >= 2 && v.front() == '[' && v.back() == ']' && v.find("},{") == std::string::npos && v != "[]")
                    v = v.substr(1, v.size() - 2);
            }
            std::fputs(first ? "" : ",\n", stdout);
            std::fputs(v.c_str(), stdout);
        } else {
            std::puts((q.status ? q.err_text : one_line(q.out)).c_str());
        }
        first = false;
    }
    std::fputs(json ? "]\n" : "", stdout);
    return status ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config, socket_path, batch, rt_tables = "/etc/iproute2/rt_tables";
    bool json = false, rt_given = false;
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-c" && i + 1 < argc) config = argv[++i];
        else if (a == "-s" && i + 1 < argc) socket_path = argv[++i];
        else if (a == "-j" || a == "-json") json = true;
        else if ((a == "-batch" || a == "--batch") && i + 1 < argc) batch = argv[++i];
        else if (a == "--rt-tables" && i + 1 < argc) {
            rt_tables = argv[++i];
            rt_given = true;
        } else if (a == "-h" || a == "--help") return usage();
        else break;
    }
    if (config.empty()) {
        std::fprintf(stderr, "wildsidectl: talking to a running wildside (-s) is not available in this build; use -c FILE\n");
        return 1;
    }
    ctl::Model m;
    if (rt_given || access(rt_tables.c_str(), R_OK) == 0) {
        auto w = m.names.load_rt_tables(rt_tables);
        if (!w) {
            std::fprintf(stderr, "wildsidectl: %s\n", w.error().format().c_str());
            return 1;
        }
        if (!w->empty()) std::fprintf(stderr, "%s\n", w->c_str());
    }
    auto st = ctl::load_file(m, config);
    if (!st) {
        std::fprintf(stderr, "%s\n", st.error().format().c_str());
        return 1;
    }
    auto routing = ctl::compile_routing(m);
    int status;
    if (!batch.empty()) {
        status = run_batch(m, *routing, batch, json);
    } else {
        if (i >= argc) return usage();
        std::string line;
        for (int k = i; k < argc; ++k) line += std::string(argv[k]) + " ";
        ctl::QueryOptions opt{json, false};
        auto q = ctl::run_query(m, *routing, line, opt);
        std::fputs(q.out.c_str(), stdout);
        std::fputs(q.err.c_str(), stderr);
        status = q.status;
    }
    // A one-shot process: the kernel takes the model and snapshot back faster than freeing
    // a million routes one by one would.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(status);
}
