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
    {DropReason::kNoMbuf, "no-mbuf", Severity::kError, "packet buffer pool exhausted"},
    {DropReason::kTxFull, "tx-full", Severity::kWarning, "egress queue full"},
};
static_assert(std::size(kDropReasons) == static_cast<size_t>(DropReason::kCount), "one row per DropReason");

constexpr const DropReasonInfo& drop_reason_info(DropReason r) { return kDropReasons[static_cast<unsigned>(r)]; }
constexpr std::string_view drop_reason_name(DropReason r) { return drop_reason_info(r).name; }

}  // namespace dp
