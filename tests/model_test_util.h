#pragma once
// Helpers shared by the tests of the command language (tests/xfrm, tests/iptables): apply lines
// to a model as a file would, and the error message of one line.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "control/config.h"
#include "control/model/model.h"

namespace modeltest {

inline ws::Status apply(ctl::Model& m, std::string_view script, const std::string& file = "test.conf") {
    return ctl::apply_batch(m, ctl::split_script(script), file);
}

inline void must_apply(ctl::Model& m, std::string_view script) {
    auto st = apply(m, script);
    ASSERT_TRUE(st.ok()) << st.error().format() << "\nscript:\n" << script;
}

// One command's error message on this model ("" when it applied).
inline std::string error_of(ctl::Model& m, std::string_view line) {
    auto st = ctl::apply_command(m, line);
    return st.ok() ? std::string() : st.error().message;
}

inline std::string error_of(std::string_view line) {
    ctl::Model m;
    return error_of(m, line);
}

}  // namespace modeltest
