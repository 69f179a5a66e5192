#pragma once
// EspError — why ESP refused a packet, one named reason each (STYLE 24, 27): the enum value, its
// kebab-case name, a severity and a one-line description. The dataplane maps each to a
// DropReason of dataplane/drop_reasons.h one to one; nothing here is an exception or a log line.
//
// A new reason is one enum value plus one row of kEspErrors (the static_assert keeps them in
// step). Severity: kInfo is a normal event (a dummy packet, RFC 4303 §2.6), kWarning a peer's or
// an attacker's packet, kError a local problem (configuration, resources, exhausted SA).
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "common/reason.h"

namespace crypto {

enum class EspError : uint8_t {
    kOk = 0,
    // inbound, before the ICV
    kTooShort,         // shorter than header + IV + minimal trailer + ICV
    kBadLength,        // ciphertext not a whole number of cipher blocks (AES-CBC)
    kBadSpi,           // the packet's SPI is not the SA's (or is 0)
    kReplayed,         // already received (in the window)
    kTooOld,           // left of the anti-replay window
    // inbound, after it
    kIcvFailed,        // integrity check failed (tampered, wrong key, or wrong ESN high half)
    kBadPadding,       // pad length past the payload, or padding not 1, 2, 3, ...
    kBadNextHeader,    // tunnel mode: next header neither 4 (IPv4) nor 41 (IPv6)
    kDummyPacket,      // next header 59: a dummy packet, discarded without error (RFC 4303 §2.6)
    // outbound
    kNoRoom,           // not enough headroom or tailroom for the ESP header, trailer and ICV
    kSeqExhausted,     // the SA ran out of sequence numbers: rekey (RFC 4303 §3.3.3)
    // both
    kLifetimeExpired,  // the SA's hard lifetime (packets or bytes) was reached
    kCryptoFailed,     // the engine refused the op
    kCount
};

using EspSeverity = ws::Severity;
using EspErrorInfo = ws::ReasonInfo<EspError>;

inline constexpr EspErrorInfo kEspErrors[] = {
    {EspError::kOk, "ok", EspSeverity::kInfo, "accepted"},
    {EspError::kTooShort, "esp-too-short", EspSeverity::kWarning, "ESP packet shorter than its header, trailer and ICV"},
    {EspError::kBadLength, "esp-bad-length", EspSeverity::kWarning, "ciphertext not a multiple of the cipher block"},
    {EspError::kBadSpi, "esp-bad-spi", EspSeverity::kWarning, "SPI does not match the SA"},
    {EspError::kReplayed, "esp-replayed", EspSeverity::kWarning, "sequence number already received"},
    {EspError::kTooOld, "esp-too-old", EspSeverity::kWarning, "sequence number left of the anti-replay window"},
    {EspError::kIcvFailed, "esp-icv-failed", EspSeverity::kWarning, "integrity check value did not verify"},
    {EspError::kBadPadding, "esp-bad-padding", EspSeverity::kWarning, "padding is not 1, 2, 3, ... or overruns"},
    {EspError::kBadNextHeader, "esp-bad-next-header", EspSeverity::kWarning, "tunnel mode: next header not 4 or 41"},
    {EspError::kDummyPacket, "esp-dummy", EspSeverity::kInfo, "dummy packet (next header 59) discarded"},
    {EspError::kNoRoom, "esp-no-room", EspSeverity::kError, "no headroom or tailroom for ESP"},
    {EspError::kSeqExhausted, "esp-seq-exhausted", EspSeverity::kError, "SA out of sequence numbers: rekey"},
    {EspError::kLifetimeExpired, "esp-lifetime-expired", EspSeverity::kError, "SA past its hard lifetime"},
    {EspError::kCryptoFailed, "esp-crypto-failed", EspSeverity::kError, "crypto engine refused the operation"},
};
static_assert(std::size(kEspErrors) == static_cast<size_t>(EspError::kCount), "one row per EspError");

constexpr const EspErrorInfo& esp_error_info(EspError e) { return kEspErrors[static_cast<unsigned>(e)]; }

}  // namespace crypto
