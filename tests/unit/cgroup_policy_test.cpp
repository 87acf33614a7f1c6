// Cgroup mode's compilation of a policy into map contents, and finding the cgroup v2 mount: the
// maps must reproduce CompiledPolicy's decisions, and what cgroup mode cannot decide is refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <cstring>

#include "test_support.h"
#include "tools/cgroup/cgroup_policy.h"
#include "tools/cgroup/mount_table.h"

namespace tcpkeep {
namespace {

// The map lookup the BPF program does (bpf/decide.bpf.h), in C++.
const tk_verdict& map_decide(const CgroupPolicy& maps, int direction, std::uint16_t port, const PeerAddress* peer) {
    const std::uint32_t table = maps.ports[static_cast<std::size_t>(direction) * 65536 + port];
    std::uint32_t slot = table & ~TK_PEER_CANDIDATES;
    if (peer != nullptr && (table & TK_PEER_CANDIDATES) != 0) {
        const std::uint32_t bound = slot == 0 ? UINT32_MAX : slot;
        std::uint32_t words[4] = {};
        std::memcpy(words, peer->bytes.data(), peer->family == Family::v4 ? 4 : 16);
        for (const tk_peer_entry& e : maps.peers) {
            if (e.slot >= bound) break;
            if (!(e.directions & (1u << direction)) || port < e.port_first || port > e.port_last) continue;
            if (e.family != (peer->family == Family::v4 ? TK_FAMILY_V4 : TK_FAMILY_V6)) continue;
            bool inside = true;
            for (int w = 0; w < 4; ++w) inside = inside && (words[w] & e.mask[w]) == e.net[w];
            if (inside) {
                slot = e.slot;
                break;
            }
        }
    }
    return maps.verdicts.at(slot);
}

constexpr const char* mixed = R"(version = 1
[defaults]
keepalive = true
idle = "61s"
user_timeout = "9s"

[[rule]]
direction = "outbound"
ports = [5432, "6000-6100"]
idle = "30s"

[[rule]]
ports = [7000]
action = "skip"

[[rule]]
peers = ["10.0.0.0/8", "fd00::/8"]
count = 3
enforce = true

[[rule]]
direction = "inbound"
peers = ["192.168.1.0/24"]
ports = [80]
interval = "2s"
)";

TEST(CgroupPolicy, MapsDecideAsTheCompiledPolicy) {
    const Policy policy = test::must_read(mixed);
    const Result<CgroupPolicy> maps = compile_cgroup_policy(policy);
    ASSERT_TRUE(maps) << maps.error().message;
    const CompiledPolicy compiled = CompiledPolicy::compile(policy, ProcessIdentity{}, KernelDefaults{});
    const char* peers[] = {"10.1.2.3", "11.0.0.1", "fd00::5", "fe80::1", "192.168.1.9", "192.168.2.9", "::ffff:10.9.9.9"};
    int checked = 0;
    for (int d = 0; d < 2; ++d) {
        for (const int p : {0, 79, 80, 81, 5432, 5999, 6000, 6050, 6100, 6101, 7000, 65535}) {
            const auto port = static_cast<std::uint16_t>(p);
            for (const char* text : peers) {
                const std::optional<PeerAddress> peer = PeerAddress::parse(text);
                ASSERT_TRUE(peer) << text;
                const Verdict& want = compiled.decide(d ? Direction::inbound : Direction::outbound, port, &*peer);
                const tk_verdict& got = map_decide(*maps, d, port, &*peer);
                SCOPED_TRACE(fmt::format("direction {} port {} peer {}", d, port, text));
                EXPECT_EQ(got.kind, static_cast<int>(want.kind));
                EXPECT_EQ(got.mask, want.settings.mask);
                EXPECT_EQ(got.idle_s, want.settings.idle_s);
                EXPECT_EQ(got.interval_s, want.settings.interval_s);
                EXPECT_EQ(got.count, want.settings.count);
                EXPECT_EQ(got.user_timeout_ms, want.settings.user_timeout_ms);
                EXPECT_EQ(got.enforce != 0, want.enforce);
                ++checked;
            }
            const Verdict& listener = compiled.decide(d ? Direction::inbound : Direction::outbound, port, nullptr);
            EXPECT_EQ(map_decide(*maps, d, port, nullptr).idle_s, listener.settings.idle_s);
        }
    }
    EXPECT_EQ(checked, 2 * 12 * 7);
    // One entry per (block, port range) of each rule with peers, in rule order.
    ASSERT_EQ(maps->peers.size(), 3u);
    EXPECT_EQ(maps->peers[0].net[0], htonl(0x0a000000));
    EXPECT_EQ(maps->peers[0].mask[0], htonl(0xff000000));
    EXPECT_EQ(maps->peers[1].family, TK_FAMILY_V6);
    EXPECT_EQ(maps->peers[1].mask[0], htonl(0xff000000));
    EXPECT_EQ(maps->peers[1].mask[1], 0u);
    EXPECT_EQ(maps->peers[2].directions, 2);
}

TEST(CgroupPolicy, RefusesWhatTheKernelCannotDecideAsTheShim) {
    const Policy policy = test::must_read(R"(version = 1
[defaults]
idle = "60s"
interval = "10s"
count = 6
user_timeout = "auto"

[[rule]]
name = "by path"
process = ["/usr/bin/psql"]
idle = "5s"

[[rule]]
name = "auto without count"
ports = [80]
count = 4
user_timeout = "auto"
)");
    const std::vector<std::string> why = cgroup_refusals(policy);
    ASSERT_EQ(why.size(), 1u);
    EXPECT_EQ(why[0].rfind("rule \"by path\" (line 8): `process` cannot be matched in cgroup mode", 0), 0u) << why[0];
    EXPECT_FALSE(compile_cgroup_policy(policy));
}

TEST(MountTable, FindsTheFirstMountOfAType) {
    const std::string mounts =
        "sysfs /sys sysfs rw 0 0\n"
        "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"
        "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nsdelegate 0 0\n"
        "bpf /sys/fs/my\\040bpf bpf rw 0 0\n";
    EXPECT_EQ(find_mount(mounts, "cgroup2"), "/sys/fs/cgroup/unified");
    EXPECT_EQ(find_mount(mounts, "bpf"), "/sys/fs/my bpf");
    EXPECT_EQ(find_mount(mounts, "tmpfs"), std::nullopt);
}

}  // namespace
}  // namespace tcpkeep
