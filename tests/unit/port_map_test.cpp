// PortMap: every port reads back its value, and identical pages of 256 ports are stored once.
#include <gtest/gtest.h>
#include <random>

#include "config/port_map.h"

namespace tcpkeep {
namespace {

constexpr std::size_t page_bytes = 256 * sizeof(std::uint16_t);

// The runs of a value per port.
std::vector<PortMap::Run> runs_of(const std::vector<std::uint16_t>& values) {
    std::vector<PortMap::Run> runs;
    for (std::uint32_t p = 0; p < PortMap::ports; ++p)
        if (p == 0 || values[p] != values[p - 1]) runs.push_back({p, values[p]});
    return runs;
}

TEST(PortMap, UniformDirectionsShareOnePage) {
    const PortMap m({{0, 3}}, {{0, 3}});
    EXPECT_EQ(m.footprint_bytes(), page_bytes);
    EXPECT_EQ(m.at(0, 0), 3);
    EXPECT_EQ(m.at(1, 65535), 3);
}

TEST(PortMap, EveryPortReadsBackItsValue) {
    std::mt19937 rng(6);
    std::vector<std::uint16_t> out(PortMap::ports, 7);
    std::vector<std::uint16_t> in(PortMap::ports, 7);
    for (std::size_t p = 1000; p < 1300; ++p) out[p] = 1;                                           // a run across two page boundaries
    for (std::size_t p = 157 * 256; p < 158 * 256; ++p) in[p] = static_cast<std::uint16_t>(rng());  // one random page
    in[65535] = 2;                                                                                  // the last port
    const PortMap m(runs_of(out), runs_of(in));
    int wrong = 0;
    for (std::uint32_t p = 0; p < PortMap::ports; ++p) {
        wrong += m.at(0, static_cast<std::uint16_t>(p)) != out[p];
        wrong += m.at(1, static_cast<std::uint16_t>(p)) != in[p];
    }
    EXPECT_EQ(wrong, 0);
    // The pages: all 7 (both directions), 7 then 1 (ports 768-1023), all 1 (1024-1279), 1 then 7
    // (1280-1535), the random one, 7 then 2 (the last page of inbound).
    EXPECT_EQ(m.footprint_bytes(), 6 * page_bytes);
    // And the runs come back as they went in, whole across pages and page boundaries.
    for (int d = 0; d < 2; ++d) {
        const std::vector<PortMap::Run> want = runs_of(d == 0 ? out : in);
        const std::vector<PortMap::Run> got = m.runs(d);
        ASSERT_EQ(got.size(), want.size()) << "direction " << d;
        for (std::size_t r = 0; r < want.size(); ++r) {
            EXPECT_EQ(got[r].first, want[r].first) << "direction " << d << " run " << r;
            EXPECT_EQ(got[r].value, want[r].value) << "direction " << d << " run " << r;
        }
    }
}

TEST(PortMap, RunsOfOneValueComeBackAsOne) {
    const PortMap m({{0, 1}, {10, 1}, {300, 2}, {600, 2}, {65535, 1}}, {{0, 4}});
    const std::vector<PortMap::Run> out = m.runs(0);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].first, 0u);
    EXPECT_EQ(out[0].value, 1);
    EXPECT_EQ(out[1].first, 300u);
    EXPECT_EQ(out[1].value, 2);
    EXPECT_EQ(out[2].first, 65535u);
    EXPECT_EQ(out[2].value, 1);
    const std::vector<PortMap::Run> in = m.runs(1);
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].value, 4);
}

}  // namespace
}  // namespace tcpkeep
