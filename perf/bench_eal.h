#pragma once
// BenchEal — DPDK's EAL for a benchmark program that needs DPDK's heap (rte_acl, mempools):
// plain memory (no hugepages, PCI or shared files), the main lcore on any CPU of the process,
// and the private runtime directory removed when finish() runs (call it after freeing every
// DPDK object, before main returns).
#include <rte_eal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace perf {

class BenchEal {
public:
    // name: the program's name, for the file prefix and messages.
    BenchEal(const char* prog, const std::string& name) : name_(name) {
        std::vector<std::string> args = {prog, "--no-huge", "--no-pci", "-m", "4096", "--no-shconf", "--no-telemetry",
                                         "--log-level=*:error", "--file-prefix=" + name + "-" + std::to_string(getpid())};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        ok_ = rte_eal_init(int(argv.size()), argv.data()) >= 0;
        if (ok_) runtime_dir_ = rte_eal_get_runtime_dir();
        else std::fprintf(stderr, "%s: rte_eal_init failed\n", name.c_str());
    }
    bool ok() const { return ok_; }
    void finish() {
        if (!ok_) return;
        rte_eal_cleanup();
        if (runtime_dir_.find("/" + name_ + "-") != std::string::npos) rmdir(runtime_dir_.c_str());
        ok_ = false;
    }

private:
    std::string name_, runtime_dir_;
    bool ok_ = false;
};

}  // namespace perf
