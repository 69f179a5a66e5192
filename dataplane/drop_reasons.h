#pragma once
// DropReason — every reason the dataplane drops a packet, declared once (STYLE 24): the enum
// value, its kebab-case name (counters, `wildsidectl show drops`, telemetry), a severity and a
// one-line description. Counters are kept per worker per reason and summed by the control plane.
//
// A new reason is one enum value plus one row of kDropReasons; the static_assert keeps the two
// in step and drop_reason_info() indexes the table by value.
#include <cstdint>
#include <iterator>
#include <string_view>

#include "common/reason.h"

namespace dp {

enum class DropReason : uint8_t {
    kNone = 0,
    // L2
    kL2TooShort,
    kL2NotForUs,
    kUnknownEthertype,
    kVlanTagged,
    kArpMalformed,
    kArpNotForUs,
    // IPv4 header validation (RFC 1812 5.2.2)
    kIp4TooShort,
    kIp4BadVersion,
    kIp4BadIhl,
    kIp4BadLength,
    kIp4BadChecksum,
    kIp4Options,
    kIp4Fragment,
    // IPv6 header validation
    kIp6TooShort,
    kIp6BadVersion,
    kIp6BadLength,
    kIp6ExtensionHeader,
    // routing
    kMartianSource,
    kMartianDestination,
    kNoRoute,
    kBlackhole,
    kUnreachable,
    kProhibited,
    kRouteError,
    kTtlExceeded,
    kBeyondScope,
    kFragNeeded,
    kLinkDown,
    kNotForwardable,
    kMulticast,
    // local delivery and the host interface
    kNoHostInterface,
    // neighbours
    kNeighQueueFull,
    kNeighFailed,
    kNeighNoDevice,
    // ICMP errors
    kIcmpRateLimited,
    kIcmpNotSent,
    // ESP (crypto/esp_error.h, in EspError's order: esp_drop_reason() maps one to one)
    kEspTooShort,
    kEspBadLength,
    kEspBadSpi,
    kEspReplayed,
    kEspTooOld,
    kEspIcvFailed,
    kEspBadPadding,
    kEspBadNextHeader,
    kEspDummy,
    kEspNoRoom,
    kEspSeqExhausted,
    kEspLifetimeExpired,
    kEspCryptoFailed,
    // ESP before and after the crypto
    kEspNoSa,
    kEspEncapMismatch,
    kEspMultiSegment,
    kNattKeepalive,
    kNattMalformed,
    // the SPD (Linux's XfrmIn*/XfrmOut* statistics)
    kXfrmInStateMismatch,
    kXfrmInNoPolicy,
    kXfrmInPolicyBlock,
    kXfrmInTmplMismatch,
    kXfrmOutPolicyBlock,
    kXfrmOutNoPolicy,
    kXfrmOutNoState,
    kXfrmOutUnsupported,
    kXfrmOutLoop,
    kXfrmOutNoRoute,
    // GRE links (dataplane/stages/gre_stage.h)
    kGreNoRoute,
    kGreLoop,
    kGreNoRoom,
    kGreMalformed,
    kGreBadChecksum,
    kGreUnsupportedProtocol,
    kGreEcnNotEct,
    // iptables filter (and mangle) verdicts
    kFwDrop,
    kFwPolicyDrop,
    kFwReject,
    // resources and I/O
    kNoMbuf,
    kTxFull,
    kCount
};

using Severity = ws::Severity;
using DropReasonInfo = ws::ReasonInfo<DropReason>;

inline constexpr DropReasonInfo kDropReasons[] = {
    {DropReason::kNone, "none", Severity::kInfo, "not dropped"},
    {DropReason::kL2TooShort, "l2-too-short", Severity::kError, "frame shorter than an Ethernet header"},
    {DropReason::kL2NotForUs, "l2-not-for-us", Severity::kInfo, "destination MAC is neither the port's, broadcast nor multicast"},
    {DropReason::kUnknownEthertype, "unknown-ethertype", Severity::kInfo, "EtherType is not IPv4, IPv6 or ARP"},
    {DropReason::kVlanTagged, "vlan-tagged", Severity::kInfo, "802.1Q tagged frame (no VLAN sub-interfaces configured)"},
    {DropReason::kArpMalformed, "arp-malformed", Severity::kError, "ARP packet that is not Ethernet/IPv4 or is truncated"},
    {DropReason::kArpNotForUs, "arp-not-for-us", Severity::kInfo, "ARP request for an address this port does not own"},
    {DropReason::kIp4TooShort, "ip4-too-short", Severity::kError, "truncated IPv4 header"},
    {DropReason::kIp4BadVersion, "ip4-bad-version", Severity::kError, "IPv4 EtherType but version is not 4"},
    {DropReason::kIp4BadIhl, "ip4-bad-ihl", Severity::kError, "IHL below 5 or beyond the packet"},
    {DropReason::kIp4BadLength, "ip4-bad-length", Severity::kError, "total length below the header or beyond the frame"},
    {DropReason::kIp4BadChecksum, "ip4-bad-checksum", Severity::kError, "IPv4 header checksum does not verify"},
    {DropReason::kIp4Options, "ip4-options", Severity::kWarning, "IPv4 options are not forwarded"},
    {DropReason::kIp4Fragment, "ip4-fragment", Severity::kWarning, "IPv4 fragments are not forwarded"},
    {DropReason::kIp6TooShort, "ip6-too-short", Severity::kError, "truncated IPv6 header"},
    {DropReason::kIp6BadVersion, "ip6-bad-version", Severity::kError, "IPv6 EtherType but version is not 6"},
    {DropReason::kIp6BadLength, "ip6-bad-length", Severity::kError, "payload length beyond the frame"},
    {DropReason::kIp6ExtensionHeader, "ip6-extension-header", Severity::kWarning, "hop-by-hop options or fragment header"},
    {DropReason::kMartianSource, "martian-source", Severity::kWarning, "source address is martian or fails reverse-path validation"},
    {DropReason::kMartianDestination, "martian-destination", Severity::kWarning, "destination address is martian"},
    {DropReason::kNoRoute, "no-route", Severity::kInfo, "no route (ICMP network unreachable sent)"},
    {DropReason::kBlackhole, "blackhole", Severity::kInfo, "blackhole route or rule"},
    {DropReason::kUnreachable, "unreachable", Severity::kInfo, "unreachable route or rule (ICMP host unreachable sent)"},
    {DropReason::kProhibited, "prohibit", Severity::kInfo, "prohibit route or rule (ICMP administratively prohibited sent)"},
    {DropReason::kRouteError, "route-error", Severity::kWarning, "route lookup failed otherwise (invalid route type)"},
    {DropReason::kTtlExceeded, "ttl-exceeded", Severity::kInfo, "TTL or hop limit expired (ICMP time exceeded sent)"},
    {DropReason::kBeyondScope, "beyond-scope", Severity::kInfo, "IPv6 link-local source would leave its link (ICMPv6 beyond scope sent)"},
    {DropReason::kFragNeeded, "frag-needed", Severity::kInfo, "larger than the egress MTU (ICMP fragmentation needed / packet too big sent)"},
    {DropReason::kLinkDown, "link-down", Severity::kInfo, "egress link is down"},
    {DropReason::kNotForwardable, "not-forwardable", Severity::kInfo, "route leads to a device this dataplane cannot transmit on"},
    {DropReason::kMulticast, "multicast", Severity::kInfo, "multicast destination: no multicast routing, and link-local groups are not delivered to the host"},
    {DropReason::kNoHostInterface, "no-host-interface", Severity::kInfo, "addressed to the gateway, which has no host interface"},
    {DropReason::kNeighQueueFull, "neigh-queue-full", Severity::kWarning, "neighbour unresolved and its pending queue is full"},
    {DropReason::kNeighFailed, "neigh-failed", Severity::kWarning, "neighbour resolution failed (no ARP/ND reply)"},
    {DropReason::kNeighNoDevice, "neigh-no-device", Severity::kWarning, "nexthop device has no port"},
    {DropReason::kIcmpRateLimited, "icmp-rate-limited", Severity::kInfo, "ICMP error suppressed by the rate limit"},
    {DropReason::kIcmpNotSent, "icmp-not-sent", Severity::kInfo, "no ICMP error for this packet (RFC 1812 4.3.2.7: ICMP error, broadcast, fragment)"},
    {DropReason::kEspTooShort, "esp-too-short", Severity::kWarning, "ESP packet shorter than its header, IV, trailer and ICV"},
    {DropReason::kEspBadLength, "esp-bad-length", Severity::kWarning, "ESP ciphertext not a multiple of the cipher block"},
    {DropReason::kEspBadSpi, "esp-bad-spi", Severity::kWarning, "ESP SPI does not match its SA"},
    {DropReason::kEspReplayed, "esp-replayed", Severity::kWarning, "ESP sequence number already received"},
    {DropReason::kEspTooOld, "esp-too-old", Severity::kWarning, "ESP sequence number left of the anti-replay window"},
    {DropReason::kEspIcvFailed, "esp-icv-failed", Severity::kWarning, "ESP integrity check value did not verify"},
    {DropReason::kEspBadPadding, "esp-bad-padding", Severity::kWarning, "ESP padding is not 1, 2, 3, ... or overruns"},
    {DropReason::kEspBadNextHeader, "esp-bad-next-header", Severity::kWarning, "ESP tunnel mode: next header not 4 or 41"},
    {DropReason::kEspDummy, "esp-dummy", Severity::kInfo, "ESP dummy packet (next header 59) discarded"},
    {DropReason::kEspNoRoom, "esp-no-room", Severity::kError, "no headroom or tailroom for the ESP header, trailer and outer header"},
    {DropReason::kEspSeqExhausted, "esp-seq-exhausted", Severity::kError, "SA out of sequence numbers: rekey"},
    {DropReason::kEspLifetimeExpired, "esp-lifetime-expired", Severity::kError, "SA past its hard lifetime"},
    {DropReason::kEspCryptoFailed, "esp-crypto-failed", Severity::kError, "crypto engine refused the operation"},
    {DropReason::kEspNoSa, "esp-no-sa", Severity::kWarning, "ESP to a local address with no SA for its SPI (XfrmInNoStates)"},
    {DropReason::kEspEncapMismatch, "esp-encap-mismatch", Severity::kWarning, "ESP in UDP for an SA without encap, or plain ESP for an SA with it (XfrmInStateMismatch)"},
    {DropReason::kEspMultiSegment, "esp-multi-segment", Severity::kError, "ESP packet in a chained mbuf (ESP runs on contiguous packets)"},
    {DropReason::kNattKeepalive, "natt-keepalive", Severity::kInfo, "NAT-T keepalive (one byte 0xff to the ESP-in-UDP port) consumed"},
    {DropReason::kNattMalformed, "natt-malformed", Severity::kWarning, "UDP to the ESP-in-UDP port that is neither ESP, IKE nor a keepalive"},
    {DropReason::kXfrmInStateMismatch, "xfrm-in-state-mismatch", Severity::kWarning, "decrypted packet outside its SA's selector"},
    {DropReason::kXfrmInNoPolicy, "xfrm-in-no-policy", Severity::kWarning, "no in/fwd policy for a decrypted tunnel packet, or the default blocks"},
    {DropReason::kXfrmInPolicyBlock, "xfrm-in-policy-block", Severity::kInfo, "in/fwd policy action block"},
    {DropReason::kXfrmInTmplMismatch, "xfrm-in-tmpl-mismatch", Severity::kWarning, "in/fwd policy requires ESP the packet did not arrive with (plaintext that must be protected)"},
    {DropReason::kXfrmOutPolicyBlock, "xfrm-out-policy-block", Severity::kInfo, "out policy action block"},
    {DropReason::kXfrmOutNoPolicy, "xfrm-out-no-policy", Severity::kInfo, "no out policy: the default blocks, or an xfrm interface has no policy for its if_id"},
    {DropReason::kXfrmOutNoState, "xfrm-out-no-state", Severity::kWarning, "out policy requires an SA that does not exist (XfrmOutNoStates)"},
    {DropReason::kXfrmOutUnsupported, "xfrm-out-unsupported", Severity::kWarning, "out policy with templates other than one ESP (AH, IPComp, nesting)"},
    {DropReason::kXfrmOutLoop, "xfrm-out-loop", Severity::kWarning, "the encrypted packet's route leads back into IPsec or to the gateway itself"},
    {DropReason::kXfrmOutNoRoute, "xfrm-out-no-route", Severity::kWarning, "no usable route to the SA's destination"},
    {DropReason::kGreNoRoute, "gre-no-route", Severity::kWarning, "no usable route to a GRE link's remote address (or no source for it)"},
    {DropReason::kGreLoop, "gre-loop", Severity::kWarning, "a GRE link's outer route leads to the gateway itself or into another tunnel"},
    {DropReason::kGreNoRoom, "gre-no-room", Severity::kError, "no headroom for the outer IPv4 and GRE headers"},
    {DropReason::kGreMalformed, "gre-malformed", Severity::kWarning, "GRE from a configured peer: truncated, version not 0, or routing / strict source route / recursion bits set (RFC 2784 2.3)"},
    {DropReason::kGreBadChecksum, "gre-bad-checksum", Severity::kWarning, "GRE checksum present and wrong (RFC 2784 2.5)"},
    {DropReason::kGreUnsupportedProtocol, "gre-unsupported-protocol", Severity::kInfo, "GRE payload other than IPv4 or IPv6 (no gretap or WCCP)"},
    {DropReason::kGreEcnNotEct, "gre-ecn-not-ect", Severity::kInfo, "GRE outer header marked CE around a not-ECT inner packet (RFC 6040 4.2)"},
    {DropReason::kFwDrop, "fw-drop", Severity::kInfo, "an iptables rule's DROP (the rule's counters say which)"},
    {DropReason::kFwPolicyDrop, "fw-policy-drop", Severity::kInfo, "an iptables chain's DROP policy"},
    {DropReason::kFwReject, "fw-reject", Severity::kInfo, "an iptables rule's REJECT (the ICMP error or TCP RST is sent)"},
    {DropReason::kNoMbuf, "no-mbuf", Severity::kError, "packet buffer pool exhausted"},
    {DropReason::kTxFull, "tx-full", Severity::kWarning, "egress queue full"},
};
static_assert(std::size(kDropReasons) == static_cast<size_t>(DropReason::kCount), "one row per DropReason");

constexpr const DropReasonInfo& drop_reason_info(DropReason r) { return kDropReasons[static_cast<unsigned>(r)]; }
constexpr std::string_view drop_reason_name(DropReason r) { return drop_reason_info(r).name; }

// The drop reason of an ESP error (crypto/esp_error.h): the same name, one to one.
constexpr DropReason esp_drop_reason(uint8_t esp_error) {
    return static_cast<DropReason>(static_cast<unsigned>(DropReason::kEspTooShort) + esp_error - 1u);
}

}  // namespace dp
