// wildside — the dataplane daemon.
//
//   wildside [EAL options --] -c FILE [-s SOCKET] [--exit-when-idle MS] [--idle-backoff US]
//            [--workers N] [--rt-tables PATH] [--mbufs N] [--no-route-cache]
//
// --no-route-cache makes every packet take the whole routing decision (rule walk, table
// lookups): the cost the per-worker route cache hides, for benchmarks.
//
// Without EAL options it runs where there are no hugepages and no NICs (--no-huge --no-pci, a
// private file prefix, lcores floating over the allowed CPUs), so instances run side by side.
// The main lcore serves the control socket and the exit conditions; every other lcore is a
// worker (dataplane/worker.h).
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_telemetry.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "control/config.h"
#include "control/daemon/ctl_protocol.h"
#include "control/daemon/daemon.h"
#include "dataplane/worker.h"

namespace {

std::atomic<bool> g_signal{false};
void on_signal(int) { g_signal.store(true); }

struct Options {
    std::string config, socket, rt_tables = "/etc/iproute2/rt_tables";
    bool rt_given = false;
    long exit_when_idle_ms = -1;
    unsigned idle_backoff_us = 0;
    unsigned workers = 0;  // 0: one per worker lcore (default EAL: 1)
    unsigned mbufs = 0;    // 0: enough for every queue plus preloaded pcap files
    bool route_cache = true;
    std::vector<std::string> eal;
};

int usage() {
    std::fprintf(stderr,
                 "usage: wildside [EAL options --] -c FILE [-s SOCKET] [--exit-when-idle MS] [--idle-backoff US]\n"
                 "                [--workers N] [--rt-tables PATH] [--mbufs N] [--no-route-cache]\n");
    return 1;
}

bool parse_options(int argc, char** argv, Options& o) {
    int first = 1;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--") == 0) {
            for (int k = 1; k < i; ++k) o.eal.push_back(argv[k]);
            first = i + 1;
            break;
        }
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char* what) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "wildside: %s needs a value\n", what);
                return nullptr;
            }
            return argv[++i];
        };
        const char* v = nullptr;
        if (a == "-c") {
            if (!(v = value("-c"))) return false;
            o.config = v;
        } else if (a == "-s") {
            if (!(v = value("-s"))) return false;
            o.socket = v;
        } else if (a == "--exit-when-idle") {
            if (!(v = value("--exit-when-idle"))) return false;
            o.exit_when_idle_ms = std::strtol(v, nullptr, 10);
        } else if (a == "--idle-backoff") {
            if (!(v = value("--idle-backoff"))) return false;
            o.idle_backoff_us = unsigned(std::strtoul(v, nullptr, 10));
        } else if (a == "--workers") {
            if (!(v = value("--workers"))) return false;
            o.workers = unsigned(std::strtoul(v, nullptr, 10));
            if (o.workers == 0 || o.workers > dp::kMaxWorkers) {
                std::fprintf(stderr, "wildside: --workers must be 1..%u\n", dp::kMaxWorkers);
                return false;
            }
        } else if (a == "--mbufs") {
            if (!(v = value("--mbufs"))) return false;
            o.mbufs = unsigned(std::strtoul(v, nullptr, 10));
        } else if (a == "--no-route-cache") {
            o.route_cache = false;
        } else if (a == "--rt-tables") {
            if (!(v = value("--rt-tables"))) return false;
            o.rt_tables = v;
            o.rt_given = true;
        } else {
            std::fprintf(stderr, "wildside: unknown option \"%s\"\n", a.c_str());
            return false;
        }
    }
    return !o.config.empty();
}

// The default EAL: no hugepages, no PCI, a private prefix, main + workers floating over the CPUs
// this process may use (so two lab instances share the cores instead of fighting for one).
std::vector<std::string> default_eal(unsigned workers) {
    cpu_set_t set;
    std::string cpus;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    if (cpus.empty()) cpus = "0";
    return {"--no-huge", "--no-pci", "-m", "512", "--file-prefix", "wildside-" + std::to_string(getpid()),
            "--log-level", "*:warning", "--lcores", "(0-" + std::to_string(workers) + ")@(" + cpus + ")"};
}

void remove_runtime_dir(const std::string& dir) {
    if (dir.find("/wildside-") == std::string::npos) return;
    for (const char* f : {"config", "fbarray_memzone", "fbarray_nohugemem", "dpdk_telemetry.v2", "mp_socket"})
        unlink((dir + "/" + f).c_str());
    rmdir(dir.c_str());
}

struct WorkerArg {
    dp::Worker* worker;
};
int worker_main(void* arg) {
    static_cast<WorkerArg*>(arg)->worker->loop();
    return 0;
}

int listen_socket(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) return -1;
    std::memcpy(sa.sun_path, path.c_str(), path.size());
    unlink(path.c_str());
    const mode_t old = umask(0177);  // created 0600: root-only control
    int rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    umask(old);
    if (rc < 0 || chmod(path.c_str(), 0600) < 0 || listen(fd, 16) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void serve_one(int lfd, ctl::Daemon& d) {
    int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    std::string in;
    ctl::Reply reply;
    if (!ctl::read_all(c, in, 64u << 20, 5000)) {
        reply = {1, "", "wildside: incomplete request\n"};
    } else if (auto req = ctl::decode_request(in); !req) {
        reply = {1, "", req.error().format() + "\n"};
    } else {
        reply = d.execute(*req);
    }
    ctl::write_all(c, ctl::encode_reply(reply));
    close(c);
}

// DPDK telemetry: /wildside/drops (drop reasons, '-' written '_') and /wildside/ports
// (LINK_rx_packets, LINK_tx_packets); dpdk-telemetry.py -f wildside-PID reads them.
const std::vector<dp::WorkerCounters>* g_counters = nullptr;
std::vector<std::pair<uint16_t, std::string>> g_port_names;

// Telemetry names allow letters, digits and '_' only.
std::string telemetry_name(std::string s) {
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

int telemetry_drops(const char*, const char*, rte_tel_data* d) {
    rte_tel_data_start_dict(d);
    for (size_t i = 1; i < size_t(dp::DropReason::kCount); ++i) {
        uint64_t n = 0;
        for (const auto& c : *g_counters) n += dp::read_counter(c.drops[i]);
        rte_tel_data_add_dict_u64(d, telemetry_name(std::string(dp::kDropReasons[i].name)).c_str(), n);
    }
    return 0;
}

int telemetry_ports(const char*, const char*, rte_tel_data* d) {
    rte_tel_data_start_dict(d);
    for (const auto& [id, name] : g_port_names) {
        uint64_t rx = 0, tx = 0;
        for (const auto& c : *g_counters) {
            rx += dp::read_counter(c.port[id].rx_packets);
            tx += dp::read_counter(c.port[id].tx_packets);
        }
        rte_tel_data_add_dict_u64(d, telemetry_name(name + "_rx_packets").c_str(), rx);
        rte_tel_data_add_dict_u64(d, telemetry_name(name + "_tx_packets").c_str(), tx);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse_options(argc, argv, o)) return usage();

    ctl::Model model;
    if (o.rt_given || access(o.rt_tables.c_str(), R_OK) == 0) {
        auto w = model.names.load_rt_tables(o.rt_tables);
        if (!w) {
            std::fprintf(stderr, "wildside: %s\n", w.error().format().c_str());
            return 1;
        }
    }
    if (auto st = ctl::load_file(model, o.config); !st) {
        std::fprintf(stderr, "%s\n", st.error().format().c_str());
        return 1;
    }
    auto specs = ctl::Daemon::port_specs(model);
    if (!specs) {
        std::fprintf(stderr, "wildside: %s\n", specs.error().format().c_str());
        return 1;
    }

    std::vector<std::string> eal_args = o.eal.empty() ? default_eal(o.workers ? o.workers : 1) : o.eal;
    std::vector<char*> eal_argv{argv[0]};
    for (auto& a : eal_args) eal_argv.push_back(a.data());
    if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) {
        std::fprintf(stderr, "wildside: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    // Every exit after EAL: ports stopped (pcap files closed), EAL released, and the runtime
    // directory of our private prefix removed, so a failed start leaves nothing behind either.
    const std::string runtime_dir = rte_eal_get_runtime_dir();
    auto release = [&](dp::PortSet* ports) {
        if (ports) ports->stop_all();
        rte_eal_cleanup();
        if (o.eal.empty()) remove_runtime_dir(runtime_dir);
    };
    const unsigned lcores_free = rte_lcore_count() - 1;
    const unsigned workers = o.workers ? o.workers : lcores_free;
    if (workers == 0 || workers > lcores_free || workers > dp::kMaxWorkers) {
        std::fprintf(stderr, "wildside: %u worker(s) need as many lcores besides the main one (have %u)\n",
                     workers ? workers : 1, lcores_free);
        release(nullptr);
        return 1;
    }
    const unsigned nports = unsigned(specs->size());
    // Every rx and tx descriptor of every queue, the workers' caches and queues, and room for
    // net_pcap's infinite_rx, which preloads a whole file into the pool (16,384 packets here).
    const unsigned nbufs = o.mbufs ? o.mbufs : std::max(32767u, nports * workers * 2048u + workers * 1024u + 16384u);
    rte_mempool* pool = rte_pktmbuf_pool_create("ws_mbufs", nbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, int(rte_socket_id()));
    if (!pool) {
        std::fprintf(stderr, "wildside: cannot create the mbuf pool (%u buffers): %s\n", nbufs, rte_strerror(rte_errno));
        release(nullptr);
        return 1;
    }
    auto ports = dp::PortSet::open(*specs, workers, pool);
    if (!ports) {
        std::fprintf(stderr, "wildside: %s\n", ports.error().format().c_str());
        release(nullptr);
        return 1;
    }
    std::vector<dp::WorkerCounters> counters(workers);
    auto neigh = std::make_unique<dp::NeighbourTable>();
    dp::SnapshotSlot slot;
    const size_t qs_size = rte_rcu_qsbr_get_memsize(workers);
    slot.qs = static_cast<rte_rcu_qsbr*>(rte_zmalloc("ws_qsbr", qs_size, RTE_CACHE_LINE_SIZE));
    if (!slot.qs || rte_rcu_qsbr_init(slot.qs, workers) != 0) {
        std::fprintf(stderr, "wildside: cannot set up RCU\n");
        release(ports->get());
        return 1;
    }
    auto daemon = std::make_unique<ctl::Daemon>(std::move(model), **ports, *neigh, counters, slot, workers);
    if (auto st = daemon->start(); !st) {
        std::fprintf(stderr, "wildside: %s\n", st.error().format().c_str());
        release(ports->get());
        return 1;
    }
    g_counters = &counters;
    for (const auto& p : (*ports)->ports()) g_port_names.emplace_back(p.id, p.link);
    rte_telemetry_register_cmd("/wildside/drops", telemetry_drops, "Dropped packets by reason. No parameters");
    rte_telemetry_register_cmd("/wildside/ports", telemetry_ports, "Packets per port. No parameters");

    int lfd = -1;
    if (!o.socket.empty() && (lfd = listen_socket(o.socket)) < 0) {
        std::fprintf(stderr, "wildside: cannot listen on %s: %s\n", o.socket.c_str(), std::strerror(errno));
        release(ports->get());
        return 1;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);

    // The links first (up to 3 s, l3fwd waits 9): then the workers.
    for (const std::string& l : (*ports)->wait_links_up(3000))
        std::fprintf(stderr, "wildside: link %s still down after 3 s; forwarding anyway\n", l.c_str());
    std::atomic<bool> stop{false};
    std::vector<std::atomic<uint64_t>> last_rx(workers);
    std::vector<std::unique_ptr<dp::Worker>> ws;
    std::vector<WorkerArg> args(workers);
    auto cfgs = (*ports)->worker_configs(workers, pool, o.idle_backoff_us);
    for (auto& c : cfgs) c.route_cache = o.route_cache;
    unsigned w = 0;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (w == workers) break;
        counters[w].lcore = lcore;
        ws.push_back(std::make_unique<dp::Worker>(cfgs[w], slot, *neigh, counters[w], stop, last_rx[w]));
        args[w].worker = ws.back().get();
        rte_eal_remote_launch(worker_main, &args[w], lcore);
        ++w;
    }

    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t started = rte_rdtsc();
    uint64_t next_age = started + hz;
    uint64_t next_carrier = started + hz / 50;
    while (!g_signal.load()) {
        if (rte_rdtsc() >= next_carrier) {  // the ports' carrier, every 20 ms
            daemon->poll_carrier();
            next_carrier = rte_rdtsc() + hz / 50;
        }
        if (rte_rdtsc() >= next_age) {  // neighbour reachability, once a second
            neigh->age(rte_rdtsc(), hz);
            next_age = rte_rdtsc() + hz;
        }
        if (lfd >= 0) {
            pollfd p{lfd, POLLIN, 0};
            if (poll(&p, 1, 20) > 0) serve_one(lfd, *daemon);
        } else {
            usleep(20000);
        }
        if (o.exit_when_idle_ms >= 0) {
            uint64_t last = started;
            for (auto& l : last_rx) last = std::max(last, l.load(std::memory_order_relaxed));
            if ((rte_rdtsc() - last) * 1000 / hz >= uint64_t(o.exit_when_idle_ms)) break;
        }
    }
    stop.store(true);
    rte_eal_mp_wait_lcore();
    if (lfd >= 0) {
        close(lfd);
        unlink(o.socket.c_str());
    }
    (*ports)->stop_all();
    daemon.reset();
    rte_free(slot.qs);
    release(nullptr);
    return 0;
}
