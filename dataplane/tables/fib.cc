#include "dataplane/tables/fib.h"

#include <algorithm>
#include <numeric>

namespace dp {

uint32_t Fib::new_chunk(uint32_t fill) {
    uint32_t n = uint32_t(chunks_.size() / 256);
    chunks_.resize(chunks_.size() + 256, fill);
    return n;
}

void Fib::insert(const ws::InetPrefix& p, uint32_t node) {
    const uint32_t value = node + 1;
    const auto& b = p.addr.b;
    const unsigned top = stride0_ == 16 ? (unsigned(b[0]) << 8 | b[1]) : b[0];
    if (p.len <= stride0_) {
        unsigned span = 1u << (stride0_ - p.len);
        unsigned base = top & ~(span - 1);
        std::fill(root_.begin() + base, root_.begin() + base + span, value);
        return;
    }
    // Walk down one byte per level, creating chunks that inherit the covering entry. The slot
    // is kept as an offset: creating a chunk may move chunks_.
    bool in_root = true;
    size_t off = top;
    unsigned pos = stride0_ / 8;
    unsigned depth = stride0_;
    while (true) {
        uint32_t e = in_root ? root_[off] : chunks_[off];
        if (!(e & kChunk)) {
            e = kChunk | new_chunk(e);
            (in_root ? root_[off] : chunks_[off]) = e;
        }
        size_t chunk = size_t(e & ~kChunk) * 256;
        unsigned remaining = p.len - depth;
        if (remaining <= 8) {
            unsigned span = 1u << (8 - remaining);
            unsigned base = b[pos] & ~(span - 1);
            std::fill(chunks_.begin() + chunk + base, chunks_.begin() + chunk + base + span, value);
            return;
        }
        in_root = false;
        off = chunk + b[pos];
        ++pos;
        depth += 8;
    }
}

Fib Fib::build(uint32_t id, ws::Family family, std::vector<Route> routes) {
    Fib f;
    f.id_ = id;
    f.family_ = family;
    // Group boundaries: consecutive aliases with the same prefix form one node.
    std::vector<std::pair<uint32_t, uint32_t>> groups;  // (first, count) into `routes`
    for (uint32_t i = 0; i < routes.size();) {
        uint32_t j = i + 1;
        while (j < routes.size() && routes[j].dst == routes[i].dst) ++j;
        groups.emplace_back(i, j - i);
        i = j;
    }
    f.stride0_ = groups.size() > kWideThreshold ? 16 : 8;
    f.root_.assign(size_t(1) << f.stride0_, 0);
    // Insert by ascending prefix length so longer prefixes overwrite shorter ones in place.
    std::stable_sort(groups.begin(), groups.end(), [&](const auto& x, const auto& y) {
        return routes[x.first].dst.len < routes[y.first].dst.len;
    });
    f.nodes_.reserve(groups.size());
    f.routes_.reserve(routes.size());
    for (auto [first, count] : groups) {
        Node n;
        n.prefix = routes[first].dst;
        n.parent = f.lpm(n.prefix.addr);  // only shorter prefixes are in the trie yet
        n.first = uint32_t(f.routes_.size());
        n.count = count;
        for (uint32_t k = 0; k < count; ++k) f.routes_.push_back(std::move(routes[first + k]));
        uint32_t node = uint32_t(f.nodes_.size());
        f.nodes_.push_back(n);
        f.insert(n.prefix, node);
    }
    return f;
}

Fib::Handle Fib::lpm(const ws::InetAddr& a) const {
    const auto& b = a.b;
    const unsigned top = stride0_ == 16 ? (unsigned(b[0]) << 8 | b[1]) : b[0];
    uint32_t e = root_[top];
    unsigned pos = stride0_ / 8;
    while (e & kChunk) e = chunks_[size_t(e & ~kChunk) * 256 + b[pos++]];
    return e ? e - 1 : kNone;
}

void Fib::lpm_bulk_v4(const uint32_t* addrs, Handle* out, unsigned n) const {
    const uint32_t* root = root_.data();
    const uint32_t* chunks = chunks_.data();
    const unsigned shift0 = 32 - stride0_;
    for (unsigned i = 0; i < n; ++i) {
        const uint32_t a = addrs[i];
        uint32_t e = root[a >> shift0];
        unsigned shift = shift0;
        while (e & kChunk) {
            shift -= 8;
            e = chunks[size_t(e & ~kChunk) * 256 + ((a >> shift) & 0xff)];
        }
        out[i] = e ? e - 1 : kNone;
    }
}

size_t Fib::memory_bytes() const {
    size_t nh = 0;
    for (const auto& r : routes_) nh += r.nh.heap_bytes();
    return root_.capacity() * 4 + chunks_.capacity() * 4 + nodes_.capacity() * sizeof(Node) +
           routes_.capacity() * sizeof(Route) + nh;
}

std::string Fib::describe() const {
    return std::string("fib ") + ws::family_name(family_) + " table " + std::to_string(id_) + ": " + std::to_string(nodes_.size()) + " prefixes, " +
           std::to_string(routes_.size()) + " routes, stride " + std::to_string(stride0_) + "-8-8, " +
           std::to_string(chunks_.size() / 256) + " chunks, " + std::to_string(memory_bytes() / 1024) + " KiB";
}

}  // namespace dp
