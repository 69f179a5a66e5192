#pragma once
// Config — reads the command language (a file of `ip ...` lines, `#` comments, `\`
// continuations) and applies it to a Model as one all-or-nothing batch.
//
// Config:  ip link add eth0 type dpdk devargs net_null0
//          ip addr add 192.0.2.1/24 dev eth0
//          ip rule add iif lo table from.this.host priority 500
// An error names the file, line and token ("west.conf:7: unknown rule selector or action
// \"fwmak\"") and leaves the model as it was.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "control/model/model.h"

namespace ctl {

struct ScriptLine {
    int line = 0;          // 1-based line number of the first physical line
    std::string text;      // continuation lines joined, comment removed
};

// Splits a script into logical lines (blank and comment-only lines dropped).
std::vector<ScriptLine> split_script(std::string_view text);

// Applies one command line ("ip route add ...") to the model. The model may be half-changed
// on error: apply_batch() is the all-or-nothing entry point.
ws::Status apply_command(Model& m, std::string_view line);

// Applies every line to a copy of the model; on success the copy replaces the model.
ws::Status apply_batch(Model& m, const std::vector<ScriptLine>& lines, const std::string& file);

// Reads FILE and applies it as one batch.
ws::Status load_file(Model& m, const std::string& path);

// The address family an `ip` command line is for: -4/-6 options, else inferred from its words.
ws::Family command_family(const std::vector<std::string_view>& words, size_t from);

}  // namespace ctl
