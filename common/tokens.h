#pragma once
// Tokens — a cursor over the words of one command line, as iproute2's argv.
//
// The views point into the caller's line buffer, which must outlive the Tokens.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ws {

class Tokens {
public:
    Tokens() = default;
    explicit Tokens(std::vector<std::string_view> words) : w_(std::move(words)) {}

    bool done() const { return i_ >= w_.size(); }
    std::string_view peek() const { return done() ? std::string_view() : w_[i_]; }
    std::string_view next() { return done() ? std::string_view() : w_[i_++]; }
    bool accept(std::string_view word) {
        if (!done() && w_[i_] == word) {
            ++i_;
            return true;
        }
        return false;
    }
    // The word after a keyword, or an error naming the keyword.
    Result<std::string_view> value_of(std::string_view keyword) {
        if (done()) return make_error(Errc::kInvalid, "argument missing after \"" + std::string(keyword) + "\"", std::string(keyword));
        return w_[i_++];
    }
    size_t position() const { return i_; }
    void rewind(size_t pos) { i_ = pos; }
    const std::vector<std::string_view>& words() const { return w_; }

private:
    std::vector<std::string_view> w_;
    size_t i_ = 0;
};

// Splits a line on blanks. Single and double quotes group words ('rfc4106(gcm(aes))').
std::vector<std::string_view> split_words(std::string_view line);

// Number parsing in iproute2's manner: get_u32() is strtoul(base 0): "0x10" is 16, "010" is 8.
Result<uint32_t> parse_u32(std::string_view s, std::string_view what);
Result<uint64_t> parse_u64(std::string_view s, std::string_view what);
// Decimal only (ports, weights, uids as iproute2 reads them with base 10).
Result<uint32_t> parse_u32_dec(std::string_view s, std::string_view what);

// "\"X\" is invalid" style error naming the token.
Error invalid_arg(std::string_view what, std::string_view token);

}  // namespace ws
