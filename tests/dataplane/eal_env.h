#pragma once
// eal_up() — DPDK's EAL, started once per test process for the tests that need it (rte_acl's
// contexts live in EAL memory): no hugepages, no PCI, no shared files; the main lcore floats
// over this process's CPUs (no pinning). The runtime directory of the private prefix is
// removed at exit. True when EAL runs.
#include <rte_eal.h>
#include <rte_lcore.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace dptest {

inline bool eal_up() {
    static const bool ok = [] {
        if (rte_lcore_count() > 0) return true;  // started by someone else in this process
        std::string cpus;
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof set, &set) == 0)
            for (int c = 0; c < CPU_SETSIZE; ++c)
                if (CPU_ISSET(c, &set)) {
                    if (!cpus.empty()) cpus += ',';
                    cpus += std::to_string(c);
                }
        std::vector<std::string> args = {"dataplane_tests", "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
                                         "--no-telemetry", "--log-level=*:error",
                                         "--file-prefix=dataplane_tests-" + std::to_string(getpid()),
                                         "--lcores=0@(" + (cpus.empty() ? std::string("0") : cpus) + ")"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        if (rte_eal_init(int(argv.size()), argv.data()) < 0) return false;
        std::atexit([] {
            const std::string dir = rte_eal_get_runtime_dir();
            rte_eal_cleanup();
            if (dir.find("/dataplane_tests-") != std::string::npos) rmdir(dir.c_str());
        });
        return true;
    }();
    return ok;
}

}  // namespace dptest
