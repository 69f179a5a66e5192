// wildsidectl — the control client. Offline (-c FILE) it loads a configuration, compiles it and
// answers queries exactly as iproute2 prints them, with no daemon and no NIC. Online (-s SOCKET)
// it sends the command to a running wildside: queries against the live tables, changes
// applied atomically, counters.
//
//   wildsidectl -c FILE [-j] [--rt-tables PATH] ip route get 10.2.0.5 from 10.1.0.9 iif eth0
//   wildsidectl -c FILE [-j] -batch QUERIES      one result line per query line
//   wildsidectl -s SOCKET [-j] ip route replace 10.9.0.0/16 via 10.0.2.3
//   wildsidectl -s SOCKET [-j] -batch FILE       changes: one atomic batch; queries: one answer each
#include <sys/socket.h>
#include <sys/un.h>
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
#include "control/daemon/ctl_protocol.h"
#include "control/daemon/daemon.h"
#include "control/query.h"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: wildsidectl [-s SOCKET] [-j] COMMAND...      (a running wildside)\n"
                 "       wildsidectl [-s SOCKET] [-j] -batch FILE\n"
                 "       wildsidectl -c FILE [-j] [--rt-tables PATH] COMMAND...\n"
                 "       wildsidectl -c FILE [-j] [--rt-tables PATH] -batch QUERIES\n"
                 "COMMAND: ip [-4|-6] rule show | ip route show [table T] | ip route get ADDR [from A]\n"
                 "         [iif D] [oif D] [mark M] [tos T] [ipproto P] [sport N] [dport N] [uid U] [fibmatch]\n"
                 "         | ip xfrm state|policy show|get|count ... | ip xfrm policy getdefault\n"
                 "         | show compiled fib|rules|spd\n"
                 "online also: any configuration line (ip route add ..., ip rule del ...), show counters,\n"
                 "         ip -s link show [DEV], ip neigh show\n");
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

// Sends one request to a running wildside and prints its reply.
int run_online(const std::string& path, bool json, const std::string& batch, int argc, char** argv, int i) {
    std::vector<std::string> lines;
    if (!batch.empty()) {
        std::ifstream in(batch);
        if (!in && batch != "-") {
            std::fprintf(stderr, "wildsidectl: cannot open \"%s\"\n", batch.c_str());
            return 1;
        }
        std::istream& is = batch == "-" ? std::cin : in;
        std::string line;
        while (std::getline(is, line)) lines.push_back(line);
    } else {
        if (i >= argc) return usage();
        std::string line;
        for (int k = i; k < argc; ++k) line += std::string(k > i ? " " : "") + argv[k];
        lines.push_back(line);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (fd < 0 || path.size() >= sizeof sa.sun_path) {
        std::fprintf(stderr, "wildsidectl: bad socket path \"%s\"\n", path.c_str());
        return 1;
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size());
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
        std::fprintf(stderr, "wildsidectl: cannot connect to %s: %s\n", path.c_str(), std::strerror(errno));
        return 1;
    }
    if (!ctl::write_all(fd, ctl::encode_request(json, !batch.empty(), lines))) {
        std::fprintf(stderr, "wildsidectl: cannot send the request\n");
        return 1;
    }
    shutdown(fd, SHUT_WR);
    std::string in;
    if (!ctl::read_all(fd, in, 1u << 30, 120000)) {
        std::fprintf(stderr, "wildsidectl: no reply from %s\n", path.c_str());
        return 1;
    }
    close(fd);
    auto reply = ctl::decode_reply(in);
    if (!reply) {
        std::fprintf(stderr, "wildsidectl: %s\n", reply.error().format().c_str());
        return 1;
    }
    std::fputs(reply->out.c_str(), stdout);
    std::fputs(reply->err.c_str(), stderr);
    return reply->status;
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
        if (socket_path.empty()) socket_path = "/run/wildside.sock";
        return run_online(socket_path, json, batch, argc, argv, i);
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
