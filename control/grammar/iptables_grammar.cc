#include "control/grammar/iptables_grammar.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "control/grammar/iptables_ext.h"
#include "control/grammar/iptables_words.h"

namespace ctl {

using ipt_ext::ExtDef;
using ipt_ext::ExtOption;
using ipt_ext::Loaded;
using ipt_words::backquoted;
using ipt_words::cat;
using ipt_words::problem;
using ipt_words::quoted;
using ws::Errc;
using ws::make_error;

namespace {

// do_parse()'s command bits and cmd2char()'s letters for them.
enum Cmd : unsigned {
    kCmdInsert = 1u << 0, kCmdDelete = 1u << 1, kCmdDeleteNum = 1u << 2, kCmdReplace = 1u << 3,
    kCmdAppend = 1u << 4, kCmdList = 1u << 5, kCmdFlush = 1u << 6, kCmdZero = 1u << 7,
    kCmdNewChain = 1u << 8, kCmdDeleteChain = 1u << 9, kCmdSetPolicy = 1u << 10, kCmdRenameChain = 1u << 11,
    kCmdListRules = 1u << 12, kCmdZeroNum = 1u << 13, kCmdCheck = 1u << 14,
};
constexpr char kCmdChars[] = "IDDRALFZNXPESZC";
constexpr unsigned kRuleCmds = kCmdAppend | kCmdDelete | kCmdDeleteNum | kCmdCheck | kCmdInsert | kCmdReplace;

// The options set_option() records, their letters and what '!' before them inverts.
enum Opt : unsigned {
    kOptNumeric = 1u << 0, kOptSource = 1u << 1, kOptDestination = 1u << 2, kOptProtocol = 1u << 3,
    kOptJump = 1u << 4, kOptVerbose = 1u << 5, kOptExpanded = 1u << 6, kOptViaIn = 1u << 7, kOptViaOut = 1u << 8,
    kOptLineNumbers = 1u << 9, kOptCounters = 1u << 10, kOptFragment = 1u << 11,
};
constexpr char kOptChars[] = "nsdpjvxio0cf";
constexpr uint8_t kOptInverse[] = {0, kInvSrc, kInvDst, kInvProto, 0, 0, 0, kInvIif, kInvOif, 0, 0, kInvFrag};
// commands_v_options[][]: 'x' marks an option a command refuses (columns as kOptChars).
constexpr std::string_view kCmdVsOpt[] = {
    "x     x  x  ",  // INSERT
    "x     x  xx ",  // DELETE
    "xxxxx xxxxxx",  // DELETE_NUM
    "x     x  x  ",  // REPLACE
    "x     x  x  ",  // APPEND
    " xxxx  xx xx",  // LIST
    "xxxxx xxxxxx",  // FLUSH
    "xxxxx xxxxxx",  // ZERO
    "xxxxx xxxxxx",  // NEW_CHAIN
    "xxxxx xxxxxx",  // DELETE_CHAIN
    "xxxxx xxxx x",  // SET_POLICY
    "xxxxx xxxxxx",  // RENAME_CHAIN
    "xxxxx xxxxxx",  // LIST_RULES
    "xxxxx xxxxxx",  // ZERO_NUM
    "x     x  xx ",  // CHECK
};

char cmd2char(unsigned cmd) {
    size_t i = 0;
    for (; cmd > 1; cmd >>= 1) ++i;
    return kCmdChars[i];
}

size_t opt_index(unsigned opt) {
    size_t i = 0;
    while ((1u << i) != opt) ++i;
    return i;
}

// original_opts[] and the short option string, as getopt_long() sees them.
struct BaseOpt {
    std::string_view name;
    char val;
    int has_arg;  // 0 none, 1 required, 2 optional
};
constexpr BaseOpt kLongOpts[] = {
    {"append", 'A', 1},      {"delete", 'D', 1},       {"check", 'C', 1},         {"insert", 'I', 1},
    {"replace", 'R', 1},     {"list", 'L', 2},         {"list-rules", 'S', 2},    {"flush", 'F', 2},
    {"zero", 'Z', 2},        {"new-chain", 'N', 1},    {"delete-chain", 'X', 2},  {"rename-chain", 'E', 1},
    {"policy", 'P', 1},      {"source", 's', 1},       {"destination", 'd', 1},   {"src", 's', 1},
    {"dst", 'd', 1},         {"protocol", 'p', 1},     {"in-interface", 'i', 1},  {"jump", 'j', 1},
    {"table", 't', 1},       {"match", 'm', 1},        {"numeric", 'n', 0},       {"out-interface", 'o', 1},
    {"verbose", 'v', 0},     {"wait", 'w', 2},         {"wait-interval", 'W', 2}, {"exact", 'x', 0},
    {"fragments", 'f', 0},   {"version", 'V', 0},      {"help", 'h', 2},          {"line-numbers", '0', 0},
    {"modprobe", 'M', 1},    {"set-counters", 'c', 1}, {"goto", 'g', 1},          {"ipv4", '4', 0},
    {"ipv6", '6', 0},
};

int short_has_arg(char c) {
    constexpr std::string_view kOptString = "A:C:D:E:F::I:L::M:N:P:VX::Z::c:d:i:j:o:p:s:t:R:S::W::46bfg:h::m:nvw::x";
    const size_t at = kOptString.find(c);
    if (c == ':' || at == std::string_view::npos) return -1;
    if (at + 1 < kOptString.size() && kOptString[at + 1] == ':')
        return at + 2 < kOptString.size() && kOptString[at + 2] == ':' ? 2 : 1;
    return 0;
}

// One getopt_long() answer.
struct Event {
    enum class Kind : uint8_t { kBase, kExt, kNonOption, kUnknown, kMissingArg, kEnd };
    Kind kind = Kind::kEnd;
    char val = 0;                  // kBase
    size_t ext = 0;                // kExt: index into the loaded extensions
    const ExtOption* opt = nullptr;
    std::optional<std::string_view> arg;
    std::string_view word;   // argv[optind - 1]: what -s, -d, -p, -i, -o, -j read
    std::string_view token;  // the option as written
};

std::string_view family_prog(ws::Family f) { return f == ws::Family::kInet6 ? "ip6tables" : "iptables"; }

class Parser {
public:
    Parser(const Firewall& fw, const std::vector<std::string_view>& words)
        : fw_(fw), w_(words), family_(words.at(0) == "ip6tables" ? ws::Family::kInet6 : ws::Family::kInet) {
        rule_.family = family_;
    }
    ws::Result<IptCommand> run();

private:
    Event next();
    Event long_option(std::string_view token);
    Event short_option();
    bool has_arg_word() const { return optind_ < w_.size() && !w_[optind_].empty() && w_[optind_][0] != '-' && w_[optind_][0] != '!'; }
    ws::Status add_command(unsigned cmd, unsigned others);
    ws::Status set_option(unsigned opt);
    ws::Result<size_t> rulenumber(std::string_view w);
    ws::Status on_base(const Event& e);
    ws::Status on_command(const Event& e);
    ws::Status on_rule_option(const Event& e);
    ws::Status on_match(std::string_view name);
    ws::Status on_jump(std::string_view name);
    ws::Status on_default(const Event& e, bool& rerun);
    ws::Status load_match(const ExtDef& d);
    ws::Status finish(IptCommand& cmd);
    ws::Status set_kind(IptCommand& cmd) const;
    ws::Status generic_opt_check() const;
    ws::Status build_rules(IptCommand& cmd);
    ws::Result<IptTarget> build_target() const;

    const Firewall& fw_;
    const std::vector<std::string_view>& w_;
    ws::Family family_;
    size_t optind_ = 1;
    std::string_view cluster_;  // the rest of a short-option cluster
    std::string_view cluster_token_;

    std::string table_ = "filter";
    unsigned command_ = 0;
    std::string chain_, new_name_, policy_;
    std::optional<size_t> rulenum_;
    unsigned options_ = 0;
    bool invert_ = false;
    ipt_ext::RuleSoFar rule_;
    uint8_t invflags_ = 0;
    std::optional<std::string_view> saddr_, daddr_;
    std::string iif_, oif_;
    std::vector<Loaded> exts_;  // matches and the target, in load order
    std::optional<size_t> target_;
    std::string jumpto_;
    bool goto_ = false, proto_used_ = false;
};

// getopt_long(): long options (exact first, then an unambiguous prefix), short clusters, and
// words that are not options returned in order ("-" leads the option string).
Event Parser::next() {
    if (!cluster_.empty()) return short_option();
    Event e;
    if (optind_ >= w_.size()) return e;
    std::string_view t = w_[optind_];
    if (t.size() < 2 || t[0] != '-') {
        ++optind_;
        e.kind = Event::Kind::kNonOption;
        e.word = e.token = t;
        return e;
    }
    if (t == "--") {
        ++optind_;
        return e;  // the end of the options: what follows is "unknown arguments"
    }
    if (t[1] == '-') return long_option(t);
    ++optind_;
    cluster_ = t.substr(1);
    cluster_token_ = t;
    return short_option();
}

Event Parser::long_option(std::string_view t) {
    ++optind_;
    Event e;
    e.token = e.word = t;
    std::string_view name = t.substr(2);
    std::optional<std::string_view> inline_arg;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
        inline_arg = name.substr(eq + 1);
        name = name.substr(0, eq);
    }
    // The merged option table: the base options, then the newest extension's first.
    struct Cand {
        int has_arg;
        long val;  // base: the letter; extensions: 1000 * (index + 1) + id
        Event::Kind kind;
        char base;
        size_t ext;
        const ExtOption* opt;
        std::string_view full;
    };
    std::vector<Cand> all;
    for (const auto& o : kLongOpts) all.push_back({o.has_arg, o.val, Event::Kind::kBase, o.val, 0, nullptr, o.name});
    for (size_t k = exts_.size(); k-- > 0;)
        for (const auto& o : exts_[k].def->options)
            all.push_back({(o.flags & ipt_ext::kArg) ? 1 : 0, long(1000 * (k + 1) + o.id), Event::Kind::kExt, 0, k, &o, o.name});
    const Cand* found = nullptr;
    for (const auto& c : all)
        if (c.full == name) {
            found = &c;
            break;
        }
    if (!found) {
        for (const auto& c : all) {
            if (name.empty() || c.full.substr(0, name.size()) != name) continue;
            if (!found) found = &c;
            else if (found->has_arg != c.has_arg || found->val != c.val) {
                e.kind = Event::Kind::kUnknown;  // ambiguous
                return e;
            }
        }
    }
    if (!found) {
        e.kind = Event::Kind::kUnknown;
        return e;
    }
    e.kind = found->kind;
    e.val = found->base;
    e.ext = found->ext;
    e.opt = found->opt;
    if (found->has_arg == 0 && inline_arg) {
        e.kind = Event::Kind::kUnknown;
    } else if (found->has_arg == 1) {
        if (inline_arg) {
            e.arg = inline_arg;
        } else if (optind_ < w_.size()) {
            e.arg = e.word = w_[optind_++];
        } else {
            e.kind = Event::Kind::kMissingArg;
        }
    } else if (found->has_arg == 2) {
        e.arg = inline_arg;
    }
    return e;
}

Event Parser::short_option() {
    Event e;
    e.token = e.word = cluster_token_;
    const char c = cluster_[0];
    cluster_.remove_prefix(1);
    const int has = short_has_arg(c);
    if (has < 0) {
        cluster_ = {};
        e.kind = Event::Kind::kUnknown;
        return e;
    }
    e.kind = Event::Kind::kBase;
    e.val = c;
    if (has == 0) return e;
    if (!cluster_.empty()) {
        e.arg = cluster_;
    } else if (has == 1) {
        if (optind_ < w_.size()) e.arg = e.word = w_[optind_++];
        else e.kind = Event::Kind::kMissingArg;
    }
    cluster_ = {};
    return e;
}

ws::Status Parser::add_command(unsigned cmd, unsigned others) {
    if (invert_) return problem("unexpected '!' flag");
    if (command_ & ~others)
        return problem(std::string("Cannot use -") + cmd2char(cmd) + " with -" + cmd2char(command_ & ~others));
    command_ |= cmd;
    return {};
}

ws::Status Parser::set_option(unsigned opt) {
    const size_t i = opt_index(opt);
    if (options_ & opt) return problem(std::string("multiple -") + kOptChars[i] + " flags not allowed");
    options_ |= opt;
    if (invert_) {
        if (!kOptInverse[i]) return problem(std::string("cannot have ! before -") + kOptChars[i]);
        invflags_ |= kOptInverse[i];
    }
    return {};
}

ws::Result<size_t> Parser::rulenumber(std::string_view w) {
    auto v = ipt_words::whole_number(w, 1, 0x7fffffff);
    if (!v) return problem("Invalid rule number " + backquoted(w), w);
    return size_t(*v);
}

ws::Status Parser::on_command(const Event& e) {
    auto chain_arg = [&]() {
        if (e.arg) chain_ = std::string(*e.arg);
        else if (has_arg_word()) chain_ = std::string(w_[optind_++]);
    };
    auto num_arg = [&]() -> ws::Status {
        if (!has_arg_word()) return {};
        auto n = rulenumber(w_[optind_++]);
        if (!n) return n.error();
        rulenum_ = *n;
        return {};
    };
    switch (e.val) {
    case 'A': WS_TRY(add_command(kCmdAppend, 0)); chain_ = std::string(*e.arg); return {};
    case 'C': WS_TRY(add_command(kCmdCheck, 0)); chain_ = std::string(*e.arg); return {};
    case 'D':
        WS_TRY(add_command(kCmdDelete, 0));
        chain_ = std::string(*e.arg);
        WS_TRY(num_arg());
        if (rulenum_) command_ = kCmdDeleteNum;
        return {};
    case 'R':
        WS_TRY(add_command(kCmdReplace, 0));
        chain_ = std::string(*e.arg);
        WS_TRY(num_arg());
        if (!rulenum_) return problem("-R requires a rule number");
        return {};
    case 'I':
        WS_TRY(add_command(kCmdInsert, 0));
        chain_ = std::string(*e.arg);
        WS_TRY(num_arg());
        if (!rulenum_) rulenum_ = 1;
        return {};
    case 'L':
    case 'S':
        WS_TRY(add_command(e.val == 'L' ? kCmdList : kCmdListRules, kCmdZero | kCmdZeroNum));
        chain_arg();
        return num_arg();
    case 'F': WS_TRY(add_command(kCmdFlush, 0)); chain_arg(); return {};
    case 'N':
        WS_TRY(ipt_words::check_new_chain_name(*e.arg));
        WS_TRY(add_command(kCmdNewChain, 0));
        chain_ = std::string(*e.arg);
        return {};
    case 'X': WS_TRY(add_command(kCmdDeleteChain, 0)); chain_arg(); return {};
    case 'E':
        WS_TRY(add_command(kCmdRenameChain, 0));
        chain_ = std::string(*e.arg);
        if (!has_arg_word()) return problem("-E requires old-chain-name and new-chain-name");
        new_name_ = std::string(w_[optind_++]);
        return {};
    case 'P':
        WS_TRY(add_command(kCmdSetPolicy, 0));
        chain_ = std::string(*e.arg);
        if (!has_arg_word()) return problem("-P requires a chain and a policy");
        policy_ = std::string(w_[optind_++]);
        return {};
    case 'Z': return ipt_words::unsupported("-Z (the counters are the dataplane's)", e.token);
    default: return {};
    }
}

ws::Status Parser::on_rule_option(const Event& e) {
    switch (e.val) {
    case 'p': {
        WS_TRY(set_option(kOptProtocol));
        auto p = ipt_words::parse_protocol(e.word);
        if (!p) return p.error();
        if (*p == 0 && (invflags_ & kInvProto)) return problem("rule would never match protocol", e.word);
        rule_.proto = *p;
        rule_.proto_given = true;
        rule_.proto_inv = invflags_ & kInvProto;
        return {};
    }
    case 's': WS_TRY(set_option(kOptSource)); saddr_ = e.word; return {};
    case 'd': WS_TRY(set_option(kOptDestination)); daddr_ = e.word; return {};
    case 'i':
    case 'o': {
        if (e.arg->empty()) return problem("Empty interface is likely to be undesired", e.token);
        WS_TRY(set_option(e.val == 'i' ? kOptViaIn : kOptViaOut));
        auto n = ipt_words::parse_interface(e.word);
        if (!n) return n.error();
        (e.val == 'i' ? iif_ : oif_) = *n;
        return {};
    }
    case 'f':
        if (family_ == ws::Family::kInet6) return problem("`-f' is not supported in IPv6, use -m frag instead", e.token);
        return set_option(kOptFragment);
    case 'g':
        WS_TRY(set_option(kOptJump));
        WS_TRY(ipt_words::check_target_name(*e.arg));
        goto_ = true;
        jumpto_ = std::string(*e.arg);
        return {};
    case 'j': WS_TRY(set_option(kOptJump)); return on_jump(e.word);
    case 'm':
        if (invert_) return problem("unexpected ! flag before --match");
        return on_match(*e.arg);
    default: return {};
    }
}

ws::Status Parser::on_base(const Event& e) {
    switch (e.val) {
    case 'A': case 'C': case 'D': case 'R': case 'I': case 'L': case 'S': case 'F': case 'Z': case 'N': case 'X':
    case 'E': case 'P':
        return on_command(e);
    case 'p': case 's': case 'd': case 'i': case 'o': case 'f': case 'g': case 'j': case 'm':
        return on_rule_option(e);
    case 'v':
        if (options_ & kOptVerbose) return {};
        return set_option(kOptVerbose);
    case 'n': return set_option(kOptNumeric);
    case 'x': return set_option(kOptExpanded);
    case '0': return set_option(kOptLineNumbers);
    case 't':
        if (invert_) return problem("unexpected ! flag before --table");
        table_ = std::string(*e.arg);
        return {};
    case 'w':
        // --wait [SECONDS]: there is no lock to wait for here.
        if (!e.arg && optind_ < w_.size() && ipt_words::whole_number(w_[optind_], 0, 0x7fffffff, 10)) ++optind_;
        return {};
    case 'W': case 'M': return {};
    case '4':
    case '6':
        if ((e.val == '6') == (family_ == ws::Family::kInet6)) return {};
        return problem(std::string("-") + e.val + " is not valid for " + std::string(family_prog(family_)), e.token);
    case 'c': return ipt_words::unsupported("-c (setting counters)", e.token);
    case 'h': case 'V': return ipt_words::unsupported(std::string("-") + e.val + " in a configuration", e.token);
    default: {
        bool rerun = false;
        Event u = e;
        u.kind = Event::Kind::kUnknown;
        return on_default(u, rerun);
    }
    }
}

ws::Status Parser::load_match(const ExtDef& d) {
    // xtables_find_match(): a new instance completes the earlier ones of that name.
    for (auto& l : exts_)
        if (l.def == &d) l.completed = true;
    exts_.push_back(ipt_ext::load(d, family_));
    return {};
}

ws::Status Parser::on_match(std::string_view name) {
    const ExtDef* d = ipt_ext::find_match(name, family_);
    if (!d) {
        if (ipt_words::is_known_match(name, family_)) return ipt_words::unsupported("match " + backquoted(name), name);
        return problem("Couldn't load match " + backquoted(name) + ":No such file or directory", name);
    }
    return load_match(*d);
}

ws::Status Parser::on_jump(std::string_view name) {
    WS_TRY(ipt_words::check_target_name(name));
    jumpto_ = std::string(name);
    if (name == "ACCEPT" || name == "DROP" || name == "RETURN") return {};
    if (name == "QUEUE") return ipt_words::unsupported("target QUEUE", name);
    if (const ExtDef* d = ipt_ext::find_target(name, family_)) {
        exts_.push_back(ipt_ext::load(*d, family_));
        target_ = exts_.size() - 1;
        return {};
    }
    if (ipt_words::is_known_target(name, family_)) return ipt_words::unsupported("target " + backquoted(name), name);
    return {};  // a chain: whether it exists is asked later
}

// command_default(): an option no base entry took belongs to the target or a match, or makes
// the protocol's match load (once) and is read again; else it is unknown.
ws::Status Parser::on_default(const Event& e, bool& rerun) {
    rerun = false;
    if (e.kind == Event::Kind::kExt) {
        Loaded& l = exts_[e.ext];
        return ipt_ext::parse_option(l, *e.opt, e.arg.value_or(std::string_view()), invert_, rule_);
    }
    if (rule_.proto_given && !proto_used_) {
        proto_used_ = true;
        if (auto name = ipt_words::proto_match_name(rule_.proto, family_)) {
            if (const ExtDef* d = ipt_ext::find_match(*name, family_)) {
                WS_TRY(load_match(*d));
                rerun = true;
                return {};
            }
            if (ipt_words::is_known_match(*name, family_))
                return ipt_words::unsupported("match " + backquoted(*name) + " (that -p " + *name + " loads)", *name);
        }
    }
    if (e.kind == Event::Kind::kMissingArg) return problem("option " + quoted(e.token) + " requires an argument", e.token);
    return problem("unknown option " + quoted(e.token), e.token);
}

ws::Status Parser::generic_opt_check() const {
    for (size_t i = 0; i < 12; ++i) {
        int legal = 0;
        for (size_t j = 0; j < 15; ++j) {
            if (!(command_ & (1u << j)) || !(options_ & (1u << i))) continue;
            if (kCmdVsOpt[j][i] != 'x') legal = 1;
            else if (legal == 0) legal = -1;
        }
        if (legal == -1) return problem(std::string("Illegal option `-") + kOptChars[i] + "' with this command");
    }
    return {};
}

ws::Result<IptCommand> Parser::run() {
    for (;;) {
        const size_t before = optind_;
        const std::string_view cluster_before = cluster_;
        Event e = next();
        if (e.kind == Event::Kind::kEnd) break;
        if (e.kind == Event::Kind::kNonOption) {
            if (e.word == "!") {
                if (invert_) return problem("multiple consecutive ! not allowed", e.word);
                invert_ = true;
                continue;
            }
            return problem("Bad argument " + backquoted(e.word), e.word);
        }
        ws::Status st;
        if (e.kind == Event::Kind::kBase) {
            st = on_base(e);
        } else {
            bool rerun = false;
            st = on_default(e, rerun);
            if (st && rerun) {
                optind_ = before;  // read the same option again, now that the match is loaded
                cluster_ = cluster_before;
                continue;
            }
        }
        if (!st) return st.error();
        invert_ = false;
    }
    IptCommand cmd;
    WS_TRY(finish(cmd));
    return cmd;
}

// What do_parse() checks after the options, in its order, then nft's own checks.
ws::Status Parser::finish(IptCommand& cmd) {
    for (auto& l : exts_)
        if (!l.def->target) WS_TRY(ipt_ext::final_check(l));
    if (target_) WS_TRY(ipt_ext::final_check(exts_[*target_]));
    if (optind_ < w_.size()) return problem("unknown arguments found on commandline", w_[optind_]);
    if (!command_) return problem("no command specified");
    if (invert_) return problem("nothing appropriate following !");
    cmd.family = family_;
    WS_TRY(build_rules(cmd));
    if (command_ == kCmdReplace && cmd.rules.size() != 1)
        return problem("Replacement rule does not specify a unique address");
    WS_TRY(generic_opt_check());
    if (chain_.size() >= ipt_words::kExtensionNameMax)
        return problem("chain name " + backquoted(chain_) + " too long (must be under 29 chars)", chain_);
    if (command_ & kRuleCmds) {
        if ((chain_ == "PREROUTING" || chain_ == "INPUT") && (options_ & kOptViaOut))
            return problem("Can't use -o with " + chain_, "-o");
        if ((chain_ == "POSTROUTING" || chain_ == "OUTPUT") && (options_ & kOptViaIn))
            return problem("Can't use -i with " + chain_, "-i");
    }
    if (table_ == "mangle") cmd.table = IptTable::kMangle;
    else if (table_ == "filter") cmd.table = IptTable::kFilter;
    else if (table_ == "nat" || table_ == "raw" || table_ == "security")
        return ipt_words::unsupported("table " + backquoted(table_), table_);
    else return make_error(Errc::kInvalid, "table '" + table_ + "' does not exist", table_);
    if (command_ & (kRuleCmds & ~kCmdDeleteNum)) {
        // nft's rule building: the tcp/udp payload needs its protocol, a jump needs its chain.
        for (const auto& m : cmd.rules.front().match_list)
            if (const auto* p = std::get_if<IptPortsMatch>(&m); p && p->proto != 132 && p->proto != rule_.proto)
                return problem(p->proto == 6 ? "TCP match requires '-p tcp'" : "UDP match requires '-p udp'", p->proto == 6 ? "tcp" : "udp");
        const IptTarget& t = cmd.rules.front().target;
        if ((t.kind == IptTargetKind::kJump || t.kind == IptTargetKind::kGoto) && !fw_.table(family_, cmd.table).find(t.chain))
            return problem("Chain '" + t.chain + "' does not exist", t.chain);
    }
    cmd.chain = chain_;
    cmd.new_name = new_name_;
    cmd.rulenum = rulenum_.value_or(0);
    cmd.numeric = options_ & kOptNumeric;
    cmd.verbose = options_ & kOptVerbose;
    cmd.exact = options_ & kOptExpanded;
    cmd.line_numbers = options_ & kOptLineNumbers;
    return set_kind(cmd);
}

ws::Status Parser::set_kind(IptCommand& cmd) const {
    switch (command_) {
    case kCmdAppend: cmd.kind = IptCommandKind::kAppend; break;
    case kCmdDelete: cmd.kind = IptCommandKind::kDelete; break;
    case kCmdDeleteNum: cmd.kind = IptCommandKind::kDeleteNum; break;
    case kCmdInsert: cmd.kind = IptCommandKind::kInsert; break;
    case kCmdReplace: cmd.kind = IptCommandKind::kReplace; break;
    case kCmdCheck: cmd.kind = IptCommandKind::kCheck; break;
    case kCmdList: cmd.kind = IptCommandKind::kList; break;
    case kCmdListRules: cmd.kind = IptCommandKind::kListRules; break;
    case kCmdFlush: cmd.kind = IptCommandKind::kFlush; break;
    case kCmdNewChain: cmd.kind = IptCommandKind::kNewChain; break;
    case kCmdDeleteChain: cmd.kind = IptCommandKind::kDeleteChain; break;
    case kCmdRenameChain: cmd.kind = IptCommandKind::kRenameChain; break;
    case kCmdSetPolicy:
        cmd.kind = IptCommandKind::kSetPolicy;
        if (policy_ != "ACCEPT" && policy_ != "DROP")
            return make_error(Errc::kInvalid, "Bad policy name. Run `dmesg' for more information.", policy_);
        cmd.policy = policy_ == "DROP" ? IptPolicy::kDrop : IptPolicy::kAccept;
        break;
    default: return problem("no command specified");
    }
    return {};
}

ws::Result<IptTarget> Parser::build_target() const {
    if (target_) return exts_[*target_].target;
    IptTarget t;
    if (jumpto_.empty()) return t;
    if (jumpto_ == "ACCEPT" || jumpto_ == "DROP" || jumpto_ == "RETURN") {
        if (goto_) return ipt_words::unsupported("-g " + jumpto_, jumpto_);
        t.kind = jumpto_ == "ACCEPT" ? IptTargetKind::kAccept : jumpto_ == "DROP" ? IptTargetKind::kDrop : IptTargetKind::kReturn;
        return t;
    }
    t.kind = goto_ ? IptTargetKind::kGoto : IptTargetKind::kJump;
    t.chain = jumpto_;
    return t;
}

// iptables-nft compiles -m tcp/udp ports to nft compares and lists them from those: an inverted
// range from 0 is "port > M" and reads back as M+1:65535; an inverted full range compiles to
// nothing at all, so the match is gone (the rule then matches whatever the ports); a match whose
// ports are all full and none inverted stays an xt match (listed as a bare "-m tcp").
void nft_port_forms(std::vector<IptMatch>& ms) {
    for (auto it = ms.begin(); it != ms.end();) {
        auto* p = std::get_if<IptPortsMatch>(&*it);
        if (!p || p->proto == 132) {
            ++it;
            continue;
        }
        const bool inverted = p->inv_sport || p->inv_dport;
        for (auto [r, inv] : {std::pair{&p->sport, &p->inv_sport}, std::pair{&p->dport, &p->inv_dport}}) {
            if (!*inv || r->min == r->max) continue;
            if (r->is_any()) {
                *inv = false;
            } else if (r->min == 0) {
                *r = IptPortRange{uint16_t(r->max + 1), 0xffff};
                *inv = false;
            }
        }
        if (inverted && p->sport.is_any() && p->dport.is_any() && !p->inv_sport && !p->inv_dport) it = ms.erase(it);
        else ++it;
    }
}

// post_parse(): the addresses (every source with every destination) and the rule they share.
ws::Status Parser::build_rules(IptCommand& cmd) {
    const bool v6 = family_ == ws::Family::kInet6;
    std::optional<std::string_view> s = saddr_, d = daddr_;
    if (command_ & (kCmdReplace | kCmdInsert | kCmdDelete | kCmdAppend | kCmdCheck)) {
        if (!s) s = v6 ? "::/0" : "0.0.0.0/0";
        if (!d) d = v6 ? "::/0" : "0.0.0.0/0";
    }
    std::vector<ipt_words::AddrMask> srcs, dsts;
    if (s) {
        auto r = ipt_words::parse_addresses(*s, family_);
        if (!r) return r.error();
        srcs = std::move(*r);
    }
    if (d) {
        auto r = ipt_words::parse_addresses(*d, family_);
        if (!r) return r.error();
        dsts = std::move(*r);
    }
    if ((srcs.size() > 1 || dsts.size() > 1) && (invflags_ & (kInvSrc | kInvDst)))
        return problem("! not allowed with multiple source or destination IP addresses");
    if (!(command_ & kRuleCmds) || command_ == kCmdDeleteNum) return {};
    IptRule base;
    base.family = family_;
    // xtables_parse_interface(): "+" alone matches every interface, so it says nothing.
    base.iif = (iif_ == "+" && !(invflags_ & kInvIif)) ? "" : iif_;
    base.oif = (oif_ == "+" && !(invflags_ & kInvOif)) ? "" : oif_;
    base.proto = rule_.proto;
    base.frag = options_ & kOptFragment;
    base.inv = invflags_;
    size_t ports = 0, udps = 0;
    for (const auto& l : exts_) {
        if (l.def->target) continue;
        if (const auto* p = std::get_if<IptPortsMatch>(&l.match)) (p->proto == 17 ? udps : ports) += p->proto != 132;
        base.match_list.push_back(l.match);
    }
    nft_port_forms(base.match_list);
    if (ports > 1 || udps > 1)
        return ipt_words::unsupported(std::string("a second ") + (ports > 1 ? "tcp" : "udp") +
                                          " match in one rule (iptables-nft lists them merged)",
                                      ports > 1 ? "tcp" : "udp");
    auto t = build_target();
    if (!t) return t.error();
    base.target = *t;
    for (const auto& sa : srcs)
        for (const auto& da : dsts) {
            IptRule r = base;
            r.src = sa.addr;
            r.smsk = sa.mask;
            r.dst = da.addr;
            r.dmsk = da.mask;
            cmd.rules.push_back(std::move(r));
        }
    return {};
}

}  // namespace

bool is_iptables_command(std::string_view word) { return word == "iptables" || word == "ip6tables"; }

ws::Result<IptCommand> parse_iptables(const Firewall& fw, const std::vector<std::string_view>& words) {
    if (words.empty() || !is_iptables_command(words[0])) return problem("not an iptables command");
    Parser p(fw, words);
    return p.run();
}

ws::Status apply_iptables(Firewall& fw, const std::vector<std::string_view>& words) {
    auto c = parse_iptables(fw, words);
    if (!c) return c.error();
    const ws::Family f = c->family;
    const IptTable t = c->table;
    const std::optional<std::string_view> chain =
        c->chain.empty() ? std::nullopt : std::optional<std::string_view>(c->chain);
    switch (c->kind) {
    case IptCommandKind::kAppend:
        for (auto& r : c->rules) WS_TRY(fw.append(f, t, c->chain, std::move(r)));
        return {};
    case IptCommandKind::kInsert:
        // Every rule goes in at N: the later pairs end up first, as iptables inserts them.
        for (auto& r : c->rules) WS_TRY(fw.insert(f, t, c->chain, c->rulenum, std::move(r)));
        return {};
    case IptCommandKind::kReplace: return fw.replace(f, t, c->chain, c->rulenum, std::move(c->rules.front()));
    case IptCommandKind::kDelete:
        for (const auto& r : c->rules) WS_TRY(fw.del(f, t, c->chain, r));
        return {};
    case IptCommandKind::kDeleteNum: return fw.del_num(f, t, c->chain, c->rulenum);
    case IptCommandKind::kCheck:
        for (const auto& r : c->rules) WS_TRY(fw.check(f, t, c->chain, r));
        return {};
    case IptCommandKind::kFlush: return fw.flush(f, t, chain);
    case IptCommandKind::kSetPolicy: return fw.set_policy(f, t, c->chain, c->policy);
    case IptCommandKind::kNewChain: return fw.new_chain(f, t, c->chain);
    case IptCommandKind::kDeleteChain: return fw.delete_chain(f, t, chain);
    case IptCommandKind::kRenameChain: return fw.rename_chain(f, t, c->chain, c->new_name);
    case IptCommandKind::kList:
    case IptCommandKind::kListRules: return {};
    }
    return {};
}

bool is_iptables_query(const std::vector<std::string_view>& words) {
    Firewall empty;
    auto c = parse_iptables(empty, words);
    if (c)
        return c->kind == IptCommandKind::kList || c->kind == IptCommandKind::kListRules || c->kind == IptCommandKind::kCheck;
    // An unparsable line: a query when it names -L, -S or -C (its error comes back as an answer).
    for (size_t i = 1; i < words.size(); ++i)
        if (words[i] == "-L" || words[i] == "-S" || words[i] == "-C" || words[i] == "--list" || words[i] == "--list-rules" ||
            words[i] == "--check")
            return true;
    return false;
}

}  // namespace ctl
