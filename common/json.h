#pragma once
// JsonObject / JsonArray — append-only JSON text builders, keys in insertion order, as
// iproute2's json_writer prints them (compact, no spaces).
#include <cstdint>
#include <string>
#include <string_view>
#include <cstdio>

namespace ws {

std::string json_quote(std::string_view s);

class JsonObject {
public:
    JsonObject& str(std::string_view key, std::string_view value) { return raw(key, json_quote(value)); }
    JsonObject& num(std::string_view key, uint64_t value) { return raw(key, std::to_string(value)); }
    JsonObject& snum(std::string_view key, int64_t value) { return raw(key, std::to_string(value)); }
    JsonObject& null(std::string_view key) { return raw(key, "null"); }
    JsonObject& raw(std::string_view key, std::string_view json) {
        s_ += first_ ? "{" : ",";
        first_ = false;
        s_ += json_quote(key);
        s_ += ':';
        s_ += json;
        return *this;
    }
    bool empty() const { return first_; }
    std::string text() const { return first_ ? "{}" : s_ + "}"; }

private:
    std::string s_;
    bool first_ = true;
};

class JsonArray {
public:
    JsonArray& raw(std::string_view json) {
        s_ += first_ ? "[" : ",";
        first_ = false;
        s_ += json;
        return *this;
    }
    JsonArray& str(std::string_view v) { return raw(json_quote(v)); }
    std::string text() const { return first_ ? "[]" : s_ + "]"; }

private:
    std::string s_;
    bool first_ = true;
};

inline std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    snprintf(buf, sizeof(buf), "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

}  // namespace ws
