// esp_tool — wildside's ESP for scripts (tests/crypto/scapy_interop.py): one command a line on
// stdin, one answer a line on stdout, each line with an SA of its own.
//
//   encap ALG ENGINE ICV MODE ESN SPI KEY AUTH SEQ IV NH PAYLOAD  -> ok ESPHEX | error NAME
//   decap ALG ENGINE ICV MODE ESN SPI KEY AUTH SEQ ESPHEX         -> ok NH SEQ PAYLOADHEX | error NAME
//
// ALG gcm128|gcm256|chacha|cbc-sha256|cbc-sha1; ENGINE ipsec-mb|sodium; MODE tunnel|transport;
// ESN 0|1; SPI, SEQ decimal or 0x-hex; KEY = cipher key || salt, AUTH the HMAC key or "-"; IV
// hex, or "-" for wildside's own (the sequence number / AES-CBC's derived IV). encap sends SEQ
// (the SA's counter starts just below it); decap expects SEQ (the window's T sits just below it,
// so the ESN high half infers right) and prints the number it inferred.
#include <iostream>
#include <sstream>
#include <string>

#include "tests/crypto/crypto_test_util.h"

namespace {

using namespace crypto;
using namespace crypto::test;

bool parse_alg(const std::string& s, Algorithm& a) {
    const std::pair<const char*, Algorithm> names[] = {
        {"gcm128", Algorithm::kAesGcm128}, {"gcm256", Algorithm::kAesGcm256},
        {"chacha", Algorithm::kChaCha20Poly1305}, {"cbc-sha256", Algorithm::kAesCbcHmacSha256},
        {"cbc-sha1", Algorithm::kAesCbcHmacSha1}};
    for (const auto& [n, v] : names)
        if (s == n) return a = v, true;
    return false;
}

// Reads "ALG ENGINE ICV MODE ESN SPI KEY AUTH SEQ" into an SA spec.
bool read_spec(std::istringstream& in, SaSpec& s, uint64_t& seq) {
    std::string alg, eng, mode, key, auth, spi, seqs;
    unsigned icv = 0, esn = 0;
    if (!(in >> alg >> eng >> icv >> mode >> esn >> spi >> key >> auth >> seqs) || !parse_alg(alg, s.alg)) return false;
    s.engine = eng == "sodium" ? EngineKind::kSodium : EngineKind::kIpsecMb;
    s.icv = uint8_t(icv);
    s.mode = mode == "tunnel" ? Mode::kTunnel : Mode::kTransport;
    s.esn = esn != 0;
    s.spi = uint32_t(std::stoul(spi, nullptr, 0));
    s.key = hex(key);
    s.auth = auth == "-" ? Bytes{} : hex(auth);
    seq = std::stoull(seqs, nullptr, 0);
    s.oseq = seq - 1;
    s.seq = seq > 16 ? seq - 16 : 0;
    return true;
}

std::string encap(std::istringstream& in, SaSpec& s) {
    std::string iv, payload;
    unsigned nh = 0;
    if (!(in >> iv >> nh >> payload)) return "error usage";
    TestSa sa = make_sa(s);
    if (!sa.crypto) return "error sa";
    const Bytes ivb = iv == "-" ? Bytes{} : hex(iv);
    EspError err;
    const Bytes w = encap1(sa, payload == "-" ? Bytes{} : hex(payload), uint8_t(nh), ivb.empty() ? nullptr : ivb.data(),
                           &err);
    if (err != EspError::kOk) return "error " + std::string(esp_error_info(err).name);
    return "ok " + to_hex(w.data(), w.size());
}

std::string decap(std::istringstream& in, SaSpec& s) {
    std::string wire;
    if (!(in >> wire)) return "error usage";
    TestSa sa = make_sa(s);
    if (!sa.crypto) return "error sa";
    const Decapped d = decap1(sa, hex(wire));
    if (d.error != EspError::kOk) return "error " + std::string(esp_error_info(d.error).name);
    return "ok " + std::to_string(d.next_header) + " " + std::to_string(d.seq) + " " +
           (d.payload.empty() ? "-" : to_hex(d.payload.data(), d.payload.size()));
}

}  // namespace

int main() {
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd;
        SaSpec s;
        uint64_t seq = 0;
        if (!(in >> cmd) || !read_spec(in, s, seq)) std::cout << "error usage\n";
        else if (cmd == "encap") std::cout << encap(in, s) << "\n";
        else if (cmd == "decap") std::cout << decap(in, s) << "\n";
        else std::cout << "error usage\n";
        std::cout.flush();
    }
    return 0;
}
