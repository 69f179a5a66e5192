#pragma once
// The control socket's wire format, shared by wildside (server) and wildsidectl (client): a
// request is "WSCTL1\n" "json 0|1\n" "batch 0|1\n" "lines N\n" and N lines; a reply is
// "status S\n" "out LEN\n" LEN bytes "err LEN\n" LEN bytes. One request per connection.
#include <string>
#include <vector>

#include "common/result.h"

namespace ctl {

struct Request;
struct Reply;

std::string encode_request(bool json, bool batch, const std::vector<std::string>& lines);
ws::Result<Request> decode_request(const std::string& text);
std::string encode_reply(const Reply& r);
ws::Result<Reply> decode_reply(const std::string& text);

// Reads until the peer shuts down its side (or max bytes); false on error or timeout.
bool read_all(int fd, std::string& out, size_t max_bytes, int timeout_ms);
bool write_all(int fd, const std::string& data);

}  // namespace ctl
