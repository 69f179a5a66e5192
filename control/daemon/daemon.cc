#include "control/daemon/daemon.h"

#include <rte_ethdev.h>

#include <algorithm>
#include <set>
#include <unordered_set>

#include "common/json.h"
#include "common/tokens.h"
#include "control/compile/compiler.h"
#include "control/config.h"
#include "control/compile/compile_firewall.h"
#include "control/compile/iface_view.h"
#include "control/grammar/iptables_grammar.h"
#include "control/grammar/printer.h"
#include "control/query.h"
#include "control/grammar/xfrm_grammar.h"
#include "control/xfrm_query.h"
#include "dataplane/tables/route_decision.h"

namespace ctl {
namespace {

Reply fail(int status, std::string msg) {
    Reply r;
    r.status = status;
    r.err = std::move(msg) + "\n";
    return r;
}

// The words of an `ip` command after its options ("-s", "-4", "-j"...), and whether -s was given.
struct IpWords {
    std::vector<std::string_view> words;
    bool stats = false;
    bool json = false;
};
IpWords ip_words(const std::string& line) {
    IpWords w;
    auto all = ws::split_words(line);
    size_t i = 0;
    if (!all.empty() && all[0] == "ip") ++i;
    for (; i < all.size() && all[i].size() > 1 && all[i][0] == '-'; ++i) {
        if (all[i] == "-s" || all[i] == "-stats" || all[i] == "-statistics") w.stats = true;
        if (all[i] == "-j" || all[i] == "-json") w.json = true;
    }
    w.words.assign(all.begin() + long(i), all.end());
    return w;
}

// Routes with their own source told to the host kernel, at most (a full table would swamp it).
constexpr size_t kMaxKernelRoutes = 65536;

bool is_show_verb(std::string_view v) { return v == "show" || v == "list" || v == "lst" || v == "ls"; }

}  // namespace

bool is_query(const std::string& line) {
    auto all = ws::split_words(line);
    if (all.empty()) return true;
    if (all[0] == "show") return true;
    if (is_iptables_command(all[0])) return is_iptables_query(all);
    if (all[0] != "ip") return false;
    IpWords w = ip_words(line);
    if (w.words.empty()) return true;
    if (is_xfrm_object(w.words[0])) return is_xfrm_query(all);
    std::string_view verb = w.words.size() > 1 ? w.words[1] : std::string_view("show");
    return is_show_verb(verb) || verb == "get";
}

Daemon::Daemon(Model model, dp::PortSet& ports, dp::NeighbourTable& neigh, std::vector<dp::WorkerCounters>& counters,
               dp::SnapshotSlot& slot, unsigned workers)
    : model_(std::move(model)), ports_(ports), neigh_(neigh), counters_(counters), pub_(slot), workers_(workers) {
    for (const auto& p : ports_.ports())
        if (p.host) host_.emplace(p.kernel_ifindex);
}

ws::Result<std::vector<dp::PortSpec>> Daemon::port_specs(const Model& m) {
    std::vector<dp::PortSpec> specs;
    bool host = false;
    for (size_t i = 0; i < m.specs.size(); ++i) {
        const LinkSpec& s = m.specs[i];
        if (s.kind != "dpdk" && s.kind != "host") continue;
        dp::PortSpec p;
        p.link = s.name;
        p.devargs = s.devargs;
        p.host = s.kind == "host";
        if (p.host && host) return ws::make_error(ws::Errc::kUnsupported, "only one `type host` interface is supported", s.name);
        host |= p.host;
        if (!s.address.empty()) {
            auto mac = dp::parse_mac(s.address);
            if (!mac) return ws::make_error(ws::Errc::kInvalid, "bad MAC address \"" + s.address + "\"", s.address);
            p.mac = *mac;
        }
        p.mtu = m.ifs.links[i].mtu;
        specs.push_back(std::move(p));
    }
    return specs;
}

ws::Result<std::unique_ptr<dp::Snapshot>> Daemon::build_snapshot() {
    auto s = std::make_unique<dp::Snapshot>();
    auto ipsec = compile_ipsec(model_, sa_registry_);
    if (!ipsec) return ipsec.error();
    s->ipsec = std::move(*ipsec);
    WS_TRY(attach_firewall(*s, model_.firewall, model_.ifs.links, workers_));
    s->generation = pub_.next_generation();
    s->routing = compile_routing(model_);
    uint32_t max_ifindex = 0;
    for (const auto& l : model_.ifs.links) max_ifindex = std::max(max_ifindex, l.ifindex);
    s->ifaces.resize(max_ifindex + 1);
    s->ifindex_of_port.assign(dp::kMaxPorts, 0);
    for (size_t i = 0; i < model_.ifs.links.size(); ++i) {
        const dp::Link& l = model_.ifs.links[i];
        dp::IfaceView& v = s->ifaces[l.ifindex];
        v = iface_view(l, model_.specs[i]);
        if (v.gre) s->gre_links.push_back(l.ifindex);
        const dp::Port* p = ports_.by_link(l.name);
        if (!p) continue;
        v.port = p->id;
        v.mac = p->mac;
        v.host = p->host;
        s->ifindex_of_port[p->id] = l.ifindex;
        if (p->host) {
            s->host_port = p->id;
            s->host_ifindex = l.ifindex;
            s->host_kernel_mac = p->kernel_mac;
        }
    }
    s->alloc_counters(workers_);
    PrintContext pc{&model_.names, &s->routing->ifs};
    for (const dp::FamilyRouting* fr : {&s->routing->v4, &s->routing->v6}) {
        const char* fam = fr == &s->routing->v4 ? "inet" : "inet6";
        for (const auto& r : fr->rules) {
            std::string line = format_rule_line(r, pc);
            std::replace(line.begin(), line.end(), '\t', ' ');
            s->rule_names.push_back(std::string(fam) + " " + line);
        }
    }
    return s;
}

dp::KernelView Daemon::kernel_view() const {
    dp::KernelView v;
    bool v4 = false, v6 = false;
    for (size_t i = 0; i < model_.ifs.links.size(); ++i) {
        const dp::Link& l = model_.ifs.links[i];
        if (model_.specs[i].kind == "host") {
            v.mtu = l.mtu;
            continue;
        }
        for (const auto& a : l.addrs) {
            // lo's own 127.0.0.1 and ::1 the kernel has; what else lo holds (a router's loopback
            // addresses, tunnel end points) is the gateway's as much as any port's.
            if ((a.local.is_v6() && a.local.is_link_local6()) || a.local.is_loopback()) continue;
            v.addrs.push_back(a.local);
            (a.local.is_v6() ? v6 : v4) = true;
        }
    }
    // The kernel picks its own source addresses; give it the ones wildside's routing would
    // give its traffic: the default route's source on the default route, and a route for each
    // prefix whose source differs, in the order the rule walk reaches its table (first wins).
    // Rules that select on more than `iif lo` cannot be told to the kernel this way.
    const auto snap = pub_.current();
    for (ws::Family fam : {ws::Family::kInet, ws::Family::kInet6}) {
        if (!(fam == ws::Family::kInet ? v4 : v6)) continue;
        const dp::FamilyRouting& fr = snap->routing->family(fam);
        std::vector<const dp::Fib*> order;
        for (size_t i = 0; i < fr.rules.size(); ++i) {
            const dp::Fib* t = fr.rule_tables[i];
            if (t && t->id() != dp::kTableLocal && std::find(order.begin(), order.end(), t) == order.end()) order.push_back(t);
        }
        std::vector<dp::KernelRoute> found;
        std::unordered_set<ws::InetPrefix, PrefixHash> seen;
        ws::InetAddr default_src;
        for (const dp::Fib* t : order)
            for (uint32_t h = 0; h < t->prefix_count(); ++h) {
                auto routes = t->routes(h);
                if (routes.empty() || !seen.insert(routes[0].dst).second) continue;
                const dp::Route& r = routes[0];
                const ws::InetAddr src = dp::route_source(snap->routing->ifs, r);
                if (r.type != dp::RouteType::kUnicast || !src.valid() || src.is_zero()) continue;
                if (r.dst.len == 0) default_src = src;
                else found.push_back({r.dst, src});
            }
        v.routes.push_back({ws::InetPrefix{ws::InetAddr::zero(fam), 0}, default_src});
        size_t added = 0;
        for (const auto& kr : found)
            if (!(kr.src == default_src) && added++ < kMaxKernelRoutes) v.routes.push_back(kr);
    }
    return v;
}

ws::Status Daemon::commit(std::unique_ptr<dp::Snapshot> snap) {
    for (const auto& n : model_.neighbours)
        if (auto mac = dp::parse_mac(n.lladdr)) neigh_.set_permanent(n.ifindex, n.addr, *mac);
    pub_.publish(std::move(snap));
    if (host_) return host_->sync(kernel_view());
    return {};
}

ws::Status Daemon::start() {
    auto snap = build_snapshot();
    if (!snap) return snap.error();
    return commit(std::move(*snap));
}

Reply Daemon::apply(const std::vector<std::string>& lines, bool batch) {
    std::vector<ScriptLine> script;
    for (size_t i = 0; i < lines.size(); ++i)
        for (auto& l : split_script(lines[i])) {
            l.line = batch ? int(i + 1) : 0;
            script.push_back(std::move(l));
        }
    Model next = model_;
    auto st = apply_batch(next, script, batch ? "batch" : "");
    if (!st) return fail(2, st.error().format());
    // What a running dataplane cannot do: DPDK ports are probed at start.
    for (const auto& s : next.specs) {
        if ((s.kind == "dpdk" || s.kind == "host") && !ports_.by_link(s.name))
            return fail(2, "Error: link " + s.name + ": adding a DPDK or host port to a running wildside is not supported; add it to the configuration and restart");
    }
    for (const auto& p : ports_.ports()) {
        if (!next.link(p.link)) return fail(2, "Error: link " + p.link + ": deleting a DPDK port of a running wildside is not supported");
    }
    for (size_t i = 0; i < next.specs.size(); ++i) {
        const LinkSpec& s = next.specs[i];
        const dp::Port* p = ports_.by_link(s.name);
        if (!p) continue;
        if (!s.address.empty()) {
            auto mac = dp::parse_mac(s.address);
            if (mac && *mac != p->mac) ports_.set_mac(s.name, *mac);
        }
        if (const dp::Link* l = next.link(s.name); l && (!model_.link(s.name) || model_.link(s.name)->mtu != l->mtu))
            ports_.set_mtu(s.name, l->mtu);
    }
    std::swap(model_, next);
    auto snap = build_snapshot();
    if (!snap) {
        std::swap(model_, next);  // refused: the running configuration stays as it was
        return fail(2, snap.error().format());
    }
    auto c = commit(std::move(*snap));
    if (!c) return fail(2, c.error().format());
    return {};
}

bool Daemon::poll_carrier() {
    bool changed = false;
    for (const dp::Port& p : ports_.ports()) {
        const dp::Link* l = model_.link(p.link);
        if (p.host || !l) continue;
        const bool carrier = ports_.carrier(p);
        if (carrier == l->carrier) continue;
        (void)model_.link_set_carrier(p.link, carrier);
        std::fprintf(stderr, "wildside: link %s %s carrier\n", p.link.c_str(), carrier ? "has" : "lost");
        changed = true;
    }
    if (!changed) return false;
    auto snap = build_snapshot();
    if (!snap) {
        std::fprintf(stderr, "wildside: after a carrier change: %s\n", snap.error().format().c_str());
        return true;
    }
    if (auto c = commit(std::move(*snap)); !c) std::fprintf(stderr, "wildside: %s\n", c.error().format().c_str());
    return true;
}

Reply Daemon::query(const std::string& line, bool json, bool batch) {
    IpWords w = ip_words(line);
    json |= w.json;
    auto all = ws::split_words(line);
    if (!all.empty() && all[0] == "show" && all.size() >= 2 && all[1] == "counters") return {0, show_counters(json), {}};
    if (!all.empty() && all[0] == "ip" && !w.words.empty()) {
        std::string_view object = w.words[0];
        std::string_view verb = w.words.size() > 1 ? w.words[1] : std::string_view("show");
        if ((object == "link" || object == "l") && is_show_verb(verb)) {
            std::string dev = w.words.size() > 2 ? std::string(w.words[w.words.size() - 1]) : std::string();
            if (!dev.empty() && !model_.link(dev)) return fail(1, "Device \"" + dev + "\" does not exist.");
            return {0, link_stats(dev, json), {}};
        }
        if ((object == "neigh" || object == "neighbour" || object == "neighbor" || object == "n") && is_show_verb(verb))
            return {0, neigh_show(json), {}};
    }
    const dp::Snapshot* s = pub_.current();
    QueryOptions opt{json, batch};
    IptCounterSource ipt;
    if (!all.empty() && is_iptables_command(all[0])) {
        ipt = counter_source(s->fw);
        opt.ipt_counters = &ipt;
    }
    auto q = run_query(model_, *s->routing, line, opt);
    return {q.status, q.out, q.err};
}

Reply Daemon::execute(const Request& req) {
    if (req.lines.empty()) return fail(1, "wildsidectl: no command");
    bool any_change = false;
    for (const auto& l : req.lines)
        if (!is_query(l)) any_change = true;
    if (any_change) {
        for (const auto& l : req.lines)
            if (is_query(l) && !ws::split_words(l).empty())
                return fail(1, "Error: a batch of changes cannot hold queries (\"" + l + "\")");
        return apply(req.lines, req.batch);
    }
    if (!req.batch) return query(req.lines[0], req.json, false);
    Reply all;
    for (const auto& l : req.lines) {
        if (ws::split_words(l).empty()) continue;
        Reply r = query(l, req.json, true);
        if (r.status) all.status = r.status;
        all.out += r.status ? r.err : r.out;
    }
    return all;
}

// Each SA of the snapshot: its traffic, its errors and its lifetime state (the soft limit is
// the rekey signal; hard expiry and exhausted sequence numbers stop it).
std::string Daemon::sa_counters(const dp::Snapshot& s, bool json) const {
    std::string out = json ? "[" : "sas:\n";
    if (!s.ipsec) return json ? "[]" : out;
    bool first = true;
    for (const dp::SaEntry& e : s.ipsec->sas) {
        const crypto::SaRuntime& rt = *e.rt;
        const crypto::SaStats st = rt.stats();
        char spi[16];
        std::snprintf(spi, sizeof spi, "0x%08x", e.spi);
        if (json) {
            ws::JsonObject o;
            o.str("src", e.src.format());
            o.str("dst", e.dst.format());
            o.str("spi", spi);
            o.str("mode", e.mode == crypto::Mode::kTunnel ? "tunnel" : "transport");
            o.num("packets", rt.packets());
            o.num("bytes", rt.bytes());
            o.num("oseq", rt.last_seq());
            o.num("replay_window", st.replay_window);
            o.num("replay", st.replay);
            o.num("integrity_failed", st.integrity_failed);
            o.num("seq_exhausted", st.seq_exhausted);
            o.raw("soft_expired", rt.soft_expired() ? "true" : "false");
            o.raw("hard_expired", rt.hard_expired() ? "true" : "false");
            out += (first ? "" : ",") + o.text();
        } else {
            out += "  src " + e.src.format() + " dst " + e.dst.format() + " spi " + spi + " packets " +
                   std::to_string(rt.packets()) + " bytes " + std::to_string(rt.bytes()) + " oseq " +
                   std::to_string(rt.last_seq()) + " replay-window " + std::to_string(st.replay_window) + " replay " +
                   std::to_string(st.replay) + " failed " + std::to_string(st.integrity_failed) +
                   (st.seq_exhausted ? " seq-exhausted " + std::to_string(st.seq_exhausted) : "") +
                   (rt.hard_expired() ? " expired" : rt.soft_expired() ? " soft-expired" : "") + "\n";
        }
        first = false;
    }
    return json ? out + "]" : out;
}

std::string Daemon::show_counters(bool json) const {
    const dp::Snapshot* s = pub_.current();
    PrintContext pc{&model_.names, &s->routing->ifs};
    dp::WorkerCounters sum;
    for (const auto& c : counters_) {
        for (size_t i = 0; i < size_t(dp::DropReason::kCount); ++i) sum.drops[i] += dp::read_counter(c.drops[i]);
        for (size_t i = 0; i < size_t(dp::StageId::kCount); ++i) {
            sum.stage_packets[i] += dp::read_counter(c.stage_packets[i]);
            sum.stage_cycles[i] += dp::read_counter(c.stage_cycles[i]);
        }
    }
    std::string out;
    if (json) {
        ws::JsonObject drops;
        for (size_t i = 1; i < size_t(dp::DropReason::kCount); ++i)
            drops.num(std::string(dp::kDropReasons[i].name), sum.drops[i]);
        std::string rules = "[";
        for (size_t i = 0; i < s->rule_names.size(); ++i) {
            const std::string& n = s->rule_names[i];
            const size_t sp = n.find(' '), colon = n.find(':');
            ws::JsonObject o;
            o.str("family", n.substr(0, sp));
            o.num("priority", std::stoull(n.substr(sp + 1, colon - sp - 1)));
            o.str("rule", n.substr(colon + 2));
            o.num("packets", s->rule_hits_total(i));
            rules += (i ? "," : "") + o.text();
        }
        rules += "]";
        std::string routes = "[";
        bool first_route = true;
        for_each_route_slot(*s, [&](ws::Family f, const dp::Route& r, size_t slot) {
            const uint64_t n = s->route_hits_total(slot);
            if (!n) return;
            ws::JsonObject o;
            o.str("family", f == ws::Family::kInet6 ? "inet6" : "inet");
            o.str("table", model_.names.table_name(r.table));
            o.str("route", format_route_line(r, pc, false));
            o.num("packets", n);
            routes += (first_route ? "" : ",") + o.text();
            first_route = false;
        });
        routes += "]";
        std::string stages = "[";
        for (size_t i = 0; i < size_t(dp::StageId::kCount); ++i) {
            ws::JsonObject o;
            o.str("name", dp::kStageNames[i]);
            o.num("packets", sum.stage_packets[i]);
            o.num("cycles", sum.stage_cycles[i]);
            stages += (i ? "," : "") + o.text();
        }
        stages += "]";
        std::string workers = "[";
        for (size_t w = 0; w < counters_.size(); ++w) {
            const auto& c = counters_[w];
            ws::JsonObject o;
            o.num("id", w);
            o.num("lcore", c.lcore);
            o.num("rx_packets", dp::read_counter(c.rx_packets));
            o.num("busy_cycles", dp::read_counter(c.busy_cycles));
            o.num("idle_polls", dp::read_counter(c.idle_polls));
            o.num("route_cache_misses", dp::read_counter(c.route_cache_misses));
            o.num("icmp_errors_sent", dp::read_counter(c.icmp_sent));
            o.num("neighbour_probes_sent", dp::read_counter(c.arp_sent));
            workers += (w ? "," : "") + o.text();
        }
        workers += "]";
        ws::JsonObject top;
        top.raw("drops", drops.text());
        top.raw("rules", rules);
        top.raw("routes", routes);
        top.raw("stages", stages);
        top.raw("workers", workers);
        top.raw("sas", sa_counters(*s, true));
        top.num("generation", s->generation);
        return top.text() + "\n";
    }
    out += "drops:\n";
    for (size_t i = 1; i < size_t(dp::DropReason::kCount); ++i)
        if (sum.drops[i]) out += "  " + std::string(dp::kDropReasons[i].name) + " " + std::to_string(sum.drops[i]) + "\n";
    out += sa_counters(*s, false);
    out += "rules:\n";
    for (size_t i = 0; i < s->rule_names.size(); ++i)
        out += "  " + s->rule_names[i] + "  packets " + std::to_string(s->rule_hits_total(i)) + "\n";
    out += "routes:\n";
    for_each_route_slot(*s, [&](ws::Family, const dp::Route& r, size_t slot) {
        if (const uint64_t n = s->route_hits_total(slot))
            out += "  table " + model_.names.table_name(r.table) + " " + format_route_line(r, pc, false) + " packets " + std::to_string(n) + "\n";
    });
    out += "stages:\n";
    for (size_t i = 0; i < size_t(dp::StageId::kCount); ++i) {
        const uint64_t p = sum.stage_packets[i];
        out += "  " + std::string(dp::kStageNames[i]) + " packets " + std::to_string(p) + " cycles " +
               std::to_string(sum.stage_cycles[i]) + (p ? " (" + std::to_string(sum.stage_cycles[i] / p) + "/packet)" : "") + "\n";
    }
    out += "workers:\n";
    for (size_t w = 0; w < counters_.size(); ++w) {
        const auto& c = counters_[w];
        out += "  " + std::to_string(w) + " rx_packets " + std::to_string(dp::read_counter(c.rx_packets)) + " busy_cycles " +
               std::to_string(dp::read_counter(c.busy_cycles)) + " idle_polls " + std::to_string(dp::read_counter(c.idle_polls)) +
               " route_cache_misses " + std::to_string(dp::read_counter(c.route_cache_misses)) + "\n";
    }
    return out;
}

std::string Daemon::link_stats(const std::string& dev, bool json) const {
    std::string out = json ? "[" : "";
    bool first = true;
    for (size_t i = 0; i < model_.ifs.links.size(); ++i) {
        const dp::Link& l = model_.ifs.links[i];
        if (!dev.empty() && l.name != dev) continue;
        const dp::Port* p = ports_.by_link(l.name);
        dp::PortCounters pc;
        uint64_t missed = 0;
        if (p) {
            for (const auto& c : counters_) {
                const auto& x = c.port[p->id];
                pc.rx_packets += dp::read_counter(x.rx_packets);
                pc.rx_bytes += dp::read_counter(x.rx_bytes);
                pc.tx_packets += dp::read_counter(x.tx_packets);
                pc.tx_bytes += dp::read_counter(x.tx_bytes);
                pc.tx_dropped += dp::read_counter(x.tx_dropped);
            }
            rte_eth_stats st;
            if (rte_eth_stats_get(p->id, &st) == 0) missed = st.imissed + st.rx_nombuf;
        } else if ((model_.specs[i].kind == "xfrm" || model_.specs[i].kind == "gre") && l.ifindex < dp::kMaxVirtualIfindex) {
            for (const auto& c : counters_) {  // the inner packets it carried
                const auto& x = c.virt[l.ifindex];
                pc.rx_packets += dp::read_counter(x.rx_packets);
                pc.rx_bytes += dp::read_counter(x.rx_bytes);
                pc.tx_packets += dp::read_counter(x.tx_packets);
                pc.tx_bytes += dp::read_counter(x.tx_bytes);
            }
        }
        std::vector<std::string> flags;
        if (l.loopback) flags = {"LOOPBACK"};
        else if (model_.specs[i].kind == "xfrm") flags = {"NOARP"};  // as Linux lists an xfrm interface
        else if (model_.specs[i].kind == "gre") flags = {"POINTOPOINT", "NOARP"};
        else flags = {"BROADCAST", "MULTICAST"};
        if (!l.carrier) flags.insert(flags.begin(), "NO-CARRIER");
        if (l.up) flags.push_back("UP");
        if (l.up && l.carrier) flags.push_back("LOWER_UP");
        const std::string mac = p ? dp::format_mac(p->mac) : (l.loopback ? "00:00:00:00:00:00" : "");
        const std::string kind = model_.specs[i].kind;
        if (json) {
            std::string fl = "[";
            for (size_t k = 0; k < flags.size(); ++k) fl += (k ? ",\"" : "\"") + flags[k] + "\"";
            fl += "]";
            ws::JsonObject rx, tx, stats, o;
            rx.num("bytes", pc.rx_bytes).num("packets", pc.rx_packets).num("errors", 0).num("dropped", missed);
            tx.num("bytes", pc.tx_bytes).num("packets", pc.tx_packets).num("errors", 0).num("dropped", pc.tx_dropped);
            stats.raw("rx", rx.text()).raw("tx", tx.text());
            o.num("ifindex", l.ifindex).str("ifname", l.name).raw("flags", fl).num("mtu", l.mtu);
            o.str("operstate", l.up && l.carrier ? "UP" : "DOWN").str("link_type", l.loopback ? "loopback" : kind == "xfrm" ? "none" : kind == "gre" ? "gre" : "ether");
            if (!mac.empty()) o.str("address", mac);
            o.str("kind", kind);
            o.raw("stats64", stats.text());
            out += (first ? "" : ",") + o.text();
        } else {
            std::string fl;
            for (size_t k = 0; k < flags.size(); ++k) fl += (k ? "," : "") + flags[k];
            out += std::to_string(l.ifindex) + ": " + l.name + ": <" + fl + "> mtu " + std::to_string(l.mtu) + " state " +
                   (l.up && l.carrier ? "UP" : "DOWN") + "\n";
            if (!mac.empty()) out += "    link/" + std::string(l.loopback ? "loopback " : "ether ") + mac + " brd ff:ff:ff:ff:ff:ff\n";
            else if (kind == "gre")
                out += "    link/gre " + (model_.specs[i].gre_local.valid() ? model_.specs[i].gre_local.format() : "0.0.0.0") +
                       " peer " + model_.specs[i].gre_remote.format() + "\n";
            out += "    RX:  bytes packets errors dropped\n    " + std::to_string(pc.rx_bytes) + " " + std::to_string(pc.rx_packets) +
                   " 0 " + std::to_string(missed) + "\n";
            out += "    TX:  bytes packets errors dropped\n    " + std::to_string(pc.tx_bytes) + " " + std::to_string(pc.tx_packets) +
                   " 0 " + std::to_string(pc.tx_dropped) + "\n";
        }
        first = false;
    }
    return json ? out + "]\n" : out;
}

std::string Daemon::neigh_show(bool json) const {
    std::string out = json ? "[" : "";
    bool first = true;
    for (const auto& r : neigh_.rows()) {
        const dp::Link* l = model_.ifs.find(r.ifindex);
        const std::string dev = l ? l->name : std::to_string(r.ifindex);
        const bool has_mac = r.state == dp::NeighState::kReachable || r.state == dp::NeighState::kPermanent;
        if (json) {
            ws::JsonObject o;
            o.str("dst", r.addr.format()).str("dev", dev);
            if (has_mac) o.str("lladdr", dp::format_mac(r.mac));
            o.raw("state", std::string("[\"") + dp::neigh_state_name(r.state) + "\"]");
            out += (first ? "" : ",") + o.text();
        } else {
            out += r.addr.format() + " dev " + dev + (has_mac ? " lladdr " + dp::format_mac(r.mac) : "") + " " +
                   dp::neigh_state_name(r.state) + "\n";
        }
        first = false;
    }
    return json ? out + "]\n" : out;
}

}  // namespace ctl
