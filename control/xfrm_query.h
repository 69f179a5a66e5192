#pragma once
// `ip xfrm` queries against the model: `ip xfrm state list|show|get|count`, `ip xfrm policy
// list|show|get|count|getdefault`, and `show compiled spd`. wildsidectl -c runs them offline;
// run_query() (control/query.h) hands every `ip xfrm ...` line here.
//
// Output: iproute2 6.1's text, entry by entry in the kernel's dump order (newest first), e.g.
//   src 10.1.0.0/16 dst 10.2.0.0/16
//   	dir out priority 10 ptype main
//   	tmpl src 192.0.2.1 dst 198.51.100.2
//   		proto esp reqid 1 mode tunnel
// (IPv4 and IPv6 together, as ip lists them with or without -4/-6). No JSON: ip 6.1 prints
// xfrm as text even with -j, and so does wildside. `-s` (statistics) is not implemented.
// Keys:  hidden by default, exactly as `ip xfrm state list nokeys` hides them:
//          aead rfc4106(gcm(aes)) <<Keys hidden>> 128
//        and shown (ip's 0x-hex) only when the command says `keys`
//        (`ip xfrm state list keys`, `ip xfrm state get ... keys`); ip shows them unless told
//        `nokeys`, wildside hides them unless told `keys`.
// Runtime lines ("anti-replay context: seq 0x0, ...") print the SaReplayView the caller
// passes: zeros offline; the daemon passes each SA's live counters.
// Errors: as ip: "RTNETLINK answers: No such process" (state get) / "No such file or
// directory" (policy get), status 2; a malformed query, its grammar error, status 255.
// Cost:  O(n log n) per list; `show compiled spd` adds an O(n^2) shadow check per direction
// (skipped above kShadowCheckMax policies).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "control/model/model.h"
#include "control/query.h"

namespace ctl {

// What `ip xfrm state show` prints of an SA's runtime: sequence numbers and replay bitmap.
struct SaReplayView {
    uint32_t seq = 0, oseq = 0, seq_hi = 0, oseq_hi = 0;
    std::vector<uint32_t> bitmap;  // 32-bit words, oldest packets first; missing words print 0
};
using SaRuntimeLookup = std::function<SaReplayView(const XfrmState&)>;

enum class KeyText : uint8_t { kHidden, kShown };

// One `ip xfrm state show` entry (lines ending in '\n'); kShown prints the key material.
std::string format_state_show(const XfrmState& s, KeyText keys, const SaReplayView& replay = {});
// One `ip xfrm policy show` entry.
std::string format_policy_show(const XfrmPolicy& p);

inline constexpr size_t kShadowCheckMax = 4096;
// `show compiled spd`: per direction, the policies in lookup order with what each does, the
// default, and warnings for policies an earlier one shadows (never reached).
std::string describe_spd(const Spd& spd);

// Answers one `ip [OPTIONS] xfrm ...` query (all its words).
QueryOutput xfrm_query(const Model& m, const std::vector<std::string_view>& words, const QueryOptions& opt,
                       const SaRuntimeLookup& runtime = {});
QueryOutput show_compiled_spd(const Model& m);

// Whether an `ip [OPTIONS] xfrm ...` line only reads (for the daemon's query/change split).
bool is_xfrm_query(const std::vector<std::string_view>& words);

}  // namespace ctl
