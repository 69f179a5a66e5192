#include "control/daemon/ctl_protocol.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "control/daemon/daemon.h"

namespace ctl {
namespace {

bool next_line(const std::string& t, size_t& pos, std::string& line) {
    const size_t nl = t.find('\n', pos);
    if (nl == std::string::npos) return false;
    line = t.substr(pos, nl - pos);
    pos = nl + 1;
    return true;
}

bool field(const std::string& t, size_t& pos, const std::string& name, unsigned long& v) {
    std::string line;
    if (!next_line(t, pos, line) || line.compare(0, name.size() + 1, name + " ") != 0) return false;
    char* end = nullptr;
    v = std::strtoul(line.c_str() + name.size() + 1, &end, 10);
    return end && *end == '\0';
}

bool blob(const std::string& t, size_t& pos, const std::string& name, std::string& out) {
    unsigned long len;
    if (!field(t, pos, name, len) || pos + len > t.size()) return false;
    out = t.substr(pos, len);
    pos += len;
    return true;
}

ws::Error bad(const char* what) { return ws::make_error(ws::Errc::kIo, std::string("control socket: ") + what); }

}  // namespace

std::string encode_request(bool json, bool batch, const std::vector<std::string>& lines) {
    std::string s = "WSCTL1\njson " + std::to_string(json) + "\nbatch " + std::to_string(batch) + "\nlines " +
                    std::to_string(lines.size()) + "\n";
    for (const auto& l : lines) {
        for (char c : l) s += c == '\n' ? ' ' : c;
        s += "\n";
    }
    return s;
}

ws::Result<Request> decode_request(const std::string& t) {
    size_t pos = 0;
    std::string line;
    if (!next_line(t, pos, line) || line != "WSCTL1") return bad("not a wildsidectl request");
    unsigned long json, batch, n;
    if (!field(t, pos, "json", json) || !field(t, pos, "batch", batch) || !field(t, pos, "lines", n)) return bad("malformed request");
    Request r;
    r.json = json;
    r.batch = batch;
    for (unsigned long i = 0; i < n; ++i) {
        if (!next_line(t, pos, line)) return bad("truncated request");
        r.lines.push_back(line);
    }
    return r;
}

std::string encode_reply(const Reply& r) {
    return "status " + std::to_string(r.status) + "\nout " + std::to_string(r.out.size()) + "\n" + r.out + "err " +
           std::to_string(r.err.size()) + "\n" + r.err;
}

ws::Result<Reply> decode_reply(const std::string& t) {
    size_t pos = 0;
    unsigned long status;
    Reply r;
    if (!field(t, pos, "status", status) || !blob(t, pos, "out", r.out) || !blob(t, pos, "err", r.err)) return bad("malformed reply");
    r.status = int(status);
    return r;
}

bool read_all(int fd, std::string& out, size_t max_bytes, int timeout_ms) {
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int rc = poll(&p, 1, timeout_ms);
        if (rc <= 0) return false;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return true;
        out.append(buf, size_t(n));
        if (out.size() > max_bytes) return false;
    }
}

bool write_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += size_t(n);
    }
    return true;
}

}  // namespace ctl
