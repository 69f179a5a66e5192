#include "dataplane/tables/fib.h"

#include <algorithm>

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

Fib Fib::build_groups(uint32_t id, ws::Family family, const std::vector<std::span<const Route>>& groups) {
    Fib f;
    f.id_ = id;
    f.family_ = family;
    f.stride0_ = groups.size() > kWideThreshold ? 16 : 8;
    f.root_.assign(size_t(1) << f.stride0_, 0);
    // Insert by ascending prefix length so longer prefixes overwrite shorter ones in place, and
    // by address within a length so that the parent lookups walk the trie in order. The keys
    // are sorted as a compact array: comparing through the routes would miss the cache.
    struct Key {
        uint64_t hi, lo;
        uint32_t group;
        uint8_t len;
    };
    std::vector<Key> keys;
    keys.reserve(groups.size());
    size_t total = 0;
    for (uint32_t g = 0; g < groups.size(); ++g) {
        const auto& dst = groups[g].front().dst;
        uint64_t hi = 0, lo = 0;
        for (unsigned i = 0; i < 8; ++i) hi = hi << 8 | dst.addr.b[i];
        for (unsigned i = 8; i < 16; ++i) lo = lo << 8 | dst.addr.b[i];
        keys.push_back({hi, lo, g, dst.len});
        total += groups[g].size();
    }
    std::sort(keys.begin(), keys.end(), [](const Key& x, const Key& y) {
        if (x.len != y.len) return x.len < y.len;
        return x.hi != y.hi ? x.hi < y.hi : x.lo < y.lo;
    });
    f.nodes_.reserve(groups.size());
    f.routes_.reserve(total);
    for (const Key& key : keys) {
        const auto& group = groups[key.group];
        Node n;
        n.prefix = group.front().dst;
        n.parent = f.lpm(n.prefix.addr);  // only shorter prefixes are in the trie yet
        n.first = uint32_t(f.routes_.size());
        n.count = uint32_t(group.size());
        f.routes_.insert(f.routes_.end(), group.begin(), group.end());
        uint32_t node = uint32_t(f.nodes_.size());
        f.nodes_.push_back(n);
        f.insert(n.prefix, node);
    }
    return f;
}

Fib Fib::build(uint32_t id, ws::Family family, const std::vector<Route>& routes) {
    std::vector<std::span<const Route>> groups;
    for (size_t i = 0; i < routes.size();) {
        size_t j = i + 1;
        while (j < routes.size() && routes[j].dst == routes[i].dst) ++j;
        groups.emplace_back(routes.data() + i, j - i);
        i = j;
    }
    return build_groups(id, family, groups);
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
