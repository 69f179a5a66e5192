#pragma once
// Result<T> — the control plane's error channel, shaped like C++23 std::expected<T, Error>.
//
// Debian's clang-16 cannot use std::expected with GCC 12's library, and the fuzz targets build
// with clang, so the project carries its own. An Error carries a code, a message and, when it
// came from configuration text, the position (file, line, token) it refers to.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace ws {

enum class Errc : uint8_t {
    kInvalid,      // malformed or out-of-range input
    kExists,       // RTNETLINK "File exists"
    kNotFound,     // RTNETLINK "No such process" (delete of a missing object)
    kNoDevice,     // 'Cannot find device "X"'
    kUnsupported,  // understood but not supported here
    kIo,           // file or socket error
};

struct Error {
    Errc code = Errc::kInvalid;
    std::string message;
    std::string token;  // the offending token, when there is one
    std::string file;
    int line = 0;

    // "FILE:LINE: message" when the position is known, else the message alone.
    std::string format() const {
        std::string out;
        if (!file.empty()) out += file + ":";
        if (line > 0) out += std::to_string(line) + ": ";
        else if (!file.empty()) out += " ";
        out += message;
        return out;
    }
};

inline Error make_error(Errc code, std::string message, std::string token = {}) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    e.token = std::move(token);
    return e;
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}        // NOLINT: implicit by design

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }
    Error& error() { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return err_; }
    Error& error() { return err_; }

private:
    Error err_;
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace ws

// Propagates an error from an expression returning Result<...>.
#define WS_TRY(expr)                                   \
    do {                                               \
        auto ws_try_r_ = (expr);                       \
        if (!ws_try_r_.ok()) return ws_try_r_.error(); \
    } while (0)
