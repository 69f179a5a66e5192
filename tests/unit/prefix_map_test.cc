// PrefixMap (control/model/prefix_map.h) against std::map on random insert/erase/find mixes,
// small enough to force long probe runs, wrap-around and backward shifts.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "control/model/prefix_map.h"

namespace {

ws::InetPrefix prefix(uint32_t a, uint8_t len) { return ws::InetPrefix{ws::InetAddr::v4(a), len}.masked(); }

TEST(PrefixMap, FindInEmptyMapIsNull) {
    ctl::PrefixMap<int> m;
    EXPECT_EQ(m.find(prefix(0x0a000000, 8)), nullptr);
    m.erase(prefix(0x0a000000, 8));  // erasing what is not there is a no-op
    EXPECT_TRUE(m.empty());
}

TEST(PrefixMap, AgreesWithStdMapUnderRandomChurn) {
    std::mt19937 rng(7);
    ctl::PrefixMap<int> m;
    std::map<std::pair<uint32_t, uint8_t>, int> ref;
    for (int step = 0; step < 200000; ++step) {
        // A small key space, so that erases and re-inserts collide with live entries.
        const uint32_t a = (rng() % 3000) << 8;
        const uint8_t len = uint8_t(16 + rng() % 9);
        const auto p = prefix(a, len);
        const auto key = std::make_pair(p.addr.v4(), len);
        switch (rng() % 3) {
            case 0: {
                auto [v, fresh] = m.try_emplace(p);
                EXPECT_EQ(fresh, !ref.count(key));
                *v = step;
                ref[key] = step;
                break;
            }
            case 1:
                m.erase(p);
                ref.erase(key);
                break;
            default: {
                const int* v = m.find(p);
                auto it = ref.find(key);
                ASSERT_EQ(v != nullptr, it != ref.end());
                if (v) EXPECT_EQ(*v, it->second);
            }
        }
        ASSERT_EQ(m.size(), ref.size());
    }
    // Every live entry is findable and holds its value.
    for (const auto& [key, value] : ref) {
        const int* v = m.find(prefix(key.first, key.second));
        ASSERT_NE(v, nullptr);
        EXPECT_EQ(*v, value);
    }
}

TEST(PrefixMap, SameAddressDifferentLengthsAreDifferentKeys) {
    ctl::PrefixMap<int> m;
    *m.try_emplace(prefix(0x0a000000, 8)).first = 8;
    *m.try_emplace(prefix(0x0a000000, 16)).first = 16;
    EXPECT_EQ(*m.find(prefix(0x0a000000, 8)), 8);
    EXPECT_EQ(*m.find(prefix(0x0a000000, 16)), 16);
    m.erase(prefix(0x0a000000, 8));
    EXPECT_EQ(m.find(prefix(0x0a000000, 8)), nullptr);
    EXPECT_EQ(*m.find(prefix(0x0a000000, 16)), 16);
}

}  // namespace
